// A compiled PCRE2 pattern, HAProxy's regex flavour (it links PCRE2 on Debian): searched,
// not anchored, case-sensitive, over bytes that may hold NULs. Matching never throws; a
// pattern that does not compile is reported by compile().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::runtime::checks {

class regex {
 public:
  // nullopt and `error` set ("missing closing parenthesis at offset 3") when it does not
  // compile.
  static std::optional<regex> compile(std::string_view pattern, std::string& error);

  // True when the pattern matches somewhere in `subject`. A match that hits PCRE2's limits
  // counts as no match.
  bool search(std::string_view subject) const;

 private:
  struct code_deleter {
    void operator()(void* code) const;
  };
  regex() = default;
  std::shared_ptr<void> code_;
};

}  // namespace tandem::runtime::checks
