// Gratuitous ARP / unsolicited NA frames (see frames.hpp).
#include "runtime/vrrp/io/frames.hpp"

#include <algorithm>

#include "runtime/vrrp/checksum.hpp"

namespace tandem::runtime::vrrp::io {

namespace {
// Appends by index into a vector sized once (GCC 12's -Wstringop-overflow misreads repeated
// insert() of small spans).
void put16(std::vector<std::uint8_t>& v, std::uint16_t x) {
  const std::size_t at = v.size();
  v.resize(at + 2);
  v[at] = static_cast<std::uint8_t>(x >> 8);
  v[at + 1] = static_cast<std::uint8_t>(x);
}
void put(std::vector<std::uint8_t>& v, std::span<const std::uint8_t> b) {
  const std::size_t at = v.size();
  v.resize(at + b.size());
  for (std::size_t i = 0; i < b.size(); ++i) v[at + i] = b[i];
}
}  // namespace

std::vector<std::uint8_t> build_gratuitous_arp(const mac_address& source, const ip_address& vip) {
  std::vector<std::uint8_t> f;
  f.reserve(42);
  const mac_address bcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  put(f, bcast);
  put(f, source);
  put16(f, 0x0806);  // ETH_P_ARP
  put16(f, 1);       // ARPHRD_ETHER
  put16(f, 0x0800);  // ETH_P_IP
  f.push_back(6);
  f.push_back(4);
  put16(f, 1);  // ARPOP_REQUEST
  put(f, source);
  put(f, vip.bytes());
  put(f, bcast);
  put(f, vip.bytes());
  return f;
}

std::vector<std::uint8_t> build_unsolicited_na(const mac_address& mac, const ip_address& source,
                                               const ip_address& vip, bool router) {
  const auto all_nodes = *ip_address::parse("ff02::1");
  // ICMPv6 message: type, code, checksum, flags+reserved, target, option 2.
  std::vector<std::uint8_t> icmp;
  icmp.push_back(136);
  icmp.push_back(0);
  put16(icmp, 0);
  icmp.push_back(static_cast<std::uint8_t>(0x20 | (router ? 0x80 : 0)));  // Override (R)
  icmp.push_back(0);
  icmp.push_back(0);
  icmp.push_back(0);
  put(icmp, vip.bytes());
  icmp.push_back(2);  // target link-layer address
  icmp.push_back(1);  // length in units of 8 bytes
  put(icmp, mac);
  checksum_accumulator acc;  // RFC 2460 8.1 pseudo-header, next header 58
  acc.add(source.bytes());
  acc.add(all_nodes.bytes());
  acc.add_u16(static_cast<std::uint16_t>(icmp.size()));
  acc.add_u16(58);
  acc.add(icmp);
  const std::uint16_t sum = acc.finish();
  icmp[2] = static_cast<std::uint8_t>(sum >> 8);
  icmp[3] = static_cast<std::uint8_t>(sum);

  std::vector<std::uint8_t> f;
  const mac_address dst{0x33, 0x33, 0, 0, 0, 1};
  put(f, dst);
  put(f, mac);
  put16(f, 0x86dd);
  f.push_back(0x60);
  f.push_back(0);
  put16(f, 0);
  put16(f, static_cast<std::uint16_t>(icmp.size()));
  f.push_back(58);   // ICMPv6
  f.push_back(255);  // hop limit (RFC 4861)
  put(f, source.bytes());
  put(f, all_nodes.bytes());
  put(f, icmp);
  return f;
}

}  // namespace tandem::runtime::vrrp::io
