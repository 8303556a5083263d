// Gratuitous ARP and unsolicited NA frames, checked field by field (RFC 5227 / RFC 4861).
#include "runtime/vrrp/io/frames.hpp"

#include <gtest/gtest.h>

#include "runtime/vrrp/checksum.hpp"

namespace tandem::runtime::vrrp::io {
namespace {

const mac_address mac{0x4a, 0x21, 0x3e, 0x9b, 0xd6, 0xbc};

TEST(frames, gratuitous_arp_is_a_broadcast_request_for_the_vip) {
  const auto f = build_gratuitous_arp(mac, *ip_address::parse("11.22.33.44"));
  ASSERT_EQ(f.size(), 42u);
  const std::vector<std::uint8_t> want = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x4a, 0x21, 0x3e, 0x9b, 0xd6, 0xbc, 0x08, 0x06,  // ether
      0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,                                            // request
      0x4a, 0x21, 0x3e, 0x9b, 0xd6, 0xbc, 11, 22, 33, 44,                                  // sender
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 11, 22, 33, 44};                                 // target
  EXPECT_EQ(f, want);
}

TEST(frames, unsolicited_na_to_all_nodes_with_override_and_a_valid_checksum) {
  const auto src = *ip_address::parse("fe80::4821:3eff:fe9b:d6bc");
  const auto vip = *ip_address::parse("2001:db8::44");
  const auto f = build_unsolicited_na(mac, src, vip);
  ASSERT_EQ(f.size(), 14u + 40u + 32u);
  EXPECT_EQ(std::vector<std::uint8_t>(f.begin(), f.begin() + 6),
            (std::vector<std::uint8_t>{0x33, 0x33, 0, 0, 0, 1}));
  EXPECT_EQ(f[12], 0x86);
  EXPECT_EQ(f[13], 0xdd);
  const std::uint8_t* ip6 = f.data() + 14;
  EXPECT_EQ(ip6[0] >> 4, 6);
  EXPECT_EQ((ip6[4] << 8) | ip6[5], 32);  // payload length
  EXPECT_EQ(ip6[6], 58);
  EXPECT_EQ(ip6[7], 255);
  EXPECT_TRUE(std::equal(src.bytes().begin(), src.bytes().end(), ip6 + 8));
  EXPECT_EQ(ip6[24], 0xff);
  EXPECT_EQ(ip6[25], 0x02);
  EXPECT_EQ(ip6[39], 0x01);
  const std::uint8_t* icmp = ip6 + 40;
  EXPECT_EQ(icmp[0], 136);
  EXPECT_EQ(icmp[4], 0x20);  // Override, not Solicited, not Router
  EXPECT_TRUE(std::equal(vip.bytes().begin(), vip.bytes().end(), icmp + 8));
  EXPECT_EQ(icmp[24], 2);
  EXPECT_EQ(icmp[25], 1);
  EXPECT_TRUE(std::equal(mac.begin(), mac.end(), icmp + 26));
  // The checksum over the pseudo-header and the message folds to zero when right.
  checksum_accumulator acc;
  acc.add(src.bytes());
  acc.add(ip_address::parse("ff02::1")->bytes());
  acc.add_u16(32);
  acc.add_u16(58);
  acc.add({icmp, 32});
  EXPECT_EQ(acc.finish(), 0);
}

}  // namespace
}  // namespace tandem::runtime::vrrp::io
