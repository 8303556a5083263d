// Source positions: which loaded file, 1-based line, 1-based column. Every word of a syntax
// tree and every diagnostic carries one; file names live once in the source_registry.
#pragma once

#include <cstdint>

namespace tandem::parsers {

// Index of a file in a source_registry; stable for the registry's lifetime.
enum class file_id : std::uint32_t {};

// "No file": a diagnostic about the command line, or about a file that could not be opened
// (its path is then in the message).
inline constexpr file_id no_file{0xffffffffU};

struct source_position {
  file_id file_ = no_file;
  // 1-based; 0 means "the whole file".
  std::uint32_t line_ = 0;
  // 1-based and counted in Unicode code points (not bytes, not display cells), so a pasted
  // U+00A0 no-break space is one column, as an editor shows it; 0 means "the whole line".
  std::uint32_t column_ = 0;

  bool has_file() const { return file_ != no_file; }
  friend bool operator==(const source_position&, const source_position&) = default;
};

}  // namespace tandem::parsers
