// Small text helpers for messages, shared by both languages and the front-ends.
#pragma once

#include <string>
#include <string_view>

namespace tandem::parsers {

// 'S', for naming a user's word in a message. Built piecewise: GCC 12 at -O3 reports a false
// -Wrestrict for "'" + std::string(s) + "'".
inline std::string single_quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

}  // namespace tandem::parsers
