// The lossless syntax tree of haproxy.cfg files: every line in order (blank and comment lines
// included) with its raw text, indentation, words and trailing comment, and the directives
// grouped under their section headers. Plain structs, no PEGTL: the keyword table, the
// linter and `migrate` all read this. Built by reader.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/position.hpp"

namespace tandem::parsers::haproxy {

struct word {
  // After quotes, backslash escapes and "$VAR" expansion: what HAProxy passes to a keyword.
  std::string value_;
  // As written (in the normalised text: a pasted no-break space inside a quoted word reads as
  // ' ' here), quotes and backslashes included.
  std::string raw_;
  // Of the first character of raw_; the column counts code points (position.hpp).
  source_position position_;
  // "${VAR[*]}" turns one written word into several: they share raw_ and position_, and this
  // is their index (0 for the first or only one), so a printer writes raw_ once.
  std::uint16_t split_index_ = 0;
  // Some part was quoted: an empty value was written on purpose ("" or '').
  bool quoted_ = false;
  // Some part came from the environment ("$VAR").
  bool expanded_ = false;
};

struct comment {
  std::string text_;  // from '#' to the end of the line, '#' included
  source_position position_;
};

enum class line_kind : std::uint8_t {
  blank,        // blanks only
  comment,      // a comment and nothing else
  section,      // a section header: the keyword is a section keyword (section_keywords)
  directive,    // any other keyword line
  conditional,  // .if .elif .else .endif
  message,      // .diag .notice .warning .alert
  unknown_dot,  // another word starting with '.' (an error)
};

// HAProxy's keyword modifiers: "no option httplog", "default option httplog".
enum class modifier : std::uint8_t { none, no, default_ };

enum class line_ending : std::uint8_t { lf, crlf, none /* last line without a newline */ };

struct line {
  std::uint32_t number_ = 0;  // 1-based
  // The line exactly as in the file, without its line ending: raw_ + ending_ reprints it.
  std::string raw_;
  line_ending ending_ = line_ending::lf;
  // Leading blanks, as the grammar read them (normalised: a pasted no-break space is ' ').
  std::string indentation_;
  std::vector<word> words_;
  std::optional<comment> comment_;
  line_kind kind_ = line_kind::blank;
  modifier modifier_ = modifier::none;  // words_[0] is then "no" or "default"
  // False inside a .if/.elif/.else branch that is not taken: such lines are kept (and were
  // tokenised, as HAProxy does) but belong to no section.
  bool active_ = true;
  // The line has a syntax error (reported); words_ holds the words before it.
  bool error_ = false;

  // The keyword: the first word after a "no"/"default" modifier; empty for a blank line.
  std::string_view keyword() const {
    const std::size_t i = modifier_ == modifier::none ? 0 : 1;
    return i < words_.size() ? std::string_view(words_[i].value_) : std::string_view();
  }
  // The words after the keyword.
  std::size_t first_argument() const { return modifier_ == modifier::none ? 1 : 2; }
};

inline constexpr std::size_t no_header = static_cast<std::size_t>(-1);

struct section {
  // Index in config_file::lines_ of the header line, or no_header for directives that come
  // before the first header (HAProxy rejects them; the checker says so).
  std::size_t header_ = no_header;
  // Indices in config_file::lines_ of the section's active directive lines, in order.
  std::vector<std::size_t> directives_;
};

struct config_file {
  file_id file_ = no_file;
  std::vector<line> lines_;  // every line of the file; none for an empty file
  std::vector<section> sections_;

  const line* header(const section& s) const {
    return s.header_ == no_header ? nullptr : &lines_[s.header_];
  }
};

// The files in the order HAProxy reads them (-f order; a directory's *.cfg in byte order).
// Sections do not continue from one file into the next, as in HAProxy.
struct syntax_tree {
  std::vector<config_file> files_;
};

// HAProxy's section keywords, 1.4 to 3.x.
inline constexpr std::string_view section_keywords[] = {
    "global", "defaults",    "frontend",  "backend", "listen",      "userlist",
    "peers",  "resolvers",   "mailers",   "program", "http-errors", "ring",
    "cache",  "log-forward", "crt-store", "traces",
};

bool is_section_keyword(std::string_view word);

}  // namespace tandem::parsers::haproxy
