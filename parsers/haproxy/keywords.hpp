// The HAProxy keyword table: every keyword of every section (and the bind and server options)
// as data — where it may appear, how many arguments it takes, the version that added or removed
// it, its modern replacement, and the handler that lowers it into the model. The linter's
// "did you mean", `migrate` and the list of supported keywords all read this one table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/haproxy/syntax.hpp"

namespace tandem::parsers::haproxy {

// Where a keyword lives: the global section, any proxy section (defaults, frontend, backend,
// listen: see keyword_entry::where_), one of the other sections, or the option list of a
// bind/server/default-server line.
enum class scope : std::uint8_t {
  global,
  proxy,
  userlist,
  peers,
  resolvers,
  mailers,
  program,
  http_errors,
  ring,
  cache,
  log_forward,
  crt_store,
  traces,
  bind_option,
  server_option,
};

// The scope of a section header keyword ("listen" -> proxy); global for anything else.
scope scope_of_section(std::string_view header_keyword);

// How `migrate` (and the removed-keyword warning) writes a removed keyword today.
enum class modern_kind : std::uint8_t {
  none,        // not removed
  rename,      // replacement_ replaces the keyword's words, arguments kept ("contimeout")
  header_add,  // reqadd/rspadd "Name:\ value [cond]" -> replacement_ Name value [cond]
  header_del,  // reqdel/rspdel "^Name:" -> replacement_ Name (only for a plain header regex)
  deny,        // block [cond] -> http-request deny [cond]
  drop,        // no effect any more (nbproc, debug, option http-tunnel): the line is commented
  manual,      // no exact modern form (reqrep, reqsetbe, appsession): commented, to redo by hand
};

class builder;
struct keyword_entry;

// One keyword line being lowered: the line, its table entry and where its arguments start.
struct directive {
  const line& line_;
  const keyword_entry& entry_;
  std::size_t first_argument_;  // index in line_.words_
  bool no_ = false;             // "no option X"

  std::span<const word> arguments() const {
    return first_argument_ < line_.words_.size()
               ? std::span<const word>(line_.words_).subspan(first_argument_)
               : std::span<const word>();
  }
  // The keyword's first word (after a "no"/"default" modifier).
  const word& keyword_word() const { return line_.words_[line_.first_argument() - 1]; }
  source_position position() const { return keyword_word().position_; }
};

using lowering = void (*)(const directive&, builder&, diagnostics&);

inline constexpr std::uint8_t any_count = 255;

struct keyword_entry {
  scope scope_;
  // One or two words ("maxconn", "option httplog", "timeout connect"); a final '*' matches any
  // keyword with that prefix ("tune.*").
  std::string_view name_;
  // For proxy keywords: which of cap_defaults, cap_frontend, cap_backend may hold it. A section
  // without a needed capability ignores it with a warning (as HAProxy's warnifnotcap); a
  // keyword without cap_defaults in a defaults section is an error.
  std::uint8_t where_ = 0;
  std::uint8_t min_arguments_ = 0;
  std::uint8_t max_arguments_ = any_count;
  // The HAProxy version that introduced it, when newer than the 2.6 anchor (accepted, noted).
  std::string_view added_in_;
  // The version that removed it and its modern form.
  std::string_view removed_in_;
  std::string_view replacement_;
  modern_kind modern_ = modern_kind::none;
  lowering lower_ = nullptr;

  bool removed() const { return modern_ != modern_kind::none; }
};

// The whole table.
std::span<const keyword_entry> keyword_table();

// The entry for the keyword of `l` in `s`: tries the keyword with its first argument
// ("option httplog") before the keyword alone. Sets `words` to how many words the name takes.
const keyword_entry* find_keyword(scope s, const line& l, std::size_t& words);
// A bind/server option by name.
const keyword_entry* find_option(scope s, std::string_view name);

// The closest known keyword of `s` to `name` (edit distance), or "" when none is close.
std::string_view did_you_mean(scope s, std::string_view name);

// Damerau-free Levenshtein distance, bounded: returns at most `limit + 1`.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// The modern words for a removed keyword line (each already quoted for haproxy.cfg), or an
// empty vector when it has no modern form (drop/manual). Several lines are separated by a
// "\n" element. Used by the warning message and by migrate.
std::vector<std::string> modern_words(const line& l, const keyword_entry& entry,
                                      std::size_t name_words);

// Quotes `value` so that haproxy.cfg reads it back as one word with this exact value.
std::string quote_word(std::string_view value);

}  // namespace tandem::parsers::haproxy
