// balance first: the lowest numeric id with a free slot, ids as haproxy assigns them
// (measured: explicit `id`s first, the others take the lowest free ones).
#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

TEST(first, takes_the_lowest_id_as_haproxy_numbers_servers) {
  // s1 id 3, s2 without id (gets 2, its position), s3 id 1.
  test_backend be({"first"},
                  {{"s1", 1, false, 10, 3}, {"s2", 1, false, 10}, {"s3", 1, false, 10, 1}});
  EXPECT_EQ(be.serve(3), "s3 s3 s3");
  be.maint("s3");
  EXPECT_EQ(be.serve(2), "s2 s2");
}

TEST(first, fills_a_server_up_to_its_maxconn_before_the_next) {
  test_backend be({"first"}, {{"s1", 1, false, 2}, {"s2", 1, false, 1}, {"s3", 1, false, 1}});
  balancer& b = be.b();
  std::vector<std::string> picks;
  for (int i = 0; i < 5; ++i) {
    const std::optional<std::uint32_t> id = b.pick({});
    picks.push_back(be.name(id));
    if (id) {
      b.connection_opened(*id);
    }
  }
  EXPECT_EQ(test_backend::join(picks), "s1 s1 s2 s3 none");
  b.connection_closed(be.id("s1"));
  EXPECT_EQ(b.pick({}), be.id("s1"));
}

TEST(first, ignores_weights_but_weight_zero) {
  test_backend be({"first"}, weighted({1, 50}));
  EXPECT_EQ(be.serve(2), "s1 s1");
  be.weight("s1", 0);
  EXPECT_EQ(be.serve(2), "s2 s2");
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
