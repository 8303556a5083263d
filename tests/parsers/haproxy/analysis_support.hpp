// What the analyser tests share: a config analysed from text, and its diagnostics by line and
// by code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/haproxy/analyse.hpp"

namespace tandem::parsers::haproxy::testing {

struct analysis_result {
  source_registry sources_;
  diagnostics diags_;
  analysis analysis_;

  std::vector<std::string> codes_at(std::uint32_t line) const {
    std::vector<std::string> out;
    for (const diagnostic& d : diags_) {
      if (d.position_.line_ == line) {
        out.push_back(d.code_);
      }
    }
    return out;
  }
  const diagnostic* find(std::string_view code) const {
    for (const diagnostic& d : diags_) {
      if (d.code_ == code) {
        return &d;
      }
    }
    return nullptr;
  }
};

}  // namespace tandem::parsers::haproxy::testing
