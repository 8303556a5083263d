// Diagnostics: what a parser, checker or loader reports about a configuration (never an
// exception, never dropped), and the collector that counts them. Rendering is in render.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/position.hpp"

namespace tandem::parsers {

enum class severity { error, warning, note };

// "error", "warning", "note": the words gcc prints and the JSON "severity" values.
std::string_view severity_name(severity s);

// Stable codes of the diagnostics parsers/common itself emits.
namespace codes {
inline constexpr std::string_view file_not_found = "file-not-found";
inline constexpr std::string_view file_unreadable = "file-unreadable";
}  // namespace codes

struct diagnostic {
  severity severity_ = severity::error;
  // Stable identifier (e.g. "file-not-found", "hap-removed-keyword"): tests, --strict
  // filters and documentation refer to it, so it never changes once released.
  std::string code_;
  source_position position_;
  std::string message_;
  std::optional<std::string> hint_;
  // Where the file of position_ was included from, innermost include first (as gcc prints
  // "In file included from"). Filled by source_registry::attach_include_chain.
  std::vector<source_position> include_chain_;
};

class diagnostics {
 public:
  diagnostic& add(diagnostic d);
  diagnostic& add(severity s, std::string_view code, source_position where, std::string message,
                  std::optional<std::string> hint = std::nullopt);

  std::size_t count(severity s) const;
  bool has_errors() const { return count(severity::error) > 0; }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

  const std::vector<diagnostic>& all() const { return items_; }
  std::vector<diagnostic>::const_iterator begin() const { return items_.begin(); }
  std::vector<diagnostic>::const_iterator end() const { return items_.end(); }

 private:
  std::vector<diagnostic> items_;
};

}  // namespace tandem::parsers
