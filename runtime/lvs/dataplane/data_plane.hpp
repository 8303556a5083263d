// The L4 data planes that carry a keepalived virtual_server's traffic without the kernel's IPVS
// (issue 8, item 3), behind one interface with a registry by kind, like the schedulers:
//   - "nftables-nat": the kernel's nftables dnat (lb_kind NAT), with masquerade where replies
//     would not come back through the director;
//   - "nftables-dr":  netdev ingress rewriting the destination MAC and forwarding (lb_kind DR);
//   - "user-space":   full NAT for TCP and UDP in Tandem's process, always available.
// A plane reads the pool it serves from its virtual_service (runtime/lvs/scheduler/service.hpp)
// and asks it to schedule() where it makes decisions itself; it reports connection counts back
// with connection_counts(). Everything runs on the director's executor (one thread).
//
// How to drive it: choose_plane(spec) says which kind serves a spec on this kernel (and what to
// warn about); make_plane(kind, context) builds it; start() installs it; pool_changed() after
// every virtual_service call that may have changed pool(); stop() removes everything it added.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>

#include "runtime/lvs/scheduler/service.hpp"

namespace tandem::runtime::lvs::dataplane {

enum class forwarding : std::uint8_t { nat, dr, tun };

// One address range the service answers on (virtual_server IP PORT has first_ == last_;
// a virtual_server_group entry may be a range), or a firewall mark.
struct vip_entry {
  boost::asio::ip::address first_, last_;
  std::uint16_t port_ = 0;  // 0: every port (IPVS's persistent port-0 services)
  std::uint32_t fwmark_ = 0;  // non-zero: the entry is `fwmark N`, addresses unset
};

struct plane_spec {
  std::string display_;            // keepalived's FMT_VS, for messages
  std::vector<vip_entry> vips_;    // at least one
  protocol protocol_ = protocol::tcp;
  forwarding method_ = forwarding::nat;
  std::vector<forwarding> real_server_methods_;  // parallel to the service's real_servers_
  std::optional<std::chrono::seconds> persistence_timeout_;
  // The service's lb_algo (service_config::scheduler_, "" = wlc). The chooser needs it: under
  // NAT the connection-count schedulers go to user space (runtime/lvs/README.md says why).
  // nullopt: not known here, the nftables planes read it from the service at start().
  std::optional<std::string> scheduler_;
  // Where the nftables planes name their objects: one table per keepalived process, so two
  // directors in one namespace (and a reload's old and new generation) never collide.
  std::string table_name_ = "tandem_keepalived";
  // How long an idle UDP flow lives (IPVS's udp timeout, `ipvsadm --set`'s third value).
  std::chrono::seconds udp_timeout_{300};
};

struct plane_context {
  boost::asio::any_io_executor executor_;
  virtual_service* service_ = nullptr;  // outlives the plane
  plane_spec spec_;
  // keepalived-style log line (the director prefixes nothing).
  std::function<void(std::string_view)> log_;
  // Clock and randomness for virtual_service::schedule(); tests pass fixed ones.
  std::function<schedule_context()> schedule_context_;
};

class data_plane {
 public:
  virtual ~data_plane() = default;
  virtual std::string_view kind() const = 0;
  // Installs the rules or opens the sockets. On failure nothing is left installed and `why`
  // says what to do (the director logs it and refuses the service, as keepalived would).
  virtual bool start(std::string& why) = 0;
  // The service's pool (weights, members) changed: mirror it. Established flows keep going.
  virtual void pool_changed() = 0;
  // Removes every rule, socket and conntrack subscription the plane added. Idempotent.
  virtual void stop() = 0;
  // A reload removed or rebuilt the service: take no new connections, but let established ones
  // finish without the service (which is going away: a draining plane no longer calls it).
  // stop() still ends them. The default stops at once (the nftables planes' established flows
  // live on in conntrack without their rules).
  virtual void drain() { stop(); }
};

// Which kind serves `spec` here, and the warnings to log at the service's line (for example:
// "lb_kind TUN needs the kernel's ipip module, which this kernel lacks" is an error instead).
struct plane_choice {
  std::string kind_;                  // "" when no plane can serve it: error_ says why
  std::vector<std::string> warnings_;
  std::string error_;
};
plane_choice choose_plane(const plane_spec& spec);

// nullptr when `kind` is unknown.
std::unique_ptr<data_plane> make_plane(std::string_view kind, plane_context context);

// The kinds, for messages and tests.
std::vector<std::string_view> plane_kinds();

// Factories, one per file (registry.cpp lists them).
std::unique_ptr<data_plane> make_user_space_plane(plane_context context);
std::unique_ptr<data_plane> make_nftables_nat_plane(plane_context context);
std::unique_ptr<data_plane> make_nftables_dr_plane(plane_context context);
// What the nftables planes can do on this kernel (probed once, cached): nullopt when they can
// serve `spec`, else the reason (the chooser then takes the user-space path with a warning).
std::optional<std::string> nftables_unsuitable(const plane_spec& spec);

}  // namespace tandem::runtime::lvs::dataplane
