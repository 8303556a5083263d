// The HAProxy reader (see reader.hpp): PEGTL actions that turn grammar.hpp's matches into
// words, one parse per line (an error costs that line only), then what HAProxy's
// readcfgfile() does with the words: conditional blocks, .diag/.notice/.warning/.alert,
// "no"/"default" modifiers and sections.
#include "parsers/haproxy/reader.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "parsers/common/normalise.hpp"
#include "parsers/common/utf8.hpp"
#include "parsers/haproxy/grammar.hpp"

namespace tandem::parsers::haproxy {

bool is_section_keyword(std::string_view word) {
  return std::find(std::begin(section_keywords), std::end(section_keywords), word) !=
         std::end(section_keywords);
}

namespace {

namespace pegtl = tao::pegtl;

// HAProxy's MAXNESTEDCONDS.
constexpr std::size_t max_nested_conditions = 128;

// A syntax error on a line: thrown by the control at a must<> point (or by an action), caught
// by parse_line() for that line alone.
struct line_error {
  std::string_view code_;
  std::string message_;
  std::string_view hint_;
  const char* where_;
};

// What the actions build while one line is parsed.
struct line_state {
  line_state(const reader_options& options, const char* line_begin, std::string_view file_name,
             std::uint32_t line_number, std::string_view section_name, file_id file, line& out)
      : options_(options),
        line_begin_(line_begin),
        file_name_(file_name),
        line_number_(line_number),
        section_name_(section_name),
        file_(file),
        out_(out) {}

  const reader_options& options_;
  const char* line_begin_;
  // For the pseudo-variables .FILE, .LINE, .SECTION.
  std::string_view file_name_;
  std::uint32_t line_number_;
  std::string_view section_name_;
  file_id file_;

  line& out_;

  // Column (in code points) of byte offset column_offset_, advanced word by word.
  std::size_t column_offset_ = 0;
  std::uint32_t column_ = 1;

  // The word being read: finished pieces of a ${VAR[*]} split, then the current value.
  std::vector<std::string> splits_;
  std::string value_;
  bool quoted_ = false;
  bool expanded_ = false;

  // The variable being read.
  std::string_view var_name_;
  std::string_view var_default_;
  bool var_has_default_ = false;
  bool var_split_ = false;

  // Starts of the constructs an error is shown at.
  const char* quote_anchor_ = nullptr;
  const char* escape_anchor_ = nullptr;
  const char* brace_anchor_ = nullptr;
  const char* expansion_anchor_ = nullptr;

  source_position position_of(const char* p) {
    const auto offset = static_cast<std::size_t>(p - line_begin_);
    if (offset < column_offset_) {  // errors may point back into the current word
      column_offset_ = 0;
      column_ = 1;
    }
    const std::string_view skipped(line_begin_ + column_offset_, offset - column_offset_);
    // Nearly always ASCII, where a byte is a column.
    const bool ascii = std::all_of(skipped.begin(), skipped.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    column_ += static_cast<std::uint32_t>(ascii ? skipped.size() : count_code_points(skipped));
    column_offset_ = offset;
    return {file_, line_number_, column_};
  }

  void expand_variable() {
    std::optional<std::string_view> value;
    std::string line_number;
    if (var_name_.starts_with('.')) {
      if (var_name_ == ".LINE") {
        line_number = std::to_string(line_number_);
        value = line_number;
      } else if (var_name_ == ".FILE") {
        value = file_name_;
      } else if (var_name_ == ".SECTION") {
        value = section_name_;
      } else {
        throw line_error{
            codes::bad_variable, "unknown pseudo-variable '" + std::string(var_name_) + "'",
            "HAProxy's pseudo-variables are .FILE, .LINE and .SECTION", var_name_.data()};
      }
    } else if (const auto it = options_.environment_.find(var_name_);
               it != options_.environment_.end()) {
      value = it->second;
    }
    // The default replaces a variable that is not set, not one that is empty.
    if (!value && var_has_default_) {
      value = var_default_;
    }
    expanded_ = true;
    if (value) {
      const std::string_view v = *value;
      for (std::size_t i = 0; i < v.size();) {
        const char c = v[i];
        const bool space =
            c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
        if (var_split_ && space) {
          splits_.push_back(std::move(value_));
          value_.clear();
          while (i < v.size() && (v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\v' ||
                                  v[i] == '\f' || v[i] == '\r')) {
            ++i;
          }
        } else {
          value_ += c;
          ++i;
        }
      }
    }
    var_name_ = {};
    var_default_ = {};
    var_has_default_ = false;
    var_split_ = false;
  }

  void finish_word(const char* begin, std::size_t size) {
    const source_position where = position_of(begin);
    const std::string_view raw(begin, size);
    std::uint16_t index = 0;
    const auto push = [&](std::string value) {
      word w;
      w.value_ = std::move(value);
      w.raw_ = raw;
      w.position_ = where;
      w.split_index_ = index++;
      w.quoted_ = quoted_;
      w.expanded_ = expanded_;
      out_.words_.push_back(std::move(w));
    };
    for (std::string& s : splits_) {
      push(std::move(s));
    }
    push(std::move(value_));
    splits_.clear();
    value_.clear();
    quoted_ = false;
    expanded_ = false;
  }
};

template <typename Rule>
struct action : pegtl::nothing<Rule> {};

template <>
struct action<rules::indentation> {
  template <typename Input>
  static void apply(const Input& in, line_state& st) {
    st.out_.indentation_.assign(in.begin(), in.size());
  }
};

// Literal text, copied as is.
template <typename Rule>
struct append_text {
  template <typename Input>
  static void apply(const Input& in, line_state& st) {
    st.value_.append(in.begin(), in.size());
  }
};
template <>
struct action<rules::plain_text> : append_text<rules::plain_text> {};
template <>
struct action<rules::dq_text> : append_text<rules::dq_text> {};
template <>
struct action<rules::sq_text> : append_text<rules::sq_text> {};

template <>
struct action<rules::escape_pair> {
  template <typename Input>
  static void apply(const Input& in, line_state& st) {
    const char c = in.begin()[1];
    st.value_ += c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
  }
};
template <>
struct action<rules::escape_dollar> {
  static void apply0(line_state& st) { st.value_ += '$'; }
};
template <>
struct action<rules::lone_backslash> {
  static void apply0(line_state& st) { st.value_ += '\\'; }
};
template <>
struct action<rules::escape_hex> {
  template <typename Input>
  static void apply(const Input& in, line_state& st) {
    const auto digit = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    st.value_ += static_cast<char>(digit(in.begin()[2]) * 16 + digit(in.begin()[3]));
  }
};

template <>
struct action<rules::dquoted> {
  static void apply0(line_state& st) { st.quoted_ = true; }
};
template <>
struct action<rules::squoted> {
  static void apply0(line_state& st) { st.quoted_ = true; }
};

template <>
struct action<rules::var_name> {
  template <typename Input>
  static void apply(const Input& in, line_state& st) {
    st.var_name_ = std::string_view(in.begin(), in.size());
  }
};
template <>
struct action<rules::expand_all> {
  static void apply0(line_state& st) { st.var_split_ = true; }
};
template <>
struct action<rules::var_default_text> {
  template <typename Input>
  static void apply(const Input& in, line_state& st) {
    st.var_default_ = std::string_view(in.begin(), in.size());
    st.var_has_default_ = true;
  }
};
template <>
struct action<rules::variable> {
  static void apply0(line_state& st) { st.expand_variable(); }
};

template <>
struct action<rules::word> {
  template <typename Input>
  static void apply(const Input& in, line_state& st) {
    st.finish_word(in.begin(), in.size());
  }
};

template <>
struct action<rules::comment> {
  template <typename Input>
  static void apply(const Input& in, line_state& st) {
    st.out_.comment_ = comment{in.string(), st.position_of(in.begin())};
  }
};

// Records where the constructs that errors point at begin, and turns a failed must<> into a
// line_error carrying error_for<Rule>.
template <typename Rule>
struct control : pegtl::normal<Rule> {
  template <typename Input>
  static void start(const Input& in, line_state& st) noexcept {
    if constexpr (std::is_same_v<Rule, rules::dquoted> || std::is_same_v<Rule, rules::squoted>) {
      st.quote_anchor_ = in.current();
    } else if constexpr (std::is_same_v<Rule, rules::escape_hex>) {
      st.escape_anchor_ = in.current();
    } else if constexpr (std::is_same_v<Rule, rules::var_braced>) {
      st.brace_anchor_ = in.current();
    } else if constexpr (std::is_same_v<Rule, rules::expand_all>) {
      st.expansion_anchor_ = in.current();
    }
  }

  template <typename Input>
  [[noreturn]] static void raise(const Input& in, line_state& st) {
    constexpr error_info info = error_for<Rule>;
    static_assert(!info.message_.empty(), "a must<> point without a message in error_for");
    const char* where = in.current();
    switch (info.anchor_) {
      case error_anchor::here:
        break;
      case error_anchor::quote:
        where = st.quote_anchor_;
        break;
      case error_anchor::escape:
        where = st.escape_anchor_;
        break;
      case error_anchor::brace:
        where = st.brace_anchor_;
        break;
      case error_anchor::expansion:
        where = st.expansion_anchor_;
        break;
    }
    throw line_error{info.code_, std::string(info.message_), info.hint_,
                     where ? where : in.current()};
  }
};

// Cuts `text` into lines at '\n' (a final '\n' ends the last line, it does not start one).
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t nl = text.find('\n', begin);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    f(text.substr(begin, end - begin), nl != std::string_view::npos);
    begin = end + 1;
  }
}

struct line_context {
  std::string_view file_name_;
  std::string_view section_name_;
  file_id file_;
};

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

// What the grammar makes of a line of plain ASCII words (no quote, backslash, '#' or byte
// >= 0x80; nearly every line): the leading blanks, then each run of other characters as a word
// whose value is its text, at its byte's column. Without the per-character machinery of the
// parse, which such a line does not need. False (and `out` untouched) for any other line.
bool read_plain_line(std::string_view content, file_id file, line& out) {
  // Each byte's class in one look-up: 0 a word's, 1 a blank, 2 one this reading cannot take.
  static constexpr auto classes = [] {
    std::array<std::uint8_t, 256> t{};
    for (std::size_t c = 0x80; c < 256; ++c) {
      t[c] = 2;
    }
    for (const unsigned char c : {'"', '\'', '\\', '#'}) {
      t[c] = 2;
    }
    for (const unsigned char c : {' ', '\t', '\v', '\f'}) {
      t[c] = 1;
    }
    return t;
  }();
  std::size_t runs = 0;
  bool in_run = false;
  for (const char c : content) {
    const std::uint8_t k = classes[static_cast<unsigned char>(c)];
    if (k == 2) {
      return false;
    }
    runs += k == 0 && !in_run;
    in_run = k == 0;
  }
  out.words_.reserve(runs);
  const char* const begin = content.data();
  const char* const end = begin + content.size();
  const char* p = begin;
  while (p < end && is_blank(*p)) {
    ++p;
  }
  out.indentation_.assign(begin, p);
  while (p < end) {
    const char* const start = p;
    while (p < end && !is_blank(*p)) {
      ++p;
    }
    out.words_.push_back(word{std::string(start, p),
                              std::string(start, p),
                              {file, out.number_, static_cast<std::uint32_t>(start - begin + 1)}});
    while (p < end && is_blank(*p)) {
      ++p;
    }
  }
  return true;
}

void parse_line(std::string_view normalised, const line_context& context,
                const reader_options& options, line& out, diagnostics& diags) {
  // HAProxy stops reading a line at a CR (a CR LF became LF in the normaliser).
  const std::string_view content = normalised.substr(0, normalised.find('\r'));
  if (read_plain_line(content, context.file_, out)) {
    return;
  }
  // One allocation for the words instead of a growing vector: count the blank-separated runs
  // (quotes may merge some; an overestimate costs little).
  std::size_t runs = 0;
  bool in_run = false;
  for (const char c : content) {
    const bool blank = is_blank(c);
    runs += !blank && !in_run;
    in_run = !blank;
  }
  out.words_.reserve(runs);
  line_state st(options, content.data(), context.file_name_, out.number_, context.section_name_,
                context.file_, out);
  pegtl::memory_input<pegtl::tracking_mode::lazy, pegtl::eol::lf> in(
      content.data(), content.data() + content.size(), "");
  try {
    if (!pegtl::parse<grammar, action, control>(in, st)) {
      // Cannot happen (every character starts a word, a blank or a comment); never silent.
      diags.add(severity::error, codes::bad_escape, {context.file_, out.number_, 0},
                "internal error: the line could not be read");
      out.error_ = true;
    }
  } catch (const line_error& e) {
    out.error_ = true;
    diags.add(severity::error, e.code_, st.position_of(e.where_), e.message_, std::string(e.hint_));
  } catch (const pegtl::parse_error& e) {
    out.error_ = true;
    diags.add(severity::error, codes::bad_escape, {context.file_, out.number_, 0},
              std::string("internal error: ") + e.what());
  }
  // HAProxy adds no argument after trailing blanks, so an empty last piece of a ${VAR[*]}
  // split at the end of the line is no word.
  if (!out.words_.empty() && out.words_.back().split_index_ > 0 &&
      out.words_.back().value_.empty()) {
    out.words_.pop_back();
  }
}

// HAProxy's nested_conds states.
enum class cond_state {
  if_take,
  if_drop,
  if_skip,
  elif_take,
  elif_drop,
  elif_skip,
  else_take,
  else_drop
};

bool taking(cond_state s) {
  return s == cond_state::if_take || s == cond_state::elif_take || s == cond_state::else_take;
}

class file_reader {
 public:
  file_reader(const source_file& source, const reader_options& options, diagnostics& diags)
      : source_(source), options_(options), diags_(diags) {}

  config_file read(const line_sink* sink, bool keep_lines) {
    config_file out;
    out.file_ = source_.id();
    // Plain ASCII without CR (nearly every file) is its own normalised text: no copy.
    const std::string_view original = source_.text();
    normalised_text normal;
    std::string_view text = original;
    if (needs_normalising(original)) {
      normal = normalise(original, source_.id(), normalise_options{quote_style::haproxy}, diags_);
      text = normal.text_;
    }
    if (keep_lines) {
      out.lines_.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    }
    // Original and normalised texts have the same lines (normalise.hpp's contract): the
    // original's are taken in step, from original_offset on.
    std::size_t original_offset = 0;
    std::uint32_t number = 0;
    // Without keep_lines one line is reused: its word vector keeps its capacity, so reading
    // allocates for the words' own text only.
    line scratch;
    for_each_line(text, [&](std::string_view normalised_line, bool) {
      if (!keep_lines) {
        std::vector<word> words = std::move(scratch.words_);
        std::string raw = std::move(scratch.raw_);
        words.clear();
        raw.clear();
        scratch = line{};
        scratch.words_ = std::move(words);
        scratch.raw_ = std::move(raw);
      }
      line& l = keep_lines ? out.lines_.emplace_back() : scratch;
      l.number_ = ++number;
      if (original_offset < original.size()) {
        const std::size_t nl = original.find('\n', original_offset);
        const std::size_t end = nl == std::string_view::npos ? original.size() : nl;
        std::string_view raw = original.substr(original_offset, end - original_offset);
        l.ending_ = nl == std::string_view::npos ? line_ending::none : line_ending::lf;
        if (l.ending_ == line_ending::lf && raw.ends_with('\r')) {
          raw.remove_suffix(1);
          l.ending_ = line_ending::crlf;
        }
        l.raw_ = raw;
        original_offset = end + 1;
      }
      parse_line(normalised_line, {source_.name(), section_name_, source_.id()}, options_, l,
                 diags_);
      apply(out, l, keep_lines ? out.lines_.size() - 1 : no_header);
      if (sink != nullptr) {
        (*sink)(l);
      }
    });
    for (const auto& [where, state] : open_) {
      (void)state;
      diags_.add(severity::error, codes::unclosed_if, where,
                 "'.if' opened at line " + std::to_string(where.line_) +
                     " is not closed: the file ends at line " + std::to_string(number) +
                     " inside its block",
                 "add '.endif' where the conditional block ends");
    }
    return out;
  }

 private:
  bool active() const { return open_.empty() || taking(open_.back().second); }

  bool condition(const line& l) {
    std::string joined;
    std::vector<std::size_t> starts;
    for (std::size_t i = 1; i < l.words_.size(); ++i) {
      if (i > 1) {
        joined += ' ';
      }
      starts.push_back(joined.size());
      joined += l.words_[i].value_;
    }
    std::string error;
    std::size_t offset = 0;
    const int result = evaluate_condition(joined, options_, error, offset);
    if (result >= 0) {
      return result == 1;
    }
    // Show the word the bad character came from (decoding makes finer columns meaningless).
    std::size_t w = 0;
    while (w + 1 < starts.size() && starts[w + 1] <= offset) {
      ++w;
    }
    const source_position where =
        starts.empty() ? l.words_[0].position_ : l.words_[w + 1].position_;
    diags_.add(severity::error, codes::bad_condition, where,
               error + " in '" + l.words_[0].value_ + "'",
               "a condition combines 0, 1, defined(VAR), feature(NAME), streq(A,B), strneq(A,B), "
               "version_atleast(V) and version_before(V) with !, &&, || and parentheses");
    return false;
  }

  void conditional(const line& l) {
    const std::string_view d = l.words_[0].value_;
    const source_position where = l.words_[0].position_;
    if (d == ".if") {
      if (open_.size() + 1 >= max_nested_conditions) {
        diags_.add(
            severity::error, codes::too_deep, where,
            "too many nested '.if', the most is " + std::to_string(max_nested_conditions - 1),
            "flatten the conditions with && and ||");
        open_.emplace_back(where, cond_state::if_skip);
        return;
      }
      if (!active()) {
        open_.emplace_back(where, cond_state::if_skip);
        return;
      }
      open_.emplace_back(where, condition(l) ? cond_state::if_take : cond_state::if_drop);
      return;
    }
    if (open_.empty()) {
      diags_.add(severity::error, codes::lone_conditional, where,
                 "lone '" + std::string(d) + "' with no matching '.if'",
                 "remove it, or add the '.if' that opens its block");
      return;
    }
    cond_state& state = open_.back().second;
    if (d == ".endif") {
      open_.pop_back();
      return;
    }
    if (state == cond_state::else_take || state == cond_state::else_drop) {
      diags_.add(severity::error, codes::misplaced_conditional, where,
                 "'" + std::string(d) + "' after '.else' is not permitted",
                 "'.else' must be the last branch of its '.if' block");
      return;
    }
    if (state == cond_state::if_skip) {
      return;  // the whole block is inside a branch not taken
    }
    if (d == ".elif") {
      if (taking(state) || state == cond_state::elif_skip) {
        state = cond_state::elif_skip;
      } else {
        state = condition(l) ? cond_state::elif_take : cond_state::elif_drop;
      }
      return;
    }
    // .else
    state = taking(state) || state == cond_state::elif_skip ? cond_state::else_drop
                                                            : cond_state::else_take;
  }

  void message(const line& l) {
    const std::string_view d = l.words_[0].value_;
    if (l.words_.size() > 2 && !l.words_[2].value_.empty()) {
      diags_.add(severity::error, codes::message_arguments, l.words_[2].position_,
                 "unexpected argument '" + l.words_[2].value_ + "' for '" + std::string(d) + "'",
                 "put the message in quotes if it contains spaces");
      return;
    }
    const std::string text = l.words_.size() > 1 ? l.words_[1].value_ : std::string();
    if (d == ".alert") {
      diags_.add(severity::error, codes::directive_alert, l.words_[0].position_, text);
    } else if (d == ".warning") {
      diags_.add(severity::warning, codes::directive_warning, l.words_[0].position_, text);
    } else if (d == ".notice") {
      diags_.add(severity::note, codes::directive_notice, l.words_[0].position_, text);
    } else {
      // .diag: HAProxy shows it only with -dD; a note here, the front-end decides.
      diags_.add(severity::note, codes::directive_diag, l.words_[0].position_, text);
    }
  }

  // `index`: of l in out.lines_, or no_header when lines are not kept (nor sections_, then).
  void apply(config_file& out, line& l, std::size_t index) {
    l.active_ = active();
    if (l.words_.empty()) {
      l.kind_ = l.comment_ ? line_kind::comment : line_kind::blank;
      return;
    }
    const std::string_view first = l.words_[0].value_;
    if (first.starts_with('.')) {
      if (first == ".if" || first == ".elif" || first == ".else" || first == ".endif") {
        l.kind_ = line_kind::conditional;
        if (!l.error_) {
          conditional(l);
        }
        return;
      }
      const bool is_message =
          first == ".diag" || first == ".notice" || first == ".warning" || first == ".alert";
      l.kind_ = is_message ? line_kind::message : line_kind::unknown_dot;
      if (!l.active_ || l.error_) {
        return;
      }
      if (is_message) {
        message(l);
      } else {
        diags_.add(severity::error, codes::unknown_directive, l.words_[0].position_,
                   "unknown directive '" + std::string(first) + "'",
                   "HAProxy's directives are .if, .elif, .else, .endif, .diag, .notice, "
                   ".warning and .alert");
      }
      return;
    }
    if ((first == "no" || first == "default") && l.words_.size() > 1) {
      l.modifier_ = first == "no" ? modifier::no : modifier::default_;
    }
    const bool header = l.modifier_ == modifier::none && is_section_keyword(first);
    l.kind_ = header ? line_kind::section : line_kind::directive;
    if (!l.active_) {
      return;
    }
    if (header) {
      section_name_ = l.words_.size() > 1 ? l.words_[1].value_ : l.words_[0].value_;
      if (index != no_header) {
        out.sections_.push_back(section{index, {}});
      }
      return;
    }
    if (index == no_header) {
      return;
    }
    if (out.sections_.empty()) {
      out.sections_.push_back(section{});
    }
    out.sections_.back().directives_.push_back(index);
  }

  const source_file& source_;
  const reader_options& options_;
  diagnostics& diags_;
  std::vector<std::pair<source_position, cond_state>> open_;
  std::string section_name_;
};

}  // namespace

config_file read_haproxy_file(const source_registry& sources, file_id file,
                              const reader_options& options, diagnostics& diags) {
  return file_reader(sources.file(file), options, diags).read(nullptr, true);
}

config_file read_haproxy_file(const source_registry& sources, file_id file,
                              const reader_options& options, diagnostics& diags,
                              const line_sink& sink, bool keep_lines) {
  return file_reader(sources.file(file), options, diags).read(&sink, keep_lines);
}

std::vector<std::string> expand_haproxy_paths(std::span<const std::string> paths,
                                              diagnostics& diags) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      files.push_back(path);  // loading reports it if it is missing or unreadable
      continue;
    }
    std::vector<std::string> names;
    fs::directory_iterator it(path, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      std::error_code type_ec;
      if (name.starts_with(".") || !name.ends_with(".cfg") ||
          !fs::is_regular_file(it->path(), type_ec)) {
        continue;
      }
      names.push_back(std::move(name));
    }
    if (ec) {
      std::string message = "cannot read configuration directory '";
      message += path;
      message += "': ";
      message += ec.message();
      diags.add(severity::error, parsers::codes::file_unreadable, {}, std::move(message));
      continue;
    }
    std::sort(names.begin(), names.end());  // byte order, as alphasort in the C locale
    for (const std::string& name : names) {
      files.push_back(path.ends_with("/") ? path + name : path + "/" + name);
    }
  }
  return files;
}

syntax_tree read_haproxy(source_registry& sources, std::span<const std::string> paths,
                         const reader_options& options, diagnostics& diags) {
  syntax_tree tree;
  for (const std::string& path : expand_haproxy_paths(paths, diags)) {
    if (const std::optional<file_id> id = sources.load(path, diags)) {
      tree.files_.push_back(read_haproxy_file(sources, *id, options, diags));
    }
  }
  return tree;
}

}  // namespace tandem::parsers::haproxy
