// keepalived's IPsec AH for VRRPv2 (RFC 2402 layout, HMAC-MD5-96 keyed with the 8-byte
// auth_pass): the ICV computation, shared by encode and receive check.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace tandem::runtime::vrrp {

inline constexpr std::size_t ah_icv_size = 12;  // HMAC_MD5_TRUNC

// HMAC-MD5 of `data` keyed with `key`, truncated to 96 bits.
std::array<std::uint8_t, ah_icv_size> hmac_md5_96(std::span<const std::uint8_t> key,
                                                  std::span<const std::uint8_t> data);

}  // namespace tandem::runtime::vrrp
