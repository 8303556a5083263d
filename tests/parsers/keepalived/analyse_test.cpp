// Tests of the keepalived analyser: the keyword table (placement, old names, "did you mean"),
// the model with keepalived 2.2.7's defaults, the checks, the recoveries, migrate, and the seed
// configs of examples/ yielding the model their authors meant.
#include "parsers/keepalived/analyse.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "parsers/keepalived/codes.hpp"
#include "parsers/keepalived/keywords.hpp"
#include "parsers/keepalived/migrate.hpp"
#include "analysis_support.hpp"

namespace tandem::parsers::keepalived {
namespace {

namespace fs = std::filesystem;
const fs::path blog_configs = fs::path(TANDEM_SOURCE_DIR) / "examples" / "blog-configs";

using result = testing::analysis_result;
using testing::analyse_text;

std::unique_ptr<result> analyse_seed(const std::string& relative, environment env = {}) {
  std::ifstream in(blog_configs / relative, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_FALSE(s.str().empty()) << relative;
  return analyse_text(s.str(), std::move(env));
}

const std::string instance =
    "vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n"
    "  virtual_ipaddress {\n    192.0.2.10/24 dev eth0 label eth0:1\n  }\n";

TEST(keepalived_table, every_keyword_has_a_handler_and_a_place) {
  for (const keyword& k : keyword_table()) {
    EXPECT_NE(k.handler_, nullptr) << k.name_;
    EXPECT_NE(k.where_, 0U) << k.name_;
    EXPECT_LE(k.min_args_, k.max_args_) << k.name_;
    if (!k.current_name_.empty()) {
      // An old name's current name is itself a keyword somewhere.
      EXPECT_NE(find_keyword_anywhere(k.current_name_), nullptr) << k.name_;
    }
  }
}

TEST(keepalived_table, keywords_are_case_sensitive_and_placed) {
  EXPECT_NE(find_keyword("priority", context::vrrp_instance), nullptr);
  EXPECT_EQ(find_keyword("Priority", context::vrrp_instance), nullptr);
  EXPECT_EQ(find_keyword("priority", context::global_defs), nullptr);
  EXPECT_EQ(suggest_keyword("Priority", context::vrrp_instance), "priority");
  EXPECT_EQ(suggest_keyword("zzz_whatever", context::vrrp_instance), "");
  EXPECT_EQ(suggest_keyword("advert_intt", context::vrrp_instance), "advert_int");
}

TEST(keepalived_model, defaults_follow_keepalived) {
  auto r = analyse_text(instance + "}\nvrrp_instance VI_2 {\n  state MASTER\n  interface eth0\n"
                        "  virtual_router_id 52\n  virtual_ipaddress {\n    192.0.2.11\n  }\n}\n"
                        "virtual_server 192.0.2.10 80 {\n  persistence_timeout\n"
                        "  real_server 10.0.0.1 80 {\n    TCP_CHECK {\n    }\n  }\n}\n");
  EXPECT_TRUE(r->diags_.empty()) << r->codes().size();
  const config& m = r->a_.model_;
  ASSERT_EQ(m.vrrp_instances_.size(), 2U);
  const vrrp_instance& backup = m.vrrp_instances_[0];
  EXPECT_EQ(backup.state_, vrrp_state::backup);
  EXPECT_EQ(backup.priority_, 100);
  EXPECT_EQ(backup.advert_int_, 1);
  EXPECT_EQ(backup.version_, 2);
  ASSERT_EQ(backup.virtual_ipaddresses_.size(), 1U);
  const ip_address& vip = backup.virtual_ipaddresses_[0];
  EXPECT_EQ(vip.address_, "192.0.2.10");
  EXPECT_EQ(vip.prefix_, 24U);
  EXPECT_EQ(vip.device_, "eth0");
  EXPECT_EQ(vip.label_, "eth0:1");
  EXPECT_EQ(m.vrrp_instances_[1].priority_, 255);  // MASTER without priority owns the VIPs
  ASSERT_EQ(m.virtual_servers_.size(), 1U);
  const virtual_server& vs = m.virtual_servers_[0];
  EXPECT_EQ(vs.delay_loop_, 60);
  EXPECT_EQ(vs.persistence_timeout_, 360U);
  EXPECT_EQ(vs.lvs_method_, "NAT");
  ASSERT_EQ(vs.real_servers_.size(), 1U);
  EXPECT_EQ(vs.real_servers_[0].weight_, 1);
  ASSERT_EQ(vs.real_servers_[0].checkers_.size(), 1U);
  EXPECT_EQ(vs.real_servers_[0].checkers_[0].kind_, checker_kind::tcp);
}

TEST(keepalived_checks, values_and_references) {
  auto r = analyse_text(
      "global_defs {\n  router_id x\n  vrrp_version 4\n}\n"                // 3
      "vrrp_instance VI_1 {\n  interface eth0\n  state SLAVE\n"             // 7
      "  priority 0x10\n  advert_int abc\n  nopreempt\n"                    // 8, 9, 10
      "  virtual_ipaddress {\n    10.0.0.300\n  }\n"                        // 12
      "  track_script {\n    chk_missing weight 5\n  }\n"                   // 15
      "  authentication {\n    auth_type PASS\n    auth_pass 123456789\n  }\n"  // 19
      "}\n"
      "vrrp_instance VI_2 {\n  state MASTER\n  interface eth0\n  nopreempt\n"  // 25
      "  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.1\n  }\n}\n"
      "vrrp_instance VI_3 {\n  interface eth0\n  virtual_router_id 1\n"       // 33
      "  virtual_ipaddress {\n    10.0.0.2\n  }\n}\n"
      "vrrp_sync_group G {\n  group {\n    VI_1\n    VI_9\n  }\n}\n");       // 41
  EXPECT_TRUE(r->has(codes::out_of_range, 3));
  EXPECT_TRUE(r->has(codes::state_slave, 7));
  EXPECT_TRUE(r->has(codes::invalid_number, 8));
  EXPECT_TRUE(r->has(codes::invalid_number, 9));
  EXPECT_TRUE(r->has(codes::invalid_address, 12));
  EXPECT_TRUE(r->has(codes::undefined_script, 15));
  EXPECT_TRUE(r->has(codes::auth_pass_truncated, 19));
  EXPECT_TRUE(r->has(codes::vrid_missing, 5));
  EXPECT_TRUE(r->has(codes::nopreempt_master, 25));
  EXPECT_TRUE(r->has(codes::vrid_shared, 33));
  EXPECT_TRUE(r->has(codes::undefined_instance, 41));
  EXPECT_FALSE(r->has(codes::nopreempt_master, 10));  // VI_1 is a BACKUP (SLAVE)
  const vrrp_instance& vi1 = r->a_.model_.vrrp_instances_[0];
  EXPECT_EQ(vi1.state_, vrrp_state::backup);
  EXPECT_EQ(vi1.authentication_->password_, "12345678");
  ASSERT_EQ(vi1.track_scripts_.size(), 1U);
  EXPECT_EQ(vi1.track_scripts_[0].weight_, 5);
}

TEST(keepalived_checks, unknown_keyword_says_where_it_belongs) {
  auto r = analyse_text("global_defs {\n  priority 5\n  Router_id x\n}\n");
  const diagnostic* d = r->find(codes::unknown_keyword);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->position_.line_, 2U);
  EXPECT_EQ(d->hint_.value_or(""), "'priority' belongs in a vrrp_instance block");
  EXPECT_TRUE(r->has(codes::unknown_keyword, 3));
  EXPECT_NE(r->diags_.all().back().hint_.value_or("").find("router_id"), std::string::npos);
}

TEST(keepalived_checks, old_names_warn_and_still_mean_the_same) {
  auto r = analyse_text("global_defs {\n  lvs_id LB1\n}\n"
                        "virtual_server 10.0.0.1 80 {\n  lb_algo rr\n  lb_kind DR\n  nat_mask 255.0.0.0\n"
                        "  real_server 10.0.0.2 80 {\n    HTTP_GET {\n      nb_get_retry 3\n"
                        "      url {\n        path /\n        status_code 200\n      }\n    }\n  }\n}\n");
  EXPECT_TRUE(r->has(codes::old_keyword, 2));
  EXPECT_TRUE(r->has(codes::alias_keyword, 5));
  EXPECT_TRUE(r->has(codes::alias_keyword, 6));
  EXPECT_TRUE(r->has(codes::obsolete_keyword, 7));
  EXPECT_TRUE(r->has(codes::old_keyword, 10));
  EXPECT_FALSE(r->diags_.has_errors());
  const config& m = r->a_.model_;
  EXPECT_EQ(m.global_.router_id_, "LB1");
  EXPECT_EQ(m.virtual_servers_[0].lvs_sched_, "rr");
  EXPECT_EQ(m.virtual_servers_[0].lvs_method_, "DR");
  EXPECT_EQ(m.virtual_servers_[0].real_servers_[0].checkers_[0].retry_, 3U);
  const std::string out = migrate(r->a_, r->sources_, r->file_, r->diags_);
  EXPECT_NE(out.find("  router_id LB1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("  lvs_sched rr\n  lvs_method DR\n"), std::string::npos) << out;
  EXPECT_NE(out.find("# obsolete, ignored: nat_mask"), std::string::npos) << out;
  EXPECT_NE(out.find("      retry 3\n"), std::string::npos) << out;
}

TEST(keepalived_recovery, missing_close_brace_before_the_next_block) {
  auto r = analyse_text("vrrp_script chk {\n  script \"/bin/true\"\n\n" + instance +
                        "  track_script {\n    chk\n  }\n}\n");
  EXPECT_TRUE(r->has(codes::missing_close_brace, 4)) << r->codes().size();
  EXPECT_EQ(r->find(codes::unclosed_block), nullptr);
  ASSERT_EQ(r->a_.model_.vrrp_instances_.size(), 1U);
  EXPECT_EQ(r->a_.model_.vrrp_instances_[0].track_scripts_.size(), 1U);
  const std::string out = migrate(r->a_, r->sources_, r->file_, r->diags_);
  EXPECT_EQ(out.substr(0, 62), "vrrp_script chk {\n  script \"/bin/true\"\n\n}\nvrrp_instance VI_1 {");
}

TEST(keepalived_recovery, unclosed_block_at_the_end_is_an_error) {
  auto r = analyse_text(instance);
  EXPECT_TRUE(r->has(codes::unclosed_block, 1));
}

// The seeds: exactly the diagnostics a careful reader gives, and the model the author meant.

TEST(keepalived_seeds, s003_missing_brace_is_recovered_into_the_meant_instance) {
  auto r = analyse_seed("003-smtp-cluster-dc/dc1.keepalived.conf");
  EXPECT_EQ(r->codes(), (std::vector<std::string>{"ka-missing-open-brace@17",
                                                  "ka-auth-pass-truncated@31",
                                                  "ka-script-security@12"}));
  const config& m = r->a_.model_;
  ASSERT_EQ(m.vrrp_instances_.size(), 1U);
  const vrrp_instance& i = m.vrrp_instances_[0];
  EXPECT_EQ(i.name_, "dc1server");
  EXPECT_EQ(i.state_, vrrp_state::master);
  EXPECT_EQ(i.virtual_router_id_, 50);
  EXPECT_EQ(i.priority_, 101);
  EXPECT_EQ(i.authentication_->password_, "SOMEPASS");
  ASSERT_EQ(i.track_scripts_.size(), 1U);
  EXPECT_EQ(i.track_scripts_[0].weight_, 20);
  ASSERT_EQ(i.virtual_ipaddresses_.size(), 1U);
  EXPECT_EQ(i.virtual_ipaddresses_[0].address_, "10.0.10.3");
  EXPECT_EQ(i.virtual_ipaddresses_[0].device_, "eth0");
  EXPECT_EQ(m.global_.smtp_connect_timeout_, 20);
  ASSERT_EQ(m.global_.notification_email_.size(), 1U);
  const std::string out = migrate(r->a_, r->sources_, r->file_, r->diags_);
  EXPECT_NE(out.find("vrrp_instance dc1server {\n    state MASTER"), std::string::npos) << out;
}

TEST(keepalived_seeds, s004_priority_from_the_environment_gives_the_reconstruction) {
  auto templ = analyse_seed("004-vagrant-layer4/keepalived.conf", {{"PRIORITY", "101"}});
  auto hap1 = analyse_seed("004-vagrant-layer4/hap1.keepalived.reconstructed.conf");
  EXPECT_EQ(templ->codes(), (std::vector<std::string>{"ka-variable-from-environment@10",
                                                      "ka-script-security@1"}));
  const vrrp_instance& a = templ->a_.model_.vrrp_instances_.at(0);
  const vrrp_instance& b = hap1->a_.model_.vrrp_instances_.at(0);
  EXPECT_EQ(a.priority_, 101);
  EXPECT_EQ(a.priority_, b.priority_);
  EXPECT_EQ(a.virtual_router_id_, b.virtual_router_id_);
  EXPECT_EQ(a.interface_, b.interface_);
  EXPECT_EQ(a.virtual_ipaddresses_.at(0).address_, b.virtual_ipaddresses_.at(0).address_);
  const std::string out = migrate(templ->a_, templ->sources_, templ->file_, templ->diags_);
  EXPECT_EQ(out.find("$PRIORITY=101\n"), out.find('$'));
  EXPECT_NE(out.find("$PRIORITY=101\n"), std::string::npos) << out;

  auto unset = analyse_seed("004-vagrant-layer4/keepalived.conf");
  EXPECT_TRUE(unset->has(codes::undefined_variable, 10));
  EXPECT_TRUE(unset->diags_.has_errors());
}

TEST(keepalived_seeds, s001_reconstruction_model) {
  auto r = analyse_seed("001-keepalived-lvs-dr/loadbalancer01.keepalived.reconstructed.conf");
  EXPECT_EQ(r->codes(), (std::vector<std::string>{"ka-old-keyword@2", "ka-alias-keyword@21",
                                                  "ka-alias-keyword@22",
                                                  "ka-sync-group-single@4"}));
  const config& m = r->a_.model_;
  EXPECT_EQ(m.global_.router_id_, "LoadBalancer01");
  ASSERT_EQ(m.sync_groups_.size(), 1U);
  EXPECT_EQ(m.sync_groups_[0].instances_.at(0).value_, "FloatIP01");
  const vrrp_instance& i = m.vrrp_instances_.at(0);
  EXPECT_EQ(i.virtual_ipaddresses_.at(0).prefix_, 25U);
  const virtual_server& vs = m.virtual_servers_.at(0);
  EXPECT_EQ(vs.delay_loop_, 10);
  EXPECT_EQ(vs.persistence_timeout_, 9600U);
  EXPECT_EQ(vs.lvs_method_, "DR");
  ASSERT_EQ(vs.real_servers_.size(), 2U);
  EXPECT_EQ(vs.real_servers_[1].checkers_.at(0).connect_port_, 80U);
  EXPECT_EQ(vs.real_servers_[1].checkers_.at(0).connect_timeout_, 3);

  auto flat = analyse_seed("001-keepalived-lvs-dr/loadbalancer01.keepalived.conf");
  EXPECT_EQ(flat->codes(), (std::vector<std::string>{"ka-comment-swallows-structure@1",
                                                     "ka-unclosed-block@1", "ka-old-keyword@1"}));
}

TEST(keepalived_seeds, s000_nbsp_file_reads_as_meant) {
  auto r = analyse_seed("000-squeeze-four-machines/proxy1.keepalived.conf");
  EXPECT_EQ(r->codes(), (std::vector<std::string>{"pasted-space@1", "ka-script-security@1"}));
  const config& m = r->a_.model_;
  ASSERT_EQ(m.vrrp_scripts_.size(), 1U);
  EXPECT_EQ(m.vrrp_scripts_[0].script_, "killall -0 haproxy");
  EXPECT_EQ(m.vrrp_scripts_[0].interval_, 2);
  EXPECT_EQ(m.vrrp_scripts_[0].weight_, 2);
  EXPECT_EQ(m.vrrp_instances_.at(0).priority_, 101);
  EXPECT_EQ(m.vrrp_instances_.at(0).virtual_ipaddresses_.at(0).address_, "11.22.33.44");
}

TEST(keepalived_fuzzish, garbage_never_throws) {
  const std::vector<std::string> inputs = {
      "{", "}", "{{{{", "vrrp_instance", "vrrp_instance {", "virtual_server fwmark",
      "virtual_server group", "real_server", "vrrp_instance x\n}\n}", "$A=$A\n$A",
      std::string("\0\xff\xfe", 3), "global_defs {\n notification_email\n}\n",
      "vrrp_instance a {\n track_script {\n x weight\n }\n}\n"};
  for (const std::string& in : inputs) {
    auto r = analyse_text(in);
    (void)migrate(r->a_, r->sources_, r->file_, r->diags_);
  }
}

}  // namespace
}  // namespace tandem::parsers::keepalived
