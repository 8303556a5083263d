// Tests of `tandem migrate` for keepalived.conf: what keepalived 2.2.7 warns about and does
// anyway is written the way it does it (moved, made explicit, or commented out with the reason),
// so the output passes the real `keepalived -t` (compat-tests/test_keepalived_corpus.py runs
// it on the corpus) and still means what the original meant.
#include "parsers/keepalived/migrate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "parsers/keepalived/analyse.hpp"
#include "analysis_support.hpp"

namespace tandem::parsers::keepalived {
namespace {

std::string migrated(std::string text) { return testing::analyse_text(std::move(text))->migrated(); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(keepalived_migrate, lvs_sync_daemon_interface_moves_to_global_defs) {
  const std::string out = migrated(
      "global_defs {\n  router_id a\n}\n"
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"
      "  lvs_sync_daemon_interface eth1\n}\n"
      "vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 2\n"
      "  lvs_sync_daemon_interface eth0\n}\n");
  EXPECT_TRUE(contains(out, "global_defs {\n  router_id a\n  lvs_sync_daemon eth1 VI_1\n}\n")) << out;
  EXPECT_TRUE(contains(out, "  # moved to global_defs as 'lvs_sync_daemon eth1 VI_1'")) << out;
  // keepalived keeps the first and ignores the second ("has already been specified").
  EXPECT_TRUE(contains(out, "  # keepalived ignores it, lvs_sync_daemon is already set: "
                            "lvs_sync_daemon_interface eth0\n")) << out;
}

TEST(keepalived_migrate, lvs_sync_daemon_gets_a_global_defs_when_there_is_none) {
  const std::string out = migrated(
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"
      "  lvs_sync_daemon_interface eth1\n}\n");
  EXPECT_TRUE(contains(out, "global_defs {\n    lvs_sync_daemon eth1 VI_1\n}\n")) << out;
}

TEST(keepalived_migrate, master_with_ah_starts_as_backup) {
  const std::string ah =
      "vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 1\n"
      "    priority 100\n    authentication {\n        auth_type AH\n        auth_pass 1111\n"
      "    }\n}\n";
  const std::string out = migrated(ah);
  {
    source_registry sources;
    diagnostics diags;
    const file_id file = sources.add("test.conf", ah);
    const analysis a = analyse_file(file, sources, analyse_options{}, diags);
    ASSERT_EQ(a.model_.vrrp_instances_.size(), 1U);
    EXPECT_EQ(a.model_.vrrp_instances_.front().state_, vrrp_state::backup);  // as keepalived runs it
    const auto it = std::find_if(diags.begin(), diags.end(),
                                 [](const diagnostic& d) { return d.code_ == "ka-ah-master"; });
    ASSERT_NE(it, diags.end());
    EXPECT_EQ(it->position_.line_, 2U);
  }
  EXPECT_TRUE(contains(out, "    # was MASTER: keepalived starts an instance with AH authentication"))
      << out;
  EXPECT_TRUE(contains(out, "\n    state BACKUP\n")) << out;
  // The address owner (priority 255, or MASTER without priority) stays MASTER.
  std::string owner = ah;
  owner.replace(owner.find("    priority 100\n"), 17, "");
  EXPECT_TRUE(contains(migrated(owner), "state MASTER")) << migrated(owner);
}

TEST(keepalived_migrate, routes_without_dev_say_no_track_and_or_becomes_nexthop) {
  const std::string out = migrated(
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_routes {\n"
      "    10.0.1.0/24 via 10.0.0.1 dev eth1\n"
      "    10.0.2.0/24 via 10.0.0.1\n"
      "    10.0.3.0/24 via 10.0.0.1 or 10.0.0.2 dev eth1\n"
      "    10.0.4.0/24 via 10.0.0.1 or 10.0.0.2\n"
      "    blackhole 10.0.5.0/24\n"
      "    0.0.0.0/0 gw 10.0.0.1 table 100  # default\n"
      "    10.0.6.0/24 nexthop via 10.0.0.1 nexthop via 10.0.0.2\n"
      "  }\n}\n");
  EXPECT_TRUE(contains(out, "    10.0.1.0/24 via 10.0.0.1 dev eth1\n")) << out;
  EXPECT_TRUE(contains(out, "    10.0.2.0/24 via 10.0.0.1 no_track\n")) << out;
  EXPECT_TRUE(contains(out, "    10.0.3.0/24 dev eth1 nexthop via 10.0.0.1 nexthop via 10.0.0.2\n"))
      << out;
  EXPECT_TRUE(contains(out, "    10.0.4.0/24 no_track nexthop via 10.0.0.1 nexthop via 10.0.0.2\n"))
      << out;
  EXPECT_TRUE(contains(out, "    blackhole 10.0.5.0/24 no_track\n")) << out;
  EXPECT_TRUE(contains(out, "    0.0.0.0/0 via 10.0.0.1 table 100 no_track  # default\n")) << out;
  EXPECT_TRUE(contains(out, "    10.0.6.0/24 no_track nexthop via 10.0.0.1 nexthop via 10.0.0.2\n"))
      << out;
}

TEST(keepalived_migrate, weighted_track_scripts_in_a_sync_group_are_commented_out) {
  const std::string text =
      "vrrp_script heavy {\n  script \"/bin/true\"\n  weight -4\n}\n"
      "vrrp_script plain {\n  script \"/bin/true\"\n}\n"
      "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_2\n  }\n}\n"
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"
      "  track_script {\n    heavy\n    plain\n    plain weight 3\n    heavy weight 0\n  }\n}\n"
      "vrrp_instance VI_3 {\n  interface eth0\n  virtual_router_id 3\n"
      "  track_script {\n    heavy\n  }\n}\n";
  const std::string out = migrated(text);
  const std::string why = "# keepalived ignores a track_script with a weight in a sync group's instance: ";
  EXPECT_TRUE(contains(out, "    " + why + "heavy\n    plain\n    " + why + "plain weight 3\n"
                            "    heavy weight 0\n")) << out;
  // VI_3 is in no group: its weight counts.
  EXPECT_TRUE(contains(out, "  track_script {\n    heavy\n  }\n}\n")) << out;
  // sync_group_tracking_weight keeps the weights.
  std::string kept = text;
  kept.replace(kept.find("  group {"), 0, "  sync_group_tracking_weight\n");
  EXPECT_FALSE(contains(migrated(kept), why)) << migrated(kept);
}

TEST(keepalived_migrate, lvs_defaults_are_written_out) {
  const std::string out = migrated(
      "virtual_server 10.0.0.1 80 {\n  protocol TCP\n  real_server 10.0.0.2 80 {\n  }\n}\n"
      "virtual_server 10.0.0.1 81 {\n  lb_algo rr\n  lb_kind DR\n  real_server 10.0.0.2 81 {\n  }\n}\n"
      "virtual_server 10.0.0.1 82 {\n  lvs_sched rr\n  real_server 10.0.0.2 82 {\n"
      "    lvs_method DR\n  }\n}\n");
  EXPECT_TRUE(contains(out, "virtual_server 10.0.0.1 80 {\n  lvs_sched wlc  # keepalived's default, "
                            "written out\n  lvs_method NAT  # keepalived's default, written out\n"
                            "  protocol TCP\n")) << out;
  EXPECT_TRUE(contains(out, "virtual_server 10.0.0.1 81 {\n  lvs_sched rr\n  lvs_method DR\n")) << out;
  // Every real server has its own method: keepalived picks none for the virtual server.
  EXPECT_TRUE(contains(out, "virtual_server 10.0.0.1 82 {\n  lvs_sched rr\n  real_server")) << out;
}

TEST(keepalived_migrate, unicast_keywords_without_peers_become_multicast) {
  const std::string out = migrated(
      "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n"
      "  unicast_src_ip 10.0.0.1\n  check_unicast_src\n}\n"
      "vrrp_instance VI_2 {\n  interface eth0\n  virtual_router_id 2\n"
      "  unicast_src_ip 10.0.0.1\n  unicast_peer {\n    10.0.0.2\n  }\n}\n");
  EXPECT_TRUE(contains(out, "  # no unicast_peer: keepalived sends multicast adverts from this "
                            "address\n  mcast_src_ip 10.0.0.1\n")) << out;
  EXPECT_TRUE(contains(out, "  # keepalived ignores it without unicast_peer (it uses multicast): "
                            "check_unicast_src\n")) << out;
  EXPECT_TRUE(contains(out, "  unicast_src_ip 10.0.0.1\n  unicast_peer {")) << out;
}

}  // namespace
}  // namespace tandem::parsers::keepalived
