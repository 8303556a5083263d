// The nftables text of the NAT and DR planes (nftables.cpp), pure: a service's spec, its pool
// and what the host looks like in; `nft -f` transactions out. Kept apart from the planes so
// tests check the rules without a kernel.
//
// One table per keepalived process (plane_spec::table_name_), shared by its services: each
// service's objects carry its own prefix ("vs1_..."), so one service's edit never touches
// another's. A service's objects are created once (install), then only its maps and its
// non-hook chains are flushed and refilled (refill), in one transaction, so the kernel's NAT
// decisions already taken (conntrack entries, DR flow entries) stay as they are.
//
//   NAT (table inet T): prerouting/output nat chains match the VIP and jump to PREFIX_dispatch,
//     which dnats to the persistence map's entry for the client (when persistent), else to the
//     scheduler's slot table (numgen for rr/wrr/fo, jhash for sh/dh); postrouting records the
//     persistence entry and masquerades clients on the real servers' own segments.
//   DR (table netdev T): an ingress chain on the VIP's interface matches the VIP and jumps to
//     PREFIX_dispatch, which rewrites the destination MAC (flow map, persistence map, slot
//     table), sets the director's MAC as source and forwards out of the same interface.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/lvs/dataplane/data_plane.hpp"

namespace tandem::runtime::lvs::dataplane {

using mac_address = std::array<std::uint8_t, 6>;
std::string format_mac(const mac_address& m);

// How a new connection picks its slot in the table below.
enum class slot_hash : std::uint8_t { numgen, source, source_port, destination };

// The scheduler as a table of slots, each an index into the pool: numgen cycles through them
// (rr, wrr: one period of IPVS's own sequence; fo: the one server), jhash spreads over them
// (sh, dh: 256 buckets, each server weight times, as IPVS's sh fills its table — but with
// nftables' jhash, not IPVS's hash, so the same client may land on another server than under
// IPVS). Empty: no server can take a new connection.
struct slot_table {
  slot_hash hash_ = slot_hash::numgen;
  std::vector<std::size_t> slots_;
  // Set when the scheduler needs connection counts that nftables cannot weigh: the table is
  // weighted round robin instead (DR only; NAT services with such schedulers go to user space).
  bool approximated_ = false;
};

// Schedulers that decide on live connection counts (or, for mh, a Maglev table nftables does
// not build): lc wlc sed nq lblc lblcr twos ovf mh. "" is IPVS's default, wlc.
bool needs_connection_counts(std::string_view scheduler);

slot_table make_slot_table(std::string_view scheduler, const scheduler_flags& flags,
                           std::span<const destination> pool);

// What one service's rules are built from.
struct nft_service {
  std::string table_;   // plane_spec::table_name_
  std::string prefix_;  // "vs1": unique among the table's services
  plane_spec spec_;
  std::string scheduler_;
  scheduler_flags flags_;
  unsigned granularity_ = 32;  // persistence mask, a prefix length of the service's family
  std::vector<destination> pool_;
  // NAT: the director's connected prefixes that hold a real server ("10.0.0.0/24"): clients
  // there are masqueraded, since the real server would answer them directly.
  std::vector<std::string> masquerade_prefixes_;
  // DR: the interface carrying the VIP, its MAC, and each pool entry's MAC (nullopt: not
  // resolved yet, the entry takes no new connection until it is).
  std::string device_;
  mac_address device_mac_{};
  std::vector<std::optional<mac_address>> pool_macs_;
  // Flow entries' idle timeout (DR: IPVS's TCP established 900 s, UDP 300 s).
  unsigned flow_timeout_ = 900;
  // DR: the ingress chain's priority. The kernel runs a newer chain *before* an older one of
  // equal priority, so each generation takes a later one: a draining older generation then
  // forwards its known flows first and lets the rest through to the newer.
  int priority_ = -100;
};

bool is_v6(const nft_service& s);

// The first transaction: the table (if new), the service's maps, chains and rules.
std::string nat_install(const nft_service& s);
// A pool change: the slot map, the masquerade set and the dispatch/postrouting rules, flushed
// and refilled in one transaction.
std::string nat_refill(const nft_service& s);
// Removes the service's objects (not the table).
std::string nat_remove(const nft_service& s);

std::string dr_install(const nft_service& s);
std::string dr_refill(const nft_service& s);
std::string dr_remove(const nft_service& s);
// A reload rebuilt or removed the service: only frames of known flows are forwarded (where
// they went); the others fall through to the next ingress chain (the new generation's).
std::string dr_drain(const nft_service& s);

// `delete table FAMILY T` for the last service of a table.
std::string table_remove(std::string_view family, std::string_view table);

// The probe of what this kernel offers (nft -c: checked by the kernel, never committed).
std::string probe_nat(bool v6, std::string_view table);
std::string probe_dr(bool v6, std::string_view table);

// One element of `nft list map|set` output: its key and data as nft prints them (a set's
// elements have no data).
struct map_element {
  std::string key_, data_;
};
std::vector<map_element> parse_map_listing(std::string_view listing);

// How nft prints a pool entry in a map's data: "10.0.0.2 . 80" (NAT), a MAC (DR).
std::string nat_target_text(const nft_service& s, const destination& d);

// How nft prints a pool entry in the NAT persistence map (IPv6: the address alone).
std::string persistence_target_text(const nft_service& s, const destination& d);
// IPv6 NAT persistence with real servers on different ports cannot be built (nft 1.0.6).
std::optional<std::string> ipv6_persistence_problem(const nft_service& s);

// `delete element` for the persistence entries whose data is one of `stale` (real servers
// that left the pool: IPVS invalidates their templates).
std::string persistence_purge(const nft_service& s, std::string_view family,
                              const std::vector<map_element>& listing,
                              const std::vector<std::string>& stale);

}  // namespace tandem::runtime::lvs::dataplane
