// balance uri and its options: for the same request targets, the server real haproxy 2.6
// picked, across hash types and functions.
#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

struct uri_case {
  std::vector<std::string> hash_type_;
  std::vector<std::uint32_t> weights_;
  std::string picks_;
};

TEST(uri, picks_as_haproxy_for_every_hash_type_and_function) {
  const std::vector<uri_case> cases = {
      {{}, {1, 1, 1}, "s3 s1 s1 s2 s3 s1 s3 s3 s3 s2 s2 s3 s1 s2 s3 s2 s1 s2 s3 s1 s2 s3 s1 s2"},
      {{}, {1, 2, 3}, "s3 s1 s1 s3 s2 s3 s2 s2 s2 s3 s2 s3 s1 s3 s3 s3 s1 s3 s2 s3 s2 s3 s1 s3"},
      {{"consistent"},
       {1, 1, 1},
       "s2 s3 s2 s2 s1 s2 s3 s3 s1 s1 s1 s3 s3 s3 s2 s3 s3 s2 s1 s1 s2 s3 s1 s2"},
      {{"consistent"},
       {1, 2, 3},
       "s2 s3 s2 s2 s1 s2 s2 s2 s3 s1 s1 s3 s2 s3 s3 s3 s3 s2 s1 s3 s2 s3 s3 s2"},
      {{"consistent", "sdbm"},
       {1, 1, 1},
       "s3 s2 s3 s3 s3 s3 s3 s3 s2 s1 s2 s3 s1 s3 s1 s1 s3 s3 s3 s3 s3 s3 s3 s3"},
      {{"consistent", "sdbm"},
       {1, 2, 3},
       "s3 s2 s3 s3 s3 s3 s3 s3 s2 s1 s2 s3 s1 s3 s1 s1 s3 s3 s3 s3 s3 s3 s3 s3"},
      {{"consistent", "djb2"},
       {1, 1, 1},
       "s3 s1 s3 s3 s3 s1 s3 s3 s3 s1 s2 s2 s2 s1 s2 s2 s3 s3 s3 s3 s3 s3 s3 s3"},
      {{"consistent", "djb2"},
       {1, 2, 3},
       "s3 s3 s3 s3 s3 s3 s3 s3 s3 s1 s2 s2 s3 s1 s2 s2 s3 s3 s3 s3 s3 s3 s3 s3"},
      {{"consistent", "wt6"},
       {1, 1, 1},
       "s1 s2 s3 s3 s1 s2 s3 s3 s1 s1 s2 s3 s2 s3 s3 s3 s3 s3 s3 s3 s3 s3 s3 s2"},
      {{"consistent", "wt6"},
       {1, 2, 3},
       "s1 s2 s3 s3 s1 s2 s3 s3 s2 s1 s2 s3 s2 s2 s3 s3 s3 s3 s3 s3 s3 s3 s3 s3"},
      {{"consistent", "crc32", "avalanche"},
       {1, 1, 1},
       "s1 s3 s2 s1 s1 s2 s1 s1 s1 s3 s2 s1 s3 s3 s3 s1 s1 s1 s3 s1 s3 s3 s2 s3"},
      {{"consistent", "crc32", "avalanche"},
       {1, 2, 3},
       "s3 s3 s2 s1 s1 s2 s3 s3 s1 s3 s2 s3 s3 s3 s3 s1 s3 s1 s3 s3 s3 s3 s2 s3"},
      {{"map-based", "crc32"},
       {1, 1, 1},
       "s2 s2 s1 s1 s1 s3 s1 s1 s3 s2 s3 s2 s2 s2 s3 s3 s3 s3 s3 s3 s2 s3 s2 s1"},
      {{"map-based", "crc32"},
       {1, 2, 3},
       "s2 s2 s1 s1 s1 s2 s1 s1 s2 s3 s2 s3 s2 s2 s2 s2 s2 s2 s2 s3 s3 s3 s3 s1"},
      {{"map-based", "djb2", "avalanche"},
       {1, 1, 1},
       "s3 s1 s2 s3 s1 s2 s3 s3 s2 s2 s2 s3 s1 s2 s1 s2 s3 s3 s3 s3 s2 s3 s2 s2"},
      {{"map-based", "djb2", "avalanche"},
       {1, 2, 3},
       "s3 s1 s3 s3 s1 s2 s3 s3 s2 s2 s2 s2 s1 s2 s1 s3 s3 s2 s3 s2 s2 s2 s3 s2"},
      {{"map-based", "wt6"},
       {1, 1, 1},
       "s2 s1 s1 s3 s2 s1 s3 s3 s1 s2 s2 s3 s2 s2 s3 s3 s1 s3 s3 s1 s2 s1 s3 s3"},
      {{"map-based", "wt6"},
       {1, 2, 3},
       "s3 s1 s3 s3 s3 s3 s2 s2 s1 s2 s3 s2 s2 s2 s2 s2 s3 s3 s3 s3 s3 s3 s3 s3"},
  };
  for (const uri_case& c : cases) {
    std::string label;
    for (const std::string& w : c.hash_type_) {
      label += w + " ";
    }
    EXPECT_EQ(test_backend({"uri"}, weighted(c.weights_), c.hash_type_).serve_uris(uris), c.picks_)
        << "hash-type " << label << "weights " << c.weights_[1] << "," << c.weights_[2];
  }
}

TEST(uri, options_cut_the_key_as_haproxy) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"uri", "whole"}, "s3 s1 s1 s2 s3 s1 s2 s3 s3 s2 s2 s1 s1 s2 s3 s2 s1 s2 s3 s1 s2 s3 s1 s2"},
      {{"uri", "len", "5"},
       "s3 s3 s1 s2 s3 s3 s3 s3 s1 s2 s3 s2 s2 s2 s2 s1 s1 s2 s3 s1 s2 s3 s1 s2"},
      {{"uri", "depth", "2"},
       "s3 s1 s1 s2 s3 s1 s2 s2 s2 s2 s2 s2 s1 s3 s3 s2 s1 s2 s3 s1 s2 s3 s1 s2"},
      {{"uri", "depth", "1", "whole"},
       "s3 s1 s1 s2 s3 s1 s3 s3 s2 s2 s3 s2 s2 s1 s3 s2 s1 s2 s3 s1 s2 s3 s1 s2"},
      {{"uri", "len", "9", "depth", "3"},
       "s3 s3 s1 s2 s3 s3 s3 s3 s3 s2 s2 s3 s1 s3 s3 s1 s1 s2 s3 s1 s2 s3 s1 s2"},
  };
  for (const auto& [balance, picks] : cases) {
    EXPECT_EQ(test_backend(balance, weighted({1, 1, 1})).serve_uris(uris), picks) << balance[1];
  }
}

TEST(uri, path_only_drops_scheme_and_authority) {
  EXPECT_EQ(test_backend({"uri"}, weighted({1, 1, 1})).serve_uris(absolute_uris),
            "s3 s1 s3 s3 s1 s2 s1");
  EXPECT_EQ(test_backend({"uri", "path-only"}, weighted({1, 1, 1})).serve_uris(absolute_uris),
            "s1 s2 s1 s1 s1 s2 s1");
  EXPECT_EQ(test_backend({"uri", "path-only", "whole"}, weighted({1, 1, 1}), {"consistent"})
                .serve_uris(absolute_uris),
            "s2 s3 s2 s2 s2 s3 s2");
}

TEST(uri, keeps_each_target_on_its_server_until_a_server_changes) {
  test_backend be({"uri"}, weighted({1, 1, 1}));
  const std::string first = be.serve_uris(uris);
  EXPECT_EQ(be.serve_uris(uris), first);
  be.maint("s3");
  EXPECT_NE(be.serve_uris(uris), first);
  be.ready("s3");
  EXPECT_EQ(be.serve_uris(uris), first);
}

TEST(uri, takes_servers_in_turn_outside_http) {
  EXPECT_EQ(test_backend({"uri"}, weighted({1, 1, 1})).serve(4), "s1 s2 s3 s1");
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
