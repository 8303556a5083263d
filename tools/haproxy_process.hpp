// The haproxy command's process life around a running configuration: the master of
// master-worker mode (-W, -Ws, `master-worker`), the worker's link to it, the listeners a
// reloaded process takes over (-sf/-st PID..., -x SOCKET), the signals sent to the processes
// it replaces, and systemd's readiness notification.
#pragma once

#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/process_handover.hpp"
#include "runtime/proxy/objects.hpp"
#include "tools/haproxy_cli.hpp"

namespace tandem::tools {

// HAProxy 2.6's message prefix: "[NOTICE]   (PID) : ".
std::string process_prefix(std::string_view level);

// A worker started by a master: the pipe on which it says it is ready, and whether the master
// is a daemon (the worker then leaves the terminal once ready). Read from the environment.
struct worker_link {
  int ready_fd_ = -1;
  bool daemon_ = false;
  bool first_ = false;  // the master's first worker: the master has printed the warnings
};
std::optional<worker_link> worker_from_environment();
// Tells the master that this worker listens (and forgets the link).
void report_ready(worker_link& link);

// The master: starts a worker (this executable again, with the same arguments but no -W, -D,
// -p), reloads on SIGUSR2 or SIGHUP (a new worker with -sf the old ones, which takes over
// their listeners), forwards SIGTERM, SIGINT, SIGUSR1, SIGTTOU and SIGTTIN, and exits when
// its workers have, with HAProxy's status. `daemon` detaches first; `pid_file` gets the
// master's PID. Returns the exit status.
int run_haproxy_master(std::string_view program, std::span<const std::string_view> args,
                       const haproxy_options& o, bool daemon, const std::string& pid_file,
                       std::ostream& err);

// The listening sockets of the process(es) this one replaces: from `-x SOCKET`, else from the
// first -sf/-st PID that offers them. False (with `error`) only when -x was given and failed,
// which stops HAProxy too.
bool inherit_listeners(const haproxy_options& o, std::vector<runtime::listening_socket>& out,
                       std::string& error);

// -sf: SIGUSR1 to each old PID (finish, then exit); -st: SIGTERM.
void signal_old_processes(const haproxy_options& o);

// What HAProxy prints on SIGHUP (without a master): each proxy's servers and connection counts,
// in declaration order, as warning-level lines without their prefix.
std::vector<std::string> server_state_dump(const runtime::proxy::proxy_set& proxies);

// sd_notify(3) without libsystemd: a datagram to $NOTIFY_SOCKET, if set.
void notify_systemd(std::string_view state);

}  // namespace tandem::tools
