// The rise/fall state machine driven by a virtual clock: HAProxy 2.6's counter, transitions,
// reporting and choice of interval, and the spreading of first checks.
#include "runtime/checks/health.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace tandem::runtime::checks {
namespace {

using namespace std::chrono_literals;

check_result passed() {
  return check_result{check_status::l7ok, 200, "", 0ms};
}
check_result failed() {
  return check_result{check_status::l4con, 0, "Connection refused", 0ms};
}

TEST(checks_health_test, StartsUpOneShortOfFullHealthSoOneFailureTakesItDown) {
  // Measured: a closed port is logged "is DOWN" after the very first check, not after fall.
  health_tracker t(health_settings{});
  EXPECT_EQ(t.state(), server_health::up);
  EXPECT_EQ(t.counter(), 2U);
  const health_change c = t.record(failed());
  EXPECT_TRUE(c.reported_);
  ASSERT_TRUE(c.transition_);
  EXPECT_EQ(*c.transition_, server_health::down);
  EXPECT_EQ(t.counter(), 0U);
  EXPECT_EQ(t.status_text(), "0/2 DOWN");
}

TEST(checks_health_test, AFirstSuccessReachesFullHealthWithoutATransition) {
  health_tracker t(health_settings{});
  const health_change c = t.record(passed());
  EXPECT_TRUE(c.reported_);  // "Health check for server ... succeeded ... status: 3/3 UP"
  EXPECT_FALSE(c.transition_);
  EXPECT_EQ(t.status_text(), "3/3 UP");
}

TEST(checks_health_test, FallFailuresFromFullHealthThenRiseSuccesses) {
  health_tracker t(health_settings{});
  t.record(passed());
  std::vector<std::string> statuses;
  for (int i = 0; i < 3; ++i) {
    const health_change c = t.record(failed());
    statuses.push_back(t.status_text());
    EXPECT_EQ(c.transition_.has_value(), i == 2);
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"2/3 UP", "1/3 UP", "0/2 DOWN"}));
  EXPECT_EQ(t.state(), server_health::down);
  // A failure while fully down changes nothing and is not worth a line.
  EXPECT_FALSE(t.record(failed()).reported_);
  const health_change first = t.record(passed());
  EXPECT_TRUE(first.reported_);
  EXPECT_FALSE(first.transition_);
  EXPECT_EQ(t.status_text(), "1/2 DOWN");
  const health_change second = t.record(passed());
  ASSERT_TRUE(second.transition_);
  EXPECT_EQ(*second.transition_, server_health::up);
  EXPECT_EQ(t.status_text(), "3/3 UP");
}

TEST(checks_health_test, AChangedStatusIsReportedEvenWhenTheCounterStays) {
  health_tracker t(health_settings{});
  t.record(passed());
  EXPECT_FALSE(t.record(passed()).reported_);
  check_result other = passed();
  other.status_ = check_status::l4ok;
  EXPECT_TRUE(t.record(other).reported_);
}

TEST(checks_health_test, ConditionalPassDrainsThenAPassBringsItBackUp) {
  health_tracker t(health_settings{});
  t.record(passed());
  const health_change c = t.record(check_result{check_status::l7okc, 404, "", 1ms});
  ASSERT_TRUE(c.transition_);
  EXPECT_EQ(*c.transition_, server_health::stopping);
  EXPECT_TRUE(c.reported_);
  EXPECT_EQ(t.status_text(), "3/3 UP");
  const health_change back = t.record(passed());
  ASSERT_TRUE(back.transition_);
  EXPECT_EQ(*back.transition_, server_health::up);
}

TEST(checks_health_test, RiseAndFallOfOne) {
  health_tracker t(health_settings{1, 1, 2000ms, 0ms, 0ms});
  EXPECT_EQ(t.status_text(), "1/1 UP");
  EXPECT_EQ(*t.record(failed()).transition_, server_health::down);
  EXPECT_EQ(*t.record(passed()).transition_, server_health::up);
}

// A virtual clock: checks take no time, the next one starts next_interval() later.
struct timeline_entry {
  std::chrono::milliseconds at_;
  std::string status_;
  std::optional<server_health> transition_;
};

std::vector<timeline_entry> simulate(const health_settings& settings,
                                     const std::function<bool(std::chrono::milliseconds)>& up,
                                     std::chrono::milliseconds until) {
  health_tracker t(settings);
  std::vector<timeline_entry> out;
  for (std::chrono::milliseconds now = 0ms; now <= until; now += t.next_interval()) {
    const health_change c = t.record(up(now) ? passed() : failed());
    if (c.reported_ || c.transition_) {
      out.push_back({now, t.status_text(), c.transition_});
    }
  }
  return out;
}

TEST(checks_health_test, IntervalsOnAVirtualClock) {
  // inter 2s at full health, fastinter 500ms while going up or down, downinter 5s while DOWN.
  const health_settings s{2, 3, 2000ms, 500ms, 5000ms};
  const auto up = [](std::chrono::milliseconds t) { return t < 10s || t >= 30s; };
  const std::vector<timeline_entry> got = simulate(s, up, 34s);
  ASSERT_EQ(got.size(), 6U);
  EXPECT_EQ(got[0].at_, 0ms);  // 2 -> full health
  EXPECT_EQ(got[0].status_, "3/3 UP");
  EXPECT_EQ(got[1].at_, 10s);  // first failure, then fastinter
  EXPECT_EQ(got[1].status_, "2/3 UP");
  EXPECT_EQ(got[2].at_, 10500ms);
  EXPECT_EQ(got[3].at_, 11s);
  EXPECT_EQ(got[3].transition_, server_health::down);
  // Down: checks at 16s, 21s, 26s (silent), 31s (first success), then fastinter.
  EXPECT_EQ(got[4].at_, 31s);
  EXPECT_EQ(got[4].status_, "1/2 DOWN");
  EXPECT_EQ(got[5].at_, 31500ms);
  EXPECT_EQ(got[5].transition_, server_health::up);
}

TEST(checks_health_test, UnsetFastAndDownIntervalsFallBackToInter) {
  health_tracker t(health_settings{2, 3, 1500ms, 0ms, 0ms});
  EXPECT_EQ(t.next_interval(), 1500ms);  // at start: counter = rise, not full
  t.record(failed());
  EXPECT_EQ(t.next_interval(), 1500ms);
  health_tracker f(health_settings{2, 3, 1500ms, 100ms, 0ms});
  EXPECT_EQ(f.next_interval(), 100ms);  // HAProxy's first interval is fastinter when set
}

TEST(checks_health_test, SpreadMovesWithinPercent) {
  EXPECT_EQ(spread(2000ms, 0, 0.0), 2000ms);
  EXPECT_EQ(spread(2000ms, 50, 0.0), 3000ms);
  EXPECT_EQ(spread(2000ms, 50, 1.0), 1000ms);
  EXPECT_EQ(spread(2000ms, 50, 0.5), 2000ms);
}

TEST(checks_health_test, FirstChecksAreSpreadOverTheShortestInterval) {
  const std::vector<std::chrono::milliseconds> same{2000ms, 2000ms, 2000ms, 2000ms};
  EXPECT_EQ(first_check_delays(same, 0, {}),
            (std::vector<std::chrono::milliseconds>{0ms, 500ms, 1000ms, 1500ms}));
  // Checks faster than 1 s do not shorten the others' spread; slower ones use their own.
  const std::vector<std::chrono::milliseconds> mixed{300ms, 4000ms, 2000ms};
  EXPECT_EQ(first_check_delays(mixed, 0, {}),
            (std::vector<std::chrono::milliseconds>{0ms, 1333ms, 1333ms}));
  // max-spread-checks caps the base.
  EXPECT_EQ(first_check_delays(same, 0, {}, 1000ms),
            (std::vector<std::chrono::milliseconds>{0ms, 250ms, 500ms, 750ms}));
  // spread-checks moves the base by the injected randomness.
  EXPECT_EQ(first_check_delays(same, 50, [] { return 0.0; }),
            (std::vector<std::chrono::milliseconds>{0ms, 750ms, 1500ms, 2250ms}));
}

}  // namespace
}  // namespace tandem::runtime::checks
