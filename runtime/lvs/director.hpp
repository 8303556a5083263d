// The LVS director: what keepalived's checker process does with IPVS, without IPVS. From an
// lvs_result (runtime/lvs/binding.hpp, filled by assemble_lvs()) it runs, for each
// virtual_server, a virtual_service (pool, persistence, quorum, sorry server), its checkers
// (verdicts to checker_result, misc_dynamic weights to set_weight) and the data plane
// choose_plane() picks (nftables NAT/DR or user space; TANDEM_LVS_PLANE forces one), telling the
// plane after every pool change. Service events are keepalived's log lines and notify scripts.
// ha_suspend follows the VIP: checkers of such a service run only while the address is here (a
// VRRP instance holding it is MASTER, or, with no VRRP instance announcing it, the address is on
// an interface at start).
//
// How to drive it: construct on the io_context's executor; start(result) once (false: a service
// could not start, nothing runs, as keepalived's fatal configuration errors); reload() on SIGHUP
// (unchanged services keep their state, planes and flows; changed ones are rebuilt, their real
// servers keeping their checkers' verdicts where the checker is the same; the old planes of
// changed and removed ones drain: established connections finish); vrrp_state() from the VRRP
// daemon's state callback; stop() on SIGTERM. Single-threaded: everything on the executor's
// thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/lvs/binding.hpp"
#include "runtime/lvs/checkers/runner.hpp"
#include "runtime/lvs/dataplane/data_plane.hpp"
#include "runtime/lvs/scheduler/service.hpp"

namespace tandem::runtime::lvs {

struct director_options {
  std::function<void(std::string_view)> log_;
  // "(FILE: Line N) " for a position, so plane warnings and errors point at the service.
  std::function<std::string(const parsers::source_position&)> where_;
  // TANDEM_LVS_PLANE: one plane kind for every service ("" = choose_plane()'s choice).
  std::string forced_plane_;
  std::string table_name_ = "tandem_keepalived";
  std::chrono::seconds udp_timeout_{300};

  // Seams for tests; the defaults are the real ones.
  std::function<std::unique_ptr<dataplane::data_plane>(std::string_view kind,
                                                       dataplane::plane_context)>
      make_plane_;                                        // dataplane::make_plane
  std::function<schedule_context()> schedule_context_;    // steady clock, std random
  std::function<std::uint32_t(std::uint32_t)> random_below_;  // checkers' warmup
  std::function<bool(const boost::asio::ip::address&)> address_is_local_;  // getifaddrs
  std::function<void(const std::string&)> run_script_;    // checkers::run_script
  bool run_checkers_ = true;  // false: tests feed verdicts through checker_event()
};

class director {
 public:
  director(boost::asio::any_io_executor executor, director_options options);
  ~director();
  director(const director&) = delete;
  director& operator=(const director&) = delete;

  // Starts every service; false (reasons logged) when one cannot start: then none runs.
  bool start(lvs_result config);
  // SIGHUP. False when the new configuration cannot start: what ran before keeps running.
  bool reload(lvs_result config);
  // SIGTERM: checkers stop, planes remove everything they added, omega scripts run.
  void stop();

  // A VRRP instance changed state; `master` true when it now holds `vips`.
  void vrrp_state(const std::string& instance, bool master,
                  const std::vector<boost::asio::ip::address>& vips);

  // For tests and dumps.
  std::size_t size() const { return services_.size(); }
  virtual_service& service(std::size_t i);
  std::string_view plane_kind(std::size_t i) const;
  bool checker_active(std::size_t service, std::size_t checker) const;
  // What a runner reports, delivered as if it had run (tests without real checkers).
  void checker_event(std::size_t service, std::size_t checker, const checkers::checker_event& e);

 private:
  struct running;
  std::unique_ptr<running> build(lvs_service_binding binding, std::string& error,
                                 const running* previous = nullptr);
  bool start_service(running& r);
  void stop_service(running& r, bool omega, bool drain = false);
  void start_checker(running& r, std::size_t i);
  void on_checker(running& r, std::size_t i, const checkers::checker_event& e);
  void on_event(running& r, const service_event& e);
  void apply_suspension(running& r, bool initial);
  bool vip_here(const running& r) const;
  void log(std::string_view line) const;

  boost::asio::any_io_executor executor_;
  director_options options_;
  std::vector<std::unique_ptr<running>> services_;
  // Planes of services a reload removed or rebuilt, finishing their established connections.
  std::vector<std::unique_ptr<dataplane::data_plane>> draining_;
  // VRRP instances' state: name -> (master, its VIPs).
  std::map<std::string, std::pair<bool, std::vector<boost::asio::ip::address>>> vrrp_;
};

// The plane spec of one service (its addresses, protocol, forwarding).
dataplane::plane_spec plane_spec_of(const lvs_service_binding& b);

}  // namespace tandem::runtime::lvs
