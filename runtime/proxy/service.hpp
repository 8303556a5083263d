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
#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy {

// Where the proxy's alerts and notices go (stderr in the foreground, later syslog).
using log_sink = std::function<void(std::string_view level, std::string_view message)>;

class service {
 public:
  service(proxy_set& proxies, event_loop& loop, log_sink log);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Binds every listener on every thread; false with `error` set as HAProxy words it
  // ("Starting frontend f: cannot bind socket (Address already in use) [127.0.0.1:80]").
  bool open_listeners(std::string& error);
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
