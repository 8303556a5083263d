// balance source: for the same client addresses, the server real haproxy 2.6 picked, with
// map-based and consistent hashing (so that a node can be migrated with its clients kept).
#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

using hash_type = std::vector<std::string>;

TEST(source, map_based_picks_as_haproxy) {
  EXPECT_EQ(test_backend({"source"}, weighted({1, 1, 1})).serve_sources(sources),
            "s3 s1 s2 s3 s1 s2 s3 s1 s2 s3 s1 s2 s3 s1 s2 s3 s1 s2 s3 s1 s2 s3 s1 s2 s2 s1 s1 s1 "
            "s3 s2");
  EXPECT_EQ(test_backend({"source"}, weighted({1, 2, 3})).serve_sources(sources),
            "s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s3 s2 s3 s2 s3 s1 s1 s3 "
            "s2 s3");
}

TEST(source, map_based_with_avalanche_picks_as_haproxy) {
  const hash_type ht{"map-based", "sdbm", "avalanche"};
  EXPECT_EQ(test_backend({"source"}, weighted({1, 1, 1}), ht).serve_sources(sources),
            "s2 s1 s1 s1 s2 s1 s3 s3 s1 s2 s1 s1 s2 s2 s1 s3 s1 s1 s3 s1 s2 s3 s2 s1 s2 s3 s1 s3 "
            "s3 s2");
  EXPECT_EQ(test_backend({"source"}, weighted({1, 2, 3}), ht).serve_sources(sources),
            "s3 s3 s1 s3 s3 s1 s3 s2 s3 s3 s3 s1 s3 s2 s1 s2 s1 s3 s2 s3 s3 s2 s3 s3 s2 s3 s3 s3 "
            "s3 s3");
}

TEST(source, consistent_picks_as_haproxy) {
  const hash_type ht{"consistent"};
  EXPECT_EQ(test_backend({"source"}, weighted({1, 1, 1}), ht).serve_sources(sources),
            "s2 s1 s3 s1 s2 s1 s3 s1 s1 s3 s2 s3 s3 s3 s1 s1 s1 s3 s1 s1 s1 s2 s2 s1 s3 s1 s3 s3 "
            "s1 s1");
  EXPECT_EQ(test_backend({"source"}, weighted({1, 2, 3}), ht).serve_sources(sources),
            "s3 s1 s2 s1 s3 s3 s3 s1 s3 s2 s3 s3 s3 s3 s3 s1 s1 s3 s1 s3 s1 s2 s2 s1 s2 s1 s3 s3 "
            "s1 s1");
}

TEST(source, ignores_the_hash_function_as_haproxy_does) {
  // Without avalanche every 127/8 address lands near the same ring point.
  const hash_type ht{"consistent", "djb2"};
  const std::string all_s2 = [] {
    std::vector<std::string> v(30, "s2");
    return test_backend::join(v);
  }();
  EXPECT_EQ(test_backend({"source"}, weighted({1, 1, 1}), ht).serve_sources(sources), all_s2);
  EXPECT_EQ(test_backend({"source"}, weighted({1, 2, 3}), ht).serve_sources(sources), all_s2);
}

TEST(source, consistent_places_servers_by_their_numeric_id) {
  // s1 id 7, s2 without id (gets 2: HAProxy's count goes on past s1), s3 id 3.
  test_backend be({"source"}, {{"s1", 1, false, 0, 7}, {"s2"}, {"s3", 1, false, 0, 3}},
                  {"consistent"});
  EXPECT_EQ(be.serve_sources(sources),
            "s2 s2 s1 s1 s2 s2 s3 s2 s2 s3 s2 s1 s1 s3 s3 s1 s1 s1 s1 s2 s3 s2 s2 s1 s3 s3 s3 s1 "
            "s2 s3");
}

TEST(source, consistent_moves_only_the_clients_of_a_server_that_leaves) {
  test_backend be({"source"}, weighted({1, 1, 1}), {"consistent"});
  const std::string before = be.serve_sources(sources);
  be.maint("s2");
  const std::string after = be.serve_sources(sources);
  EXPECT_EQ(after,
            "s3 s1 s3 s1 s3 s1 s3 s1 s1 s3 s1 s3 s3 s3 s1 s1 s1 s3 s1 s1 s1 s1 s1 s1 s3 s1 s3 s3 "
            "s1 s1");
  // Every client that was not on s2 kept its server.
  for (std::size_t i = 0; i < before.size(); i += 3) {
    if (before.substr(i, 2) != "s2") {
      EXPECT_EQ(before.substr(i, 2), after.substr(i, 2)) << sources[i / 3];
    }
  }
  be.ready("s2");
  EXPECT_EQ(be.serve_sources(sources), before);
}

TEST(source, consistent_follows_run_time_weights_as_haproxy) {
  test_backend be({"source"}, weighted({1, 1, 1}), {"consistent"});
  be.weight("s1", 3);
  EXPECT_EQ(be.serve_sources(sources),
            "s2 s1 s3 s1 s1 s1 s3 s1 s1 s3 s2 s3 s1 s3 s1 s1 s1 s1 s1 s1 s1 s2 s2 s1 s3 s1 s3 s1 "
            "s1 s1");
  be.weight("s1", 1);
  be.weight("s2", 0);
  EXPECT_EQ(be.serve_sources(sources),
            "s3 s1 s3 s1 s3 s1 s3 s1 s1 s3 s1 s3 s3 s3 s1 s1 s1 s3 s1 s1 s1 s1 s1 s1 s3 s1 s3 s3 "
            "s1 s1");
}

TEST(source, hashes_ipv6_addresses_by_their_words) {
  // The XOR of the four words of ::7f00:1 and of 127.0.0.1 are equal: same server.
  test_backend be({"source"}, weighted({1, 1, 1}), {"consistent"});
  EXPECT_EQ(be.serve_sources({"::7f00:1", "127.0.0.1"}), "s2 s2");
}

TEST(source, takes_servers_in_turn_without_an_ip_source) {
  test_backend be({"source"}, weighted({1, 1, 1}));
  EXPECT_EQ(be.serve(4), "s1 s2 s3 s1");
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
