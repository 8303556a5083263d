// The IPVS schedulers against what the kernel's ip_vs_*.c compute: exact pick sequences for rr
// and wrr (the gcd / max-weight stepping), the overhead formulas of lc/wlc/sed/nq, and the
// hashing schedulers' buckets for known inputs (hash_32 of the address, hsiphash checked
// against the kernel's own test vector).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "runtime/lvs/scheduler/hash.hpp"
#include "runtime/lvs/scheduler/scheduler.hpp"

namespace tandem::runtime::lvs {
namespace {

using boost::asio::ip::make_address;

std::vector<destination> dests(std::initializer_list<int> weights) {
  std::vector<destination> v;
  int n = 1;
  for (int w : weights) {
    destination d;
    d.address_ = make_address("192.168.0." + std::to_string(n++));
    d.port_ = 80;
    d.weight_ = w;
    v.push_back(d);
  }
  return v;
}

connection from(const char* source, std::uint16_t sport = 40000,
                const char* dest = "172.16.0.125") {
  connection c;
  c.source_ = make_address(source);
  c.source_port_ = sport;
  c.destination_ = make_address(dest);
  c.destination_port_ = 80;
  return c;
}

std::unique_ptr<scheduler> make(const char* name, std::vector<destination>& d,
                                 scheduler_flags f = {}) {
  auto s = make_scheduler(name, f);
  EXPECT_TRUE(s) << name;
  s->destinations_changed(d, {});
  return s;
}

std::string sequence(scheduler& s, std::vector<destination>& d, int n) {
  std::string out;
  schedule_context ctx;
  for (int i = 0; i < n; ++i) {
    auto pick = s.schedule(from("10.0.0.1"), d, ctx);
    out += pick ? static_cast<char>('A' + *pick) : '-';
  }
  return out;
}

TEST(lvs_scheduler, registry_knows_ipvs_names_and_defaults_to_wlc) {
  for (auto name : scheduler_names()) {
    auto s = make_scheduler(name);
    ASSERT_TRUE(s) << name;
    EXPECT_EQ(s->name(), name);
  }
  EXPECT_EQ(scheduler_names().size(), 14u);
  EXPECT_EQ(make_scheduler("")->name(), "wlc");
  EXPECT_EQ(make_scheduler("nope"), nullptr);
}

TEST(lvs_scheduler, rr_cycles_and_skips_weight_zero_and_overloaded) {
  auto d = dests({1, 1, 1});
  auto s = make("rr", d);
  EXPECT_EQ(sequence(*s, d, 7), "ABCABCA");
  d[1].weight_ = 0;  // quiesced: no new connections
  s->destinations_changed(d, {scheduler::change::kind::updated, 1});
  EXPECT_EQ(sequence(*s, d, 4), "CACA");
  d[2].overloaded_ = true;
  EXPECT_EQ(sequence(*s, d, 2), "AA");
  d[0].weight_ = 0;
  EXPECT_EQ(sequence(*s, d, 1), "-");
}

TEST(lvs_scheduler, rr_cursor_follows_its_node_like_ipvs) {
  auto d = dests({1, 1, 1});
  auto s = make("rr", d);
  EXPECT_EQ(sequence(*s, d, 2), "AB");  // cursor on B (index 1)
  // A new destination at the head: the cursor stays on B, now index 2.
  d.insert(d.begin(), dests({1})[0]);
  d[0].address_ = make_address("192.168.0.9");
  s->destinations_changed(d, {scheduler::change::kind::added, 0});
  EXPECT_EQ(sequence(*s, d, 3), "DAB");  // C (index 3), then the head, then old A
  // Removing the cursor's destination moves the cursor to the one before it.
  d.erase(d.begin() + 2);  // old B; cursor was on it
  s->destinations_changed(d, {scheduler::change::kind::removed, 2});
  EXPECT_EQ(sequence(*s, d, 2), "CA");
}

TEST(lvs_scheduler, wrr_steps_current_weight_down_by_gcd) {
  auto d = dests({4, 3, 2});
  auto s = make("wrr", d);
  EXPECT_EQ(sequence(*s, d, 18), "AABABCABCAABABCABC");
  auto d2 = dests({4, 2});  // gcd 2: max weight 4 - (2 - 1) = 3, steps of 2
  auto s2 = make("wrr", d2);
  EXPECT_EQ(sequence(*s2, d2, 6), "AABAAB");
  auto d3 = dests({1, 0, 1});
  auto s3 = make("wrr", d3);
  EXPECT_EQ(sequence(*s3, d3, 4), "ACAC");
  auto d4 = dests({0, 0});
  auto s4 = make("wrr", d4);
  EXPECT_EQ(sequence(*s4, d4, 1), "-");
}

TEST(lvs_scheduler, wrr_all_overloaded_refuses) {
  auto d = dests({2, 1});
  auto s = make("wrr", d);
  d[0].overloaded_ = d[1].overloaded_ = true;
  EXPECT_EQ(sequence(*s, d, 2), "--");
  d[1].overloaded_ = false;
  EXPECT_EQ(sequence(*s, d, 2), "BB");
}

TEST(lvs_scheduler, lc_compares_active_times_256_plus_inactive) {
  auto d = dests({1, 1, 1});
  d[0].active_ = 1;      // 256
  d[1].inactive_ = 300;  // 300
  d[2].active_ = 1;
  d[2].inactive_ = 1;  // 257
  auto s = make("lc", d);
  EXPECT_EQ(sequence(*s, d, 1), "A");
  d[1].inactive_ = 255;
  EXPECT_EQ(sequence(*s, d, 1), "B");
  d[1].weight_ = 0;  // weight 0 takes nothing, whatever its load
  d[1].inactive_ = 0;
  EXPECT_EQ(sequence(*s, d, 1), "A");
}

TEST(lvs_scheduler, wlc_divides_overhead_by_weight_first_of_equals) {
  auto d = dests({1, 3});
  d[0].active_ = 1;  // 256 / 1
  d[1].active_ = 2;  // 512 / 3
  auto s = make("wlc", d);
  EXPECT_EQ(sequence(*s, d, 1), "B");
  d[1].active_ = 3;  // 768 / 3 = 256: equal, the first wins
  EXPECT_EQ(sequence(*s, d, 1), "A");
  auto e = dests({1, 1});
  auto s2 = make("wlc", e);
  EXPECT_EQ(sequence(*s2, e, 1), "A");
}

TEST(lvs_scheduler, sed_uses_active_plus_one_and_nq_takes_an_idle_server) {
  auto d = dests({1, 3});
  d[1].active_ = 1;  // sed: A (0+1)/1 = 1, B (1+1)/3
  auto s = make("sed", d);
  EXPECT_EQ(sequence(*s, d, 1), "B");
  d[1].active_ = 2;  // B 3/3 = 1: equal, A first
  EXPECT_EQ(sequence(*s, d, 1), "A");
  d[1].inactive_ = 1000;  // inactive does not count
  EXPECT_EQ(sequence(*s, d, 1), "A");

  auto n = dests({3, 1, 1});
  n[0].active_ = 1;
  n[2].active_ = 0;
  n[1].active_ = 5;
  auto q = make("nq", n);
  EXPECT_EQ(sequence(*q, n, 1), "C");  // the first idle one
  n[2].active_ = 1;  // no idle: as sed, A (2/3) beats C (2/1)
  EXPECT_EQ(sequence(*q, n, 1), "A");
}

TEST(lvs_scheduler, fo_takes_highest_weight_and_ovf_overflows_by_active_count) {
  auto d = dests({2, 5, 5});
  auto s = make("fo", d);
  EXPECT_EQ(sequence(*s, d, 2), "BB");
  d[1].overloaded_ = true;
  EXPECT_EQ(sequence(*s, d, 1), "C");

  auto o = dests({1, 2});
  o[1].active_ = 2;  // active may reach the weight
  auto v = make("ovf", o);
  EXPECT_EQ(sequence(*v, o, 1), "B");
  o[1].active_ = 3;  // above it: overflow to the next
  EXPECT_EQ(sequence(*v, o, 1), "A");
  o[0].active_ = 2;
  EXPECT_EQ(sequence(*v, o, 1), "-");
}

TEST(lvs_scheduler, twos_draws_two_by_weight_and_keeps_the_lighter) {
  auto d = dests({1, 2});
  d[0].active_ = 1;
  auto s = make("twos", d);
  std::vector<std::uint32_t> draws;
  schedule_context ctx;
  std::uint32_t seen_bound = 0;
  ctx.random_below_ = [&](std::uint32_t bound) {
    seen_bound = bound;
    auto v = draws.front();
    draws.erase(draws.begin());
    return v;
  };
  draws = {0, 3};  // 0 -> A (0 - 1 <= 0); 3 -> B (3 - 1 - 2 <= 0)
  EXPECT_EQ(s->schedule(from("10.0.0.1"), d, ctx), 1u);
  EXPECT_EQ(seen_bound, 4u);  // total weight + 1, as IPVS draws
  draws = {1, 1};             // both A
  EXPECT_EQ(s->schedule(from("10.0.0.1"), d, ctx), 0u);
  d[1].active_ = 3;  // B 768/2 > A 256/1
  draws = {0, 3};
  EXPECT_EQ(s->schedule(from("10.0.0.1"), d, ctx), 0u);
}

TEST(lvs_scheduler, hash_32_and_hsiphash_match_the_kernel) {
  // hash_32(0x0a000001, 8) = (0x0a000001 * 0x61C88647) >> 24
  EXPECT_EQ(detail::hash_32(0x0a000001u, 8), 39u);
  EXPECT_EQ(detail::hash_32(0xac10007du, 8), 215u);
  // lib/siphash_kunit.c: hsiphash of the bytes 00 01 02 03 under key 00..0f.
  EXPECT_EQ(detail::hsiphash_u32(0x03020100u, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL),
            0x88d38328u);
  // IPv6 addresses fold by XOR of their four words.
  EXPECT_EQ(detail::fold_address(make_address("2001:db8::1")), 0x20010db8u ^ 1u);
}

TEST(lvs_scheduler, sh_buckets_by_source_address_with_weights) {
  auto d = dests({1, 1, 1});
  auto s = make("sh", d);
  schedule_context ctx;
  // Buckets are dealt A B C A B C ...: bucket 39 -> A, 137 -> C, 211 -> B.
  EXPECT_EQ(s->schedule(from("10.0.0.1"), d, ctx), 0u);
  EXPECT_EQ(s->schedule(from("10.0.0.2"), d, ctx), 2u);
  EXPECT_EQ(s->schedule(from("192.168.1.7"), d, ctx), 1u);
  // The source port does not count without sh-port.
  EXPECT_EQ(s->schedule(from("10.0.0.1", 1234), d, ctx), 0u);
  // With weights 2, 1 the deal is A A B: bucket 39 -> A, 137 -> B, 211 -> A.
  auto w = dests({2, 1});
  auto sw = make("sh", w);
  EXPECT_EQ(sw->schedule(from("10.0.0.1"), w, ctx), 0u);
  EXPECT_EQ(sw->schedule(from("10.0.0.2"), w, ctx), 1u);
  EXPECT_EQ(sw->schedule(from("192.168.1.7"), w, ctx), 0u);
}

TEST(lvs_scheduler, sh_port_and_fallback) {
  auto d = dests({1, 1, 1});
  schedule_context ctx;
  auto p = make("sh", d, {.sh_port_ = true});
  // hash_32(0x0a000001 + 1234, 8) = 128 -> C
  EXPECT_EQ(p->schedule(from("10.0.0.1", 1234), d, ctx), 2u);
  auto plain = make("sh", d);
  d[0].weight_ = 0;
  plain->destinations_changed(d, {scheduler::change::kind::updated, 0});
  // The table is dealt again (weight 0 still takes one bucket), so bucket 39 is still A,
  // which is unavailable: without fallback the connection is refused.
  EXPECT_EQ(plain->schedule(from("10.0.0.1"), d, ctx), std::nullopt);
  auto fb = make("sh", d, {.sh_fallback_ = true});
  // Fallback tries (offset + ihash) + hash: 78 (A, down), then 79 -> B.
  EXPECT_EQ(fb->schedule(from("10.0.0.1"), d, ctx), 1u);
}

TEST(lvs_scheduler, dh_buckets_by_destination_address) {
  auto d = dests({1, 5});
  auto s = make("dh", d);
  schedule_context ctx;
  // hash_32(172.16.0.125, 8) = 215; one bucket each in turn: odd -> B.
  EXPECT_EQ(s->schedule(from("10.0.0.1"), d, ctx), 1u);
  EXPECT_EQ(s->schedule(from("10.9.9.9"), d, ctx), 1u);  // the source does not matter
  EXPECT_EQ(s->schedule(from("10.0.0.1", 1, "10.0.0.1"), d, ctx), 1u);  // bucket 39
  d[1].weight_ = 0;
  EXPECT_EQ(s->schedule(from("10.0.0.1"), d, ctx), std::nullopt);
}

TEST(lvs_scheduler, mh_spreads_by_weight_and_keeps_the_table_when_a_weight_drops_to_zero) {
  auto d = dests({1, 1, 2});
  auto s = make("mh", d);
  schedule_context ctx;
  std::map<std::size_t, int> counts;
  std::map<std::string, std::size_t> first;
  for (int i = 0; i < 4000; ++i) {
    const std::string src = "10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".1";
    auto pick = s->schedule(from(src.c_str()), d, ctx);
    ASSERT_TRUE(pick);
    ++counts[*pick];
    first[src] = *pick;
  }
  // Weight 2 takes about half the table (4093 entries: 1023, 1023, 2047 turns).
  EXPECT_NEAR(counts[2], 2000, 200);
  EXPECT_NEAR(counts[0], 1000, 150);
  // Deterministic: the same client, the same server.
  EXPECT_EQ(s->schedule(from("10.0.0.1"), d, ctx), first["10.0.0.1"]);
  // Weight 0: the table keeps the last weight, so clients of A and B stay put; C's refuse.
  d[2].weight_ = 0;
  s->destinations_changed(d, {scheduler::change::kind::updated, 2});
  int moved = 0, refused = 0;
  for (const auto& [src, was] : first) {
    auto now = s->schedule(from(src.c_str()), d, ctx);
    if (!now) ++refused;
    else if (*now != was) ++moved;
  }
  EXPECT_EQ(moved, 0);
  EXPECT_EQ(refused, counts[2]);
  // mh-fallback: C's clients go elsewhere, A's and B's still stay.
  auto fb = make("mh", d, {.mh_fallback_ = true});
  auto d0 = dests({1, 1, 2});
  fb->destinations_changed(d0, {});
  fb->destinations_changed(d, {scheduler::change::kind::updated, 2});
  moved = refused = 0;
  for (const auto& [src, was] : first) {
    auto now = fb->schedule(from(src.c_str()), d, ctx);
    if (!now) ++refused;
    else if (was != 2 && *now != was) ++moved;
  }
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(moved, 0);
}

TEST(lvs_scheduler, mh_port_hashes_the_source_port_too) {
  auto d = dests({1, 1, 1, 1});
  schedule_context ctx;
  auto p = make("mh", d, {.mh_port_ = true});
  auto plain = make("mh", d);
  std::set<std::size_t> with_port, without;
  for (std::uint16_t port = 1000; port < 1064; ++port) {
    with_port.insert(*p->schedule(from("10.0.0.1", port), d, ctx));
    without.insert(*plain->schedule(from("10.0.0.1", port), d, ctx));
  }
  EXPECT_EQ(without.size(), 1u);
  EXPECT_EQ(with_port.size(), 4u);
}

TEST(lvs_scheduler, lblc_keeps_a_destination_address_on_its_server) {
  auto d = dests({1, 1});
  auto s = make("lblc", d);
  schedule_context ctx;
  EXPECT_EQ(s->schedule(from("10.0.0.1", 1, "1.1.1.1"), d, ctx), 0u);
  d[0].active_ = 1;  // one active, weight 1: not above the weight
  EXPECT_EQ(s->schedule(from("10.0.0.2", 1, "1.1.1.1"), d, ctx), 0u);
  EXPECT_EQ(s->schedule(from("10.0.0.2", 1, "2.2.2.2"), d, ctx), 1u);  // wlc for a new one
  d[0].active_ = 2;  // above its weight while B runs below half of its own? B has 0*2 < 1: yes
  EXPECT_EQ(s->schedule(from("10.0.0.3", 1, "1.1.1.1"), d, ctx), 1u);
  // Forgotten after 24 hours without use.
  d[0].active_ = d[1].active_ = 0;
  d[1].active_ = 1;
  ctx.now_ += std::chrono::hours(25);
  EXPECT_EQ(s->schedule(from("10.0.0.3", 1, "1.1.1.1"), d, ctx), 0u);
}

TEST(lvs_scheduler, lblcr_grows_a_set_when_its_least_loaded_member_is_overloaded) {
  auto d = dests({1, 1, 1});
  auto s = make("lblcr", d);
  schedule_context ctx;
  EXPECT_EQ(s->schedule(from("10.0.0.1", 1, "1.1.1.1"), d, ctx), 0u);
  d[0].active_ = 2;  // overloaded in lblc's sense: wlc picks B and it joins the set
  EXPECT_EQ(s->schedule(from("10.0.0.1", 1, "1.1.1.1"), d, ctx), 1u);
  d[1].active_ = 1;
  // Set {B, A}: B (256) is lighter than A (512) and not overloaded.
  EXPECT_EQ(s->schedule(from("10.0.0.1", 1, "1.1.1.1"), d, ctx), 1u);
  // After 24 hours without growth the most loaded member (A) leaves the set.
  ctx.now_ += std::chrono::hours(25);
  d[1].active_ = 0;
  EXPECT_EQ(s->schedule(from("10.0.0.1", 1, "1.1.1.1"), d, ctx), 1u);
  d[0].active_ = 0;
  d[1].active_ = 1;  // A is now lighter, but no longer in the set
  EXPECT_EQ(s->schedule(from("10.0.0.1", 1, "1.1.1.1"), d, ctx), 1u);
}

}  // namespace
}  // namespace tandem::runtime::lvs
