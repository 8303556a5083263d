// rtnetlink messages the VRRP daemon sends (addresses and routes added and removed, as
// keepalived's vrrp_ipaddress.c / vrrp_iproute.c build them) and the link notifications it
// reads (RTM_NEWLINK: up and running, for FAULT and track_interface). Pure byte building and
// parsing here, so tests check the bytes; the socket is in daemon.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/vrrp/io/spec.hpp"

namespace tandem::runtime::vrrp::io {

// RTM_NEWADDR (add) or RTM_DELADDR, NLM_F_REQUEST|NLM_F_ACK (and CREATE|EXCL for add).
std::vector<std::uint8_t> build_address_request(bool add, int ifindex, const address_spec& a,
                                                std::uint32_t seq);

// RTM_NEWROUTE (add, NLM_F_CREATE|NLM_F_EXCL) or RTM_DELROUTE. ifindex 0: no RTA_OIF.
std::vector<std::uint8_t> build_route_request(bool add, int ifindex, const route_spec& r,
                                              std::uint32_t seq);

// RTM_NEWRULE (add, NLM_F_CREATE|NLM_F_EXCL) or RTM_DELRULE, action FR_ACT_TO_TBL.
std::vector<std::uint8_t> build_rule_request(bool add, const rule_spec& r, std::uint32_t seq);

// RTM_NEWLINK creating a private-mode macvlan `name` on `parent` with `mac`, up at once
// (keepalived's use_vmac), or RTM_DELLINK removing it.
std::vector<std::uint8_t> build_macvlan_request(bool add, const std::string& name, int parent,
                                                const std::array<std::uint8_t, 6>& mac,
                                                std::uint32_t seq);

// One message of what a NETLINK_ROUTE socket returned.
struct netlink_event {
  enum class kind : std::uint8_t { ack, error, link, other };
  kind kind_ = kind::other;
  std::uint32_t seq_ = 0;
  int error_ = 0;  // for ack/error: the negated errno (0 = success)
  // link: RTM_NEWLINK / RTM_DELLINK
  int ifindex_ = 0;
  std::string name_;
  bool up_ = false;       // IFF_UP
  bool running_ = false;  // IFF_RUNNING (carrier)
  bool deleted_ = false;
};

std::vector<netlink_event> parse_netlink(std::span<const std::uint8_t> data);

}  // namespace tandem::runtime::vrrp::io
