// The converters Tandem runs (HAProxy 2.6's sample.c, map.c, http_conv.c): case, encodings,
// fields and words, regsub, masks, arithmetic, maps. Arguments are parsed and files loaded
// once, when the expression is compiled.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "parsers/common/text.hpp"
#include "runtime/proxy/acl/expression.hpp"

namespace tandem::runtime::proxy::acl {

using parsers::single_quoted;

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// Scope-qualified variable names (vars_check_arg()).
bool variable_name(std::string_view v) {
  for (const std::string_view scope : {"proc.", "sess.", "txn.", "req.", "res."}) {
    if (v.starts_with(scope) && v.size() > scope.size()) {
      return true;
    }
  }
  return false;
}

// An arithmetic operand: the integer argument, or the variable it names.
bool operand(const converter_step& c, const sample_source& src, std::int64_t& out) {
  if (c.has_n_[0]) {
    out = c.n_[0];
    return true;
  }
  const std::optional<std::string> v = src.variable(c.args_[0]);
  if (!v || v->empty()) {
    return false;
  }
  out = leading_integer(*v);
  return true;
}

constexpr std::int64_t int_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t int_max = std::numeric_limits<std::int64_t>::max();

// Saturating arithmetic, as sample.c's arith_*.
std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) {
    return a < 0 ? int_min : int_max;
  }
  return r;
}

bool conv_lower(const converter_step&, const sample_source&, sample& s) {
  std::string v(s.text());
  std::transform(v.begin(), v.end(), v.begin(), lower);
  s.set_owned(std::move(v));
  return true;
}

bool conv_upper(const converter_step&, const sample_source&, sample& s) {
  std::string v(s.text());
  std::transform(v.begin(), v.end(), v.begin(), upper);
  s.set_owned(std::move(v));
  return true;
}

constexpr char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string encode64(std::string_view in, const char* alphabet, bool pad) {
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                            (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) {
      v |= static_cast<unsigned char>(in[i + 1]) << 8;
    }
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (i + 1 < in.size()) {
      out += alphabet[(v >> 6) & 63];
    } else if (pad) {
      out += '=';
    }
    if (pad) {
      out += '=';
    }
  }
  return out;
}

bool decode64(std::string_view in, const char* alphabet, bool padded, std::string& out) {
  if (padded && in.size() % 4 != 0) {
    return false;
  }
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t pads = 0;
  for (const char c : in) {
    if (c == '=' && padded) {
      ++pads;
      continue;
    }
    if (pads != 0) {
      return false;
    }
    const char* p = std::strchr(alphabet, c);
    if (c == '\0' || p == nullptr) {
      return false;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(p - alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return pads <= 2;
}

bool conv_base64(const converter_step&, const sample_source&, sample& s) {
  s.set_owned(encode64(s.text(), b64, true));
  return true;
}
bool conv_b64dec(const converter_step&, const sample_source&, sample& s) {
  std::string out;
  if (!decode64(s.text(), b64, true, out)) {
    return false;
  }
  s.set_owned(std::move(out));
  return true;
}
bool conv_ub64enc(const converter_step&, const sample_source&, sample& s) {
  s.set_owned(encode64(s.text(), b64url, false));
  return true;
}
bool conv_ub64dec(const converter_step&, const sample_source&, sample& s) {
  std::string out;
  if (!decode64(s.text(), b64url, false, out)) {
    return false;
  }
  s.set_owned(std::move(out));
  return true;
}

bool conv_hex(const converter_step&, const sample_source&, sample& s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s.text()) {
    out += digits[(static_cast<unsigned char>(c) >> 4) & 15];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  s.set_owned(std::move(out));
  return true;
}

bool conv_hex2i(const converter_step&, const sample_source&, sample& s) {
  std::int64_t v = 0;
  bool negative = false;
  std::string_view t = s.text();
  if (!t.empty() && t[0] == '-') {
    negative = true;
    t.remove_prefix(1);
  }
  for (const char c : t) {
    int d = 0;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (lower(c) >= 'a' && lower(c) <= 'f') {
      d = lower(c) - 'a' + 10;
    } else {
      break;
    }
    v = v * 16 + d;
  }
  s = sample::integer(negative ? -v : v);
  return true;
}

bool conv_length(const converter_step&, const sample_source&, sample& s) {
  s = sample::integer(static_cast<std::int64_t>(s.text().size()));
  return true;
}

bool conv_bytes(const converter_step& c, const sample_source&, sample& s) {
  const std::string_view t = s.text();
  const auto offset = static_cast<std::size_t>(c.n_[0]);
  std::string out;
  if (offset < t.size()) {
    std::size_t len = t.size() - offset;
    if (c.has_n_[1] && static_cast<std::size_t>(c.n_[1]) < len) {
      len = static_cast<std::size_t>(c.n_[1]);
    }
    out = std::string(t.substr(offset, len));
  }
  s.set_owned(std::move(out));
  return true;
}

bool is_sep(char ch, std::string_view seps) {
  return seps.find(ch) != std::string_view::npos;
}

// field(index, separators[, count]): fields are split at every separator; negative indexes
// count from the end. A field that does not exist fails the converter.
bool conv_field(const converter_step& c, const sample_source&, sample& s) {
  const std::string_view t = s.text();
  const std::string_view seps = c.args_[1];
  const std::int64_t index = c.n_[0];
  std::int64_t count = c.has_n_[2] ? c.n_[2] : 1;
  std::size_t start = 0;
  std::size_t end = 0;
  if (index > 0) {
    std::int64_t field = 1;
    start = end = 0;
    bool found = false;
    for (; end < t.size(); ++end) {
      if (!is_sep(t[end], seps)) {
        continue;
      }
      if (field == index) {
        if (count == 1) {
          found = true;
          break;
        }
        if (count > 1) {
          --count;
        }
      } else {
        start = end + 1;
        ++field;
      }
    }
    if (!found && field != index) {
      return false;
    }
  } else {
    std::int64_t field = -1;
    start = end = t.size();
    bool found = false;
    for (; start > 0; --start) {
      if (!is_sep(t[start - 1], seps)) {
        continue;
      }
      if (field == index) {
        if (count == 1) {
          found = true;
          break;
        }
        if (count > 1) {
          --count;
        }
      } else {
        end = start - 1;
        --field;
      }
    }
    if (!found && field != index) {
      return false;
    }
  }
  s.set_owned(std::string(t.substr(start, end - start)));
  return true;
}

// word(index, separators[, count]): like field, but runs of separators count as one and empty
// words do not exist. A word that does not exist gives an empty string.
bool conv_word(const converter_step& c, const sample_source&, sample& s) {
  const std::string_view t = s.text();
  const std::string_view seps = c.args_[1];
  const std::int64_t index = c.n_[0];
  std::int64_t count = c.has_n_[2] ? c.n_[2] : 1;
  std::int64_t word = 0;
  bool inword = false;
  std::size_t start = 0;
  std::size_t end = 0;
  bool found = false;
  if (index > 0) {
    for (; end < t.size(); ++end) {
      const bool sep = is_sep(t[end], seps);
      if (!inword) {
        if (!sep) {
          if (word != index) {
            ++word;
            start = end;
          }
          inword = true;
        }
      } else if (sep) {
        if (word == index) {
          if (count == 1) {
            found = true;
            break;
          }
          if (count > 1) {
            --count;
          }
        }
        inword = false;
      }
    }
  } else {
    start = end = t.size();
    for (; start > 0; --start) {
      const bool sep = is_sep(t[start - 1], seps);
      if (!inword) {
        if (!sep) {
          if (word != index) {
            --word;
            end = start;
          }
          inword = true;
        }
      } else if (sep) {
        if (word == index) {
          if (count == 1) {
            found = true;
            break;
          }
          if (count > 1) {
            --count;
          }
        }
        inword = false;
      }
    }
  }
  if (!found && word != index) {
    s.set_owned(std::string());
    return true;
  }
  s.set_owned(std::string(t.substr(start, end - start)));
  return true;
}

// exp_replace(): the replacement with \0-\9 (groups) and \xHH.
void replace_into(std::string& out, std::string_view subject, std::string_view repl,
                  const regex::groups& g) {
  for (std::size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '\\' || i + 1 >= repl.size()) {
      out += repl[i];
      continue;
    }
    const char n = repl[++i];
    if (n >= '0' && n <= '9') {
      const auto k = static_cast<std::size_t>(n - '0');
      if (g.begin_[k] != std::string_view::npos) {
        out += subject.substr(g.begin_[k], g.end_[k] - g.begin_[k]);
      }
    } else if (n == 'x' && i + 2 < repl.size()) {
      const auto hex = [](char h) {
        h = upper(h);
        return h <= '9' ? h - '0' : h - 'A' + 10;
      };
      out += static_cast<char>((hex(repl[i + 1]) << 4) + hex(repl[i + 2]));
      i += 2;
    } else {
      out += n;
    }
  }
}

// regsub(regex, replacement[, flags]): the first match replaced, or every one with "g".
bool conv_regsub(const converter_step& c, const sample_source&, sample& s) {
  const std::string_view t = s.text();
  const std::string_view repl = c.args_[1];
  std::string out;
  std::size_t at = 0;
  bool not_bol = false;
  while (true) {
    regex::groups g;
    const bool found = (c.global_ || !not_bol) && c.re_->search(t, at, not_bol, g);
    if (!found) {
      out += t.substr(at);
      break;
    }
    out += t.substr(at, g.begin_[0] - at);
    replace_into(out, t, repl, g);
    if (at >= t.size()) {
      break;
    }
    std::size_t next = g.end_[0];
    if (g.end_[0] == g.begin_[0]) {
      // An empty match stands before a character: keep it and move past it.
      if (next < t.size()) {
        out += t[next];
      }
      ++next;
    }
    at = next;
    not_bol = true;
    if (at > t.size()) {
      break;
    }
  }
  s.set_owned(std::move(out));
  return true;
}

bool conv_ipmask(const converter_step& c, const sample_source&, sample& s) {
  if (s.type_ == smp_type::ipv4_) {
    for (int i = 0; i < 4; ++i) {
      s.addr_[i] &= c.mask4_[i];
    }
    return true;
  }
  if (s.type_ == smp_type::ipv6_ && c.has_mask6_) {
    for (int i = 0; i < 16; ++i) {
      s.addr_[i] &= c.mask6_[i];
    }
    return true;
  }
  return false;
}

// The port of a Host value: digits after the last ':' that is not inside "[…]".
std::size_t port_colon(std::string_view h) {
  const std::size_t colon = h.rfind(':');
  if (colon == std::string_view::npos) {
    return colon;
  }
  const std::size_t bracket = h.rfind(']');
  if (bracket != std::string_view::npos && bracket > colon) {
    return std::string_view::npos;
  }
  if (h[0] != '[' && h.find(':') != colon) {
    return std::string_view::npos;  // a bare IPv6 address has no port
  }
  for (std::size_t i = colon + 1; i < h.size(); ++i) {
    if (h[i] < '0' || h[i] > '9') {
      return std::string_view::npos;
    }
  }
  return colon;
}

bool conv_host_only(const converter_step&, const sample_source&, sample& s) {
  const std::string_view h = s.text();
  const std::size_t colon = port_colon(h);
  s.set_owned(std::string(colon == std::string_view::npos ? h : h.substr(0, colon)));
  return true;
}

bool conv_port_only(const converter_step&, const sample_source&, sample& s) {
  const std::string_view h = s.text();
  const std::size_t colon = port_colon(h);
  s = sample::integer(colon == std::string_view::npos ? 0 : leading_integer(h.substr(colon + 1)));
  return true;
}

// json([input-code]): a string escaped for a JSON string. "ascii" escapes every byte above
// 0x7f; the utf8 codes keep valid UTF-8 sequences and fail ("utf8", "utf8p") on, or drop
// ("utf8s", "utf8ps"), invalid ones.
std::size_t utf8_length(std::string_view t, std::size_t i) {
  const auto c = static_cast<unsigned char>(t[i]);
  std::size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (n == 0 || i + n > t.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(t[i + k]) & 0xc0) != 0x80) {
      return 0;
    }
  }
  return n;
}

bool conv_json(const converter_step& c, const sample_source&, sample& s) {
  const std::string_view t = s.text();
  const std::string_view code = c.args_.empty() ? std::string_view("ascii") : c.args_[0];
  const bool utf8 = code.starts_with("utf8");
  const bool skip = code == "utf8s" || code == "utf8ps";
  std::string out;
  char buf[8];
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto ch = static_cast<unsigned char>(t[i]);
    switch (ch) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '/':
        out += "\\/";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\t':
        out += "\\t";
        continue;
      default:
        break;
    }
    if (ch < 0x20 || (ch >= 0x80 && !utf8)) {
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      out += buf;
      continue;
    }
    if (ch >= 0x80) {
      const std::size_t n = utf8_length(t, i);
      if (n == 0) {
        if (!skip) {
          return false;
        }
        continue;
      }
      out += t.substr(i, n);
      i += n - 1;
      continue;
    }
    out += static_cast<char>(ch);
  }
  s.set_owned(std::move(out));
  return true;
}

// url_dec([in_form]): %XX decoded; '+' is a space in a form, or after a '?'.
bool conv_url_dec(const converter_step& c, const sample_source&, sample& s) {
  const std::string_view t = s.text();
  bool in_query = c.has_n_[0] && c.n_[0] != 0;
  std::string out;
  const auto hex = [](char h) {
    h = lower(h);
    return (h >= '0' && h <= '9') ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : -1;
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char ch = t[i];
    if (ch == '?') {
      in_query = true;
      out += ch;
    } else if (ch == '+' && in_query) {
      out += ' ';
    } else if (ch == '%') {
      if (i + 2 >= t.size()) {
        return false;
      }
      const int h = hex(t[i + 1]);
      const int l = hex(t[i + 2]);
      if (h < 0 || l < 0) {
        return false;
      }
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else {
      out += ch;
    }
  }
  s.set_owned(std::move(out));
  return true;
}

bool conv_concat(const converter_step& c, const sample_source& src, sample& s) {
  std::string out(s.text());
  if (!c.args_.empty()) {
    out += c.args_[0];
  }
  if (c.args_.size() > 1 && !c.args_[1].empty()) {
    if (const std::optional<std::string> v = src.variable(c.args_[1])) {
      out += *v;
    }
  }
  if (c.args_.size() > 2) {
    out += c.args_[2];
  }
  s.set_owned(std::move(out));
  return true;
}

bool conv_ltrim(const converter_step& c, const sample_source&, sample& s) {
  std::string_view t = s.text();
  while (!t.empty() && is_sep(t.front(), c.args_[0])) {
    t.remove_prefix(1);
  }
  s.set_owned(std::string(t));
  return true;
}

bool conv_rtrim(const converter_step& c, const sample_source&, sample& s) {
  std::string_view t = s.text();
  while (!t.empty() && is_sep(t.back(), c.args_[0])) {
    t.remove_suffix(1);
  }
  s.set_owned(std::string(t));
  return true;
}

bool conv_cut_crlf(const converter_step&, const sample_source&, sample& s) {
  const std::string_view t = s.text();
  s.set_owned(std::string(t.substr(0, t.find_first_of("\r\n"))));
  return true;
}

bool conv_strcmp(const converter_step& c, const sample_source& src, sample& s) {
  const std::optional<std::string> v = src.variable(c.args_[0]);
  if (!v) {
    return false;
  }
  const int r = s.text().compare(*v);
  s = sample::integer(r < 0 ? -1 : r > 0 ? 1 : 0);
  return true;
}

bool conv_iif(const converter_step& c, const sample_source&, sample& s) {
  s = sample::view(s.sint_ != 0 ? std::string_view(c.args_[0]) : std::string_view(c.args_[1]));
  return true;
}

bool conv_nbsrv(const converter_step&, const sample_source& src, sample& s) {
  const int n = src.usable_servers(s.text());
  if (n < 0) {
    return false;
  }
  s = sample::integer(n);
  return true;
}

// Arithmetic and logic on integers.
bool conv_add(const converter_step& c, const sample_source& src, sample& s) {
  std::int64_t b = 0;
  if (!operand(c, src, b)) {
    return false;
  }
  s = sample::integer(saturating_add(s.sint_, b));
  return true;
}
bool conv_sub(const converter_step& c, const sample_source& src, sample& s) {
  std::int64_t b = 0;
  if (!operand(c, src, b)) {
    return false;
  }
  if (b == int_min) {
    std::int64_t r = saturating_add(s.sint_, int_max);
    s = sample::integer(r < int_max ? r + 1 : r);
    return true;
  }
  s = sample::integer(saturating_add(s.sint_, -b));
  return true;
}
bool conv_mul(const converter_step& c, const sample_source& src, sample& s) {
  std::int64_t b = 0;
  if (!operand(c, src, b)) {
    return false;
  }
  std::int64_t r = 0;
  if (__builtin_mul_overflow(s.sint_, b, &r)) {
    r = (s.sint_ < 0) == (b < 0) ? int_max : int_min;
  }
  s = sample::integer(r);
  return true;
}
bool conv_div(const converter_step& c, const sample_source& src, sample& s) {
  std::int64_t b = 0;
  if (!operand(c, src, b)) {
    return false;
  }
  if (b == 0) {
    s = sample::integer(int_max);
  } else if (s.sint_ == int_min && b == -1) {
    s = sample::integer(int_max);
  } else {
    s = sample::integer(s.sint_ / b);
  }
  return true;
}
bool conv_mod(const converter_step& c, const sample_source& src, sample& s) {
  std::int64_t b = 0;
  if (!operand(c, src, b)) {
    return false;
  }
  if (b == 0 || (s.sint_ == int_min && b == -1)) {
    s = sample::integer(0);
  } else {
    s = sample::integer(s.sint_ % b);
  }
  return true;
}
bool conv_and(const converter_step& c, const sample_source& src, sample& s) {
  std::int64_t b = 0;
  if (!operand(c, src, b)) {
    return false;
  }
  s = sample::integer(s.sint_ & b);
  return true;
}
bool conv_or(const converter_step& c, const sample_source& src, sample& s) {
  std::int64_t b = 0;
  if (!operand(c, src, b)) {
    return false;
  }
  s = sample::integer(s.sint_ | b);
  return true;
}
bool conv_xor(const converter_step& c, const sample_source& src, sample& s) {
  std::int64_t b = 0;
  if (!operand(c, src, b)) {
    return false;
  }
  s = sample::integer(s.sint_ ^ b);
  return true;
}
bool conv_neg(const converter_step&, const sample_source&, sample& s) {
  s = sample::integer(s.sint_ == int_min ? int_max : -s.sint_);
  return true;
}
bool conv_cpl(const converter_step&, const sample_source&, sample& s) {
  s = sample::integer(~s.sint_);
  return true;
}
bool conv_not(const converter_step&, const sample_source&, sample& s) {
  s = sample::boolean(s.sint_ == 0);
  return true;
}
bool conv_bool(const converter_step&, const sample_source&, sample& s) {
  s = sample::boolean(s.sint_ != 0);
  return true;
}
bool conv_odd(const converter_step&, const sample_source&, sample& s) {
  s = sample::boolean((s.sint_ & 1) != 0);
  return true;
}
bool conv_even(const converter_step&, const sample_source&, sample& s) {
  s = sample::boolean((s.sint_ & 1) == 0);
  return true;
}

// map*(file[, default]): the value of the first (or longest, for the indexed methods) key the
// input matches, else the default, else the converter fails.
bool conv_map(const converter_step& c, const sample_source&, sample& s) {
  if (const std::optional<std::size_t> i = c.map_->keys_.match(s)) {
    const sample& v = c.map_->values_[*i];
    if (v.type_ == smp_type::str_) {
      s = sample::view(v.text());
    } else {
      s = v;
    }
    return true;
  }
  if (c.default_) {
    const sample& v = *c.default_;
    s = v.type_ == smp_type::str_ ? sample::view(v.text()) : v;
    return true;
  }
  return false;
}

// Setup.
bool integer_arg(converter_step& c, std::size_t i, std::string& error) {
  if (i >= c.args_.size() || c.args_[i].empty()) {
    return true;
  }
  std::size_t used = 0;
  c.n_[i] = leading_integer(c.args_[i], &used);
  if (used != c.args_[i].size()) {
    error = single_quoted(c.args_[i]) + " is not an integer";
    return false;
  }
  c.has_n_[i] = true;
  return true;
}

bool setup_integers(converter_step& c, std::string& error) {
  return integer_arg(c, 0, error) && integer_arg(c, 1, error) && integer_arg(c, 2, error);
}

bool setup_operand(converter_step& c, std::string& error) {
  if (c.args_.empty()) {
    error = "missing operand";
    return false;
  }
  if (variable_name(c.args_[0])) {
    return true;
  }
  std::size_t used = 0;
  c.n_[0] = leading_integer(c.args_[0], &used);
  if (used != c.args_[0].size()) {
    error = "expects an integer or a variable name";
    return false;
  }
  c.has_n_[0] = true;
  return true;
}

bool setup_bytes(converter_step& c, std::string& error) {
  if (!setup_integers(c, error)) {
    return false;
  }
  if (c.n_[0] < 0 || (c.has_n_[1] && c.n_[1] < 0)) {
    error = "offset and length must be positive";
    return false;
  }
  return true;
}

bool setup_field(converter_step& c, std::string& error) {
  // Arguments: index, separators (a string), count.
  if (!integer_arg(c, 0, error) || !integer_arg(c, 2, error)) {
    return false;
  }
  if (c.args_.size() < 2 || c.n_[0] == 0) {
    error = "Unexpected value 0 for index";
    return false;
  }
  if (c.args_[1].empty()) {
    error = "Empty separators list";
    return false;
  }
  return true;
}

bool setup_regsub(converter_step& c, std::string& error) {
  if (c.args_.size() < 2) {
    error = "missing replacement";
    return false;
  }
  bool icase = false;
  if (c.args_.size() > 2) {
    for (const char f : c.args_[2]) {
      if (f == 'i') {
        icase = true;
      } else if (f == 'g') {
        c.global_ = true;
      } else {
        error = std::string("invalid regex flag '") + f + "', only 'i' and 'g' are supported";
        return false;
      }
    }
  }
  c.re_ = regex::compile(c.args_[0], icase, error);
  return c.re_.has_value();
}

bool setup_ipmask(converter_step& c, std::string& error) {
  const auto bits_mask = [](unsigned bits, std::array<std::uint8_t, 16>& m) {
    m.fill(0);
    for (unsigned i = 0; i < bits; ++i) {
      m[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    }
  };
  const std::string& m4 = c.args_[0];
  std::size_t used = 0;
  const std::int64_t bits = leading_integer(m4, &used);
  in_addr dotted{};
  if (used == m4.size() && bits >= 0 && bits <= 32) {
    bits_mask(static_cast<unsigned>(bits), c.mask4_);
  } else if (inet_pton(AF_INET, m4.c_str(), &dotted) == 1) {
    c.mask4_.fill(0);
    std::memcpy(c.mask4_.data(), &dotted, 4);
  } else {
    error = "invalid IPv4 mask '" + m4 + "'";
    return false;
  }
  if (c.args_.size() > 1 && !c.args_[1].empty()) {
    const std::int64_t b6 = leading_integer(c.args_[1], &used);
    if (used != c.args_[1].size() || b6 < 0 || b6 > 128) {
      error = "invalid IPv6 mask '" + c.args_[1] + "'";
      return false;
    }
    bits_mask(static_cast<unsigned>(b6), c.mask6_);
    c.has_mask6_ = true;
  }
  return true;
}

bool setup_json(converter_step& c, std::string& error) {
  if (c.args_.empty() || c.args_[0].empty()) {
    return true;
  }
  for (const std::string_view code : {"ascii", "utf8", "utf8s", "utf8p", "utf8ps"}) {
    if (c.args_[0] == code) {
      return true;
    }
  }
  error =
      "Unexpected input code type. Allowed value are 'ascii', 'utf8', 'utf8s', 'utf8p' and "
      "'utf8ps'";
  return false;
}

bool setup_trim(converter_step& c, std::string& error) {
  if (c.args_.empty()) {
    error = "missing characters";
    return false;
  }
  return true;
}

bool setup_var_arg(converter_step& c, std::string& error) {
  if (c.args_.empty() || !variable_name(c.args_[0])) {
    error = "expects a variable name";
    return false;
  }
  return true;
}

bool setup_iif(converter_step& c, std::string& error) {
  if (c.args_.size() < 2) {
    error = "expects two strings";
    return false;
  }
  return true;
}

// Map values are parsed as the converter's output type (map_parse_*).
bool map_value(std::string_view text, smp_type t, sample& out) {
  switch (t) {
    case smp_type::sint_: {
      std::size_t used = 0;
      const std::int64_t v = leading_integer(text, &used);
      if (used != text.size() || text.empty()) {
        return false;
      }
      out = sample::integer(v);
      return true;
    }
    case smp_type::ipv4_:
      return parse_address(text, out);
    default:
      out = sample::owned(std::string(text));
      return true;
  }
}

bool setup_map(converter_step& c, std::string_view name, std::string& error) {
  // map, map_<match>, map_<match>_<output>.
  std::string_view rest = name.substr(3);
  std::string_view method = "str";
  std::string_view output = "str";
  if (!rest.empty()) {
    rest.remove_prefix(1);
    const std::size_t us = rest.find('_');
    method = rest.substr(0, us);
    if (us != std::string_view::npos) {
      output = rest.substr(us + 1);
    }
  }
  if (method == "regm") {
    error = "the converter '" + std::string(name) + "' is not supported yet";
    return false;
  }
  const std::optional<match_kind> kind = match_kind_named(method);
  if (!kind) {
    error = "unknown map matching method '" + std::string(method) + "'";
    return false;
  }
  const smp_type out = output == "int"  ? smp_type::sint_
                       : output == "ip" ? smp_type::ipv4_
                                        : smp_type::str_;
  if (c.args_.empty() || c.args_[0].empty()) {
    error = "missing map file name";
    return false;
  }
  std::vector<std::pair<std::string, std::string>> lines;
  if (!read_map_file(c.args_[0], lines, error)) {
    error = "unable to load map file '" + c.args_[0] + "': " + error;
    return false;
  }
  auto table = std::make_shared<map_table>(*kind);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    sample v;
    if (!map_value(lines[i].second, out, v)) {
      error =
          "unable to load map file '" + c.args_[0] + "': unable to parse '" + lines[i].second + "'";
      return false;
    }
    std::string e;
    if (!table->keys_.add(lines[i].first, false, e, table->values_.size())) {
      error = "unable to load map file '" + c.args_[0] + "': " + e;
      return false;
    }
    table->values_.push_back(std::move(v));
  }
  if (c.args_.size() > 1) {
    sample d;
    if (!map_value(c.args_[1], out, d)) {
      error = "unable to parse default value '" + c.args_[1] + "'";
      return false;
    }
    c.default_ = std::move(d);
  }
  c.map_ = std::move(table);
  return true;
}

struct converter_entry {
  std::string_view name_;
  converter_fn fn_;
  bool (*setup_)(converter_step&, std::string&) = nullptr;
};

constexpr converter_entry converters[] = {
    {"lower", conv_lower},
    {"upper", conv_upper},
    {"base64", conv_base64},
    {"b64dec", conv_b64dec},
    {"ub64enc", conv_ub64enc},
    {"ub64dec", conv_ub64dec},
    {"hex", conv_hex},
    {"hex2i", conv_hex2i},
    {"length", conv_length},
    {"bytes", conv_bytes, setup_bytes},
    {"field", conv_field, setup_field},
    {"word", conv_word, setup_field},
    {"regsub", conv_regsub, setup_regsub},
    {"ipmask", conv_ipmask, setup_ipmask},
    {"host_only", conv_host_only},
    {"port_only", conv_port_only},
    {"json", conv_json, setup_json},
    {"url_dec", conv_url_dec, setup_integers},
    {"concat", conv_concat},
    {"ltrim", conv_ltrim, setup_trim},
    {"rtrim", conv_rtrim, setup_trim},
    {"cut_crlf", conv_cut_crlf},
    {"strcmp", conv_strcmp, setup_var_arg},
    {"iif", conv_iif, setup_iif},
    {"nbsrv", conv_nbsrv},
    {"add", conv_add, setup_operand},
    {"sub", conv_sub, setup_operand},
    {"mul", conv_mul, setup_operand},
    {"div", conv_div, setup_operand},
    {"mod", conv_mod, setup_operand},
    {"and", conv_and, setup_operand},
    {"or", conv_or, setup_operand},
    {"xor", conv_xor, setup_operand},
    {"neg", conv_neg},
    {"cpl", conv_cpl},
    {"not", conv_not},
    {"bool", conv_bool},
    {"odd", conv_odd},
    {"even", conv_even},
};

}  // namespace

bool setup_converter(std::string_view name, converter_step& c, std::string& error) {
  if (const std::optional<bool> stick = setup_stick_converter(name, c, error)) return *stick;
  if (name == "map" || name.starts_with("map_")) {
    c.fn_ = conv_map;
    return setup_map(c, name, error);
  }
  for (const converter_entry& e : converters) {
    if (e.name_ == name) {
      c.fn_ = e.fn_;
      return e.setup_ == nullptr || e.setup_(c, error);
    }
  }
  error = "the converter '" + std::string(name) + "' is not supported yet";
  return false;
}

}  // namespace tandem::runtime::proxy::acl
