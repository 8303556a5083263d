// The hash functions of HAProxy's `hash-type` (sdbm, djb2, wt6, crc32), its "avalanche"
// integer mix, and the settings that choose among them. A server picked by hash must be the one
// HAProxy picks for the same key, so these reproduce its values bit for bit.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace tandem::runtime::proxy::balance::detail {

enum class hash_method { map_based, consistent };
enum class hash_function { sdbm, djb2, wt6, crc32 };

struct hash_settings {
  hash_method method_ = hash_method::map_based;
  hash_function function_ = hash_function::sdbm;
  bool avalanche_ = false;
};

// Reads `hash-type` as written ("consistent" "djb2" "avalanche"); an empty line is the default
// (map-based sdbm). As HAProxy, "consistent" alone means sdbm with avalanche.
bool parse_hash_type(std::span<const std::string> words, hash_settings& out, std::string& error);

std::uint32_t hash_sdbm(std::span<const std::uint8_t> key);
std::uint32_t hash_djb2(std::span<const std::uint8_t> key);
std::uint32_t hash_wt6(std::span<const std::uint8_t> key);
std::uint32_t hash_crc32(std::span<const std::uint8_t> key);
// Bob Jenkins' 32-bit full avalanche, then a multiplication by a prime near 3/4 of 2^32 that
// HAProxy adds to spread keys around the ring.
std::uint32_t avalanche(std::uint32_t a);

// The configured function, then avalanche when asked.
std::uint32_t hash_key(const hash_settings& s, std::span<const std::uint8_t> key);
std::uint32_t hash_key(const hash_settings& s, std::string_view key);

}  // namespace tandem::runtime::proxy::balance::detail
