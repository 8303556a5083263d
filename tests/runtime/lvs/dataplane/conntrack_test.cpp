// The ctnetlink parser (runtime/lvs/dataplane/conntrack.cpp) on messages built here as the
// kernel lays them out: nested tuples, ports in network order, the TCP state.
#include "runtime/lvs/dataplane/conntrack.hpp"

#include <gtest/gtest.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include <cstring>

namespace tandem::runtime::lvs::dataplane {
namespace {

using bytes = std::vector<std::uint8_t>;

bytes nla(std::uint16_t type, const bytes& payload, bool nested = false) {
  bytes out(4);
  const std::uint16_t len = static_cast<std::uint16_t>(4 + payload.size());
  const std::uint16_t t = static_cast<std::uint16_t>(type | (nested ? NLA_F_NESTED : 0));
  std::memcpy(out.data(), &len, 2);
  std::memcpy(out.data() + 2, &t, 2);
  for (auto b : payload) out.push_back(b);  // (insert trips GCC 12's -Warray-bounds)
  while (out.size() % 4) out.push_back(0);
  return out;
}

bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const auto& p : parts)
    for (auto b : p) out.push_back(b);
  return out;
}

bytes tuple(std::uint16_t which, bytes src, bytes dst, std::uint16_t sport, std::uint16_t dport) {
  return nla(which,
             cat({nla(CTA_TUPLE_IP, cat({nla(CTA_IP_V4_SRC, src), nla(CTA_IP_V4_DST, dst)}), true),
                  nla(CTA_TUPLE_PROTO,
                      cat({nla(CTA_PROTO_NUM, {6}),
                           nla(CTA_PROTO_SRC_PORT, {std::uint8_t(sport >> 8), std::uint8_t(sport)}),
                           nla(CTA_PROTO_DST_PORT, {std::uint8_t(dport >> 8), std::uint8_t(dport)})}),
                      true)}),
             true);
}

bytes message(std::uint8_t msg_type, const bytes& attrs) {
  bytes out(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)));
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(out.size() + attrs.size());
  h.nlmsg_type = static_cast<std::uint16_t>(NFNL_SUBSYS_CTNETLINK << 8 | msg_type);
  std::memcpy(out.data(), &h, sizeof h);
  for (auto b : attrs) out.push_back(b);
  return out;
}

TEST(Conntrack, ParsesTuplesStateAndMarkOfADnatedConnection) {
  // client 10.0.1.5:40000 -> VIP 172.16.0.125:80, answered by 172.16.0.11:8080
  const bytes attrs = cat({tuple(CTA_TUPLE_ORIG, {10, 0, 1, 5}, {172, 16, 0, 125}, 40000, 80),
                           tuple(CTA_TUPLE_REPLY, {172, 16, 0, 11}, {10, 0, 1, 5}, 8080, 40000),
                           nla(CTA_PROTOINFO,
                               nla(CTA_PROTOINFO_TCP, nla(CTA_PROTOINFO_TCP_STATE, {3}), true), true),
                           nla(CTA_MARK, {0, 0, 0, 7})});
  bytes data = message(IPCTNL_MSG_CT_NEW, attrs);
  const bytes second = message(IPCTNL_MSG_CT_NEW, cat({tuple(CTA_TUPLE_ORIG, {1, 1, 1, 1}, {2, 2, 2, 2}, 1, 2)}));
  for (auto b : second) data.push_back(b);
  const bytes other = message(IPCTNL_MSG_CT_DELETE, attrs);  // not a table entry
  for (auto b : other) data.push_back(b);

  const auto entries = parse_conntrack(data);
  ASSERT_EQ(entries.size(), 2u);
  const auto& e = entries[0];
  EXPECT_EQ(e.original_.source_.to_string(), "10.0.1.5");
  EXPECT_EQ(e.original_.destination_.to_string(), "172.16.0.125");
  EXPECT_EQ(e.original_.destination_port_, 80);
  EXPECT_EQ(e.original_.protocol_, 6);
  EXPECT_EQ(e.reply_.source_.to_string(), "172.16.0.11");
  EXPECT_EQ(e.reply_.source_port_, 8080);
  EXPECT_TRUE(e.established());
  EXPECT_EQ(e.mark_, 7u);
  EXPECT_FALSE(entries[1].tcp_state_);
  EXPECT_FALSE(entries[1].established());
}

TEST(Conntrack, TruncatedInputStopsCleanly) {
  const bytes full = message(IPCTNL_MSG_CT_NEW, tuple(CTA_TUPLE_ORIG, {1, 1, 1, 1}, {2, 2, 2, 2}, 1, 2));
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    const bytes part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_LE(parse_conntrack(part).size(), 1u);
  }
}

}  // namespace
}  // namespace tandem::runtime::lvs::dataplane
