// Placeholder until the user-space plane lands (issue 8): refuses to build.
#include "runtime/lvs/dataplane/data_plane.hpp"

namespace tandem::runtime::lvs::dataplane {
std::unique_ptr<data_plane> make_user_space_plane(plane_context) { return nullptr; }
}  // namespace tandem::runtime::lvs::dataplane
