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
#include "runtime/lvs/binding.hpp"
#include "runtime/lvs/scheduler/service.hpp"

namespace tandem::runtime::assemble {

using lvs::lvs_checker_binding;
using lvs::lvs_group_entry;
using lvs::lvs_problem;
using lvs::lvs_result;
using lvs::lvs_service_binding;

lvs_result assemble_lvs(const parsers::keepalived::config& config);

}  // namespace tandem::runtime::assemble
