// Placeholder until the nftables planes land (issue 8): they refuse every service.
#include "runtime/lvs/dataplane/data_plane.hpp"

namespace tandem::runtime::lvs::dataplane {
std::unique_ptr<data_plane> make_nftables_nat_plane(plane_context) { return nullptr; }
std::unique_ptr<data_plane> make_nftables_dr_plane(plane_context) { return nullptr; }
std::optional<std::string> nftables_unsuitable(const plane_spec&) {
  return std::string("the nftables planes are not built yet");
}
}  // namespace tandem::runtime::lvs::dataplane
