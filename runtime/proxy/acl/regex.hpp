// Regular expressions as HAProxy 2.6 uses them (PCRE2, JIT-compiled when the library has a
// JIT): ACL `-m reg` patterns, map_reg/map_regm keys and the regsub converter. A compiled
// regex is shared read-only between threads; the match data is per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::runtime::proxy::acl {

class regex {
 public:
  // HAProxy keeps at most this many groups (MAX_MATCH): \0 … \9.
  static constexpr std::size_t max_groups = 10;

  struct groups {
    // Offsets into the subject; npos for a group that did not take part.
    std::size_t begin_[max_groups];
    std::size_t end_[max_groups];
    std::size_t count_ = 0;
  };

  // Compiles `pattern`; nullopt with `error` set (PCRE2's message and offset) otherwise.
  static std::optional<regex> compile(std::string_view pattern, bool icase, std::string& error);

  // Whether the regex matches anywhere in `subject` (unanchored, as regex_exec2()).
  bool search(std::string_view subject) const;
  // Searches from `start`; `not_bol`: `^` does not match at `start`. Fills `g` on a match.
  bool search(std::string_view subject, std::size_t start, bool not_bol, groups& g) const;

 private:
  struct code;
  explicit regex(std::shared_ptr<const code> c) : code_(std::move(c)) {}
  std::shared_ptr<const code> code_;
};

}  // namespace tandem::runtime::proxy::acl
