// Rendering diagnostics for people (gcc-style text with the source line and a caret) and for
// tools (JSON). Both read file names and source lines from the source_registry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/position.hpp"
#include "parsers/common/source_registry.hpp"

namespace tandem::parsers {

// "file:line:col", "file:line" or "file" depending on what is known; "" without a file.
std::string format_location(const source_position& where, const source_registry& sources);

// The line printed under a source line: one padding character per code point before
// `column` (a tab stays a tab so the caret lines up whatever the tab width; anything else,
// including U+00A0 and other multi-byte characters, becomes one space), then '^'. Wide (CJK,
// emoji) characters take two cells on a terminal and will shift the caret; columns count
// code points on purpose, as editors do. A column past the end of the line pads with spaces.
std::string caret_line(std::string_view line_text, std::uint32_t column);

// gcc style, each line ending in '\n':
//   In file included from b.cfg:2:9,
//                    from a.cfg:3:7:
//   c.cfg:4:5: error: message [code]
//   <source line>
//   <caret line>
//     hint: ...
// The source line is printed when the position has a line, the caret when it also has a column.
std::string render_text(const diagnostic& d, const source_registry& sources);
std::string render_text(const diagnostics& ds, const source_registry& sources);

// A JSON string literal (with the quotes). Output is pure ASCII: '"', '\\' and control
// characters are escaped, non-ASCII code points become \uXXXX (surrogate pairs above U+FFFF),
// and bytes that are not valid UTF-8 become \ufffd, so the result is always valid JSON.
std::string json_quote(std::string_view text);

// {"severity":"error","code":"...","file":"a.cfg","line":3,"column":7,"message":"...",
//  "hint":null,"include_chain":[{"file":"b.cfg","line":2,"column":9}]}
// Unknown file, line or column (0) are null.
std::string render_json(const diagnostic& d, const source_registry& sources);
// A JSON array of render_json(d), one element per line.
std::string render_json(const diagnostics& ds, const source_registry& sources);

}  // namespace tandem::parsers
