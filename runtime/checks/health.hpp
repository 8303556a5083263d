// The rise/fall state machine of one server's health check, pure: check results go in; the
// counter, the server's state, whether the result is worth a log line, and the interval to
// the next check come out. No clock, no I/O, no randomness of its own (tests drive it with a
// virtual clock).
//
// It keeps HAProxy 2.6's check->health counter (src/check.c, set_server_check_status): 0 is
// DOWN, rise..rise+fall-1 is UP. A server with `check` starts UP with the counter at `rise`,
// one short of full health, so a single failure at start takes it DOWN (measured: the first
// check of a closed port logs "is DOWN" at once, not after `fall` checks); from full health it
// takes `fall` failures, and from DOWN `rise` successes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/checks/status.hpp"

namespace tandem::runtime::checks {

using duration = std::chrono::milliseconds;

struct health_settings {
  std::uint32_t rise_ = 2;  // HAProxy's DEF_RISETIME
  std::uint32_t fall_ = 3;  // DEF_FALLTIME
  duration inter_ = std::chrono::milliseconds(2000);
  // Zero: not set, `inter` is used instead (as in HAProxy).
  duration fastinter_ = duration::zero();  // while going up or down
  duration downinter_ = duration::zero();  // while fully DOWN
};

// The operational state of the server as the checks see it. stopping: UP but drained, after
// an L7OKC result (http-check disable-on-404 and a 404).
enum class server_health : std::uint8_t { up, stopping, down };
std::string_view to_string(server_health h);

// What one result did.
struct health_change {
  // The counter moved or the status differs from the previous check's: HAProxy logs a
  // "Health check for server ..." line then (with option log-health-checks).
  bool reported_ = false;
  // The server's state changed: HAProxy logs "Server B/S is UP|DOWN|stopping".
  std::optional<server_health> transition_;
};

class health_tracker {
 public:
  explicit health_tracker(const health_settings& settings);

  health_change record(const check_result& result);

  server_health state() const { return state_; }
  std::uint32_t counter() const { return counter_; }
  const health_settings& settings() const { return settings_; }
  const check_result& last() const { return last_; }
  // HAProxy's srv_getinter(): `inter` at full health, `downinter` when fully DOWN,
  // `fastinter` in between (each falling back to `inter` when not set).
  duration next_interval() const;
  // "3/3 UP", "1/2 DOWN": the status part of HAProxy's "Health check for ..." line.
  std::string status_text() const;

 private:
  health_settings settings_;
  std::uint32_t counter_;
  server_health state_ = server_health::up;
  check_result last_;
};

// HAProxy's spread-checks: an interval moved by a random amount within +/- percent of it.
// random01 is uniform in [0, 1]; 0 percent leaves the interval as is.
duration spread(duration interval, unsigned percent, double random01);

// HAProxy's start_checks(): the first checks of all servers are spread over the shortest
// interval of 1 s or more among them, check i of n starting at i/n of it. `intervals` holds
// each check's interval at start (health_tracker::next_interval() before any result), in
// configuration order; max_spread (global max-spread-checks, zero: none) caps the base.
std::vector<duration> first_check_delays(std::span<const duration> intervals, unsigned percent,
                                         const std::function<double()>& random01,
                                         duration max_spread = duration::zero());

}  // namespace tandem::runtime::checks
