// balance roundrobin against the order real haproxy 2.6 gave (measure_haproxy_order.py):
// weight sets, run-time weights and states, backups, and servers at their maxconn.
#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

TEST(roundrobin, follows_haproxy_order_for_each_weight_set) {
  EXPECT_EQ(test_backend({"roundrobin"}, weighted({1, 1, 1})).serve(9),
            "s1 s2 s3 s1 s2 s3 s1 s2 s3");
  EXPECT_EQ(test_backend({"roundrobin"}, weighted({3, 1})).serve(12),
            "s1 s1 s1 s2 s1 s1 s1 s2 s1 s1 s1 s2");
  EXPECT_EQ(test_backend({"roundrobin"}, weighted({3, 2, 1})).serve(18),
            "s1 s2 s1 s3 s1 s2 s1 s2 s1 s3 s1 s2 s1 s2 s1 s3 s1 s2");
  EXPECT_EQ(test_backend({"roundrobin"}, weighted({5, 1, 2, 7})).serve(45),
            "s4 s1 s4 s3 s1 s4 s4 s1 s4 s2 s1 s4 s3 s4 s1 s4 s1 s4 s3 s1 s4 s4 s1 s4 s2 s1 s4 "
            "s3 s4 s1 s4 s1 s4 s3 s1 s4 s4 s1 s4 s2 s1 s4 s3 s4 s1");
  EXPECT_EQ(test_backend({"roundrobin"}, weighted({2, 3})).serve(15),
            "s2 s2 s1 s2 s1 s2 s2 s1 s2 s1 s2 s2 s1 s2 s1");
  EXPECT_EQ(test_backend({"roundrobin"}, weighted({1, 2})).serve(9), "s2 s2 s1 s2 s2 s1 s2 s2 s1");
}

TEST(roundrobin, is_the_default) {
  EXPECT_EQ(test_backend({}, weighted({3, 1})).serve(4), "s1 s1 s1 s2");
}

TEST(roundrobin, takes_new_weights_as_haproxy_set_weight_does) {
  test_backend be({"roundrobin"}, weighted({1, 1, 1}));
  EXPECT_EQ(be.serve(5), "s1 s2 s3 s1 s2");
  be.weight("s1", 3);
  EXPECT_EQ(be.serve(15), "s3 s1 s2 s1 s1 s3 s1 s2 s1 s1 s3 s1 s2 s1 s1");
  be.weight("s2", 0);
  EXPECT_EQ(be.serve(8), "s3 s1 s1 s1 s3 s1 s1 s1");
  be.weight("s2", 2);
  EXPECT_EQ(be.serve(14), "s3 s1 s2 s1 s1 s2 s3 s1 s2 s1 s1 s2 s3 s1");
  be.weight("s3", 5);
  EXPECT_EQ(be.serve(16), "s2 s1 s3 s3 s1 s2 s3 s1 s3 s2 s3 s1 s3 s1 s3 s2");
}

TEST(roundrobin, servers_leave_and_rejoin_the_rotation_as_in_haproxy) {
  test_backend be({"roundrobin"}, weighted({1, 1, 1}));
  EXPECT_EQ(be.serve(4), "s1 s2 s3 s1");
  be.maint("s2");
  EXPECT_EQ(be.serve(4), "s3 s1 s3 s1");
  be.ready("s2");
  EXPECT_EQ(be.serve(9), "s3 s1 s2 s3 s1 s2 s3 s1 s2");
  be.maint("s1");
  be.maint("s3");
  EXPECT_EQ(be.serve(3), "s2 s2 s2");
  be.ready("s3");
  EXPECT_EQ(be.serve(6), "s2 s3 s2 s3 s2 s3");
}

TEST(roundrobin, sends_everything_to_the_first_backup_when_no_active_server_is_up) {
  test_backend be({"roundrobin"}, {{"s1"}, {"b1", 1, true}, {"b2", 1, true}});
  be.maint("s1");
  EXPECT_EQ(be.serve(4), "b1 b1 b1 b1");
}

TEST(roundrobin, balances_all_backups_with_allbackups) {
  test_backend be({"roundrobin"}, {{"s1"}, {"b1", 1, true}, {"b2", 2, true}, {"b3", 1, true}}, {},
                  true);
  be.maint("s1");
  EXPECT_EQ(be.serve(12), "b2 b1 b2 b3 b2 b1 b2 b3 b2 b1 b2 b3");
}

TEST(roundrobin, fails_over_to_backups_and_back_as_haproxy) {
  test_backend be({"roundrobin"}, {{"s1"}, {"s2"}, {"b1", 1, true}, {"b2", 1, true}});
  EXPECT_EQ(be.serve(3), "s1 s2 s1");
  be.maint("s1");
  be.maint("s2");
  EXPECT_EQ(be.serve(3), "b1 b1 b1");
  be.maint("b1");
  EXPECT_EQ(be.serve(2), "b2 b2");
  be.ready("b1");
  EXPECT_EQ(be.serve(2), "b1 b1");
  be.ready("s2");
  EXPECT_EQ(be.serve(3), "s2 s2 s2");
  be.maint("s1");
  be.maint("s2");
  be.ready("s1");
  EXPECT_EQ(be.serve(2), "s1 s1");
  // Weight 0 on every active server hands the traffic to the backups too.
  be.weight("s1", 0);
  EXPECT_EQ(be.serve(2), "b1 b1");
}

TEST(roundrobin, answers_none_without_a_usable_server) {
  test_backend be({"roundrobin"}, weighted({1, 1}));
  be.maint("s1");
  be.weight("s2", 0);
  EXPECT_EQ(be.serve(2), "none none");
  be.weight("s2", 1);
  EXPECT_EQ(be.serve(2), "s2 s2");
}

TEST(roundrobin, skips_servers_at_their_maxconn_and_keeps_their_turn) {
  test_backend be({"roundrobin"}, {{"s1", 1, false, 1}, {"s2"}, {"s3"}});
  be.b().connection_opened(be.id("s1"));  // s1 is full until this closes
  EXPECT_EQ(be.serve(4), "s2 s3 s2 s3");
  be.b().connection_closed(be.id("s1"));
  EXPECT_EQ(be.serve(3), "s1 s2 s3");
}

TEST(roundrobin, answers_none_when_every_server_is_full) {
  test_backend be({"roundrobin"}, {{"s1", 1, false, 1}, {"s2", 1, false, 1}});
  be.b().connection_opened(be.id("s1"));
  be.b().connection_opened(be.id("s2"));
  EXPECT_EQ(be.b().pick({}), std::nullopt);
  be.b().connection_closed(be.id("s2"));
  EXPECT_EQ(be.b().pick({}), be.id("s2"));
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
