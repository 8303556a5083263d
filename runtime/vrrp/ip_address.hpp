// An IPv4 or IPv6 address as VRRP carries it: raw network-order bytes, comparable (the
// equal-priority tie-break compares primary addresses), no sockets involved.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tandem::runtime::vrrp {

enum class address_family : std::uint8_t { ipv4, ipv6 };

class ip_address {
 public:
  ip_address() = default;
  static ip_address v4(std::array<std::uint8_t, 4> bytes);
  static ip_address v6(std::array<std::uint8_t, 16> bytes);
  // Dotted quad or RFC 4291 text (inet_pton); nullopt when it is neither.
  static std::optional<ip_address> parse(std::string_view text);

  address_family family() const { return family_; }
  std::size_t size() const { return family_ == address_family::ipv4 ? 4 : 16; }
  std::span<const std::uint8_t> bytes() const { return {bytes_.data(), size()}; }
  std::string to_string() const;

  // Byte-wise (network order) within a family, IPv4 before IPv6: the same order keepalived's
  // inet_sockaddrcmp gives for addresses of one family.
  friend std::strong_ordering operator<=>(const ip_address& a, const ip_address& b);
  friend bool operator==(const ip_address& a, const ip_address& b) = default;

 private:
  address_family family_ = address_family::ipv4;
  std::array<std::uint8_t, 16> bytes_{};
};

}  // namespace tandem::runtime::vrrp
