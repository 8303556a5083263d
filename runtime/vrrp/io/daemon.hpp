// The VRRP daemon: the pure instances (state_machine.hpp) wired to the world on one Asio
// io_context, with no blocking calls: a raw IPPROTO_VRRP socket per instance (IPv4 with
// IP_HDRINCL as the codec builds it, IPv6 with the kernel's checksum), VIPs and routes through
// rtnetlink, gratuitous ARP / unsolicited NA on a packet socket, link state from RTMGRP_LINK,
// vrrp_script / track_file / track_process trackers, notify scripts, a timer per instance.
// Log lines are keepalived 2.2.7's words; tools/keepalived_front.cpp decides where they go.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "runtime/vrrp/io/spec.hpp"

namespace tandem::runtime::vrrp::io {

struct daemon_options {
  std::function<void(std::string_view)> log_;
  bool log_detail_ = false;  // -D: the per-message GARP lines
  std::string data_file_ = "/tmp/keepalived.data";
  std::string stats_file_ = "/tmp/keepalived.stats";
  // Every state change of an instance, after its "Entering ... STATE" line: the instance's
  // name, its new state ("MASTER", "BACKUP", "FAULT"; "STOP" when it stops) and its
  // virtual_ipaddress addresses. The LVS director's ha_suspend follows MASTER here.
  std::function<void(const std::string& instance, std::string_view state,
                     const std::vector<std::string>& vips)>
      on_state_change_;
};

class daemon {
 public:
  daemon(boost::asio::io_context& io, daemon_spec spec, daemon_options options);
  ~daemon();
  daemon(const daemon&) = delete;
  daemon& operator=(const daemon&) = delete;

  // Opens the sockets and starts every instance; false (with the reason logged) when the
  // daemon cannot run at all.
  bool start();
  // keepalived's stop: masters send priority 0, VIPs and routes go, notify_stop runs; all
  // sockets and timers are closed, so the io_context runs out of work.
  void stop();
  // SIGHUP: instances whose configuration is unchanged keep their state; others restart.
  void reload(daemon_spec spec);
  // SIGUSR1 / SIGUSR2: keepalived's data and stats dumps.
  void dump_data();
  void dump_stats();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace tandem::runtime::vrrp::io
