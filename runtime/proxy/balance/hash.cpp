// Hash functions for the hashing balance algorithms, bit-compatible with HAProxy 2.6.
#include "runtime/proxy/balance/hash.hpp"

#include <bit>
#include <string_view>

namespace tandem::runtime::proxy::balance::detail {

bool parse_hash_type(std::span<const std::string> words, hash_settings& out, std::string& error) {
  out = hash_settings{};
  if (words.empty()) {
    return true;
  }
  if (words[0] == "consistent") {
    out.method_ = hash_method::consistent;
  } else if (words[0] == "map-based") {
    out.method_ = hash_method::map_based;
  } else if (words[0] == "avalanche") {
    error =
        "hash-type avalanche is no longer supported; write 'hash-type map-based sdbm avalanche'";
    return false;
  } else {
    error = "hash-type only supports 'consistent' and 'map-based' (got '" + words[0] + "')";
    return false;
  }
  if (words.size() == 1) {
    out.avalanche_ = out.method_ == hash_method::consistent;
    return true;
  }
  const std::string& f = words[1];
  if (f == "sdbm") {
    out.function_ = hash_function::sdbm;
  } else if (f == "djb2") {
    out.function_ = hash_function::djb2;
  } else if (f == "wt6") {
    out.function_ = hash_function::wt6;
  } else if (f == "crc32") {
    out.function_ = hash_function::crc32;
  } else {
    error = "hash-type only supports the 'sdbm', 'djb2', 'crc32' and 'wt6' hash functions (got '" +
            f + "')";
    return false;
  }
  if (words.size() >= 3) {
    if (words[2] != "avalanche" || words.size() > 3) {
      error = "the only hash-type modifier is 'avalanche' (got '" + words[2] + "')";
      return false;
    }
    out.avalanche_ = true;
  }
  return true;
}

std::uint32_t hash_sdbm(std::span<const std::uint8_t> key) {
  std::uint32_t h = 0;
  for (std::uint8_t c : key) {
    h = c + (h << 6) + (h << 16) - h;
  }
  return h;
}

std::uint32_t hash_djb2(std::span<const std::uint8_t> key) {
  std::uint32_t h = 5381;
  for (std::uint8_t c : key) {
    h = (h << 5) + h + c;
  }
  return h;
}

std::uint32_t hash_wt6(std::span<const std::uint8_t> key) {
  std::uint32_t h0 = 0xa53c965a;
  std::uint32_t h1 = 0x5ca6953a;
  std::uint32_t step0 = 6;
  std::uint32_t step1 = 18;
  for (std::uint8_t c : key) {
    h0 = ~(h0 ^ c);
    h1 = ~(h1 + c);
    // HAProxy writes these rotations as two shifts, so a step of 0 shifts by 32 on one side,
    // which x86 reduces to 0: the value is then OR-ed with itself, as std::rotl does.
    const std::uint32_t t = std::rotl(h1, static_cast<int>(step0));
    h1 = std::rotl(h0, static_cast<int>(step1));
    h0 = t;
    const std::uint32_t mix = ((h0 >> 16) ^ h1) & 0xffff;
    step0 = mix & 0x1f;
    step1 = mix >> 11;
  }
  return h0 ^ h1;
}

std::uint32_t hash_crc32(std::span<const std::uint8_t> key) {
  // The reflected IEEE 802.3 polynomial, bit by bit as HAProxy does (no table to keep in cache).
  std::uint32_t h = ~0u;
  for (std::uint8_t c : key) {
    h ^= c;
    for (int bit = 0; bit < 8; ++bit) {
      h = (h >> 1) ^ ((h & 1) ? 0xedb88320u : 0u);
    }
  }
  return ~h;
}

std::uint32_t avalanche(std::uint32_t a) {
  a = (a + 0x7ed55d16) + (a << 12);
  a = (a ^ 0xc761c23c) ^ (a >> 19);
  a = (a + 0x165667b1) + (a << 5);
  a = (a + 0xd3a2646c) ^ (a << 9);
  a = (a + 0xfd7046c5) + (a << 3);
  a = (a ^ 0xb55a4f09) ^ (a >> 16);
  return a * 3221225473u;
}

std::uint32_t hash_key(const hash_settings& s, std::span<const std::uint8_t> key) {
  std::uint32_t h = 0;
  switch (s.function_) {
    case hash_function::sdbm:
      h = hash_sdbm(key);
      break;
    case hash_function::djb2:
      h = hash_djb2(key);
      break;
    case hash_function::wt6:
      h = hash_wt6(key);
      break;
    case hash_function::crc32:
      h = hash_crc32(key);
      break;
  }
  return s.avalanche_ ? avalanche(h) : h;
}

std::uint32_t hash_key(const hash_settings& s, std::string_view key) {
  return hash_key(s, std::span(reinterpret_cast<const std::uint8_t*>(key.data()), key.size()));
}

}  // namespace tandem::runtime::proxy::balance::detail
