// .if/.elif conditions and version comparison (see reader.hpp), mirroring HAProxy's
// src/cfgcond.c, make_arg_list() in src/arg.c and split_version() in src/tools.c closely,
// quirks included (strtol() numbers, predicates without parentheses, an unparsable version
// being "at least" anything), because a config's branches must be taken as HAProxy takes them.
// Hand-written rather than PEGTL: the language is tiny, and HAProxy's error positions and
// messages come from this exact recursive descent.
#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "parsers/haproxy/reader.hpp"

namespace tandem::parsers::haproxy {

namespace {

// HAProxy's MAX_CFG_RECURSION.
constexpr int max_recursion = 1024;

bool is_c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// strtol(text + pos, &end, base) for base 0 or 10; returns the value and sets `end` (== pos
// when nothing was converted). Saturates instead of overflowing.
long c_strtol(std::string_view text, std::size_t pos, std::size_t& end, int base) {
  std::size_t i = pos;
  while (i < text.size() && is_c_space(text[i])) {
    ++i;
  }
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  if (base == 0) {
    if (i + 1 < text.size() && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X') &&
        i + 2 < text.size() && hex_value(text[i + 2]) >= 0) {
      base = 16;
      i += 2;
    } else if (i < text.size() && text[i] == '0') {
      base = 8;
    } else {
      base = 10;
    }
  }
  const std::size_t digits_start = i;
  unsigned long value = 0;
  for (; i < text.size(); ++i) {
    const int d = hex_value(text[i]);
    if (d < 0 || d >= base) {
      break;
    }
    value = value > 0x7fffffffffffffffUL / 16
                ? value
                : value * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  if (i == digits_start) {
    end = pos;
    return 0;
  }
  end = i;
  const long v = static_cast<long>(value);
  return negative ? -v : v;
}

std::optional<std::array<unsigned, 7>> split_version(std::string_view v) {
  std::array<unsigned, 7> value{0, 0, 0, 0, 3, 0, 0};
  if (v.empty()) {
    return std::nullopt;
  }
  const auto number = [&](std::size_t pos, std::size_t& end) {
    return static_cast<unsigned>(c_strtol(v, pos, end, 10));
  };
  std::size_t p = 0;
  std::size_t end = 0;
  bool tag = false;
  for (int i = 0; i < 4; ++i) {
    value[static_cast<std::size_t>(i)] = number(p, end);
    p = end + 1;
    if (end >= v.size()) {
      return value;
    }
    if (v[end] == '-') {
      tag = true;
      break;
    }
    if (i == 3 || v[end] != '.') {
      return std::nullopt;
    }
  }
  if (!tag) {
    return std::nullopt;
  }
  // After "-": a tag (dev, rc, pre) with its number, then an optional "-commit" number.
  if (p < v.size() && !is_digit(v[p])) {
    std::optional<unsigned> kind;
    std::size_t length = 0;
    if (v.substr(p).starts_with("dev")) {
      kind = 0, length = 3;
    } else if (v.substr(p).starts_with("rc")) {
      kind = 2, length = 2;
    } else if (v.substr(p).starts_with("pre")) {
      kind = 1, length = 3;
    }
    if (kind) {
      value[4] = *kind;
      p += length;
      value[5] = number(p, end);
      p = end + 1;
      if (end >= v.size()) {
        return value;
      }
      if (v[end] != '-') {
        return std::nullopt;
      }
    }
  }
  std::string_view rest = p < v.size() ? v.substr(p) : std::string_view();
  if (const std::size_t dash = rest.rfind('-'); dash != std::string_view::npos) {
    rest = rest.substr(dash + 1);
    if (rest.empty()) {
      return std::nullopt;
    }
  }
  std::size_t commit_end = 0;
  const long commit = c_strtol(rest, 0, commit_end, 10);
  value[6] = commit_end == rest.size() && !rest.empty() ? static_cast<unsigned>(commit) : 0;
  return value;
}

struct predicate {
  std::string_view name_;
  int arguments_;
};
constexpr std::array<predicate, 6> predicates{{{"defined", 1},
                                               {"feature", 1},
                                               {"streq", 2},
                                               {"strneq", 2},
                                               {"version_atleast", 1},
                                               {"version_before", 1}}};

class condition_parser {
 public:
  condition_parser(std::string_view text, const reader_options& options, std::string& error,
                   std::size_t& error_offset)
      : text_(text), options_(options), error_(error), error_offset_(error_offset) {}

  int run() {
    std::size_t pos = 0;
    if (text_.empty()) {
      return 0;  // an empty condition is false
    }
    bool value = false;
    const int ret = expr(pos, value, max_recursion);
    if (ret < 0) {
      return -1;
    }
    if (ret == 0) {
      return fail("unparsable conditional expression '" + std::string(text_) + "'", 0);
    }
    skip_blanks(pos);
    if (pos < text_.size()) {
      return fail("unexpected character '" + std::string(1, text_[pos]) +
                      "' at the end of conditional expression '" + std::string(text_) + "'",
                  pos);
    }
    return value ? 1 : 0;
  }

 private:
  char at(std::size_t pos) const { return pos < text_.size() ? text_[pos] : '\0'; }
  void skip_blanks(std::size_t& pos) const {
    while (at(pos) == ' ' || at(pos) == '\t') {
      ++pos;
    }
  }
  int fail(std::string message, std::size_t offset) {
    error_ = std::move(message);
    error_offset_ = offset;
    return -1;
  }

  // cfg_parse_cond_expr: and ['||' expr]. Returns -1, 0 (nothing to parse) or 1.
  int expr(std::size_t& text, bool& value, int depth) {
    std::size_t in = text;
    if (in >= text_.size()) {
      return 0;
    }
    if (depth <= 0) {
      return fail("unparsable conditional expression '" + std::string(text_.substr(in)) + "'", in);
    }
    bool left = false;
    int ret = and_expr(in, left, depth - 1);
    if (ret < 0) {
      return -1;
    }
    if (ret == 0) {
      return fail("unparsable conditional expression '" + std::string(text_.substr(in)) + "'", in);
    }
    skip_blanks(in);
    text = in;
    value = left;
    if (at(in) != '|' || at(in + 1) != '|') {
      return 1;
    }
    in += 2;
    skip_blanks(in);
    bool right = false;
    ret = expr(in, right, depth - 1);
    if (ret > 0) {
      text = in;
      value = left || right;
    }
    return ret;
  }

  // cfg_parse_cond_and: term ['&&' and].
  int and_expr(std::size_t& text, bool& value, int depth) {
    std::size_t in = text;
    if (in >= text_.size()) {
      return 0;
    }
    if (depth <= 0) {
      return fail("unparsable conditional sub-expression '" + std::string(text_.substr(in)) + "'",
                  in);
    }
    bool left = false;
    int ret = term(in, left, depth - 1);
    if (ret < 0) {
      return -1;
    }
    if (ret == 0) {
      return fail("unparsable conditional sub-expression '" + std::string(text_.substr(in)) + "'",
                  in);
    }
    skip_blanks(in);
    text = in;
    value = left;
    if (at(in) != '&' || at(in + 1) != '&') {
      return 1;
    }
    in += 2;
    skip_blanks(in);
    bool right = false;
    ret = and_expr(in, right, depth - 1);
    if (ret > 0) {
      text = in;
      value = left && right;
    }
    return ret;
  }

  // cfg_parse_cond_term: ['!'...] (number | '(' expr ')' | predicate[(args)]).
  int term(std::size_t& text, bool& value, int depth) {
    std::size_t in = text;
    skip_blanks(in);
    if (in >= text_.size()) {
      return 0;
    }
    const auto unparsable = [&] {
      return fail("unparsable conditional expression '" + std::string(text_.substr(text)) + "'",
                  text);
    };
    if (depth <= 0) {
      return unparsable();
    }
    bool negate = false;
    while (at(in) == '!') {
      negate = !negate;
      do {
        ++in;
      } while (at(in) == ' ' || at(in) == '\t');
    }
    std::size_t end = in;
    const long number = c_strtol(text_, in, end, 0);
    if (end != in) {
      value = (number != 0) != negate;
      text = end;
      return 1;
    }
    if (at(in) == '(') {
      do {
        ++in;
      } while (at(in) == ' ' || at(in) == '\t');
      bool inner = false;
      const int ret = expr(in, inner, depth - 1);
      if (ret < 0) {
        return -1;
      }
      if (ret == 0) {
        return unparsable();
      }
      skip_blanks(in);
      if (at(in) != ')') {
        return fail(
            "expected ')' after conditional expression '" + std::string(text_.substr(text)) + "'",
            text);
      }
      do {
        ++in;
      } while (at(in) == ' ' || at(in) == '\t');
      value = inner != negate;
      text = in;
      return 1;
    }
    const std::size_t name_end = std::min(text_.find_first_of(" (", in), text_.size());
    const std::string_view name = text_.substr(in, name_end - in);
    for (const predicate& p : predicates) {
      if (p.name_ != name) {
        continue;
      }
      std::array<std::string, 2> args;
      std::size_t args_end = name_end;
      int bad_argument = 0;
      if (arguments(name_end, p.arguments_, args, args_end, bad_argument) < 0) {
        return fail(error_ + " in argument " + std::to_string(bad_argument) + " of predicate '" +
                        std::string(p.name_) + "' used in conditional expression",
                    args_end);
      }
      value = evaluate(p.name_, args) != negate;
      text = args_end;
      return 1;
    }
    return unparsable();
  }

  // make_arg_list() for string arguments; `in` is just after the predicate's name.
  int arguments(std::size_t in, int count, std::array<std::string, 2>& args, std::size_t& end,
                int& bad_argument) {
    const bool empty = at(in) != '(';
    if (!empty) {
      ++in;
    }
    int pos = 0;
    while (pos < count) {
      std::string& out = args[static_cast<std::size_t>(pos)];
      bool squote = false;
      bool dquote = false;
      while (!empty && in < text_.size()) {
        const char c = text_[in];
        if (c == '"' && !squote) {
          dquote = !dquote;
          ++in;
        } else if (c == '\'' && !dquote) {
          squote = !squote;
          ++in;
        } else if (c == '\\' && !squote) {
          const char n = at(in + 1);
          if (in + 1 >= text_.size()) {
            error_ = "failed to parse '" + std::string(text_.substr(in)) + "' after '" + out +
                     "' as type 'string' at position " + std::to_string(pos + 1);
            bad_argument = pos;
            end = in;
            return -1;
          }
          if (n == '\\' || n == ' ' || n == '"' || n == '\'') {
            out += n;
            in += 2;
          } else if (n == 'r' || n == 'n' || n == 't') {
            out += n == 'r' ? '\r' : n == 'n' ? '\n' : '\t';
            in += 2;
          } else {
            out += '\\';
            ++in;
          }
        } else if (!squote && !dquote && (c == ',' || c == ')')) {
          break;
        } else {
          out += c;
          ++in;
        }
      }
      ++pos;
      if (empty || in >= text_.size() || text_[in] == ')' || pos >= count) {
        break;
      }
      ++in;  // the comma
    }
    if (pos < count) {
      error_ = "missing arguments (got " + std::to_string(pos) + "/" + std::to_string(count) +
               "), type 'string' expected";
      bad_argument = pos;
      end = in;
      return -1;
    }
    if (!empty) {
      if (at(in) == ')') {
        ++in;
      } else {
        const std::string_view rest = text_.substr(std::min(in, text_.size()));
        error_ = rest.empty() ? "expected ')'" : "expected ')' before '" + std::string(rest) + "'";
        bad_argument = pos > 1 ? pos - 1 : pos;
        end = in;
        return -1;
      }
    }
    end = in;
    return pos;
  }

  bool evaluate(std::string_view name, const std::array<std::string, 2>& args) const {
    if (name == "defined") {
      return options_.environment_.find(args[0]) != options_.environment_.end();
    }
    if (name == "feature") {
      for (const std::string& f : options_.features_) {
        if (f == args[0]) {
          return true;
        }
      }
      return false;
    }
    if (name == "streq") {
      return args[0] == args[1];
    }
    if (name == "strneq") {
      return args[0] != args[1];
    }
    const int cmp = compare_versions(options_.version_, args[0]);
    return name == "version_atleast" ? cmp <= 0 : cmp > 0;
  }

  std::string_view text_;
  const reader_options& options_;
  std::string& error_;
  std::size_t& error_offset_;
};

}  // namespace

int evaluate_condition(std::string_view expression, const reader_options& options,
                       std::string& error, std::size_t& error_offset) {
  error.clear();
  error_offset = 0;
  return condition_parser(expression, options, error, error_offset).run();
}

int compare_versions(std::string_view current, std::string_view version) {
  const auto loc = split_version(current);
  if (!loc) {
    return -2;
  }
  const auto mod = split_version(version);
  if (!mod) {
    return -3;
  }
  for (std::size_t i = 0; i < 7; ++i) {
    if ((*mod)[i] < (*loc)[i]) {
      return -1;
    }
    if ((*mod)[i] > (*loc)[i]) {
      return 1;
    }
  }
  return 0;
}

}  // namespace tandem::parsers::haproxy
