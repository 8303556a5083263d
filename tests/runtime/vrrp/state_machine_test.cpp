// The VRRP state machine driven by a virtual clock through the RFC 3768 / RFC 5798 scenarios
// and keepalived 2.2.7's additions (state MASTER, nopreempt, preempt_delay, trackers,
// the GARP schedule, shutdown).
#include "runtime/vrrp/state_machine.hpp"

#include <gtest/gtest.h>

#include "tests/runtime/vrrp/test_support.hpp"

namespace tandem::runtime::vrrp {
namespace {

using namespace testing;

TEST(vrrp_timers_test, SkewAndMasterDownV2) {
  instance i(v2_config(100));
  EXPECT_EQ(i.skew_time(), 609375us);  // 156/256 s
  EXPECT_EQ(i.master_down_interval(), 3609375us);
  instance j(v2_config(254));
  EXPECT_EQ(j.skew_time(), 7812us);  // 2/256 s, truncated to the microsecond
  // v2's skew does not scale with the advert interval.
  auto c = v2_config(100);
  c.advert_interval_ = 3s;
  instance k(c);
  EXPECT_EQ(k.master_down_interval(), 9s + 609375us);
}

TEST(vrrp_timers_test, SkewAndMasterDownV3ScaleWithTheInterval) {
  auto c = v2_config(100);
  c.version_ = 3;
  c.advert_interval_ = 100ms;  // advert_int 0.1
  instance i(c);
  EXPECT_EQ(i.skew_time(), 60937us);  // ((256-100) * 10 cs) / 256
  EXPECT_EQ(i.master_down_interval(), 360937us);
  c.priority_ = 200;
  instance j(c);
  EXPECT_EQ(j.master_down_interval(), 300ms + 21875us);
}

TEST(vrrp_state_test, StartsBackupThenMasterAfterMasterDown) {
  clocked r(v2_config(100));
  r.start();
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  auto first = r.take();
  EXPECT_TRUE(has(first, actions::state_changed{state::init, state::backup})) << describe(first);
  EXPECT_TRUE(has(first, actions::run_notify{notify_kind::backup, 100}));
  EXPECT_EQ(count_of<actions::send_advert>(first), 0u);

  r.advance_to(at(v2_down(100) - 1us));
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  EXPECT_TRUE(r.take().empty());
  r.advance_to(at(v2_down(100)));
  EXPECT_EQ(r.inst_.current_state(), state::master);
  const auto became = r.take();
  const std::vector<action> expected{actions::state_changed{state::backup, state::master},
                                     actions::add_vips{}, actions::send_garp{5},
                                     actions::run_notify{notify_kind::master, 100},
                                     actions::send_advert{100}};
  EXPECT_EQ(became, expected) << describe(became);

  // Then one advert per advert interval.
  r.advance(10s);
  EXPECT_EQ(count_of<actions::send_advert>(r.take()), 10u);
}

TEST(vrrp_state_test, StateMasterWithoutOwnerPriorityStillWaits) {
  auto c = v2_config(150);
  c.initial_master_ = true;
  clocked r(c);
  r.start();
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  r.advance_to(at(v2_down(150) - 1us));
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  r.advance_to(at(v2_down(150)));
  EXPECT_EQ(r.inst_.current_state(), state::master);
}

TEST(vrrp_state_test, OwnerWithStateMasterIsMasterAtOnce) {
  auto c = v2_config(255);
  c.initial_master_ = true;
  clocked r(c);
  r.start();
  EXPECT_EQ(r.inst_.current_state(), state::master);
  const auto acts = r.take();
  EXPECT_TRUE(has(acts, actions::state_changed{state::init, state::master})) << describe(acts);
  EXPECT_FALSE(has(acts, actions::run_notify{notify_kind::backup, 255}));
  EXPECT_TRUE(has(acts, actions::send_advert{255}));
}

TEST(vrrp_state_test, OwnerWithStateBackupWaitsItsShortSkew) {
  clocked r(v2_config(255));
  r.start();
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  r.advance_to(at(3s + 3906us));
  EXPECT_EQ(r.inst_.current_state(), state::master);
}

TEST(vrrp_state_test, HigherPriorityAdvertsKeepBackup) {
  clocked r(v2_config(100));
  r.start();
  for (int s = 1; s <= 30; ++s) {
    r.advance_to(at(std::chrono::seconds(s)));
    r.advert(from("10.0.0.9", 200));
  }
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  EXPECT_EQ(r.inst_.master_address(), addr("10.0.0.9"));
  // Silence: master-down after the last advert.
  r.advance_to(at(30s + v2_down(100) - 1us));
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  r.advance(1us);
  EXPECT_EQ(r.inst_.current_state(), state::master);
}

TEST(vrrp_state_test, EqualPriorityAdvertKeepsBackup) {
  clocked r(v2_config(100, "10.0.0.200"));
  r.start();
  for (int s = 1; s <= 10; ++s) {
    r.advance_to(at(std::chrono::seconds(s)));
    r.advert(from("10.0.0.1", 100));
  }
  EXPECT_EQ(r.inst_.current_state(), state::backup);
}

TEST(vrrp_state_test, LowerPriorityAdvertIsPreempted) {
  clocked r(v2_config(150));
  r.start();
  for (int s = 1; s <= 10; ++s) {
    r.advance_to(at(std::chrono::seconds(s)));
    r.advert(from("10.0.0.9", 100));
  }
  // The lower adverts did not reset the timer: master at the first master-down.
  EXPECT_EQ(r.entered(state::master), at(v2_down(150)));
}

TEST(vrrp_state_test, NopreemptKeepsBackupUnderALowerMaster) {
  auto c = v2_config(150);
  c.nopreempt_ = true;
  clocked r(c);
  r.start();
  for (int s = 1; s <= 30; ++s) {
    r.advance_to(at(std::chrono::seconds(s)));
    r.advert(from("10.0.0.9", 100));
  }
  EXPECT_EQ(r.inst_.current_state(), state::backup);
}

TEST(vrrp_state_test, PreemptDelayWaitsThenPreempts) {
  auto c = v2_config(150);
  c.preempt_delay_ = 5s;
  clocked r(c);
  r.start();
  for (int s = 1; s <= 12; ++s) {
    r.advance_to(at(std::chrono::seconds(s)));
    if (r.inst_.current_state() == state::backup) {
      r.advert(from("10.0.0.9", 100));
    }
  }
  // The first lower advert (t=1) starts the delay, ending at t=6; adverts until then still
  // reset the timer, so the last reset is at t=5 and master comes a master-down later.
  EXPECT_EQ(r.entered(state::master), at(5s + v2_down(150)));
}

TEST(vrrp_state_test, PreemptDelayStopsOnAHigherAdvert) {
  auto c = v2_config(150);
  c.preempt_delay_ = 5s;
  clocked r(c);
  r.start();
  r.advance_to(at(1s));
  r.advert(from("10.0.0.9", 100));  // delay until t=6
  r.advance_to(at(2s));
  r.advert(from("10.0.0.8", 200));  // a higher master: delay cancelled
  for (int s = 3; s <= 12; ++s) {
    r.advance_to(at(std::chrono::seconds(s)));
    if (r.inst_.current_state() == state::backup) {
      r.advert(from("10.0.0.9", 100));
    }
  }
  // A fresh delay from t=3 (ends t=8): last reset at t=7.
  EXPECT_EQ(r.entered(state::master), at(7s + v2_down(150)));
}

TEST(vrrp_state_test, MasterStepsDownForAHigherPriority) {
  clocked r(v2_config(100));
  r.start();
  r.advance_to(at(4s));
  ASSERT_EQ(r.inst_.current_state(), state::master);
  r.take();
  r.advert(from("10.0.0.9", 200));
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  const auto acts = r.take();
  const std::vector<action> expected{actions::remove_vips{},
                                     actions::state_changed{state::master, state::backup},
                                     actions::run_notify{notify_kind::backup, 100}};
  EXPECT_EQ(acts, expected) << describe(acts);
  EXPECT_EQ(r.inst_.next_deadline(), at(4s + v2_down(100)));
}

TEST(vrrp_state_test, MasterAnswersALowerPriorityAndRepeatsGarp) {
  clocked r(v2_config(150));
  r.start();
  r.advance_to(at(4s));
  ASSERT_EQ(r.inst_.current_state(), state::master);
  r.advance_to(at(10s));  // past the master's own delayed GARP
  r.take();
  r.advert(from("10.0.0.9", 100));
  EXPECT_EQ(r.inst_.current_state(), state::master);
  const auto acts = r.take();
  EXPECT_EQ(acts, (std::vector<action>{actions::send_advert{150}, actions::send_garp{5}}))
      << describe(acts);
  r.advance(5s);
  EXPECT_EQ(count_of<actions::send_garp>(r.take()), 1u);
}

TEST(vrrp_state_test, LowerPrioNoAdvertStaysQuiet) {
  auto c = v2_config(150);
  c.lower_prio_no_advert_ = true;
  c.garp_.lower_prio_repeat_ = 0;
  clocked r(c);
  r.start();
  r.advance_to(at(10s));
  r.take();
  r.advert(from("10.0.0.9", 100));
  EXPECT_TRUE(r.take().empty());
}

TEST(vrrp_state_test, HigherPrioSendAdvertAnswersBeforeSteppingDown) {
  auto c = v2_config(100);
  c.higher_prio_send_advert_ = true;
  clocked r(c);
  r.start();
  r.advance_to(at(10s));
  r.take();
  r.advert(from("10.0.0.9", 200));
  const auto acts = r.take();
  ASSERT_FALSE(acts.empty());
  EXPECT_EQ(acts.front(), action(actions::send_advert{100})) << describe(acts);
  EXPECT_EQ(r.inst_.current_state(), state::backup);
}

TEST(vrrp_state_test, BackupTakesOverSkewTimeAfterPriorityZero) {
  clocked r(v2_config(100));
  r.start();
  for (int s = 1; s <= 5; ++s) {
    r.advance_to(at(std::chrono::seconds(s)));
    r.advert(from("10.0.0.9", 200));
  }
  r.advert(from("10.0.0.9", 0));
  r.advance_to(at(5s + 609375us - 1us));
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  r.advance(1us);
  EXPECT_EQ(r.inst_.current_state(), state::master);
}

TEST(vrrp_state_test, MasterAnswersPriorityZeroAtOnce) {
  clocked r(v2_config(100));
  r.start();
  r.advance_to(at(10s));
  r.take();
  r.advert(from("10.0.0.9", 0));
  EXPECT_EQ(r.take(), (std::vector<action>{actions::send_advert{100}}));
  EXPECT_EQ(r.inst_.current_state(), state::master);
  EXPECT_EQ(r.inst_.next_deadline(), at(11s));
}

TEST(vrrp_state_test, EqualPriorityMastersHigherAddressWins) {
  clocked low(v2_config(100, "10.0.0.1"));
  clocked high(v2_config(100, "10.0.0.2"));
  segment seg{{&low, &high}};
  seg.start();
  // Same priority, same start: both time out together and meet as masters.
  seg.run_until(at(v2_down(100)));
  EXPECT_EQ(seg.masters(), 1u);
  EXPECT_EQ(seg.master(), &high);
  seg.run_until(at(60s));
  EXPECT_EQ(seg.master(), &high);
  EXPECT_EQ(low.inst_.current_state(), state::backup);
}

TEST(vrrp_state_test, EqualPriorityAdvertFromALowerAddressKeepsMaster) {
  clocked r(v2_config(100, "10.0.0.5"));
  r.start();
  r.advance_to(at(10s));
  r.advert(from("10.0.0.4", 100));
  EXPECT_EQ(r.inst_.current_state(), state::master);
  r.advert(from("10.0.0.6", 100));
  EXPECT_EQ(r.inst_.current_state(), state::backup);
}

TEST(vrrp_state_test, TwoOwnersReduceToTwoFiftyFour) {
  auto c = v2_config(255, "10.0.0.1");
  c.initial_master_ = true;
  clocked r(c);
  r.start();
  r.advert(from("10.0.0.2", 255));
  EXPECT_EQ(r.inst_.effective_priority(), 254);
  EXPECT_EQ(r.inst_.current_state(), state::backup);  // the other has the higher address
}

TEST(vrrp_state_test, V3BackupLearnsTheMastersInterval) {
  auto c = v2_config(100);
  c.version_ = 3;
  c.advert_interval_ = 1s;
  clocked r(c);
  r.start();
  r.advance_to(at(1s));
  r.advert(from("10.0.0.9", 200, 500ms));
  EXPECT_EQ(r.inst_.master_advert_interval(), 500ms);
  // 3 * 0.5 s + ((256 - 100) * 50 cs) / 256.
  EXPECT_EQ(r.inst_.master_down_interval(), 1500ms + 304687us);
  r.advance_to(at(1s + 1804687us - 1us));
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  r.advance(1us);
  EXPECT_EQ(r.inst_.current_state(), state::master);
  // As master it advertises its own interval.
  r.take();
  r.advance(3s);
  EXPECT_EQ(count_of<actions::send_advert>(r.take()), 3u);
}

TEST(vrrp_state_test, V2DoesNotLearnAnInterval) {
  clocked r(v2_config(100));
  r.start();
  r.advert(from("10.0.0.9", 200, 3s));  // cannot pass the codec; the machine ignores it
  EXPECT_EQ(r.inst_.master_advert_interval(), 1s);
}

TEST(vrrp_state_test, GarpScheduleOnBecomingMaster) {
  auto c = v2_config(100);
  c.garp_.master_refresh_ = 60s;
  c.garp_.master_refresh_repeat_ = 2;
  clocked r(c);
  r.start();
  const auto t0 = at(v2_down(100));
  r.advance_to(t0);
  std::vector<std::pair<time_point, unsigned>> garps;
  r.advance_to(t0 + 130s);
  for (const auto& [when, a] : r.log_) {
    if (const auto* g = std::get_if<actions::send_garp>(&a)) {
      garps.emplace_back(when, g->repeat_);
    }
  }
  // 5 at once, 5 more after garp_master_delay, then the refresh at the first advert after
  // each 60 s (an advert falls exactly on t0+60 s, which is not yet "after").
  const std::vector<std::pair<time_point, unsigned>> expected{
      {t0, 5}, {t0 + 5s, 5}, {t0 + 61s, 2}, {t0 + 122s, 2}};
  EXPECT_EQ(garps, expected);
}

TEST(vrrp_state_test, DelayedGarpIsDroppedWhenLeavingMaster) {
  clocked r(v2_config(100));
  r.start();
  r.advance_to(at(v2_down(100)));
  r.advert(from("10.0.0.9", 200));
  r.take();
  // The new master keeps advertising past the moment the delayed burst was due (+5 s).
  for (int s = 1; s <= 8; ++s) {
    r.advance(1s);
    r.advert(from("10.0.0.9", 200));
  }
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  EXPECT_EQ(count_of<actions::send_garp>(r.take()), 0u);
}

TEST(vrrp_state_test, ShutdownAsMasterSendsPriorityZeroAndReleases) {
  clocked r(v2_config(100));
  r.start();
  r.advance_to(at(10s));
  r.take();
  r.inst_.shutdown(r.now_);
  r.drain();
  const std::vector<action> expected{actions::send_advert{0}, actions::remove_vips{},
                                     actions::state_changed{state::master, state::init},
                                     actions::run_notify{notify_kind::stop, 100}};
  EXPECT_EQ(r.take(), expected);
  EXPECT_FALSE(r.inst_.next_deadline());
}

TEST(vrrp_state_test, ShutdownAsBackupIsQuiet) {
  clocked r(v2_config(100));
  r.start();
  r.take();
  r.inst_.shutdown(r.now_);
  r.drain();
  const auto acts = r.take();
  EXPECT_EQ(count_of<actions::send_advert>(acts), 0u);
  EXPECT_EQ(count_of<actions::remove_vips>(acts), 0u);
  EXPECT_TRUE(has(acts, actions::run_notify{notify_kind::stop, 100}));
}

// ---- trackers ----

instance_config with_tracker(std::uint8_t prio, int weight, bool reverse = false,
                             tracker_status initial = tracker_status::ok) {
  auto c = v2_config(prio);
  c.trackers_.push_back({"chk_haproxy", weight, reverse, initial});
  return c;
}

TEST(vrrp_tracker_test, NegativeWeightSubtractsWhileFailing) {
  clocked r(with_tracker(100, -30));
  r.start();
  EXPECT_EQ(r.inst_.effective_priority(), 100);
  r.inst_.on_tracker(r.now_, 0, false);
  r.drain();
  EXPECT_EQ(r.inst_.effective_priority(), 70);
  EXPECT_TRUE(has(r.take(), actions::priority_changed{100, 70}));
  r.inst_.on_tracker(r.now_, "chk_haproxy", true);
  EXPECT_EQ(r.inst_.effective_priority(), 100);
  EXPECT_FALSE(r.inst_.on_tracker(r.now_, "no_such", true));
}

TEST(vrrp_tracker_test, PositiveWeightAddsWhileOk) {
  clocked r(with_tracker(100, 20, false, tracker_status::failing));
  r.start();
  EXPECT_EQ(r.inst_.effective_priority(), 100);
  r.inst_.on_tracker(r.now_, 0, true);
  EXPECT_EQ(r.inst_.effective_priority(), 120);
}

TEST(vrrp_tracker_test, ReverseTurnsTheDirectionRound) {
  clocked pos(with_tracker(100, 20, true, tracker_status::ok));
  pos.start();
  EXPECT_EQ(pos.inst_.effective_priority(), 80);  // subtracted while OK
  pos.inst_.on_tracker(pos.now_, 0, false);
  EXPECT_EQ(pos.inst_.effective_priority(), 100);
  clocked neg(with_tracker(100, -20, true, tracker_status::failing));
  neg.start();
  EXPECT_EQ(neg.inst_.effective_priority(), 120);  // added while failing
}

// track_file with a weight: the file's number times the weight moves the priority; below
// -253 it means FAULT (keepalived.conf(5), "Track files").
TEST(vrrp_tracker_test, ValuedTrackFileMovesThePriorityAndFaultsBelowMinus253) {
  auto c = with_tracker(100, 5, false, tracker_status::unknown);
  c.trackers_[0].valued_ = true;
  clocked r(std::move(c));
  r.start();
  EXPECT_EQ(r.inst_.current_state(), state::backup);  // no number yet: no change, no FAULT
  r.inst_.on_tracker_value(r.now_, 0, 3);
  EXPECT_EQ(r.inst_.effective_priority(), 115);
  r.inst_.on_tracker_value(r.now_, 0, -4);
  EXPECT_EQ(r.inst_.effective_priority(), 80);
  r.drain();
  r.take();
  r.inst_.on_tracker_value(r.now_, 0, -51);  // -255
  EXPECT_EQ(r.inst_.current_state(), state::fault);
  r.inst_.on_tracker_value(r.now_, 0, 0);
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  EXPECT_EQ(r.inst_.effective_priority(), 100);
  auto rev = with_tracker(100, 5, true, tracker_status::unknown);
  rev.trackers_[0].valued_ = true;
  clocked q(std::move(rev));
  q.start();
  q.inst_.on_tracker_value(q.now_, 0, 2);
  EXPECT_EQ(q.inst_.effective_priority(), 90);  // reverse: subtracted
}

TEST(vrrp_tracker_test, ClampedToOneAndTwoFiftyFourOwnerUntouched) {
  clocked low(with_tracker(10, -50, false, tracker_status::failing));
  low.start();
  EXPECT_EQ(low.inst_.effective_priority(), 1);
  clocked high(with_tracker(250, 50));
  high.start();
  EXPECT_EQ(high.inst_.effective_priority(), 254);
  clocked owner(with_tracker(255, -100, false, tracker_status::failing));
  owner.start();
  EXPECT_EQ(owner.inst_.effective_priority(), 255);
}

TEST(vrrp_tracker_test, FailingTrackerCausesFailover) {
  // Seed 000's shape: proxy1 101 with `killall -0 haproxy` weight -2... here -30 so that the
  // other node (90) wins once haproxy dies.
  clocked a(with_tracker(100, -30));
  clocked b(v2_config(90, "10.0.0.2"));
  segment seg{{&a, &b}};
  seg.start();
  seg.run_until(at(10s));
  ASSERT_EQ(seg.master(), &a);
  a.inst_.on_tracker(a.now_, 0, false);  // haproxy died: 70 < 90
  a.drain();
  seg.run_until(at(20s));
  EXPECT_EQ(seg.master(), &b);
  EXPECT_EQ(seg.masters(), 1u);
  // b preempts at its master-down after a's adverts dropped to 70 (a's adverts after t=10).
  ASSERT_TRUE(b.entered(state::master));
  EXPECT_LE(*b.entered(state::master), at(10s + v2_down(90)));
  a.inst_.on_tracker(a.now_, 0, true);  // back: 100 preempts 90
  a.drain();
  seg.run_until(at(30s));
  EXPECT_EQ(seg.master(), &a);
}

TEST(vrrp_tracker_test, PriorityChangeInBackupMovesTheDeadline) {
  clocked r(with_tracker(100, 50, false, tracker_status::failing));
  r.start();
  ASSERT_EQ(r.inst_.next_deadline(), at(v2_down(100)));
  r.inst_.on_tracker(r.now_, 0, true);  // 150: a shorter skew
  EXPECT_EQ(r.inst_.next_deadline(), at(v2_down(150)));
}

TEST(vrrp_tracker_test, WeightZeroFailureIsFaultAndBack) {
  clocked r(with_tracker(100, 0));
  r.start();
  r.advance_to(at(10s));
  ASSERT_EQ(r.inst_.current_state(), state::master);
  r.take();
  r.inst_.on_tracker(r.now_, 0, false);
  r.drain();
  EXPECT_EQ(r.inst_.current_state(), state::fault);
  const std::vector<action> expected{actions::send_advert{0}, actions::remove_vips{},
                                     actions::state_changed{state::master, state::fault},
                                     actions::run_notify{notify_kind::fault, 100}};
  EXPECT_EQ(r.take(), expected);
  EXPECT_FALSE(r.inst_.next_deadline());
  // Adverts are ignored in FAULT.
  r.advert(from("10.0.0.9", 0));
  EXPECT_TRUE(r.take().empty());
  r.advance(5s);
  r.inst_.on_tracker(r.now_, 0, true);
  r.drain();
  EXPECT_EQ(r.inst_.current_state(), state::backup);
  EXPECT_TRUE(has(r.take(), actions::run_notify{notify_kind::backup, 100}));
  const auto back = r.now_;
  r.advance(v2_down(100));
  EXPECT_EQ(r.entered(state::master), back + v2_down(100));
}

TEST(vrrp_tracker_test, WeightZeroReverseFaultsWhileOk) {
  clocked r(with_tracker(100, 0, true, tracker_status::ok));
  r.start();
  EXPECT_EQ(r.inst_.current_state(), state::fault);
  r.inst_.on_tracker(r.now_, 0, false);
  EXPECT_EQ(r.inst_.current_state(), state::backup);
}

TEST(vrrp_tracker_test, UnknownScriptHoldsFaultSilentlyUntilItsFirstResult) {
  clocked r(with_tracker(100, 0, false, tracker_status::unknown));
  r.start();
  EXPECT_EQ(r.inst_.current_state(), state::fault);
  EXPECT_EQ(count_of<actions::run_notify>(r.take()), 0u);
  r.inst_.on_tracker(r.now_, 0, true);
  r.drain();
  EXPECT_EQ(r.inst_.current_state(), state::backup);
}

TEST(vrrp_interface_test, LinkDownIsFaultAndBack) {
  clocked r(v2_config(100));
  r.start();
  r.advance_to(at(10s));
  r.take();
  r.inst_.on_interface(r.now_, false);
  r.drain();
  EXPECT_EQ(r.inst_.current_state(), state::fault);
  EXPECT_TRUE(has(r.take(), actions::send_advert{0}));
  r.inst_.on_interface(r.now_, true);
  r.drain();
  EXPECT_EQ(r.inst_.current_state(), state::backup);
}

TEST(vrrp_interface_test, StartsInFaultWhenTheLinkIsDown) {
  clocked r(v2_config(100));
  r.start(false);
  EXPECT_EQ(r.inst_.current_state(), state::fault);
  EXPECT_TRUE(has(r.take(), actions::run_notify{notify_kind::fault, 100}));
}

TEST(vrrp_interface_test, DontTrackPrimaryIgnoresTheLink) {
  auto c = v2_config(100);
  c.track_interface_ = false;
  clocked r(c);
  r.start();
  r.inst_.on_interface(r.now_, false);
  EXPECT_EQ(r.inst_.current_state(), state::backup);
}

TEST(vrrp_interface_test, OwnerComesBackAsMaster) {
  auto c = v2_config(255);
  c.initial_master_ = true;
  clocked r(c);
  r.start();
  r.inst_.on_interface(r.now_, false);
  EXPECT_EQ(r.inst_.current_state(), state::fault);
  r.inst_.on_interface(r.now_, true);
  EXPECT_EQ(r.inst_.current_state(), state::master);
}

TEST(vrrp_pair_test, SeedStyleFailoverAndPreemption) {
  // proxy1 priority 101, proxy2 100, advert_int 1: proxy1 wins, its link is cut, proxy2 takes
  // over after its master-down, proxy1 returns and preempts.
  clocked p1(v2_config(101, "10.0.0.11"));
  clocked p2(v2_config(100, "10.0.0.12"));
  segment seg{{&p1, &p2}};
  seg.start();
  seg.run_until(at(10s));
  ASSERT_EQ(seg.master(), &p1);
  EXPECT_EQ(seg.masters(), 1u);

  // The cut: p1 goes FAULT (its priority-0 advert still reaches p2 in this model).
  p1.inst_.on_interface(p1.now_, false);
  p1.drain();
  seg.deliver();
  seg.run_until(at(20s));
  EXPECT_EQ(seg.master(), &p2);
  ASSERT_TRUE(p2.entered(state::master));
  EXPECT_EQ(*p2.entered(state::master), at(10s) + p2.inst_.skew_time());

  p1.inst_.on_interface(p1.now_, true);
  p1.drain();
  seg.run_until(at(40s));
  EXPECT_EQ(seg.master(), &p1);
  EXPECT_EQ(seg.masters(), 1u);
}

}  // namespace
}  // namespace tandem::runtime::vrrp
