// pick() is on the proxy's hot path: no algorithm may allocate while picking (or while counting
// connections).
#include "tests/runtime/proxy/balance/test_support.hpp"

// allocation_counter.cpp replaces the global operator new for this test binary.
std::size_t allocation_count();

namespace tandem::runtime::proxy::balance::test {
namespace {

TEST(allocation, the_counter_sees_allocations) {
  const std::size_t before = allocation_count();
  const auto probe = std::make_unique<int>(1);
  EXPECT_GT(allocation_count(), before);
}

TEST(allocation, no_algorithm_allocates_while_picking) {
  const std::array<std::uint8_t, 4> address{127, 0, 0, 9};
  request_keys keys;
  keys.source_address_ = address;
  keys.uri_ = "/img/logo.png?userid=alice";
  keys.header_ = [](std::string_view) -> std::optional<std::string_view> {
    return "www.example.com";
  };
  keys.rdp_cookie_ = "alice";
  request_keys empty;
  std::uint32_t next_random = 1;
  for (std::string_view name : algorithm_names()) {
    for (const std::vector<std::string>& hash_type :
         {std::vector<std::string>{}, std::vector<std::string>{"consistent"}}) {
      std::vector<std::string> balance{std::string(name)};
      if (name == "url_param") {
        balance.push_back("userid");
      } else if (name == "hdr") {
        balance = {"hdr(host)", "use_domain_only"};
      }
      test_backend be(balance, weighted({3, 1, 2, 5}), hash_type, false,
                      [&] { return next_random *= 2654435761u; });
      balancer& b = be.b();
      const std::size_t before = allocation_count();
      for (int i = 0; i < 100; ++i) {
        const request_keys& k = i % 2 == 0 ? keys : empty;  // with a key, and without
        if (const std::optional<std::uint32_t> id = b.pick(k)) {
          b.connection_opened(*id);
          b.connection_closed(*id);
        }
      }
      EXPECT_EQ(allocation_count() - before, 0u) << name << " " << hash_type.size();
    }
  }
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
