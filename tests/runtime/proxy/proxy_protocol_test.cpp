// The PROXY protocol codec: v1 and v2 headers read byte by byte, and written.
#include "runtime/proxy/proxy_protocol.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

namespace tandem::runtime::proxy::proxy_protocol {
namespace {

sockaddr_storage v4(const char* ip, std::uint16_t port) {
  sockaddr_storage s{};
  auto& in = reinterpret_cast<sockaddr_in&>(s);
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  inet_pton(AF_INET, ip, &in.sin_addr);
  return s;
}

sockaddr_storage v6(const char* ip, std::uint16_t port) {
  sockaddr_storage s{};
  auto& in = reinterpret_cast<sockaddr_in6&>(s);
  in.sin6_family = AF_INET6;
  in.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &in.sin6_addr);
  return s;
}

TEST(proxy_protocol, v1_round_trip_and_what_follows_stays) {
  const std::string line = encode_v1(v4("192.0.2.1", 56324), v4("192.0.2.2", 80));
  EXPECT_EQ(line, "PROXY TCP4 192.0.2.1 192.0.2.2 56324 80\r\n");
  const parsed p = parse(line + "GET / HTTP/1.1\r\n");
  ASSERT_EQ(p.state_, parse_state::done);
  EXPECT_EQ(p.consumed_, line.size());
  EXPECT_TRUE(p.has_addresses_);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in&>(p.source_).sin_port), 56324);
}

TEST(proxy_protocol, v4_mapped_addresses_are_sent_as_ipv4) {
  EXPECT_EQ(encode_v1(v6("::ffff:10.0.0.1", 1), v6("::ffff:10.0.0.2", 2)),
            "PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\n");
  EXPECT_EQ(encode_v1(v6("2001:db8::1", 1), v6("2001:db8::2", 2)),
            "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n");
  EXPECT_EQ(encode_v1(v4("10.0.0.1", 1), v6("2001:db8::2", 2)), "PROXY UNKNOWN\r\n");
}

TEST(proxy_protocol, every_prefix_of_a_header_needs_more) {
  for (const std::string& h : {encode_v1(v4("192.0.2.1", 1), v4("192.0.2.2", 2)),
                               encode_v2(v6("2001:db8::1", 1), v6("2001:db8::2", 2))}) {
    for (std::size_t n = 0; n < h.size(); ++n) {
      EXPECT_EQ(parse(h.substr(0, n)).state_, parse_state::need_more) << n;
    }
    EXPECT_EQ(parse(h).state_, parse_state::done);
  }
}

TEST(proxy_protocol, v2_round_trip) {
  const std::string h = encode_v2(v6("2001:db8::1", 1000), v6("2001:db8::2", 443));
  EXPECT_EQ(h.size(), 16u + 36u);
  const parsed p = parse(h);
  ASSERT_EQ(p.state_, parse_state::done);
  EXPECT_EQ(p.source_.ss_family, AF_INET6);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6&>(p.destination_).sin6_port), 443);
}

TEST(proxy_protocol, v2_local_and_unknown_keep_the_connection_addresses) {
  std::string local = encode_v2(v4("1.2.3.4", 1), v4("5.6.7.8", 2));
  local[12] = 0x20;  // LOCAL
  const parsed p = parse(local);
  EXPECT_EQ(p.state_, parse_state::done);
  EXPECT_FALSE(p.has_addresses_);
  const parsed u = parse("PROXY UNKNOWN whatever\r\n");
  EXPECT_EQ(u.state_, parse_state::done);
  EXPECT_FALSE(u.has_addresses_);
}

TEST(proxy_protocol, malformed_headers_are_errors) {
  for (const char* bad : {"GET / HTTP/1.1\r\n", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
                          "PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n", "PROXY TCP5 a b 1 2\r\n",
                          "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "PROXY TCP6 1.2.3.4 ::1 1 2\r\n"}) {
    EXPECT_EQ(parse(bad).state_, parse_state::error) << bad;
  }
  EXPECT_EQ(parse(std::string("PROXY TCP4 ") + std::string(200, '1')).state_, parse_state::error);
  std::string v3 = encode_v2(v4("1.2.3.4", 1), v4("5.6.7.8", 2));
  v3[12] = 0x31;
  EXPECT_EQ(parse(v3).state_, parse_state::error);
}

}  // namespace
}  // namespace tandem::runtime::proxy::proxy_protocol
