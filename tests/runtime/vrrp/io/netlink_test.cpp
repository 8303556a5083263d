// rtnetlink requests for VIPs and routes, byte by byte, and the parse of link notifications
// and acks.
#include "runtime/vrrp/io/netlink.hpp"

#include <gtest/gtest.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace tandem::runtime::vrrp::io {
namespace {

ip_address ip(const char* s) { return *ip_address::parse(s); }

// The attributes of a request after its fixed header, as type -> payload.
std::map<int, std::vector<std::uint8_t>> attrs(const std::vector<std::uint8_t>& m, std::size_t fixed) {
  std::map<int, std::vector<std::uint8_t>> out;
  std::size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(fixed);
  while (off + sizeof(rtattr) <= m.size()) {
    rtattr a;
    std::memcpy(&a, m.data() + off, sizeof a);
    EXPECT_GE(a.rta_len, sizeof a);
    if (a.rta_len < sizeof a) break;
    out[a.rta_type].assign(m.begin() + off + RTA_LENGTH(0), m.begin() + off + a.rta_len);
    off += RTA_ALIGN(a.rta_len);
  }
  EXPECT_EQ(off, m.size());
  return out;
}

TEST(netlink, adds_an_ipv4_vip_with_label_and_broadcast) {
  address_spec a;
  a.address_ = ip("11.22.33.44");
  a.prefix_ = 27;
  a.broadcast_ = ip("11.22.33.63");
  a.label_ = "eth0:vip";
  a.scope_ = 0;
  const auto m = build_address_request(true, 7, a, 42);
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_len, m.size());
  EXPECT_EQ(h.nlmsg_type, RTM_NEWADDR);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  EXPECT_EQ(h.nlmsg_seq, 42u);
  ifaddrmsg ifa;
  std::memcpy(&ifa, m.data() + NLMSG_HDRLEN, sizeof ifa);
  EXPECT_EQ(ifa.ifa_family, AF_INET);
  EXPECT_EQ(ifa.ifa_prefixlen, 27);
  EXPECT_EQ(ifa.ifa_index, 7u);
  EXPECT_EQ(ifa.ifa_scope, 0);
  auto at = attrs(m, sizeof(ifaddrmsg));
  EXPECT_EQ(at[IFA_LOCAL], (std::vector<std::uint8_t>{11, 22, 33, 44}));
  EXPECT_EQ(at[IFA_ADDRESS], (std::vector<std::uint8_t>{11, 22, 33, 44}));
  EXPECT_EQ(at[IFA_BROADCAST], (std::vector<std::uint8_t>{11, 22, 33, 63}));
  EXPECT_EQ(std::string(at[IFA_LABEL].begin(), at[IFA_LABEL].end()), std::string("eth0:vip\0", 9));
}

TEST(netlink, deletes_a_vip_without_create_flags_or_label) {
  address_spec a;
  a.address_ = ip("10.0.0.5");
  a.label_ = "eth0:x";
  a.scope_ = 253;
  const auto m = build_address_request(false, 3, a, 1);
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_type, RTM_DELADDR);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  ifaddrmsg ifa;
  std::memcpy(&ifa, m.data() + NLMSG_HDRLEN, sizeof ifa);
  EXPECT_EQ(ifa.ifa_scope, 253);
  auto at = attrs(m, sizeof(ifaddrmsg));
  EXPECT_EQ(at.count(IFA_LABEL), 0u);
  EXPECT_EQ(at[IFA_LOCAL].size(), 4u);
}

TEST(netlink, ipv6_vip_with_nodad) {
  address_spec a;
  a.address_ = ip("2001:db8::10");
  a.prefix_ = 64;
  a.nodad_ = true;
  const auto m = build_address_request(true, 2, a, 5);
  ifaddrmsg ifa;
  std::memcpy(&ifa, m.data() + NLMSG_HDRLEN, sizeof ifa);
  EXPECT_EQ(ifa.ifa_family, AF_INET6);
  EXPECT_EQ(ifa.ifa_prefixlen, 64);
  EXPECT_EQ(ifa.ifa_flags & IFA_F_NODAD, IFA_F_NODAD);
  auto at = attrs(m, sizeof(ifaddrmsg));
  EXPECT_EQ(at[IFA_LOCAL].size(), 16u);
  EXPECT_EQ(at[IFA_LOCAL][0], 0x20);
}

TEST(netlink, route_via_a_gateway_in_a_table) {
  route_spec r;
  r.destination_ = ip("192.168.100.0");
  r.prefix_ = 24;
  r.via_ = ip("11.22.33.1");
  r.table_ = 1000;
  r.metric_ = 5;
  const auto m = build_route_request(true, 2, r, 9);
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_type, RTM_NEWROUTE);
  rtmsg rt;
  std::memcpy(&rt, m.data() + NLMSG_HDRLEN, sizeof rt);
  EXPECT_EQ(rt.rtm_family, AF_INET);
  EXPECT_EQ(rt.rtm_dst_len, 24);
  EXPECT_EQ(rt.rtm_type, RTN_UNICAST);
  EXPECT_EQ(rt.rtm_table, RT_TABLE_UNSPEC);  // > 255: in RTA_TABLE
  auto at = attrs(m, sizeof(rtmsg));
  EXPECT_EQ(at[RTA_DST], (std::vector<std::uint8_t>{192, 168, 100, 0}));
  EXPECT_EQ(at[RTA_GATEWAY], (std::vector<std::uint8_t>{11, 22, 33, 1}));
  std::uint32_t v;
  std::memcpy(&v, at[RTA_TABLE].data(), 4);
  EXPECT_EQ(v, 1000u);
  std::memcpy(&v, at[RTA_PRIORITY].data(), 4);
  EXPECT_EQ(v, 5u);
  std::memcpy(&v, at[RTA_OIF].data(), 4);
  EXPECT_EQ(v, 2u);
}

TEST(netlink, blackhole_default_route_has_no_destination_or_device) {
  route_spec r;
  r.type_ = route_spec::kind::blackhole;
  const auto m = build_route_request(false, 0, r, 3);
  rtmsg rt;
  std::memcpy(&rt, m.data() + NLMSG_HDRLEN, sizeof rt);
  EXPECT_EQ(rt.rtm_type, RTN_BLACKHOLE);
  EXPECT_EQ(rt.rtm_dst_len, 0);
  EXPECT_EQ(rt.rtm_table, RT_TABLE_MAIN);
  EXPECT_TRUE(attrs(m, sizeof(rtmsg)).empty());
}

TEST(netlink, rule_from_a_prefix_to_a_table) {
  rule_spec r;
  r.from_ = ip("10.7.9.0");
  r.from_len_ = 24;
  r.table_ = 100;
  r.priority_ = 1000;
  r.fwmark_ = 7;
  const auto m = build_rule_request(true, r, 4);
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_type, RTM_NEWRULE);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  fib_rule_hdr fr;
  std::memcpy(&fr, m.data() + NLMSG_HDRLEN, sizeof fr);
  EXPECT_EQ(fr.family, AF_INET);
  EXPECT_EQ(fr.src_len, 24);
  EXPECT_EQ(fr.dst_len, 0);
  EXPECT_EQ(fr.table, 100);
  EXPECT_EQ(fr.action, FR_ACT_TO_TBL);
  auto at = attrs(m, sizeof(fib_rule_hdr));
  EXPECT_EQ(at[FRA_SRC], (std::vector<std::uint8_t>{10, 7, 9, 0}));
  std::uint32_t v;
  std::memcpy(&v, at[FRA_PRIORITY].data(), 4);
  EXPECT_EQ(v, 1000u);
  std::memcpy(&v, at[FRA_FWMARK].data(), 4);
  EXPECT_EQ(v, 7u);
  EXPECT_EQ(at.count(FRA_TABLE), 0u);
  EXPECT_EQ(at.count(FRA_DST), 0u);
}

std::vector<std::uint8_t> link_message(int type, int index, unsigned flags, const char* name) {
  std::vector<std::uint8_t> m(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg)));
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  ifi.ifi_flags = flags;
  std::memcpy(m.data() + NLMSG_HDRLEN, &ifi, sizeof ifi);
  rtattr a{};
  a.rta_type = IFLA_IFNAME;
  a.rta_len = static_cast<unsigned short>(RTA_LENGTH(std::strlen(name) + 1));
  const std::size_t at = m.size();
  m.resize(at + RTA_ALIGN(a.rta_len));
  std::memcpy(m.data() + at, &a, sizeof a);
  std::memcpy(m.data() + at + RTA_LENGTH(0), name, std::strlen(name) + 1);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(m.size());
  h.nlmsg_type = static_cast<std::uint16_t>(type);
  std::memcpy(m.data(), &h, sizeof h);
  return m;
}

TEST(netlink, parses_link_changes_and_acks) {
  auto data = link_message(RTM_NEWLINK, 2, IFF_UP, "eth0");  // up, no carrier
  const auto more = link_message(RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING, "eth1");
  data.insert(data.end(), more.begin(), more.end());
  std::vector<std::uint8_t> ack(NLMSG_HDRLEN + sizeof(nlmsgerr));
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(ack.size());
  h.nlmsg_type = NLMSG_ERROR;
  nlmsgerr e{};
  e.error = -17;
  e.msg.nlmsg_seq = 77;
  std::memcpy(ack.data(), &h, sizeof h);
  std::memcpy(ack.data() + NLMSG_HDRLEN, &e, sizeof e);
  data.insert(data.end(), ack.begin(), ack.end());
  const auto ev = parse_netlink(data);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].kind_, netlink_event::kind::link);
  EXPECT_EQ(ev[0].name_, "eth0");
  EXPECT_TRUE(ev[0].up_);
  EXPECT_FALSE(ev[0].running_);
  EXPECT_EQ(ev[1].ifindex_, 3);
  EXPECT_TRUE(ev[1].running_);
  EXPECT_EQ(ev[2].kind_, netlink_event::kind::error);
  EXPECT_EQ(ev[2].error_, -17);
  EXPECT_EQ(ev[2].seq_, 77u);
}

TEST(netlink, truncated_input_stops_without_reading_past_the_end) {
  auto data = link_message(RTM_NEWLINK, 2, IFF_UP, "eth0");
  data.resize(data.size() - 3);
  EXPECT_TRUE(parse_netlink(data).empty());
}

}  // namespace
}  // namespace tandem::runtime::vrrp::io
