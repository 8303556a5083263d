// What the VRRP daemon runs, in runtime terms: the state machine's instance_config plus what
// the adapters need around it (interface, transport, VIPs and routes as netlink takes them,
// trackers to run, notify commands). runtime/assemble/keepalived.cpp fills it from the
// keepalived model; nothing here knows the config language.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/vrrp/io/smtp.hpp"
#include "runtime/vrrp/ip_address.hpp"
#include "runtime/vrrp/state_machine.hpp"
#include "runtime/vrrp/time.hpp"
#include "runtime/vrrp/wire.hpp"

namespace tandem::runtime::vrrp::io {

// A virtual_ipaddress entry as RTM_NEWADDR takes it.
struct address_spec {
  ip_address address_;
  unsigned prefix_ = 32;
  std::optional<ip_address> broadcast_;
  std::optional<ip_address> peer_;
  std::string device_;  // the instance's interface unless `dev` was given
  std::string label_;
  std::uint8_t scope_ = 0;  // RT_SCOPE_UNIVERSE
  bool nodad_ = false;
  bool noprefixroute_ = false;
  bool home_ = false;
  std::string text_;  // as keepalived prints it in its data dump
  friend bool operator==(const address_spec&, const address_spec&) = default;
};

// A virtual_routes entry as RTM_NEWROUTE takes it.
struct route_spec {
  enum class kind : std::uint8_t { unicast, blackhole, unreachable, prohibit, throw_ };
  kind type_ = kind::unicast;
  address_family family_ = address_family::ipv4;
  std::optional<ip_address> destination_;  // nullopt: default
  unsigned prefix_ = 0;
  std::optional<ip_address> via_;
  std::optional<ip_address> source_;
  std::string device_;
  std::uint32_t table_ = 254;  // RT_TABLE_MAIN
  std::optional<std::uint32_t> metric_;
  std::uint8_t scope_ = 0;
  std::string text_;
  friend bool operator==(const route_spec&, const route_spec&) = default;
};

// A virtual_rules entry as RTM_NEWRULE takes it (action: look up `table_`).
struct rule_spec {
  address_family family_ = address_family::ipv4;
  std::optional<ip_address> from_;
  unsigned from_len_ = 0;
  std::optional<ip_address> to_;
  unsigned to_len_ = 0;
  std::uint32_t table_ = 254;
  std::optional<std::uint32_t> priority_;
  std::string iif_, oif_;
  std::optional<std::uint32_t> fwmark_, fwmask_;
  std::uint8_t tos_ = 0;
  std::string text_;
  friend bool operator==(const rule_spec&, const rule_spec&) = default;
};

enum class tracker_kind : std::uint8_t { script, interface, file, process };

// How an instance's tracker (instance_config::trackers_[i]) is fed.
struct tracker_binding {
  tracker_kind kind_ = tracker_kind::script;
  std::string target_;  // script name, interface name, track_file name, track_process name
  friend bool operator==(const tracker_binding&, const tracker_binding&) = default;
};

struct notify_spec {
  std::string master_, backup_, fault_, stop_, any_;  // any_: `notify` (four arguments)
  friend bool operator==(const notify_spec&, const notify_spec&) = default;
};

struct instance_spec {
  instance_config config_;
  std::string interface_;
  // use_vmac: a macvlan on interface_ with the VRRP MAC (00:00:5e:00:01:VRID, :02: for IPv6)
  // carries the adverts, the VIPs and their GARPs; empty: none.
  std::string vmac_;
  transport_config transport_;
  std::optional<ip_address> source_;  // unicast_src_ip / mcast_src_ip; else the interface's
  std::vector<address_spec> vips_;      // virtual_ipaddress (all families)
  std::vector<address_spec> excluded_;  // virtual_ipaddress_excluded
  std::vector<route_spec> routes_;
  std::vector<rule_spec> rules_;
  std::vector<tracker_binding> trackers_;  // parallel to config_.trackers_
  notify_spec notify_;
  bool smtp_alert_ = false;  // the instance's smtp_alert, else global_defs' smtp_alert
  std::string sync_group_;  // empty: none
};

struct script_spec {
  std::string name_;
  std::vector<std::string> argv_;  // argv_[0] resolved through PATH when not absolute
  std::string text_;               // as written
  duration interval_ = std::chrono::seconds(1);
  duration timeout_ = std::chrono::seconds(1);
  int rise_ = 1, fall_ = 1;
  bool init_fail_ = false;
  std::string user_, group_;  // empty: the default script user
};

struct track_file_spec {
  std::string name_;
  std::string path_;
  std::optional<long> init_file_;
};

struct track_process_spec {
  std::string name_;
  std::string process_;
  std::vector<std::string> parameters_;
  bool param_match_initial_ = false;
  bool full_command_ = false;
  unsigned quorum_ = 1;
  unsigned quorum_max_ = ~0u;
  duration delay_{};
};

struct sync_group_spec {
  std::string name_;
  std::vector<std::string> members_;
  notify_spec notify_;
  bool tracking_weight_ = false;
  bool smtp_alert_ = false;  // the group's smtp_alert, else global_defs' smtp_alert
};

struct daemon_spec {
  std::vector<instance_spec> instances_;
  std::vector<script_spec> scripts_;
  std::vector<track_file_spec> files_;
  std::vector<track_process_spec> processes_;
  std::vector<sync_group_spec> groups_;
  std::string script_user_, script_group_;  // global_defs script_user
  bool enable_script_security_ = false;
  std::string router_id_;
  smtp_settings smtp_;  // router_id_ and helo_ empty: the host name
};

}  // namespace tandem::runtime::vrrp::io
