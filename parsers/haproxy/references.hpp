// Referenced things checked beyond their existence: errorfile content (HAProxy 2.6 parses an
// errorfile as an HTTP response when it starts) and stick-table names (one table per name in
// the whole configuration: a proxy's table takes the proxy's name).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/position.hpp"

namespace tandem::parsers::haproxy {

class builder;
struct directive;

namespace codes {
inline constexpr std::string_view bad_errorfile = "hap-errorfile";
inline constexpr std::string_view duplicate_table = "hap-duplicate-table";
inline constexpr std::string_view buffer_size = "hap-buffer-size";
}  // namespace codes

// What HAProxy 2.6 says of an errorfile's content ("" when it takes it): a status line, headers,
// a blank line, then a body of the announced Content-Length.
std::string errorfile_problem(std::string_view content);

// Reports at `where` what is wrong with the errorfile at `path` whose `content` was read, or,
// when it could not be read (a directory, no permission), that HAProxy cannot read it either.
void check_errorfile(const std::string& path, const std::optional<std::string>& content,
                     const source_position& where, diagnostics& diags);

// The smallest tune.bufsize HAProxy 2.6.12 starts with: its built-in error messages (the longest
// is 405's) must fit in one buffer as HTX (measured with Debian's `haproxy -c`: 336 fails).
inline constexpr std::uint32_t smallest_bufsize = 337;

// A tune.* line whose value HAProxy cannot start with (tune.bufsize below smallest_bufsize).
void check_tunable(const directive& d, diagnostics& diags);

// The stick-tables declared so far, by name: the section kind, its name and where.
struct table_declaration {
  std::string kind_;
  std::string owner_;
  source_position position_;
};
using table_names = std::unordered_map<std::string, table_declaration>;

// The `stick-table` keyword of a proxy: kept like any other line, and its name checked.
void lower_stick_table(const directive& d, builder& b, diagnostics& diags);

}  // namespace tandem::parsers::haproxy
