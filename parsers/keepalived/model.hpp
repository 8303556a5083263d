// The typed keepalived configuration: what a keepalived.conf means once read, with keepalived
// 2.2.7's defaults filled in. Plain structs (no parser types), so the linter, `migrate`, the
// VRRP runtime (issue 7) and the LVS runtime (issue 8) all read the same thing. Every object
// keeps the position of the statement that made it, for diagnostics that point at the source.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parsers/common/position.hpp"

namespace tandem::parsers::keepalived {

struct located {
  std::string value_;
  source_position position_;
};

// A virtual_ipaddress / virtual_ipaddress_excluded / static_ipaddress entry:
// IP[/PREFIX] [brd IP] [dev IF] [scope SCOPE] [label LABEL] [peer IP] [home] [-nodad]
// [noprefixroute] [autojoin] [no_track] [preferred_lft N] [track_group NAME].
struct ip_address {
  std::string address_;  // without the prefix
  int family_ = 4;       // 4 or 6
  unsigned prefix_ = 32;  // 32 / 128 when not given, as keepalived
  bool prefix_given_ = false;
  std::string broadcast_, device_, scope_, label_, peer_, track_group_, preferred_lft_;
  bool home_ = false, nodad_ = false, noprefixroute_ = false, autojoin_ = false,
       no_track_ = false;
  source_position position_;
};

// A virtual_routes / static_routes entry, or a virtual_rules / static_rules entry. Routes and
// rules are passed to the kernel as written; the model keeps the words and the parts a check
// or the runtime needs.
struct route {
  std::vector<std::string> words_;  // as written (old `gw` / `or` kept: see via_)
  std::string type_;                // "", "blackhole", "unreachable", "prohibit", "throw"
  std::string destination_;         // IP/PREFIX or "default"
  std::string via_, source_, device_, table_;
  source_position position_;
};

struct rule {
  std::vector<std::string> words_;
  std::string from_, to_, table_;
  source_position position_;
};

// A track_script / track_interface / track_file / track_process / track_bfd entry.
struct tracked {
  std::string name_;
  std::optional<int> weight_;  // the entry's own `weight N`, overriding the tracked object's
  bool reverse_ = false;       // `weight N reverse`
  source_position position_;
};

struct authentication {
  enum class kind { none, pass, ah };
  kind type_ = kind::none;
  std::string password_;  // after keepalived's truncation to 8 characters
  source_position position_;
};

struct vrrp_script {
  std::string name_;
  std::string script_;  // the command line as written (keepalived splits it when running)
  double interval_ = 1;                // seconds
  std::optional<double> timeout_;      // default: interval_
  int weight_ = 0;
  bool weight_reverse_ = false;
  int rise_ = 1, fall_ = 1;
  bool init_fail_ = false;
  std::string user_, group_;  // `user USER [GROUP]`
  source_position position_;
};

struct vrrp_track_process {
  std::string name_;
  std::string process_;
  std::vector<std::string> parameters_;
  bool param_match_initial_ = false;
  int weight_ = 0;
  bool weight_reverse_ = false;
  unsigned quorum_ = 1;
  std::optional<unsigned> quorum_max_;
  double delay_ = 0, terminate_delay_ = 0, fork_delay_ = 0;
  bool full_command_ = false;
  source_position position_;
};

struct vrrp_track_file {
  std::string name_;
  std::string file_;
  int weight_ = 1;
  bool weight_reverse_ = false;
  std::optional<long> init_file_;
  source_position position_;
};

enum class vrrp_state { backup, master };

struct vrrp_instance {
  std::string name_;
  vrrp_state state_ = vrrp_state::backup;  // keepalived's initial state (wantstate)
  bool state_given_ = false;
  std::string interface_;
  std::optional<int> virtual_router_id_;
  // keepalived: 100 by default, 255 (the address owner's) for a MASTER without priority.
  int priority_ = 100;
  bool priority_given_ = false;
  double advert_int_ = 1;
  int version_ = 2;  // the instance's `version`, else global vrrp_version, else 2
  bool version_given_ = false;
  std::optional<authentication> authentication_;
  std::vector<ip_address> virtual_ipaddresses_;
  std::vector<ip_address> virtual_ipaddresses_excluded_;
  std::vector<route> virtual_routes_;
  std::vector<rule> virtual_rules_;
  std::string unicast_src_ip_;
  std::vector<located> unicast_peers_;
  std::string mcast_src_ip_;
  std::vector<tracked> track_scripts_, track_interfaces_, track_files_, track_processes_,
      track_bfds_;
  std::string notify_master_, notify_backup_, notify_fault_, notify_stop_, notify_;
  std::optional<bool> smtp_alert_;
  bool nopreempt_ = false;
  double preempt_delay_ = 0;
  std::optional<bool> accept_;  // accept / no_accept
  bool use_vmac_ = false;
  std::string vmac_name_;
  bool dont_track_primary_ = false;
  std::optional<double> garp_master_delay_, garp_master_refresh_;
  std::optional<int> garp_master_repeat_, garp_master_refresh_repeat_;
  std::string lvs_sync_daemon_interface_;
  source_position position_;
  source_position state_position_, priority_position_, vrid_position_, advert_position_,
      version_position_, interface_position_, nopreempt_position_;
};

// keepalived 2.2.7 starts a MASTER with AH authentication as BACKUP unless it owns the
// addresses (priority 255): it must hear an advert for the AH sequence number before taking
// over. Not for VRRPv3 or IPv6, where keepalived drops the authentication instead.
bool ah_clears_master(const vrrp_instance& i);

struct vrrp_sync_group {
  std::string name_;
  std::vector<located> instances_;
  std::string notify_master_, notify_backup_, notify_fault_, notify_stop_, notify_;
  std::optional<bool> smtp_alert_;
  std::vector<tracked> track_scripts_, track_interfaces_, track_files_, track_processes_;
  source_position position_;
};

struct url_check {
  std::string path_;
  std::string digest_;
  std::vector<std::string> status_codes_;  // "200", "200-299"
  std::string virtualhost_;
  std::string regex_;
  bool regex_no_match_ = false;
  source_position position_;
};

enum class checker_kind {
  tcp, http_get, ssl_get, misc, smtp, dns, udp, ping, file, bfd
};

struct checker {
  checker_kind kind_ = checker_kind::tcp;
  std::string connect_ip_;
  std::optional<unsigned> connect_port_;
  std::string bindto_;
  std::optional<unsigned> bind_port_;
  std::string bind_if_;
  std::optional<double> connect_timeout_;  // keepalived: 5 s
  std::optional<unsigned> retry_;          // also the old nb_get_retry
  std::optional<double> delay_before_retry_, warmup_, delay_loop_;
  std::optional<unsigned> fwmark_;
  std::vector<url_check> urls_;        // HTTP_GET / SSL_GET
  std::string misc_path_;              // MISC_CHECK
  std::optional<double> misc_timeout_;
  bool misc_dynamic_ = false;
  std::string helo_name_;              // SMTP_CHECK
  std::string dns_type_, dns_name_;    // DNS_CHECK
  std::string payload_;                // UDP_CHECK
  bool require_reply_ = false;
  std::string track_file_;             // FILE_CHECK
  std::string bfd_name_;               // BFD_CHECK
  std::optional<bool> alpha_;          // the checker's own alpha
  bool log_all_failures_ = false;
  std::string require_reply_hex_;      // UDP_CHECK require_reply HEX_STR
  std::string http_protocol_;          // HTTP_GET/SSL_GET: "1.0", "1.0C", "1.1" ("" = 1.0)
  bool enable_sni_ = false;            // SSL_GET
  source_position position_;
};

struct real_server {
  std::string address_;
  std::optional<unsigned> port_;
  int weight_ = 1;
  bool inhibit_on_failure_ = false;
  std::string lvs_method_;  // "" = the virtual server's
  std::string notify_up_, notify_down_;
  std::optional<unsigned> uthreshold_, lthreshold_;
  std::vector<checker> checkers_;
  // Checker settings written at the real_server level, the defaults of its checkers.
  std::optional<double> connect_timeout_, delay_before_retry_, warmup_, delay_loop_;
  std::optional<unsigned> retry_;
  std::optional<bool> alpha_;
  source_position position_;
};

struct virtual_server {
  enum class kind { address, fwmark, group };
  kind kind_ = kind::address;
  std::string address_;             // kind address
  std::optional<unsigned> port_;
  unsigned fwmark_ = 0;             // kind fwmark
  std::string group_;               // kind group
  double delay_loop_ = 60;
  std::string lvs_sched_;           // "" = IPVS's default (wlc)
  std::string lvs_method_ = "NAT";  // keepalived's default when none is set
  bool lvs_method_given_ = false;
  std::optional<unsigned> persistence_timeout_;  // 360 when written without a value
  std::string persistence_granularity_;
  std::string protocol_ = "TCP";
  bool protocol_given_ = false;
  bool ha_suspend_ = false;
  std::string virtualhost_;
  bool alpha_ = false, omega_ = false;
  unsigned quorum_ = 1, hysteresis_ = 0;
  std::string quorum_up_, quorum_down_;
  std::optional<real_server> sorry_server_;
  bool sorry_server_inhibit_ = false;
  std::optional<bool> smtp_alert_;
  std::vector<real_server> real_servers_;
  // Checker settings written at the virtual_server level, the defaults of its checkers.
  std::optional<double> connect_timeout_, delay_before_retry_, warmup_;
  std::optional<unsigned> retry_;
  // Scheduler flags (ipvsadm -b): sh-port, sh-fallback, mh-port, mh-fallback (flag-1/2/3 are
  // the same bits by position); ops: one-packet scheduling for UDP.
  bool sh_port_ = false, sh_fallback_ = false, mh_port_ = false, mh_fallback_ = false, ops_ = false;
  source_position position_;
  source_position sched_position_, method_position_, persistence_position_;
};

struct virtual_server_group {
  std::string name_;
  std::vector<located> entries_;  // "IP[-LAST] PORT" or "fwmark N"
  source_position position_;
};

struct global_defs {
  std::string router_id_;
  std::vector<located> notification_email_;
  std::string notification_email_from_;
  std::string smtp_server_;
  std::optional<unsigned> smtp_server_port_;
  double smtp_connect_timeout_ = 30;
  std::string smtp_helo_name_;
  bool smtp_alert_ = false;
  std::string script_user_, script_group_;
  bool enable_script_security_ = false;
  std::optional<int> vrrp_version_;
  bool vrrp_strict_ = false;
  std::string vrrp_mcast_group4_, vrrp_mcast_group6_;
  std::optional<double> vrrp_garp_master_delay_, vrrp_garp_master_refresh_,
      vrrp_garp_interval_, vrrp_gna_interval_;
  std::optional<int> vrrp_garp_master_repeat_, vrrp_garp_master_refresh_repeat_;
  bool vrrp_skip_check_adv_addr_ = false, vrrp_check_unicast_src_ = false;
  std::string default_interface_;
  bool dynamic_interfaces_ = false;
  source_position position_, script_security_position_;
};

struct config {
  global_defs global_;
  std::vector<vrrp_script> vrrp_scripts_;
  std::vector<vrrp_track_process> track_processes_;
  std::vector<vrrp_track_file> track_files_;
  std::vector<vrrp_instance> vrrp_instances_;
  std::vector<vrrp_sync_group> sync_groups_;
  std::vector<ip_address> static_ipaddresses_;
  std::vector<route> static_routes_;
  std::vector<rule> static_rules_;
  std::vector<virtual_server> virtual_servers_;
  std::vector<virtual_server_group> virtual_server_groups_;
  std::vector<located> bfd_instances_;  // names; their settings are not modelled yet

  const vrrp_script* find_script(const std::string& name) const;
  const vrrp_instance* find_instance(const std::string& name) const;
};

}  // namespace tandem::parsers::keepalived
