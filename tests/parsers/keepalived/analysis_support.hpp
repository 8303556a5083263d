// What the keepalived analyser, recovery and migrate tests share: a config analysed from text
// (config id "test", an injected environment), its diagnostics as "code@line", and its
// migrated text.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parsers/keepalived/analyse.hpp"
#include "parsers/keepalived/migrate.hpp"

namespace tandem::parsers::keepalived::testing {

struct analysis_result {
  source_registry sources_;
  diagnostics diags_;
  analysis a_;
  file_id file_{0};

  // "code@line" for every diagnostic, in order.
  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const diagnostic& d : diags_) {
      out.push_back(d.code_ + "@" + std::to_string(d.position_.line_));
    }
    return out;
  }
  bool has(std::string_view code, std::uint32_t line) const {
    return std::any_of(diags_.begin(), diags_.end(), [&](const diagnostic& d) {
      return d.code_ == code && d.position_.line_ == line;
    });
  }
  const diagnostic* find(std::string_view code) const {
    for (const diagnostic& d : diags_) {
      if (d.code_ == code) {
        return &d;
      }
    }
    return nullptr;
  }
  std::string migrated() { return migrate(a_, sources_, file_, diags_); }
};

// On the heap: the analysis points into sources_, which must not move.
inline std::unique_ptr<analysis_result> analyse_text(std::string text, environment env = {}) {
  auto r = std::make_unique<analysis_result>();
  r->file_ = r->sources_.add("test.conf", std::move(text));
  analyse_options o;
  o.read_.config_id_ = "test";
  o.read_.environment_ = std::move(env);
  r->a_ = analyse_file(r->file_, r->sources_, o, r->diags_);
  return r;
}

}  // namespace tandem::parsers::keepalived::testing
