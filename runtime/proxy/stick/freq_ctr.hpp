// HAProxy's freq_ctr over a period (src/freq_ctr.c, include/haproxy/freq_ctr.h in 2.6): the
// events of the current period plus the previous period's, weighted by how much of the
// current period is still to come. Ticks are milliseconds that wrap at 2^32, as HAProxy's.
#pragma once

#include <cstdint>

namespace tandem::runtime::proxy::stick {

struct freq_ctr {
  std::uint32_t curr_tick_ = 0;  // start of the current period
  std::uint32_t curr_ctr_ = 0;   // events in the current period
  std::uint32_t prev_ctr_ = 0;   // events in the previous period
};

// update_freq_ctr_period(): adds `inc` events at `now`, rotating the periods first when the
// current one is over (both are cleared when more than one period passed).
std::uint32_t update_freq_ctr(freq_ctr& c, std::uint32_t period, std::uint32_t inc,
                              std::uint32_t now);

// read_freq_ctr_period(): events per period at `now`, with HAProxy's correction that keeps
// a rate of 0 or 1 event per period from flapping.
std::uint32_t read_freq_ctr(const freq_ctr& c, std::uint32_t period, std::uint32_t now);

}  // namespace tandem::runtime::proxy::stick
