// Time as the VRRP state machine sees it: a value passed in with every event, never read
// from a clock inside, so tests drive it with a virtual clock and stay deterministic.
#pragma once

#include <chrono>
#include <cstdint>

namespace tandem::runtime::vrrp {

// keepalived keeps VRRP timers in microseconds (TIMER_HZ 1000000); so do we, so the skew
// time and the master-down interval come out to the same microsecond as keepalived's.
using duration = std::chrono::microseconds;
using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

// The time point of a steady_clock reading, for the adapter that feeds real time in.
inline time_point to_vrrp_time(std::chrono::steady_clock::time_point t) {
  return std::chrono::time_point_cast<duration>(t);
}

}  // namespace tandem::runtime::vrrp
