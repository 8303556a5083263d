// VRRP encode, decode and receive validation (see packet.hpp for the contract).
#include "runtime/vrrp/packet.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "runtime/vrrp/auth.hpp"
#include "runtime/vrrp/checksum.hpp"

namespace tandem::runtime::vrrp {

namespace {

std::uint16_t get16(std::span<const std::uint8_t> b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] << 8 | b[at + 1]);
}

void put16(std::span<std::uint8_t> b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v & 0xff);
}

std::size_t address_size(address_family f) {
  return f == address_family::ipv4 ? 4 : 16;
}

bool has_auth_trailer(std::uint8_t version, address_family family) {
  return version == 2 && family == address_family::ipv4;
}

std::size_t expected_message_size(std::uint8_t version, address_family family, std::size_t count) {
  return vrrp_header_size + count * address_size(family) +
         (has_auth_trailer(version, family) ? vrrp_auth_size : 0);
}

ip_address read_address(std::span<const std::uint8_t> b, std::size_t at, address_family f) {
  if (f == address_family::ipv4) {
    return ip_address::v4({b[at], b[at + 1], b[at + 2], b[at + 3]});
  }
  std::array<std::uint8_t, 16> a{};
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), 16, a.begin());
  return ip_address::v6(a);
}

rx_result reject(rx_stats& stats, rx_status s) {
  ++stats.by_status_[static_cast<std::size_t>(s)];
  rx_result r;
  r.status_ = s;
  return r;
}

// The checks after the IP layer, shared by both families: vrrp_in_chk from the v2
// authentication checks on. `message` is the VRRP message with whatever trails it in the
// received buffer; `ah_ok` runs keepalived's AH check at its place in the order.
template <typename ah_check>
rx_result check_message(const rx_config& cfg, std::span<const std::uint8_t> message,
                        bool total_length_ok, std::size_t received_total,
                        std::size_t expected_total, std::span<const std::uint8_t> pass_field,
                        const ip_address& source, const ip_address& destination, rx_stats& stats,
                        ah_check&& ah_ok) {
  assert(message.size() >= vrrp_header_size);
  // The version first: keepalived 2.2.7 logs "wrong version" for a v3 advert reaching a v2
  // instance (measured in the lab), not the auth type its interval byte would look like.
  if ((message[0] >> 4) != cfg.version_) {
    return reject(stats, rx_status::bad_version);
  }
  if (cfg.version_ == 2) {
    const auto type = message[4];
    if (type > static_cast<std::uint8_t>(auth_type::ah)) {
      return reject(stats, rx_status::invalid_auth_type);
    }
    if (type != static_cast<std::uint8_t>(cfg.auth_)) {
      return reject(stats, rx_status::auth_type_mismatch);
    }
    if (cfg.auth_ == auth_type::pass && cfg.family_ == address_family::ipv4) {
      if (pass_field.size() != vrrp_auth_size ||
          !std::equal(pass_field.begin(), pass_field.end(), cfg.auth_data_.begin())) {
        return reject(stats, rx_status::auth_failure);
      }
    } else if (cfg.auth_ == auth_type::ah) {
      if (!ah_ok()) {
        return reject(stats, rx_status::auth_failure);
      }
    }
    if (message[5] != cfg.v2_advert_interval_seconds_) {
      return reject(stats, rx_status::interval_mismatch);
    }
  }
  if ((message[0] >> 4) != cfg.version_) {
    return reject(stats, rx_status::bad_version);
  }
  if ((message[0] & 0x0f) != 1) {
    return reject(stats, rx_status::bad_type);
  }
  if (message[1] != cfg.vrid_) {
    return reject(stats, rx_status::vrid_mismatch);
  }
  const std::size_t count = message[3];
  if (count != cfg.vips_.size()) {
    return reject(stats, rx_status::address_count_mismatch);
  }
  const std::size_t length = expected_message_size(cfg.version_, cfg.family_, count);
  // The last test is ours: with IP options keepalived would read past its buffer.
  if (!total_length_ok || received_total != expected_total || message.size() < length) {
    return reject(stats, rx_status::length_mismatch);
  }
  const auto body = message.first(length);

  bool old_checksum = false;
  checksum_context ctx{source, destination, cfg.multicast_group_, cfg.checksum_mode_};
  if (message_checksum(body, cfg.version_, cfg.family_, ctx) != get16(body, 6)) {
    const bool retry = cfg.version_ == 3 && cfg.family_ == address_family::ipv4 &&
                       cfg.checksum_mode_ == v3_checksum_mode::pseudo_header &&
                       cfg.auto_detect_old_checksum_;
    ctx.mode_ = v3_checksum_mode::multicast_destination;
    if (!retry || message_checksum(body, cfg.version_, cfg.family_, ctx) != get16(body, 6)) {
      return reject(stats, rx_status::bad_checksum);
    }
    old_checksum = true;
  }
  ++stats.adverts_received_;

  const auto got = decode_message(body, cfg.family_);
  assert(got.ok_);
  if (cfg.check_vip_addresses_) {
    for (const auto& vip : cfg.vips_) {
      if (std::find(got.value_.addresses_.begin(), got.value_.addresses_.end(), vip) ==
          got.value_.addresses_.end()) {
        return reject(stats, rx_status::address_list_mismatch);
      }
    }
    if (cfg.check_unicast_src_ && cfg.unicast_ &&
        std::find(cfg.unicast_peers_.begin(), cfg.unicast_peers_.end(), source) ==
            cfg.unicast_peers_.end()) {
      return reject(stats, rx_status::unicast_source_not_peer);
    }
  }
  if (got.value_.priority_ == 0) {
    ++stats.priority_zero_received_;
  }
  rx_result r;
  r.status_ = rx_status::ok;
  r.value_ = got.value_;
  r.source_ = source;
  r.old_checksum_ = old_checksum;
  return r;
}

}  // namespace

std::array<std::uint8_t, vrrp_auth_size> auth_data_from_password(std::string_view password) {
  std::array<std::uint8_t, vrrp_auth_size> out{};
  const auto n = std::min(password.size(), out.size());
  std::memcpy(out.data(), password.data(), n);
  return out;
}

std::size_t message_size(const advert& a, address_family family) {
  return expected_message_size(a.version_, family, a.addresses_.size());
}

std::uint16_t message_checksum(std::span<const std::uint8_t> message, std::uint8_t version,
                               address_family family, const checksum_context& ctx) {
  // The sum runs over the message with its checksum field as zero.
  checksum_accumulator acc;
  acc.add(message.first(std::min<std::size_t>(6, message.size())));
  if (message.size() > 8) {
    acc.add(message.subspan(8));
  }
  const bool pseudo = family == address_family::ipv6 ||
                      (version == 3 && ctx.mode_ != v3_checksum_mode::no_pseudo_header);
  if (pseudo) {
    const ip_address& dst =
        family == address_family::ipv4 && ctx.mode_ == v3_checksum_mode::multicast_destination
            ? ctx.multicast_group_
            : ctx.destination_;
    acc.add(ctx.source_.bytes());
    acc.add(dst.bytes());
    const auto length = static_cast<std::uint32_t>(message.size());
    acc.add_u16(static_cast<std::uint16_t>(length >> 16));
    acc.add_u16(static_cast<std::uint16_t>(length & 0xffff));
    acc.add_u16(ipproto_vrrp);
  }
  return acc.finish();
}

std::vector<std::uint8_t> encode_message(const advert& a, address_family family,
                                         const checksum_context& ctx) {
  assert(a.version_ == 2 || a.version_ == 3);
  assert(a.addresses_.size() <= 255);
  std::vector<std::uint8_t> out(message_size(a, family), 0);
  out[0] = static_cast<std::uint8_t>(a.version_ << 4 | (a.type_ & 0x0f));
  out[1] = a.vrid_;
  out[2] = a.priority_;
  out[3] = static_cast<std::uint8_t>(a.addresses_.size());
  if (a.version_ == 2) {
    out[4] = static_cast<std::uint8_t>(a.auth_);
    out[5] = static_cast<std::uint8_t>(a.advert_interval_);
  } else {
    put16(out, 4, a.advert_interval_ & 0x0fff);
  }
  std::size_t at = vrrp_header_size;
  for (const auto& addr : a.addresses_) {
    assert(addr.family() == family);
    std::copy(addr.bytes().begin(), addr.bytes().end(), out.begin() + static_cast<long>(at));
    at += addr.size();
  }
  if (has_auth_trailer(a.version_, family) && a.auth_ == auth_type::pass) {
    std::copy(a.auth_data_.begin(), a.auth_data_.end(), out.begin() + static_cast<long>(at));
  }
  put16(out, 6, message_checksum(out, a.version_, family, ctx));
  return out;
}

std::vector<std::uint8_t> encode_ipv4_packet(const advert& a, const ipv4_fields& ip,
                                             const checksum_context& ctx, ah_counter* counter) {
  const bool ah = a.version_ == 2 && a.auth_ == auth_type::ah;
  assert(!ah || counter != nullptr);
  const auto message = encode_message(a, address_family::ipv4, ctx);
  const std::size_t ah_size = ah ? ah_header_size : 0;
  std::vector<std::uint8_t> out(ipv4_header_size + ah_size + message.size(), 0);
  std::span<std::uint8_t> b(out);
  b[0] = 0x45;
  b[1] = 0xc0;  // internet network control
  put16(b, 2, static_cast<std::uint16_t>(out.size()));
  put16(b, 4, ip.id_);
  b[8] = ip.ttl_;
  b[9] = ah ? ipproto_ah : ipproto_vrrp;
  std::copy(ip.source_.bytes().begin(), ip.source_.bytes().end(), b.begin() + 12);
  std::copy(ip.destination_.bytes().begin(), ip.destination_.bytes().end(), b.begin() + 16);
  std::copy(message.begin(), message.end(), out.begin() + static_cast<long>(20 + ah_size));
  if (ah) {
    auto h = b.subspan(ipv4_header_size, ah_header_size);
    h[0] = ipproto_vrrp;
    h[1] = 4;  // 32-bit words minus 2
    std::copy(ip.source_.bytes().begin(), ip.source_.bytes().end(), h.begin() + 4);  // SPI
    // keepalived stops counting just short of wrapping and marks the cycle instead.
    if (counter->seq_number_ > 0xFFFFFFFDu) {
      counter->cycle_ = true;
    } else {
      ++counter->seq_number_;
    }
    put16(h, 8, static_cast<std::uint16_t>(counter->seq_number_ >> 16));
    put16(h, 10, static_cast<std::uint16_t>(counter->seq_number_ & 0xffff));
    // The ICV covers the packet with the mutable fields (TOS, fragment offset, header
    // checksum, and for unicast the TTL) and the ICV itself zeroed.
    std::vector<std::uint8_t> scratch = out;
    scratch[1] = 0;
    scratch[6] = scratch[7] = 0;
    if (ip.unicast_) {
      scratch[8] = 0;
    }
    const auto icv = hmac_md5_96(a.auth_data_, scratch);
    std::copy(icv.begin(), icv.end(), h.begin() + 12);
  }
  put16(b, 10, internet_checksum(b.first(ipv4_header_size)));
  return out;
}

decoded decode_message(std::span<const std::uint8_t> message, address_family family) {
  decoded d;
  if (message.size() < vrrp_header_size) {
    return d;
  }
  advert& a = d.value_;
  a.version_ = message[0] >> 4;
  a.type_ = message[0] & 0x0f;
  a.vrid_ = message[1];
  a.priority_ = message[2];
  const std::size_t count = message[3];
  if (a.version_ == 3) {
    a.advert_interval_ = get16(message, 4) & 0x0fff;
  } else {
    a.auth_ = static_cast<auth_type>(message[4]);
    a.advert_interval_ = message[5];
  }
  a.checksum_ = get16(message, 6);
  const std::size_t asz = address_size(family);
  if (message.size() < vrrp_header_size + count * asz) {
    return d;
  }
  a.addresses_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    a.addresses_.push_back(read_address(message, vrrp_header_size + i * asz, family));
  }
  if (has_auth_trailer(a.version_, family)) {
    const std::size_t at = vrrp_header_size + count * asz;
    if (message.size() < at + vrrp_auth_size) {
      return d;
    }
    std::copy_n(message.begin() + static_cast<long>(at), vrrp_auth_size, a.auth_data_.begin());
  }
  d.ok_ = true;
  return d;
}

rx_result check_ipv4_packet(const rx_config& cfg, std::span<const std::uint8_t> packet,
                            rx_stats& stats, ah_counter* counter) {
  assert(cfg.family_ == address_family::ipv4);
  const bool ah = cfg.version_ == 2 && cfg.auth_ == auth_type::ah;
  const std::size_t ah_size = ah ? ah_header_size : 0;
  if (packet.size() < ipv4_header_size + ah_size + vrrp_header_size) {
    return reject(stats, rx_status::too_short);
  }
  // keepalived trusts the IHL; we only trust it as far as the buffer goes.
  const std::size_t ihl = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
  if (ihl < ipv4_header_size || packet.size() < ihl + ah_size + vrrp_header_size) {
    return reject(stats, rx_status::too_short);
  }
  if (!cfg.unicast_ && packet[8] != vrrp_ttl) {
    return reject(stats, rx_status::bad_ttl);
  }
  // keepalived reads AH instances from an IPPROTO_AH socket and the rest from IPPROTO_VRRP,
  // so it never sees the other protocol; a single-socket adapter gets it counted here.
  if (packet[9] != (ah ? ipproto_ah : ipproto_vrrp)) {
    return reject(stats, rx_status::auth_type_mismatch);
  }
  const auto message = packet.subspan(ihl + ah_size);
  const ip_address source = read_address(packet, 12, address_family::ipv4);
  const ip_address destination = read_address(packet, 16, address_family::ipv4);
  const std::size_t total_length = get16(packet, 2);
  const std::size_t expected = ipv4_header_size + ah_size +
                               expected_message_size(cfg.version_, cfg.family_, cfg.vips_.size());

  // PASS: keepalived compares the 8 bytes that end the IP datagram (by its total length).
  std::span<const std::uint8_t> pass_field;
  if (total_length >= vrrp_auth_size && total_length <= packet.size()) {
    pass_field = packet.subspan(total_length - vrrp_auth_size, vrrp_auth_size);
  }

  auto ah_ok = [&]() -> bool {
    if (counter == nullptr) {
      return false;
    }
    const std::size_t covered = expected;
    if (packet.size() < covered || ihl != ipv4_header_size) {
      return false;
    }
    std::vector<std::uint8_t> scratch(packet.begin(), packet.begin() + static_cast<long>(covered));
    scratch[1] = 0;
    scratch[6] = scratch[7] = 0;
    scratch[10] = scratch[11] = 0;
    if (cfg.unicast_) {
      scratch[8] = 0;
    }
    std::array<std::uint8_t, ah_icv_size> received{};
    std::copy_n(scratch.begin() + 20 + 12, ah_icv_size, received.begin());
    std::fill_n(scratch.begin() + 20 + 12, ah_icv_size, 0);
    if (hmac_md5_96(cfg.auth_data_, scratch) != received) {
      return false;
    }
    if (!std::equal(packet.begin() + 24, packet.begin() + 28, packet.begin() + 12)) {
      return false;  // SPI must be the source address
    }
    const std::uint32_t seq =
        static_cast<std::uint32_t>(get16(packet, 28)) << 16 | get16(packet, 30);
    if (seq <= counter->seq_number_) {
      return false;  // replayed
    }
    counter->seq_number_ = seq;
    return true;
  };

  // The IP total length is checked against the buffer after the VRRP fields, as keepalived
  // does; both length checks report length_mismatch.
  return check_message(cfg, message, total_length == packet.size(), packet.size(), expected,
                       pass_field, source, destination, stats, ah_ok);
}

rx_result check_ipv6_packet(const rx_config& cfg, std::span<const std::uint8_t> message,
                            const ipv6_meta& meta, rx_stats& stats) {
  assert(cfg.family_ == address_family::ipv6);
  if (message.size() < vrrp_header_size) {
    return reject(stats, rx_status::too_short);
  }
  if (!cfg.unicast_ && meta.multicast_ && meta.hop_limit_ >= 0 && meta.hop_limit_ != vrrp_ttl) {
    return reject(stats, rx_status::bad_ttl);
  }
  const std::size_t expected = expected_message_size(cfg.version_, cfg.family_, cfg.vips_.size());
  return check_message(cfg, message, true, message.size(), expected, {}, meta.source_,
                       meta.destination_, stats, [] { return false; });
}

const char* to_string(rx_status s) {
  switch (s) {
    case rx_status::ok:
      return "ok";
    case rx_status::too_short:
      return "packet too short";
    case rx_status::bad_ttl:
      return "invalid ttl";
    case rx_status::invalid_auth_type:
      return "invalid auth type";
    case rx_status::auth_type_mismatch:
      return "auth type mismatch";
    case rx_status::auth_failure:
      return "authentication failure";
    case rx_status::interval_mismatch:
      return "advertisement interval mismatch";
    case rx_status::bad_version:
      return "invalid version";
    case rx_status::bad_type:
      return "invalid packet type";
    case rx_status::vrid_mismatch:
      return "VRID mismatch";
    case rx_status::address_count_mismatch:
      return "invalid ip number count";
    case rx_status::length_mismatch:
      return "packet length mismatch";
    case rx_status::bad_checksum:
      return "invalid checksum";
    case rx_status::address_list_mismatch:
      return "ip address not present in advert";
    case rx_status::unicast_source_not_peer:
      return "unicast source not a unicast peer";
  }
  return "unknown";
}

}  // namespace tandem::runtime::vrrp
