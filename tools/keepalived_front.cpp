// The keepalived front-end: the `keepalived` command line run, and this language's check and migrate
// (see keepalived_front.hpp and front_ends.hpp).
#include "tools/keepalived_front.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fstream>
#include <set>

#include "parsers/common/environment.hpp"
#include "parsers/common/render.hpp"
#include "parsers/keepalived/analyse.hpp"
#include "parsers/keepalived/cluster.hpp"
#include "parsers/keepalived/codes.hpp"
#include "parsers/keepalived/migrate.hpp"
#include "parsers/keepalived/reader.hpp"
#include "runtime/assemble/keepalived.hpp"
#include "runtime/core/process_name.hpp"
#include "runtime/lvs/director.hpp"
#include "runtime/vrrp/io/daemon.hpp"
#include "tools/front_end_support.hpp"
#include "tools/front_ends.hpp"
#include "tools/keepalived_cli.hpp"
#include "tools/text.hpp"
#include "tools/version.hpp"

namespace tandem::tools {

using parsers::diagnostics;
using parsers::severity;
using parsers::source_registry;
namespace ka = parsers::keepalived;

namespace {

// keepalived's exit codes for -t, as keepalived 2.2.7 really returns them (its man page is off
// by one): 0 fine, 4 cannot run at all, 5 configuration errors, 6 only script security.
constexpr int exit_config_cannot_run = 4;
constexpr int exit_config_errors = 5;
constexpr int exit_script_security = 6;

ka::analyse_options options_for_this_machine(std::string config_id, bool check_interfaces) {
  ka::analyse_options o;
  o.read_.config_id_ = config_id.empty() ? ka::default_config_id() : std::move(config_id);
  o.read_.environment_ = parsers::process_environment();
  if (check_interfaces) o.interface_exists_ = ka::system_interface_exists;
  return o;
}

// keepalived's message style, "(FILE: Line N) message", but each message once.
void print_keepalived_style(const diagnostics& diags, const source_registry& sources,
                            std::ostream& err) {
  std::set<std::string> printed;
  for (const parsers::diagnostic& d : diags) {
    if (d.severity_ == severity::note) continue;
    std::string line;
    if (d.position_.has_file() && sources.contains(d.position_.file_)) {
      line = "(" + sources.file(d.position_.file_).name();
      if (d.position_.line_ > 0) line += ": Line " + std::to_string(d.position_.line_);
      line += ") ";
    }
    line += d.message_;
    if (d.hint_) line += " (" + *d.hint_ + ")";
    if (printed.insert(line).second) err << line << '\n';
  }
}

// ---- the daemon (issue 7) ------------------------------------------------------------

// Where log lines go: the console (-l), as keepalived prints them ("Sat Nov 21 07:48:43 2026:
// message"), and syslog unless -G, as Keepalived_vrrp.
struct log_sink {
  bool console_ = false;
  bool syslog_ = true;
  void operator()(std::string_view line) const {
    if (console_) {
      const std::time_t t = std::time(nullptr);
      char when[64];
      std::tm tm{};
      ::localtime_r(&t, &tm);
      std::strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &tm);
      std::string out = std::string(when) + ": " + std::string(line) + "\n";
      (void)!::write(STDOUT_FILENO, out.data(), out.size());  // unbuffered, one write per line
    }
    if (syslog_) ::syslog(LOG_INFO, "%.*s", static_cast<int>(line.size()), line.data());
  }
};

int facility_of(const std::optional<std::string>& f) {
  if (!f) return LOG_DAEMON;
  static const int locals[] = {LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                               LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
  const std::string& v = *f;
  if (v.size() == 1 && v[0] >= '0' && v[0] <= '7') return locals[v[0] - '0'];
  if (v.size() == 6 && v.rfind("local", 0) == 0 && v[5] >= '0' && v[5] <= '7') return locals[v[5] - '0'];
  if (v == "user") return LOG_USER;
  return LOG_DAEMON;
}

// Reads, analyses and assembles the configuration; problems are printed keepalived-style.
std::optional<runtime::assemble::keepalived_result> load_spec(const keepalived_options& o,
                                                        const log_sink& log) {
  source_registry sources;
  diagnostics diags;
  std::ostringstream report;
  if (!load_files({o.config_file_}, sources, diags, report)) {
    log("Unable to read the configuration file " + o.config_file_);
    return std::nullopt;
  }
  const ka::analysis a = ka::analyse_file(
      parsers::file_id{0}, sources, options_for_this_machine(o.config_id_.value_or(""), true), diags);
  std::ostringstream msgs;
  print_keepalived_style(diags, sources, msgs);
  const runtime::assemble::keepalived_result r = runtime::assemble::assemble_keepalived(a.model_);
  for (const auto& p : r.problems_) {
    if (p.position_.has_file() && sources.contains(p.position_.file_)) {
      msgs << "(" << sources.file(p.position_.file_).name() << ": Line " << p.position_.line_ << ") ";
    }
    msgs << p.message_ << '\n';
  }
  std::istringstream lines(msgs.str());
  for (std::string line; std::getline(lines, line);) log(line);
  if (diags.has_errors() || !r.ok()) return std::nullopt;
  return r;
}

// "(FILE: Line N) " as keepalived prefixes a configuration message.
std::string where_in(const source_registry& sources, const parsers::source_position& p) {
  if (!p.has_file() || !sources.contains(p.file_)) return "";
  return "(" + sources.file(p.file_).name() + ": Line " + std::to_string(p.line_) + ") ";
}

// The LVS director's options from the command line's log sink and the environment:
// TANDEM_LVS_PLANE forces a data plane, TANDEM_LVS_UDP_TIMEOUT (seconds) shortens IPVS's
// 300 s UDP timeout (tests).
runtime::lvs::director_options director_options_for(const log_sink& log) {
  runtime::lvs::director_options d;
  d.log_ = log;
  if (const char* plane = std::getenv("TANDEM_LVS_PLANE")) d.forced_plane_ = plane;
  if (const char* udp = std::getenv("TANDEM_LVS_UDP_TIMEOUT")) {
    const long s = std::strtol(udp, nullptr, 10);
    if (s > 0) d.udp_timeout_ = std::chrono::seconds(s);
  }
  return d;
}

void write_pid_file(const std::string& path) {
  std::ofstream pf(path, std::ios::trunc);
  pf << ::getpid() << '\n';
}

int run_vrrp_daemon(std::string_view program, const keepalived_options& o,
                    const source_registry& sources, const ka::analysis& a, diagnostics& diags,
                    std::ostream& err) {
  if (o.network_namespace_) {
    return not_implemented(program, "running in another network namespace (-s/--namespace)", err);
  }
  log_sink log;
  log.console_ = o.log_console_;
  log.syslog_ = !o.no_syslog_;
  // keepalived's own name for its VRRP process in syslog.
  if (log.syslog_) ::openlog("Keepalived_vrrp", LOG_PID, facility_of(o.log_facility_));
  if (!o.config_file_given_ && !std::ifstream(o.config_file_)) {
    log("Unable to read the configuration file " + o.config_file_);
  }
  std::string warnings;  // logged once logging runs, as keepalived logs its config warnings
  {
    std::ostringstream msgs;
    print_keepalived_style(diags, sources, msgs);
    const runtime::assemble::keepalived_result r = runtime::assemble::assemble_keepalived(a.model_);
    for (const auto& p : r.problems_) {
      if (p.position_.has_file() && sources.contains(p.position_.file_)) {
        msgs << "(" << sources.file(p.position_.file_).name() << ": Line " << p.position_.line_ << ") ";
      }
      msgs << p.message_ << '\n';
    }
    const bool failed = diags.has_errors() || !r.ok();
    if (failed) {
      err << msgs.str();
      err << program << ": the configuration cannot run; nothing started\n";
      return exit_failure;
    }
    warnings = msgs.str();
  }
  (void)runtime::set_process_name("keepalived");
  if (!o.dont_fork_) {
    // keepalived daemonises unless -n: the parent returns at once, the child carries on.
    const pid_t child = ::fork();
    if (child < 0) {
      err << program << ": cannot fork: " << std::strerror(errno) << '\n';
      return exit_failure;
    }
    if (child > 0) return exit_ok;
    ::setsid();
    (void)!::chdir("/");
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      if (!log.console_) {
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
      }
      if (null > STDERR_FILENO) ::close(null);
    }
  }
  ::umask(o.umask_.value_or(0177) & 0777);
  // The file analysed above, not read again: it may be a FIFO or have changed meanwhile.
  runtime::assemble::keepalived_result assembled = runtime::assemble::assemble_keepalived(a.model_);
  // keepalived's processes: VRRP when there are vrrp_instances (or nothing else to run), the
  // checker when there are virtual_servers; -P runs only VRRP, -C only the checker.
  const bool has_vs = !assembled.lvs_.services_.empty();
  const bool run_checker = has_vs && !o.vrrp_only_;
  const bool run_vrrp = !o.checker_only_ && (!assembled.spec_.instances_.empty() || !has_vs);
  log("Starting Keepalived (Tandem " + std::string(tandem_version()) + ", " +
      (run_vrrp && run_checker ? "VRRP and checker" : run_checker ? "checker" : "VRRP") + ")");
  log("Opening file '" + o.config_file_ + "'.");
  log("Configuration file " + o.config_file_);
  {
    std::istringstream lines(warnings);
    for (std::string line; std::getline(lines, line);) log(line);
  }
  // keepalived's pidfiles: the main process's, the VRRP child's and the checker child's; we
  // are each of them that runs.
  const std::string pid_file = o.pid_file_.value_or("/run/keepalived.pid");
  const std::string vrrp_pid_file = o.vrrp_pid_file_.value_or("/run/vrrp.pid");
  const std::string checkers_pid_file = o.checkers_pid_file_.value_or("/run/checkers.pid");
  write_pid_file(pid_file);
  if (run_vrrp) write_pid_file(vrrp_pid_file);
  if (run_checker) write_pid_file(checkers_pid_file);
  ::signal(SIGPIPE, SIG_IGN);

  boost::asio::io_context io;
  runtime::lvs::director_options dopts = director_options_for(log);
  dopts.where_ = [&sources](const parsers::source_position& p) { return where_in(sources, p); };
  runtime::lvs::director director(io.get_executor(), dopts);
  runtime::vrrp::io::daemon_options opts;
  opts.log_ = log;
  opts.log_detail_ = o.log_detail_;
  if (run_checker) {
    // ha_suspend: the checkers of a service follow the VRRP instance holding its VIP.
    opts.on_state_change_ = [&director](const std::string& instance, std::string_view state,
                                        const std::vector<std::string>& vips) {
      std::vector<boost::asio::ip::address> addresses;
      for (const std::string& v : vips) {
        boost::system::error_code ec;
        auto a = boost::asio::ip::make_address(v, ec);
        if (!ec) addresses.push_back(a);
      }
      director.vrrp_state(instance, state == "MASTER", addresses);
    };
  }
  runtime::vrrp::io::daemon d(io, run_vrrp ? std::move(assembled.spec_) : runtime::vrrp::io::daemon_spec{},
                              opts);
  boost::asio::signal_set signals(io, SIGTERM, SIGINT, SIGHUP);
  signals.add(SIGUSR1);
  signals.add(SIGUSR2);
  int rc = exit_ok;
  bool stopping = false;
  if (run_vrrp && !d.start()) {
    d.stop();
    rc = exit_failure;
  } else if (run_checker && !director.start(std::move(assembled.lvs_))) {
    // keepalived's fatal configuration error in its checker: nothing keeps running.
    log("Stopping - a virtual_server cannot be served");
    director.stop();
    if (run_vrrp) d.stop();
    rc = exit_failure;
  } else {
    std::function<void()> wait;
    wait = [&] {
      signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        if (sig == SIGTERM || sig == SIGINT) {
          // keepalived's order: the checkers and the data path, then VRRP.
          if (run_checker) director.stop();
          if (run_vrrp) d.stop();
          signals.cancel();
          stopping = true;
          return;
        }
        if (sig == SIGHUP) {
          log("Reloading ...");
          if (auto next = load_spec(o, log)) {
            if (run_vrrp) d.reload(std::move(next->spec_));
            if (run_checker && !director.reload(std::move(next->lvs_)))
              log("Reload failed: a virtual_server cannot be served; keeping the running ones");
          } else {
            log("Reload failed: the configuration cannot run; keeping the running one");
          }
        } else if (sig == SIGUSR1) {
          d.dump_data();
        } else if (sig == SIGUSR2) {
          d.dump_stats();
        }
        wait();
      });
    };
    wait();
    // After a stop, what is still in flight (a checker's connect, a script) is given two
    // seconds, then abandoned: the process exits and the kernel closes the rest.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    while (!io.stopped()) {
      io.run_for(std::chrono::milliseconds(100));
      if (stopping && !deadline) deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
    }
  }
  ::unlink(pid_file.c_str());
  if (run_vrrp) ::unlink(vrrp_pid_file.c_str());
  if (run_checker) ::unlink(checkers_pid_file.c_str());
  log(rc == exit_ok ? "Stopped" : "Stopped - could not start");
  return rc;
}

}  // namespace

int run_keepalived(std::string_view program, std::span<const std::string_view> args,
                   std::ostream& out, std::ostream& err) {
  const keepalived_cli_result parsed = parse_keepalived_cli(args);
  for (const std::string& error : parsed.errors_) {
    err << error << '\n';
  }
  for (const std::string& warning : parsed.warnings_) {
    err << warning << '\n';
  }
  const keepalived_options& o = parsed.options_;
  switch (o.immediate_) {
    case keepalived_immediate::version:
      err << keepalived_version_text();  // keepalived prints its version on stderr
      return exit_ok;
    case keepalived_immediate::help:
      err << keepalived_usage(program);  // and its help too
      return exit_ok;
    case keepalived_immediate::signum:
      out << o.signum_ << '\n';
      return exit_ok;
    case keepalived_immediate::genhash:
      return not_implemented(program,
                             "the genhash utility mode (-T/--genhash) is not part of any "
                             "planned issue yet",
                             err);
    case keepalived_immediate::none:
      break;
  }
  if (!parsed.errors_.empty()) {
    err << "Run '" << program << " --help' for the list of options.\n";
    return exit_failure;
  }
  if (!o.unexpected_args_.empty()) {
    err << "Unexpected argument(s):";
    for (const std::string& arg : o.unexpected_args_) {
      err << ' ' << arg;
    }
    err << '\n';
  }
  source_registry sources;
  diagnostics diags;
  std::ofstream test_log;
  if (o.config_test_ && o.config_test_log_file_) {
    // keepalived -t=FILE writes its messages to FILE instead of stderr.
    test_log.open(*o.config_test_log_file_);
    if (!test_log) {
      err << program << ": cannot write " << single_quoted(*o.config_test_log_file_) << ": "
          << std::strerror(errno) << '\n';
      return exit_failure;
    }
  }
  std::ostream& report = test_log.is_open() ? static_cast<std::ostream&>(test_log) : err;
  if (!load_files({o.config_file_}, sources, diags, report)) {
    return o.config_test_ ? exit_config_cannot_run : exit_failure;
  }
  const ka::analysis a = ka::analyse_file(
      parsers::file_id{0}, sources, options_for_this_machine(o.config_id_.value_or(""), true), diags);
  if (o.config_test_) {
    print_keepalived_style(diags, sources, report);
    const bool missing_interface =
        std::any_of(diags.begin(), diags.end(), [](const parsers::diagnostic& d) {
          return d.code_ == ka::codes::no_interface_here;
        });
    if (missing_interface) {
      report << "Non-existent interface specified in configuration\n";
    }
    if (diags.has_errors() || missing_interface) return exit_config_errors;
    if (a.script_security_violation_) return exit_script_security;
    return exit_ok;
  }
  return run_vrrp_daemon(program, o, sources, a, diags, err);
}

void lint_keepalived(parsers::source_registry& sources, parsers::file_id file,
                     parsers::diagnostics& diags) {
  // `tandem check` prints and exits once the files are linted: their analyses (for a large
  // file a tree node per line, and the model) are left for the end of the process instead of
  // being freed piece by piece, which took a tenth of checking a 100,000-line file. They stay
  // reachable, so leak checkers do not report them.
  static auto* const kept = new std::vector<ka::analysis>();
  constexpr std::size_t heap_per_byte = 24;  // heap bytes per byte of keepalived.conf, measured
  prepare_heap_for(sources.file(file).text().size(), heap_per_byte);
  kept->push_back(ka::analyse_file(file, sources, options_for_this_machine("", true), diags));
}

void lint_keepalived_cluster(parsers::source_registry& sources,
                             std::span<const parsers::file_id> files, parsers::diagnostics& diags) {
  std::vector<ka::analysis> analyses;
  analyses.reserve(files.size());
  for (const parsers::file_id file : files) {
    // Each file's own problems are reported by lint_keepalived; here only the cross-file ones.
    diagnostics own;
    analyses.push_back(ka::analyse_file(file, sources, options_for_this_machine("", false), own));
  }
  std::vector<ka::cluster_member> members;
  for (std::size_t i = 0; i < files.size(); ++i) {
    members.push_back({files[i], &analyses[i].model_});
  }
  ka::check_cluster(members, sources, diags);
}

bool migrate_keepalived(parsers::source_registry& sources, parsers::file_id file,
                        std::ostream& out, parsers::diagnostics& diags) {
  // Another machine's file is migrated here too: its interfaces are not this machine's.
  const ka::analysis a = ka::analyse_file(file, sources, options_for_this_machine("", false), diags);
  out << ka::migrate(a, sources, file, diags);
  return !diags.has_errors();
}

}  // namespace tandem::tools
