// The LVS schedulers: which real server takes a new connection of a virtual service, with the
// semantics of the kernel's IPVS schedulers (net/netfilter/ipvs/ip_vs_*.c), one file each
// behind the `scheduler` interface and a registry by name. A scheduler sees the service's
// destinations as a list in configuration order (IPVS's svc->destinations), with their weights
// and connection counts; randomness and the clock come in through `schedule_context`, so tests
// are deterministic. Persistence, quorum and the sorry server are the service's (service.hpp).
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::runtime::lvs {

enum class protocol : std::uint8_t { tcp = 6, udp = 17, sctp = 132 };

// The connection being scheduled: its first packet's addresses, as IPVS reads them.
struct connection {
  boost::asio::ip::address source_;
  std::uint16_t source_port_ = 0;
  boost::asio::ip::address destination_;
  std::uint16_t destination_port_ = 0;
  protocol protocol_ = protocol::tcp;
  std::uint32_t fwmark_ = 0;
};

// One real server as the scheduler sees it. `weight_` 0: no new connections (IPVS's quiesced
// server); `overloaded_`: IPVS's IP_VS_DEST_F_OVERLOAD (u_threshold reached).
struct destination {
  boost::asio::ip::address address_;
  std::uint16_t port_ = 0;
  int weight_ = 1;
  std::uint32_t active_ = 0;    // established connections
  std::uint32_t inactive_ = 0;  // others (TIME_WAIT, FIN_WAIT, UDP ...)
  bool overloaded_ = false;
};

// IPVS's ip_vs_dest_conn_overhead(): what lc, wlc, lblc, lblcr and twos compare.
inline std::uint64_t conn_overhead(const destination& d) {
  return (std::uint64_t{d.active_} << 8) + d.inactive_;
}

using clock = std::chrono::steady_clock;

struct schedule_context {
  clock::time_point now_{};
  // A uniform random number in [0, bound); bound > 0. Only twos draws.
  std::function<std::uint32_t(std::uint32_t bound)> random_below_;
};

// The scheduler flags of keepalived's virtual_server (ipvsadm -b): sh-port, sh-fallback,
// mh-port, mh-fallback (flag-1/2/3 are the same bits, named by position).
struct scheduler_flags {
  bool sh_port_ = false, sh_fallback_ = false;
  bool mh_port_ = false, mh_fallback_ = false;
  friend bool operator==(const scheduler_flags&, const scheduler_flags&) = default;
};

class scheduler {
 public:
  virtual ~scheduler() = default;
  virtual std::string_view name() const = 0;

  // What changed in the destination list: IPVS's add_dest (a new destination goes to the list's
  // head, index 0), del_dest (the one that was at `index`) or upd_dest (weight or flags).
  struct change {
    enum class kind { added, removed, updated, reset } kind_ = kind::reset;
    std::size_t index_ = 0;
  };
  // Called after each change, with the list as it now is. Hashing schedulers rebuild their
  // tables here; rr and wrr move their cursor as IPVS does.
  virtual void destinations_changed(std::span<const destination> dests, const change& c) = 0;

  // The destination for a new connection (an index into `dests`, which must be the list last
  // passed to destinations_changed, counts updated in place), or nullopt: IPVS's "no
  // destination available".
  virtual std::optional<std::size_t> schedule(const connection& c,
                                              std::span<const destination> dests,
                                              const schedule_context& ctx) = 0;
};

// The registry: rr wrr lc wlc sed nq lblc lblcr dh sh mh fo ovf twos. nullptr for an unknown
// name. An empty name is IPVS's default, wlc.
std::unique_ptr<scheduler> make_scheduler(std::string_view name, const scheduler_flags& flags = {});
std::span<const std::string_view> scheduler_names();

}  // namespace tandem::runtime::lvs
