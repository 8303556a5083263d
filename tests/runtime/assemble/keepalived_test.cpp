// keepalived models -> the VRRP daemon's spec: seed 000's file as the post has it, keepalived's
// defaults and corrections, and what Tandem cannot run yet reported with its line.
#include "runtime/assemble/keepalived.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/parsers/keepalived/analysis_support.hpp"

namespace tandem::runtime::assemble {
namespace {

using parsers::keepalived::testing::analyse_text;
using vrrp::ip_address;

keepalived_result assemble(const std::string& text) {
  auto r = analyse_text(text);
  return assemble_keepalived(r->a_.model_);
}

std::string messages(const keepalived_result& r) {
  std::string s;
  for (const auto& p : r.problems_) s += std::to_string(p.position_.line_) + ": " + p.message_ + "\n";
  return s;
}

TEST(assemble_keepalived, seed_000_proxy1_verbatim) {
  std::ifstream f(std::string(TANDEM_SOURCE_DIR) +
                  "/examples/blog-configs/000-squeeze-four-machines/proxy1.keepalived.conf");
  std::stringstream text;
  text << f.rdbuf();
  ASSERT_NE(text.str().find("\xc2\xa0"), std::string::npos);  // the no-break spaces are there
  const auto r = assemble(text.str());
  ASSERT_TRUE(r.ok()) << messages(r);
  ASSERT_EQ(r.spec_.instances_.size(), 1u);
  const auto& in = r.spec_.instances_[0];
  EXPECT_EQ(in.config_.name_, "VI_1");
  EXPECT_EQ(in.interface_, "eth0");
  EXPECT_EQ(in.config_.vrid_, 51);
  EXPECT_EQ(in.config_.priority_, 101);
  EXPECT_EQ(in.config_.version_, 2);
  EXPECT_TRUE(in.config_.initial_master_);
  EXPECT_EQ(in.config_.advert_interval_, std::chrono::seconds(1));
  ASSERT_EQ(in.config_.vips_.size(), 1u);
  EXPECT_EQ(in.config_.vips_[0], *ip_address::parse("11.22.33.44"));
  EXPECT_EQ(in.vips_[0].prefix_, 32u);
  EXPECT_EQ(in.vips_[0].device_, "eth0");
  EXPECT_EQ(in.transport_.multicast_group_, *ip_address::parse("224.0.0.18"));
  ASSERT_EQ(in.config_.trackers_.size(), 1u);
  EXPECT_EQ(in.config_.trackers_[0].name_, "chk_haproxy");
  EXPECT_EQ(in.config_.trackers_[0].weight_, 2);
  EXPECT_EQ(in.trackers_[0].kind_, vrrp::io::tracker_kind::script);
  ASSERT_EQ(r.spec_.scripts_.size(), 1u);
  const auto& s = r.spec_.scripts_[0];
  EXPECT_EQ(s.argv_, (std::vector<std::string>{"killall", "-0", "haproxy"}));
  EXPECT_EQ(s.interval_, std::chrono::seconds(2));
  EXPECT_EQ(s.timeout_, std::chrono::seconds(2));  // keepalived: no timeout = the interval
  EXPECT_EQ(s.rise_, 1);
  EXPECT_EQ(s.fall_, 1);
}

TEST(assemble_keepalived, v3_unicast_pass_auth_is_dropped_and_interval_in_centiseconds) {
  const auto r = assemble(R"(global_defs {
  vrrp_version 3
  vrrp_garp_master_repeat 2
}
vrrp_instance V {
  interface eth0
  virtual_router_id 7
  priority 150
  advert_int 0.1
  unicast_src_ip 10.0.0.1
  unicast_peer {
    10.0.0.2
  }
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.0.0.100/24 brd + dev eth0 label eth0:vip scope link
  }
  virtual_routes {
    192.168.0.0/16 via 10.0.0.254
  }
  notify "/usr/local/bin/n.sh"
}
)");
  ASSERT_TRUE(r.ok()) << messages(r);
  const auto& in = r.spec_.instances_.at(0);
  EXPECT_EQ(in.config_.version_, 3);
  EXPECT_EQ(in.config_.advert_interval_, std::chrono::milliseconds(100));
  EXPECT_EQ(in.config_.auth_, vrrp::auth_type::none);
  EXPECT_NE(messages(r).find("authentication is not used"), std::string::npos);
  EXPECT_EQ(in.config_.garp_.master_repeat_, 2u);
  EXPECT_EQ(in.source_, ip_address::parse("10.0.0.1"));
  ASSERT_EQ(in.transport_.unicast_peers_.size(), 1u);
  EXPECT_EQ(in.transport_.unicast_peers_[0], *ip_address::parse("10.0.0.2"));
  const auto& v = in.vips_.at(0);
  EXPECT_EQ(v.prefix_, 24u);
  EXPECT_EQ(v.broadcast_, ip_address::parse("10.0.0.255"));
  EXPECT_EQ(v.label_, "eth0:vip");
  EXPECT_EQ(v.scope_, 253);
  ASSERT_EQ(in.routes_.size(), 1u);
  EXPECT_EQ(in.routes_[0].destination_, ip_address::parse("192.168.0.0"));
  EXPECT_EQ(in.routes_[0].prefix_, 16u);
  EXPECT_EQ(in.routes_[0].via_, ip_address::parse("10.0.0.254"));
  EXPECT_EQ(in.notify_.any_, "/usr/local/bin/n.sh");
}

TEST(assemble_keepalived, v2_pass_auth_keeps_eight_bytes) {
  const auto r = assemble(R"(vrrp_instance V {
  interface eth0
  virtual_router_id 7
  authentication {
    auth_type PASS
    auth_pass 1111
  }
  virtual_ipaddress {
    10.0.0.100
  }
}
)");
  ASSERT_TRUE(r.ok()) << messages(r);
  const auto& c = r.spec_.instances_.at(0).config_;
  EXPECT_EQ(c.auth_, vrrp::auth_type::pass);
  EXPECT_EQ(c.auth_data_, (std::array<std::uint8_t, 8>{'1', '1', '1', '1', 0, 0, 0, 0}));
}

TEST(assemble_keepalived, what_cannot_run_is_an_error_with_its_line) {
  const auto r = assemble(R"(static_routes {
  10.0.0.0/8 via 10.0.0.1
}
vrrp_instance V {
  interface eth0
  virtual_router_id 7
  virtual_ipaddress {
    10.0.0.100
  }
}
)");
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.problems_.empty());
  EXPECT_NE(r.problems_[0].message_.find("static_routes"), std::string::npos);
  EXPECT_EQ(r.problems_[0].position_.line_, 2u);
}

TEST(assemble_keepalived, use_vmac_puts_the_vips_on_vrrp_vrid) {
  const auto r = assemble(R"(vrrp_instance V {
  interface eth0
  virtual_router_id 51
  use_vmac
  virtual_ipaddress {
    10.0.0.100
    10.0.0.101 dev eth1
  }
}
)");
  ASSERT_TRUE(r.ok()) << messages(r);
  const auto& in = r.spec_.instances_.at(0);
  EXPECT_EQ(in.vmac_, "vrrp.51");
  EXPECT_EQ(in.vips_.at(0).device_, "vrrp.51");
  EXPECT_EQ(in.vips_.at(0).text_, "10.0.0.100 dev vrrp.51 scope global");
  EXPECT_EQ(in.vips_.at(1).device_, "eth1");
  EXPECT_EQ(in.interface_, "eth0");
}

TEST(assemble_keepalived, track_entries_take_their_own_weight_and_sync_groups_bind) {
  const auto r = assemble(R"(vrrp_script chk {
  script "/bin/true"
  weight 10
  init_fail
}
vrrp_sync_group G {
  group {
    A
  }
}
vrrp_instance A {
  interface eth0
  virtual_router_id 7
  track_script {
    chk weight -20
  }
  track_interface {
    eth1
  }
  virtual_ipaddress {
    10.0.0.100
  }
}
)");
  ASSERT_TRUE(r.ok()) << messages(r);
  const auto& in = r.spec_.instances_.at(0);
  ASSERT_EQ(in.config_.trackers_.size(), 2u);
  EXPECT_EQ(in.config_.trackers_[0].weight_, -20);
  EXPECT_EQ(in.config_.trackers_[0].initial_, vrrp::tracker_status::failing);
  EXPECT_EQ(in.trackers_[1].kind_, vrrp::io::tracker_kind::interface);
  EXPECT_EQ(in.trackers_[1].target_, "eth1");
  EXPECT_EQ(in.config_.trackers_[1].weight_, 0);
  EXPECT_EQ(in.sync_group_, "G");
  ASSERT_EQ(r.spec_.groups_.size(), 1u);
  EXPECT_EQ(r.spec_.groups_[0].members_, (std::vector<std::string>{"A"}));
}

TEST(assemble_keepalived, virtual_rules_are_read_and_unknown_words_refused) {
  auto r = assemble(R"(vrrp_instance V {
  interface eth0
  virtual_router_id 7
  virtual_ipaddress {
    10.0.0.100
  }
  virtual_rules {
    from 10.7.9.0/24 table 100 priority 5
    to 192.168.0.0/16 lookup main fwmark 3/0xff
  }
}
)");
  ASSERT_TRUE(r.ok()) << messages(r);
  const auto& rules = r.spec_.instances_.at(0).rules_;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].from_, ip_address::parse("10.7.9.0"));
  EXPECT_EQ(rules[0].from_len_, 24u);
  EXPECT_EQ(rules[0].table_, 100u);
  EXPECT_EQ(rules[0].priority_, 5u);
  EXPECT_EQ(rules[1].to_len_, 16u);
  EXPECT_EQ(rules[1].table_, 254u);
  EXPECT_EQ(rules[1].fwmark_, 3u);
  EXPECT_EQ(rules[1].fwmask_, 0xffu);
  auto bad = assemble(R"(vrrp_instance V {
  interface eth0
  virtual_router_id 7
  virtual_ipaddress {
    10.0.0.100
  }
  virtual_rules {
    from 10.7.9.0/24 table 100 l3mdev
  }
}
)");
  EXPECT_FALSE(bad.ok());
}

TEST(assemble_keepalived, script_words_split_as_keepalived) {
  EXPECT_EQ(split_script_words("killall -0 haproxy"),
            (std::vector<std::string>{"killall", "-0", "haproxy"}));
  EXPECT_EQ(split_script_words("/bin/sh -c 'echo a b'"),
            (std::vector<std::string>{"/bin/sh", "-c", "echo a b"}));
  EXPECT_EQ(split_script_words("a\\ b \"\""), (std::vector<std::string>{"a b", ""}));
}

}  // namespace
}  // namespace tandem::runtime::assemble
