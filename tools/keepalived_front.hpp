// The keepalived language's side of the tandem executable: `keepalived` itself (see front_ends.hpp)
// and this language's part of `tandem check` and `tandem migrate`.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/position.hpp"
#include "parsers/common/source_registry.hpp"

namespace tandem::tools {

// `tandem check`: appends everything wrong with `file` (already loaded into `sources`; the
// checker may load more, e.g. included files) to `diags`. Never stops at the first problem.
void lint_keepalived(parsers::source_registry& sources, parsers::file_id file,
                  parsers::diagnostics& diags);

// `tandem check --cluster`: the keepalived files among `files` (already loaded) are machines
// sharing VRRP instances; appends every disagreement between them to `diags`.
void lint_keepalived_cluster(parsers::source_registry& sources,
                             std::span<const parsers::file_id> files, parsers::diagnostics& diags);

// `tandem migrate`: prints `file` in today's syntax on `out`; diagnostics go to `diags`.
// Returns false when the file cannot be migrated (errors in `diags` say why).
bool migrate_keepalived(parsers::source_registry& sources, parsers::file_id file, std::ostream& out,
                     parsers::diagnostics& diags);

}  // namespace tandem::tools
