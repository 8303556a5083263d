// PCRE2 (8-bit) behind the small interface the checks need.
#include "runtime/checks/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace tandem::runtime::checks {

void regex::code_deleter::operator()(void* code) const {
  pcre2_code_free(static_cast<pcre2_code*>(code));
}

std::optional<regex> regex::compile(std::string_view pattern, std::string& error) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* compiled = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                       0, &code, &offset, nullptr);
  if (compiled == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof message);
    error = reinterpret_cast<const char*>(message);
    error += " at offset " + std::to_string(offset);
    return std::nullopt;
  }
  regex out;
  out.code_ = std::shared_ptr<void>(compiled, code_deleter{});
  return out;
}

bool regex::search(std::string_view subject) const {
  auto* code = static_cast<pcre2_code*>(code_.get());
  pcre2_match_data* data = pcre2_match_data_create_from_pattern(code, nullptr);
  if (data == nullptr) {
    return false;
  }
  const int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                             0, data, nullptr);
  pcre2_match_data_free(data);
  return rc >= 0;
}

}  // namespace tandem::runtime::checks
