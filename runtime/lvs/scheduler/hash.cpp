// IPVS's hash functions (see hash.hpp).
#include "runtime/lvs/scheduler/hash.hpp"

namespace tandem::runtime::lvs::detail {

std::uint32_t fold_address(const boost::asio::ip::address& a) {
  if (a.is_v4()) return a.to_v4().to_uint();
  const auto b = a.to_v6().to_bytes();
  std::uint32_t fold = 0;
  for (int w = 0; w < 4; ++w) {
    fold ^= (std::uint32_t{b[w * 4]} << 24) | (std::uint32_t{b[w * 4 + 1]} << 16) |
            (std::uint32_t{b[w * 4 + 2]} << 8) | std::uint32_t{b[w * 4 + 3]};
  }
  return fold;
}

namespace {
inline std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
inline void sipround(std::uint64_t& v0, std::uint64_t& v1, std::uint64_t& v2, std::uint64_t& v3) {
  v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
  v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
}
}  // namespace

std::uint32_t hsiphash_u32(std::uint32_t v, std::uint64_t key0, std::uint64_t key1) {
  std::uint64_t v0 = 0x736f6d6570736575ULL ^ key0;
  std::uint64_t v1 = 0x646f72616e646f6dULL ^ key1;
  std::uint64_t v2 = 0x6c7967656e657261ULL ^ key0;
  std::uint64_t v3 = 0x7465646279746573ULL ^ key1;
  // Four bytes: no full block; the length in the top byte, the data below it.
  const std::uint64_t b = (std::uint64_t{4} << 56) | v;
  v3 ^= b;
  sipround(v0, v1, v2, v3);  // one compression round
  v0 ^= b;
  v2 ^= 0xff;
  sipround(v0, v1, v2, v3);  // three finalisation rounds
  sipround(v0, v1, v2, v3);
  sipround(v0, v1, v2, v3);
  return static_cast<std::uint32_t>((v0 ^ v1) ^ (v2 ^ v3));
}

}  // namespace tandem::runtime::lvs::detail
