// The kernel's connection tracking table over ctnetlink (NETLINK_NETFILTER, IPCTNL_MSG_CT_GET
// dump): what the nftables NAT plane reads to count each real server's connections as IPVS
// would (active: TCP established; inactive: every other state, and UDP), so virtual_service's
// connection_counts() and the logs built on them see the same numbers. Parsing is pure (tests
// feed it bytes); dump_conntrack() does the socket.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace tandem::runtime::lvs::dataplane {

struct ct_tuple {
  boost::asio::ip::address source_, destination_;
  std::uint16_t source_port_ = 0, destination_port_ = 0;
  std::uint8_t protocol_ = 0;
};

struct ct_entry {
  ct_tuple original_, reply_;
  std::optional<std::uint8_t> tcp_state_;  // TCP_CONNTRACK_*; 3 = established
  std::uint32_t mark_ = 0;
  bool established() const { return tcp_state_ && *tcp_state_ == 3; }
};

// The CT_NEW messages in one netlink read (other messages are skipped).
std::vector<ct_entry> parse_conntrack(std::span<const std::uint8_t> data);

// The whole table of one family (AF_INET or AF_INET6).
std::error_code dump_conntrack(int family, std::vector<ct_entry>& out);

}  // namespace tandem::runtime::lvs::dataplane
