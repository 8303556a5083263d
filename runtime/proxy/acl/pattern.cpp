// ACL and map matching methods and pattern files (see pattern.hpp).
#include "runtime/proxy/acl/pattern.hpp"
#include "parsers/common/text.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tandem::runtime::proxy::acl {

using parsers::single_quoted;

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equal(std::string_view a, std::string_view b, bool icase) {
  if (a.size() != b.size()) {
    return false;
  }
  if (!icase) {
    return a == b;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

std::size_t find(std::string_view hay, std::string_view needle, bool icase) {
  if (!icase) {
    return hay.find(needle);
  }
  if (needle.size() > hay.size()) {
    return std::string_view::npos;
  }
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (equal(hay.substr(i, needle.size()), needle, true)) {
      return i;
    }
  }
  return std::string_view::npos;
}

// match_word(): `word` (its leading and trailing delimiters dropped) appears in `v` between
// delimiters or the ends of `v`.
bool match_word(std::string_view v, std::string_view word, bool icase, std::string_view delims) {
  const auto is_delim = [&](char c) { return delims.find(c) != std::string_view::npos; };
  while (!word.empty() && is_delim(word.front())) {
    word.remove_prefix(1);
  }
  while (!word.empty() && is_delim(word.back())) {
    word.remove_suffix(1);
  }
  if (word.size() > v.size()) {
    return false;
  }
  bool may_match = true;
  const std::size_t last = v.size() - word.size();
  for (std::size_t i = 0; i <= last; ++i) {
    if (is_delim(v[i])) {
      may_match = true;
      continue;
    }
    if (!may_match) {
      continue;
    }
    if (equal(v.substr(i, word.size()), word, icase) &&
        (i == last || is_delim(v[i + word.size()]))) {
      return true;
    }
    may_match = false;
  }
  return false;
}

// strl2llrc(): an optional '-' and digits, nothing else.
bool strict_integer(std::string_view s, std::int64_t& out) {
  if (s.empty()) {
    return false;
  }
  std::size_t used = 0;
  out = leading_integer(s, &used);
  return used == s.size() && used > (s[0] == '-' || s[0] == '+' ? 1u : 0u);
}

// pat_parse_int(): "N", "A:B" or "A-B", ":B", "A:".
bool parse_range(std::string_view text, std::int64_t& min, std::int64_t& max, bool& min_set,
                 bool& max_set) {
  if (text.empty()) {
    return false;
  }
  const std::size_t sep = text.find_first_of(":-");
  if (sep == std::string_view::npos) {
    if (!strict_integer(text, min)) {
      return false;
    }
    max = min;
    min_set = max_set = true;
    return true;
  }
  if (sep == 0) {
    if (text.size() == 1) {
      return false;
    }
    min_set = false;
    max_set = true;
    return strict_integer(text.substr(1), max);
  }
  if (sep + 1 == text.size()) {
    min_set = true;
    max_set = false;
    return strict_integer(text.substr(0, sep), min);
  }
  if (!strict_integer(text.substr(0, sep), min) || !strict_integer(text.substr(sep + 1), max) ||
      min > max) {
    return false;
  }
  min_set = max_set = true;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = lower(c);
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

// str2net() (without DNS) and str62net(): the address and mask of "ADDR[/MASK]".
bool parse_network(std::string_view text, bool& v6, std::array<std::uint8_t, 16>& addr,
                   std::array<std::uint8_t, 16>& mask, unsigned& prefix) {
  const std::size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  addr.fill(0);
  mask.fill(0);
  in_addr a4{};
  in6_addr a6{};
  unsigned bits = 0;
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
    v6 = false;
    std::memcpy(addr.data(), &a4, 4);
    bits = 32;
    if (slash != std::string_view::npos) {
      const std::string m(text.substr(slash + 1));
      std::int64_t n = 0;
      in_addr dotted{};
      if (strict_integer(m, n) && n >= 0 && n <= 32) {
        bits = static_cast<unsigned>(n);
      } else if (inet_pton(AF_INET, m.c_str(), &dotted) == 1) {
        std::memcpy(mask.data(), &dotted, 4);
        for (int i = 0; i < 4; ++i) {
          addr[i] &= mask[i];
        }
        // A dotted mask may be non-contiguous; its prefix is its count of leading ones only
        // when it is contiguous.
        const std::uint32_t mh = ntohl(dotted.s_addr);
        const std::uint32_t low = mh & (~mh + 1);
        prefix = (mh + low == 0) ? static_cast<unsigned>(__builtin_popcount(mh)) : 33;
        return true;
      } else {
        return false;
      }
    }
    for (unsigned i = 0; i < bits; ++i) {
      mask[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    }
    for (int i = 0; i < 4; ++i) {
      addr[i] &= mask[i];
    }
    prefix = bits;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
    v6 = true;
    std::memcpy(addr.data(), &a6, 16);
    bits = 128;
    if (slash != std::string_view::npos) {
      std::int64_t n = 0;
      if (!strict_integer(text.substr(slash + 1), n) || n < 0 || n > 128) {
        return false;
      }
      bits = static_cast<unsigned>(n);
    }
    for (unsigned i = 0; i < bits; ++i) {
      mask[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    }
    for (int i = 0; i < 16; ++i) {
      addr[i] &= mask[i];
    }
    prefix = bits;
    return true;
  }
  return false;
}

bool in_network(const std::uint8_t* a, const std::array<std::uint8_t, 16>& net,
                const std::array<std::uint8_t, 16>& mask, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) {
    if (((a[i] ^ net[i]) & mask[i]) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<match_kind> match_kind_named(std::string_view name) {
  struct named {
    std::string_view name_;
    match_kind kind_;
  };
  static constexpr named names[] = {
      {"found", match_kind::found}, {"bool", match_kind::bool_}, {"int", match_kind::int_},
      {"ip", match_kind::ip},       {"bin", match_kind::bin},    {"len", match_kind::len},
      {"str", match_kind::str},     {"beg", match_kind::beg},    {"sub", match_kind::sub},
      {"dir", match_kind::dir},     {"dom", match_kind::dom},    {"end", match_kind::end},
      {"reg", match_kind::reg},     {"regm", match_kind::regm}};
  for (const named& n : names) {
    if (n.name_ == name) {
      return n.kind_;
    }
  }
  return std::nullopt;
}

smp_type expected_type(match_kind k) {
  switch (k) {
    case match_kind::found:
    case match_kind::bool_:
    case match_kind::int_:
      return smp_type::sint_;
    case match_kind::ip:
      return smp_type::ipv4_;  // or ipv6_: addresses are taken as they are
    case match_kind::bin:
      return smp_type::bin_;
    case match_kind::meth:
      return smp_type::meth_;
    default:
      return smp_type::str_;
  }
}

bool pattern_list::add(std::string_view text, bool icase, std::string& error, std::size_t value) {
  entry e;
  e.icase_ = icase;
  e.value_ = value;
  switch (kind_) {
    case match_kind::found:
    case match_kind::bool_:
      // pat_parse_nothing(): patterns are accepted and ignored.
      ++count_;
      return true;
    case match_kind::int_:
    case match_kind::len:
      if (!parse_range(text, e.min_, e.max_, e.min_set_, e.max_set_)) {
        error = single_quoted(text) + " is not a valid number range";
        return false;
      }
      list_.push_back(std::move(e));
      break;
    case match_kind::ip:
      if (!parse_network(text, e.v6_, e.addr_, e.mask_, e.prefix_)) {
        error = single_quoted(text) + " is not a valid IPv4 or IPv6 address";
        return false;
      }
      // A non-contiguous IPv4 mask goes to the ordered list, the rest to the prefix trees.
      if (!e.v6_ && e.prefix_ > 32) {
        list_.push_back(std::move(e));
      } else {
        longest_.push_back(std::move(e));
      }
      break;
    case match_kind::bin: {
      if (text.size() % 2 != 0) {
        error = single_quoted(text) + " is not a valid hex string";
        return false;
      }
      for (std::size_t i = 0; i < text.size(); i += 2) {
        const int h = hex_digit(text[i]);
        const int l = hex_digit(text[i + 1]);
        if (h < 0 || l < 0) {
          error = single_quoted(text) + " is not a valid hex string";
          return false;
        }
        e.text_ += static_cast<char>(h * 16 + l);
      }
      list_.push_back(std::move(e));
      break;
    }
    case match_kind::reg:
    case match_kind::regm: {
      e.re_ = regex::compile(text, icase, error);
      if (!e.re_) {
        return false;
      }
      e.text_ = std::string(text);
      list_.push_back(std::move(e));
      break;
    }
    case match_kind::meth:
      e.meth_ = find_method(text);
      e.text_ = std::string(text);
      list_.push_back(std::move(e));
      break;
    case match_kind::str:
      if (!icase) {
        exact_.emplace(std::string(text), value);
        ++count_;
        return true;
      }
      e.text_ = std::string(text);
      list_.push_back(std::move(e));
      break;
    case match_kind::beg:
      e.text_ = std::string(text);
      if (!icase) {
        longest_.push_back(std::move(e));
      } else {
        list_.push_back(std::move(e));
      }
      break;
    default:
      e.text_ = std::string(text);
      list_.push_back(std::move(e));
      break;
  }
  ++count_;
  return true;
}

std::optional<std::size_t> pattern_list::match(sample& s) const {
  if (kind_ == match_kind::found) {
    return 0;
  }
  if (kind_ == match_kind::ip) {
    // Addresses are matched in their own family; anything else is read as one (c_str2addr()).
    if (s.type_ == smp_type::sint_ && !cast(s, smp_type::ipv4_)) {
      return std::nullopt;  // c_int2ip(): the integer is an IPv4 address in host order
    }
    if (s.type_ != smp_type::ipv4_ && s.type_ != smp_type::ipv6_) {
      sample a;
      if (!cast(s, smp_type::str_) || !parse_address(s.text(), a)) {
        return std::nullopt;
      }
      return match_ip(a);
    }
    return match_ip(s);
  }
  if (!cast(s, expected_type(kind_))) {
    return std::nullopt;
  }
  switch (kind_) {
    case match_kind::bool_:
      if (s.sint_ != 0) {
        return 0;
      }
      return std::nullopt;
    case match_kind::int_:
      for (const entry& e : list_) {
        if ((!e.min_set_ || e.min_ <= s.sint_) && (!e.max_set_ || s.sint_ <= e.max_)) {
          return e.value_;
        }
      }
      return std::nullopt;
    case match_kind::meth:
      for (const entry& e : list_) {
        if (e.meth_ != http_method::other) {
          if (s.meth_ == e.meth_) {
            return e.value_;
          }
          continue;
        }
        // An unknown method is compared by text; a known request method has no text to
        // compare (HAProxy keeps only its number), so it never equals an unknown pattern.
        if (s.meth_ == http_method::other && equal(e.text_, s.text(), e.icase_)) {
          return e.value_;
        }
      }
      return std::nullopt;
    default:
      return match_text(s.text(), s);
  }
}

std::optional<std::size_t> pattern_list::match_text(std::string_view v, const sample&) const {
  switch (kind_) {
    case match_kind::str:
      if (!exact_.empty()) {
        if (const auto it = exact_.find(std::string(v)); it != exact_.end()) {
          return it->second;
        }
      }
      for (const entry& e : list_) {
        if (equal(e.text_, v, e.icase_)) {
          return e.value_;
        }
      }
      return std::nullopt;
    case match_kind::bin:
      for (const entry& e : list_) {
        if (e.text_ == v) {
          return e.value_;
        }
      }
      return std::nullopt;
    case match_kind::len:
      for (const entry& e : list_) {
        const auto n = static_cast<std::int64_t>(v.size());
        if ((!e.min_set_ || e.min_ <= n) && (!e.max_set_ || n <= e.max_)) {
          return e.value_;
        }
      }
      return std::nullopt;
    case match_kind::beg: {
      const entry* best = nullptr;
      for (const entry& e : longest_) {
        if (v.starts_with(e.text_) && (best == nullptr || e.text_.size() > best->text_.size())) {
          best = &e;
        }
      }
      if (best != nullptr) {
        return best->value_;
      }
      for (const entry& e : list_) {
        if (e.text_.size() <= v.size() && equal(v.substr(0, e.text_.size()), e.text_, true)) {
          return e.value_;
        }
      }
      return std::nullopt;
    }
    case match_kind::end:
      for (const entry& e : list_) {
        if (e.text_.size() <= v.size() &&
            equal(v.substr(v.size() - e.text_.size()), e.text_, e.icase_)) {
          return e.value_;
        }
      }
      return std::nullopt;
    case match_kind::sub:
      for (const entry& e : list_) {
        if (find(v, e.text_, e.icase_) != std::string_view::npos) {
          return e.value_;
        }
      }
      return std::nullopt;
    case match_kind::dir:
      for (const entry& e : list_) {
        if (match_word(v, e.text_, e.icase_, "/?")) {
          return e.value_;
        }
      }
      return std::nullopt;
    case match_kind::dom:
      for (const entry& e : list_) {
        if (match_word(v, e.text_, e.icase_, "/?.:")) {
          return e.value_;
        }
      }
      return std::nullopt;
    case match_kind::reg:
    case match_kind::regm:
      for (const entry& e : list_) {
        if (e.re_->search(v)) {
          return e.value_;
        }
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

std::optional<std::size_t> pattern_list::match_ip(const sample& s) const {
  const auto longest = [&](const std::uint8_t* a, bool v6) -> const entry* {
    const entry* best = nullptr;
    for (const entry& e : longest_) {
      if (e.v6_ == v6 && in_network(a, e.addr_, e.mask_, v6 ? 16 : 4) &&
          (best == nullptr || e.prefix_ > best->prefix_)) {
        best = &e;
      }
    }
    return best;
  };
  std::array<std::uint8_t, 16> v4{};
  bool have_v4 = false;
  if (s.type_ == smp_type::ipv4_) {
    if (const entry* e = longest(s.addr_.data(), false)) {
      return e->value_;
    }
    sample mapped = s;
    cast(mapped, smp_type::ipv6_);
    if (const entry* e = longest(mapped.addr_.data(), true)) {
      return e->value_;
    }
    v4 = s.addr_;
    have_v4 = true;
  } else {
    if (const entry* e = longest(s.addr_.data(), true)) {
      return e->value_;
    }
    sample as_v4 = s;
    if (cast(as_v4, smp_type::ipv4_)) {
      if (const entry* e = longest(as_v4.addr_.data(), false)) {
        return e->value_;
      }
      v4 = as_v4.addr_;
      have_v4 = true;
    }
  }
  if (have_v4) {
    for (const entry& e : list_) {
      if (!e.v6_ && in_network(v4.data(), e.addr_, e.mask_, 4)) {
        return e.value_;
      }
    }
  }
  return std::nullopt;
}

namespace {

bool read_lines(const std::string& path, std::vector<std::string>& lines, std::string& error) {
  // stdio rather than iostreams: a directory or a read error is an error code, never an
  // exception (libstdc++'s filebuf throws from underflow on EISDIR).
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error = "failed to open pattern file <" + path + ">";
    return false;
  }
  char* buf = nullptr;
  std::size_t cap = 0;
  ssize_t n = 0;
  while ((n = ::getline(&buf, &cap, f)) >= 0) {
    lines.emplace_back(buf, static_cast<std::size_t>(n));
  }
  const bool failed = std::ferror(f) != 0;
  std::free(buf);
  std::fclose(f);
  if (failed) {
    error = "error encountered while reading <" + path + ">";
    return false;
  }
  return true;
}

}  // namespace

bool read_pattern_file(const std::string& path, std::vector<std::string>& out, std::string& error) {
  std::vector<std::string> lines;
  if (!read_lines(path, lines, error)) {
    return false;
  }
  for (const std::string& raw : lines) {
    std::string_view l = raw;
    if (!l.empty() && l[0] == '#') {
      continue;
    }
    while (!l.empty() && (l[0] == ' ' || l[0] == '\t')) {
      l.remove_prefix(1);
    }
    // The pattern ends at the first CR or LF; trailing blanks are part of it.
    const std::size_t cr = l.find_first_of("\r\n");
    if (cr != std::string_view::npos) {
      l = l.substr(0, cr);
    }
    if (l.empty()) {
      continue;
    }
    out.emplace_back(l);
  }
  return true;
}

bool read_map_file(const std::string& path, std::vector<std::pair<std::string, std::string>>& out,
                   std::string& error) {
  std::vector<std::string> lines;
  if (!read_lines(path, lines, error)) {
    return false;
  }
  for (const std::string& raw : lines) {
    std::string_view l = raw;
    if (!l.empty() && l[0] == '#') {
      continue;
    }
    while (!l.empty() && (l[0] == ' ' || l[0] == '\t')) {
      l.remove_prefix(1);
    }
    const std::size_t cr = l.find_first_of("\r\n");
    if (cr != std::string_view::npos) {
      l = l.substr(0, cr);
    }
    if (l.empty()) {
      continue;
    }
    std::size_t k = 0;
    while (k < l.size() && l[k] != ' ' && l[k] != '\t') {
      ++k;
    }
    std::string_view value = l.substr(k);
    while (!value.empty() && (value[0] == ' ' || value[0] == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
      value.remove_suffix(1);
    }
    out.emplace_back(std::string(l.substr(0, k)), std::string(value));
  }
  return true;
}

}  // namespace tandem::runtime::proxy::acl
