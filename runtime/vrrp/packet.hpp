// The VRRP packet codec: VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798) adverts over IPv4 and IPv6,
// byte for byte as keepalived 2.2.7 builds them, and receive validation in the order of
// keepalived's vrrp_check_packet (vrrp_in_chk), with one counter per rejection reason.
//
// IPv4 raw sockets deliver the IP header with the payload, so IPv4 is checked as a whole
// packet (TTL, total length, and the AH header keepalived puts between IP and VRRP); IPv6
// sockets deliver the VRRP message alone, so its hop limit and addresses come alongside.
// Nothing here throws or allocates on a failing path; errors are values.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "runtime/vrrp/ip_address.hpp"

namespace tandem::runtime::vrrp {

inline constexpr std::uint8_t ipproto_vrrp = 112;
inline constexpr std::uint8_t ipproto_ah = 51;
inline constexpr std::uint8_t vrrp_ttl = 255;
inline constexpr std::size_t vrrp_header_size = 8;
inline constexpr std::size_t vrrp_auth_size = 8;
inline constexpr std::size_t ipv4_header_size = 20;
inline constexpr std::size_t ah_header_size = 24;  // RFC 2402 with a 96-bit HMAC-MD5 ICV

// VRRPv2 authentication types (RFC 2338 5.3.6; keepalived keeps PASS and AH).
enum class auth_type : std::uint8_t { none = 0, pass = 1, ah = 2 };

// The 8 bytes keepalived keeps for auth_pass: the first eight characters, zero-padded.
std::array<std::uint8_t, vrrp_auth_size> auth_data_from_password(std::string_view password);

// One advertisement as it is on the wire.
struct advert {
  std::uint8_t version_ = 2;  // 2 or 3
  std::uint8_t type_ = 1;     // 1: ADVERTISEMENT, the only type there is
  std::uint8_t vrid_ = 0;
  std::uint8_t priority_ = 0;
  // v2: whole seconds (8 bits); v3: centiseconds (12 bits, the 4 reserved bits zero).
  std::uint16_t advert_interval_ = 1;
  auth_type auth_ = auth_type::none;  // v2 only
  std::uint16_t checksum_ = 0;        // filled by encode, read by decode
  std::vector<ip_address> addresses_;
  std::array<std::uint8_t, vrrp_auth_size> auth_data_{};  // v2 over IPv4 only
};

// Which pseudo-header a VRRPv3-over-IPv4 checksum covers. keepalived 2.2.7 uses the packet's
// own destination; `old_unicast_checksum` uses the multicast group even for unicast (the
// pre-1.3.6 sum); keepalived 2.2.8's `v3_checksum_as_v2` leaves the pseudo-header out (Cisco).
enum class v3_checksum_mode : std::uint8_t {
  pseudo_header,
  multicast_destination,
  no_pseudo_header,
};

// What the checksum needs beyond the message: the IP source and destination, the multicast
// group (for multicast_destination) and the mode. IPv6 always uses its pseudo-header (the
// kernel computes and checks it there, IPV6_CHECKSUM); v2 over IPv4 never does.
struct checksum_context {
  ip_address source_;
  ip_address destination_;
  ip_address multicast_group_;
  v3_checksum_mode mode_ = v3_checksum_mode::pseudo_header;
};

// The VRRP message's size for a family: header, addresses, and for v2 over IPv4 the 8 auth
// bytes (keepalived's v2 over IPv6 has none).
std::size_t message_size(const advert& a, address_family family);

// The VRRP message (no IP header) with its checksum computed.
std::vector<std::uint8_t> encode_message(const advert& a, address_family family,
                                         const checksum_context& ctx);

// The checksum a message should carry (its checksum field taken as zero).
std::uint16_t message_checksum(std::span<const std::uint8_t> message, std::uint8_t version,
                               address_family family, const checksum_context& ctx);

// The IPv4 fields keepalived's vrrp_build_ip4 sets that vary; the rest are fixed (version 4,
// IHL 5, TOS 0xc0, no fragmentation, TTL 255 or unicast_ttl).
struct ipv4_fields {
  ip_address source_;
  ip_address destination_;
  std::uint16_t id_ = 0;
  std::uint8_t ttl_ = vrrp_ttl;
  bool unicast_ = false;  // AH: the ICV is computed with TTL 0 for unicast peers
};

// keepalived's AH counter: the sequence number sent last, or the highest one accepted.
struct ah_counter {
  std::uint32_t seq_number_ = 0;
  bool cycle_ = false;
};

// A whole IPv4 packet as keepalived hands it to a IP_HDRINCL socket (with the IP header
// checksum filled in, as the kernel does). With auth AH, `counter` is advanced and the AH
// header (SPI = source address, HMAC-MD5-96 over the packet) sits between IP and VRRP.
std::vector<std::uint8_t> encode_ipv4_packet(const advert& a, const ipv4_fields& ip,
                                             const checksum_context& ctx,
                                             ah_counter* counter = nullptr);

// Structural decoding only: enough bytes for the header, and the addresses and auth data
// when the message is long enough to hold them. Validation is check_*_packet's job.
struct decoded {
  bool ok_ = false;
  advert value_;
};
decoded decode_message(std::span<const std::uint8_t> message, address_family family);

// Why a received packet was not taken; `ok` when it was. Each has a counter below.
enum class rx_status : std::uint8_t {
  ok,
  too_short,                // shorter than the IP + (AH +) VRRP header; packet_len_err
  bad_ttl,                  // TTL / hop limit not 255 on multicast; ip_ttl_err
  invalid_auth_type,        // v2 auth type not NONE/PASS/AH; invalid_authtype
  auth_type_mismatch,       // v2 auth type not ours; authtype_mismatch
  auth_failure,             // PASS differs, or AH ICV/SPI/sequence wrong; auth_failure
  interval_mismatch,        // v2 advert interval not ours (keepalived drops, uncounted)
  bad_version,              // vers_err
  bad_type,                 // invalid_type_rcvd
  vrid_mismatch,            // vrid_err
  address_count_mismatch,   // addr_list_err
  length_mismatch,          // IP total length or message length; packet_len_err
  bad_checksum,             // chk_err
  address_list_mismatch,    // one of our VIPs missing from the advert; addr_list_err
  unicast_source_not_peer,  // check_unicast_src and the sender is no unicast_peer
};
const char* to_string(rx_status s);

// Per-reason receive counters (keepalived folds some of them together; we keep them apart).
struct rx_stats {
  std::array<std::uint64_t, 15> by_status_{};
  std::uint64_t adverts_received_ = 0;  // valid type, version and length (advert_rcvd)
  std::uint64_t priority_zero_received_ = 0;
  std::uint64_t count(rx_status s) const { return by_status_[static_cast<std::size_t>(s)]; }
};

// What an instance expects of a received advert.
struct rx_config {
  address_family family_ = address_family::ipv4;
  std::uint8_t version_ = 2;
  std::uint8_t vrid_ = 0;
  auth_type auth_ = auth_type::none;
  std::array<std::uint8_t, vrrp_auth_size> auth_data_{};
  std::uint8_t v2_advert_interval_seconds_ = 1;
  std::vector<ip_address> vips_;
  bool unicast_ = false;  // unicast_peer configured: no TTL check, AH ICV with TTL 0
  std::vector<ip_address> unicast_peers_;
  bool check_unicast_src_ = false;
  bool check_vip_addresses_ = true;  // false when skip_check_adv_addr and same master
  v3_checksum_mode checksum_mode_ = v3_checksum_mode::pseudo_header;
  ip_address multicast_group_;  // 224.0.0.18 / ff02::12 or vrrp_mcast_group4/6
  // keepalived (without `old_unicast_checksum never`) also accepts a VRRPv3 IPv4 checksum
  // over the multicast group when the real destination's fails, and switches to it.
  bool auto_detect_old_checksum_ = true;
};

struct rx_result {
  rx_status status_ = rx_status::too_short;
  advert value_;  // meaningful when status_ == ok
  ip_address source_;
  bool old_checksum_ = false;  // accepted through the multicast-group pseudo-header
};

// An IPv4 packet from a raw IPPROTO_VRRP (or IPPROTO_AH) socket, IP header included.
// `counter` is the AH replay state (needed when cfg.auth_ is AH).
rx_result check_ipv4_packet(const rx_config& cfg, std::span<const std::uint8_t> packet,
                            rx_stats& stats, ah_counter* counter = nullptr);

// An IPv6 VRRP message with the fields the socket gives alongside (IPV6_HOPLIMIT,
// IPV6_PKTINFO). hop_limit < 0: not received, not checked.
struct ipv6_meta {
  ip_address source_;
  ip_address destination_;
  int hop_limit_ = vrrp_ttl;
  bool multicast_ = true;
};
rx_result check_ipv6_packet(const rx_config& cfg, std::span<const std::uint8_t> message,
                            const ipv6_meta& meta, rx_stats& stats);

}  // namespace tandem::runtime::vrrp
