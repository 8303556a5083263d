// What the LVS director runs (runtime/lvs/director.hpp), as runtime/assemble/keepalived_lvs
// builds it from a keepalived model: per virtual_server its service_config, checker specs,
// group entries and forwarding method, with the configuration positions for messages. Defined
// here, below assemble, so the director depends on the LVS runtime only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "parsers/common/position.hpp"
#include "runtime/lvs/checkers/spec.hpp"
#include "runtime/lvs/scheduler/service.hpp"

namespace tandem::runtime::lvs {

struct lvs_problem {
  parsers::source_position position_;
  std::string message_;
  bool error_ = true;  // false: a warning, the service still runs
};

struct lvs_checker_binding {
  std::size_t real_server_ = 0;  // index in service_.real_servers_
  std::size_t checker_ = 0;      // index among that real server's checkers
  checkers::checker_spec spec_;
  parsers::source_position position_;
};

// One entry of a virtual_server_group: an address range and port, or a firewall mark.
struct lvs_group_entry {
  boost::asio::ip::address first_, last_;
  std::uint16_t port_ = 0;
  std::uint32_t fwmark_ = 0;
  friend bool operator==(const lvs_group_entry&, const lvs_group_entry&) = default;
};

struct lvs_service_binding {
  service_config service_;
  std::vector<lvs_checker_binding> checkers_;
  std::vector<lvs_group_entry> group_entries_;
  std::string lvs_method_ = "NAT";  // NAT, DR or TUN
  std::vector<std::string> real_server_methods_;  // per real server ("" = the service's)
  bool ha_suspend_ = false;
  bool ops_ = false;
  parsers::source_position position_;
};

struct lvs_result {
  std::vector<lvs_service_binding> services_;
  std::vector<lvs_problem> problems_;
  bool ok() const {
    for (const auto& p : problems_)
      if (p.error_) return false;
    return true;
  }
};

}  // namespace tandem::runtime::lvs
