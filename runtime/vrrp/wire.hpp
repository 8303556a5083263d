// Glue between an instance's configuration and the codec: the advert a send_advert(prio)
// action becomes, and what a received packet is checked against. Keeps the socket adapter
// down to reading and writing bytes.
#pragma once

#include <cstdint>

#include "runtime/vrrp/packet.hpp"
#include "runtime/vrrp/state_machine.hpp"

namespace tandem::runtime::vrrp {

// The advert keepalived's vrrp_build_vrrp_v2/v3 would build for this instance.
advert advert_for(const instance_config& cfg, std::uint8_t priority);

// Unicast and multicast settings that are not part of the state machine's config.
struct transport_config {
  ip_address multicast_group_;  // 224.0.0.18 / ff02::12, or vrrp_mcast_group4/6
  std::vector<ip_address> unicast_peers_;
  bool check_unicast_src_ = false;
  v3_checksum_mode checksum_mode_ = v3_checksum_mode::pseudo_header;
  bool auto_detect_old_checksum_ = true;  // false: old_unicast_checksum never
};

rx_config rx_config_for(const instance_config& cfg, const transport_config& transport);

// The advert interval field: whole seconds for v2, centiseconds for v3 (rounded as
// keepalived does when reading advert_int).
std::uint16_t advert_interval_field(const instance_config& cfg);

}  // namespace tandem::runtime::vrrp
