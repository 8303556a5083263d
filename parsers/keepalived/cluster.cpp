// Cross-file checks of keepalived configurations (see cluster.hpp).
#include "parsers/keepalived/cluster.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "parsers/keepalived/codes.hpp"

namespace tandem::parsers::keepalived {

namespace {

std::string where(const source_registry& sources, source_position p) {
  const std::string name = sources.contains(p.file_) ? sources.file(p.file_).name() : "?";
  return name + ":" + std::to_string(p.line_);
}

std::string vips(const vrrp_instance& i) {
  std::set<std::string> s;
  for (const ip_address& a : i.virtual_ipaddresses_) {
    s.insert(a.address_ + "/" + std::to_string(a.prefix_));
  }
  std::string out;
  for (const std::string& a : s) out += (out.empty() ? "" : " ") + a;
  return out.empty() ? "(none)" : out;
}

std::string auth(const vrrp_instance& i) {
  if (!i.authentication_ || i.authentication_->type_ == authentication::kind::none) return "none";
  return (i.authentication_->type_ == authentication::kind::pass ? "PASS " : "AH ") +
         i.authentication_->password_;
}

std::string number(double d) {
  std::string s = std::to_string(d);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

void check_cluster(std::span<const cluster_member> members, const source_registry& sources,
                   diagnostics& diags) {
  for (std::size_t x = 0; x < members.size(); ++x) {
    for (const vrrp_instance& b : members[x].model_->vrrp_instances_) {
      for (std::size_t y = 0; y < x; ++y) {
        const vrrp_instance* a = members[y].model_->find_instance(b.name_);
        if (!a) continue;
        auto differ = [&](std::string what, const std::string& va, source_position pa,
                          const std::string& vb, source_position pb) {
          if (va == vb) return;
          diagnostic& d = diags.add(
              severity::error, codes::cluster_mismatch, pb.line_ ? pb : b.position_,
              "vrrp_instance " + b.name_ + ": " + what + " is " + vb + " here but " + va +
                  " in " + where(sources, pa.line_ ? pa : a->position_),
              "every machine of one VRRP instance must use the same " + what);
          sources.attach_include_chain(d);
        };
        differ("virtual_router_id", a->virtual_router_id_ ? std::to_string(*a->virtual_router_id_) : "unset",
               a->vrid_position_, b.virtual_router_id_ ? std::to_string(*b.virtual_router_id_) : "unset",
               b.vrid_position_);
        differ("the virtual addresses", vips(*a), a->position_, vips(b), b.position_);
        differ("advert_int", number(a->advert_int_), a->advert_position_, number(b.advert_int_),
               b.advert_position_);
        differ("authentication", auth(*a),
               a->authentication_ ? a->authentication_->position_ : a->position_, auth(b),
               b.authentication_ ? b.authentication_->position_ : b.position_);
        differ("VRRP version", std::to_string(a->version_), a->version_position_,
               std::to_string(b.version_), b.version_position_);
        if (a->priority_ == b.priority_) {
          diags.add(severity::warning, codes::cluster_priority,
                    b.priority_position_.line_ ? b.priority_position_ : b.position_,
                    "vrrp_instance " + b.name_ + ": priority " + std::to_string(b.priority_) +
                        " here and in " +
                        where(sources, a->priority_position_.line_ ? a->priority_position_ : a->position_) +
                        ": the election falls to the higher IP address",
                    "give each machine its own priority (e.g. 101 on the master, 100 on the backup)");
        }
        // Unicast: each side's peers must include the other side's source address.
        auto peers_of = [](const vrrp_instance& i) {
          std::set<std::string> s;
          for (const located& p : i.unicast_peers_) s.insert(p.value_);
          return s;
        };
        if (!a->unicast_peers_.empty() || !b.unicast_peers_.empty()) {
          if (!b.unicast_src_ip_.empty() && !a->unicast_peers_.empty() &&
              peers_of(*a).count(b.unicast_src_ip_) == 0) {
            diags.add(severity::error, codes::cluster_peer, b.position_,
                      "vrrp_instance " + b.name_ + ": unicast_src_ip " + b.unicast_src_ip_ +
                          " here is not among the unicast_peer addresses in " +
                          where(sources, a->unicast_peers_.front().position_),
                      "add " + b.unicast_src_ip_ + " to that unicast_peer block");
          }
          if (!a->unicast_src_ip_.empty() && !b.unicast_peers_.empty() &&
              peers_of(b).count(a->unicast_src_ip_) == 0) {
            diags.add(severity::error, codes::cluster_peer, b.unicast_peers_.front().position_,
                      "vrrp_instance " + b.name_ + ": unicast_peer here does not list " +
                          a->unicast_src_ip_ + ", the unicast_src_ip in " +
                          where(sources, a->position_),
                      "add " + a->unicast_src_ip_ + " to this unicast_peer block");
          }
          if (a->unicast_peers_.empty() != b.unicast_peers_.empty()) {
            diags.add(severity::error, codes::cluster_peer, b.position_,
                      "vrrp_instance " + b.name_ + ": " +
                          (b.unicast_peers_.empty() ? std::string("multicast here, unicast")
                                                    : std::string("unicast here, multicast")) +
                          " in " + where(sources, a->position_),
                      "use unicast_peer on every machine, or on none");
          }
        }
      }
    }
  }
}

}  // namespace tandem::parsers::keepalived
