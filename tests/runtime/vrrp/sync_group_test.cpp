// vrrp_sync_group: members fault, take over and step down together.
#include <gtest/gtest.h>

#include "runtime/vrrp/state_machine.hpp"
#include "tests/runtime/vrrp/test_support.hpp"

namespace tandem::runtime::vrrp {
namespace {

using namespace testing;

instance_config member(const char* name, std::uint8_t vrid, std::uint8_t prio) {
  auto c = v2_config(prio);
  c.name_ = name;
  c.vrid_ = vrid;
  return c;
}

struct group_fixture {
  group_fixture(std::uint8_t prio_a = 100, std::uint8_t prio_b = 100)
      : a(member("VI_EXT", 51, prio_a)),
        b(member("VI_INT", 52, prio_b)),
        group("VG_1", {&a.inst_, &b.inst_}) {}
  void start() {
    a.start();
    b.start();
  }
  // Both members on one clock.
  void advance_to(time_point t) {
    advance_together({&a, &b}, t, [] {});
  }
  clocked a;
  clocked b;
  sync_group group;
};

TEST(vrrp_sync_group_test, MembersBecomeMasterTogether) {
  group_fixture g(150, 100);  // a times out first, then waits for b
  g.start();
  g.advance_to(at(v2_down(150)));
  EXPECT_EQ(g.a.inst_.current_state(), state::backup);
  g.advance_to(at(v2_down(100)));
  EXPECT_EQ(g.a.inst_.current_state(), state::master);
  EXPECT_EQ(g.b.inst_.current_state(), state::master);
  EXPECT_EQ(g.group.current_state(), state::master);
  const auto notifies = g.group.take_notifies();
  EXPECT_EQ(notifies, (std::vector<notify_kind>{notify_kind::backup, notify_kind::master}));
}

TEST(vrrp_sync_group_test, AMemberHeldByItsMasterKeepsTheGroupBackup) {
  group_fixture g;
  g.start();
  for (int s = 1; s <= 20; ++s) {
    g.advance_to(at(std::chrono::seconds(s)));
    g.b.advert(from("10.0.0.9", 200));  // b's VRID still has a live master elsewhere
  }
  EXPECT_EQ(g.a.inst_.current_state(), state::backup);
  EXPECT_EQ(g.b.inst_.current_state(), state::backup);
}

TEST(vrrp_sync_group_test, OneMemberSteppingDownTakesTheOthers) {
  group_fixture g;
  g.start();
  g.advance_to(at(10s));
  ASSERT_EQ(g.group.current_state(), state::master);
  g.a.take();
  g.b.take();
  g.a.advert(from("10.0.0.9", 200));
  g.b.drain();
  EXPECT_EQ(g.a.inst_.current_state(), state::backup);
  EXPECT_EQ(g.b.inst_.current_state(), state::backup);
  EXPECT_TRUE(has(g.b.take(), actions::remove_vips{}));
  EXPECT_EQ(g.group.current_state(), state::backup);
}

TEST(vrrp_sync_group_test, OneMemberFaultPullsTheOthersAndRecovers) {
  group_fixture g;
  g.start();
  g.advance_to(at(10s));
  g.a.take();
  g.b.take();
  g.a.inst_.on_interface(g.a.now_, false);
  g.a.drain();
  g.b.drain();
  EXPECT_EQ(g.a.inst_.current_state(), state::fault);
  EXPECT_EQ(g.b.inst_.current_state(), state::fault);
  const auto b_acts = g.b.take();
  EXPECT_TRUE(has(b_acts, actions::send_advert{0})) << describe(b_acts);
  EXPECT_TRUE(has(b_acts, actions::remove_vips{}));
  EXPECT_TRUE(has(b_acts, actions::run_notify{notify_kind::fault, 100}));
  EXPECT_EQ(g.group.current_state(), state::fault);
  // b's own adverts in are ignored while the group is FAULT.
  g.b.advert(from("10.0.0.9", 0));
  EXPECT_EQ(g.b.inst_.current_state(), state::fault);

  g.a.inst_.on_interface(g.a.now_, true);
  g.a.drain();
  g.b.drain();
  EXPECT_EQ(g.a.inst_.current_state(), state::backup);
  EXPECT_EQ(g.b.inst_.current_state(), state::backup);
  EXPECT_EQ(g.group.current_state(), state::backup);
}

TEST(vrrp_sync_group_test, FaultStaysWhileAnyMemberStillFails) {
  group_fixture g;
  g.start();
  g.a.inst_.on_interface(g.a.now_, false);
  g.b.inst_.on_interface(g.b.now_, false);
  g.a.inst_.on_interface(g.a.now_, true);
  EXPECT_EQ(g.a.inst_.current_state(), state::fault);
  g.b.inst_.on_interface(g.b.now_, true);
  EXPECT_EQ(g.a.inst_.current_state(), state::backup);
  EXPECT_EQ(g.b.inst_.current_state(), state::backup);
}

TEST(vrrp_sync_group_test, MemberTrackerWeightsBecomeZero) {
  auto ca = member("VI_EXT", 51, 100);
  ca.trackers_.push_back({"chk", -50, false, tracker_status::ok});
  clocked a(ca);
  clocked b(member("VI_INT", 52, 100));
  sync_group group("VG_1", {&a.inst_, &b.inst_});
  a.start();
  b.start();
  a.inst_.on_tracker(a.now_, 0, false);
  EXPECT_EQ(a.inst_.current_state(), state::fault);  // unweighted now: FAULT, not 50
  EXPECT_EQ(b.inst_.current_state(), state::fault);
}

TEST(vrrp_sync_group_test, TrackingWeightKeepsWeights) {
  auto ca = member("VI_EXT", 51, 100);
  ca.trackers_.push_back({"chk", -50, false, tracker_status::ok});
  clocked a(ca);
  clocked b(member("VI_INT", 52, 100));
  sync_group group("VG_1", {&a.inst_, &b.inst_}, true);
  a.start();
  b.start();
  a.inst_.on_tracker(a.now_, 0, false);
  EXPECT_EQ(a.inst_.current_state(), state::backup);
  EXPECT_EQ(a.inst_.effective_priority(), 50);
}

}  // namespace
}  // namespace tandem::runtime::vrrp
