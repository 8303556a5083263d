// What the nftables planes ask of the host: run an `nft -f -` transaction (the tandem binary
// is static and Debian ships libnftables as a shared library only, so the planes drive
// /usr/sbin/nft), the interfaces with their addresses and MACs, a neighbour's MAC (probed
// first), and whether the kernel forwards.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "runtime/lvs/dataplane/nftables_rules.hpp"

namespace tandem::runtime::lvs::dataplane {

struct nft_result {
  bool ok_ = false;
  std::string output_;  // stdout
  std::string errors_;  // stderr, or why nft could not run
};

// `/usr/sbin/nft [-c] -f -` with `script` on stdin. check_only: the kernel checks the
// transaction and nothing is committed.
nft_result run_nft(std::string_view script, bool check_only = false);
// `/usr/sbin/nft ARGS...` (listings).
nft_result run_nft_args(const std::vector<std::string>& args);

struct interface_address {
  boost::asio::ip::address address_;
  unsigned prefix_ = 0;
};

struct interface_info {
  std::string name_;
  int index_ = 0;
  mac_address mac_{};
  std::vector<interface_address> addresses_;
};

std::vector<interface_info> list_interfaces();

// The interface holding `a` as one of its addresses, else the one whose connected prefix
// contains it (the longest). nullptr when none does.
const interface_info* interface_for(const std::vector<interface_info>& ifs,
                                    const boost::asio::ip::address& a);
// "10.0.0.0/24": the connected prefix of `ifs` that contains `a`, if any.
std::optional<std::string> connected_prefix(const std::vector<interface_info>& ifs,
                                            const boost::asio::ip::address& a);
bool prefix_contains(const interface_address& p, const boost::asio::ip::address& a);

// The neighbour table's MAC for `a` on interface `ifindex` (reachable, stale, delay, probe
// or permanent entries), nullopt when not known.
std::optional<mac_address> neighbour_mac(const boost::asio::ip::address& a, int ifindex);
// Makes the kernel resolve `a`: one UDP datagram to its discard port.
void probe_neighbour(const boost::asio::ip::address& a);

// /proc/sys/net/ipv{4,6}/.../forwarding
bool forwarding_enabled(bool v6);

}  // namespace tandem::runtime::lvs::dataplane
