// Byte classes of HTTP/1 as HAProxy 2.6's parser draws them, shared by the head parser, the
// chunked reader and the writer. Internal to runtime/proxy/http.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tandem::runtime::proxy::http::chars {

enum : std::uint8_t {
  token = 1,        // tchar (RFC 9110): method and field-name bytes
  version = 2,      // "HTTP/", digits and '.': the bytes HAProxy allows in a version word
  target = 4,       // 0x21..0x7e except '#' (HAProxy refuses a fragment in the target)
  spht = 8,         // SP, HTAB
  crlf = 16,        // CR, LF
  hex = 32,         // 0-9 a-f A-F
  value_stop = 64,  // NUL, CR, LF: where a field value's fast scan must look closer
};

constexpr std::array<std::uint8_t, 256> make_table() {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) {
    t[c] |= token | version | hex;
  }
  for (int c = 'a'; c <= 'z'; ++c) {
    t[c] |= token;
  }
  for (int c = 'A'; c <= 'Z'; ++c) {
    t[c] |= token;
  }
  for (int c = 'a'; c <= 'f'; ++c) {
    t[c] |= hex;
  }
  for (int c = 'A'; c <= 'F'; ++c) {
    t[c] |= hex;
  }
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
    t[static_cast<unsigned char>(c)] |= token;
  }
  for (char c : std::string_view("HTP/.")) {
    t[static_cast<unsigned char>(c)] |= version;
  }
  for (int c = 0x21; c <= 0x7e; ++c) {
    t[c] |= target;
  }
  t['#'] &= static_cast<std::uint8_t>(~target);
  t[' '] |= spht;
  t['\t'] |= spht;
  t['\r'] |= crlf | value_stop;
  t['\n'] |= crlf | value_stop;
  t[0] |= value_stop;
  return t;
}

inline constexpr std::array<std::uint8_t, 256> table = make_table();

inline bool is(char c, std::uint8_t what) {
  return (table[static_cast<unsigned char>(c)] & what) != 0;
}

constexpr std::array<char, 256> make_lower() {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  return t;
}

inline constexpr std::array<char, 256> lower_table = make_lower();

inline char lower(char c) {
  return lower_table[static_cast<unsigned char>(c)];
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

// Blanks as HAProxy trims them around values and list elements (SP, HTAB, CR, LF).
inline bool is_lws(char c) {
  return is(c, spht | crlf);
}

inline std::string_view trim_lws(std::string_view s) {
  while (!s.empty() && is_lws(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_lws(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// The first byte at or after `p` that is NUL, CR or LF, or `end`. Field values are most of a
// head's bytes, so eight of them are tested at a time (the classic "has a byte below n" trick:
// exact whenever it says no).
inline const char* find_value_stop(const char* p, const char* end) {
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  for (;;) {
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (((w - ones * 0x0e) & ~w & highs) != 0) {
        break;  // some byte is below 0x0e
      }
      p += 8;
    }
    // Look at the flagged eight bytes (or the tail) one by one, then go back to words: control
    // bytes other than NUL, CR and LF are allowed in values.
    const char* stop = end - p >= 8 ? p + 8 : end;
    for (; p < stop; ++p) {
      if (is(*p, value_stop)) {
        return p;
      }
    }
    if (p == end) {
      return end;
    }
  }
}

}  // namespace tandem::runtime::proxy::http::chars
