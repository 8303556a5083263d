// global `stats socket` / `stats timeout` become socket specs (path, mode, level, owner), with
// HAProxy's errors for what it refuses, and the proxy ids start at 2 as HAProxy's CLI frontend
// takes the first.
#include <gtest/gtest.h>

#include <string>

#include "parsers/haproxy/analyse.hpp"
#include "runtime/assemble/haproxy.hpp"
#include "tests/parsers/haproxy/analysis_support.hpp"

namespace tandem::runtime::assemble {
namespace {

namespace hap = parsers::haproxy;

class stats_socket_test : public ::testing::Test {
 protected:
  haproxy_result assemble(const std::string& global) {
    const std::string text = "global\n" + global +
                             "defaults\n  mode http\n  timeout connect 5s\n  timeout client 5s\n"
                             "  timeout server 5s\n"
                             "frontend fe\n  bind 127.0.0.1:8080\n  default_backend be\n"
                             "backend be\n  server a 127.0.0.1:81\n";
    const parsers::file_id id = analysed_.sources_.add("t.cfg", text);
    analysed_.analysis_ = hap::analyse_haproxy_file(analysed_.sources_, id,
                                                    hap::analysis_options{}, analysed_.diags_);
    return assemble_haproxy(analysed_.analysis_.model_);
  }
  hap::testing::analysis_result analysed_;
};

TEST_F(stats_socket_test, specs_from_the_global_section) {
  const haproxy_result r = assemble(
      "  stats socket /run/a.sock mode 600 level admin uid 0 gid 0 expose-fd listeners\n"
      "  stats socket unix@/run/b.sock level user\n"
      "  stats socket /run/c.sock\n"
      "  stats timeout 30s\n");
  ASSERT_TRUE(r.ok()) << (r.problems_.empty() ? "" : r.problems_[0].message_);
  ASSERT_EQ(r.stats_sockets_.size(), 3u);
  EXPECT_EQ(r.stats_sockets_[0].path_, "/run/a.sock");
  EXPECT_EQ(r.stats_sockets_[0].mode_, 0600u);
  EXPECT_EQ(r.stats_sockets_[0].level_, proxy::cli::access_level::admin);
  EXPECT_EQ(r.stats_sockets_[0].uid_, 0u);
  EXPECT_EQ(r.stats_sockets_[1].path_, "/run/b.sock");
  EXPECT_EQ(r.stats_sockets_[1].level_, proxy::cli::access_level::user);
  EXPECT_FALSE(r.stats_sockets_[2].mode_.has_value());
  EXPECT_EQ(r.stats_sockets_[2].level_, proxy::cli::access_level::operator_);
  EXPECT_EQ(r.stats_sockets_[2].position_.line_, 4u);
  EXPECT_EQ(r.stats_timeout_, std::chrono::seconds(30));
  // HAProxy's CLI frontend takes id 1 (measured: the first proxy is then iid 2).
  EXPECT_EQ(r.proxies_->frontends_[0]->uid_, 2u);
  EXPECT_EQ(r.proxies_->backends_[0]->uid_, 3u);
  EXPECT_EQ(r.proxies_->backends_[0]->servers_[0]->puid_, 1u);
}

TEST_F(stats_socket_test, ids_from_1_without_a_socket) {
  const haproxy_result r = assemble("  maxconn 100\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.stats_sockets_.empty());
  EXPECT_EQ(r.stats_timeout_, std::chrono::seconds(10));
  EXPECT_EQ(r.proxies_->frontends_[0]->uid_, 1u);
}

TEST_F(stats_socket_test, haproxys_errors) {
  const haproxy_result r = assemble("  stats socket /run/a level bogus\n"
                                    "  stats socket /run/b mode 644 foo\n"
                                    "  stats socket 127.0.0.1:9999\n");
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.problems_.size(), 3u);
  EXPECT_EQ(r.problems_[0].message_,
            "'stats socket' : ''level' only supports 'user', 'operator', and 'admin' (got "
            "'bogus')'");
  EXPECT_EQ(r.problems_[0].position_.line_, 2u);
  EXPECT_EQ(r.problems_[1].message_, "'stats socket' : unknown keyword 'foo'.");
  EXPECT_EQ(r.problems_[2].message_,
            "'stats socket' : Tandem runs stats sockets on UNIX socket paths only, not "
            "'127.0.0.1:9999'");
}

}  // namespace
}  // namespace tandem::runtime::assemble
