// The arithmetic of HAProxy 2.6's period frequency counters (see freq_ctr.hpp).
#include "runtime/proxy/stick/freq_ctr.hpp"

namespace tandem::runtime::proxy::stick {

std::uint32_t update_freq_ctr(freq_ctr& c, std::uint32_t period, std::uint32_t inc,
                              std::uint32_t now) {
  if (period == 0) period = 1;
  if (now - c.curr_tick_ < period) {
    c.curr_ctr_ += inc;
    return c.curr_ctr_;
  }
  // Rotation. HAProxy keeps the low bit of curr_tick as a lock, so period starts are even.
  std::uint32_t tick = c.curr_tick_ & ~1u;
  c.prev_ctr_ = c.curr_ctr_;
  c.curr_ctr_ = inc;
  tick += period;
  if (now - tick >= period) {
    // At least two periods were missed: nothing of the past counts.
    c.prev_ctr_ = 0;
    tick = now;
  }
  c.curr_tick_ = tick & ~1u;
  return inc;
}

std::uint32_t read_freq_ctr(const freq_ctr& c, std::uint32_t period, std::uint32_t now) {
  if (period == 0) period = 1;
  std::uint64_t curr = c.curr_ctr_;
  std::uint64_t past = c.prev_ctr_;
  std::int64_t remain =
      static_cast<std::int32_t>(c.curr_tick_ + period - now);  // wrapping ticks, as HAProxy
  if (remain < 0) {
    // Past the current period: what was current is the past one, if not too old.
    remain += period;
    past = remain >= 0 ? curr : 0;
    curr = 0;
  }
  std::uint64_t total;
  if (curr == 0 && past <= 1) {
    total = past * period;  // very low rates: avoid flapping
  } else {
    total = past * static_cast<std::uint64_t>(remain < 0 ? 0 : remain) + curr * period;
  }
  return static_cast<std::uint32_t>(total / period);
}

}  // namespace tandem::runtime::proxy::stick
