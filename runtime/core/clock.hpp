// Cheap clocks: the kernel's coarse clocks (updated each tick, a few milliseconds apart) cost
// a tenth of a precise reading on this kind of machine. For deadlines of timeouts, rates and
// the stats' dates, where HAProxy itself reads a time cached once per loop turn; not for the
// log's millisecond timers.
#pragma once

#include <chrono>
#include <cstdint>

#include <time.h>

namespace tandem::runtime {

// steady_clock's time (CLOCK_MONOTONIC) at tick resolution: at most one tick behind it.
inline std::chrono::steady_clock::time_point coarse_steady_now() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
  return std::chrono::steady_clock::time_point(std::chrono::seconds(t.tv_sec) +
                                               std::chrono::nanoseconds(t.tv_nsec));
}

// Milliseconds since the epoch (CLOCK_REALTIME) at tick resolution.
inline std::uint64_t coarse_wall_milliseconds() {
  timespec t{};
  clock_gettime(CLOCK_REALTIME_COARSE, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1000u + static_cast<std::uint64_t>(t.tv_nsec) / 1000000u;
}

}  // namespace tandem::runtime
