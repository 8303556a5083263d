// Reading keepalived.conf as keepalived 2.2.7 reads it (lib/parser.c: read_line, decomment,
// check_include, replace_param, add_seq/add_lst, alloc_strvec) into a syntax tree (syntax.hpp):
// comments, includes with glob and brace expansion, @ID conditional lines, $NAME definitions and
// their substitution, ~SEQ/~LST, splitting at '{' and '}', and the brace structure. Everything
// it finds wrong is a diagnostic (with the include chain); it never throws.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/environment.hpp"
#include "parsers/common/position.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/keepalived/syntax.hpp"

namespace tandem::parsers::keepalived {

// Stable diagnostic codes of the reader.
namespace codes {
inline constexpr std::string_view unterminated_quote = "ka-unterminated-quote";
inline constexpr std::string_view stray_close_brace = "ka-stray-close-brace";
inline constexpr std::string_view unclosed_block = "ka-unclosed-block";
inline constexpr std::string_view unexpected_open_brace = "ka-unexpected-open-brace";
inline constexpr std::string_view comment_swallows_structure = "ka-comment-swallows-structure";
inline constexpr std::string_view include_missing = "ka-include-missing";
inline constexpr std::string_view include_not_regular = "ka-include-not-regular";
inline constexpr std::string_view include_loop = "ka-include-loop";
inline constexpr std::string_view undefined_variable = "ka-undefined-variable";
inline constexpr std::string_view variable_from_environment = "ka-variable-from-environment";
inline constexpr std::string_view env_builtin = "ka-env-builtin";
inline constexpr std::string_view invalid_sequence = "ka-invalid-sequence";
inline constexpr std::string_view runaway_substitution = "ka-runaway-substitution";
inline constexpr std::string_view conditional_from_definition = "ka-conditional-from-definition";
}  // namespace codes

struct read_options {
  // The config id that `@ID` lines and ${_INSTANCE} compare with: keepalived's -i value, or the
  // host name up to its first '.' (default_config_id()). Injected so tests do not depend on the
  // machine.
  std::string config_id_;
  // Where an undefined ${NAME} may be found (taken with a warning) and what ${_ENV NAME} reads.
  // process_environment() for the real process; empty in tests unless a test sets it.
  environment environment_;
  // ${_RANDOM [MIN [MAX]]}: returns a number in [min, max]. Unset: a fixed-seed generator, so
  // reading is deterministic.
  std::function<unsigned long(unsigned long min, unsigned long max)> random_;
  // Nested includes deeper than this are refused (keepalived has no limit and loops forever on
  // a file that includes itself).
  unsigned max_include_depth_ = 32;
  // false: `include` lines are kept in the tree but no file is looked up (the fuzz target reads
  // only the bytes it is given).
  bool follow_includes_ = true;
};

// Loads `path` into `sources` and reads it, following includes. A file that cannot be loaded is
// an error diagnostic and an empty tree.
syntax_tree read_file(const std::string& path, source_registry& sources,
                      const read_options& options, diagnostics& diags);

// Reads a file already registered in `sources` (tests, stdin, generated configs). Relative
// includes are taken from the directory part of its name.
syntax_tree read_registered(file_id file, source_registry& sources, const read_options& options,
                            diagnostics& diags);

// The host name up to the first '.', as keepalived's default config id.
std::string default_config_id();

using parsers::environment;
using parsers::process_environment;

// keepalived's alloc_strvec_quoted_escaped: the split used for script commands. Words are
// separated by blanks outside quotes; "…" and '…' group (quotes removed); \a \b \E \f \n \r
// \t \v, \NNN (octal, up to 3 digits), \xHH… (hex), \cC (control) and \C (C itself) are
// unescaped inside and outside quotes. error_ is set (and words_ empty) on an unterminated
// quote or a '\' at the very end.
struct escaped_words {
  std::vector<std::string> words_;
  std::string error_;
};
escaped_words split_quoted_escaped(std::string_view text);

}  // namespace tandem::parsers::keepalived
