// The pure parts of keepalived's checkers (see logic.hpp). Wording and retry arithmetic follow
// keepalived 2.2.7's check_tcp.c, check_udp.c, check_http.c, check_misc.c and check_smtp.c.
#include "runtime/lvs/checkers/logic.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cstdio>

namespace tandem::runtime::lvs::checkers {

namespace {
std::string fmt(const char* format, auto... args) {
  char buffer[1024];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}
std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

std::string checker_spec::display() const {
  std::string out = "[";
  out.append(address_.to_string()).append(udp_service_ ? "]:udp:" : "]:tcp:");
  out.append(std::to_string(port_));
  return out;
}

retry_machine::retry_machine(const checker_spec& spec) : spec_(spec), is_up_(!spec.alpha_) {}

step retry_machine::on_attempt(const attempt& a) {
  switch (spec_.kind_) {
    case checker_kind::tcp: return tcp_like(a, "TCP connection to %s success.", "TCP_CHECK");
    case checker_kind::udp: return tcp_like(a, "UDP connection to %s success.", "UDP_CHECK");
    case checker_kind::dns: return tcp_like(a, "DNS connection to %s success.", "DNS_CHECK");
    case checker_kind::ping: return tcp_like(a, "ICMP connection to %s success.", "PING_CHECK");
    case checker_kind::smtp:
      return tcp_like(a, "Remote SMTP server %s succeed on service.", "SMTP_CHECK");
    case checker_kind::file: return tcp_like(a, "", "FILE_CHECK");
    case checker_kind::http:
    case checker_kind::ssl: return http_like(a);
    case checker_kind::misc: return misc(a);
  }
  return {};
}

// check_udp.c's epilog (and check_tcp.c's): a success reports up when the checker was down or
// has not run; failures are retried while the checker is up, `retry` times, delay_before_retry
// apart, then it reports down.
step retry_machine::tcp_like(const attempt& a, std::string_view success_line,
                             std::string_view name) {
  step s;
  s.next_ = spec_.delay_loop_;
  s.weight_ = a.weight_;
  const std::string chk = spec_.display();
  if (!a.success_ && is_up_ && (spec_.log_all_failures_) && !a.reason_.empty())
    s.logs_.push_back(a.reason_);
  if (a.success_ || ((is_up_ || !has_run_) && retry_it_ >= spec_.retry_)) {
    retry_it_ = 0;
    if (a.success_ && (!is_up_ || !has_run_)) {
      if (!success_line.empty())
        s.logs_.push_back(fmt(std::string(success_line).c_str(), chk.c_str()));
      s.verdict_ = true;
      is_up_ = true;
    } else if (!a.success_ && (is_up_ || !has_run_)) {
      if (spec_.retry_ && has_run_)
        s.logs_.push_back(fmt("%s on service %s failed after %u retries.",
                              std::string(name).c_str(), chk.c_str(), spec_.retry_));
      else
        s.logs_.push_back(fmt("%s on service %s failed.", std::string(name).c_str(), chk.c_str()));
      s.verdict_ = false;
      is_up_ = false;
    }
  } else if (is_up_) {
    s.next_ = spec_.delay_before_retry_;
    ++retry_it_;
  }
  has_run_ = true;
  return s;
}

// check_http.c's epilog / timeout_epilog: while up, each failure logs its reason and is
// retried; the (retry+1)th failure in a row reports down. A checker already down is not
// retried.
step retry_machine::http_like(const attempt& a) {
  step s;
  s.next_ = spec_.delay_loop_;
  const std::string chk = spec_.display();
  if (a.success_) {
    if (!is_up_) s.logs_.insert(s.logs_.end(), a.notes_.begin(), a.notes_.end());
    if (!is_up_ || !has_run_) {
      s.logs_.push_back(fmt("Remote Web server %s succeed on service.", chk.c_str()));
      s.verdict_ = true;
      is_up_ = true;
    }
    retry_it_ = 0;
    has_run_ = true;
    return s;
  }
  if (!is_up_) {
    retry_it_ = 0;
    has_run_ = true;
    return s;
  }
  s.logs_.push_back(fmt("%s server %s.", a.reason_.c_str(), chk.c_str()));
  ++retry_it_;
  if (retry_it_ > spec_.retry_) {
    if (has_run_ && spec_.retry_)
      s.logs_.push_back(
          fmt("HTTP_CHECK on service %s failed after %u retries.", chk.c_str(), retry_it_ - 1));
    else
      s.logs_.push_back(fmt("HTTP_CHECK on service %s failed.", chk.c_str()));
    s.verdict_ = false;
    is_up_ = false;
    retry_it_ = 0;
  } else {
    s.next_ = spec_.delay_before_retry_;
  }
  has_run_ = true;
  return s;
}

// check_misc.c: success (or misc_dynamic's 2-255) reports up the first time and whenever the
// checker was down; failures while up are retried `retry` times (0 by default).
step retry_machine::misc(const attempt& a) {
  step s;
  s.weight_ = a.weight_;
  const std::string who = fmt("Misc check to [%s] for [%s]", spec_.address_.to_string().c_str(),
                              spec_.misc_path_.c_str());
  if (a.success_) {
    if (!is_up_ || !misc_reported_) {
      s.logs_.push_back(fmt("%s succeeded.", who.c_str()));
      s.verdict_ = true;
      is_up_ = true;
      misc_reported_ = true;
    }
    retry_it_ = 0;
  } else if (is_up_) {
    if (retry_it_ < spec_.retry_) {
      ++retry_it_;
    } else {
      if (a.timed_out_) s.logs_.push_back(fmt("%s timed out.", who.c_str()));
      else s.logs_.push_back(fmt("%s failed (exited with status %d).", who.c_str(), a.exit_status_));
      s.verdict_ = false;
      is_up_ = false;
      retry_it_ = 0;
    }
  }
  s.next_ = retry_it_ ? spec_.delay_before_retry_ : spec_.delay_loop_;
  has_run_ = true;
  return s;
}

std::optional<std::vector<std::pair<int, int>>> parse_status_codes(
    std::span<const std::string> words) {
  std::vector<std::pair<int, int>> out;
  for (const auto& w : words) {
    const auto dash = w.find('-');
    auto num = [](std::string_view t) -> std::optional<int> {
      int v = 0;
      auto [p, e] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (e != std::errc{} || p != t.data() + t.size() || v < 100 || v > 999) return std::nullopt;
      return v;
    };
    auto lo = num(std::string_view(w).substr(0, dash));
    auto hi = dash == std::string::npos ? lo : num(std::string_view(w).substr(dash + 1));
    if (!lo || !hi || *hi < *lo) return std::nullopt;
    out.emplace_back(*lo, *hi);
  }
  return out;
}

bool status_matches(const std::vector<std::pair<int, int>>& ranges, int code) {
  if (ranges.empty()) return code >= 200 && code <= 299;
  for (auto [lo, hi] : ranges)
    if (code >= lo && code <= hi) return true;
  return false;
}

std::optional<std::array<std::uint8_t, 16>> parse_digest(std::string_view h) {
  if (h.size() != 32) return std::nullopt;
  std::array<std::uint8_t, 16> out{};
  for (std::size_t i = 0; i < 16; ++i) {
    unsigned v = 0;
    auto [p, e] = std::from_chars(h.data() + 2 * i, h.data() + 2 * i + 2, v, 16);
    if (e != std::errc{} || p != h.data() + 2 * i + 2) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(v);
  }
  return out;
}

std::string hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::array<std::uint8_t, 16> md5(std::string_view data) {
  std::array<std::uint8_t, 16> out{};
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_md5(), nullptr);
  return out;
}

http_response parse_http_response(std::string_view bytes) {
  http_response r;
  // keepalived's extract_html: the body starts after the first "\r\n\r\n" (or "\n\n").
  std::size_t end = bytes.find("\r\n\r\n");
  std::size_t skip = 4;
  if (end == std::string_view::npos) {
    end = bytes.find("\n\n");
    skip = 2;
  }
  if (end == std::string_view::npos) return r;
  r.has_headers_ = true;
  const std::string_view head = bytes.substr(0, end);
  // "HTTP/1.x NNN": the number after the first space.
  if (auto sp = head.find(' '); sp != std::string_view::npos) {
    int code = 0;
    std::from_chars(head.data() + sp + 1, head.data() + std::min(head.size(), sp + 4), code);
    r.status_ = code;
  }
  const std::string h = lower(head);
  if (auto p = h.find("\ncontent-length:"); p != std::string::npos) {
    std::size_t i = p + 16;
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
    std::size_t v = 0;
    auto [q, e] = std::from_chars(h.data() + i, h.data() + h.size(), v);
    if (e == std::errc{} && q != h.data() + i) r.content_length_ = v;
  }
  r.body_ = std::string(bytes.substr(end + skip));
  if (r.content_length_ && r.body_.size() > *r.content_length_) r.body_.resize(*r.content_length_);
  return r;
}

std::string http_request(const checker_spec& spec, const url_spec& url) {
  const bool ssl = spec.kind_ == checker_kind::ssl;
  std::string host = !url.virtualhost_.empty() ? url.virtualhost_ : spec.virtualhost_;
  if (host.empty()) {
    if (spec.address_.is_v6()) host.append("[").append(spec.address_.to_string()).append("]");
    else host = spec.address_.to_string();
  }
  if (spec.port_ != (ssl ? 443 : 80)) host.append(":").append(std::to_string(spec.port_));
  std::string req = "GET ";
  req.append(url.path_).append(spec.http_1_1_ ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  req.append("User-Agent: KeepAliveClient\r\n");
  // Measured on Debian's genhash (-P 1.0c / 1.1): Connection comes before Host.
  if (spec.http_1_1_ || spec.connection_close_) req.append("Connection: close\r\n");
  req.append("Host: ").append(host).append("\r\n\r\n");
  return req;
}

void judge_url(const checker_spec& spec, std::size_t url_index, const http_response& r,
               bool regex_matched, bool is_up, attempt& out) {
  const url_spec& url = spec.urls_[url_index];
  const std::string chk = spec.display();
  out.success_ = false;
  if (!r.has_headers_) {
    out.reason_ = "Read, no data received from ";
    return;
  }
  if (!status_matches(url.status_ranges_, r.status_)) {
    out.reason_ = "HTTP status code error to";
    return;
  }
  const char* what = url.status_ranges_.empty() ? "HTTP success to %s url(%zu)."
                                                : "HTTP status code success to %s url(%zu).";
  if (url.digest_) {
    if (md5(r.body_) != *url.digest_) {
      out.reason_ = "MD5 digest error to";
      return;
    }
    what = "MD5 digest success to %s url(%zu).";
  }
  if (!url.regex_.empty()) {
    if (regex_matched == url.regex_no_match_) {
      out.reason_ = "Regex match failed";
      return;
    }
    what = "Regex match success to %s url(%zu).";
  }
  out.success_ = true;
  if (!is_up) out.notes_.push_back(fmt(what, chk.c_str(), url_index + 1));
}

attempt misc_result(const checker_spec& spec, int exit_status, bool timed_out) {
  attempt a;
  a.exit_status_ = exit_status;
  a.timed_out_ = timed_out;
  if (timed_out) return a;
  if (exit_status == 0) {
    a.success_ = true;
  } else if (spec.misc_dynamic_ && exit_status >= 2 && exit_status <= 255) {
    a.success_ = true;
    a.weight_ = exit_status - 2;
  }
  return a;
}

int smtp_code(std::string_view reply) {
  if (reply.size() < 3) return 0;
  int code = 0;
  auto [p, e] = std::from_chars(reply.data(), reply.data() + 3, code);
  return e == std::errc{} && p == reply.data() + 3 ? code : 0;
}

std::vector<std::uint8_t> dns_query(std::uint16_t id, std::string_view name, std::uint16_t type) {
  std::vector<std::uint8_t> q = {static_cast<std::uint8_t>(id >> 8),
                                 static_cast<std::uint8_t>(id & 0xff),
                                 0x01, 0x00,  // RD
                                 0, 1, 0, 0, 0, 0, 0, 0};
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const std::size_t n = std::min<std::size_t>(dot - start, 63);
    if (n == 0) {  // the root ".", or an empty label: no label byte (keepalived writes one)
      start = dot + 1;
      continue;
    }
    q.push_back(static_cast<std::uint8_t>(n));
    q.insert(q.end(), name.begin() + static_cast<std::ptrdiff_t>(start),
             name.begin() + static_cast<std::ptrdiff_t>(start + n));
    start = dot + 1;
  }
  q.push_back(0);
  q.push_back(static_cast<std::uint8_t>(type >> 8));
  q.push_back(static_cast<std::uint8_t>(type & 0xff));
  q.push_back(0);
  q.push_back(1);  // IN
  return q;
}

bool dns_reply_ok(std::span<const std::uint8_t> query, std::span<const std::uint8_t> reply) {
  if (reply.size() < 12 || query.size() < 2) return false;
  if (reply[0] != query[0] || reply[1] != query[1]) return false;  // id
  if (!(reply[2] & 0x80)) return false;                            // QR
  return (reply[3] & 0x0f) == 0;                                   // RCODE
}

std::optional<std::uint16_t> dns_type_code(std::string_view name) {
  static const std::pair<const char*, std::uint16_t> types[] = {
      {"a", 1},  {"ns", 2},   {"cname", 5}, {"soa", 6},     {"mx", 15},
      {"txt", 16}, {"aaaa", 28}, {"rrsig", 46}, {"dnskey", 48}};
  const std::string l = lower(name);
  for (auto& [n, t] : types)
    if (l == n) return t;
  return std::nullopt;
}

namespace {
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c == 'x' || c == 'X') return 16;  // any
  return -1;
}
// Groups of hex digits separated by spaces; each group is read two digits at a time, an odd
// last digit being a byte of its own ("Ab12f 3" = AB 12 0F 03).
std::vector<int> nibbles_to_bytes(std::string_view text, bool wildcard, std::vector<int>* masks) {
  std::vector<int> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    std::string_view g = text.substr(i, j - i);
    for (std::size_t k = 0; k < g.size(); k += 2) {
      int hi = nibble(g[k]);
      int lo = k + 1 < g.size() ? nibble(g[k + 1]) : -2;
      if (lo == -2) {
        lo = hi;
        hi = 0;
      }
      if (hi < 0 || lo < 0 || (!wildcard && (hi == 16 || lo == 16))) return {};
      const int mask = (hi == 16 ? 0 : 0xf0) | (lo == 16 ? 0 : 0x0f);
      out.push_back(((hi & 15) << 4) | (lo & 15));
      if (masks) masks->push_back(mask);
    }
    i = j;
  }
  return out;
}
}  // namespace

std::vector<std::uint8_t> parse_hex_payload(std::string_view text) {
  std::vector<std::uint8_t> out;
  for (int b : nibbles_to_bytes(text, false, nullptr)) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

bool udp_reply_ok(const checker_spec& spec, std::span<const std::uint8_t> reply) {
  if (reply.size() < spec.min_reply_length_ || reply.size() > spec.max_reply_length_) return false;
  if (spec.require_reply_hex_.empty()) return true;
  std::vector<int> masks;
  auto want = nibbles_to_bytes(spec.require_reply_hex_, true, &masks);
  const std::size_t n = std::min(want.size(), reply.size());
  for (std::size_t i = 0; i < n; ++i)
    if ((reply[i] & masks[i]) != (want[i] & masks[i])) return false;
  return true;
}

attempt file_result(const checker_spec& spec, std::optional<long> value) {
  attempt a;
  if (!value) return a;  // unreadable: down
  if (spec.file_weight_ == 0) {
    a.success_ = *value == 0;
    return a;
  }
  const long w = *value * spec.file_weight_ * (spec.file_reverse_ ? -1 : 1);
  a.success_ = w > -254;
  if (a.success_ && spec.file_dynamic_) a.weight_ = static_cast<int>(w);
  return a;
}

std::vector<std::string> split_command(std::string_view command) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (char c : command) {
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(std::move(cur));
  return out;
}

}  // namespace tandem::runtime::lvs::checkers
