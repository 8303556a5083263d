// The nftables text of the NAT and DR planes (see nftables_rules.hpp).
#include "runtime/lvs/dataplane/nftables_rules.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <set>

namespace tandem::runtime::lvs::dataplane {
namespace {

// IPVS's sh fills 256 buckets (IP_VS_SH_TAB_BITS 8); nft's jhash spreads over the same count.
constexpr std::size_t hash_buckets = 256;
// One wrr period can be long (sum of weights / gcd); past this the weights are scaled down.
constexpr std::size_t max_slots = 4096;
// Dynamic maps' capacity (nft's default, 65535, is small for a busy director).
constexpr unsigned map_size = 262144;
// IPVS's TCP timeouts once the client closed (ip_vs_proto_tcp.c: FIN_WAIT / TIME_WAIT, CLOSE).
constexpr unsigned fin_timeout = 120, close_timeout = 10;

bool usable(const destination& d) { return d.weight_ > 0 && !d.overloaded_; }

// One period of a stateful scheduler's picks on a fresh instance over `pool`.
std::vector<std::size_t> period_of(std::string_view name, std::span<const destination> pool,
                                   std::size_t period) {
  std::vector<std::size_t> out;
  auto s = make_scheduler(name);
  if (!s) return out;
  s->destinations_changed(pool, {});
  const connection c{};
  const schedule_context ctx{};
  for (std::size_t k = 0; k < period; ++k) {
    auto i = s->schedule(c, pool, ctx);
    if (!i) break;
    out.push_back(*i);
  }
  return out;
}

std::vector<std::size_t> weighted_round_robin(std::span<const destination> pool) {
  long sum = 0;
  int g = 0;
  for (const auto& d : pool)
    if (usable(d)) {
      sum += d.weight_;
      g = std::gcd(g, d.weight_);
    }
  if (sum == 0) return {};
  std::size_t period = static_cast<std::size_t>(sum / g);
  if (period <= max_slots) return period_of("wrr", pool, period);
  // Too long to list: the same proportions over max_slots slots.
  std::vector<destination> scaled(pool.begin(), pool.end());
  for (auto& d : scaled)
    if (usable(d))
      d.weight_ = std::max<int>(1, static_cast<int>(static_cast<long long>(d.weight_) *
                                                    static_cast<long long>(max_slots) / sum));
  sum = 0;
  g = 0;
  for (const auto& d : scaled)
    if (usable(d)) {
      sum += d.weight_;
      g = std::gcd(g, d.weight_);
    }
  return period_of("wrr", scaled, static_cast<std::size_t>(sum / g));
}

// IPVS's ip_vs_sh_reassign: buckets filled in list order, each server `weight` times in a row.
std::vector<std::size_t> hash_buckets_of(std::span<const destination> pool) {
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < pool.size(); ++i)
    if (usable(pool[i])) live.push_back(i);
  std::vector<std::size_t> out;
  if (live.empty()) return out;
  std::size_t at = 0;
  int count = 0;
  while (out.size() < hash_buckets) {
    out.push_back(live[at]);
    if (++count >= pool[live[at]].weight_) {
      at = (at + 1) % live.size();
      count = 0;
    }
  }
  return out;
}

std::string proto_name(protocol p) {
  switch (p) {
    case protocol::udp: return "udp";
    case protocol::sctp: return "sctp";
    case protocol::tcp: break;
  }
  return "tcp";
}

std::string l3(const nft_service& s) { return is_v6(s) ? "ip6" : "ip"; }
std::string addr_type(const nft_service& s) { return is_v6(s) ? "ipv6_addr" : "ipv4_addr"; }

// Port-less services (virtual_server port 0, or a real server without its own port) dnat the
// address only and keep the client's destination port.
bool with_ports(const nft_service& s) {
  for (const auto& v : s.spec_.vips_)
    if (v.fwmark_ == 0 && v.port_ == 0) return false;
  for (const auto& d : s.pool_)
    if (d.port_ == 0) return false;
  return true;
}

// nft 1.0.6 aborts building an IPv6 dynamic-map update whose data is address . port (its
// register allocation), so IPv6 persistence entries hold the address alone, and the port,
// when the real servers' differs from the virtual one, comes from the dnat rule (one port
// for every real server: ipv6_persistence_problem() says so otherwise).
bool persist_ports(const nft_service& s) { return with_ports(s) && !is_v6(s); }

std::string persist_port_suffix(const nft_service& s) {
  if (!is_v6(s) || !with_ports(s) || s.pool_.empty()) return "";
  const std::uint16_t p = s.pool_.front().port_;
  for (const auto& v : s.spec_.vips_)
    if (v.fwmark_ || v.port_ != p) return ":" + std::to_string(p);
  return "";
}

std::string vip_text(const vip_entry& v) {
  std::string a = v.first_.to_string();
  if (v.last_ != v.first_ && !v.last_.is_unspecified()) a += "-" + v.last_.to_string();
  return a;
}

// The packet match of one VIP entry, for the hook chains.
std::string vip_match(const nft_service& s, const vip_entry& v) {
  if (v.fwmark_) return "meta mark " + std::to_string(v.fwmark_);
  std::string m = l3(s) + " daddr " + vip_text(v) + " meta l4proto " + proto_name(s.spec_.protocol_);
  if (v.port_) m += " " + proto_name(s.spec_.protocol_) + " dport " + std::to_string(v.port_);
  return m;
}

// The same VIP entry on a connection after dnat (postrouting): its original tuple.
std::string vip_match_original(const nft_service& s, const vip_entry& v) {
  if (v.fwmark_) return "meta mark " + std::to_string(v.fwmark_) + " ct status dnat";
  std::string m = "meta l4proto " + proto_name(s.spec_.protocol_) + " ct status dnat ct original " +
                  l3(s) + " daddr " + vip_text(v);
  if (v.port_) m += " ct original proto-dst " + std::to_string(v.port_);
  return m;
}

std::string mask_text(const nft_service& s) {
  const unsigned bits = is_v6(s) ? 128 : 32;
  const unsigned g = std::min(s.granularity_, bits);
  if (g == bits) return "";
  if (!is_v6(s)) {
    const std::uint32_t m = g == 0 ? 0 : ~std::uint32_t{0} << (32 - g);
    return " & " + boost::asio::ip::address_v4(m).to_string();
  }
  boost::asio::ip::address_v6::bytes_type b{};
  for (unsigned i = 0; i < g; ++i) b[i / 8] |= static_cast<std::uint8_t>(0x80 >> (i % 8));
  return " & " + boost::asio::ip::address_v6(b).to_string();
}

std::string client_key(const nft_service& s) { return l3(s) + " saddr" + mask_text(s); }

std::string slot_expr(const nft_service& s, const slot_table& t) {
  const std::string n = std::to_string(t.slots_.size());
  const std::string p = proto_name(s.spec_.protocol_);
  switch (t.hash_) {
    case slot_hash::source: return "jhash " + l3(s) + " saddr mod " + n;
    case slot_hash::source_port: return "jhash " + l3(s) + " saddr . " + p + " sport mod " + n;
    case slot_hash::destination: return "jhash " + l3(s) + " daddr mod " + n;
    case slot_hash::numgen: break;
  }
  return "numgen inc mod " + n;
}

std::string obj(const nft_service& s, std::string_view family, std::string_view what) {
  return std::string(family) + " " + s.table_ + " " + s.prefix_ + "_" + std::string(what);
}

std::string persistence_map(const nft_service& s, std::string_view family,
                            const std::string& data_type) {
  return "add map " + obj(s, family, "persist") + " { type " + addr_type(s) + " : " + data_type +
         "; flags dynamic,timeout; timeout " +
         std::to_string(s.spec_.persistence_timeout_->count()) + "s; size " +
         std::to_string(map_size) + "; }\n";
}

// The elements of a slot map: "0 : DATA, 1 : DATA".
template <class F>
std::string slot_elements(const slot_table& t, F data) {
  std::string e;
  for (std::size_t i = 0; i < t.slots_.size(); ++i) {
    if (i) e += ", ";
    e += std::to_string(i) + " : " + data(t.slots_[i]);
  }
  return e;
}

// DR: the slot table without the pool entries whose MAC is not known yet.
slot_table dr_slots(const nft_service& s) {
  std::vector<destination> pool = s.pool_;
  for (std::size_t i = 0; i < pool.size(); ++i)
    if (i >= s.pool_macs_.size() || !s.pool_macs_[i]) pool[i].weight_ = 0;
  return make_slot_table(s.scheduler_, s.flags_, pool);
}

// DR: the client's flow key, and what follows the choice of a destination MAC: the
// director's MAC as source (a switch must not learn the client's MAC on the director's port),
// the flow (and persistence) entries refreshed, out of the interface it came in on.
std::string dr_flow_key(const nft_service& s) {
  return l3(s) + " saddr . " + proto_name(s.spec_.protocol_) + " sport";
}
std::string dr_forward(const nft_service& s) {
  std::string then = " ether saddr set " + format_mac(s.device_mac_) + " update @" + s.prefix_ +
                     "_flows { " + dr_flow_key(s) + " : ether daddr }";
  if (s.spec_.persistence_timeout_)
    then += " update @" + s.prefix_ + "_persist { " + client_key(s) + " : ether daddr }";
  return then + " fwd to \"" + s.device_ + "\"\n";
}

// The dispatch chain's first rules: frames of known flows go where their flow went.
std::string dr_flow_rules(const nft_service& s) {
  const std::string flow_key = dr_flow_key(s);
  const std::string saddr = " ether saddr set " + format_mac(s.device_mac_);
  const std::string out = " fwd to \"" + s.device_ + "\"\n";
  std::string t = "flush chain " + obj(s, "netdev", "dispatch") + "\n";
  const std::string rule = "add rule " + obj(s, "netdev", "dispatch") + " ether daddr set ";
  if (s.spec_.protocol_ == protocol::tcp) {
    // IPVS's TCP states as far as the client's side shows them: a FIN or RST moves the flow
    // to a short timeout (IPVS's fin_wait/time_wait 120 s, close 10 s) and into the closing
    // set, whose flows are forwarded without refreshing it and count as inactive; a new SYN
    // on the same ports (the port reused) makes the flow live again, on the same server.
    const std::string closing = "@" + s.prefix_ + "_closing";
    const std::string lookup = flow_key + " map @" + s.prefix_ + "_flows" + saddr;
    t += "add rule " + obj(s, "netdev", "dispatch") + " tcp flags & (syn | ack) == syn delete " +
         closing + " { " + flow_key + " }\n";
    t += "add rule " + obj(s, "netdev", "dispatch") + " tcp flags & rst == rst ether daddr set " +
         lookup + " update @" + s.prefix_ + "_flows { " + flow_key + " timeout " +
         std::to_string(close_timeout) + "s : ether daddr } update " + closing + " { " + flow_key +
         " timeout " + std::to_string(close_timeout) + "s }" + out;
    t += "add rule " + obj(s, "netdev", "dispatch") + " tcp flags & fin == fin ether daddr set " +
         lookup + " update @" + s.prefix_ + "_flows { " + flow_key + " timeout " +
         std::to_string(fin_timeout) + "s : ether daddr } update " + closing + " { " + flow_key +
         " }" + out;
    t += "add rule " + obj(s, "netdev", "dispatch") + " " + flow_key + " " + closing +
         " ether daddr set " + lookup + out;
  }
  t += rule + flow_key + " map @" + s.prefix_ + "_flows" + dr_forward(s);
  return t;
}

}  // namespace

std::string format_mac(const mac_address& m) {
  char b[18];
  std::snprintf(b, sizeof b, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return b;
}

bool is_v6(const nft_service& s) {
  for (const auto& v : s.spec_.vips_)
    if (!v.fwmark_) return v.first_.is_v6();
  return !s.pool_.empty() && s.pool_.front().address_.is_v6();
}

bool needs_connection_counts(std::string_view n) {
  static constexpr std::string_view counted[] = {"",     "lc",    "wlc",  "sed", "nq",
                                                 "lblc", "lblcr", "twos", "ovf", "mh"};
  return std::find(std::begin(counted), std::end(counted), n) != std::end(counted);
}

slot_table make_slot_table(std::string_view name, const scheduler_flags& flags,
                           std::span<const destination> pool) {
  slot_table t;
  if (name == "sh" || name == "mh") {
    t.hash_ = (name == "sh" ? flags.sh_port_ : flags.mh_port_) ? slot_hash::source_port
                                                                : slot_hash::source;
    t.slots_ = hash_buckets_of(pool);
    t.approximated_ = name == "mh";
    return t;
  }
  if (name == "dh") {
    t.hash_ = slot_hash::destination;
    t.slots_ = hash_buckets_of(pool);
    return t;
  }
  if (name == "rr") {
    std::size_t n = 0;
    for (const auto& d : pool) n += usable(d);
    t.slots_ = period_of("rr", pool, n);
    return t;
  }
  if (name == "fo") {
    t.slots_ = period_of("fo", pool, 1);
    return t;
  }
  t.approximated_ = name != "wrr";
  t.slots_ = weighted_round_robin(pool);
  return t;
}

std::string nat_target_text(const nft_service& s, const destination& d) {
  std::string t = d.address_.to_string();
  if (with_ports(s)) t += " . " + std::to_string(d.port_);
  return t;
}

std::string persistence_target_text(const nft_service& s, const destination& d) {
  std::string t = d.address_.to_string();
  if (persist_ports(s)) t += " . " + std::to_string(d.port_);
  return t;
}

std::optional<std::string> ipv6_persistence_problem(const nft_service& s) {
  if (!is_v6(s) || !s.spec_.persistence_timeout_ || !with_ports(s) || s.pool_.empty())
    return std::nullopt;
  for (const auto& d : s.pool_)
    if (d.port_ != s.pool_.front().port_)
      return "nft 1.0.6 cannot record IPv6 persistence with real servers on different ports (" +
             std::to_string(s.pool_.front().port_) + ", " + std::to_string(d.port_) +
             "); TANDEM_LVS_PLANE=user-space serves it";
  return std::nullopt;
}

// ---- NAT -----------------------------------------------------------------------------------

std::string nat_install(const nft_service& s) {
  const std::string data =
      with_ports(s) ? addr_type(s) + " . inet_service" : addr_type(s);
  const std::string typeof_data = with_ports(s)
                                      ? l3(s) + " daddr . " + proto_name(s.spec_.protocol_) + " dport"
                                      : l3(s) + " daddr";
  std::string t = "add table inet " + s.table_ + "\n";
  t += "add map " + obj(s, "inet", "slots") + " { typeof numgen inc mod 1 : " + typeof_data +
       "; }\n";
  if (s.spec_.persistence_timeout_)
    t += persistence_map(s, "inet", persist_ports(s) ? data : addr_type(s));
  t += "add set " + obj(s, "inet", "masq") + " { type " + addr_type(s) + "; flags interval; }\n";
  t += "add chain " + obj(s, "inet", "dispatch") + "\n";
  t += "add chain " + obj(s, "inet", "pre") +
       " { type nat hook prerouting priority dstnat; policy accept; }\n";
  t += "add chain " + obj(s, "inet", "out") +
       " { type nat hook output priority -100; policy accept; }\n";
  t += "add chain " + obj(s, "inet", "post") +
       " { type nat hook postrouting priority srcnat; policy accept; }\n";
  for (const char* hook : {"pre", "out"})
    for (const auto& v : s.spec_.vips_)
      t += "add rule " + obj(s, "inet", hook) + " " + vip_match(s, v) + " jump " + s.prefix_ +
           "_dispatch\n";
  return t + nat_refill(s);
}

std::string nat_refill(const nft_service& s) {
  const slot_table slots = make_slot_table(s.scheduler_, s.flags_, s.pool_);
  const std::string p = proto_name(s.spec_.protocol_);
  const std::string dnat = "meta l4proto " + p + " dnat " + l3(s) + " to ";
  std::string t = "flush map " + obj(s, "inet", "slots") + "\n";
  if (!slots.slots_.empty())
    t += "add element " + obj(s, "inet", "slots") + " { " +
         slot_elements(slots, [&](std::size_t i) { return nat_target_text(s, s.pool_[i]); }) +
         " }\n";
  t += "flush set " + obj(s, "inet", "masq") + "\n";
  if (!s.masquerade_prefixes_.empty()) {
    std::string e;
    for (const auto& m : s.masquerade_prefixes_) e += (e.empty() ? "" : ", ") + m;
    t += "add element " + obj(s, "inet", "masq") + " { " + e + " }\n";
  }
  t += "flush chain " + obj(s, "inet", "dispatch") + "\n";
  if (s.spec_.persistence_timeout_)
    t += "add rule " + obj(s, "inet", "dispatch") + " " + dnat + client_key(s) + " map @" +
         s.prefix_ + "_persist" + persist_port_suffix(s) + "\n";
  if (!slots.slots_.empty())
    t += "add rule " + obj(s, "inet", "dispatch") + " " + dnat + slot_expr(s, slots) + " map @" +
         s.prefix_ + "_slots\n";
  // No server: IPVS drops the connection ("no destination available").
  t += "add rule " + obj(s, "inet", "dispatch") + " drop\n";
  t += "flush chain " + obj(s, "inet", "post") + "\n";
  const std::string target = persist_ports(s) ? l3(s) + " daddr . " + p + " dport" : l3(s) + " daddr";
  for (const auto& v : s.spec_.vips_) {
    if (s.spec_.persistence_timeout_)
      t += "add rule " + obj(s, "inet", "post") + " " + vip_match_original(s, v) + " update @" +
           s.prefix_ + "_persist { " + client_key(s) + " : " + target + " }\n";
    t += "add rule " + obj(s, "inet", "post") + " " + vip_match_original(s, v) + " " + l3(s) +
         " saddr @" + s.prefix_ + "_masq masquerade\n";
  }
  return t;
}

std::string nat_remove(const nft_service& s) {
  std::string t;
  for (const char* c : {"pre", "out", "post", "dispatch"})
    t += "delete chain " + obj(s, "inet", c) + "\n";
  t += "delete map " + obj(s, "inet", "slots") + "\n";
  if (s.spec_.persistence_timeout_) t += "delete map " + obj(s, "inet", "persist") + "\n";
  t += "delete set " + obj(s, "inet", "masq") + "\n";
  return t;
}

// ---- DR ------------------------------------------------------------------------------------

std::string dr_install(const nft_service& s) {
  const std::string p = proto_name(s.spec_.protocol_);
  std::string t = "add table netdev " + s.table_ + "\n";
  t += "add map " + obj(s, "netdev", "slots") + " { typeof numgen inc mod 1 : ether daddr; }\n";
  t += "add map " + obj(s, "netdev", "flows") + " { type " + addr_type(s) +
       " . inet_service : ether_addr; flags dynamic,timeout; timeout " +
       std::to_string(s.flow_timeout_) + "s; size " + std::to_string(map_size) + "; }\n";
  if (s.spec_.persistence_timeout_) t += persistence_map(s, "netdev", "ether_addr");
  if (s.spec_.protocol_ == protocol::tcp)
    t += "add set " + obj(s, "netdev", "closing") + " { type " + addr_type(s) +
         " . inet_service; flags dynamic,timeout; timeout " + std::to_string(fin_timeout) +
         "s; size " + std::to_string(map_size) + "; }\n";
  t += "add chain " + obj(s, "netdev", "dispatch") + "\n";
  t += "add chain " + obj(s, "netdev", "in") + " { type filter hook ingress device \"" +
       s.device_ + "\" priority " + std::to_string(s.priority_) + "; policy accept; }\n";
  // Only frames sent to this director: a backup director on the same segment sees the
  // master's frames when a switch floods them, and must not forward them a second time.
  for (const auto& v : s.spec_.vips_)
    t += "add rule " + obj(s, "netdev", "in") + " meta pkttype host " + vip_match(s, v) +
         " jump " + s.prefix_ + "_dispatch\n";
  return t + dr_refill(s);
}

std::string dr_refill(const nft_service& s) {
  const slot_table slots = dr_slots(s);
  const std::string then = dr_forward(s);
  std::string t = "flush map " + obj(s, "netdev", "slots") + "\n";
  if (!slots.slots_.empty())
    t += "add element " + obj(s, "netdev", "slots") + " { " +
         slot_elements(slots, [&](std::size_t i) { return format_mac(*s.pool_macs_[i]); }) +
         " }\n";
  t += dr_flow_rules(s);
  const std::string rule = "add rule " + obj(s, "netdev", "dispatch") + " ether daddr set ";
  if (s.spec_.persistence_timeout_)
    t += rule + client_key(s) + " map @" + s.prefix_ + "_persist" + then;
  if (!slots.slots_.empty())
    t += rule + slot_expr(s, slots) + " map @" + s.prefix_ + "_slots" + then;
  t += "add rule " + obj(s, "netdev", "dispatch") + " drop\n";
  return t;
}

std::string dr_drain(const nft_service& s) { return dr_flow_rules(s); }


std::string dr_remove(const nft_service& s) {
  std::string t = "delete chain " + obj(s, "netdev", "in") + "\n";
  t += "delete chain " + obj(s, "netdev", "dispatch") + "\n";
  t += "delete map " + obj(s, "netdev", "slots") + "\n";
  t += "delete map " + obj(s, "netdev", "flows") + "\n";
  if (s.spec_.persistence_timeout_) t += "delete map " + obj(s, "netdev", "persist") + "\n";
  if (s.spec_.protocol_ == protocol::tcp) t += "delete set " + obj(s, "netdev", "closing") + "\n";
  return t;
}

std::string table_remove(std::string_view family, std::string_view table) {
  return "delete table " + std::string(family) + " " + std::string(table) + "\n";
}

// ---- probes ----------------------------------------------------------------------------------

std::string probe_nat(bool v6, std::string_view table) {
  const std::string f = v6 ? "ip6" : "ip";
  const std::string a = v6 ? "ipv6_addr" : "ipv4_addr";
  const std::string vip = v6 ? "fd00::1" : "192.0.2.1";
  const std::string rs = v6 ? "fd00::2" : "192.0.2.2";
  const std::string T = "inet " + std::string(table);
  return "add table " + T + "\n" +
         "add map " + T + " s { typeof numgen inc mod 1 : " + f + " daddr . tcp dport; }\n" +
         "add element " + T + " s { 0 : " + rs + " . 80 }\n" +
         "add map " + T + " p { type " + a + " : " + a +
         (v6 ? "" : " . inet_service") + "; flags dynamic,timeout; timeout 60s; }\n" +
         "add chain " + T + " pre { type nat hook prerouting priority dstnat; policy accept; }\n" +
         "add chain " + T + " post { type nat hook postrouting priority srcnat; policy accept; }\n" +
         "add rule " + T + " pre " + f + " daddr " + vip + " meta l4proto tcp dnat " + f +
         " to numgen inc mod 1 map @s\n" +
         "add rule " + T + " pre meta l4proto tcp dnat " + f + " to jhash " + f +
         " saddr mod 1 map @s\n" +
         "add rule " + T + " post meta l4proto tcp ct status dnat ct original " + f + " daddr " +
         vip + " ct original proto-dst 80 update @p { " + f + " saddr : " + f +
         (v6 ? " daddr }\n" : " daddr . tcp dport }\n") +
         "add rule " + T + " post " + f + " saddr " + rs + " masquerade\n";
}

std::string probe_dr(bool v6, std::string_view table) {
  const std::string T = "netdev " + std::string(table);
  const std::string f = v6 ? "ip6" : "ip";
  return "add table " + T + "\n" +
         "add map " + T + " f { type " + (v6 ? "ipv6_addr" : "ipv4_addr") +
         " . inet_service : ether_addr; flags dynamic,timeout; timeout 60s; }\n" +
         "add chain " + T + " in { type filter hook ingress device \"lo\" priority -100; "
         "policy accept; }\n" +
         "add rule " + T + " in meta pkttype host " + f + " daddr " +
         (v6 ? "fd00::1" : "192.0.2.1") +
         " tcp dport 80 ether daddr set numgen inc mod 1 map { 0 : 02:00:00:00:00:01 } ether "
         "saddr set 02:00:00:00:00:02 update @f { " + f + " saddr . tcp sport : ether daddr } "
         "fwd to \"lo\"\n";
}

// ---- map listings ----------------------------------------------------------------------------

std::vector<map_element> parse_map_listing(std::string_view text) {
  std::vector<map_element> out;
  const auto open = text.find("elements = {");
  if (open == std::string_view::npos) return out;
  const auto close = text.find('}', open);
  std::string_view body = text.substr(open + 12, close == std::string_view::npos
                                                     ? std::string_view::npos
                                                     : close - open - 12);
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\n')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\n')) v.remove_suffix(1);
    return v;
  };
  while (!body.empty()) {
    const auto comma = body.find(',');
    std::string_view item = trim(body.substr(0, comma));
    body = comma == std::string_view::npos ? std::string_view{} : body.substr(comma + 1);
    if (item.empty()) continue;
    const auto colon = item.find(" : ");
    std::string_view key = item.substr(0, colon);
    // "KEY timeout 1h expires 59m59s" -> KEY
    for (std::string_view word : {" timeout ", " expires "}) {
      const auto w = key.find(word);
      if (w != std::string_view::npos) key = key.substr(0, w);
    }
    out.push_back({std::string(trim(key)), colon == std::string_view::npos
                                               ? std::string()
                                               : std::string(trim(item.substr(colon + 3)))});
  }
  return out;
}

std::string persistence_purge(const nft_service& s, std::string_view family,
                              const std::vector<map_element>& listing,
                              const std::vector<std::string>& stale) {
  std::string keys;
  for (const auto& e : listing)
    if (std::find(stale.begin(), stale.end(), e.data_) != stale.end())
      keys += (keys.empty() ? "" : ", ") + e.key_;
  if (keys.empty()) return "";
  return "delete element " + obj(s, family, "persist") + " { " + keys + " }\n";
}

}  // namespace tandem::runtime::lvs::dataplane
