// Where keepalived's virtual_server blocks (parsers/keepalived/model.hpp) become the LVS
// runtime's objects: a service_config for the scheduler and service state
// (runtime/lvs/scheduler/service.hpp) and one checker_spec per checker
// (runtime/lvs/checkers/spec.hpp), with keepalived 2.2.7's defaults and inheritance
// (checker <- real_server <- virtual_server) applied. What cannot run is reported at its line.
//
// How to drive it: assemble_lvs(config) once per (re)load; for each service_binding build a
// virtual_service from service_, and a checkers::runner per checkers_ entry whose verdicts go
// to virtual_service::checker_result(real_server_, checker_, up) (weights to set_weight()).
// The data path (not here) serves service_.address_/port_/protocol_ (or fwmark_, or the
// group's entries_) with lvs_method_.
#pragma once

#include <string>
#include <vector>

#include "parsers/common/position.hpp"
#include "parsers/keepalived/model.hpp"
#include "runtime/lvs/checkers/spec.hpp"
#include "runtime/lvs/scheduler/service.hpp"

namespace tandem::runtime::assemble {

struct lvs_problem {
  parsers::source_position position_;
  std::string message_;
  bool error_ = true;  // false: a warning, the service still runs
};

struct lvs_checker_binding {
  std::size_t real_server_ = 0;  // index in service_.real_servers_
  std::size_t checker_ = 0;      // index among that real server's checkers
  lvs::checkers::checker_spec spec_;
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
  lvs::service_config service_;
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

lvs_result assemble_lvs(const parsers::keepalived::config& config);

}  // namespace tandem::runtime::assemble
