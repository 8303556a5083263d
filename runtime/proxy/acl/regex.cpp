// PCRE2 behind regex.hpp: compile once (with the JIT when available), match with per-thread
// match data so that evaluation from any thread needs no lock.
#include "runtime/proxy/acl/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace tandem::runtime::proxy::acl {

struct regex::code {
  pcre2_code* re_ = nullptr;
  ~code() { pcre2_code_free(re_); }
};

namespace {

// One match-data block per thread, large enough for every group HAProxy keeps. Freed when the
// thread ends.
pcre2_match_data* thread_match_data() {
  struct holder {
    pcre2_match_data* data_ = pcre2_match_data_create(regex::max_groups, nullptr);
    ~holder() { pcre2_match_data_free(data_); }
  };
  thread_local holder h;
  return h.data_;
}

}  // namespace

std::optional<regex> regex::compile(std::string_view pattern, bool icase, std::string& error) {
  int code_error = 0;
  PCRE2_SIZE offset = 0;
  const uint32_t options = icase ? PCRE2_CASELESS : 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 options, &code_error, &offset, nullptr);
  if (re == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code_error, message, sizeof message);
    error = "regex '" + std::string(pattern) +
            "' is invalid: " + reinterpret_cast<const char*>(message) + " at offset " +
            std::to_string(offset);
    return std::nullopt;
  }
  // HAProxy uses the JIT when PCRE2 has one; without it pcre2_match interprets.
  (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  auto c = std::make_shared<code>();
  c->re_ = re;
  return regex(std::move(c));
}

bool regex::search(std::string_view subject) const {
  pcre2_match_data* md = thread_match_data();
  if (md == nullptr) {
    return false;
  }
  const int rc = pcre2_match(code_->re_, reinterpret_cast<PCRE2_SPTR>(subject.data()),
                             subject.size(), 0, 0, md, nullptr);
  return rc >= 0;
}

bool regex::search(std::string_view subject, std::size_t start, bool not_bol, groups& g) const {
  pcre2_match_data* md = thread_match_data();
  if (md == nullptr || start > subject.size()) {
    return false;
  }
  // Matching the remainder as its own subject, as HAProxy does for regsub's later rounds.
  const std::string_view rest = subject.substr(start);
  const int rc = pcre2_match(code_->re_, reinterpret_cast<PCRE2_SPTR>(rest.data()), rest.size(), 0,
                             not_bol ? PCRE2_NOTBOL : 0, md, nullptr);
  if (rc < 0) {
    return false;
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
  const std::size_t pairs = rc == 0 ? max_groups : static_cast<std::size_t>(rc);
  g.count_ = pairs < max_groups ? pairs : max_groups;
  for (std::size_t i = 0; i < max_groups; ++i) {
    if (i < g.count_ && ov[2 * i] != PCRE2_UNSET) {
      g.begin_[i] = start + ov[2 * i];
      g.end_[i] = start + ov[2 * i + 1];
    } else {
      g.begin_[i] = g.end_[i] = std::string_view::npos;
    }
  }
  return true;
}

}  // namespace tandem::runtime::proxy::acl
