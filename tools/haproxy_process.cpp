// See haproxy_process.hpp.
#include "tools/haproxy_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>

#include "runtime/core/process_name.hpp"

namespace tandem::tools {

namespace {

constexpr const char* worker_variable = "TANDEM_HAPROXY_WORKER";

// The signals the master handles itself (blocked, read from a signalfd).
sigset_t master_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (const int s : {SIGCHLD, SIGUSR1, SIGUSR2, SIGHUP, SIGTERM, SIGINT, SIGTTOU, SIGTTIN}) {
    sigaddset(&set, s);
  }
  return set;
}

// The worker's command line: the master's without what only the master does (-W, -Ws, -D,
// -p FILE, -S SOCKET, -C DIR: the worker starts in the directory the master changed to) and
// without the PIDs to replace (given per start).
std::vector<std::string> worker_arguments(std::span<const std::string_view> args) {
  std::vector<std::string> out;
  static constexpr std::string_view with_value = "CnmNLf";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--") {
      for (; i < args.size(); ++i) out.emplace_back(args[i]);
      break;
    }
    if (a == "-W" || a == "-Ws" || a == "-D") continue;
    if (a == "-p" || a == "-x" || a == "-S" || a == "-C") {
      ++i;
      continue;
    }
    if (a == "-sf" || a == "-st") {
      while (i + 1 < args.size() && (args[i + 1].empty() || args[i + 1][0] != '-')) ++i;
      continue;
    }
    out.emplace_back(a);
    if (a.size() == 2 && a[0] == '-' && with_value.find(a[1]) != std::string_view::npos &&
        i + 1 < args.size()) {
      out.emplace_back(args[++i]);
    }
  }
  return out;
}

std::string exit_text(int status) {
  return status < 128 ? "Exit" : std::string(::strsignal(status - 128));
}

int status_code(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

struct worker {
  pid_t pid_ = -1;
  int ready_fd_ = -1;  // read end of its readiness pipe until it is ready or gone
  bool ready_ = false;
  bool leaving_ = false;  // replaced by a newer worker, finishing its sessions
};

class master {
 public:
  master(std::string_view program, std::span<const std::string_view> args, bool daemon,
         bool systemd, std::ostream& err)
      : arguments_(worker_arguments(args)), daemon_(daemon), systemd_(systemd), err_(err) {
    for (std::size_t start = 0; start < program.size();) {
      const std::size_t space = std::min(program.find(' ', start), program.size());
      program_.emplace_back(program.substr(start, space - start));
      start = space + 1;
    }
  }

  // Starts the first worker and runs until every worker has exited. `started` is called once
  // the first worker is ready (true) or has failed (false).
  int run(const haproxy_options& o, const std::function<void(bool)>& started) {
    const sigset_t set = master_signals();
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
    signal_fd_ = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    std::vector<std::string> first;
    if (o.old_unix_socket_) first = {"-x", *o.old_unix_socket_};
    if (!o.old_pids_.empty()) {
      first.emplace_back(o.old_pids_signal_ == haproxy_old_pids_signal::terminate ? "-st" : "-sf");
      for (const long pid : o.old_pids_) first.push_back(std::to_string(pid));
    }
    if (!spawn(first)) {
      started(false);
      return 1;
    }
    started_ = started;
    while (!workers_.empty()) {
      std::vector<pollfd> fds{{signal_fd_, POLLIN, 0}};
      for (const worker& w : workers_) {
        if (w.ready_fd_ >= 0) fds.push_back({w.ready_fd_, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) on_ready_pipe(fds[i].fd);
      }
      if (fds[0].revents != 0) on_signals();
      reap();
    }
    if (started_) started_(false);
    log("WARNING", "All workers exited. Exiting... (" + std::to_string(std::max(exit_code_, 0)) +
                       ")");
    return std::max(exit_code_, 0);
  }

 private:
  void log(std::string_view level, const std::string& message) {
    err_ << process_prefix(level) << message << std::endl;
  }

  bool spawn(const std::vector<std::string>& extra) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
    std::vector<std::string> words = program_;
    words.insert(words.end(), extra.begin(), extra.end());
    words.insert(words.end(), arguments_.begin(), arguments_.end());
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::string link = std::to_string(pipe_fds[1]);
    if (daemon_) link += ",daemon";
    if (workers_.empty() && !started_once_) link += ",first";
    started_once_ = true;
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(pipe_fds[0]);
      ::close(pipe_fds[1]);
      log("ALERT", std::string("Cannot fork a new worker: ") + std::strerror(errno) + ".");
      return false;
    }
    if (pid == 0) {
      const sigset_t set = master_signals();
      ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
      ::fcntl(pipe_fds[1], F_SETFD, 0);  // the worker keeps the write end across exec
      ::setenv(worker_variable, link.c_str(), 1);
      ::execv("/proc/self/exe", argv.data());
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    workers_.push_back({pid, pipe_fds[0], false, false});
    log("NOTICE", "New worker (" + std::to_string(pid) + ") forked");
    return true;
  }

  worker* find(pid_t pid) {
    for (worker& w : workers_) {
      if (w.pid_ == pid) return &w;
    }
    return nullptr;
  }

  void on_ready_pipe(int fd) {
    auto it = std::find_if(workers_.begin(), workers_.end(),
                           [fd](const worker& w) { return w.ready_fd_ == fd; });
    if (it == workers_.end()) return;
    char byte = 0;
    const ssize_t n = ::read(fd, &byte, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    ::close(fd);
    it->ready_fd_ = -1;
    if (n == 1) {
      it->ready_ = true;
      // The new worker has told the old ones to finish (it ran with -sf).
      for (worker& w : workers_) {
        if (w.pid_ != it->pid_) w.leaving_ = true;
      }
      log("NOTICE", "Loading success.");
      if (systemd_) notify_systemd("READY=1\nMAINPID=" + std::to_string(::getpid()));
      if (started_) {
        started_(true);
        started_ = nullptr;
      }
    }
    // EOF: the worker exits before it listens; reap() reports it.
  }

  void on_signals() {
    signalfd_siginfo info;
    while (::read(signal_fd_, &info, sizeof info) == sizeof info) {
      const int number = static_cast<int>(info.ssi_signo);
      if (number == SIGCHLD) continue;  // reap() follows
      if (number == SIGUSR2 || number == SIGHUP) {
        reload();
        continue;
      }
      if (number == SIGTERM || number == SIGINT) {
        log("WARNING", "Exiting Master process...");
        stopping_ = true;
      } else if (number == SIGUSR1) {
        stopping_ = true;
      }
      for (const worker& w : workers_) ::kill(w.pid_, number);
    }
  }

  void reload() {
    if (stopping_) return;
    log("NOTICE", "Reloading HAProxy");
    if (systemd_) notify_systemd("RELOADING=1");
    std::vector<std::string> extra{"-sf"};
    for (const worker& w : workers_) extra.push_back(std::to_string(w.pid_));
    if (!spawn(extra)) log("WARNING", "Loading failure!");
  }

  void reap() {
    int wait_status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &wait_status, WNOHANG)) > 0) {
      worker* w = find(pid);
      if (w == nullptr) continue;
      const int status = status_code(wait_status);
      const std::string who = std::to_string(pid);
      if (w->ready_fd_ >= 0) ::close(w->ready_fd_);
      // A worker with a newer one after it is being replaced, even when its exit is seen
      // before the newer one's readiness.
      const bool leaving = w->leaving_ || w != &workers_.back();
      const bool ready = w->ready_;
      std::erase_if(workers_, [pid](const worker& x) { return x.pid_ == pid; });
      if (leaving) {
        log("WARNING", "Former worker (" + who + ") exited with code " + std::to_string(status) +
                           " (" + exit_text(status) + ")");
        continue;
      }
      if (!ready && !workers_.empty()) {
        // A reload whose worker could not start: the running ones stay.
        log("WARNING", "Loading failure!");
        if (systemd_) notify_systemd("READY=1");
        continue;
      }
      log(status < 128 ? "WARNING" : "ALERT", "Current worker (" + who + ") exited with code " +
                                                  std::to_string(status) + " (" +
                                                  exit_text(status) + ")");
      if (status != 0 && status != 130 && status != 143 && !workers_.empty()) {
        log("ALERT", "exit-on-failure: killing every processes with SIGTERM");
        for (const worker& x : workers_) ::kill(x.pid_, SIGTERM);
      }
      // 0 and SIGTERM's 143 are a normal end; anything else is the master's status too.
      if (exit_code_ < 0 && status != 0 && status != 143) exit_code_ = status;
    }
  }

  std::vector<std::string> program_;
  std::vector<std::string> arguments_;
  bool daemon_;
  bool systemd_;
  std::ostream& err_;
  int signal_fd_ = -1;
  std::vector<worker> workers_;
  bool stopping_ = false;
  bool started_once_ = false;
  int exit_code_ = -1;
  std::function<void(bool)> started_;
};

}  // namespace

std::string process_prefix(std::string_view level) {
  std::string tag(1, '[');
  tag += level;
  tag += ']';
  tag.resize(std::max<std::size_t>(tag.size(), 10), ' ');
  tag += " (";
  tag += std::to_string(::getpid());
  tag += ") : ";
  return tag;
}

std::optional<worker_link> worker_from_environment() {
  const char* value = std::getenv(worker_variable);
  if (value == nullptr) return std::nullopt;
  worker_link link;
  const std::string text(value);
  link.ready_fd_ = std::atoi(text.c_str());
  link.daemon_ = text.find(",daemon") != std::string::npos;
  link.first_ = text.find(",first") != std::string::npos;
  ::unsetenv(worker_variable);
  if (link.ready_fd_ > 2) ::fcntl(link.ready_fd_, F_SETFD, FD_CLOEXEC);
  return link;
}

void report_ready(worker_link& link) {
  if (link.ready_fd_ < 0) return;
  const char ready = 'R';
  [[maybe_unused]] const ssize_t n = ::write(link.ready_fd_, &ready, 1);
  ::close(link.ready_fd_);
  link.ready_fd_ = -1;
}

int run_haproxy_master(std::string_view program, std::span<const std::string_view> args,
                       const haproxy_options& o, bool daemon, const std::string& pid_file,
                       std::ostream& err) {
  runtime::set_process_name("haproxy");
  // A daemon master: the first process waits for the master's word (its first worker ready
  // or failed) and exits with it, so `haproxy -W -D` fails as visibly as in the foreground.
  int status_pipe[2] = {-1, -1};
  if (daemon) {
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) return 1;
    const pid_t child = ::fork();
    if (child < 0) {
      err << process_prefix("ALERT") << "[haproxy.main()] Cannot fork: " << std::strerror(errno)
          << ".\n";
      return 1;
    }
    if (child > 0) {
      ::close(status_pipe[1]);
      char status = 1;
      if (::read(status_pipe[0], &status, 1) != 1) status = 1;
      ::_exit(status);
    }
    ::close(status_pipe[0]);
    ::setsid();
  }
  if (!pid_file.empty()) {
    std::ofstream pf(pid_file, std::ios::trunc);
    pf << ::getpid() << '\n';
  }
  master m(program, args, daemon, o.systemd_notify_, err);
  const int status = m.run(o, [&](bool ready) {
    if (status_pipe[1] < 0) return;
    const char code = ready ? 0 : 1;
    [[maybe_unused]] const ssize_t n = ::write(status_pipe[1], &code, 1);
    ::close(status_pipe[1]);
    status_pipe[1] = -1;
    if (ready) {
      const int null = ::open("/dev/null", O_RDWR);
      if (null >= 0) {
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        if (null > 2) ::close(null);
      }
    }
  });
  return status;
}

bool inherit_listeners(const haproxy_options& o, std::vector<runtime::listening_socket>& out,
                       std::string& error) {
  if (o.old_unix_socket_) {
    if (*o.old_unix_socket_ == "/dev/null") return true;
    if (const std::error_code ec = runtime::fetch_listeners(*o.old_unix_socket_, out)) {
      error = "Failed to get the sockets from the old process!";
      return false;
    }
    return true;
  }
  for (const long pid : o.old_pids_) {
    // A PID that is not a Tandem proxy (gone, or another program) simply offers nothing:
    // the new process then binds, as HAProxy does without -x.
    if (!runtime::fetch_listeners(runtime::handover_address(static_cast<pid_t>(pid)), out)) {
      return true;
    }
  }
  return true;
}

void signal_old_processes(const haproxy_options& o) {
  const int number = o.old_pids_signal_ == haproxy_old_pids_signal::terminate ? SIGTERM : SIGUSR1;
  for (const long pid : o.old_pids_) ::kill(static_cast<pid_t>(pid), number);
}

std::vector<std::string> server_state_dump(const runtime::proxy::proxy_set& proxies) {
  using runtime::proxy::backend;
  using runtime::proxy::frontend;
  // A listen section is a frontend and a backend with the same id: one proxy to HAProxy.
  std::vector<std::pair<const frontend*, const backend*>> order;
  for (const auto& fe : proxies.frontends_) order.push_back({fe.get(), nullptr});
  for (const auto& be : proxies.backends_) {
    const auto same = std::find_if(order.begin(), order.end(), [&](const auto& p) {
      return p.first != nullptr && p.first->uid_ == be->uid_ && p.first->name_ == be->name_;
    });
    if (same != order.end()) same->second = be.get();
    else order.push_back({nullptr, be.get()});
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return (a.first ? a.first->uid_ : a.second->uid_) < (b.first ? b.first->uid_ : b.second->uid_);
  });
  std::vector<std::string> lines{"SIGHUP received, dumping servers states."};
  for (const auto& [fe, be] : order) {
    const std::string& name = fe ? fe->name_ : be->name_;
    unsigned active = 0, backup = 0;
    if (be != nullptr) {
      for (const auto& s : be->servers_) {
        const bool up = s->up_.load() && !s->maintenance_.load();
        if (up) ++(s->backup_ ? backup : active);
        lines.push_back("SIGHUP: Server " + be->name_ + "/" + s->name_ + " is " +
                        (up ? "UP" : "DOWN") + ". Conn: " + std::to_string(s->current_.load()) +
                        " act, 0 pend, " +
                        std::to_string(s->counters_.sessions_total_.load()) + " tot.");
      }
    }
    const std::string counts =
        " Conn: act(FE+BE): " + std::to_string(fe ? fe->current_.load() : 0) + "+" +
        std::to_string(be ? be->current_.load() : 0) + ", 0 pend (0 unass), tot(FE+BE): " +
        std::to_string(fe ? fe->counters_.connections_total_.load() : 0) + "+" +
        std::to_string(be ? be->counters_.sessions_total_.load() : 0) + ".";
    if (be == nullptr || be->servers_.empty()) {
      lines.push_back("SIGHUP: Proxy " + name + " has no servers." + counts);
    } else if (active == 0) {
      lines.push_back("SIGHUP: Proxy " + name + " " +
                      (backup > 0 ? "is running on backup servers" : "has no server available") +
                      " !" + counts);
    } else {
      lines.push_back("SIGHUP: Proxy " + name + " has " + std::to_string(active) +
                      " active servers and " + std::to_string(backup) +
                      " backup servers available." + counts);
    }
  }
  return lines;
}

void notify_systemd(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@')) return;
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  const std::size_t length = std::min(std::strlen(path), sizeof sun.sun_path - 1);
  std::memcpy(sun.sun_path, path, length);
  if (sun.sun_path[0] == '@') sun.sun_path[0] = '\0';
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sun),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length));
  ::close(fd);
}

}  // namespace tandem::tools
