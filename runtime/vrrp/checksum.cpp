// Internet checksum and VRRPv3 pseudo-header sums.
#include "runtime/vrrp/checksum.hpp"

#include <cassert>

namespace tandem::runtime::vrrp {

namespace {
constexpr std::uint8_t ipproto_vrrp = 112;
}

void checksum_accumulator::add(std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    sum_ += static_cast<std::uint32_t>(bytes[i]) << 8 | bytes[i + 1];
  }
  if (i < bytes.size()) {
    sum_ += static_cast<std::uint32_t>(bytes[i]) << 8;
  }
}

std::uint16_t checksum_accumulator::finish() const {
  std::uint64_t s = sum_;
  while (s >> 16) {
    s = (s & 0xffff) + (s >> 16);
  }
  return static_cast<std::uint16_t>(~s & 0xffff);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
  checksum_accumulator acc;
  acc.add(bytes);
  return acc.finish();
}

std::uint16_t pseudo_header_checksum(const ip_address& source, const ip_address& destination,
                                     std::span<const std::uint8_t> message) {
  assert(source.family() == destination.family());
  checksum_accumulator acc;
  acc.add(source.bytes());
  acc.add(destination.bytes());
  const auto length = static_cast<std::uint32_t>(message.size());
  // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, 3 zero bytes, next header.
  // Either way the words sum to the length plus the protocol number.
  acc.add_u16(static_cast<std::uint16_t>(length >> 16));
  acc.add_u16(static_cast<std::uint16_t>(length & 0xffff));
  acc.add_u16(ipproto_vrrp);
  acc.add(message);
  return acc.finish();
}

}  // namespace tandem::runtime::vrrp
