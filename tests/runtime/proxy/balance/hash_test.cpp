// The hash functions behind hash-type, against published check values, and the parsing of
// hash-type lines.
#include "runtime/proxy/balance/hash.hpp"

#include <gtest/gtest.h>

namespace tandem::runtime::proxy::balance::detail {
namespace {

TEST(hash, crc32_is_the_ieee_one) {
  EXPECT_EQ(hash_key({hash_method::map_based, hash_function::crc32, false}, "123456789"),
            0xcbf43926u);
  EXPECT_EQ(hash_key({hash_method::map_based, hash_function::crc32, false}, ""), 0u);
}

TEST(hash, djb2_and_sdbm_follow_their_recurrences) {
  const hash_settings djb2{hash_method::map_based, hash_function::djb2, false};
  const hash_settings sdbm{hash_method::map_based, hash_function::sdbm, false};
  EXPECT_EQ(hash_key(djb2, ""), 5381u);
  EXPECT_EQ(hash_key(djb2, "a"), 5381u * 33 + 'a');
  EXPECT_EQ(hash_key(sdbm, ""), 0u);
  EXPECT_EQ(hash_key(sdbm, "a"), std::uint32_t{'a'});
  EXPECT_EQ(hash_key(sdbm, "ab"), 'b' + 'a' * 65599u);
  // Bytes above 0x7f count as unsigned.
  EXPECT_EQ(hash_key(sdbm, "\xe9"), 0xe9u);
}

TEST(hash, avalanche_applies_after_the_function) {
  const hash_settings plain{hash_method::consistent, hash_function::sdbm, false};
  const hash_settings mixed{hash_method::consistent, hash_function::sdbm, true};
  EXPECT_EQ(hash_key(mixed, "/a"), avalanche(hash_key(plain, "/a")));
  EXPECT_NE(avalanche(0), 0u);
  EXPECT_NE(avalanche(1), avalanche(2));
}

TEST(hash, wt6_differs_by_input_and_is_stable) {
  const hash_settings wt6{hash_method::map_based, hash_function::wt6, false};
  EXPECT_EQ(hash_key(wt6, ""), 0xa53c965au ^ 0x5ca6953au);
  EXPECT_EQ(hash_key(wt6, "/a"), hash_key(wt6, "/a"));
  EXPECT_NE(hash_key(wt6, "/a"), hash_key(wt6, "/b"));
}

TEST(hash_type, defaults_to_map_based_sdbm) {
  hash_settings s;
  std::string error;
  ASSERT_TRUE(parse_hash_type({}, s, error));
  EXPECT_EQ(s.method_, hash_method::map_based);
  EXPECT_EQ(s.function_, hash_function::sdbm);
  EXPECT_FALSE(s.avalanche_);
}

TEST(hash_type, consistent_alone_means_sdbm_with_avalanche) {
  hash_settings s;
  std::string error;
  const std::vector<std::string> alone{"consistent"};
  ASSERT_TRUE(parse_hash_type(alone, s, error));
  EXPECT_TRUE(s.avalanche_);
  const std::vector<std::string> with_function{"consistent", "sdbm"};
  ASSERT_TRUE(parse_hash_type(with_function, s, error));
  EXPECT_FALSE(s.avalanche_);
  const std::vector<std::string> all{"map-based", "wt6", "avalanche"};
  ASSERT_TRUE(parse_hash_type(all, s, error));
  EXPECT_EQ(s.function_, hash_function::wt6);
  EXPECT_TRUE(s.avalanche_);
}

TEST(hash_type, refuses_what_haproxy_refuses) {
  hash_settings s;
  for (const std::vector<std::string>& words : {std::vector<std::string>{"avalanche"},
                                                {"ring"},
                                                {"consistent", "md5"},
                                                {"consistent", "sdbm", "shuffle"}}) {
    std::string error;
    EXPECT_FALSE(parse_hash_type(words, s, error)) << words[0];
    EXPECT_FALSE(error.empty());
  }
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::detail
