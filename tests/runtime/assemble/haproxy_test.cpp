// assemble_haproxy on configurations read by the HAProxy front-end: the run-time objects it
// builds (listeners, backends, servers, balancers, rules, cookies, timeouts, checks) and the
// errors it reports, with their lines, for what the runtime cannot run yet.
#include "runtime/assemble/haproxy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

#include "parsers/haproxy/analyse.hpp"
#include "tests/parsers/haproxy/analysis_support.hpp"

namespace tandem::runtime::assemble {
namespace {

namespace hap = parsers::haproxy;

class assemble_test : public ::testing::Test {
 protected:
  haproxy_result assemble(const std::string& text) {
    const parsers::file_id id = analysed_.sources_.add("t.cfg", text);
    analysed_.analysis_ =
        hap::analyse_haproxy_file(analysed_.sources_, id, hap::analysis_options{}, analysed_.diags_);
    EXPECT_FALSE(analysed_.diags_.has_errors());
    return assemble_haproxy(analysed_.analysis_.model_);
  }

  hap::testing::analysis_result analysed_;
};

constexpr const char* defaults =
    "defaults\n"
    "  mode http\n"
    "  timeout connect 5s\n"
    "  timeout client 30s\n"
    "  timeout server 30s\n";

std::string port_of(const proxy::listen_address& a) {
  return std::to_string(ntohs(reinterpret_cast<const sockaddr_in&>(a.address_).sin_port));
}

TEST_F(assemble_test, listen_section_is_a_frontend_with_its_own_backend) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "listen web\n"
                                    "  bind 127.0.0.1:8080\n"
                                    "  balance roundrobin\n"
                                    "  cookie SERVERID insert indirect nocache\n"
                                    "  option forwardfor\n"
                                    "  option http-server-close\n"
                                    "  server a 127.0.0.1:81 cookie A check inter 2s\n"
                                    "  server b 127.0.0.1:82 cookie B backup\n");
  ASSERT_TRUE(r.ok());
  const proxy::proxy_set& set = *r.proxies_;
  ASSERT_EQ(set.frontends_.size(), 1u);
  ASSERT_EQ(set.backends_.size(), 1u);
  const proxy::frontend& fe = *set.frontends_[0];
  const proxy::backend& be = *set.backends_[0];
  EXPECT_EQ(fe.default_backend_, &be);
  EXPECT_EQ(fe.mode_, proxy::mode::http);
  ASSERT_EQ(fe.listeners_.size(), 1u);
  EXPECT_EQ(port_of(fe.listeners_[0]), "8080");
  EXPECT_EQ(fe.timeouts_.client_, proxy::milliseconds(30000));
  EXPECT_EQ(be.timeouts_.connect_, proxy::milliseconds(5000));
  EXPECT_TRUE(be.forwardfor_.enabled_);
  EXPECT_EQ(be.connection_mode_, proxy::http_connection_mode::server_close);
  ASSERT_TRUE(be.cookie_.has_value());
  EXPECT_EQ(be.cookie_->name_, "SERVERID");
  EXPECT_EQ(be.cookie_->mode_, proxy::cookie_mode::insert);
  EXPECT_TRUE(be.cookie_->indirect_);
  EXPECT_TRUE(be.cookie_->nocache_);
  ASSERT_EQ(be.servers_.size(), 2u);
  EXPECT_EQ(be.servers_[0]->cookie_, "A");
  EXPECT_TRUE(be.servers_[1]->backup_);
  ASSERT_NE(be.balancer_, nullptr);
  // The check of `a` only (b has none), bound to its server.
  ASSERT_EQ(r.checks_.size(), 1u);
  EXPECT_EQ(r.checks_[0].server_, be.servers_[0].get());
}

TEST_F(assemble_test, port_range_binds_each_port) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "frontend f\n"
                                    "  bind 127.0.0.1:9000-9002\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:80\n");
  ASSERT_TRUE(r.ok());
  const auto& listeners = r.proxies_->frontends_[0]->listeners_;
  ASSERT_EQ(listeners.size(), 3u);
  EXPECT_EQ(port_of(listeners[0]), "9000");
  EXPECT_EQ(port_of(listeners[2]), "9002");
}

TEST_F(assemble_test, rules_switches_and_conditions_are_compiled) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "frontend f\n"
                                    "  bind :8080\n"
                                    "  acl is_static path_beg /static\n"
                                    "  http-request deny deny_status 429 if { path /slow }\n"
                                    "  http-request set-header X-Via tandem\n"
                                    "  use_backend st if is_static\n"
                                    "  default_backend app\n"
                                    "backend app\n"
                                    "  server a 127.0.0.1:81\n"
                                    "backend st\n"
                                    "  server s 127.0.0.1:82\n");
  ASSERT_TRUE(r.ok());
  const proxy::frontend& fe = *r.proxies_->frontends_[0];
  ASSERT_EQ(fe.request_rules_.size(), 2u);
  EXPECT_EQ(fe.request_rules_[0].action_, proxy::http_action::deny);
  EXPECT_EQ(fe.request_rules_[0].status_, 429u);
  EXPECT_NE(fe.request_rules_[0].condition_, nullptr);
  EXPECT_EQ(fe.request_rules_[1].action_, proxy::http_action::set_header);
  EXPECT_EQ(fe.request_rules_[1].name_, "x-via");
  EXPECT_EQ(fe.request_rules_[1].condition_, nullptr);
  ASSERT_EQ(fe.switches_.size(), 1u);
  EXPECT_EQ(fe.switches_[0].backend_, "st");
  EXPECT_NE(fe.switches_[0].condition_, nullptr);
  EXPECT_EQ(fe.default_backend_, r.proxies_->find_backend("app"));
}

TEST_F(assemble_test, what_the_runtime_cannot_run_is_an_error_at_its_line) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "frontend f\n"
                                    "  bind :8443 ssl crt /nonexistent.pem\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:80\n"
                                    "  tcp-response content accept\n");
  EXPECT_FALSE(r.ok());
  std::vector<std::uint32_t> lines;
  for (const problem& p : r.problems_) {
    EXPECT_TRUE(p.error_);
    lines.push_back(p.position_.line_);
  }
  EXPECT_EQ(lines, (std::vector<std::uint32_t>{7, 11}));
}

// haproxy_tls.cpp: `server … ssl` lines become client contexts with HAProxy's defaults
// (verify required unless ssl-server-verify none), default-server's options first.
TEST_F(assemble_test, server_ssl_lines_become_client_contexts) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "frontend f\n"
                                    "  bind :8080\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  default-server ssl verify none\n"
                                    "  server tls 127.0.0.1:443 sni req.hdr(host)\n"
                                    "  server plain 127.0.0.1:80 no-ssl\n");
  ASSERT_TRUE(r.ok());
  const proxy::backend& be = *r.proxies_->backends_[0];
  EXPECT_NE(be.servers_[0]->tls_, nullptr);
  EXPECT_NE(be.servers_[0]->tls_sni_, nullptr);
  EXPECT_EQ(be.servers_[1]->tls_, nullptr);
}

TEST_F(assemble_test, tls_problems_are_errors_at_their_lines) {
  const haproxy_result r = assemble("global\n"
                                    "  ssl-default-bind-options no-sslv3 bogus\n" +
                                    std::string(defaults) +
                                    "frontend f\n"
                                    "  bind :8443 ssl crt /nonexistent.pem ssl-min-ver TLSv9\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:443 ssl\n");
  EXPECT_FALSE(r.ok());
  std::vector<std::pair<std::uint32_t, std::string>> got;
  for (const problem& p : r.problems_) got.emplace_back(p.position_.line_, p.message_);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (std::pair<std::uint32_t, std::string>{
                        2, "'ssl-default-bind-options' : unknown option 'bogus'"}));
  EXPECT_EQ(got[1].first, 9u);
  EXPECT_EQ(got[1].second, "'bind :8443' in section 'frontend' : 'ssl-min-ver' : unknown "
                           "ssl/tls version string 'TLSv9'");
  EXPECT_EQ(got[2].first, 12u);
  EXPECT_TRUE(got[2].second.starts_with(
      "'server b/s' : verify is enabled by default but no CA file specified."))
      << got[2].second;
  // ssl-server-verify none: the same server line needs no CA file.
  const haproxy_result lenient = assemble("global\n"
                                          "  ssl-server-verify none\n" +
                                          std::string(defaults) +
                                          "backend b\n"
                                          "  server s 127.0.0.1:443 ssl\n");
  EXPECT_TRUE(lenient.ok());
}

TEST_F(assemble_test, every_bind_option_is_applied_accepted_or_reported) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "frontend f\n"
                                    "  bind :8080 name web id 3 defer-accept tfo mss 1400 tcp-ut 5s\n"
                                    "  bind :8081 maxconn 10\n"
                                    "  bind :8082 proto h2\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:80\n");
  std::vector<std::pair<std::uint32_t, bool>> seen;  // line, error
  for (const problem& p : r.problems_) seen.emplace_back(p.position_.line_, p.error_);
  // maxconn on one listener is a warning (line 8), proto h2 an error (line 9).
  EXPECT_EQ(seen, (std::vector<std::pair<std::uint32_t, bool>>{{8, false}, {9, true}}));
  ASSERT_FALSE(r.ok());
}

TEST_F(assemble_test, bind_tuning_reaches_the_listener) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "frontend f\n"
                                    "  bind :8080 defer-accept tfo mss 1400 tcp-ut 5s\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:80\n");
  ASSERT_TRUE(r.ok());
  const auto& l = r.proxies_->frontends_[0]->listeners_.at(0);
  EXPECT_EQ(l.defer_accept_, 1);
  EXPECT_EQ(l.fast_open_, 256);
  EXPECT_EQ(l.mss_, 1400);
  EXPECT_EQ(l.user_timeout_, 5000u);
}

TEST_F(assemble_test, tune_bufsize_sets_the_head_limits) {
  const haproxy_result r = assemble(std::string("global\n  tune.bufsize 32768\n") + defaults +
                                    "frontend f\n"
                                    "  bind :8080\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:80\n");
  ASSERT_TRUE(r.ok());
  const auto& l = r.proxies_->frontends_[0]->limits_;
  EXPECT_EQ(l.max_head_bytes_, 32768u - 1024u);
  EXPECT_EQ(l.max_raw_head_bytes_, 32768u - 64u);
}

}  // namespace
}  // namespace tandem::runtime::assemble

namespace tandem::runtime::assemble {
namespace {

// What issue 6 builds is read but not run yet: each is a warning at its line, and the proxy
// still starts.
TEST_F(assemble_test, what_is_not_run_yet_is_a_warning_at_its_line) {
  const haproxy_result r = assemble(std::string("global\n  log 127.0.0.1 local0\n") + defaults +
                                    "listen web\n"
                                    "  bind :8080\n"
                                    "  stats enable\n"
                                    "  stats auth user:pass\n"
                                    "  server a 127.0.0.1:81\n");
  EXPECT_TRUE(r.ok());
  std::vector<std::uint32_t> lines;
  for (const problem& p : r.problems_) {
    EXPECT_FALSE(p.error_);
    lines.push_back(p.position_.line_);
  }
  // The global `log` line (2) is run since the logs landed: no warning for it.
  EXPECT_EQ(lines, (std::vector<std::uint32_t>{}));
  // The stats page is served (haproxy_stats_page_test.cpp).
  EXPECT_NE(r.proxies_->frontends_[0]->stats_, nullptr);
}

}  // namespace
}  // namespace tandem::runtime::assemble
