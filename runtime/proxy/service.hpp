// Runs a proxy_set on an event_loop: opens every frontend's listeners (one SO_REUSEPORT socket
// per thread), accepts, and hands each connection to a tcp or http session on the thread that
// accepted it. Soft stop closes the listeners and lets sessions finish; hard stop ends them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "runtime/checks/spec.hpp"
#include "runtime/core/event_loop.hpp"
#include "runtime/core/process_handover.hpp"
#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy {

// Where the proxy's alerts and notices go (stderr in the foreground, later syslog).
using log_sink = std::function<void(std::string_view level, std::string_view message)>;

// What a listener is bound to (family, address, port, interface, v6only, transparent), the
// key by which a reloaded process recognises a socket it can take over.
std::string listener_key(const listen_address& a);

class service {
 public:
  service(proxy_set& proxies, event_loop& loop, log_sink log);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Binds every listener on every thread; false with `error` set as HAProxy words it
  // ("Starting frontend f: cannot bind socket (Address already in use) [127.0.0.1:80]").
  // With `inherited` (sockets handed over by the process this one replaces), a listener whose
  // key matches takes those sockets instead of binding (their descriptors are set to -1 in
  // `inherited`; the caller closes what is left). Threads without an inherited socket bind
  // one more into the same SO_REUSEPORT group.
  bool open_listeners(std::string& error, std::vector<listening_socket>* inherited = nullptr);
  // The listening sockets (one per listener per thread), for the process replacing this one.
  // Call on the loop's thread 0; empty once stopping.
  std::vector<listening_socket> listening_sockets() const;
  // SIGTTOU/SIGTTIN: stop accepting and leave the kernel's listening table (the port stays
  // bound; connections are refused), then listen again.
  void pause_listeners();
  void resume_listeners();
  // A server's health check; its transitions take the server out of rotation and back, with
  // HAProxy's log lines. Call before start().
  void add_check(backend& be, server& s, checks::check_spec spec);
  // Starts accepting and checking (call before event_loop::run()).
  void start();
  // Stops accepting; the loop ends when the last session has ended.
  void soft_stop();
  // Ends everything now.
  void hard_stop();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace tandem::runtime::proxy
