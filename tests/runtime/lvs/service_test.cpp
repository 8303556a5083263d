// The virtual service as keepalived 2.2.7 drives IPVS: the pool's order (IPVS adds at the
// head), real servers leaving and joining on checker verdicts with keepalived's log lines,
// inhibit_on_failure, quorum with hysteresis and the sorry server, alpha, misc_dynamic
// weights, persistence templates with granularity and expiry, u_threshold overload.
#include <gtest/gtest.h>

#include "runtime/lvs/scheduler/service.hpp"

namespace tandem::runtime::lvs {
namespace {

using boost::asio::ip::make_address;

real_server_config rs(const char* a, int weight = 1, int checkers = 1, bool alpha = false) {
  real_server_config r;
  r.address_ = make_address(a);
  r.port_ = 8080;
  r.weight_ = weight;
  r.checkers_start_down_.assign(static_cast<std::size_t>(checkers), alpha);
  r.notify_up_ = std::string("/up ") + a;
  r.notify_down_ = std::string("/down ") + a;
  return r;
}

service_config vs(std::vector<real_server_config> servers, const char* sched = "rr") {
  service_config c;
  c.address_ = make_address("10.0.0.100");
  c.port_ = 80;
  c.scheduler_ = sched;
  c.real_servers_ = std::move(servers);
  return c;
}

struct recorder {
  std::vector<std::string> logs, scripts;
  std::function<void(const service_event&)> fn() {
    return [this](const service_event& e) {
      (e.kind_ == service_event::kind::log ? logs : scripts).push_back(e.text_);
    };
  }
};

connection conn(const char* src, std::uint16_t sport = 40000) {
  connection c;
  c.source_ = make_address(src);
  c.source_port_ = sport;
  c.destination_ = make_address("10.0.0.100");
  c.destination_port_ = 80;
  return c;
}

std::string picks(virtual_service& s, int n, const char* src = "10.1.1.1",
                  schedule_context ctx = {}) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    auto t = s.schedule(conn(src, static_cast<std::uint16_t>(40000 + i)), ctx);
    if (!t) out += '-';
    else if (!t->real_server_) out += 'S';
    else out += static_cast<char>('A' + *t->real_server_);
  }
  return out;
}

TEST(lvs_service, names_like_keepalived) {
  EXPECT_EQ(format_trio(make_address("127.0.0.1"), protocol::tcp, 8080), "[127.0.0.1]:tcp:8080");
  service_config c;
  c.address_ = make_address("::1");
  c.port_ = 53;
  c.protocol_ = protocol::udp;
  EXPECT_EQ(c.display(), "[::1]:udp:53");
  c.fwmark_ = 3;
  EXPECT_EQ(c.display(), "FWM 3");
  EXPECT_EQ(parse_granularity("255.255.255.0", false), 24u);
  EXPECT_EQ(parse_granularity("255.0.255.0", false), std::nullopt);
  EXPECT_EQ(parse_granularity("64", true), 64u);
}

TEST(lvs_service, pool_is_in_ipvs_order_so_rr_starts_with_the_last_configured) {
  recorder r;
  virtual_service s(vs({rs("192.168.0.1"), rs("192.168.0.2"), rs("192.168.0.3")}), r.fn());
  s.start();
  EXPECT_EQ(picks(s, 6), "CBACBA");
  EXPECT_EQ(r.logs, std::vector<std::string>{"Gained quorum 1+0=1 <= 3 for VS [10.0.0.100]:tcp:80"});
}

TEST(lvs_service, failed_checker_removes_and_success_adds_with_keepalived_lines) {
  recorder r;
  virtual_service s(vs({rs("192.168.0.1"), rs("192.168.0.2")}), r.fn());
  s.start();
  r.logs.clear();
  s.checker_result(0, 0, false);
  EXPECT_EQ(r.logs.at(0),
            "Removing service [192.168.0.1]:tcp:8080 from VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(r.scripts, std::vector<std::string>{"/down 192.168.0.1"});
  EXPECT_EQ(s.pool().size(), 1u);
  EXPECT_EQ(picks(s, 2), "BB");
  s.checker_result(0, 0, true);
  EXPECT_EQ(r.logs.back(), "Adding service [192.168.0.1]:tcp:8080 to VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(s.pool().size(), 2u);
  EXPECT_TRUE(s.alive(0));
}

TEST(lvs_service, two_checkers_both_must_pass) {
  recorder r;
  virtual_service s(vs({rs("192.168.0.1", 1, 2)}), r.fn());
  s.start();
  s.checker_result(0, 0, false);
  s.checker_result(0, 1, false);
  EXPECT_FALSE(s.alive(0));
  s.checker_result(0, 0, true);
  EXPECT_FALSE(s.alive(0));  // one checker still failed
  s.checker_result(0, 1, true);
  EXPECT_TRUE(s.alive(0));
}

TEST(lvs_service, inhibit_on_failure_sets_weight_zero_instead_of_removing) {
  recorder r;
  auto c = vs({rs("192.168.0.1"), rs("192.168.0.2")});
  c.real_servers_[0].inhibit_on_failure_ = true;
  virtual_service s(c, r.fn());
  s.start();
  r.logs.clear();
  s.checker_result(0, 0, false);
  EXPECT_EQ(r.logs.at(0), "Disabling service [192.168.0.1]:tcp:8080 of VS [10.0.0.100]:tcp:80");
  ASSERT_EQ(s.pool().size(), 2u);
  EXPECT_EQ(s.pool()[1].weight_, 0);
  EXPECT_EQ(picks(s, 2), "BB");
  s.checker_result(0, 0, true);
  EXPECT_EQ(r.logs.back(), "Enabling service [192.168.0.1]:tcp:8080 of VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(s.pool()[1].weight_, 1);
}

TEST(lvs_service, alpha_servers_start_out_of_the_pool) {
  recorder r;
  virtual_service s(vs({rs("192.168.0.1", 1, 1, true), rs("192.168.0.2", 1, 1, true)}), r.fn());
  s.start();
  EXPECT_TRUE(s.pool().empty());
  EXPECT_FALSE(s.quorum_up());
  EXPECT_EQ(picks(s, 1), "-");
  s.checker_result(1, 0, true);
  EXPECT_EQ(r.logs.at(0), "Adding service [192.168.0.2]:tcp:8080 to VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(r.logs.at(1), "Gained quorum 1+0=1 <= 1 for VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(picks(s, 2), "BB");
  // A first result equal to the alpha start state still runs notify_down once.
  r.scripts.clear();
  s.checker_result(0, 0, false);
  EXPECT_EQ(r.scripts, std::vector<std::string>{"/down 192.168.0.1"});
}

TEST(lvs_service, quorum_with_hysteresis_and_sorry_server) {
  recorder r;
  auto c = vs({rs("192.168.0.1", 2), rs("192.168.0.2", 2), rs("192.168.0.3", 2)});
  c.quorum_ = 4;
  c.hysteresis_ = 1;
  c.quorum_up_ = "/qup";
  c.quorum_down_ = "/qdown";
  c.sorry_server_ = rs("192.168.0.99");
  c.sorry_server_->checkers_start_down_.clear();
  virtual_service s(c, r.fn());
  s.start();
  EXPECT_TRUE(s.quorum_up());
  EXPECT_EQ(r.logs.at(0), "Gained quorum 4+1=5 <= 6 for VS [10.0.0.100]:tcp:80");
  s.checker_result(0, 0, false);  // 4 live >= 4 - 1: still up
  EXPECT_TRUE(s.quorum_up());
  r.logs.clear();
  r.scripts.clear();
  s.checker_result(1, 0, false);  // 2 < 3: lost
  EXPECT_FALSE(s.quorum_up());
  EXPECT_EQ(r.logs.at(1), "Lost quorum 4-1=3 > 2 for VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(r.logs.at(2), "Adding sorry server [192.168.0.99]:tcp:8080 to VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(r.logs.at(3), "Removing alive servers from the pool for VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(r.scripts.back(), "/qdown");
  EXPECT_EQ(picks(s, 3), "SSS");
  s.checker_result(0, 0, true);  // 4 < 4 + 1: not yet
  EXPECT_FALSE(s.quorum_up());
  EXPECT_EQ(picks(s, 1), "S");
  r.logs.clear();
  s.checker_result(1, 0, true);  // 6 >= 5
  EXPECT_TRUE(s.quorum_up());
  EXPECT_EQ(r.logs.at(1), "Gained quorum 4+1=5 <= 6 for VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(r.logs.at(2), "Removing sorry server [192.168.0.99]:tcp:8080 from VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(r.scripts.back(), "/qup");
  EXPECT_EQ(picks(s, 3).find('S'), std::string::npos);
}

TEST(lvs_service, sorry_server_inhibit_keeps_it_at_weight_zero) {
  recorder r;
  auto c = vs({rs("192.168.0.1")});
  c.sorry_server_ = rs("192.168.0.99");
  c.sorry_server_inhibit_ = true;
  virtual_service s(c, r.fn());
  s.start();
  ASSERT_EQ(s.pool().size(), 2u);
  EXPECT_EQ(s.pool()[0].weight_, 0);
  s.checker_result(0, 0, false);
  EXPECT_EQ(picks(s, 1), "S");
}

TEST(lvs_service, misc_dynamic_weight_changes_the_pool) {
  recorder r;
  virtual_service s(vs({rs("192.168.0.1"), rs("192.168.0.2")}, "wrr"), r.fn());
  s.start();
  r.logs.clear();
  s.set_weight(0, 3);
  EXPECT_EQ(r.logs.at(0),
            "Changing weight from 1 to 3 for active service [192.168.0.1]:tcp:8080 of VS "
            "[10.0.0.100]:tcp:80");
  const std::string p = picks(s, 8);
  EXPECT_EQ(std::count(p.begin(), p.end(), 'A'), 6);
}

TEST(lvs_service, persistence_template_sticks_a_client_network_until_expiry) {
  recorder r;
  auto c = vs({rs("192.168.0.1"), rs("192.168.0.2")});
  c.persistence_timeout_ = std::chrono::seconds(50);
  c.granularity_v4_ = 24;
  virtual_service s(c, r.fn());
  s.start();
  schedule_context ctx;
  EXPECT_EQ(picks(s, 3, "10.1.1.1", ctx), "BBB");
  EXPECT_EQ(picks(s, 2, "10.1.1.200", ctx), "BB");  // same /24
  EXPECT_EQ(picks(s, 2, "10.1.2.1", ctx), "AA");    // another network: rr moves on
  ctx.now_ += std::chrono::seconds(49);
  EXPECT_EQ(picks(s, 1, "10.1.1.1", ctx), "B");  // used: refreshed
  ctx.now_ += std::chrono::seconds(49);
  EXPECT_EQ(picks(s, 1, "10.1.1.1", ctx), "B");
  ctx.now_ += std::chrono::seconds(51);
  EXPECT_EQ(picks(s, 1, "10.1.1.1", ctx), "B");  // expired; rr's next after A is B
  EXPECT_EQ(s.persistence_templates(), 1u);       // the expired 10.1.2.0 one was dropped
  // A removed real server invalidates its templates at once.
  s.checker_result(1, 0, false);
  EXPECT_EQ(picks(s, 1, "10.1.1.1", ctx), "A");
}

TEST(lvs_service, persistence_keeps_a_quiesced_server_like_ipvs) {
  recorder r;
  auto c = vs({rs("192.168.0.1"), rs("192.168.0.2")});
  c.persistence_timeout_ = std::chrono::seconds(300);
  c.real_servers_[1].inhibit_on_failure_ = true;
  virtual_service s(c, r.fn());
  s.start();
  EXPECT_EQ(picks(s, 1), "B");
  s.checker_result(1, 0, false);  // weight 0, still in the pool
  EXPECT_EQ(picks(s, 1), "B");    // expire_quiescent_template is 0 by default
  EXPECT_EQ(picks(s, 1, "10.9.9.9"), "A");
}

TEST(lvs_service, u_threshold_overloads_until_below_three_quarters) {
  recorder r;
  auto c = vs({rs("192.168.0.1"), rs("192.168.0.2")}, "lc");
  c.real_servers_[1].u_threshold_ = 4;
  virtual_service s(c, r.fn());
  s.start();
  target b{make_address("192.168.0.2"), 8080, 1};
  target a{make_address("192.168.0.1"), 8080, 0};
  s.connection_counts(a, 5, 0);
  s.connection_counts(b, 4, 0);
  EXPECT_EQ(picks(s, 1), "A");  // B overloaded although lighter
  s.connection_counts(b, 3, 0);  // 3*4 >= 4*3: still overloaded
  EXPECT_EQ(picks(s, 1), "A");
  s.connection_counts(b, 2, 0);
  EXPECT_EQ(picks(s, 1), "B");
}

TEST(lvs_service, stop_with_omega_runs_down_scripts) {
  recorder r;
  auto c = vs({rs("192.168.0.1")});
  c.omega_ = true;
  c.quorum_down_ = "/qdown";
  virtual_service s(c, r.fn());
  s.start();
  r.logs.clear();
  s.stop();
  EXPECT_EQ(r.logs.at(0),
            "Shutting down service [192.168.0.1]:tcp:8080 from VS [10.0.0.100]:tcp:80");
  EXPECT_EQ(r.scripts, (std::vector<std::string>{"/down 192.168.0.1", "/qdown"}));
  EXPECT_TRUE(s.pool().empty());
}

}  // namespace
}  // namespace tandem::runtime::lvs
