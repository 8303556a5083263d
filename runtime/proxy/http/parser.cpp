// Request and response heads parsed in one pass over the bytes received so far, with HAProxy
// 2.6.12's rules as measured on the wire (tests/runtime/proxy/http/replay_haproxy.py replays
// them): what it refuses, what it merges or drops, and the framing it derives.
#include <cstdint>
#include <limits>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/proxy/http/chars.hpp"
#include "runtime/proxy/http/message.hpp"

namespace tandem::runtime::proxy::http {
namespace {

using chars::is;

// What a kept field costs in HAProxy's internal (HTX) copy of a head beyond its name and value,
// and what the start line and the end of the head cost; fitted to the limits measured on
// 2.6.12 (see `limits`).
constexpr std::size_t htx_field_cost = 8;
constexpr std::size_t htx_head_cost = 85;

// What the fields told, gathered while they are parsed.
enum : std::uint32_t {
  f_content_length = 1u << 0,
  f_transfer_encoding = 1u << 1,
  f_chunked_last = 1u << 2,  // the last coding seen is chunked
  f_chunked_seen = 1u << 3,
  f_other_coding = 1u << 4,
  f_close = 1u << 5,
  f_keep_alive = 1u << 6,
  f_connection_upgrade = 1u << 7,
  f_upgrade = 1u << 8,
  f_websocket = 1u << 9,
  f_websocket_key = 1u << 10,     // request: Sec-WebSocket-Key
  f_websocket_accept = 1u << 11,  // response: Sec-WebSocket-Accept
  f_expect_continue = 1u << 12,
};

enum class outcome : std::uint8_t { done, incomplete, error };

struct context {
  std::string_view s_;
  const limits& limits_;
  bool request_;
  std::vector<header>& headers_;
  parse_result& result_;
  std::size_t kept_ = 0;  // fields stored at the front of headers_
  std::uint32_t flags_ = 0;
  std::uint64_t content_length_ = 0;
  std::size_t host_ = SIZE_MAX;  // index of the kept Host field

  outcome fail(std::size_t offset, const char* why) {
    result_.state_ = parse_state::error;
    result_.status_ = request_ ? 400 : 502;
    result_.reason_ = why;
    result_.error_offset_ = offset;
    return outcome::error;
  }
};


// Calls f(element, end) for each comma-separated element of `v` the way HAProxy walks such
// lists: blanks before an element are skipped, an element runs to the next comma and loses its
// trailing blanks, and an empty element between commas counts.
template <class F>
void for_each_element(std::string_view v, F&& f) {
  std::size_t i = 0;
  while (i < v.size()) {
    if (chars::is_lws(v[i])) {
      ++i;
      continue;
    }
    const std::size_t end = list_element_end(v, i);
    std::string_view word = v.substr(i, end - i);
    while (!word.empty() && chars::is_lws(word.back())) {
      word.remove_suffix(1);
    }
    f(word, end);
    i = end + 1;
  }
}

// Content-Length: one or more comma-separated decimal numbers, all equal to each other and to
// any earlier Content-Length. HAProxy 2.6.12's signed arithmetic lets some numbers of 2^63 and
// more through (2^64 even reads as 0); Tandem refuses any number above 2^63 - 1.
bool parse_content_length(std::string_view v, context& c, std::string_view& cleaned) {
  std::size_t i = 0;
  for (;;) {
    if (i >= v.size()) {
      return false;  // empty value or empty last element
    }
    if (chars::is_lws(v[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    std::uint64_t n = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::int64_t>::max();
    for (; i < v.size(); ++i) {
      const unsigned d = static_cast<unsigned char>(v[i]) - '0';
      if (d > 9) {
        break;
      }
      if (n > (max - d) / 10) {
        return false;
      }
      n = n * 10 + d;
    }
    if (i == start) {
      return false;
    }
    cleaned = v.substr(start, i - start);
    for (; i < v.size() && v[i] != ','; ++i) {
      if (!chars::is_lws(v[i])) {
        return false;
      }
    }
    if ((c.flags_ & f_content_length) && n != c.content_length_) {
      return false;
    }
    c.flags_ |= f_content_length;
    c.content_length_ = n;
    if (i == v.size()) {
      return true;
    }
    ++i;  // the comma
  }
}

// Transfer-Encoding: false for what HAProxy refuses outright (chunked twice; in a request, any
// coding after chunked). Other codings are noted for the caller (422 / 502).
bool parse_transfer_encoding(std::string_view v, context& c) {
  bool ok = true;
  c.flags_ |= f_transfer_encoding;
  for_each_element(v, [&](std::string_view word, std::size_t) {
    c.flags_ &= ~f_chunked_last;
    if (chars::iequals(word, "chunked")) {
      if (c.flags_ & f_chunked_seen) {
        ok = false;
      }
      c.flags_ |= f_chunked_seen | f_chunked_last;
    } else {
      if (c.request_ && (c.flags_ & f_chunked_seen)) {
        ok = false;
      }
      c.flags_ |= f_other_coding;
    }
  });
  return ok;
}

// Connection: notes close, keep-alive and upgrade, and takes close and keep-alive out of the
// value the way HAProxy rewrites it (the untouched prefix kept as is, later survivors joined
// with bare commas). Returns the value to keep, empty when nothing is left.
std::string_view clean_connection(std::string_view v, context& c, std::string& scratch) {
  std::size_t kept_prefix = 0;  // v[0, kept_prefix) is the result while nothing was dropped
  std::size_t last_end = 0;
  bool rewriting = false;
  scratch.clear();
  for_each_element(v, [&](std::string_view word, std::size_t end) {
    if (chars::iequals(word, "keep-alive")) {
      c.flags_ |= f_keep_alive;
    } else if (chars::iequals(word, "close")) {
      c.flags_ |= f_close;
    } else {
      if (chars::iequals(word, "upgrade")) {
        c.flags_ |= f_connection_upgrade;
      }
      if (!rewriting && kept_prefix == last_end) {
        kept_prefix = end;
      } else {
        if (!rewriting) {
          scratch.assign(v.substr(0, kept_prefix));
          rewriting = true;
        }
        if (!scratch.empty()) {
          scratch.push_back(',');
        }
        scratch.append(word);
      }
    }
    last_end = end;
  });
  std::string_view kept = rewriting ? std::string_view(scratch) : v.substr(0, kept_prefix);
  // HAProxy leaves all but the last of several trailing commas; Tandem drops them all, so that
  // cleaning a cleaned value changes nothing.
  while (!kept.empty() && (kept.back() == ',' || chars::is_lws(kept.back()))) {
    kept.remove_suffix(1);
  }
  return kept;
}

void store(context& c, std::string_view name, std::string_view value) {
  if (c.kept_ == c.headers_.size()) {
    c.headers_.emplace_back();
  }
  header& h = c.headers_[c.kept_];
  // Reused strings keep their buffers: no allocation once a connection's heads look alike.
  h.name_.resize(name.size());
  char* out = h.name_.data();
  const char* in = name.data();
  const char* const end = in + name.size();
  // Eight bytes at a time: a name is tchar only (ASCII), whose upper-case letters are the
  // bytes from 'A' to 'Z'; each gets its 0x20 bit.
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  while (end - in >= 8) {
    std::uint64_t w;
    std::memcpy(&w, in, 8);
    const std::uint64_t low7 = w & ~highs;
    const std::uint64_t from_a = low7 + ones * (0x80 - 'A');  // high bit: byte >= 'A'
    const std::uint64_t past_z = low7 + ones * (0x7f - 'Z');  // high bit: byte > 'Z'
    w |= ((from_a & ~past_z & ~w & highs) >> 2);
    std::memcpy(out, &w, 8);
    in += 8;
    out += 8;
  }
  while (in < end) {
    *out++ = chars::lower(*in++);
  }
  h.value_.assign(value);
  ++c.kept_;
}

// Applies HAProxy's per-field rules to one parsed field and keeps it (or not).
outcome take_field(context& c, std::string_view name, std::string_view value, std::size_t offset) {
  // Dispatch on the lower-cased name without building it: the few names that matter.
  auto named = [&](std::string_view what) { return chars::iequals(name, what); };
  std::string_view kept = value;
  bool keep = true;
  switch (name.size()) {
    case 14:
      if (named("content-length")) {
        const bool first = !(c.flags_ & f_content_length);
        if (!parse_content_length(value, c, kept)) {
          return c.fail(offset, "bad Content-Length");
        }
        keep = first;
      }
      break;
    case 17:
      if (named("transfer-encoding")) {
        if (!parse_transfer_encoding(value, c)) {
          return c.fail(offset, "bad Transfer-Encoding");
        }
      } else if (c.request_ && named("sec-websocket-key")) {
        c.flags_ |= f_websocket_key;
      }
      break;
    case 20:
      if (!c.request_ && named("sec-websocket-accept")) {
        c.flags_ |= f_websocket_accept;
      }
      break;
    case 10:
      if (named("connection")) {
        thread_local std::string scratch;
        kept = clean_connection(value, c, scratch);
        keep = !kept.empty();
      }
      break;
    case 7:
      if (named("upgrade")) {
        c.flags_ = (c.flags_ | f_upgrade) & ~f_websocket;
        for_each_element(value, [&](std::string_view word, std::size_t) {
          if (chars::iequals(word, "websocket")) {
            c.flags_ |= f_websocket;
          }
        });
      }
      break;
    case 4:
      if (c.request_ && named("host")) {
        if (c.host_ == SIZE_MAX) {
          c.host_ = c.kept_;
        } else if (chars::iequals(value, c.headers_[c.host_].value_)) {
          keep = false;
        } else {
          return c.fail(offset, "several different Host fields");
        }
      }
      break;
    case 6:
      if (c.request_ && named("expect") && chars::iequals(value, "100-continue")) {
        c.flags_ |= f_expect_continue;
      }
      break;
    default:
      break;
  }
  if (!keep) {
    return outcome::done;
  }
  if (c.kept_ + 1 >= c.limits_.max_headers_) {
    return c.fail(offset, "too many header fields");
  }
  store(c, name, kept);
  return outcome::done;
}

// The fields from `pos` to the blank line that ends the head; `pos` ends past that line.
outcome parse_fields(context& c, std::size_t& pos) {
  if (c.headers_.capacity() < 16) {
    c.headers_.reserve(16);
  }
  const std::string_view s = c.s_;
  const std::size_t n = s.size();
  thread_local std::string folded;
  for (;;) {
    if (pos >= n) {
      return outcome::incomplete;
    }
    if (s[pos] == '\r') {
      if (pos + 1 >= n) {
        return outcome::incomplete;
      }
      if (s[pos + 1] != '\n') {
        return c.fail(pos + 1, "CR without LF");
      }
      pos += 2;
      return outcome::done;
    }
    if (s[pos] == '\n') {
      ++pos;
      return outcome::done;
    }
    const std::size_t name_start = pos;
    while (pos < n && is(s[pos], chars::token)) {
      ++pos;
    }
    if (pos >= n) {
      return outcome::incomplete;
    }
    // A blank before the colon, a byte outside tchar, an empty name, a missing colon, or a
    // folded line right after the start line.
    if (s[pos] != ':' || pos == name_start) {
      return c.fail(pos, "bad header name");
    }
    const std::string_view name = s.substr(name_start, pos - name_start);
    ++pos;
    while (pos < n && is(s[pos], chars::spht)) {
      ++pos;
    }
    const std::size_t value_start = pos;
    std::size_t value_end = 0;
    bool has_fold = false;
    for (;;) {
      pos =
          static_cast<std::size_t>(chars::find_value_stop(s.data() + pos, s.data() + n) - s.data());
      if (pos >= n) {
        return outcome::incomplete;
      }
      if (s[pos] == '\0') {
        return c.fail(pos, "NUL in a header value");
      }
      const std::size_t line_end = pos;
      if (s[pos] == '\r') {
        if (pos + 1 >= n) {
          return outcome::incomplete;
        }
        if (s[pos + 1] != '\n') {
          return c.fail(pos + 1, "CR without LF");
        }
        pos += 2;
      } else {
        ++pos;
      }
      // Whether the next line continues this one (obs-fold) needs its first byte.
      if (pos >= n) {
        return outcome::incomplete;
      }
      if (is(s[pos], chars::spht)) {
        has_fold = true;
        continue;
      }
      value_end = line_end;
      break;
    }
    std::string_view value = s.substr(value_start, value_end - value_start);
    if (has_fold) {
      // HAProxy turns each CR and LF of a folded line into a space.
      folded.assign(value);
      for (char& ch : folded) {
        if (ch == '\r' || ch == '\n') {
          ch = ' ';
        }
      }
      value = folded;
    }
    value = chars::trim_lws(value);
    if (take_field(c, name, value, name_start) == outcome::error) {
      return outcome::error;
    }
  }
}

// Skips the empty lines HAProxy tolerates before a start line.
outcome skip_empty_lines(context& c, std::size_t& pos) {
  const std::string_view s = c.s_;
  while (pos < s.size()) {
    if (s[pos] == '\n') {
      ++pos;
    } else if (s[pos] == '\r') {
      if (pos + 1 >= s.size()) {
        return outcome::incomplete;
      }
      if (s[pos + 1] != '\n') {
        return c.fail(pos + 1, "CR without LF");
      }
      pos += 2;
    } else {
      return outcome::done;
    }
  }
  return outcome::incomplete;
}

// Ends a start line at `pos` (CR LF or a bare LF).
outcome end_of_line(context& c, std::size_t& pos) {
  const std::string_view s = c.s_;
  if (s[pos] == '\r') {
    if (pos + 1 >= s.size()) {
      return outcome::incomplete;
    }
    if (s[pos + 1] != '\n') {
      return c.fail(pos + 1, "CR without LF");
    }
    pos += 2;
  } else {
    ++pos;
  }
  return outcome::done;
}

// "HTTP/" digit "." digit, exactly (HAProxy 2.6 refuses "HTTP/1.10", "http/1.1", "HTTP/1").
// Versions from 1.1 up become 1.1; lower ones stay as they are.
bool read_version(std::string_view v, int& major, int& minor) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
      v[7] < '0' || v[7] > '9') {
    return false;
  }
  major = v[5] - '0';
  minor = v[7] - '0';
  if (major > 1 || (major == 1 && minor >= 1)) {
    major = 1;
    minor = 1;
  }
  return true;
}

bool at_least_11(int major, int minor) {
  return major == 1 && minor == 1;
}

std::size_t htx_cost(const context& c, std::size_t start_line) {
  std::size_t cost = htx_head_cost + start_line;
  for (std::size_t i = 0; i < c.kept_; ++i) {
    cost += c.headers_[i].name_.size() + c.headers_[i].value_.size() + htx_field_cost;
  }
  return cost;
}

void drop_fields(context& c, std::string_view name) {
  std::size_t out = 0;
  for (std::size_t i = 0; i < c.kept_; ++i) {
    if (c.headers_[i].name_ == name) {
      continue;
    }
    if (out != i) {
      std::swap(c.headers_[out], c.headers_[i]);
    }
    ++out;
  }
  c.kept_ = out;
}

// The port of "host:port" (digits after the last colon): npos when there is none, an empty
// view for a colon with no digits after it.
struct host_port {
  std::string_view host_;
  std::string_view port_;
  bool has_port_ = false;
};

host_port split_port(std::string_view authority) {
  std::size_t i = authority.size();
  while (i > 0 && authority[i - 1] >= '0' && authority[i - 1] <= '9') {
    --i;
  }
  if (i == 0 || authority[i - 1] != ':') {
    return {authority, {}, false};
  }
  return {authority.substr(0, i - 1), authority.substr(i), true};
}

// The target's scheme ("http://") and authority (from after the scheme, or from the start, up to
// the first '/', past any userinfo), as HAProxy's URI parser cuts them.
struct uri_parts {
  std::string_view scheme_;  // with "://", empty when there is none
  std::string_view authority_;
  std::size_t authority_at_ = 0;
};

bool is_alpha(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

uri_parts split_uri(std::string_view target) {
  uri_parts u;
  std::size_t i = 0;
  if (!target.empty() && is_alpha(target[0])) {
    std::size_t j = 1;
    while (j < target.size() && (is_alpha(target[j]) || (target[j] >= '0' && target[j] <= '9') ||
                                 target[j] == '+' || target[j] == '-' || target[j] == '.')) {
      ++j;
    }
    if (target.substr(j, 3) == "://") {
      u.scheme_ = target.substr(0, j + 3);
      i = j + 3;
    }
  }
  std::size_t start = i;
  while (i < target.size() && target[i] != '/') {
    if (target[i++] == '@') {
      start = i;
    }
  }
  u.authority_ = target.substr(start, i - start);
  u.authority_at_ = start;
  return u;
}

// Whether `host` (an authority without its port) is a plain name or a bracketed IPv6 address:
// only then is a default port taken out, so that doing it again changes nothing ("a:80:80"
// stays as it is).
bool is_plain_host(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    return host.back() == ']';
  }
  return host.find(':') == std::string_view::npos;
}

bool is_default_port(std::string_view scheme, std::string_view port) {
  if (port.empty()) {
    return true;
  }
  if (scheme.empty()) {
    return port == "443" || port == "80";
  }
  return (port == "443" && chars::iequals(scheme, "https://")) ||
         (port == "80" && chars::iequals(scheme, "http://"));
}

// HAProxy's checks of the target against Host, and its normalisations (default ports dropped).
outcome check_target(context& c, request_head& head, bool connect) {
  const std::string_view target = head.target_;
  const bool origin_or_asterisk = !target.empty() && (target[0] == '/' || target[0] == '*');
  header* host = c.host_ != SIZE_MAX ? &c.headers_[c.host_] : nullptr;
  if (connect) {
    if (origin_or_asterisk) {
      return c.fail(0, "CONNECT needs host:port");
    }
    const uri_parts u = split_uri(target);
    const host_port up = split_port(u.authority_);
    if (up.port_.empty()) {
      return c.fail(0, "CONNECT needs host:port");
    }
    if (host == nullptr) {
      return outcome::done;
    }
    const host_port hp = split_port(host->value_);
    if (!hp.port_.empty()) {
      if (!chars::iequals(hp.host_, up.host_) || hp.port_ != up.port_) {
        return c.fail(0, "CONNECT target and Host differ");
      }
      if (is_default_port({}, up.port_) && is_plain_host(hp.host_)) {
        host->value_.resize(hp.host_.size());
      }
    } else if (!is_default_port({}, up.port_) || !chars::iequals(hp.host_, up.host_)) {
      return c.fail(0, "CONNECT target and Host differ");
    }
    return outcome::done;
  }
  if (origin_or_asterisk) {
    return outcome::done;
  }
  const uri_parts u = split_uri(target);
  if (host != nullptr && !chars::iequals(u.authority_, host->value_)) {
    // Equal but for a default port on one side is fine.
    const host_port up = split_port(u.authority_);
    const host_port hp = split_port(host->value_);
    bool mismatch = u.scheme_.empty() || (!up.has_port_ && !hp.has_port_);
    if (!mismatch && up.has_port_ && !is_default_port(u.scheme_, up.port_)) {
      mismatch = true;
    }
    if (!mismatch && hp.has_port_ && !is_default_port(u.scheme_, hp.port_)) {
      mismatch = true;
    }
    if (!mismatch && !chars::iequals(up.host_, hp.host_)) {
      mismatch = true;
    }
    if (mismatch) {
      return c.fail(0, "target authority and Host differ");
    }
  }
  // http://a:80/ becomes http://a/ (and a Host of exactly "a:80" becomes "a").
  if (u.scheme_.empty()) {
    return outcome::done;
  }
  const host_port up = split_port(u.authority_);
  if (!up.has_port_ || !is_default_port(u.scheme_, up.port_) || !is_plain_host(up.host_)) {
    return outcome::done;
  }
  if (!chars::iequals(u.scheme_, "http://") && !chars::iequals(u.scheme_, "https://")) {
    return outcome::done;
  }
  const std::string authority(u.authority_);
  const std::size_t port_at = u.authority_at_ + up.host_.size();
  head.target_.erase(port_at, up.port_.size() + 1);
  for (std::size_t i = 0; i < c.kept_; ++i) {
    header& h = c.headers_[i];
    if (h.name_ == "host" && h.value_ == authority) {
      h.value_.resize(up.host_.size());
    }
  }
  return outcome::done;
}

parse_result finish_incomplete(context& c, outcome o) {
  if (o == outcome::incomplete) {
    if (c.s_.size() >= c.limits_.max_raw_head_bytes_) {
      c.fail(c.s_.size(), "head too large");
    } else {
      c.result_.state_ = parse_state::incomplete;
    }
  }
  return c.result_;
}

bool keep_alive(int major, int minor, std::uint32_t flags) {
  if (flags & f_close) {
    return false;
  }
  return at_least_11(major, minor) || (flags & f_keep_alive);
}

}  // namespace

std::size_t list_element_end(std::string_view v, std::size_t i) {
  bool quoted = false;
  bool escaped = false;
  for (; i < v.size(); ++i) {
    const char c = v[i];
    if (escaped) {
      escaped = false;
    } else if (quoted) {
      if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      break;
    }
  }
  return i;
}

parse_result parse_request_head(std::string_view bytes, const limits& l, request_head& head,
                                framing& body) {
  parse_result result;
  context c{bytes, l, true, head.headers_, result};
  const std::string_view s = bytes;
  const std::size_t n = s.size();
  std::size_t pos = 0;
  outcome o = skip_empty_lines(c, pos);
  if (o != outcome::done) {
    return finish_incomplete(c, o);
  }

  const std::size_t method_at = pos;
  while (pos < n && is(s[pos], chars::token)) {
    ++pos;
  }
  if (pos >= n) {
    return finish_incomplete(c, outcome::incomplete);
  }
  // A start line without target and version is HTTP/0.9, which HAProxy 2.6 refuses too.
  if (pos == method_at || !is(s[pos], chars::spht)) {
    c.fail(pos, "bad method");
    return result;
  }
  const std::string_view method = s.substr(method_at, pos - method_at);
  while (pos < n && is(s[pos], chars::spht)) {
    ++pos;
  }
  const std::size_t target_at = pos;
  while (pos < n && is(s[pos], chars::target)) {
    ++pos;
  }
  if (pos >= n) {
    return finish_incomplete(c, outcome::incomplete);
  }
  if (pos == target_at || !is(s[pos], chars::spht)) {
    c.fail(pos, "bad request target");
    return result;
  }
  const std::string_view target = s.substr(target_at, pos - target_at);
  while (pos < n && is(s[pos], chars::spht)) {
    ++pos;
  }
  const std::size_t version_at = pos;
  while (pos < n && is(s[pos], chars::version)) {
    ++pos;
  }
  if (pos >= n) {
    return finish_incomplete(c, outcome::incomplete);
  }
  const std::string_view version = s.substr(version_at, pos - version_at);
  int major = 1;
  int minor = 1;
  if (!is(s[pos], chars::crlf) || !read_version(version, major, minor)) {
    c.fail(pos, "bad version");
    return result;
  }
  o = end_of_line(c, pos);
  if (o != outcome::done) {
    return finish_incomplete(c, o);
  }

  o = parse_fields(c, pos);
  if (o != outcome::done) {
    return finish_incomplete(c, o);
  }
  if (pos > l.max_raw_head_bytes_) {
    c.fail(pos, "head too large");
    return result;
  }

  head.method_.assign(method);
  head.target_.assign(target);
  head.version_major_ = major;
  head.version_minor_ = minor;
  const std::uint32_t f = c.flags_;
  if (method == "PRI" && target == "*" && version == "HTTP/2.0") {
    c.fail(0, "HTTP/2 preface (Tandem speaks HTTP/1 only)");
    return result;
  }
  if ((f & (f_connection_upgrade | f_websocket)) == (f_connection_upgrade | f_websocket) &&
      !(f & f_websocket_key)) {
    c.fail(0, "WebSocket upgrade without Sec-WebSocket-Key");
    return result;
  }
  // Before any field is dropped: check_target holds the Host field's index.
  if (check_target(c, head, method == "CONNECT") == outcome::error) {
    return result;
  }
  const bool v11 = at_least_11(major, minor);
  framing fr;
  fr.keep_alive_ = keep_alive(major, minor, f);
  if (f & f_transfer_encoding) {
    if (!(f & f_chunked_last)) {
      c.fail(0, "Transfer-Encoding does not end in chunked");
      return result;
    }
    if (f & f_other_coding) {
      c.fail(0, "Transfer-Encoding names a coding other than chunked");
      result.status_ = 422;
      return result;
    }
    // With Content-Length as well, or in HTTP/1.0, HAProxy forwards the chunked body and
    // closes afterwards (RFC 9112 6.1: the message could be read two ways downstream).
    if (f & f_content_length) {
      drop_fields(c, "content-length");
    }
    if ((f & f_content_length) || !v11) {
      fr.keep_alive_ = false;
      fr.force_close_ = true;
    }
    fr.kind_ = body_kind::chunked;
  } else if (f & f_content_length) {
    fr.kind_ = body_kind::length;
    fr.length_ = c.content_length_;
  }
  fr.expect_continue_ = v11 && (f & f_expect_continue);
  fr.upgrade_ = v11 && (f & f_connection_upgrade) && (f & f_upgrade);
  const std::size_t start_line = head.method_.size() + head.target_.size() + version.size();
  if (htx_cost(c, start_line) > l.max_head_bytes_) {
    c.fail(pos, "head too large");
    return result;
  }
  head.headers_.resize(c.kept_);
  body = fr;
  result.state_ = parse_state::done;
  result.consumed_ = pos;
  return result;
}

parse_result parse_response_head(std::string_view bytes, const limits& l,
                                 std::string_view request_method, response_head& head,
                                 framing& body, bool request_upgrade) {
  parse_result result;
  context c{bytes, l, false, head.headers_, result};
  const std::string_view s = bytes;
  const std::size_t n = s.size();
  std::size_t pos = 0;
  outcome o = skip_empty_lines(c, pos);
  if (o != outcome::done) {
    return finish_incomplete(c, o);
  }

  const std::size_t version_at = pos;
  while (pos < n && is(s[pos], chars::version)) {
    ++pos;
  }
  if (pos >= n) {
    return finish_incomplete(c, outcome::incomplete);
  }
  const std::string_view version = s.substr(version_at, pos - version_at);
  int major = 1;
  int minor = 1;
  if (!is(s[pos], chars::spht) || !read_version(version, major, minor)) {
    c.fail(pos, "bad version");
    return result;
  }
  while (pos < n && is(s[pos], chars::spht)) {
    ++pos;
  }
  const std::size_t status_at = pos;
  unsigned status = 0;
  while (pos < n && s[pos] >= '0' && s[pos] <= '9') {
    status = status * 10 + static_cast<unsigned>(s[pos] - '0');
    ++pos;
    if (pos - status_at > 9) {
      c.fail(pos, "bad status code");
      return result;
    }
  }
  if (pos >= n) {
    return finish_incomplete(c, outcome::incomplete);
  }
  if (pos == status_at || !chars::is_lws(s[pos])) {
    c.fail(pos, "bad status code");
    return result;
  }
  const std::size_t status_digits = pos - status_at;
  while (pos < n && is(s[pos], chars::spht)) {
    ++pos;
  }
  const std::size_t reason_at = pos;
  pos = static_cast<std::size_t>(chars::find_value_stop(s.data() + pos, s.data() + n) - s.data());
  if (pos >= n) {
    return finish_incomplete(c, outcome::incomplete);
  }
  if (s[pos] == '\0') {
    c.fail(pos, "NUL in the reason phrase");
    return result;
  }
  const std::string_view reason = s.substr(reason_at, pos - reason_at);
  o = end_of_line(c, pos);
  if (o != outcome::done) {
    return finish_incomplete(c, o);
  }

  o = parse_fields(c, pos);
  if (o != outcome::done) {
    return finish_incomplete(c, o);
  }
  if (pos > l.max_raw_head_bytes_) {
    c.fail(pos, "head too large");
    return result;
  }

  head.version_major_ = major;
  head.version_minor_ = minor;
  head.status_ = status;
  head.reason_.assign(reason);
  const std::uint32_t f = c.flags_;
  const bool v11 = at_least_11(major, minor);
  framing fr;
  fr.keep_alive_ = keep_alive(major, minor, f);
  if (f & f_transfer_encoding) {
    // HAProxy 2.6.12 forwards no response coding but chunked, alone and once.
    if ((f & f_other_coding) || !(f & f_chunked_last)) {
      c.fail(0, "Transfer-Encoding other than chunked");
      return result;
    }
    if (f & f_content_length) {
      drop_fields(c, "content-length");
    }
    if ((f & f_content_length) || !v11) {
      fr.keep_alive_ = false;
      fr.force_close_ = true;
    }
    fr.kind_ = body_kind::chunked;
  } else if (f & f_content_length) {
    fr.kind_ = body_kind::length;
    fr.length_ = c.content_length_;
  } else {
    fr.kind_ = body_kind::until_close;
  }
  if ((f & (f_connection_upgrade | f_websocket)) == (f_connection_upgrade | f_websocket) &&
      !(f & f_websocket_accept)) {
    c.fail(0, "WebSocket upgrade without Sec-WebSocket-Accept");
    return result;
  }
  if (status < 200 || status == 204) {
    if (status == 101) {
      if (!request_upgrade) {
        c.fail(0, "101 to a request that did not ask to upgrade");
        return result;
      }
      fr.upgrade_ = true;
    }
    // An interim or 204 response has no body; HAProxy drops what would announce one.
    drop_fields(c, "content-length");
    drop_fields(c, "transfer-encoding");
    fr.kind_ = body_kind::none;
    fr.length_ = 0;
  } else if (status == 304 || request_method == "HEAD") {
    fr.kind_ = body_kind::none;
    fr.length_ = 0;
  } else if (request_method == "CONNECT" && status < 300) {
    fr.kind_ = body_kind::none;
    fr.length_ = 0;
    fr.upgrade_ = true;
  }
  if (fr.kind_ == body_kind::until_close) {
    fr.keep_alive_ = false;
  }
  const std::size_t start_line = version.size() + status_digits + head.reason_.size();
  if (htx_cost(c, start_line) > l.max_head_bytes_) {
    c.fail(pos, "head too large");
    return result;
  }
  head.headers_.resize(c.kept_);
  body = fr;
  result.state_ = parse_state::done;
  result.consumed_ = pos;
  return result;
}

const header* find_header(const std::vector<header>& headers, std::string_view name) {
  for (const header& h : headers) {
    if (chars::iequals(h.name_, name)) {
      return &h;
    }
  }
  return nullptr;
}

void remove_headers(std::vector<header>& headers, std::string_view name) {
  std::erase_if(headers, [&](const header& h) { return chars::iequals(h.name_, name); });
}

bool has_token(const std::vector<header>& headers, std::string_view name, std::string_view token) {
  for (const header& h : headers) {
    if (!chars::iequals(h.name_, name)) {
      continue;
    }
    bool found = false;
    for_each_element(h.value_, [&](std::string_view word, std::size_t) {
      if (chars::iequals(word, token)) {
        found = true;
      }
    });
    if (found) {
      return true;
    }
  }
  return false;
}

}  // namespace tandem::runtime::proxy::http
