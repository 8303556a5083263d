// Tests of the keepalived analyser's recovery of a '}' forgotten inside a block (analyse.cpp,
// recover_nested_close_brace): the model is the one the author meant, one warning shows the
// fix, migrate writes the '}', and nothing is guessed where the intent is not clear.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "parsers/keepalived/analyse.hpp"
#include "parsers/keepalived/codes.hpp"
#include "parsers/keepalived/migrate.hpp"
#include "analysis_support.hpp"

namespace tandem::parsers::keepalived {
namespace {

using testing::analyse_text;

TEST(keepalived_nested_recovery, real_server_left_open_before_the_next) {
  auto r = analyse_text(
      "virtual_server 10.0.0.1 80 {\n"        // 1
      "    lvs_sched rr\n"                     // 2
      "    lvs_method DR\n"                    // 3
      "    real_server 10.0.0.2 80 {\n"        // 4
      "        weight 2\n"                     // 5
      "        TCP_CHECK {\n"                  // 6
      "            connect_timeout 3\n"        // 7
      "        }\n"                            // 8
      "    # the second server\n"              // 9
      "    real_server 10.0.0.3 80 {\n"        // 10
      "        weight 3\n"                     // 11
      "    }\n"                                // 12
      "}\n");                                  // 13
  EXPECT_EQ(r->codes(), std::vector<std::string>{"ka-missing-close-brace@10"});
  const diagnostic& d = *r->diags_.begin();
  EXPECT_NE(d.message_.find("'real_server' cannot stand inside 'real_server 10.0.0.2 80' (opened on line 4)"),
            std::string::npos) << d.message_;
  EXPECT_EQ(d.hint_, "add '}' before line 10 to close 'real_server 10.0.0.2 80'");
  ASSERT_EQ(r->a_.model_.virtual_servers_.size(), 1U);
  const auto& servers = r->a_.model_.virtual_servers_.front().real_servers_;
  ASSERT_EQ(servers.size(), 2U);
  EXPECT_EQ(servers[0].weight_, 2);
  EXPECT_EQ(servers[0].checkers_.size(), 1U);
  EXPECT_EQ(servers[1].address_, "10.0.0.3");
  EXPECT_EQ(servers[1].weight_, 3);
  // The '}' goes before the comment that introduces the second server, indented as a sibling.
  EXPECT_NE(r->migrated().find("        }\n    }\n    # the second server\n    real_server 10.0.0.3"),
            std::string::npos) << r->migrated();
}

TEST(keepalived_nested_recovery, virtual_ipaddress_left_open_before_track_script) {
  auto r = analyse_text(
      "vrrp_script chk {\n  script \"/bin/true\"\n}\n"   // 1-3
      "global_defs {\n  enable_script_security\n}\n"      // 4-6
      "vrrp_instance VI_1 {\n"                            // 7
      "  interface eth0\n"                                // 8
      "  virtual_router_id 1\n"                           // 9
      "  virtual_ipaddress {\n"                           // 10
      "    10.0.0.10\n"                                   // 11
      "  track_script {\n"                                // 12
      "    chk\n"                                         // 13
      "  }\n"                                             // 14
      "}\n");                                             // 15
  EXPECT_EQ(r->codes(), std::vector<std::string>{"ka-missing-close-brace@12"});
  ASSERT_EQ(r->a_.model_.vrrp_instances_.size(), 1U);
  const vrrp_instance& i = r->a_.model_.vrrp_instances_.front();
  ASSERT_EQ(i.virtual_ipaddresses_.size(), 1U);
  EXPECT_EQ(i.virtual_ipaddresses_.front().address_, "10.0.0.10");
  ASSERT_EQ(i.track_scripts_.size(), 1U);
  EXPECT_EQ(i.track_scripts_.front().name_, "chk");
  EXPECT_NE(r->migrated().find("    10.0.0.10\n  }\n  track_script {\n"), std::string::npos)
      << r->migrated();
}

TEST(keepalived_nested_recovery, two_forgotten_braces_are_both_recovered) {
  auto r = analyse_text(
      "virtual_server 10.0.0.1 80 {\n"   // 1
      "  lvs_method DR\n"                // 2
      "  real_server 10.0.0.2 80 {\n"    // 3
      "    TCP_CHECK {\n"                // 4
      "      connect_timeout 3\n"        // 5
      "  real_server 10.0.0.3 80 {\n"    // 6
      "  }\n"                            // 7
      "  real_server 10.0.0.4 80 {\n"    // 8
      "  }\n"                            // 9
      "}\n");                            // 10
  // TCP_CHECK's '}' and real_server 10.0.0.2's are both missing: the second real_server cannot
  // stand in a TCP_CHECK nor in a real_server.
  for (const diagnostic& d : r->diags_) EXPECT_EQ(d.code_, codes::missing_close_brace) << d.message_;
  ASSERT_EQ(r->a_.model_.virtual_servers_.size(), 1U);
  EXPECT_EQ(r->a_.model_.virtual_servers_.front().real_servers_.size(), 3U);
}

TEST(keepalived_nested_recovery, a_statement_that_is_not_a_block_is_not_moved) {
  // delay_loop belongs to the virtual server, but a value in the wrong block is as likely a
  // misplaced line as a forgotten '}': the unclosed block stays an error.
  auto r = analyse_text(
      "virtual_server 10.0.0.1 80 {\n"
      "  real_server 10.0.0.2 80 {\n"
      "    weight 1\n"
      "  delay_loop 3\n"
      "}\n");
  const auto codes = r->codes();
  EXPECT_NE(std::find(codes.begin(), codes.end(), "ka-unclosed-block@1"), codes.end());
  EXPECT_EQ(std::find(codes.begin(), codes.end(), "ka-missing-close-brace@4"), codes.end());
}

TEST(keepalived_nested_recovery, a_closed_file_is_left_alone) {
  // Every block closes: a real_server inside a real_server is an error, not a recovery.
  auto r = analyse_text(
      "virtual_server 10.0.0.1 80 {\n"
      "  real_server 10.0.0.2 80 {\n"
      "    real_server 10.0.0.3 80 {\n"
      "    }\n"
      "  }\n"
      "}\n");
  const auto codes = r->codes();
  EXPECT_EQ(std::find(codes.begin(), codes.end(), "ka-missing-close-brace@3"), codes.end());
  EXPECT_NE(std::find(codes.begin(), codes.end(), "ka-unknown-keyword@3"), codes.end());
}

}  // namespace
}  // namespace tandem::parsers::keepalived
