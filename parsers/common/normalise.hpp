// The normaliser, shared by the HAProxy and keepalived readers: undoes what copying a
// config out of a web page or a Windows editor does to it (UTF-8 BOM, CRLF, U+00A0 and the
// other Unicode spaces, curly quotes, en/em dashes where an option's '-' belongs), and
// reports each kind of fix-up once as a warning naming the lines it touched.
//
// Contract the readers rely on: the result has the same lines as the input, and on every
// line the same number of code points before any given word, so a position (line, column in
// code points) found in the normalised text is the position in the original file, and the
// caret is drawn under the original line. (A BOM is replaced by nothing only at the very
// start of the file; its column shift is on line 1 before the first word, where no word
// starts.) Tabs are kept: both languages take them as blanks.
//
// What each fix-up does, one code point for one code point:
// - U+00A0, U+1680, U+2000–U+200A, U+202F, U+205F, U+3000 become ' '.
// - Zero-width U+200B, U+2060 and U+FEFF (past the start of the file) have no column of their
//   own. Next to a blank or at either end of a line they become ' ' (the blank run just grows).
//   Inside a word they are dropped, and as many spaces are written where that word ends (the
//   next space, tab or end of line), so the word stays whole and every later word keeps its
//   column.
// - “ ” become '"'. ‘ ’ become '\'', except between two letters or digits (it’s, 90’s), where
//   they are apostrophes and stay.
// - – — (U+2013, U+2014) become '-' in option position only: at the start of a blank-delimited
//   word and followed by an ASCII letter (–f, —check); a dash in prose stays.
// - Quotes and dashes on a comment-only line (first non-blank '#', or '!' for keepalived) are
//   prose and stay; spaces are fixed everywhere.
// - CR LF becomes LF (a lone CR stays); bytes that are not valid UTF-8 stay, with a warning.
#pragma once

#include <string>
#include <string_view>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/position.hpp"

namespace tandem::parsers {

enum class quote_style {
  haproxy,     // '…' and "…" are quotes: ‘ ’ and “ ” become ' and "
  keepalived,  // only "…" quotes: “ ” become ", ‘ ’ become ' (kept as a plain character)
};

struct normalise_options {
  quote_style quotes_ = quote_style::haproxy;
};

struct normalised_text {
  std::string text_;      // what the grammar reads
  bool changed_ = false;  // text_ differs from the input
};

// Stable diagnostic codes of the fix-ups (warnings).
namespace codes {
inline constexpr std::string_view pasted_bom = "pasted-bom";
inline constexpr std::string_view pasted_crlf = "pasted-crlf";
inline constexpr std::string_view pasted_space = "pasted-space";  // U+00A0, U+2000–U+200B, …
inline constexpr std::string_view pasted_quote = "pasted-quote";  // “ ” ‘ ’
inline constexpr std::string_view pasted_dash = "pasted-dash";    // – — where '-' was meant
inline constexpr std::string_view invalid_utf8 = "invalid-utf8";
}  // namespace codes

// `file` is the registered file whose text() is `text`; each warning points at the first
// place it fixed, and its message names every line touched ("lines 2-14, 19, 22").
normalised_text normalise(std::string_view text, file_id file, const normalise_options& options,
                          diagnostics& diags);

// False when normalise() would return `text` unchanged and report nothing (plain ASCII without
// a CR), so a reader can read `text` itself and skip the copy.
bool needs_normalising(std::string_view text);

}  // namespace tandem::parsers
