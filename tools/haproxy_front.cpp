// The haproxy front-end: the `haproxy` command line run, and this language's check and migrate
// (see haproxy_front.hpp and front_ends.hpp).
#include "tools/haproxy_front.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "parsers/common/environment.hpp"
#include "parsers/common/render.hpp"
#include "parsers/haproxy/analyse.hpp"
#include "parsers/haproxy/migrate.hpp"
#include "parsers/haproxy/reader.hpp"
#include "runtime/assemble/haproxy.hpp"
#include "runtime/assemble/haproxy_tls.hpp"
#include "runtime/core/event_loop.hpp"
#include "runtime/proxy/cli/socket_server.hpp"
#include "runtime/core/process_handover.hpp"
#include "runtime/core/process_name.hpp"
#include "runtime/core/process_privileges.hpp"
#include "runtime/proxy/service.hpp"
#include "runtime/proxy/stats/applet.hpp"
#include "tools/front_end_support.hpp"
#include "tools/front_ends.hpp"
#include "tools/haproxy_cli.hpp"
#include "tools/haproxy_process.hpp"
#include "tools/text.hpp"
#include "tools/version.hpp"

namespace tandem::tools {

using parsers::diagnostics;
using parsers::severity;
using parsers::source_registry;

namespace {

// HAProxy 2.6's message prefixes: the tag padded to one width, then the PID.
std::string haproxy_prefix(severity s) {
  const char* tag = s == severity::error     ? "[ALERT]    ("
                    : s == severity::warning ? "[WARNING]  ("
                                             : "[NOTICE]   (";
  return std::string(tag) + std::to_string(::getpid()) + ") : ";
}

// One diagnostic as `haproxy -c` prints it: "config : parsing [file:line] : message", the
// hint on a "   | " continuation line as HAProxy prints its explanations.
void print_haproxy(const parsers::diagnostic& d, const source_registry& sources, std::ostream& err) {
  err << haproxy_prefix(d.severity_) << "config : ";
  if (d.position_.has_file() && sources.contains(d.position_.file_)) {
    err << "parsing [" << sources.file(d.position_.file_).name();
    if (d.position_.line_ > 0) {
      err << ':' << d.position_.line_;
    }
    err << "] : ";
  }
  err << d.message_ << ".\n";
  if (d.hint_) {
    err << "   | " << *d.hint_ << '\n';
  }
}

parsers::haproxy::analysis_options haproxy_analysis_options(severity environment) {
  parsers::haproxy::analysis_options o;
  o.reader_.environment_ = parsers::process_environment();
  o.resolves_ = parsers::haproxy::system_resolver();
  o.file_exists_ = parsers::haproxy::system_file_exists();
  o.read_file_ = parsers::haproxy::system_file_reader();
  o.environment_severity_ = environment;
  return o;
}

// HAProxy resolves `user`/`uid` and `group`/`gid` while it parses: a name it cannot find is an
// error at its line, for -c too. Prints it and returns false.
bool resolve_global_identity(const parsers::haproxy::analysis& a, const source_registry& sources,
                             runtime::identity& out, std::ostream& err) {
  const parsers::haproxy::global_settings& g = a.model_.global_;
  std::string problem;
  if (runtime::resolve_identity(g.user_, g.group_, out, problem)) return true;
  const bool user = problem.starts_with("cannot find user");
  std::string where;
  for (const parsers::haproxy::config_file& f : a.tree_.files_) {
    for (const parsers::haproxy::section& s : f.sections_) {
      const parsers::haproxy::line* header = f.header(s);
      if (header == nullptr || header->keyword() != "global") continue;
      for (const std::size_t i : s.directives_) {
        const std::string_view k = f.lines_[i].keyword();
        if (user ? (k == "user" || k == "uid") : (k == "group" || k == "gid")) {
          where = "parsing [";
          where += sources.contains(f.file_) ? sources.file(f.file_).name() : std::string_view();
          where += ':' + std::to_string(f.lines_[i].number_) + "] : ";
        }
      }
    }
  }
  err << haproxy_prefix(severity::error) << "config : " << where << problem << '\n';
  return false;
}

// `haproxy -c`: HAProxy 2.6's messages and exit codes (0 valid, 1 errors, 2 no listener).
int check_configuration(const haproxy_options& o, source_registry& sources, diagnostics& diags,
                        std::ostream& out, std::ostream& err) {
  const parsers::haproxy::analysis_options options = haproxy_analysis_options(severity::error);
  parsers::haproxy::syntax_tree tree;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    tree.files_.push_back(parsers::haproxy::read_haproxy_file(
        sources, static_cast<parsers::file_id>(i), options.reader_, diags));
  }
  const parsers::haproxy::analysis a =
      parsers::haproxy::analyse_tree(std::move(tree), options, diags);
  bool noticed = false;
  for (const parsers::diagnostic& d : diags) {
    // .diag lines show only with -dD, as in HAProxy; -q keeps the alerts only.
    if (d.code_ == parsers::haproxy::codes::directive_diag && !o.diagnostic_mode_) {
      continue;
    }
    if (o.quiet_ && d.severity_ != severity::error) {
      continue;
    }
    if (!noticed) {
      err << haproxy_prefix(severity::note) << "haproxy version is "
          << parsers::haproxy::claimed_version << " (Tandem)\n";
      noticed = true;
    }
    print_haproxy(d, sources, err);
  }
  bool warnings = diags.count(severity::warning) > 0;
  runtime::identity identity;
  if (!diags.has_errors() && (!a.model_.global_.user_.empty() || !a.model_.global_.group_.empty())) {
    std::ostringstream problem;
    if (!resolve_global_identity(a, sources, identity, problem)) {
      if (!noticed) {
        err << haproxy_prefix(severity::note) << "haproxy version is "
            << parsers::haproxy::claimed_version << " (Tandem)\n";
      }
      err << problem.str();
      for (std::size_t i = 0; i < sources.size(); ++i) {
        err << haproxy_prefix(severity::error)
            << "config : Error(s) found in configuration file : "
            << sources.file(static_cast<parsers::file_id>(i)).name() << '\n';
      }
      err << haproxy_prefix(severity::error) << "config : Fatal errors found in configuration.\n";
      return exit_failure;
    }
  }
  bool tls_errors = false;
  if (!diags.has_errors()) {
    // HAProxy loads the certificates when it checks: so does Tandem (TLS problems at the line).
    for (const runtime::assemble::problem& p : runtime::assemble::check_haproxy_tls(a.model_)) {
      if (o.quiet_ && !p.error_) continue;
      if (!noticed) {
        err << haproxy_prefix(severity::note) << "haproxy version is "
            << parsers::haproxy::claimed_version << " (Tandem)\n";
        noticed = true;
      }
      err << haproxy_prefix(p.error_ ? severity::error : severity::warning) << "config : ";
      if (p.position_.has_file() && sources.contains(p.position_.file_)) {
        err << "parsing [" << sources.file(p.position_.file_).name() << ':' << p.position_.line_
            << "] : ";
      }
      err << p.message_ << '\n';
      tls_errors = tls_errors || p.error_;
      warnings = warnings || !p.error_;
    }
  }
  if (diags.has_errors() || tls_errors) {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      err << haproxy_prefix(severity::error) << "config : Error(s) found in configuration file : "
          << sources.file(static_cast<parsers::file_id>(i)).name() << '\n';
    }
    err << haproxy_prefix(severity::error) << "config : Fatal errors found in configuration.\n";
    return exit_failure;
  }
  if (warnings && o.zero_warning_) {
    err << haproxy_prefix(severity::error)
        << "config : Some warnings were found and 'zero-warning' is set. Aborting.\n";
    return exit_failure;
  }
  if (!o.quiet_ && warnings) {
    out << "Warnings were found.\n";
  }
  if (!a.has_listener_) {
    if (!o.quiet_) {
      out << "Configuration file has no error but will not start (no listener) => exit(2).\n";
    }
    return 2;
  }
  if (!o.quiet_) {
    out << "Configuration file is valid\n";
  }
  return exit_ok;
}

// Prints the analysis's diagnostics as HAProxy does when it starts; false when one is an error
// (HAProxy then refuses to start).
bool report_analysis(const haproxy_options& o, const source_registry& sources,
                     const diagnostics& diags, std::ostream& err) {
  for (const parsers::diagnostic& d : diags) {
    if (d.code_ == parsers::haproxy::codes::directive_diag && !o.diagnostic_mode_) {
      continue;
    }
    if (o.quiet_ && d.severity_ != severity::error) {
      continue;
    }
    print_haproxy(d, sources, err);
  }
  if (diags.has_errors()) {
    for (std::size_t i = 0; i < sources.size(); ++i) {
      err << haproxy_prefix(severity::error) << "config : Error(s) found in configuration file : "
          << sources.file(static_cast<parsers::file_id>(i)).name() << '\n';
    }
    err << haproxy_prefix(severity::error) << "config : Fatal errors found in configuration.\n";
    return false;
  }
  return true;
}

// Detaches from the terminal as HAProxy's daemon mode: the parent exits once the child runs.
bool daemonize(std::ostream& err) {
  const pid_t child = ::fork();
  if (child < 0) {
    err << haproxy_prefix(severity::error) << "[haproxy.main()] Cannot fork: "
        << std::strerror(errno) << ".\n";
    return false;
  }
  if (child > 0) {
    ::_exit(0);
  }
  ::setsid();
  const int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (null > 2) ::close(null);
  }
  return true;
}

// `haproxy -f FILE` without -c: check, assemble, bind, serve until a signal. SIGUSR1 is a soft
// stop (listeners closed, connections finish), SIGTERM and SIGINT a hard stop, as in HAProxy.
int run_configuration(std::string_view program, std::span<const std::string_view> args,
                      const haproxy_options& o, source_registry& sources, diagnostics& diags,
                      std::ostream& err) {
  // A worker started by a master (-W) runs in the foreground and leaves the PID file, the
  // daemon and the master's work to it.
  std::optional<worker_link> worker = worker_from_environment();
  const parsers::haproxy::analysis_options options = haproxy_analysis_options(severity::error);
  parsers::haproxy::syntax_tree tree;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    tree.files_.push_back(parsers::haproxy::read_haproxy_file(
        sources, static_cast<parsers::file_id>(i), options.reader_, diags));
  }
  parsers::haproxy::analysis a = parsers::haproxy::analyse_tree(std::move(tree), options, diags);
  // A master's first worker reads the files its master has just reported on: only errors.
  haproxy_options reported = o;
  reported.quiet_ = o.quiet_ || (worker && worker->first_);
  if (!report_analysis(reported, sources, diags, err)) {
    return exit_failure;
  }
  runtime::assemble::haproxy_result assembled = runtime::assemble::assemble_haproxy(a.model_);
  bool failed = false;
  for (const runtime::assemble::problem& p : assembled.problems_) {
    if (!p.error_ && reported.quiet_) continue;
    const severity s = p.error_ ? severity::error : severity::warning;
    err << haproxy_prefix(s) << "config : ";
    if (p.position_.has_file() && sources.contains(p.position_.file_)) {
      err << "parsing [" << sources.file(p.position_.file_).name() << ':' << p.position_.line_
          << "] : ";
    }
    err << p.message_ << '\n';
    failed = failed || p.error_;
  }
  if (failed || !assembled.ok()) {
    err << haproxy_prefix(severity::error) << "config : Fatal errors found in configuration.\n";
    return exit_failure;
  }
  // -dW or global `zero-warning`: a warning stops the start, as HAProxy does.
  const bool zero_warning =
      o.zero_warning_ ||
      std::any_of(a.model_.global_.other_.begin(), a.model_.global_.other_.end(),
                  [](const parsers::haproxy::words_at& w) {
                    return !w.words_.empty() && w.words_[0] == "zero-warning";
                  });
  const bool warned = diags.count(severity::warning) > 0 ||
                      std::any_of(assembled.problems_.begin(), assembled.problems_.end(),
                                  [](const runtime::assemble::problem& p) { return !p.error_; });
  if (zero_warning && warned) {
    err << haproxy_prefix(severity::error)
        << "config : Some warnings were found and 'zero-warning' is set. Aborting.\n";
    return exit_failure;
  }
  runtime::proxy::proxy_set& proxies = *assembled.proxies_;
  for (auto& fe : proxies.frontends_) {
    for (runtime::proxy::listen_address& l : fe->listeners_) {
      if (l.position_.has_file() && sources.contains(l.position_.file_)) {
        l.origin_ = std::string(sources.file(l.position_.file_).name()) + ':' +
                    std::to_string(l.position_.line_);
      }
    }
  }
  bool any_listener = false;
  for (const auto& fe : proxies.frontends_) {
    any_listener = any_listener || !fe->listeners_.empty();
  }
  if (!any_listener) {
    err << haproxy_prefix(severity::error)
        << "[haproxy.main()] No enabled listener found (check for 'bind' directives) ! Exiting.\n";
    return exit_failure;
  }
  if (o.max_conn_) {
    proxies.global_maxconn_ = static_cast<std::uint32_t>(*o.max_conn_);
  }
  const parsers::haproxy::global_settings& global = a.model_.global_;
  const bool daemon = (o.daemon_ || global.daemon_) && !o.foreground_ && !o.debug_ && !worker;
  // As HAProxy 2.6: the PID file is written by a daemon (or a master), not in the foreground.
  const std::string pid_file = o.pid_file_ ? *o.pid_file_ : global.pidfile_;
  if ((o.master_worker_ || global.master_worker_) && !worker) {
    return run_haproxy_master(program, args, o, daemon, pid_file, err);
  }
  if (worker) {
    runtime::set_process_name("haproxy");  // started as /proc/self/exe
  }
  std::optional<unsigned long> ulimit_n;
  std::optional<long long> hard_stop_after;
  for (const parsers::haproxy::words_at& w : global.other_) {
    if (w.words_.size() >= 2 && w.words_[0] == "ulimit-n") {
      ulimit_n = std::strtoul(w.words_[1].c_str(), nullptr, 10);
    } else if (w.words_.size() >= 2 && w.words_[0] == "hard-stop-after") {
      hard_stop_after = runtime::parse_milliseconds(w.words_[1]);
    }
  }
  // user/group are resolved now, while /etc/passwd is reachable (chroot comes later).
  runtime::identity identity;
  std::string problem;
  if (!resolve_global_identity(a, sources, identity, err)) {
    err << haproxy_prefix(severity::error) << "config : Fatal errors found in configuration.\n";
    return exit_failure;
  }
  runtime::event_loop loop(proxies.threads_);
  // ulimit-n, else what maxconn needs (HAProxy computes it the same way).
  unsigned long listening = 0;
  for (const auto& fe : proxies.frontends_) listening += fe->listeners_.size() * loop.size();
  const unsigned long wanted =
      ulimit_n ? *ulimit_n
               : (proxies.global_maxconn_ != 0 ? runtime::fd_need(proxies.global_maxconn_, listening)
                                               : 0);
  if (wanted != 0 && !runtime::raise_fd_limit(wanted, problem)) {
    err << haproxy_prefix(severity::error) << "[haproxy.main()] " << problem << '\n';
    return exit_failure;
  }
  const runtime::proxy::log_sink log = [&err](std::string_view level, std::string_view m) {
    // HAProxy's prefix: the tag padded to one width, then the PID.
    std::string tag(1, '[');
    tag += level;
    tag += ']';
    tag.resize(std::max<std::size_t>(tag.size(), 10), ' ');
    err << tag << " (" << ::getpid() << ") : " << m << std::endl;
  };
  runtime::proxy::service svc(proxies, loop, log);
  runtime::proxy::stats::attach_log(proxies, log);  // the stats pages' admin actions
  for (runtime::assemble::check_binding& c : assembled.checks_) {
    svc.add_check(*c.backend_, *c.server_, std::move(c.spec_));
  }
  // -sf/-st/-x: the listening sockets of the process this one replaces, taken over rather
  // than bound again, so no connection is refused while it finishes.
  std::vector<runtime::listening_socket> inherited;
  if (!inherit_listeners(o, inherited, problem)) {
    err << haproxy_prefix(severity::error) << problem << '\n';
    return exit_failure;
  }
  std::string error;
  // The stats sockets, opened with the listeners (before any change of user).
  for (auto& spec : assembled.stats_sockets_) {
    if (spec.position_.has_file() && sources.contains(spec.position_.file_)) {
      spec.origin_ = std::string(sources.file(spec.position_.file_).name()) + ':' +
                     std::to_string(spec.position_.line_);
    }
  }
  runtime::proxy::cli::socket_server stats_sockets(
      loop.context(0), {&proxies, log, nullptr}, std::move(assembled.stats_sockets_),
      assembled.stats_timeout_);
  const bool opened = svc.open_listeners(error, &inherited) && stats_sockets.open(error);
  for (const runtime::listening_socket& s : inherited) {
    if (s.fd_ >= 0) ::close(s.fd_);  // a listener the new configuration no longer has
  }
  if (!opened) {
    err << haproxy_prefix(severity::error) << error << '\n';
    err << haproxy_prefix(severity::error)
        << "[haproxy.main()] Some protocols failed to start their listeners! Exiting.\n";
    return exit_failure;
  }
  if (daemon && !daemonize(err)) {
    return exit_failure;
  }
  if (!pid_file.empty() && daemon) {
    std::ofstream pf(pid_file, std::ios::trunc);
    pf << ::getpid() << '\n';
  }
  // HAProxy's order: bound (and its stats sockets created), then chroot, then the user.
  if (!global.chroot_.empty() && !runtime::change_root(global.chroot_, problem)) {
    err << haproxy_prefix(severity::error) << "[haproxy.main()] " << problem << '\n';
    return exit_failure;
  }
  if (!runtime::drop_privileges(identity, problem)) {
    err << haproxy_prefix(severity::error) << "[haproxy.main()] " << problem << '\n';
    return exit_failure;
  }
  // The sockets are offered to the next process on an abstract unix socket named by this PID
  // (reachable from outside the chroot).
  namespace local = boost::asio::local;
  local::stream_protocol::acceptor handover(loop.context(0));
  {
    std::error_code ec;
    const int fd = runtime::open_handover_socket(runtime::handover_address(::getpid()), ec);
    boost::system::error_code assigned;
    if (fd >= 0) handover.assign(local::stream_protocol(), fd, assigned);
  }
  std::function<void()> answer_next = [&] {
    handover.async_accept([&](const boost::system::error_code& ec, local::stream_protocol::socket s) {
      if (ec) return;
      const int fd = s.native_handle();
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      std::vector<int> fds;
      for (const runtime::listening_socket& l : svc.listening_sockets()) fds.push_back(l.fd_);
      runtime::answer_handover(fd, fds);
      answer_next();
    });
  };
  if (handover.is_open()) answer_next();
  int fatal_signal = 0;  // SIGTERM or SIGINT: the process ends by it, as HAProxy's does
  boost::asio::steady_timer hard_stop_timer(loop.context(0));
  boost::asio::signal_set signals(loop.context(0), SIGUSR1, SIGTERM, SIGINT);
  signals.add(SIGTTOU);
  signals.add(SIGTTIN);
  signals.add(SIGHUP);   // HAProxy dumps the servers' states
  signals.add(SIGQUIT);  // HAProxy dumps its memory pools; Tandem has none to show
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int number) {
        if (ec) return;
        if (number == SIGHUP) {
          for (const std::string& line : server_state_dump(proxies)) {
            err << haproxy_prefix(severity::warning) << line << '\n';
          }
          err.flush();
        } else if (number == SIGQUIT) {
        } else if (number == SIGTTOU) {
          svc.pause_listeners();
        } else if (number == SIGTTIN) {
          svc.resume_listeners();
        } else if (number == SIGUSR1) {
          boost::system::error_code ignored;
          handover.close(ignored);
          stats_sockets.stop();
          svc.soft_stop();
          if (hard_stop_after) {
            // hard-stop-after: what the soft stop has not finished by then is cut.
            hard_stop_timer.expires_after(std::chrono::milliseconds(*hard_stop_after));
            hard_stop_timer.async_wait([&](const boost::system::error_code& e) {
              if (e) return;
              err << haproxy_prefix(severity::warning)
                  << "soft-stop running for too long, performing a hard-stop.\n";
              for (const auto& fe : proxies.frontends_) {
                const auto remaining = fe->current_.load();
                if (remaining == 0) continue;
                err << haproxy_prefix(severity::warning) << "Proxy " << fe->name_
                    << " hard-stopped (" << remaining << " remaining conns will be closed).\n";
              }
              svc.hard_stop();
            });
          }
        } else {
          fatal_signal = number;
          stats_sockets.stop();
          svc.hard_stop();
          return;
        }
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  signal_old_processes(o);
  if (worker) {
    report_ready(*worker);
    if (worker->daemon_) {
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        if (null > 2) ::close(null);
      }
    }
  } else if (o.systemd_notify_) {
    notify_systemd("READY=1");
  }
  svc.start();
  stats_sockets.start();
  loop.run();
  if (fatal_signal != 0) {
    err.flush();
    std::signal(fatal_signal, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, fatal_signal);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(fatal_signal);
  }
  return exit_ok;
}

}  // namespace

int run_haproxy(std::string_view program, std::span<const std::string_view> args, std::ostream& out,
                std::ostream& err) {
  const haproxy_cli_result parsed = parse_haproxy_cli(args);
  for (const std::string& warning : parsed.warnings_) {
    err << program << ": warning: " << warning << '\n';
  }
  if (parsed.error_) {
    err << program << ": " << *parsed.error_ << '\n'
        << "Run '" << program << " -h' for the list of options.\n";
    return exit_failure;
  }
  const haproxy_options& o = parsed.options_;
  if (o.version_level_ > 0) {
    out << haproxy_version_text(o.version_level_ > 1);
    return exit_ok;
  }
  if (o.help_) {
    out << haproxy_version_text(false) << haproxy_usage(program);
    return exit_ok;
  }
  if (o.check_condition_) {
    // HAProxy's -cc: exit 0 when the condition is true, 1 when false, 2 when it cannot be read.
    parsers::haproxy::reader_options options;
    options.environment_ = parsers::process_environment();
    std::string error;
    std::size_t offset = 0;
    const int result =
        parsers::haproxy::evaluate_condition(*o.check_condition_, options, error, offset);
    if (result < 0) {
      err << haproxy_prefix(severity::error) << "config : Failed to evaluate condition: " << error
          << '\n';
      return 2;
    }
    return result == 1 ? exit_ok : exit_failure;
  }
  if (o.config_paths_.empty()) {
    err << program << ": no configuration file given (use -f FILE, -f DIR or -- FILE...)\n"
        << "Run '" << program << " -h' for the list of options.\n";
    return exit_failure;
  }
  if (o.change_dir_ && ::chdir(o.change_dir_->c_str()) != 0) {
    err << program << ": cannot change to directory " << single_quoted(*o.change_dir_) << ": "
        << std::strerror(errno) << '\n';
    return exit_failure;
  }
  source_registry sources;
  diagnostics diags;
  const std::vector<std::string> files =
      parsers::haproxy::expand_haproxy_paths(o.config_paths_, diags);
  if (!load_files(files, sources, diags, err)) {
    return exit_failure;
  }
  if (o.check_) {
    return check_configuration(o, sources, diags, out, err);
  }
  return run_configuration(program, args, o, sources, diags, err);
}

void lint_haproxy(parsers::source_registry& sources, parsers::file_id file,
                  parsers::diagnostics& diags) {
  // The linter may run on another machine than the proxy: missing files and names that do not
  // resolve here are warnings.
  parsers::haproxy::analysis_options options = haproxy_analysis_options(severity::warning);
  options.keep_tree_ = false;  // the report needs the diagnostics only
  // `tandem check` prints and exits once the files are linted: the model (for a large file a
  // proxy per section and a server per line) is left for the end of the process instead of
  // being freed piece by piece. It stays reachable, so leak checkers do not report it.
  static auto* const kept = new std::vector<parsers::haproxy::analysis>();
  constexpr std::size_t heap_per_byte = 12;  // heap bytes per byte of haproxy.cfg, measured
  prepare_heap_for(sources.file(file).text().size(), heap_per_byte);
  kept->push_back(parsers::haproxy::analyse_haproxy_file(sources, file, options, diags));
}

bool migrate_haproxy(parsers::source_registry& sources, parsers::file_id file, std::ostream& out,
                     parsers::diagnostics& diags) {
  parsers::haproxy::analysis_options options;
  options.reader_.environment_ = parsers::process_environment();
  const parsers::haproxy::analysis a =
      parsers::haproxy::analyse_haproxy_file(sources, file, options, diags);
  if (a.tree_.files_.empty()) {
    return false;
  }
  out << parsers::haproxy::migrate_file(sources, a.tree_.files_.front());
  return true;
}

}  // namespace tandem::tools
