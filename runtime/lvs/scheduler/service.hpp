// One keepalived virtual_server at run time, without IPVS: the pool of destinations as IPVS
// would hold it (added at the head, removed or set to weight 0 on failure), its scheduler,
// persistence templates, quorum with hysteresis, the sorry server, and keepalived 2.2.7's log
// lines and notify scripts for each change (check/ipwrapper.c). Pure and single-threaded: the
// checkers report through checker_result(), the data path asks schedule() for each new
// connection and reports connection counts; time and randomness come in schedule_context.
//
// How to drive it: build a service_config (runtime/assemble/keepalived_lvs does it from the
// model), construct, call start() once; then for each checker verdict checker_result(rs,
// checker, up) and for MISC_CHECK misc_dynamic set_weight(); for each new connection
// schedule(); when a connection becomes established / closes, connection_counts(); at shutdown
// stop(). Events (log lines, scripts to run) come out through the callback.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/lvs/scheduler/scheduler.hpp"

namespace tandem::runtime::lvs {

struct real_server_config {
  boost::asio::ip::address address_;
  std::uint16_t port_ = 0;
  int weight_ = 1;
  bool inhibit_on_failure_ = false;
  std::string notify_up_, notify_down_;
  // One entry per checker: true when it starts down (keepalived's alpha mode). A real server
  // without checkers is up for good.
  std::vector<bool> checkers_start_down_;
  std::optional<std::uint32_t> u_threshold_, l_threshold_;
  // A reload keeps a service whose configuration compares equal (runtime/lvs/director).
  friend bool operator==(const real_server_config&, const real_server_config&) = default;
};

struct service_config {
  // The address form: ip, port, protocol; or a firewall mark; or a group name.
  boost::asio::ip::address address_;
  std::uint16_t port_ = 0;
  protocol protocol_ = protocol::tcp;
  std::uint32_t fwmark_ = 0;
  std::string group_;

  std::string scheduler_;  // "" = wlc
  scheduler_flags flags_;
  std::optional<std::chrono::seconds> persistence_timeout_;
  unsigned granularity_v4_ = 32, granularity_v6_ = 128;  // prefix lengths
  bool expire_quiescent_template_ = false;  // IPVS sysctl, 0 by default
  unsigned quorum_ = 1, hysteresis_ = 0;
  std::string quorum_up_, quorum_down_;
  std::optional<real_server_config> sorry_server_;
  bool sorry_server_inhibit_ = false;
  bool omega_ = false;
  std::vector<real_server_config> real_servers_;

  // keepalived's FMT_VS: "[10.0.0.1]:tcp:80", "FWM 1", "[group]:80".
  std::string display() const;
  friend bool operator==(const service_config&, const service_config&) = default;
};

// keepalived's FMT_RS / inet_sockaddrtotrio: "[192.168.0.1]:tcp:8080".
std::string format_trio(const boost::asio::ip::address& a, protocol p, std::uint16_t port);

struct service_event {
  enum class kind { log, script } kind_ = kind::log;
  std::string text_;  // the log line, or the script's command line
};

// Where a new connection goes.
struct target {
  boost::asio::ip::address address_;
  std::uint16_t port_ = 0;
  std::optional<std::size_t> real_server_;  // index in service_config::real_servers_; nullopt: the sorry server
};

class virtual_service {
 public:
  virtual_service(service_config config, std::function<void(const service_event&)> events);

  // keepalived's init_service_vs: real servers without failed checkers join the pool, then
  // the quorum is settled (the sorry server added when it is not met).
  void start();
  // clear_service_vs at shutdown: "Shutting down service ... from VS ...", and with omega the
  // notify_down / quorum_down scripts.
  void stop();

  // A checker's verdict (keepalived's update_svr_checker_state): a real server is up when all
  // its checkers are.
  void checker_result(std::size_t rs, std::size_t checker, bool up);
  // MISC_CHECK misc_dynamic and similar: the real server's effective weight.
  void set_weight(std::size_t rs, int weight);

  std::optional<target> schedule(const connection& c, const schedule_context& ctx);
  // The data path's connection counts for a destination (what lc/wlc/... weigh).
  void connection_counts(const target& t, std::uint32_t active, std::uint32_t inactive);

  bool quorum_up() const { return quorum_up_; }
  bool alive(std::size_t rs) const { return servers_[rs].alive_; }
  int effective_weight(std::size_t rs) const { return servers_[rs].effective_weight_; }
  // The pool in IPVS's list order (newest first), for tests, stats and the data plane.
  std::span<const destination> pool() const { return pool_; }
  const service_config& config() const { return config_; }
  std::size_t persistence_templates() const { return templates_.size(); }

 private:
  struct server_state {
    bool alive_ = false;
    bool set_ = false;  // in the pool (with its weight, or 0 when inhibited)
    int effective_weight_ = 1;
    std::vector<bool> checker_up_, checker_has_run_;
    int failed_checkers_ = 0;
  };
  struct persistence_key {
    boost::asio::ip::address client_, vip_;
    std::uint16_t vport_ = 0;
    bool operator<(const persistence_key& o) const {
      return std::tie(client_, vip_, vport_) < std::tie(o.client_, o.vip_, o.vport_);
    }
  };
  struct template_entry {
    boost::asio::ip::address address_;
    std::uint16_t port_ = 0;
    clock::time_point expires_;
  };

  void log(std::string line);
  void script(const std::string& command);
  std::string rs_name(std::size_t rs) const;
  std::string sorry_name() const;
  long live_weight() const;
  void perform_state(std::size_t rs, bool alive);
  void update_quorum(bool init);
  void move_alive_servers(bool add);
  void pool_add(const boost::asio::ip::address& a, std::uint16_t port, int weight,
                std::optional<std::uint32_t> u, std::optional<std::uint32_t> l);
  void pool_remove(const boost::asio::ip::address& a, std::uint16_t port);
  void pool_weight(const boost::asio::ip::address& a, std::uint16_t port, int weight);
  // ipvs_cmd(ADD/DEL) for a real server, with inhibit_on_failure's weight 0 instead of removal.
  void ipvs_add(std::size_t rs);
  void ipvs_del(std::size_t rs);
  std::optional<std::size_t> find(const boost::asio::ip::address& a, std::uint16_t port) const;
  boost::asio::ip::address masked(const boost::asio::ip::address& a) const;

  service_config config_;
  std::function<void(const service_event&)> events_;
  std::unique_ptr<scheduler> scheduler_;
  std::vector<destination> pool_;
  std::vector<std::optional<std::uint32_t>> pool_u_, pool_l_;  // thresholds, parallel to pool_
  std::vector<server_state> servers_;
  bool sorry_alive_ = false, sorry_set_ = false;
  bool quorum_up_ = false;
  std::map<persistence_key, template_entry> templates_;
};

// A persistence_granularity value as a prefix length: a dotted IPv4 netmask
// ("255.255.255.0" = 24) or a number. nullopt when it is neither or not contiguous.
std::optional<unsigned> parse_granularity(std::string_view text, bool v6);

}  // namespace tandem::runtime::lvs
