// The hash functions IPVS's hashing schedulers use, bit for bit: hash_32() (include/linux/
// hash.h) for sh, dh, lblc and lblcr, and the 64-bit kernel's hsiphash (SipHash-1-3 on a
// 64-bit key, folded to 32 bits) for mh. Exposed for the tests that check known inputs.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>

namespace tandem::runtime::lvs::detail {

inline constexpr std::uint32_t golden_ratio_32 = 0x61C88647u;

inline std::uint32_t hash_32(std::uint32_t value, unsigned bits) {
  return (value * golden_ratio_32) >> (32 - bits);
}

// IPVS's address fold: the IPv4 address in host order, or the XOR of an IPv6 address's four
// 32-bit words (XORed in network order, then read in host order, as ntohl(addr_fold) does).
std::uint32_t fold_address(const boost::asio::ip::address& a);

// hsiphash(&v, 4, key) of a 64-bit kernel, v a host-order (little-endian) u32.
std::uint32_t hsiphash_u32(std::uint32_t v, std::uint64_t key0, std::uint64_t key1);

}  // namespace tandem::runtime::lvs::detail
