// The one entry of the keepalived front-end: read a file (reader.hpp), recover what the author
// unambiguously meant (a block keyword missing its '{', a block missing its '}' before the
// next top-level block), lower every statement through the keyword table (keywords.hpp) into
// the model (model.hpp), and run keepalived's checks. `tandem check`, `keepalived -t`,
// `migrate` and the fuzz target all call this.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/keepalived/model.hpp"
#include "parsers/keepalived/reader.hpp"
#include "parsers/keepalived/syntax.hpp"

namespace tandem::parsers::keepalived {

struct analyse_options {
  read_options read_;
  // Whether this machine has an interface of that name. Unset: interfaces are not checked
  // (tests, fuzzing, --cluster on another machine's files).
  std::function<bool(std::string_view)> interface_exists_;
};

// An edit `migrate` makes that is not a word replacement.
struct insertion {
  source_position after_;  // insert text_ just after the character at this position
  std::string text_;
};

struct analysis {
  syntax_tree tree_;
  config model_;
  // Recovered structure, for migrate: " {" after a block keyword that lacked it, and "}" lines
  // before the statement a block should have been closed before.
  std::vector<insertion> open_braces_;
  std::vector<source_position> close_braces_before_;
  // Scripts are run but enable_script_security is not set (keepalived -t exits 6).
  bool script_security_violation_ = false;
};

analysis analyse_file(file_id file, source_registry& sources, const analyse_options& options,
                      diagnostics& diags);

// The interface lookup of this machine (if_nametoindex).
bool system_interface_exists(std::string_view name);

}  // namespace tandem::parsers::keepalived
