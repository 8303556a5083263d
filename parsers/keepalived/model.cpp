// Look-ups on the keepalived model (see model.hpp).
#include "parsers/keepalived/model.hpp"

namespace tandem::parsers::keepalived {

bool ah_clears_master(const vrrp_instance& i) {
  return i.authentication_ && i.authentication_->type_ == authentication::kind::ah &&
         !i.authentication_->password_.empty() && i.version_ == 2 && i.priority_ != 255 &&
         (i.virtual_ipaddresses_.empty() || i.virtual_ipaddresses_.front().family_ == 4);
}

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
