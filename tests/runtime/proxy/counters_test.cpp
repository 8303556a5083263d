// The stats counters: rates read as HAProxy's freq_ctr, swrate averages, state history.
#include "runtime/proxy/counters.hpp"

#include <gtest/gtest.h>

namespace tandem::runtime::proxy {
namespace {

TEST(rate_counter, counts_events_of_the_current_second) {
  rate_counter r;
  const std::uint64_t t = 1'000'000'000;  // on a second boundary
  for (int i = 0; i < 5; ++i) r.add(t + 100);
  EXPECT_EQ(r.rate(t + 200), 5u);
  EXPECT_EQ(r.max(), 5u);
}

TEST(rate_counter, the_previous_second_fades_over_the_next) {
  rate_counter r;
  const std::uint64_t t = 1'000'000'000;
  for (int i = 0; i < 10; ++i) r.add(t + 500);
  // Half-way through the next second, half of the last second's events still count.
  EXPECT_EQ(r.rate(t + 1500), 5u);
  r.add(t + 1500);
  EXPECT_EQ(r.rate(t + 1500), 6u);
  // Two seconds later nothing is left.
  EXPECT_EQ(r.rate(t + 3500), 0u);
  EXPECT_EQ(r.max(), 10u);
}

TEST(average_time, averages_over_the_samples_taken_and_keeps_the_largest) {
  average_time a;
  a.add(10);
  a.add(30);
  EXPECT_EQ(a.average(2), 20u);
  EXPECT_EQ(a.max(), 30u);
}

TEST(average_time, past_1024_samples_older_ones_weigh_less) {
  average_time a;
  for (int i = 0; i < 4096; ++i) a.add(100);
  EXPECT_NEAR(a.average(4096), 98, 2);  // swrate converges from below
  for (int i = 0; i < 4096; ++i) a.add(0);
  EXPECT_LT(a.average(8192), 5u);
}

TEST(state_history, downtime_adds_up_each_down_period) {
  state_history h;
  EXPECT_EQ(h.downtime(), 0u);
  h.down_since_ = 100;
  h.downs_ = 1;
  EXPECT_EQ(h.downtime(130), 30u);
  h.down_seconds_ = 30;
  h.down_since_ = 0;
  EXPECT_EQ(h.downtime(500), 30u);
  h.went_down();
  EXPECT_EQ(h.downs_.load(), 2u);
  EXPECT_NE(h.down_since_.load(), 0u);
  h.went_up();
  EXPECT_EQ(h.down_since_.load(), 0u);
}

TEST(traffic_counters, statuses_go_to_their_class) {
  traffic_counters c;
  c.response_status(200);
  c.response_status(204);
  c.response_status(503);
  c.response_status(99);
  c.response_status(600);
  EXPECT_EQ(c.responses_[1].load(), 2u);
  EXPECT_EQ(c.responses_[4].load(), 1u);
  EXPECT_EQ(c.responses_[5].load(), 2u);
  c.session_started(3);
  c.session_started(1);
  EXPECT_EQ(c.sessions_total_.load(), 2u);
  EXPECT_EQ(c.sessions_max_.load(), 3u);
  EXPECT_NE(c.last_session_.load(), 0u);
}

}  // namespace
}  // namespace tandem::runtime::proxy
