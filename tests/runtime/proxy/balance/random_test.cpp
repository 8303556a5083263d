// balance random[(draws)]: random numbers looked up on the consistent-hash ring, with a
// scripted random source so that every pick is known.
#include "runtime/proxy/balance/lookup.hpp"
#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

// Returns the scripted numbers in a loop.
random_source scripted(std::vector<std::uint32_t> values) {
  auto at = std::make_shared<std::size_t>(0);
  return [values = std::move(values), at] { return values[(*at)++ % values.size()]; };
}

// For s1..s3 with these weights (ids 1..3), a number the ring sends to each.
std::vector<std::uint32_t> value_per_server(std::vector<std::uint32_t> weights = {1, 1, 1}) {
  std::vector<detail::server_state> states(3);
  for (std::uint32_t i = 0; i < 3; ++i) {
    states[i].id_ = i;
    states[i].puid_ = i + 1;
    states[i].weight_ = states[i].initial_weight_ = weights[i];
  }
  detail::chash_ring ring(detail::group{states, {0, 1, 2}});
  std::vector<std::uint32_t> found(3);
  std::vector<bool> seen(3, false);
  for (std::uint32_t v = 0, n = 0; n < 3; v += 0x01000000) {
    const std::uint32_t id = *ring.by_hash(v);
    if (!seen[id]) {
      seen[id] = true;
      found[id] = v;
      ++n;
    }
  }
  return found;
}

TEST(random, looks_the_number_up_on_the_ring_as_source_hashing_does) {
  // With hash-type consistent sdbm (no avalanche), source hashes 127.0.0.1 to 0x7f000001: the
  // same ring lookup random makes for that number. haproxy put 127.0.0.1 on s2.
  test_backend be({"random(1)"}, weighted({1, 1, 1}), {}, false, scripted({0x7f000001}));
  EXPECT_EQ(be.serve(3), "s2 s2 s2");
}

TEST(random, draws_twice_and_keeps_the_less_loaded) {
  const std::vector<std::uint32_t> v = value_per_server();
  test_backend be({"random"}, weighted({1, 1, 1}), {}, false, scripted({v[0], v[1]}));
  balancer& b = be.b();
  EXPECT_EQ(b.pick({}), be.id("s2"));  // equal loads: the later draw wins, as in haproxy
  b.connection_opened(be.id("s2"));
  EXPECT_EQ(b.pick({}), be.id("s1"));
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s1"));
  EXPECT_EQ(b.pick({}), be.id("s2"));
}

TEST(random, compares_loads_relative_to_weights) {
  const std::vector<std::uint32_t> v = value_per_server({4, 1, 1});
  test_backend be({"random(2)"}, weighted({4, 1, 1}), {}, false, scripted({v[1], v[0]}));
  balancer& b = be.b();
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s2"));
  // s1: 3 connections on weight 4 is less loaded than s2: 1 on weight 1.
  EXPECT_EQ(b.pick({}), be.id("s1"));
}

TEST(random, one_draw_per_number_asked) {
  const std::vector<std::uint32_t> v = value_per_server();
  test_backend be({"random(3)"}, weighted({1, 1, 1}), {}, false, scripted({v[0], v[1], v[2]}));
  balancer& b = be.b();
  b.connection_opened(be.id("s1"));
  b.connection_opened(be.id("s2"));
  EXPECT_EQ(b.pick({}), be.id("s3"));  // the third draw is the idle one
}

TEST(random, answers_none_when_the_pick_is_full) {
  const std::vector<std::uint32_t> v = value_per_server();
  test_backend be({"random(1)"}, {{"s1", 1, false, 1}, {"s2"}, {"s3"}}, {}, false,
                  scripted({v[0]}));
  be.b().connection_opened(be.id("s1"));
  EXPECT_EQ(be.b().pick({}), std::nullopt);
}

TEST(random, ignores_hash_type_and_follows_weights_at_run_time) {
  const std::vector<std::uint32_t> v = value_per_server();
  test_backend be({"random(1)"}, weighted({1, 1, 1}), {"map-based"}, false, scripted({v[1]}));
  EXPECT_EQ(be.serve(1), "s2");
  be.weight("s2", 0);
  EXPECT_NE(be.serve(1), "s2");
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
