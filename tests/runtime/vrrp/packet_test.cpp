// Tests of the VRRP codec: hand-built vectors from the RFC 3768 / RFC 5798 layouts (their
// checksums computed by an independent sum here), round trips, every receive-validation
// reason and its counter, AH, and robustness against truncated and mangled buffers.
#include "runtime/vrrp/packet.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tandem::runtime::vrrp {
namespace {

using bytes = std::vector<std::uint8_t>;

ip_address addr(const char* text) {
  return *ip_address::parse(text);
}

std::uint16_t naive_sum(bytes b) {
  if (b.size() % 2 != 0) {
    b.push_back(0);
  }
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < b.size(); i += 2) {
    sum += static_cast<std::uint32_t>(b[i] * 256 + b[i + 1]);
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// VRID 51, priority 100, advert_int 1, VIP 192.168.1.100, no authentication.
advert v2_advert() {
  advert a;
  a.version_ = 2;
  a.vrid_ = 51;
  a.priority_ = 100;
  a.advert_interval_ = 1;
  a.addresses_ = {addr("192.168.1.100")};
  return a;
}

checksum_context mcast4() {
  return {addr("192.168.1.10"), addr("224.0.0.18"), addr("224.0.0.18"),
          v3_checksum_mode::pseudo_header};
}

rx_config v2_config() {
  rx_config c;
  c.family_ = address_family::ipv4;
  c.version_ = 2;
  c.vrid_ = 51;
  c.v2_advert_interval_seconds_ = 1;
  c.vips_ = {addr("192.168.1.100")};
  c.multicast_group_ = addr("224.0.0.18");
  return c;
}

bytes v2_packet(const advert& a = v2_advert(), std::uint8_t ttl = 255) {
  ipv4_fields ip{addr("192.168.1.10"), addr("224.0.0.18"), 1, ttl, false};
  return encode_ipv4_packet(a, ip, mcast4());
}

void refresh_ip_checksum(bytes& p) {
  p[10] = p[11] = 0;
  const auto c = naive_sum(bytes(p.begin(), p.begin() + 20));
  p[10] = static_cast<std::uint8_t>(c >> 8);
  p[11] = static_cast<std::uint8_t>(c & 0xff);
}

// Rewrites the VRRP checksum of an IPv4 v2 packet after a test changed a field.
void refresh_v2_checksum(bytes& p) {
  p[26] = p[27] = 0;
  const auto c = naive_sum(bytes(p.begin() + 20, p.end()));
  p[26] = static_cast<std::uint8_t>(c >> 8);
  p[27] = static_cast<std::uint8_t>(c & 0xff);
}

// ---- encoding: hand-built vectors ----

TEST(packet_encode_test, V2MatchesRfc3768Layout) {
  const bytes expected{0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0xb8, 0xbd, 0xc0, 0xa8,
                       0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  const auto got = encode_message(v2_advert(), address_family::ipv4, mcast4());
  EXPECT_EQ(got, expected);
  // The checksum, recomputed independently over the message with a zero checksum field.
  bytes zeroed = got;
  zeroed[6] = zeroed[7] = 0;
  EXPECT_EQ(naive_sum(zeroed), 0xb8bd);
  EXPECT_EQ(naive_sum(got), 0);
}

TEST(packet_encode_test, Ipv4HeaderAsKeepalivedBuildsIt) {
  const bytes ip{0x45, 0xc0, 0x00, 0x28, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70,
                 0x18, 0xe0, 0xc0, 0xa8, 0x01, 0x0a, 0xe0, 0x00, 0x00, 0x12};
  const auto got = v2_packet();
  ASSERT_EQ(got.size(), 40u);
  EXPECT_EQ(bytes(got.begin(), got.begin() + 20), ip);
  EXPECT_EQ(naive_sum(bytes(got.begin(), got.begin() + 20)), 0);
  EXPECT_EQ(bytes(got.begin() + 20, got.end()),
            encode_message(v2_advert(), address_family::ipv4, mcast4()));
}

TEST(packet_encode_test, PassIsFirstEightCharactersZeroPadded) {
  advert a;
  a.vrid_ = 1;
  a.priority_ = 150;
  a.auth_ = auth_type::pass;
  a.auth_data_ = auth_data_from_password("secret12345");
  a.addresses_ = {addr("10.0.0.10"), addr("10.0.0.11")};
  const bytes expected{0x21, 0x01, 0x96, 0x02, 0x01, 0x01, 0xc6, 0x67, 0x0a, 0x00, 0x00, 0x0a,
                       0x0a, 0x00, 0x00, 0x0b, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x31, 0x32};
  EXPECT_EQ(encode_message(a, address_family::ipv4, mcast4()), expected);

  const auto short_pw = auth_data_from_password("1111");
  const std::array<std::uint8_t, 8> padded{'1', '1', '1', '1', 0, 0, 0, 0};
  EXPECT_EQ(short_pw, padded);
}

TEST(packet_encode_test, V3Ipv4ChecksumCoversPseudoHeader) {
  advert a = v2_advert();
  a.version_ = 3;
  a.advert_interval_ = 100;  // centiseconds
  const bytes expected{0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x06, 0x19, 0xc0, 0xa8, 0x01, 0x64};
  const auto got = encode_message(a, address_family::ipv4, mcast4());
  EXPECT_EQ(got, expected);
  const bytes pseudo{192, 168, 1, 10, 224, 0, 0, 18, 0, 112, 0, 12};
  EXPECT_EQ(naive_sum(cat(pseudo, got)), 0);
}

TEST(packet_encode_test, V3Ipv6MatchesRfc5798Layout) {
  advert a;
  a.version_ = 3;
  a.vrid_ = 1;
  a.priority_ = 200;
  a.advert_interval_ = 100;
  a.addresses_ = {addr("fe80::1"), addr("2001:db8::1")};
  const checksum_context ctx{addr("fe80::a"), addr("ff02::12"), addr("ff02::12"),
                             v3_checksum_mode::pseudo_header};
  const bytes expected{0x31, 0x01, 0xc8, 0x02, 0x00, 0x64, 0xdc, 0x23, 0xfe, 0x80,
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                       0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
                       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
  EXPECT_EQ(encode_message(a, address_family::ipv6, ctx), expected);
}

TEST(packet_encode_test, V3IntervalKeepsReservedBitsZero) {
  advert a = v2_advert();
  a.version_ = 3;
  a.advert_interval_ = 4095;
  const auto got = encode_message(a, address_family::ipv4, mcast4());
  EXPECT_EQ(got[4], 0x0f);
  EXPECT_EQ(got[5], 0xff);
}

TEST(packet_encode_test, V3ChecksumModes) {
  advert a = v2_advert();
  a.version_ = 3;
  a.advert_interval_ = 100;
  // Unicast to a peer: by default the pseudo-header names the peer.
  checksum_context uni{addr("192.168.1.10"), addr("192.168.1.11"), addr("224.0.0.18"),
                       v3_checksum_mode::pseudo_header};
  const auto peer = encode_message(a, address_family::ipv4, uni);
  EXPECT_EQ(naive_sum(cat({192, 168, 1, 10, 192, 168, 1, 11, 0, 112, 0, 12}, peer)), 0);
  // old_unicast_checksum: the multicast group, whatever the destination.
  uni.mode_ = v3_checksum_mode::multicast_destination;
  const auto old = encode_message(a, address_family::ipv4, uni);
  EXPECT_EQ(old, encode_message(a, address_family::ipv4, mcast4()));
  // v3_checksum_as_v2: the message alone.
  uni.mode_ = v3_checksum_mode::no_pseudo_header;
  const auto plain = encode_message(a, address_family::ipv4, uni);
  EXPECT_EQ(naive_sum(plain), 0);
  EXPECT_NE(plain, peer);
}

TEST(packet_encode_test, V2OverIpv6HasNoAuthField) {
  advert a = v2_advert();
  a.addresses_ = {addr("fe80::1")};
  const checksum_context ctx{addr("fe80::a"), addr("ff02::12"), addr("ff02::12"),
                             v3_checksum_mode::pseudo_header};
  EXPECT_EQ(encode_message(a, address_family::ipv6, ctx).size(), 8u + 16u);
}

// ---- decoding ----

TEST(packet_decode_test, RoundTripsEveryShape) {
  for (std::uint8_t version : {2, 3}) {
    for (auto family : {address_family::ipv4, address_family::ipv6}) {
      advert a;
      a.version_ = version;
      a.vrid_ = 7;
      a.priority_ = 254;
      a.advert_interval_ = version == 3 ? 35 : 3;
      if (family == address_family::ipv4) {
        a.addresses_ = {addr("10.1.1.1"), addr("10.1.1.2"), addr("10.1.1.3")};
        a.auth_ = version == 2 ? auth_type::pass : auth_type::none;
        a.auth_data_ = version == 2 ? auth_data_from_password("pw") : a.auth_data_;
      } else {
        a.addresses_ = {addr("fe80::1"), addr("2001:db8::7")};
      }
      const checksum_context ctx =
          family == address_family::ipv4
              ? mcast4()
              : checksum_context{addr("fe80::a"), addr("ff02::12"), addr("ff02::12"),
                                 v3_checksum_mode::pseudo_header};
      const auto wire = encode_message(a, family, ctx);
      const auto d = decode_message(wire, family);
      ASSERT_TRUE(d.ok_);
      EXPECT_EQ(d.value_.version_, version);
      EXPECT_EQ(d.value_.vrid_, 7);
      EXPECT_EQ(d.value_.priority_, 254);
      EXPECT_EQ(d.value_.advert_interval_, a.advert_interval_);
      EXPECT_EQ(d.value_.addresses_, a.addresses_);
      EXPECT_EQ(d.value_.auth_, a.auth_);
      EXPECT_EQ(d.value_.auth_data_, a.auth_data_);
      EXPECT_EQ(encode_message(d.value_, family, ctx), wire);
    }
  }
}

// ---- receive validation ----

class packet_check_test : public ::testing::Test {
 protected:
  rx_result check(const bytes& p) { return check_ipv4_packet(cfg_, p, stats_); }
  void expect_rejected(const bytes& p, rx_status s) {
    const auto before = stats_.count(s);
    EXPECT_EQ(check(p).status_, s) << to_string(s);
    EXPECT_EQ(stats_.count(s), before + 1) << to_string(s);
  }
  rx_config cfg_ = v2_config();
  rx_stats stats_;
};

TEST_F(packet_check_test, AcceptsAValidAdvert) {
  const auto r = check(v2_packet());
  ASSERT_EQ(r.status_, rx_status::ok);
  EXPECT_EQ(r.value_.priority_, 100);
  EXPECT_EQ(r.source_, addr("192.168.1.10"));
  EXPECT_EQ(stats_.adverts_received_, 1u);
  for (std::size_t i = 1; i < stats_.by_status_.size(); ++i) {
    EXPECT_EQ(stats_.by_status_[i], 0u);
  }
}

TEST_F(packet_check_test, CountsPriorityZero) {
  advert a = v2_advert();
  a.priority_ = 0;
  EXPECT_EQ(check(v2_packet(a)).status_, rx_status::ok);
  EXPECT_EQ(stats_.priority_zero_received_, 1u);
}

TEST_F(packet_check_test, TooShort) {
  auto p = v2_packet();
  p.resize(27);
  expect_rejected(p, rx_status::too_short);
}

TEST_F(packet_check_test, TtlMustBe255OnMulticastOnly) {
  expect_rejected(v2_packet(v2_advert(), 64), rx_status::bad_ttl);
  cfg_.unicast_ = true;
  EXPECT_EQ(check(v2_packet(v2_advert(), 64)).status_, rx_status::ok);
}

TEST_F(packet_check_test, InvalidAuthType) {
  auto p = v2_packet();
  p[24] = 3;
  refresh_v2_checksum(p);
  expect_rejected(p, rx_status::invalid_auth_type);
}

TEST_F(packet_check_test, AuthTypeMismatch) {
  advert a = v2_advert();
  a.auth_ = auth_type::pass;
  a.auth_data_ = auth_data_from_password("secret");
  expect_rejected(v2_packet(a), rx_status::auth_type_mismatch);
}

TEST_F(packet_check_test, PassAuthentication) {
  cfg_.auth_ = auth_type::pass;
  cfg_.auth_data_ = auth_data_from_password("secret");
  advert a = v2_advert();
  a.auth_ = auth_type::pass;
  a.auth_data_ = auth_data_from_password("secret");
  EXPECT_EQ(check(v2_packet(a)).status_, rx_status::ok);
  a.auth_data_ = auth_data_from_password("Secret");
  expect_rejected(v2_packet(a), rx_status::auth_failure);
  // Only eight characters count, on both sides.
  cfg_.auth_data_ = auth_data_from_password("12345678-this");
  a.auth_data_ = auth_data_from_password("12345678-that");
  EXPECT_EQ(check(v2_packet(a)).status_, rx_status::ok);
}

TEST_F(packet_check_test, V2IntervalMismatchIsDropped) {
  advert a = v2_advert();
  a.advert_interval_ = 2;
  expect_rejected(v2_packet(a), rx_status::interval_mismatch);
}

TEST_F(packet_check_test, BadVersion) {
  // A v3 packet to a v2 instance whose interval byte happens to match (1 cs).
  advert a = v2_advert();
  a.version_ = 3;
  a.advert_interval_ = 1;
  expect_rejected(v2_packet(a), rx_status::bad_version);
}

TEST_F(packet_check_test, BadType) {
  auto p = v2_packet();
  p[20] = 0x22;
  refresh_v2_checksum(p);
  expect_rejected(p, rx_status::bad_type);
}

TEST_F(packet_check_test, VridNotOurs) {
  advert a = v2_advert();
  a.vrid_ = 52;
  expect_rejected(v2_packet(a), rx_status::vrid_mismatch);
}

TEST_F(packet_check_test, AddressCountMismatch) {
  advert a = v2_advert();
  a.addresses_.push_back(addr("192.168.1.101"));
  expect_rejected(v2_packet(a), rx_status::address_count_mismatch);
}

TEST_F(packet_check_test, IpTotalLengthMismatch) {
  auto p = v2_packet();
  p[3] = 41;
  refresh_ip_checksum(p);
  expect_rejected(p, rx_status::length_mismatch);
}

TEST_F(packet_check_test, TrailingBytesAreALengthMismatch) {
  auto p = v2_packet();
  p.push_back(0);
  p[3] = static_cast<std::uint8_t>(p.size());
  expect_rejected(p, rx_status::length_mismatch);
}

TEST_F(packet_check_test, IpOptionsAreALengthMismatchNotAnOverread) {
  auto p = v2_packet();
  p.insert(p.begin() + 20, {1, 1, 1, 1});  // four NOP options
  p[0] = 0x46;
  p[3] = static_cast<std::uint8_t>(p.size());
  expect_rejected(p, rx_status::length_mismatch);
}

TEST_F(packet_check_test, BadChecksum) {
  auto p = v2_packet();
  p[27] ^= 0x01;
  expect_rejected(p, rx_status::bad_checksum);
}

TEST_F(packet_check_test, VipMissingFromAdvert) {
  advert a = v2_advert();
  a.addresses_ = {addr("192.168.1.200")};
  expect_rejected(v2_packet(a), rx_status::address_list_mismatch);
  cfg_.check_vip_addresses_ = false;  // skip_check_adv_addr with a known master
  EXPECT_EQ(check(v2_packet(a)).status_, rx_status::ok);
}

TEST_F(packet_check_test, UnicastSourceMustBeAPeer) {
  cfg_.unicast_ = true;
  cfg_.check_unicast_src_ = true;
  cfg_.unicast_peers_ = {addr("192.168.1.11")};
  expect_rejected(v2_packet(), rx_status::unicast_source_not_peer);
  cfg_.unicast_peers_.push_back(addr("192.168.1.10"));
  EXPECT_EQ(check(v2_packet()).status_, rx_status::ok);
}

TEST_F(packet_check_test, V3ChecksumAndOldChecksumDetection) {
  cfg_.version_ = 3;
  advert a = v2_advert();
  a.version_ = 3;
  a.advert_interval_ = 100;
  // Unicast to 192.168.1.11, summed the pre-1.3.6 way (over the multicast group).
  checksum_context old{addr("192.168.1.10"), addr("192.168.1.11"), addr("224.0.0.18"),
                       v3_checksum_mode::multicast_destination};
  const ipv4_fields ip{addr("192.168.1.10"), addr("192.168.1.11"), 9, 255, true};
  const auto p = encode_ipv4_packet(a, ip, old);
  cfg_.unicast_ = true;
  const auto r = check(p);
  EXPECT_EQ(r.status_, rx_status::ok);
  EXPECT_TRUE(r.old_checksum_);
  cfg_.auto_detect_old_checksum_ = false;  // old_unicast_checksum never
  expect_rejected(p, rx_status::bad_checksum);
  // The current sum over the real destination.
  checksum_context now = old;
  now.mode_ = v3_checksum_mode::pseudo_header;
  const auto r2 = check(encode_ipv4_packet(a, ip, now));
  EXPECT_EQ(r2.status_, rx_status::ok);
  EXPECT_FALSE(r2.old_checksum_);
  // v3_checksum_as_v2 on both sides.
  now.mode_ = v3_checksum_mode::no_pseudo_header;
  cfg_.checksum_mode_ = v3_checksum_mode::no_pseudo_header;
  EXPECT_EQ(check(encode_ipv4_packet(a, ip, now)).status_, rx_status::ok);
}

TEST_F(packet_check_test, EveryTruncationIsRejectedWithoutCrashing) {
  cfg_.auth_ = auth_type::pass;
  cfg_.auth_data_ = auth_data_from_password("secret");
  advert a = v2_advert();
  a.auth_ = auth_type::pass;
  a.auth_data_ = cfg_.auth_data_;
  const auto p = v2_packet(a);
  for (std::size_t n = 0; n < p.size(); ++n) {
    const bytes cut(p.begin(), p.begin() + static_cast<long>(n));
    EXPECT_NE(check(cut).status_, rx_status::ok) << n;
  }
  EXPECT_EQ(check(p).status_, rx_status::ok);
}

TEST_F(packet_check_test, MangledBuffersNeverCrash) {
  const auto good = v2_packet();
  std::uint32_t seed = 7;
  auto next = [&] {
    seed = seed * 1664525 + 1013904223;
    return seed >> 8;
  };
  for (int i = 0; i < 20000; ++i) {
    bytes p = good;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int f = 0; f < flips; ++f) {
      p[next() % p.size()] = static_cast<std::uint8_t>(next());
    }
    p.resize(next() % (p.size() + 8));
    const auto r = check(p);
    (void)r;
    (void)decode_message(p, address_family::ipv4);
    (void)decode_message(p, address_family::ipv6);
  }
}

TEST(packet_decode_test, TruncatedMessagesDecodeAsNotOk) {
  advert a = v2_advert();
  a.addresses_.push_back(addr("192.168.1.101"));
  const auto wire = encode_message(a, address_family::ipv4, mcast4());
  for (std::size_t n = 0; n < wire.size(); ++n) {
    EXPECT_FALSE(decode_message(std::span(wire).first(n), address_family::ipv4).ok_) << n;
  }
  EXPECT_TRUE(decode_message(wire, address_family::ipv4).ok_);
}

// ---- IPv6 ----

TEST(packet_check_ipv6_test, HopLimitVersionAndChecksum) {
  rx_config cfg;
  cfg.family_ = address_family::ipv6;
  cfg.version_ = 3;
  cfg.vrid_ = 1;
  cfg.vips_ = {addr("fe80::1")};
  cfg.multicast_group_ = addr("ff02::12");
  advert a;
  a.version_ = 3;
  a.vrid_ = 1;
  a.priority_ = 120;
  a.advert_interval_ = 100;
  a.addresses_ = {addr("fe80::1")};
  const checksum_context ctx{addr("fe80::a"), addr("ff02::12"), addr("ff02::12"),
                             v3_checksum_mode::pseudo_header};
  const auto wire = encode_message(a, address_family::ipv6, ctx);
  ipv6_meta meta{addr("fe80::a"), addr("ff02::12"), 255, true};
  rx_stats stats;
  EXPECT_EQ(check_ipv6_packet(cfg, wire, meta, stats).status_, rx_status::ok);
  meta.hop_limit_ = 1;
  EXPECT_EQ(check_ipv6_packet(cfg, wire, meta, stats).status_, rx_status::bad_ttl);
  EXPECT_EQ(stats.count(rx_status::bad_ttl), 1u);
  meta.hop_limit_ = 255;
  meta.source_ = addr("fe80::b");  // the pseudo-header no longer matches
  EXPECT_EQ(check_ipv6_packet(cfg, wire, meta, stats).status_, rx_status::bad_checksum);
  EXPECT_EQ(stats.count(rx_status::bad_checksum), 1u);
  for (std::size_t n = 0; n < wire.size(); ++n) {
    EXPECT_NE(check_ipv6_packet(cfg, std::span(wire).first(n), meta, stats).status_, rx_status::ok);
  }
}

// ---- AH ----

class packet_ah_test : public ::testing::Test {
 protected:
  packet_ah_test() {
    cfg_.auth_ = auth_type::ah;
    cfg_.auth_data_ = auth_data_from_password("ahsecret");
    a_.auth_ = auth_type::ah;
    a_.auth_data_ = cfg_.auth_data_;
  }
  bytes send() {
    const ipv4_fields ip{addr("192.168.1.10"), addr("224.0.0.18"), 1, 255, false};
    return encode_ipv4_packet(a_, ip, mcast4(), &send_counter_);
  }
  rx_config cfg_ = v2_config();
  advert a_ = v2_advert();
  ah_counter send_counter_;
  ah_counter recv_counter_;
  rx_stats stats_;
};

TEST_F(packet_ah_test, LayoutAndRoundTrip) {
  const auto p = send();
  ASSERT_EQ(p.size(), 20u + 24u + 20u);
  EXPECT_EQ(p[9], ipproto_ah);
  EXPECT_EQ(p[20], ipproto_vrrp);  // next header
  EXPECT_EQ(p[21], 4);             // payload length: 6 words - 2
  EXPECT_EQ(bytes(p.begin() + 24, p.begin() + 28), bytes(p.begin() + 12, p.begin() + 16));
  EXPECT_EQ(p[31], 1);  // first sequence number
  EXPECT_EQ(p[44 + 4], static_cast<std::uint8_t>(auth_type::ah));
  EXPECT_EQ(naive_sum(bytes(p.begin() + 44, p.end())), 0);
  const auto r = check_ipv4_packet(cfg_, p, stats_, &recv_counter_);
  EXPECT_EQ(r.status_, rx_status::ok);
  EXPECT_EQ(recv_counter_.seq_number_, 1u);
  const auto p2 = send();
  EXPECT_EQ(p2[31], 2);
  EXPECT_EQ(check_ipv4_packet(cfg_, p2, stats_, &recv_counter_).status_, rx_status::ok);
}

TEST_F(packet_ah_test, ReplayTamperAndWrongKeyFail) {
  const auto p = send();
  ASSERT_EQ(check_ipv4_packet(cfg_, p, stats_, &recv_counter_).status_, rx_status::ok);
  EXPECT_EQ(check_ipv4_packet(cfg_, p, stats_, &recv_counter_).status_, rx_status::auth_failure);
  auto tampered = send();
  tampered[46] = 200;  // priority, inside the ICV
  EXPECT_EQ(check_ipv4_packet(cfg_, tampered, stats_, &recv_counter_).status_,
            rx_status::auth_failure);
  // TOS is mutable: changing it does not break the ICV.
  auto tos = send();
  tos[1] = 0;
  refresh_ip_checksum(tos);
  EXPECT_EQ(check_ipv4_packet(cfg_, tos, stats_, &recv_counter_).status_, rx_status::ok);
  cfg_.auth_data_ = auth_data_from_password("other");
  EXPECT_EQ(check_ipv4_packet(cfg_, send(), stats_, &recv_counter_).status_,
            rx_status::auth_failure);
  EXPECT_EQ(stats_.count(rx_status::auth_failure), 3u);
}

TEST_F(packet_ah_test, SpiMustBeTheSource) {
  auto p = send();
  p[27] ^= 1;
  EXPECT_EQ(check_ipv4_packet(cfg_, p, stats_, &recv_counter_).status_, rx_status::auth_failure);
}

TEST_F(packet_ah_test, PlainVrrpToAnAhInstanceAndBackAreTypeMismatches) {
  // A plain VRRP packet long enough to pass the AH instance's length check.
  advert big = v2_advert();
  big.addresses_ = {addr("192.168.1.100"), addr("192.168.1.101"), addr("192.168.1.102"),
                    addr("192.168.1.103"), addr("192.168.1.104"), addr("192.168.1.105")};
  EXPECT_EQ(check_ipv4_packet(cfg_, v2_packet(big), stats_, &recv_counter_).status_,
            rx_status::auth_type_mismatch);
  rx_config plain_cfg = v2_config();
  EXPECT_EQ(check_ipv4_packet(plain_cfg, send(), stats_).status_, rx_status::auth_type_mismatch);
  EXPECT_EQ(stats_.count(rx_status::auth_type_mismatch), 2u);
  const auto p = send();
  for (std::size_t n = 0; n < p.size(); ++n) {
    EXPECT_NE(check_ipv4_packet(cfg_, std::span(p).first(n), stats_, &recv_counter_).status_,
              rx_status::ok);
  }
}

}  // namespace
}  // namespace tandem::runtime::vrrp
