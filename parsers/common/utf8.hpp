// Small UTF-8 helpers for columns, carets and JSON output. Configuration files are bytes;
// these never fail: a byte that does not start a valid UTF-8 sequence counts as one code point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tandem::parsers {

struct utf8_char {
  char32_t code_point_ = 0;  // U+FFFD when !valid_
  std::size_t length_ = 0;   // bytes consumed, at least 1 unless at the end of the text
  bool valid_ = false;
};

// Decodes the code point starting at text[offset]. Rejects overlong forms, surrogates and
// values above U+10FFFF (each such lead byte is consumed alone, as one invalid character).
utf8_char decode_utf8(std::string_view text, std::size_t offset);

std::size_t count_code_points(std::string_view text);

// Byte offset where 1-based code point column `column` starts in `line`; line.size() when the
// column is at or past the end of the line.
std::size_t byte_offset_of_column(std::string_view line, std::uint32_t column);

}  // namespace tandem::parsers
