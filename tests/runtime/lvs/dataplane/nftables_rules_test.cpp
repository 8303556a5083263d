// The nftables planes' text (runtime/lvs/dataplane/nftables_rules.cpp): schedulers as slot
// tables, the NAT and DR transactions for a service and its pool, map listings, and the
// plane choice for what nftables cannot do.
#include "runtime/lvs/dataplane/nftables_rules.hpp"

#include <gtest/gtest.h>

#include <map>

namespace tandem::runtime::lvs::dataplane {
namespace {

using boost::asio::ip::make_address;

destination dest(const char* a, std::uint16_t port, int weight) {
  destination d;
  d.address_ = make_address(a);
  d.port_ = port;
  d.weight_ = weight;
  return d;
}

std::map<std::size_t, int> histogram(const std::vector<std::size_t>& v) {
  std::map<std::size_t, int> h;
  for (auto i : v) ++h[i];
  return h;
}

nft_service seed001(bool persistent) {
  nft_service s;
  s.table_ = "tandem_keepalived";
  s.prefix_ = "vs1";
  s.spec_.display_ = "[172.16.0.125]:tcp:80";
  s.spec_.vips_.push_back({make_address("172.16.0.125"), make_address("172.16.0.125"), 80, 0});
  if (persistent) s.spec_.persistence_timeout_ = std::chrono::seconds(9600);
  s.scheduler_ = "rr";
  s.pool_ = {dest("172.16.0.12", 80, 1), dest("172.16.0.11", 80, 1)};
  return s;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(SlotTable, RoundRobinIsOnePassOverTheUsableServers) {
  std::vector<destination> pool = {dest("10.0.0.3", 80, 1), dest("10.0.0.2", 80, 0),
                                   dest("10.0.0.1", 80, 5)};
  const auto t = make_slot_table("rr", {}, pool);
  EXPECT_EQ(t.hash_, slot_hash::numgen);
  EXPECT_EQ(t.slots_, (std::vector<std::size_t>{0, 2}));  // weight 0 takes nothing
  EXPECT_FALSE(t.approximated_);
}

TEST(SlotTable, WeightedRoundRobinIsOnePeriodOfIpvsSequence) {
  // IPVS's wrr with weights 3 and 1: the current weight steps down from 3 by the gcd.
  std::vector<destination> pool = {dest("10.0.0.1", 80, 3), dest("10.0.0.2", 80, 1)};
  const auto t = make_slot_table("wrr", {}, pool);
  EXPECT_EQ(t.slots_, (std::vector<std::size_t>{0, 0, 0, 1}));
  // Weights with a common divisor give the reduced period.
  pool = {dest("10.0.0.1", 80, 200), dest("10.0.0.2", 80, 100)};
  EXPECT_EQ(make_slot_table("wrr", {}, pool).slots_.size(), 3u);
}

TEST(SlotTable, LongWeightedPeriodsKeepTheirProportions) {
  std::vector<destination> pool = {dest("10.0.0.1", 80, 9973), dest("10.0.0.2", 80, 7919)};
  const auto t = make_slot_table("wrr", {}, pool);
  EXPECT_LE(t.slots_.size(), 4096u);
  auto h = histogram(t.slots_);
  EXPECT_NEAR(static_cast<double>(h[0]) / h[1], 9973.0 / 7919.0, 0.01);
}

TEST(SlotTable, SourceHashFillsIpvsBucketsByWeight) {
  std::vector<destination> pool = {dest("10.0.0.1", 80, 2), dest("10.0.0.2", 80, 1),
                                   dest("10.0.0.3", 80, 0)};
  const auto t = make_slot_table("sh", {}, pool);
  EXPECT_EQ(t.hash_, slot_hash::source);
  ASSERT_EQ(t.slots_.size(), 256u);
  EXPECT_EQ((std::vector<std::size_t>(t.slots_.begin(), t.slots_.begin() + 6)),
            (std::vector<std::size_t>{0, 0, 1, 0, 0, 1}));
  EXPECT_EQ(histogram(t.slots_).count(2), 0u);
  scheduler_flags port;
  port.sh_port_ = true;
  EXPECT_EQ(make_slot_table("sh", port, pool).hash_, slot_hash::source_port);
  EXPECT_EQ(make_slot_table("dh", {}, pool).hash_, slot_hash::destination);
}

TEST(SlotTable, FailoverTakesTheHeaviestServer) {
  std::vector<destination> pool = {dest("10.0.0.1", 80, 2), dest("10.0.0.2", 80, 7)};
  EXPECT_EQ(make_slot_table("fo", {}, pool).slots_, (std::vector<std::size_t>{1}));
}

TEST(SlotTable, ConnectionCountSchedulersAreMarkedApproximated) {
  for (const char* n : {"", "lc", "wlc", "sed", "nq", "lblc", "lblcr", "twos", "ovf", "mh"})
    EXPECT_TRUE(needs_connection_counts(n)) << n;
  for (const char* n : {"rr", "wrr", "sh", "dh", "fo"}) EXPECT_FALSE(needs_connection_counts(n)) << n;
  std::vector<destination> pool = {dest("10.0.0.1", 80, 3), dest("10.0.0.2", 80, 1)};
  const auto t = make_slot_table("wlc", {}, pool);
  EXPECT_TRUE(t.approximated_);
  EXPECT_EQ(t.slots_, (std::vector<std::size_t>{0, 0, 0, 1}));
}

TEST(SlotTable, NoUsableServerGivesNoSlots) {
  std::vector<destination> pool = {dest("10.0.0.1", 80, 0)};
  for (const char* n : {"rr", "wrr", "sh", "fo"}) EXPECT_TRUE(make_slot_table(n, {}, pool).slots_.empty()) << n;
}

TEST(NatRules, InstallMatchesTheVipAndDnatsThroughTheSlotMap) {
  const auto t = nat_install(seed001(false));
  EXPECT_TRUE(has_line(t, "add table inet tandem_keepalived"));
  EXPECT_TRUE(has_line(t, "add map inet tandem_keepalived vs1_slots { typeof numgen inc mod 1 : "
                          "ip daddr . tcp dport; }"));
  EXPECT_TRUE(has_line(t, "add chain inet tandem_keepalived vs1_pre { type nat hook prerouting "
                          "priority dstnat; policy accept; }"));
  EXPECT_TRUE(has_line(t, "add rule inet tandem_keepalived vs1_pre ip daddr 172.16.0.125 meta "
                          "l4proto tcp tcp dport 80 jump vs1_dispatch"));
  EXPECT_TRUE(has_line(t, "add rule inet tandem_keepalived vs1_out ip daddr 172.16.0.125 meta "
                          "l4proto tcp tcp dport 80 jump vs1_dispatch"));
  EXPECT_TRUE(has_line(t, "add element inet tandem_keepalived vs1_slots { 0 : 172.16.0.12 . 80, "
                          "1 : 172.16.0.11 . 80 }"));
  EXPECT_TRUE(has_line(t, "add rule inet tandem_keepalived vs1_dispatch meta l4proto tcp dnat ip "
                          "to numgen inc mod 2 map @vs1_slots"));
  EXPECT_TRUE(has_line(t, "add rule inet tandem_keepalived vs1_dispatch drop"));
  EXPECT_EQ(t.find("persist"), std::string::npos);
}

TEST(NatRules, RefillFlushesOnlyTheServicesMapsAndRuleChains) {
  auto s = seed001(false);
  s.pool_.pop_back();
  const auto t = nat_refill(s);
  EXPECT_EQ(t.find("add table"), std::string::npos);
  EXPECT_EQ(t.find("hook"), std::string::npos);  // the hook chains stay as they are
  EXPECT_TRUE(has_line(t, "flush map inet tandem_keepalived vs1_slots"));
  EXPECT_TRUE(has_line(t, "flush chain inet tandem_keepalived vs1_dispatch"));
  EXPECT_TRUE(has_line(t, "add rule inet tandem_keepalived vs1_dispatch meta l4proto tcp dnat ip "
                          "to numgen inc mod 1 map @vs1_slots"));
}

TEST(NatRules, PersistenceLooksUpTheMaskedClientFirstAndRecordsAfterDnat) {
  auto s = seed001(true);
  s.granularity_ = 24;
  const auto t = nat_install(s);
  EXPECT_TRUE(has_line(t, "add map inet tandem_keepalived vs1_persist { type ipv4_addr : "
                          "ipv4_addr . inet_service; flags dynamic,timeout; timeout 9600s; size "
                          "262144; }"));
  const auto persist = t.find("dnat ip to ip saddr & 255.255.255.0 map @vs1_persist");
  const auto slots = t.find("dnat ip to numgen inc mod 2 map @vs1_slots");
  ASSERT_NE(persist, std::string::npos);
  ASSERT_NE(slots, std::string::npos);
  EXPECT_LT(persist, slots);
  EXPECT_TRUE(has_line(t, "add rule inet tandem_keepalived vs1_post meta l4proto tcp ct status "
                          "dnat ct original ip daddr 172.16.0.125 ct original proto-dst 80 "
                          "update @vs1_persist { ip saddr & 255.255.255.0 : ip daddr . tcp dport }"));
}

TEST(NatRules, ClientsOnTheRealServersSegmentAreMasqueraded) {
  auto s = seed001(false);
  s.masquerade_prefixes_ = {"172.16.0.0/24"};
  const auto t = nat_refill(s);
  EXPECT_TRUE(has_line(t, "add element inet tandem_keepalived vs1_masq { 172.16.0.0/24 }"));
  EXPECT_TRUE(has_line(t, "add rule inet tandem_keepalived vs1_post meta l4proto tcp ct status "
                          "dnat ct original ip daddr 172.16.0.125 ct original proto-dst 80 ip "
                          "saddr @vs1_masq masquerade"));
}

TEST(NatRules, Ipv6RangesFwmarksAndPortlessServices) {
  nft_service s;
  s.table_ = "t";
  s.prefix_ = "vs2";
  s.spec_.protocol_ = protocol::udp;
  s.spec_.vips_.push_back({make_address("fd00::1"), make_address("fd00::5"), 0, 0});
  s.spec_.persistence_timeout_ = std::chrono::seconds(60);
  s.granularity_ = 64;
  s.scheduler_ = "sh";
  s.pool_ = {dest("fd00::10", 0, 1)};
  const auto t = nat_install(s);
  EXPECT_TRUE(has_line(t, "add rule inet t vs2_pre ip6 daddr fd00::1-fd00::5 meta l4proto udp "
                          "jump vs2_dispatch"));
  EXPECT_TRUE(has_line(t, "add rule inet t vs2_dispatch meta l4proto udp dnat ip6 to jhash ip6 "
                          "saddr mod 256 map @vs2_slots"));
  EXPECT_NE(t.find("ip6 saddr & ffff:ffff:ffff:ffff:: map @vs2_persist"), std::string::npos);
  // IPv6 persistence records the address alone (nft 1.0.6 aborts on an ip6 address . port
  // update); the real servers' port comes from the dnat rule.
  s.spec_.vips_ = {{make_address("fd00::1"), make_address("fd00::1"), 80, 0}};
  s.pool_ = {dest("fd00::10", 25, 1), dest("fd00::11", 25, 1)};
  const auto translated = nat_install(s);
  EXPECT_NE(translated.find("update @vs2_persist { ip6 saddr & ffff:ffff:ffff:ffff:: : ip6 daddr }"),
            std::string::npos);
  EXPECT_NE(translated.find("vs2_persist { type ipv6_addr : ipv6_addr; flags"), std::string::npos);
  EXPECT_NE(translated.find("dnat ip6 to ip6 saddr & ffff:ffff:ffff:ffff:: map @vs2_persist:25\n"),
            std::string::npos);
  EXPECT_NE(translated.find("0 : fd00::10 . 25, 1 : fd00::11 . 25"), std::string::npos);
  EXPECT_EQ(persistence_target_text(s, s.pool_[0]), "fd00::10");
  EXPECT_FALSE(ipv6_persistence_problem(s));
  s.pool_[1].port_ = 26;
  EXPECT_TRUE(ipv6_persistence_problem(s));
  s.pool_ = {dest("fd00::10", 80, 1)};
  EXPECT_NE(nat_install(s).find("map @vs2_persist\n"), std::string::npos);  // no translation
  EXPECT_NE(t.find("{ typeof numgen inc mod 1 : ip6 daddr; }"), std::string::npos);
  s.spec_.vips_ = {{{}, {}, 0, 7}};
  EXPECT_TRUE(has_line(nat_install(s), "add rule inet t vs2_pre meta mark 7 jump vs2_dispatch"));
}

TEST(NatRules, RemoveDeletesTheServicesObjectsOnly) {
  const auto t = nat_remove(seed001(true));
  EXPECT_TRUE(has_line(t, "delete chain inet tandem_keepalived vs1_pre"));
  EXPECT_TRUE(has_line(t, "delete map inet tandem_keepalived vs1_persist"));
  EXPECT_EQ(t.find("delete table"), std::string::npos);
  EXPECT_EQ(table_remove("inet", "tandem_keepalived"), "delete table inet tandem_keepalived\n");
}

TEST(DrRules, IngressRewritesTheMacFromFlowsPersistenceThenSlots) {
  auto s = seed001(true);
  s.device_ = "eth0";
  s.device_mac_ = {0x02, 0, 0, 0, 0, 0x01};
  s.pool_macs_ = {mac_address{0x02, 0, 0, 0, 0, 0x12}, mac_address{0x02, 0, 0, 0, 0, 0x11}};
  const auto t = dr_install(s);
  EXPECT_TRUE(has_line(t, "add chain netdev tandem_keepalived vs1_in { type filter hook ingress "
                          "device \"eth0\" priority -100; policy accept; }"));
  EXPECT_TRUE(has_line(t, "add rule netdev tandem_keepalived vs1_in meta pkttype host ip daddr "
                          "172.16.0.125 meta l4proto tcp tcp dport 80 jump vs1_dispatch"));
  EXPECT_TRUE(has_line(t, "add element netdev tandem_keepalived vs1_slots { 0 : "
                          "02:00:00:00:00:12, 1 : 02:00:00:00:00:11 }"));
  const std::string then =
      " ether saddr set 02:00:00:00:00:01 update @vs1_flows { ip saddr . tcp sport : ether daddr "
      "} update @vs1_persist { ip saddr : ether daddr } fwd to \"eth0\"";
  const auto flows = t.find("ether daddr set ip saddr . tcp sport map @vs1_flows" + then);
  const auto persist = t.find("ether daddr set ip saddr map @vs1_persist" + then);
  const auto slots = t.find("ether daddr set numgen inc mod 2 map @vs1_slots" + then);
  ASSERT_NE(flows, std::string::npos);
  ASSERT_NE(persist, std::string::npos);
  ASSERT_NE(slots, std::string::npos);
  EXPECT_LT(flows, persist);
  EXPECT_LT(persist, slots);
  // The client's FIN or RST shortens its flow and marks it closing; a new SYN revives it.
  EXPECT_TRUE(has_line(t, "add rule netdev tandem_keepalived vs1_dispatch tcp flags & (syn | ack) "
                          "== syn delete @vs1_closing { ip saddr . tcp sport }"));
  EXPECT_NE(t.find("tcp flags & fin == fin ether daddr set ip saddr . tcp sport map @vs1_flows "
                   "ether saddr set 02:00:00:00:00:01 update @vs1_flows { ip saddr . tcp sport "
                   "timeout 120s : ether daddr } update @vs1_closing { ip saddr . tcp sport } fwd "
                   "to \"eth0\""),
            std::string::npos);
  EXPECT_NE(t.find("tcp flags & rst == rst"), std::string::npos);
  const auto closing = t.find("vs1_dispatch ip saddr . tcp sport @vs1_closing ether daddr set");
  ASSERT_NE(closing, std::string::npos);
  EXPECT_LT(closing, flows);
  EXPECT_TRUE(has_line(t, "add map netdev tandem_keepalived vs1_flows { type ipv4_addr . "
                          "inet_service : ether_addr; flags dynamic,timeout; timeout 900s; size "
                          "262144; }"));
}

TEST(DrRules, DrainingForwardsKnownFlowsOnlyAndLetsTheRestThrough) {
  auto s = seed001(true);
  s.device_ = "eth0";
  s.pool_macs_ = {mac_address{0x02, 0, 0, 0, 0, 0x12}, mac_address{0x02, 0, 0, 0, 0, 0x11}};
  const auto t = dr_drain(s);
  EXPECT_TRUE(has_line(t, "flush chain netdev tandem_keepalived vs1_dispatch"));
  EXPECT_NE(t.find("ether daddr set ip saddr . tcp sport map @vs1_flows"), std::string::npos);
  EXPECT_NE(t.find("@vs1_closing"), std::string::npos);
  EXPECT_EQ(t.find("map @vs1_persist"), std::string::npos);  // no new decisions here
  EXPECT_EQ(t.find("@vs1_slots"), std::string::npos);
  EXPECT_EQ(t.find("drop"), std::string::npos);  // unknown frames fall through
  // the same flow rules open the live dispatch chain
  const auto refill = dr_refill(s);
  EXPECT_EQ(refill.find(t), refill.find("flush chain"));
}

TEST(DrRules, ServersWithoutAKnownMacTakeNoNewFlows) {
  auto s = seed001(false);
  s.device_ = "eth0";
  s.pool_macs_ = {std::nullopt, mac_address{0x02, 0, 0, 0, 0, 0x11}};
  const auto t = dr_refill(s);
  EXPECT_TRUE(has_line(t, "add element netdev tandem_keepalived vs1_slots { 0 : 02:00:00:00:00:11 }"));
  s.pool_macs_ = {std::nullopt, std::nullopt};
  const auto none = dr_refill(s);
  EXPECT_EQ(none.find("vs1_slots {"), std::string::npos);
  EXPECT_EQ(none.find("map @vs1_slots"), std::string::npos);
  EXPECT_TRUE(has_line(none, "add rule netdev tandem_keepalived vs1_dispatch drop"));
}

TEST(MapListing, KeysAndDataAsNftPrintsThem) {
  const std::string listing =
      "table inet t {\n\tmap vs1_persist {\n\t\ttype ipv4_addr : ipv4_addr . inet_service\n"
      "\t\tsize 262144\n\t\tflags dynamic,timeout\n\t\ttimeout 2h40m\n"
      "\t\telements = { 10.0.9.0 timeout 2h40m expires 2h39m58s : 172.16.0.11 . 80, 10.0.8.0 "
      "timeout 2h40m expires 2h39m50s : 172.16.0.12 . 80,\n\t\t\t     10.0.7.0 expires 1s : "
      "172.16.0.11 . 80 }\n\t}\n}\n";
  const auto e = parse_map_listing(listing);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].key_, "10.0.9.0");
  EXPECT_EQ(e[0].data_, "172.16.0.11 . 80");
  EXPECT_EQ(e[2].key_, "10.0.7.0");
  auto s = seed001(true);
  EXPECT_EQ(persistence_purge(s, "inet", e, {"172.16.0.11 . 80"}),
            "delete element inet tandem_keepalived vs1_persist { 10.0.9.0, 10.0.7.0 }\n");
  EXPECT_EQ(persistence_purge(s, "inet", e, {"172.16.0.99 . 80"}), "");
  EXPECT_TRUE(parse_map_listing("table inet t {\n map m {\n }\n}\n").empty());
  const auto set = parse_map_listing("set s {\n elements = { 10.0.0.1 . 5 expires 1m, 10.0.0.2 . 6 } }");
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set[0].key_, "10.0.0.1 . 5");
  EXPECT_EQ(set[1].key_, "10.0.0.2 . 6");
  EXPECT_EQ(set[1].data_, "");
}

TEST(Choice, WhatNftablesCannotDoIsSaid) {
  plane_spec s;
  s.vips_.push_back({make_address("10.0.0.1"), make_address("10.0.0.1"), 80, 0});
  s.method_ = forwarding::tun;
  EXPECT_TRUE(nftables_unsuitable(s));
  s.method_ = forwarding::nat;
  s.scheduler_ = "wlc";
  auto why = nftables_unsuitable(s);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("wlc weighs live connection counts"), std::string::npos);
  s.scheduler_ = "";
  EXPECT_NE(nftables_unsuitable(s).value_or("").find("wlc"), std::string::npos);
  s.method_ = forwarding::dr;
  s.vips_ = {{{}, {}, 0, 3}};
  EXPECT_NE(nftables_unsuitable(s).value_or("").find("fwmark"), std::string::npos);
  s.vips_ = {{make_address("10.0.0.1"), make_address("10.0.0.1"), 80, 0}};
  s.real_server_methods_ = {forwarding::dr, forwarding::nat};
  EXPECT_NE(nftables_unsuitable(s).value_or("").find("lb_kind"), std::string::npos);
}

}  // namespace
}  // namespace tandem::runtime::lvs::dataplane
