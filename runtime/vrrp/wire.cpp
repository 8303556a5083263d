// Instance configuration to codec parameters.
#include "runtime/vrrp/wire.hpp"

#include <cassert>

namespace tandem::runtime::vrrp {

std::uint16_t advert_interval_field(const instance_config& cfg) {
  const auto us = cfg.advert_interval.count();
  if (cfg.version == 2) {
    return static_cast<std::uint16_t>((us + 500000) / 1000000);
  }
  return static_cast<std::uint16_t>(((us + 5000) / 10000) & 0x0fff);
}

advert advert_for(const instance_config& cfg, std::uint8_t priority) {
  advert a;
  a.version = cfg.version;
  a.vrid = cfg.vrid;
  a.priority = priority;
  a.advert_interval = advert_interval_field(cfg);
  a.addresses = cfg.vips;
  if (cfg.version == 2) {
    a.auth = cfg.auth;
    a.auth_data = cfg.auth_data;
  }
  return a;
}

rx_config rx_config_for(const instance_config& cfg, const transport_config& transport) {
  rx_config r;
  r.family = cfg.family;
  r.version = cfg.version;
  r.vrid = cfg.vrid;
  r.auth = cfg.version == 2 ? cfg.auth : auth_type::none;
  r.auth_data = cfg.auth_data;
  r.v2_advert_interval_seconds =
      cfg.version == 2 ? static_cast<std::uint8_t>(advert_interval_field(cfg)) : 0;
  r.vips = cfg.vips;
  r.unicast = !transport.unicast_peers.empty();
  r.unicast_peers = transport.unicast_peers;
  r.check_unicast_src = transport.check_unicast_src;
  r.checksum_mode = transport.checksum_mode;
  r.multicast_group = transport.multicast_group;
  r.auto_detect_old_checksum = transport.auto_detect_old_checksum;
  return r;
}

}  // namespace tandem::runtime::vrrp
