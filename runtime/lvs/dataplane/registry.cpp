// The data planes by kind (data_plane.hpp), and the choice between them for one service.
#include "runtime/lvs/dataplane/data_plane.hpp"

namespace tandem::runtime::lvs::dataplane {

std::vector<std::string_view> plane_kinds() { return {"nftables-nat", "nftables-dr", "user-space"}; }

std::unique_ptr<data_plane> make_plane(std::string_view kind, plane_context context) {
  if (kind == "nftables-nat") return make_nftables_nat_plane(std::move(context));
  if (kind == "nftables-dr") return make_nftables_dr_plane(std::move(context));
  if (kind == "user-space") return make_user_space_plane(std::move(context));
  return nullptr;
}

plane_choice choose_plane(const plane_spec& spec) {
  plane_choice c;
  if (spec.method_ == forwarding::tun) {
    c.error_ = "lb_kind TUN needs the kernel's ipip tunnel (CONFIG_NET_IPIP), which Tandem does "
               "not provide; use lb_kind NAT or DR";
    return c;
  }
  if (std::optional<std::string> why = nftables_unsuitable(spec)) {
    if (spec.method_ == forwarding::dr) {
      c.error_ = "lb_kind DR needs nftables' netdev ingress here: " + *why;
      return c;
    }
    // The user-space plane listens on addresses and ports: a firewall mark or every port of
    // an address (port 0) is beyond it.
    for (const vip_entry& e : spec.vips_) {
      if (e.fwmark_ || e.port_ == 0) {
        c.error_ = std::string(e.fwmark_ ? "a fwmark service" : "a port-less (port 0) service") +
                   " needs nftables here (user space cannot serve it): " + *why;
        return c;
      }
    }
    c.kind_ = "user-space";
    c.warnings_.push_back("served in user space (full NAT: real servers see the director's "
                          "address as the client): " + *why);
    return c;
  }
  c.kind_ = spec.method_ == forwarding::dr ? "nftables-dr" : "nftables-nat";
  return c;
}

}  // namespace tandem::runtime::lvs::dataplane
