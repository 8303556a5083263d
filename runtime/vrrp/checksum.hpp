// The Internet checksum (RFC 1071) and the pseudo-headers VRRPv3 adds to it (RFC 5798 5.2.8:
// IPv6's from RFC 2460 8.1, and the IPv4 one keepalived uses).
#pragma once

#include <cstdint>
#include <span>

#include "runtime/vrrp/ip_address.hpp"

namespace tandem::runtime::vrrp {

// A running one's-complement sum of 16-bit big-endian words; an odd trailing byte is padded
// with zero, as RFC 1071 says.
class checksum_accumulator {
 public:
  void add(std::span<const std::uint8_t> bytes);
  void add_u16(std::uint16_t value) { sum_ += value; }
  // The checksum to put in a header: the complement of the folded sum.
  std::uint16_t finish() const;

 private:
  std::uint64_t sum_ = 0;
};

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

// The checksum of a VRRP message behind a pseudo-header of (source, destination, zero,
// protocol 112, length): 12 bytes for IPv4, 40 for IPv6. Both addresses of one family.
std::uint16_t pseudo_header_checksum(const ip_address& source, const ip_address& destination,
                                     std::span<const std::uint8_t> message);

}  // namespace tandem::runtime::vrrp
