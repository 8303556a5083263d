// See format.hpp. The variables' renderings follow HAProxy 2.6's sess_build_logline(), checked
// line by line against Debian's haproxy (compat-tests/proxy/test_logs.py).
#include "runtime/proxy/log/format.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>

#include "runtime/proxy/acl/condition.hpp"
#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy::log {

namespace {

enum class var : std::uint8_t {
  literal,
  separator,
  sample,
  options,  // %o: flags for every later node
  client_ip,
  client_port,
  frontend_ip,
  frontend_port,
  backend_ip,
  backend_port,
  server_ip,
  server_port,
  accept_date,
  request_date,
  request_date_gmt,
  request_date_local,
  accept_date_gmt,
  accept_date_local,
  accept_timestamp,
  accept_ms,
  frontend,
  frontend_transport,
  backend,
  server,
  th,
  ti,
  tr_,
  tq,
  tw,
  tc,
  tr,
  ta,
  tt,
  td,
  tu,
  status,
  bytes_read,
  bytes_uploaded,
  request_cookie,
  response_cookie,
  termination,
  termination_cookie,
  actconn,
  feconn,
  beconn,
  srvconn,
  retries,
  server_queue,
  backend_queue,
  request_headers,
  response_headers,
  request_header_list,
  response_header_list,
  request_line,
  method,
  uri,
  path,
  path_only,
  query,
  version,
  hostname,
  pid,
  unique_id,
  ssl_cipher,
  ssl_version,
};

struct variable_name {
  std::string_view name_;
  var id_;
};

// HAProxy 2.6's logformat_keywords that Tandem renders.
constexpr variable_name variables[] = {
    {"o", var::options},
    {"ci", var::client_ip},
    {"cp", var::client_port},
    {"fi", var::frontend_ip},
    {"fp", var::frontend_port},
    {"bi", var::backend_ip},
    {"bp", var::backend_port},
    {"si", var::server_ip},
    {"sp", var::server_port},
    {"t", var::accept_date},
    {"tr", var::request_date},
    {"trg", var::request_date_gmt},
    {"trl", var::request_date_local},
    {"T", var::accept_date_gmt},
    {"Tl", var::accept_date_local},
    {"Ts", var::accept_timestamp},
    {"ms", var::accept_ms},
    {"f", var::frontend},
    {"ft", var::frontend_transport},
    {"b", var::backend},
    {"s", var::server},
    {"Th", var::th},
    {"Ti", var::ti},
    {"TR", var::tr_},
    {"Tq", var::tq},
    {"Tw", var::tw},
    {"Tc", var::tc},
    {"Tr", var::tr},
    {"Ta", var::ta},
    {"Tt", var::tt},
    {"Td", var::td},
    {"Tu", var::tu},
    {"ST", var::status},
    {"B", var::bytes_read},
    {"U", var::bytes_uploaded},
    {"CC", var::request_cookie},
    {"CS", var::response_cookie},
    {"ts", var::termination},
    {"tsc", var::termination_cookie},
    {"ac", var::actconn},
    {"fc", var::feconn},
    {"bc", var::beconn},
    {"sc", var::srvconn},
    {"rc", var::retries},
    {"sq", var::server_queue},
    {"bq", var::backend_queue},
    {"hr", var::request_headers},
    {"hs", var::response_headers},
    {"hrl", var::request_header_list},
    {"hsl", var::response_header_list},
    {"r", var::request_line},
    {"HM", var::method},
    {"HU", var::uri},
    {"HP", var::path},
    {"HPO", var::path_only},
    {"HQ", var::query},
    {"HV", var::version},
    {"H", var::hostname},
    {"pid", var::pid},
    {"ID", var::unique_id},
    {"sslc", var::ssl_cipher},
    {"sslv", var::ssl_version},
};

constexpr unsigned opt_quote = 1;
constexpr unsigned opt_hex = 2;
constexpr unsigned opt_escape = 4;

constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// '#' and two upper-case hex digits for what HAProxy's hdr_encode_map / url_encode_map hold:
// control characters, bytes from 127, '"', '#', and for headers '{', '|', '}'.
void encode(std::string& out, std::string_view text, bool header) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool special = c < 32 || c >= 127 || c == '"' || c == '#' ||
                         (header && (c == '{' || c == '|' || c == '}'));
    if (special) {
      out += '#';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
}

std::string ip_text(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, buf, sizeof buf);
  } else if (a.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, buf, sizeof buf);
  } else {
    return {};
  }
  return buf;
}

int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

std::tm broken_down(std::chrono::system_clock::time_point t, bool gmt) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  if (gmt)
    ::gmtime_r(&secs, &tm);
  else
    ::localtime_r(&secs, &tm);
  return tm;
}

long millis_of(std::chrono::system_clock::time_point t) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000);
}

// "21/Nov/2026:07:43:15.718" (local time), as %t and %tr.
std::string date_ms(std::chrono::system_clock::time_point t) {
  const std::tm tm = broken_down(t, false);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d.%03ld", tm.tm_mday,
                months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour,
                tm.tm_min, tm.tm_sec, millis_of(t));
  return buf;
}

// "21/Nov/2026:07:43:15 +0000", GMT or local with its offset, as %T, %trg, %Tl and %trl.
std::string date_zone(std::chrono::system_clock::time_point t, bool gmt) {
  const std::tm tm = broken_down(t, gmt);
  const long offset = gmt ? 0 : tm.tm_gmtoff;
  const long off = offset < 0 ? -offset : offset;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d %c%02ld%02ld", tm.tm_mday,
                months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour,
                tm.tm_min, tm.tm_sec, offset < 0 ? '-' : '+', off / 3600, (off / 60) % 60);
  return buf;
}

// The parts of "METHOD URI VERSION".
struct request_parts {
  std::string_view method_, uri_, version_;
};
request_parts split_request(std::string_view line) {
  request_parts p;
  const std::size_t a = line.find(' ');
  p.method_ = line.substr(0, a);
  if (a == std::string_view::npos)
    return p;
  std::string_view rest = line.substr(a + 1);
  const std::size_t b = rest.rfind(' ');
  if (b == std::string_view::npos) {
    p.uri_ = rest;
  } else {
    p.uri_ = rest.substr(0, b);
    p.version_ = rest.substr(b + 1);
  }
  return p;
}

long sum_or_unknown(std::initializer_list<long> parts) {
  long total = 0;
  for (const long p : parts) {
    if (p < 0)
      return -1;
    total += p;
  }
  return total;
}

// The capture.* fetches read what the log record holds; they are compiled as var() of these
// names, answered by log_source below, so that converters after them work as anywhere else.
constexpr std::string_view capture_variable = "txn.tandem_log_capture_";

// Rewrites a leading capture.req.hdr(N) / capture.res.hdr(N) / capture.req.method|uri|ver into
// var(txn.tandem_log_capture_…), keeping the converters after it.
std::string with_capture_variables(std::string_view expression) {
  static constexpr std::pair<std::string_view, std::string_view> plain[] = {
      {"capture.req.method", "method"}, {"capture.req.uri", "uri"}, {"capture.req.ver", "ver"}};
  for (const auto& [fetch, key] : plain) {
    if (expression.starts_with(fetch) &&
        (expression.size() == fetch.size() || expression[fetch.size()] == ',')) {
      return "var(" + std::string(capture_variable) + std::string(key) + ")" +
             std::string(expression.substr(fetch.size()));
    }
  }
  for (const std::string_view fetch : {"capture.req.hdr(", "capture.res.hdr("}) {
    if (!expression.starts_with(fetch))
      continue;
    const std::size_t close = expression.find(')');
    if (close == std::string_view::npos)
      break;
    const std::string_view n = expression.substr(fetch.size(), close - fetch.size());
    if (n.empty() || n.find_first_not_of("0123456789") != std::string_view::npos)
      break;
    const std::string_view side = fetch.starts_with("capture.req") ? "req_" : "res_";
    return "var(" + std::string(capture_variable) + std::string(side) + std::string(n) + ")" +
           std::string(expression.substr(close + 1));
  }
  return std::string(expression);
}

// What %[…] samples read while a line is rendered: the session's source, the record's
// captures for capture.*, and the record's addresses when there is no session source.
class log_source : public acl::sample_source {
 public:
  log_source(const log_record& r, const request_parts& request)
      : r_(r), base_(r.source_), request_(request) {}
  const http::request_head* request() const override {
    return base_ != nullptr ? base_->request() : nullptr;
  }
  const http::response_head* response() const override {
    return base_ != nullptr ? base_->response() : nullptr;
  }
  const sockaddr_storage& source() const override {
    return base_ != nullptr ? base_->source() : r_.client_;
  }
  const sockaddr_storage& destination() const override {
    return base_ != nullptr ? base_->destination() : r_.frontend_address_;
  }
  bool ssl() const override { return base_ != nullptr ? base_->ssl() : r_.tls_; }
  std::string_view ssl_sni() const override {
    return base_ != nullptr ? base_->ssl_sni() : std::string_view();
  }
  std::string_view ssl_protocol() const override {
    return base_ != nullptr ? base_->ssl_protocol() : std::string_view();
  }
  std::string_view ssl_cipher() const override {
    return base_ != nullptr ? base_->ssl_cipher() : std::string_view();
  }
  std::string_view ssl_alpn() const override {
    return base_ != nullptr ? base_->ssl_alpn() : std::string_view();
  }
  bool ssl_client_certificate() const override {
    return base_ != nullptr && base_->ssl_client_certificate();
  }
  int usable_servers(std::string_view backend) const override {
    return base_ != nullptr ? base_->usable_servers(backend) : -1;
  }
  std::string_view backend_name() const override {
    if (base_ != nullptr)
      return base_->backend_name();
    return r_.backend_ != nullptr ? std::string_view(r_.backend_->name_) : std::string_view();
  }
  std::string_view frontend_name() const override {
    if (base_ != nullptr)
      return base_->frontend_name();
    return r_.frontend_ != nullptr ? std::string_view(r_.frontend_->name_) : std::string_view();
  }
  std::string_view tcp_payload() const override {
    return base_ != nullptr ? base_->tcp_payload() : std::string_view();
  }
  std::optional<std::string> variable(std::string_view name) const override {
    if (!name.starts_with(capture_variable)) {
      return base_ != nullptr ? base_->variable(name) : std::nullopt;
    }
    name.remove_prefix(capture_variable.size());
    auto present = [](std::string_view v) -> std::optional<std::string> {
      if (v.empty())
        return std::nullopt;
      return std::string(v);
    };
    if (r_.bad_request_)
      return std::nullopt;
    if (name == "method")
      return present(request_.method_);
    if (name == "uri")
      return present(request_.uri_);
    if (name == "ver") {
      return present(request_.version_.empty() && !request_.uri_.empty() ? "HTTP/0.9"
                                                                         : request_.version_);
    }
    const bool req = name.starts_with("req_");
    std::size_t n = 0;
    const std::string_view digits = name.substr(4);
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    const auto& values = req ? r_.request_captures_ : r_.response_captures_;
    return n < values.size() ? present(values[n]) : std::nullopt;
  }

 private:
  const log_record& r_;
  const acl::sample_source* base_;
  const request_parts& request_;
};

}  // namespace

struct log_format::node {
  var id_ = var::literal;
  unsigned options_ = 0;
  unsigned clear_ = 0;  // flags written "-X", which win over %o's
  std::string text_;    // literal text
  std::shared_ptr<const acl::sample_expression> sample_;
};

log_format::log_format() = default;
log_format::~log_format() = default;
log_format::log_format(log_format&&) noexcept = default;
log_format& log_format::operator=(log_format&&) noexcept = default;

// Refused outside mode http, as measured with `haproxy -c` 2.6.12.
bool http_only(var v) {
  switch (v) {
    case var::request_line:
    case var::method:
    case var::uri:
    case var::path:
    case var::path_only:
    case var::query:
    case var::version:
    case var::request_cookie:
    case var::response_cookie:
    case var::tr_:
    case var::tq:
    case var::ta:
    case var::ti:
    case var::tr:
    case var::request_date:
    case var::request_date_gmt:
    case var::request_date_local:
      return true;
    default:
      return false;
  }
}

std::unique_ptr<log_format> log_format::compile(std::string_view text, std::string& error,
                                                const acl::userlist_set* users, bool http) {
  std::unique_ptr<log_format> f(new log_format());
  auto literal = [&f](char c) {
    if (f->nodes_.empty() || f->nodes_.back().id_ != var::literal)
      f->nodes_.push_back({});
    f->nodes_.back().text_ += c;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ') {
      if (f->nodes_.empty() || f->nodes_.back().id_ != var::separator) {
        f->nodes_.push_back({var::separator, 0, 0, {}, nullptr});
      }
      ++i;
      continue;
    }
    if (c == '\\' && i + 1 < text.size()) {
      literal(text[i + 1]);
      i += 2;
      continue;
    }
    if (c != '%') {
      literal(c);
      ++i;
      continue;
    }
    ++i;
    if (i < text.size() && text[i] == '%') {
      literal('%');
      ++i;
      continue;
    }
    unsigned set = 0;
    unsigned clear = 0;
    if (i < text.size() && text[i] == '{') {
      const std::size_t close = text.find('}', i);
      if (close == std::string_view::npos) {
        error = "missing '}' after '%{' in log-format '" + std::string(text) + "'";
        return nullptr;
      }
      std::string_view flags = text.substr(i + 1, close - i - 1);
      while (!flags.empty()) {
        const std::size_t comma = flags.find(',');
        const std::string_view flag = flags.substr(0, comma);
        flags = comma == std::string_view::npos ? std::string_view() : flags.substr(comma + 1);
        if (flag.size() < 2 || (flag[0] != '+' && flag[0] != '-'))
          continue;  // as HAProxy
        unsigned bit = 0;
        const std::string_view name = flag.substr(1);
        if (name == "Q")
          bit = opt_quote;
        else if (name == "X")
          bit = opt_hex;
        else if (name == "E")
          bit = opt_escape;
        else if (name == "M" || name == "XU")
          bit = 0;  // not rendered differently here
        else {
          error = "unknown log-format option '" + std::string(flag) + "'";
          return nullptr;
        }
        (flag[0] == '+' ? set : clear) |= bit;
      }
      i = close + 1;
    }
    if (i < text.size() && text[i] == '[') {
      // %[expr]: up to the matching ']' (brackets nest in converters' arguments).
      int depth = 0;
      std::size_t j = i;
      for (; j < text.size(); ++j) {
        if (text[j] == '[')
          ++depth;
        else if (text[j] == ']' && --depth == 0)
          break;
      }
      if (j >= text.size()) {
        error = "missing ']' after '%[' in log-format '" + std::string(text) + "'";
        return nullptr;
      }
      std::string sample_error;
      std::unique_ptr<acl::sample_expression> e = acl::compile_sample(
          with_capture_variables(text.substr(i + 1, j - i - 1)), sample_error, users);
      if (!e) {
        error = "failed to parse sample expression <" + std::string(text.substr(i + 1, j - i - 1)) +
                "> : " + sample_error;
        return nullptr;
      }
      node n;
      n.id_ = var::sample;
      n.options_ = set;
      n.clear_ = clear;
      n.sample_ = std::move(e);
      f->nodes_.push_back(std::move(n));
      i = j + 1;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && letter(text[j]))
      ++j;
    const std::string_view name = text.substr(i, j - i);
    if (name.empty()) {
      error = "unexpected '%' in log-format '" + std::string(text) +
              "' (write '%%' for a percent sign)";
      return nullptr;
    }
    std::optional<var> found;
    for (const variable_name& v : variables) {
      if (v.name_ == name)
        found = v.id_;
    }
    if (!found) {
      error = "no such format variable '" + std::string(name) +
              "'. If you wanted to emit the '%' character verbatim, you need to use '%%'";
      if (name == "rt" || name == "lc") {
        error = "log-format variable '%" + std::string(name) + "' is not logged by Tandem yet";
      }
      return nullptr;
    }
    if (!http && http_only(*found)) {
      error = "format variable '" + std::string(name) + "' is reserved for HTTP mode";
      return nullptr;
    }
    node n;
    n.id_ = *found;
    n.options_ = set;
    n.clear_ = clear;
    f->nodes_.push_back(std::move(n));
    i = j;
  }
  // %o applies to the nodes after it: fold it in now so render() needs no state for it.
  unsigned defaults = 0;
  std::vector<node> folded;
  for (node& n : f->nodes_) {
    if (n.id_ == var::options) {
      defaults = n.options_;
      continue;
    }
    if (n.id_ != var::literal && n.id_ != var::separator) {
      n.options_ = (defaults | n.options_) & ~n.clear_;
    }
    folded.push_back(std::move(n));
  }
  f->nodes_ = std::move(folded);
  return f;
}

std::string log_format::render(const log_record& r, const line_context& context) const {
  std::string out;
  out.reserve(256);
  bool last_space = true;  // leading separators are dropped, as HAProxy does
  auto text = [&](std::string_view s, unsigned options) {
    if (options & opt_quote)
      out += '"';
    if (s.empty()) {
      if (!(options & opt_quote))
        out += '-';
    } else if (options & opt_escape) {
      for (const char c : s) {
        if (c == '"' || c == '\\' || c == ']')
          out += '\\';
        out += c;
      }
    } else {
      out += s;
    }
    if (options & opt_quote)
      out += '"';
    last_space = false;
  };
  auto number = [&](long long v) {
    out += std::to_string(v);
    last_space = false;
  };
  auto ip = [&](const sockaddr_storage& a, unsigned options) {
    if (a.ss_family != AF_INET && a.ss_family != AF_INET6) {
      text({}, options & ~opt_quote);
      return;
    }
    if (options & opt_hex) {
      char buf[40] = {};
      if (a.ss_family == AF_INET) {
        const auto* b = reinterpret_cast<const unsigned char*>(
            &reinterpret_cast<const sockaddr_in&>(a).sin_addr);
        std::snprintf(buf, sizeof buf, "%02X%02X%02X%02X", b[0], b[1], b[2], b[3]);
      } else {
        const auto* b = reinterpret_cast<const unsigned char*>(
            &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr);
        for (int k = 0; k < 16; ++k)
          std::snprintf(buf + 2 * k, 3, "%02X", b[k]);
      }
      text(buf, options & ~opt_quote);
      return;
    }
    text(ip_text(a), options);
  };
  auto port = [&](const sockaddr_storage& a, unsigned options) {
    const int p = port_of(a);
    if (p < 0) {
      text({}, 0);
    } else if (options & opt_hex) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%04X", p);
      text(buf, 0);
    } else {
      number(p);
    }
  };
  auto captures = [&](const std::vector<std::string>& values, std::size_t count, bool braces,
                      unsigned options) {
    // Nothing at all, not even "-", so the separators around collapse: without captures, and
    // for a request HAProxy could not parse (its captures were never made).
    if (count == 0 || r.bad_request_)
      return;
    if (braces) {
      if (options & opt_quote)
        out += '"';
      out += '{';
      for (std::size_t k = 0; k < count; ++k) {
        if (k > 0)
          out += '|';
        if (k < values.size())
          encode(out, values[k], true);
      }
      out += '}';
      if (options & opt_quote)
        out += '"';
    } else {
      for (std::size_t k = 0; k < count; ++k) {
        if (k > 0)
          out += ' ';
        if (options & opt_quote)
          out += '"';
        if (k < values.size() && !values[k].empty())
          encode(out, values[k], true);
        else if (!(options & opt_quote))
          out += '-';
        if (options & opt_quote)
          out += '"';
      }
    }
    last_space = false;
  };
  const std::string_view request_line =
      std::string_view(r.request_line_).substr(0, context.max_request_line_);
  const request_parts request = split_request(request_line);
  // %HM %HU %HP %HPO %HQ %HV: '#'-encoded as the request line, nothing (not "-") when empty,
  // "<BADREQ>" for a request that could not be read, as 2.6 writes them (measured).
  auto request_part = [&](std::string_view v, unsigned options) {
    if (options & opt_quote) out += '"';
    if (r.bad_request_) out += "<BADREQ>";
    else encode(out, v, false);
    if (options & opt_quote) out += '"';
    last_space = false;
  };
  const std::size_t request_count =
      r.frontend_ != nullptr ? r.frontend_->request_captures_.size() : r.request_captures_.size();
  const std::size_t response_count =
      r.frontend_ != nullptr ? r.frontend_->response_captures_.size() : r.response_captures_.size();
  const std::string frontend_name = r.frontend_ != nullptr ? r.frontend_->name_ : std::string();
  for (const node& n : nodes_) {
    const unsigned o = n.options_;
    switch (n.id_) {
      case var::literal:
        out += n.text_;
        last_space = false;
        break;
      case var::separator:
        if (!last_space) {
          out += ' ';
          last_space = true;
        }
        break;
      case var::options:
        break;
      case var::sample: {
        const log_source source(r, request);
        const std::optional<std::string> v = n.sample_->evaluate(source);
        text(v ? std::string_view(*v) : std::string_view(), o);
        break;
      }
      case var::client_ip:
        ip(r.client_, o);
        break;
      case var::client_port:
        port(r.client_, o);
        break;
      case var::frontend_ip:
        ip(r.frontend_address_, o);
        break;
      case var::frontend_port:
        port(r.frontend_address_, o);
        break;
      case var::backend_ip:
        text({}, o & ~opt_quote);
        break;  // the server side's source: not kept
      case var::backend_port:
        text({}, 0);
        break;
      case var::server_ip:
        ip(r.server_address_, o);
        break;
      case var::server_port:
        port(r.server_address_, o);
        break;
      case var::accept_date:
        out += date_ms(r.accepted_);
        last_space = false;
        break;
      case var::request_date:
        out += date_ms(r.request_started_);
        last_space = false;
        break;
      case var::request_date_gmt:
        out += date_zone(r.request_started_, true);
        last_space = false;
        break;
      case var::request_date_local:
        out += date_zone(r.request_started_, false);
        last_space = false;
        break;
      case var::accept_date_gmt:
        out += date_zone(r.accepted_, true);
        last_space = false;
        break;
      case var::accept_date_local:
        out += date_zone(r.accepted_, false);
        last_space = false;
        break;
      case var::accept_timestamp:
        number(std::chrono::duration_cast<std::chrono::seconds>(r.accepted_.time_since_epoch())
                   .count());
        break;
      case var::accept_ms: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%03ld", millis_of(r.accepted_));
        out += buf;
        last_space = false;
        break;
      }
      case var::frontend:
        text(frontend_name, o);
        break;
      case var::frontend_transport:
        text(r.tls_ ? frontend_name + "~" : frontend_name, o);
        break;
      case var::backend:
        text(r.backend_ != nullptr ? std::string_view(r.backend_->name_)
                                   : std::string_view(frontend_name),
             o);
        break;
      case var::server:
        text(r.server_ != nullptr ? std::string_view(r.server_->name_)
             : r.applet_.empty()  ? std::string_view("<NOSRV>")
                                  : r.applet_,
             o);
        break;
      case var::th:
        number(r.handshake_);
        break;
      case var::ti:
        number(r.idle_);
        break;
      case var::tr_:
        number(r.request_);
        break;
      case var::tq:
        number(r.request_ < 0 ? -1 : r.handshake_ + r.idle_ + r.request_);
        break;
      case var::tw:
        number(r.queue_);
        break;
      case var::tc:
        number(r.connect_);
        break;
      case var::tr:
        number(r.response_);
        break;
      case var::ta:
        number(r.active_);
        break;
      case var::tt:
        number(r.total_);
        break;
      case var::td: {
        const long known =
            sum_or_unknown({r.request_ < 0 ? -1 : r.handshake_ + r.idle_ + r.request_, r.queue_,
                            r.connect_, r.response_});
        number(known < 0 ? -1 : r.total_ - known);
        break;
      }
      case var::tu:
        number(r.total_ - r.idle_);
        break;
      case var::status:
        number(r.http_ ? r.status_ : 0);
        break;  // no HTTP: 0, as 2.6
      case var::bytes_read:
        number(static_cast<long long>(r.bytes_read_));
        break;
      case var::bytes_uploaded:
        number(static_cast<long long>(r.bytes_uploaded_));
        break;
      case var::request_cookie:
        text(r.captured_request_cookie_, o);
        break;
      case var::response_cookie:
        text(r.captured_response_cookie_, o);
        break;
      case var::termination:
        out.append(r.termination_, 2);
        last_space = false;
        break;
      case var::termination_cookie:
        out.append(r.termination_, 4);
        last_space = false;
        break;
      case var::actconn:
        number(r.active_connections_);
        break;
      case var::feconn:
        number(r.frontend_connections_);
        break;
      case var::beconn:
        number(r.backend_connections_);
        break;
      case var::srvconn:
        number(r.server_connections_);
        break;
      case var::retries:
        if (r.redispatched_)
          out += '+';
        number(r.retries_);
        break;
      case var::server_queue:
        number(r.server_queue_);
        break;
      case var::backend_queue:
        number(r.backend_queue_);
        break;
      case var::request_headers:
        captures(r.request_captures_, request_count, true, o);
        break;
      case var::response_headers:
        captures(r.response_captures_, response_count, true, o);
        break;
      case var::request_header_list:
        captures(r.request_captures_, request_count, false, o);
        break;
      case var::response_header_list:
        captures(r.response_captures_, response_count, false, o);
        break;
      case var::request_line:
        if (o & opt_quote)
          out += '"';
        if (request_line.empty()) {
          if (!(o & opt_quote))
            out += '-';
        } else {
          encode(out, request_line, false);
        }
        if (o & opt_quote)
          out += '"';
        last_space = false;
        break;
      case var::method:
        request_part(request.method_, o);
        break;
      case var::uri:
        request_part(request.uri_, o);
        break;
      case var::path:
        request_part(request.uri_.substr(0, request.uri_.find('?')), o);
        break;
      case var::path_only: {
        // The origin-form path: an absolute URI's scheme and authority dropped, nothing for
        // "*" (measured), then without the query.
        std::string_view p = request.uri_;
        if (!p.starts_with('/')) {
          const std::size_t scheme = p.find("://");
          const std::size_t slash =
              scheme == std::string_view::npos ? std::string_view::npos : p.find('/', scheme + 3);
          p = slash == std::string_view::npos ? std::string_view() : p.substr(slash);
        }
        request_part(p.substr(0, p.find('?')), o);
        break;
      }
      case var::query: {
        const std::size_t q = request.uri_.find('?');
        request_part(q == std::string_view::npos ? std::string_view() : request.uri_.substr(q), o);
        break;
      }
      case var::version:
        // HAProxy reads a line without a version as HTTP/0.9 (also one cut before it).
        request_part(request.version_.empty() && !request.uri_.empty()
                         ? std::string_view("HTTP/0.9")
                         : request.version_,
                     o);
        break;
      case var::hostname:
        text(context.host_, o);
        break;
      case var::pid:
        out += context.pid_;
        last_space = false;
        break;
      case var::unique_id:
        text({}, o);
        break;
      case var::ssl_cipher:  // the client connection's TLS cipher and version, "-" without
        text(r.source_ != nullptr ? r.source_->ssl_cipher() : std::string_view(), o);
        break;
      case var::ssl_version:
        text(r.source_ != nullptr ? r.source_->ssl_protocol() : std::string_view(), o);
        break;
    }
  }
  return out;
}

}  // namespace tandem::runtime::proxy::log
