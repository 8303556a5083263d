// balance leastconn: HAProxy's order for idle servers (round robin among equals, measured),
// and the connection accounting that makes it prefer the least loaded per weight.
#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

TEST(leastconn, goes_round_robin_among_idle_servers_whatever_their_weight) {
  EXPECT_EQ(test_backend({"leastconn"}, weighted({1, 1, 1})).serve(9),
            "s1 s2 s3 s1 s2 s3 s1 s2 s3");
  EXPECT_EQ(test_backend({"leastconn"}, weighted({3, 1})).serve(6), "s1 s2 s1 s2 s1 s2");
}

TEST(leastconn, follows_haproxy_through_state_changes) {
  test_backend be({"leastconn"}, weighted({1, 1, 1}));
  EXPECT_EQ(be.serve(4), "s1 s2 s3 s1");
  be.maint("s2");
  EXPECT_EQ(be.serve(4), "s3 s1 s3 s1");
  be.ready("s2");
  EXPECT_EQ(be.serve(6), "s3 s1 s2 s3 s1 s2");
}

TEST(leastconn, picks_the_server_with_fewest_connections) {
  test_backend be({"leastconn"}, weighted({1, 1, 1}));
  balancer& b = be.b();
  for (int i = 0; i < 3; ++i) {
    b.connection_opened(be.id("s1"));
  }
  b.connection_opened(be.id("s2"));
  EXPECT_EQ(b.pick({}), be.id("s3"));
  b.connection_opened(be.id("s3"));
  b.connection_opened(be.id("s3"));
  EXPECT_EQ(b.pick({}), be.id("s2"));  // s2: 1, s3: 2, s1: 3
  b.connection_closed(be.id("s1"));
  b.connection_closed(be.id("s1"));
  b.connection_closed(be.id("s1"));
  EXPECT_EQ(b.pick({}), be.id("s1"));
}

TEST(leastconn, weighs_connections_by_server_weight) {
  test_backend be({"leastconn"}, weighted({3, 1}));
  balancer& b = be.b();
  // Keys (n + 1) x 4096 / (weight x 16): s1 with 2 connections (256) beats s2 with 1 (512).
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s2"));
  EXPECT_EQ(b.pick({}), be.id("s1"));
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s1"));  // s1: 5 -> 512, equal to s2, which was queued first
  EXPECT_EQ(b.pick({}), be.id("s2"));
  b.connection_opened(be.id("s1"));  // s1: 6 -> 597
  EXPECT_EQ(b.pick({}), be.id("s2"));
}

TEST(leastconn, a_new_weight_repositions_the_server) {
  test_backend be({"leastconn"}, weighted({1, 1}));
  balancer& b = be.b();
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s2"));
  EXPECT_EQ(b.pick({}), be.id("s2"));
  b.set_weight(be.id("s1"), 4);  // s1: 3 x 4096 / 64 = 192, s2: 2 x 4096 / 16 = 512
  EXPECT_EQ(b.pick({}), be.id("s1"));
}

TEST(leastconn, skips_full_servers_and_answers_none_when_all_are) {
  test_backend be({"leastconn"}, {{"s1", 1, false, 1}, {"s2", 1, false, 2}});
  balancer& b = be.b();
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s2"));
  EXPECT_EQ(b.pick({}), be.id("s2"));
  b.connection_opened(be.id("s2"));
  EXPECT_EQ(b.pick({}), std::nullopt);
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
