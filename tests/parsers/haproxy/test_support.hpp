// Helpers shared by the HAProxy reader's tests: read a config given as text, with an injected
// environment, and look at its words and diagnostics.
#pragma once

#include <string>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/haproxy/reader.hpp"
#include "parsers/haproxy/syntax.hpp"

namespace tandem::parsers::haproxy::testing {

struct read_result {
  source_registry sources_;
  diagnostics diags_;
  config_file file_;

  // Values of the words of 1-based line `number`.
  std::vector<std::string> values(std::uint32_t number) const {
    std::vector<std::string> out;
    for (const word& w : file_.lines_.at(number - 1).words_) {
      out.push_back(w.value_);
    }
    return out;
  }
  const line& at(std::uint32_t number) const { return file_.lines_.at(number - 1); }
  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const diagnostic& d : diags_) {
      out.push_back(d.code_);
    }
    return out;
  }
};

inline read_result read_text(const std::string& text, reader_options options = {}) {
  read_result r;
  const file_id id = r.sources_.add("t.cfg", text);
  r.file_ = read_haproxy_file(r.sources_, id, options, r.diags_);
  return r;
}

inline reader_options with_env(environment env) {
  reader_options o;
  o.environment_ = std::move(env);
  return o;
}

// The values of the single line of `text`.
inline std::vector<std::string> words_of(const std::string& text, reader_options options = {}) {
  return read_text(text, std::move(options)).values(1);
}

}  // namespace tandem::parsers::haproxy::testing
