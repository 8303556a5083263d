// Parsing, printing and ordering of VRRP addresses.
#include "runtime/vrrp/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <string>

namespace tandem::runtime::vrrp {

ip_address ip_address::v4(std::array<std::uint8_t, 4> bytes) {
  ip_address a;
  a.family_ = address_family::ipv4;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

ip_address ip_address::v6(std::array<std::uint8_t, 16> bytes) {
  ip_address a;
  a.family_ = address_family::ipv6;
  a.bytes_ = bytes;
  return a;
}

std::optional<ip_address> ip_address::parse(std::string_view text) {
  const std::string s(text);
  std::array<std::uint8_t, 16> buf{};
  if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
    return v4({buf[0], buf[1], buf[2], buf[3]});
  }
  if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) {
    return v6(buf);
  }
  return std::nullopt;
}

std::string ip_address::to_string() const {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(family_ == address_family::ipv4 ? AF_INET : AF_INET6, bytes_.data(), out, sizeof out);
  return out;
}

std::strong_ordering operator<=>(const ip_address& a, const ip_address& b) {
  if (a.family_ != b.family_) {
    return a.family_ <=> b.family_;
  }
  const auto sa = a.bytes();
  const auto sb = b.bytes();
  return std::lexicographical_compare_three_way(sa.begin(), sa.end(), sb.begin(), sb.end());
}

}  // namespace tandem::runtime::vrrp
