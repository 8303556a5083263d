// The one place where a keepalived model (parsers/keepalived/model.hpp) becomes what the VRRP
// daemon runs (runtime/vrrp/io/spec.hpp): addresses parsed, keepalived's defaults and
// corrections applied (v2 whole-second intervals, auth dropped for v3, global garp settings),
// trackers bound to what feeds them. What the runtime cannot run yet is an error with the
// line that asks for it, never ignored.
#pragma once

#include <string>
#include <vector>

#include "parsers/common/position.hpp"
#include "parsers/keepalived/model.hpp"
#include "runtime/assemble/keepalived_lvs.hpp"
#include "runtime/vrrp/io/spec.hpp"

namespace tandem::runtime::assemble {

struct keepalived_problem {
  parsers::source_position position_;
  std::string message_;
  bool error_ = true;  // false: a warning, the daemon still starts
};

struct keepalived_result {
  vrrp::io::daemon_spec spec_;
  lvs_result lvs_;  // the virtual_servers, for the LVS director
  std::vector<keepalived_problem> problems_;
  bool ok() const {
    for (const keepalived_problem& p : problems_) {
      if (p.error_) return false;
    }
    return true;
  }
};

keepalived_result assemble_keepalived(const parsers::keepalived::config& model);

// keepalived's split of a script line into words: blanks separate, single and double quotes
// group, a backslash escapes the next character.
std::vector<std::string> split_script_words(const std::string& line);

}  // namespace tandem::runtime::assemble
