// Instance configuration to codec parameters.
#include "runtime/vrrp/wire.hpp"

#include <cassert>

namespace tandem::runtime::vrrp {

std::uint16_t advert_interval_field(const instance_config& cfg) {
  const auto us = cfg.advert_interval_.count();
  if (cfg.version_ == 2) {
    return static_cast<std::uint16_t>((us + 500000) / 1000000);
  }
  return static_cast<std::uint16_t>(((us + 5000) / 10000) & 0x0fff);
}

advert advert_for(const instance_config& cfg, std::uint8_t priority) {
  advert a;
  a.version_ = cfg.version_;
  a.vrid_ = cfg.vrid_;
  a.priority_ = priority;
  a.advert_interval_ = advert_interval_field(cfg);
  a.addresses_ = cfg.vips_;
  if (cfg.version_ == 2) {
    a.auth_ = cfg.auth_;
    a.auth_data_ = cfg.auth_data_;
  }
  return a;
}

rx_config rx_config_for(const instance_config& cfg, const transport_config& transport) {
  rx_config r;
  r.family_ = cfg.family_;
  r.version_ = cfg.version_;
  r.vrid_ = cfg.vrid_;
  r.auth_ = cfg.version_ == 2 ? cfg.auth_ : auth_type::none;
  r.auth_data_ = cfg.auth_data_;
  r.v2_advert_interval_seconds_ =
      cfg.version_ == 2 ? static_cast<std::uint8_t>(advert_interval_field(cfg)) : 0;
  r.vips_ = cfg.vips_;
  r.unicast_ = !transport.unicast_peers_.empty();
  r.unicast_peers_ = transport.unicast_peers_;
  r.check_unicast_src_ = transport.check_unicast_src_;
  r.checksum_mode_ = transport.checksum_mode_;
  r.multicast_group_ = transport.multicast_group_;
  r.auto_detect_old_checksum_ = transport.auto_detect_old_checksum_;
  return r;
}

}  // namespace tandem::runtime::vrrp
