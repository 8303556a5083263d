// One server's health check, running: the first check after spec.first_delay_, then one
// every health_tracker::next_interval() (inter, fastinter or downinter, spread by
// spread-checks) after the previous one ends, each result fed to the rise/fall state
// machine and reported through a callback.
//
// The callback runs on the executor's thread; the proxy makes its own state thread-safe.
// start() and stop() may be called from any thread; after stop() no callback starts, and the
// object may be destroyed (the running coroutine keeps what it needs alive until it ends).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "runtime/checks/health.hpp"
#include "runtime/checks/spec.hpp"
#include "runtime/checks/status.hpp"

namespace tandem::runtime::checks {

struct check_event {
  check_result result_;
  health_change change_;  // reported_: worth a "Health check for ..." line; transition_
  server_health state_ = server_health::up;
  std::uint32_t counter_ = 0;  // HAProxy's check->health after this result
  std::string status_text_;    // "3/3 UP"
  // The line HAProxy's option log-health-checks would write for it.
  std::string health_check_line_;
};

class server_check {
 public:
  // random01 (uniform in [0, 1]) drives spread-checks; empty: no spread.
  server_check(boost::asio::any_io_executor executor, check_spec spec,
               std::function<void(const check_event&)> on_event,
               std::function<double()> random01 = {});
  ~server_check();
  server_check(const server_check&) = delete;
  server_check& operator=(const server_check&) = delete;

  // False when the spec cannot run (a bad regex, no connect step): start() then does nothing.
  bool valid() const;
  const std::string& error() const;

  void start();
  // Cancels the timer and the check in progress; no callback starts after it returns.
  void stop();

 private:
  struct state;
  static boost::asio::awaitable<void> run(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
};

}  // namespace tandem::runtime::checks
