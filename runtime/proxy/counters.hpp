// The counters HAProxy's stats (page, CSV, socket) and logs report for frontends, backends and
// servers. The sessions of every thread add to them without locks (relaxed atomics, as
// HAProxy's own counters); readers take a value at a time, so a row may mix two instants.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "runtime/core/clock.hpp"

namespace tandem::runtime::proxy {

// The wall clock as HAProxy's `now` for lastchg, lastsess and rates (tick resolution).
inline std::uint64_t wall_milliseconds() { return coarse_wall_milliseconds(); }
inline std::uint64_t wall_seconds() { return wall_milliseconds() / 1000; }

// Events per second as HAProxy's freq_ctr reads them: this second's count plus the previous
// second's, weighted by the part of it still inside the sliding one-second window; and the
// highest such rate seen. Two threads crossing a second boundary together may lose a count.
class rate_counter {
 public:
  void add(std::uint64_t now_ms = wall_milliseconds()) {
    const std::uint64_t second = now_ms / 1000;
    std::uint64_t seen = second_.load(std::memory_order_relaxed);
    if (seen != second && second_.compare_exchange_strong(seen, second)) {
      const std::uint32_t last = current_.exchange(0, std::memory_order_relaxed);
      previous_.store(second == seen + 1 ? last : 0, std::memory_order_relaxed);
    }
    current_.fetch_add(1, std::memory_order_relaxed);
    const std::uint32_t r = rate(now_ms);
    std::uint32_t m = max_.load(std::memory_order_relaxed);
    while (r > m && !max_.compare_exchange_weak(m, r, std::memory_order_relaxed)) {
    }
  }
  std::uint32_t rate(std::uint64_t now_ms = wall_milliseconds()) const {
    const std::uint64_t second = now_ms / 1000;
    const std::uint64_t seen = second_.load(std::memory_order_relaxed);
    if (seen + 1 < second) return 0;
    const std::uint64_t into = now_ms % 1000;
    if (seen + 1 == second) {
      // Nothing counted yet this second: the last one's count, fading.
      return static_cast<std::uint32_t>(current_.load(std::memory_order_relaxed) * (1000 - into) /
                                        1000);
    }
    return current_.load(std::memory_order_relaxed) +
           static_cast<std::uint32_t>(previous_.load(std::memory_order_relaxed) * (1000 - into) /
                                      1000);
  }
  std::uint32_t max() const { return max_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> second_{0};
  std::atomic<std::uint32_t> current_{0};
  std::atomic<std::uint32_t> previous_{0};
  std::atomic<std::uint32_t> max_{0};
};

// A time in milliseconds averaged as HAProxy's swrate over its last 1024 samples (the
// qtime/ctime/rtime/ttime columns), with the largest sample.
class average_time {
 public:
  static constexpr std::uint32_t samples = 1024;
  void add(std::uint32_t ms) {
    std::uint64_t sum = sum_.load(std::memory_order_relaxed);
    // swrate_add: sum = sum - sum/n + v; the average is sum/n.
    while (!sum_.compare_exchange_weak(sum, sum - sum / samples + ms, std::memory_order_relaxed)) {
    }
    std::uint32_t m = max_.load(std::memory_order_relaxed);
    while (ms > m && !max_.compare_exchange_weak(m, ms, std::memory_order_relaxed)) {
    }
  }
  // HAProxy divides by the number of samples taken while fewer than 1024 (swrate_avg).
  std::uint32_t average(std::uint64_t taken) const {
    const std::uint64_t n = std::min<std::uint64_t>(std::max<std::uint64_t>(taken, 1), samples);
    return static_cast<std::uint32_t>(sum_.load(std::memory_order_relaxed) / n);
  }
  std::uint32_t max() const { return max_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint32_t> max_{0};
};

inline void raise_to(std::atomic<std::uint32_t>& peak, std::uint32_t value) {
  std::uint32_t m = peak.load(std::memory_order_relaxed);
  while (value > m && !peak.compare_exchange_weak(m, value, std::memory_order_relaxed)) {
  }
}

// One frontend's, backend's or server's traffic. Which fields a kind of proxy fills is
// HAProxy's: see the stats library for the columns each row shows.
struct traffic_counters {
  using counter = std::atomic<std::uint64_t>;
  static constexpr auto relaxed = std::memory_order_relaxed;

  counter sessions_total_{0};           // stot (frontend: sessions; backend/server: streams)
  std::atomic<std::uint32_t> sessions_max_{0};  // smax
  rate_counter session_rate_;           // rate, rate_max
  counter connections_total_{0};        // conn_tot (frontend: accepted connections)
  rate_counter connection_rate_;        // conn_rate, conn_rate_max
  counter bytes_in_{0};                 // bin: from clients
  counter bytes_out_{0};                // bout: to clients
  counter denied_requests_{0};          // dreq
  counter denied_responses_{0};         // dresp
  counter denied_connections_{0};       // dcon (tcp-request connection reject)
  counter denied_sessions_{0};          // dses (tcp-request session reject)
  counter request_errors_{0};           // ereq
  counter connection_errors_{0};        // econ
  counter response_errors_{0};          // eresp
  counter retries_{0};                  // wretr
  counter redispatches_{0};             // wredis
  counter failed_rewrites_{0};          // wrew
  counter requests_total_{0};           // req_tot (HTTP)
  rate_counter request_rate_;           // req_rate, req_rate_max
  std::array<counter, 6> responses_{};  // hrsp_1xx … hrsp_5xx, hrsp_other
  counter client_aborts_{0};            // cli_abrt
  counter server_aborts_{0};            // srv_abrt
  counter intercepted_{0};              // intercepted (stats, redirects, returns)
  counter selected_{0};                 // lbtot: times the balancer or persistence chose it
  counter connects_{0};                 // connect: new server connections attempted
  counter reuses_{0};                   // reuse: requests sent on an idle connection
  std::atomic<std::uint32_t> queue_current_{0};  // qcur
  std::atomic<std::uint32_t> queue_max_{0};      // qmax
  counter last_session_{0};             // wall second of the last session (0: none yet)
  average_time queue_time_;             // qtime, qtime_max
  average_time connect_time_;           // ctime, ctime_max
  average_time response_time_;          // rtime, rtime_max
  average_time total_time_;             // ttime, ttime_max
  counter timed_samples_{0};            // how many requests fed the averages

  void session_started(std::uint32_t current) {
    const std::uint64_t now_ms = wall_milliseconds();
    sessions_total_.fetch_add(1, relaxed);
    session_rate_.add(now_ms);
    raise_to(sessions_max_, current);
    last_session_.store(now_ms / 1000, relaxed);
  }
  void add_bytes(std::uint64_t in, std::uint64_t out) {
    bytes_in_.fetch_add(in, relaxed);
    bytes_out_.fetch_add(out, relaxed);
  }
  // One ended stream's timers in milliseconds (-1: that stage was not reached), for the
  // qtime/ctime/rtime/ttime averages.
  void add_timings(long queue, long connect, long response, long total) {
    timed_samples_.fetch_add(1, relaxed);
    if (queue >= 0) queue_time_.add(static_cast<std::uint32_t>(queue));
    if (connect >= 0) connect_time_.add(static_cast<std::uint32_t>(connect));
    if (response >= 0) response_time_.add(static_cast<std::uint32_t>(response));
    if (total >= 0) total_time_.add(static_cast<std::uint32_t>(total));
  }
  void response_status(int status) {
    const int cls = status / 100;
    responses_[(cls >= 1 && cls <= 5) ? cls - 1 : 5].fetch_add(1, relaxed);
  }
};

// The last health check of a server as the stats show it (check_status, check_code,
// check_duration, check_desc, check_health), updated by the check on each result.
struct check_snapshot {
  bool enabled_ = false;
  std::string status_;       // "L4OK", "L7STS", … ("INI" before the first result)
  int code_ = 0;             // 0: none
  std::uint64_t duration_ms_ = 0;
  std::string description_;  // "Layer7 wrong status", with the check's info when any
  std::uint32_t health_ = 0;  // HAProxy's check->health
  std::uint32_t rise_ = 0;
  std::uint32_t fall_ = 0;
  std::uint64_t last_check_ms_ = 0;  // wall time of the last result (0: none)
};

// A server's or backend's state history: lastchg, downtime, chkfail, chkdown.
struct state_history {
  std::atomic<std::uint64_t> last_change_{wall_seconds()};  // wall second of the last change
  std::atomic<std::uint64_t> down_since_{0};  // wall second it went DOWN (0: it is not)
  std::atomic<std::uint64_t> down_seconds_{0};  // total time DOWN before down_since_
  std::atomic<std::uint64_t> check_failures_{0};  // chkfail: failed checks (servers)
  std::atomic<std::uint64_t> downs_{0};           // chkdown: UP -> DOWN transitions

  void went_down() {
    const std::uint64_t now = wall_seconds();
    last_change_.store(now);
    down_since_.store(now);
    downs_.fetch_add(1);
  }
  void went_up() {
    const std::uint64_t now = wall_seconds();
    last_change_.store(now);
    const std::uint64_t since = down_since_.exchange(0);
    if (since != 0) down_seconds_.fetch_add(now - since);
  }
  std::uint64_t downtime(std::uint64_t now = wall_seconds()) const {
    const std::uint64_t since = down_since_.load();
    return down_seconds_.load() + (since != 0 && now > since ? now - since : 0);
  }
};

}  // namespace tandem::runtime::proxy
