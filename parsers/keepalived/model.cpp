// Look-ups on the keepalived model (see model.hpp).
#include "parsers/keepalived/model.hpp"

namespace tandem::parsers::keepalived {

const vrrp_script* config::find_script(const std::string& name) const {
  for (const vrrp_script& s : vrrp_scripts_) {
    if (s.name_ == name) return &s;
  }
  return nullptr;
}

const vrrp_instance* config::find_instance(const std::string& name) const {
  for (const vrrp_instance& i : vrrp_instances_) {
    if (i.name_ == name) return &i;
  }
  return nullptr;
}

}  // namespace tandem::parsers::keepalived
