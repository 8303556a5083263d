// HAProxy 2.6's period frequency counters, worked by hand from src/freq_ctr.c.
#include "runtime/proxy/stick/freq_ctr.hpp"

#include <gtest/gtest.h>

namespace tandem::runtime::proxy::stick {
namespace {

TEST(FreqCtr, CountsEventsOfTheCurrentPeriod) {
  freq_ctr c;
  const std::uint32_t start = 1'000'000;
  for (int i = 0; i < 5; ++i) update_freq_ctr(c, 10'000, 1, start + i);
  EXPECT_EQ(read_freq_ctr(c, 10'000, start + 10), 5u);
  EXPECT_EQ(c.curr_tick_, start);  // the first event starts the period (even tick)
}

TEST(FreqCtr, ThePreviousPeriodFadesAsTheCurrentOneGoesOn) {
  freq_ctr c;
  const std::uint32_t start = 2'000'000;
  update_freq_ctr(c, 10'000, 30, start);
  // Next period, 4 s in: 14 new events, 30 * 6/10 of the old ones.
  update_freq_ctr(c, 10'000, 14, start + 14'000);
  EXPECT_EQ(c.prev_ctr_, 30u);
  EXPECT_EQ(c.curr_tick_, start + 10'000);
  EXPECT_EQ(read_freq_ctr(c, 10'000, start + 14'000), 14u + 18u);
  // Read 2 periods later than its start: only the past (then current) period, fading.
  EXPECT_EQ(read_freq_ctr(c, 10'000, start + 25'000), 14u * 5 / 10);
  // More than two periods later: nothing.
  EXPECT_EQ(read_freq_ctr(c, 10'000, start + 30'001), 0u);
}

TEST(FreqCtr, AGapOfTwoPeriodsForgetsEverything) {
  freq_ctr c;
  update_freq_ctr(c, 1'000, 7, 500'000);
  update_freq_ctr(c, 1'000, 1, 503'500);
  EXPECT_EQ(c.prev_ctr_, 0u);
  EXPECT_EQ(c.curr_tick_, 503'500u);
  EXPECT_EQ(read_freq_ctr(c, 1'000, 503'600), 1u);
}

TEST(FreqCtr, LowRatesDoNotFlap) {
  freq_ctr c;
  update_freq_ctr(c, 10'000, 1, 100'000);
  // Next period, near its end: the past single event still reads 1, not 0.
  EXPECT_EQ(read_freq_ctr(c, 10'000, 119'000), 1u);
}

TEST(FreqCtr, TicksWrap) {
  freq_ctr c;
  const std::uint32_t start = 0xffffff00u;
  update_freq_ctr(c, 1'000, 3, start);
  update_freq_ctr(c, 1'000, 2, start + 600);  // wrapped past zero
  EXPECT_EQ(read_freq_ctr(c, 1'000, start + 700), 5u);
}

}  // namespace
}  // namespace tandem::runtime::proxy::stick
