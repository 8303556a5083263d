// The normaliser (see normalise.hpp): one pass over the bytes that copies plain ASCII through
// untouched and looks closer only at CR and at multi-byte characters, so a clean 60,000-line
// config costs one scan and one copy.
#include "parsers/common/normalise.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

#include "parsers/common/utf8.hpp"

namespace tandem::parsers {

namespace {

enum fix_kind : std::size_t {
  fix_bom,
  fix_crlf,
  fix_space,
  fix_quote,
  fix_dash,
  fix_utf8,
  fix_count
};

// Lines listed in one warning before "and N more lines": enough for any hand-written config,
// bounded for generated ones.
constexpr std::size_t max_listed_ranges = 32;

// One kind of fix-up: where it first happened, how often, and the lines it touched (as
// ranges, appended in order, so "lines 2-14, 19" costs nothing per fix).
struct fix_record {
  std::size_t count_ = 0;
  source_position first_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges_;
  // The distinct code points fixed (spaces, quotes, dashes), for the message.
  std::vector<char32_t> code_points_;

  void note(std::uint32_t line, std::uint32_t column, file_id file, char32_t cp) {
    if (count_++ == 0) {
      first_ = {file, line, column};
    }
    if (!ranges_.empty() && (ranges_.back().second == line || ranges_.back().second + 1 == line)) {
      ranges_.back().second = line;
    } else {
      ranges_.emplace_back(line, line);
    }
    if (cp != 0 && code_points_.size() < 8) {
      bool seen = false;
      for (const char32_t c : code_points_) {
        seen = seen || c == cp;
      }
      if (!seen) {
        code_points_.push_back(cp);
      }
    }
  }
};

bool is_unicode_space(char32_t cp) {
  return cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000;
}

// No width, so no column of their own: U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER and U+FEFF
// (a BOM anywhere but at the start of the file).
bool is_zero_width(char32_t cp) {
  return cp == 0x200B || cp == 0x2060 || cp == 0xFEFF;
}

// A letter or digit for the apostrophe rule (it’s, l’adresse, 90’s): ASCII alphanumerics and
// the letters of the Latin-1 Supplement and beyond (U+00C0 on, except U+00D7 and U+00F7).
bool is_word_char(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  }
  return cp >= 0xC0 && cp != 0xD7 && cp != 0xF7 && !is_unicode_space(cp) && !is_zero_width(cp) &&
         !(cp >= 0x2010 && cp <= 0x206F);  // General Punctuation: dashes, quotes, …
}

bool is_ascii_letter(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
}

std::string code_point_name(char32_t cp) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "U+%04X", static_cast<unsigned>(cp));
  return buffer;
}

// "line 3", "lines 2-14, 19, 22", "lines 1-3, 5 and 40 more lines".
std::string describe_lines(const fix_record& r) {
  std::size_t lines = 0;
  for (const auto& [first, last] : r.ranges_) {
    lines += last - first + 1;
  }
  std::string out = lines == 1 ? "line " : "lines ";
  std::size_t listed = 0;
  for (std::size_t i = 0; i < r.ranges_.size() && i < max_listed_ranges; ++i) {
    const auto& [first, last] = r.ranges_[i];
    out += i == 0 ? "" : ", ";
    out += std::to_string(first);
    if (last != first) {
      out += '-' + std::to_string(last);
    }
    listed += last - first + 1;
  }
  if (listed < lines) {
    out += " and " + std::to_string(lines - listed) + " more lines";
  }
  return out;
}

std::string describe_code_points(const fix_record& r) {
  std::string out;
  for (std::size_t i = 0; i < r.code_points_.size(); ++i) {
    out += i == 0 ? "" : ", ";
    out += code_point_name(r.code_points_[i]);
  }
  return out;
}

std::string times(std::size_t n, std::string_view singular, std::string_view plural) {
  return std::to_string(n) + ' ' + std::string(n == 1 ? singular : plural);
}

void report(const std::array<fix_record, fix_count>& fixes, diagnostics& diags) {
  const auto warn = [&](fix_kind kind, std::string_view code, std::string message,
                        std::string hint) {
    diags.add(severity::warning, code, fixes[kind].first_, std::move(message), std::move(hint));
  };
  if (fixes[fix_bom].count_ > 0) {
    warn(fix_bom, codes::pasted_bom, "the file starts with a UTF-8 byte order mark; it is ignored",
         "HAProxy and keepalived would read it as part of the first keyword; save the file as "
         "UTF-8 without a BOM");
  }
  if (const fix_record& r = fixes[fix_crlf]; r.count_ > 0) {
    warn(fix_crlf, codes::pasted_crlf,
         "Windows line endings (CR LF) on " + describe_lines(r) + " are read as LF",
         "the file was saved by a Windows editor; 'dos2unix FILE' or 'tandem migrate' writes it "
         "with LF line endings");
  }
  if (const fix_record& r = fixes[fix_space]; r.count_ > 0) {
    warn(fix_space, codes::pasted_space,
         times(r.count_, "Unicode space", "Unicode spaces") + " (" + describe_code_points(r) +
             ") on " + describe_lines(r) + " are read as plain spaces",
         "pasted from a web page: HAProxy and keepalived take a no-break space as part of a "
         "word, not as a blank; 'tandem migrate' writes the file with plain spaces (zero-width "
         "characters inside a word are dropped and a space added after the word)");
  }
  if (const fix_record& r = fixes[fix_quote]; r.count_ > 0) {
    warn(fix_quote, codes::pasted_quote,
         times(r.count_, "typographic quote", "typographic quotes") + " (" +
             describe_code_points(r) + ") on " + describe_lines(r) + " are read as ASCII quotes",
         "pasted from a web page or a word processor; type the quotes as \" and ' (an "
         "apostrophe between two letters is left alone)");
  }
  if (const fix_record& r = fixes[fix_dash]; r.count_ > 0) {
    warn(fix_dash, codes::pasted_dash,
         times(r.count_, "typographic dash", "typographic dashes") + " (" +
             describe_code_points(r) + ") starting an option on " + describe_lines(r) +
             " are read as '-'",
         "a word processor turned '-' (or '--') into a dash; type the option with ASCII '-'");
  }
  if (const fix_record& r = fixes[fix_utf8]; r.count_ > 0) {
    warn(fix_utf8, codes::invalid_utf8,
         times(r.count_, "byte that is not valid UTF-8", "bytes that are not valid UTF-8") +
             " on " + describe_lines(r) + "; kept as they are",
         "save the file as UTF-8 (e.g. 'iconv -f latin1 -t utf-8'); columns count each such byte "
         "as one character");
  }
}

}  // namespace

bool needs_normalising(std::string_view text) {
  // Every fix-up starts at a CR or at a byte of a multi-byte character (a BOM included).
  if (text.find('\r') != std::string_view::npos) {
    return true;
  }
  unsigned char seen = 0;  // an OR of every byte: a loop the compiler vectorises
  for (const char c : text) {
    seen |= static_cast<unsigned char>(c);
  }
  return (seen & 0x80) != 0;
}

normalised_text normalise(std::string_view text, file_id file, const normalise_options& options,
                          diagnostics& diags) {
  std::array<fix_record, fix_count> fixes;
  normalised_text result;
  std::string& out = result.text_;
  out.reserve(text.size());

  // Input before `flushed` is in `out` already; unchanged text is copied in runs, so plain
  // ASCII costs a scan and one copy.
  std::size_t flushed = 0;
  const auto flush = [&](std::size_t upto) {
    out.append(text.data() + flushed, upto - flushed);
    flushed = upto;
  };
  // Zero-width characters dropped from inside the current word: as many spaces are written
  // where the word ends, so every later word keeps its column.
  std::size_t owed_spaces = 0;
  const auto pay_owed_spaces = [&](std::size_t at) {
    if (owed_spaces > 0) {
      flush(at);
      out.append(owed_spaces, ' ');
      owed_spaces = 0;
    }
  };

  std::size_t line_start = 0;
  if (text.starts_with("\xEF\xBB\xBF")) {
    fixes[fix_bom].note(1, 1, file, 0xFEFF);
    flushed = line_start = 3;
  }
  std::uint32_t line = 1;

  // Computed only at the rare non-ASCII character: its column, whether its line is a
  // comment-only line (quotes and dashes there are prose, left alone), and the code point
  // before it on the line (0 at the start; a dropped zero-width character is skipped).
  const auto column_of = [&](std::size_t offset) {
    return static_cast<std::uint32_t>(
               count_code_points(text.substr(line_start, offset - line_start))) +
           1;
  };
  std::uint32_t comment_checked_line = 0;
  bool comment_line = false;
  const auto is_comment_line = [&] {
    if (comment_checked_line != line) {
      comment_checked_line = line;
      comment_line = false;
      for (std::size_t j = line_start; j < text.size() && text[j] != '\n';) {
        const utf8_char ch = decode_utf8(text, j);
        if (ch.code_point_ != ' ' && ch.code_point_ != '\t' && !is_unicode_space(ch.code_point_) &&
            !is_zero_width(ch.code_point_)) {
          comment_line = ch.code_point_ == '#' ||
                         (ch.code_point_ == '!' && options.quotes_ == quote_style::keepalived);
          break;
        }
        j += ch.length_;
      }
    }
    return comment_line;
  };
  std::size_t previous_end = static_cast<std::size_t>(-1);  // where previous_cp ended
  char32_t previous_cp = 0;
  const auto previous_of = [&](std::size_t offset) -> char32_t {
    if (offset == line_start) {
      return 0;
    }
    if (offset == previous_end) {
      return previous_cp;
    }
    const auto b = static_cast<unsigned char>(text[offset - 1]);
    return b < 0x80 ? b : U'\uFFFD';  // a non-ASCII neighbour always goes through previous_end
  };

  std::size_t i = flushed;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c == '\n') {
        pay_owed_spaces(i);
        ++line;
        line_start = i + 1;
      } else if (c == ' ' || c == '\t') {
        pay_owed_spaces(i);
      } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        fixes[fix_crlf].note(line, column_of(i), file, 0);
        pay_owed_spaces(i);
        flush(i);
        flushed = i + 1;  // drop the CR; the LF is copied with what follows
      }
      ++i;
      continue;
    }

    const utf8_char ch = decode_utf8(text, i);
    const std::size_t next_offset = i + ch.length_;
    const char32_t next =
        next_offset < text.size() ? decode_utf8(text, next_offset).code_point_ : 0;
    const char32_t previous = previous_of(i);
    // Zero-width characters are not blanks here: a run of them inside a word stays inside it.
    const bool next_ends_word = next == 0 || next == '\n' || next == '\r' || next == ' ' ||
                                next == '\t' || is_unicode_space(next);
    const bool previous_ends_word =
        previous == 0 || previous == ' ' || previous == '\t' || is_unicode_space(previous);
    const char32_t cp = ch.code_point_;
    const auto replace = [&](char by) {
      flush(i);
      out += by;
      flushed = next_offset;
    };
    char32_t seen_as = cp;  // what the next character sees before it

    if (!ch.valid_) {
      fixes[fix_utf8].note(line, column_of(i), file, 0);
    } else if (is_unicode_space(cp)) {
      fixes[fix_space].note(line, column_of(i), file, cp);
      pay_owed_spaces(i);
      replace(' ');
      seen_as = ' ';
    } else if (is_zero_width(cp)) {
      fixes[fix_space].note(line, column_of(i), file, cp);
      if (previous_ends_word || next_ends_word) {
        pay_owed_spaces(i);
        replace(' ');
        seen_as = ' ';
      } else {
        flush(i);  // inside a word: no blank here, the column goes after the word
        flushed = next_offset;
        ++owed_spaces;
        seen_as = previous;
      }
    } else if ((cp == 0x201C || cp == 0x201D) && !is_comment_line()) {
      fixes[fix_quote].note(line, column_of(i), file, cp);
      replace('"');
    } else if ((cp == 0x2018 || cp == 0x2019) && !(is_word_char(previous) && is_word_char(next)) &&
               !is_comment_line()) {
      fixes[fix_quote].note(line, column_of(i), file, cp);
      replace('\'');
    } else if ((cp == 0x2013 || cp == 0x2014) && previous_ends_word && is_ascii_letter(next) &&
               !is_comment_line()) {
      fixes[fix_dash].note(line, column_of(i), file, cp);
      replace('-');
    }
    previous_cp = seen_as;
    previous_end = next_offset;
    i = next_offset;
  }
  flush(text.size());
  pay_owed_spaces(text.size());

  bool changed = false;
  for (const fix_record& r : fixes) {
    changed = changed || r.count_ > 0;
  }
  // Invalid bytes are reported but kept, so they alone leave the text as it was.
  result.changed_ = out != text;
  if (changed) {
    report(fixes, diags);
  }
  return result;
}

}  // namespace tandem::parsers
