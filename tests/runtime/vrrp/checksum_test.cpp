// Tests of the Internet checksum against RFC 1071's worked example and an independent sum,
// and of the VRRPv3 pseudo-headers.
#include "runtime/vrrp/checksum.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tandem::runtime::vrrp {
namespace {

// A deliberately naive RFC 1071 sum, independent of checksum_accumulator.
std::uint16_t naive_checksum(std::vector<std::uint8_t> b) {
  if (b.size() % 2 != 0) {
    b.push_back(0);
  }
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    sum += static_cast<std::uint32_t>(b[i] * 256 + b[i + 1]);
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

TEST(checksum_test, Rfc1071Example) {
  // RFC 1071 section 3: the one's-complement sum of 0001 f203 f4f5 f6f7 is ddf2.
  const std::vector<std::uint8_t> b{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(internet_checksum(b), 0xffff - 0xddf2);
}

TEST(checksum_test, OddLengthPadsWithZero) {
  const std::vector<std::uint8_t> odd{0x12, 0x34, 0x56};
  const std::vector<std::uint8_t> even{0x12, 0x34, 0x56, 0x00};
  EXPECT_EQ(internet_checksum(odd), internet_checksum(even));
  EXPECT_EQ(internet_checksum(odd), naive_checksum(odd));
}

TEST(checksum_test, MatchesNaiveSumOnManyBuffers) {
  std::uint32_t seed = 12345;
  for (int n = 0; n < 200; ++n) {
    std::vector<std::uint8_t> b(static_cast<std::size_t>(n));
    for (auto& x : b) {
      seed = seed * 1103515245 + 12345;
      x = static_cast<std::uint8_t>(seed >> 16);
    }
    EXPECT_EQ(internet_checksum(b), naive_checksum(b)) << "length " << n;
  }
}

TEST(checksum_test, ChecksummedBufferSumsToZero) {
  std::vector<std::uint8_t> b{0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0x00, 0x00, 0xc0, 0xa8};
  const auto c = internet_checksum(b);
  b[6] = static_cast<std::uint8_t>(c >> 8);
  b[7] = static_cast<std::uint8_t>(c & 0xff);
  EXPECT_EQ(internet_checksum(b), 0);
}

TEST(checksum_test, Ipv4PseudoHeader) {
  const auto src = *ip_address::parse("192.168.1.10");
  const auto dst = *ip_address::parse("224.0.0.18");
  const std::vector<std::uint8_t> msg{0x31, 0x33, 0x64, 0x01, 0x00, 0x64,
                                      0x00, 0x00, 0xc0, 0xa8, 0x01, 0x64};
  std::vector<std::uint8_t> all{192, 168, 1, 10, 224, 0, 0, 18, 0, 112, 0, 12};
  all.insert(all.end(), msg.begin(), msg.end());
  EXPECT_EQ(pseudo_header_checksum(src, dst, msg), naive_checksum(all));
}

TEST(checksum_test, Ipv6PseudoHeader) {
  const auto src = *ip_address::parse("fe80::a");
  const auto dst = *ip_address::parse("ff02::12");
  const std::vector<std::uint8_t> msg{0x31, 0x01, 0xc8, 0x00, 0x00, 0x64, 0x00, 0x00};
  std::vector<std::uint8_t> all;
  all.insert(all.end(), src.bytes().begin(), src.bytes().end());
  all.insert(all.end(), dst.bytes().begin(), dst.bytes().end());
  for (std::uint8_t x : {0, 0, 0, 8, 0, 0, 0, 112}) {
    all.push_back(x);
  }
  all.insert(all.end(), msg.begin(), msg.end());
  EXPECT_EQ(pseudo_header_checksum(src, dst, msg), naive_checksum(all));
}

TEST(ip_address_test, ParsesOrdersAndPrints) {
  const auto a = *ip_address::parse("10.0.0.2");
  const auto b = *ip_address::parse("10.0.0.10");
  EXPECT_LT(a, b);  // byte order, not text order
  EXPECT_EQ(a.to_string(), "10.0.0.2");
  EXPECT_EQ(ip_address::parse("2001:db8::1")->family(), address_family::ipv6);
  EXPECT_FALSE(ip_address::parse("10.0.0.256"));
  EXPECT_FALSE(ip_address::parse("eth0"));
}

}  // namespace
}  // namespace tandem::runtime::vrrp
