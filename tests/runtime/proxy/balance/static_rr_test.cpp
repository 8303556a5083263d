// balance static-rr against real haproxy 2.6's order: the weighted map, rebuilt on state
// changes, and its static weights.
#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

TEST(static_rr, follows_haproxy_map_for_each_weight_set) {
  EXPECT_EQ(test_backend({"static-rr"}, weighted({1, 1, 1})).serve(6), "s1 s2 s3 s1 s2 s3");
  EXPECT_EQ(test_backend({"static-rr"}, weighted({3, 1})).serve(8), "s1 s1 s1 s2 s1 s1 s1 s2");
  EXPECT_EQ(test_backend({"static-rr"}, weighted({3, 2, 1})).serve(12),
            "s1 s1 s2 s1 s2 s3 s1 s1 s2 s1 s2 s3");
  EXPECT_EQ(test_backend({"static-rr"}, weighted({5, 1, 2, 7})).serve(30),
            "s1 s2 s4 s1 s4 s1 s4 s3 s4 s1 s4 s1 s4 s3 s4 s1 s2 s4 s1 s4 s1 s4 s3 s4 s1 s4 s1 s4 "
            "s3 s4");
  // Weights are divided by their gcd (2) first.
  EXPECT_EQ(test_backend({"static-rr"}, weighted({2, 4, 6})).serve(24),
            "s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3");
}

TEST(static_rr, rebuilds_the_map_when_a_server_goes_or_comes) {
  test_backend be({"static-rr"}, weighted({1, 2, 1}));
  EXPECT_EQ(be.serve(5), "s1 s2 s2 s3 s1");
  be.maint("s2");
  EXPECT_EQ(be.serve(5), "s3 s1 s3 s1 s3");
  be.ready("s2");
  EXPECT_EQ(be.serve(9), "s2 s3 s1 s2 s2 s3 s1 s2 s2");
  be.weight("s3", 0);
  EXPECT_EQ(be.serve(4), "s1 s2 s2 s1");
}

TEST(static_rr, only_takes_weight_zero_and_the_initial_weight) {
  test_backend be({"static-rr"}, weighted({1, 1}));
  be.weight("s1", 5);  // HAProxy refuses this on a static algorithm
  EXPECT_EQ(be.serve(4), "s1 s2 s1 s2");
  be.weight("s1", 0);
  EXPECT_EQ(be.serve(2), "s2 s2");
  be.weight("s1", 1);
  EXPECT_EQ(be.serve(2), "s2 s1");  // the turn goes on from where it was in the smaller map
}

TEST(static_rr, balances_all_backups_with_allbackups) {
  test_backend be({"static-rr"}, {{"s1"}, {"b1", 2, true}, {"b2", 1, true}}, {}, true);
  be.maint("s1");
  EXPECT_EQ(be.serve(6), "b1 b1 b2 b1 b1 b2");
}

// Measured: haproxy 2.6.12 answered "b1 b2 b1 b2 b1 b2" here. Its map for the first backup is
// sized by that backup's weight but filled from every backup, so a second backup slips in
// when the first one's weight is above the gcd. Tandem keeps the documented behaviour (the
// first backup alone without option allbackups), as roundrobin and the others do.
TEST(static_rr, sends_everything_to_the_first_backup_whatever_the_weights) {
  test_backend be({"static-rr"}, {{"s1"}, {"b1", 2, true}, {"b2", 2, true}});
  be.maint("s1");
  EXPECT_EQ(be.serve(6), "b1 b1 b1 b1 b1 b1");
}

TEST(static_rr, skips_full_servers) {
  test_backend be({"static-rr"}, {{"s1", 1, false, 1}, {"s2", 1, false, 1}, {"s3"}});
  be.b().connection_opened(be.id("s2"));
  EXPECT_EQ(be.serve(4), "s1 s3 s1 s3");
  be.b().connection_opened(be.id("s1"));
  be.b().connection_opened(be.id("s3"));
  EXPECT_EQ(be.serve(2), "s3 s3");  // s3 has no maxconn
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
