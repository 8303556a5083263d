// Gratuitous ARP and unsolicited Neighbour Advertisement frames, as keepalived's garp.c and
// ndisc.c build them: a whole Ethernet frame for an AF_PACKET socket. Pure bytes, tested.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "runtime/vrrp/ip_address.hpp"

namespace tandem::runtime::vrrp::io {

using mac_address = std::array<std::uint8_t, 6>;

// Ethernet broadcast, ARP request (op 1) with sender and target protocol address the VIP,
// sender hardware address ours, target hardware address broadcast (keepalived's layout).
std::vector<std::uint8_t> build_gratuitous_arp(const mac_address& source, const ip_address& vip);

// Ethernet to 33:33:00:00:00:01, IPv6 (hop limit 255) from `source` (a link-local address of
// the interface) to ff02::1, ICMPv6 type 136 with the Override flag (and Router when
// `router`), target the VIP, option 2 (target link-layer address) ours; checksums filled.
std::vector<std::uint8_t> build_unsolicited_na(const mac_address& mac, const ip_address& source,
                                               const ip_address& vip, bool router = false);

}  // namespace tandem::runtime::vrrp::io
