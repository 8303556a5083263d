// The diagnostics collector (see diagnostic.hpp).
#include "parsers/common/diagnostic.hpp"

#include <algorithm>
#include <utility>

namespace tandem::parsers {

std::string_view severity_name(severity s) {
  switch (s) {
    case severity::error:
      return "error";
    case severity::warning:
      return "warning";
    case severity::note:
      return "note";
  }
  return "error";
}

diagnostic& diagnostics::add(diagnostic d) {
  items_.push_back(std::move(d));
  return items_.back();
}

diagnostic& diagnostics::add(severity s, std::string_view code, source_position where,
                             std::string message, std::optional<std::string> hint) {
  return add(diagnostic{s, std::string(code), where, std::move(message), std::move(hint), {}});
}

std::size_t diagnostics::count(severity s) const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [s](const diagnostic& d) { return d.severity_ == s; }));
}

}  // namespace tandem::parsers
