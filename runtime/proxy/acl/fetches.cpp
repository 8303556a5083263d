// The sample fetches Tandem runs (HAProxy 2.6's http_fetch.c, tcp_sample.c, payload.c,
// sample.c's constants): what each reads from the request, the connection, the proxy state
// or the TCP payload, and how it walks several values in ACLs.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

#include "parsers/common/text.hpp"
#include "runtime/proxy/acl/expression.hpp"

namespace tandem::runtime::proxy::acl {

using parsers::single_quoted;

namespace {

using http::header;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequal(std::string_view a, std::string_view b) {
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

bool blank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && blank(v.front())) {
    v.remove_prefix(1);
  }
  while (!v.empty() && blank(v.back())) {
    v.remove_suffix(1);
  }
  return v;
}

// The end of one comma-separated element of a header value, commas inside double quotes not
// counting (http_find_hdr_value_end()).
std::size_t element_end(std::string_view v, std::size_t from) {
  bool quoted = false;
  for (std::size_t i = from; i < v.size(); ++i) {
    const char c = v[i];
    if (quoted && c == '\\' && i + 1 < v.size()) {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == ',') {
      return i;
    }
  }
  return v.size();
}

// Calls f(value) for each value of the headers called `name` (every header when empty), split
// at commas unless `full`, blanks around each value removed. Stops when f returns true.
template <typename F>
void for_each_value(const std::vector<header>& headers, std::string_view name, bool full, F&& f) {
  for (const header& h : headers) {
    if (!name.empty() && !iequal(h.name_, name)) {
      continue;
    }
    const std::string_view v = h.value_;
    if (full) {
      if (f(trim(v))) {
        return;
      }
      continue;
    }
    std::size_t at = 0;
    while (true) {
      const std::size_t end = element_end(v, at);
      if (f(trim(v.substr(at, end - at)))) {
        return;
      }
      if (end >= v.size()) {
        break;
      }
      at = end + 1;
    }
  }
}

std::size_t count_values(const std::vector<header>& headers, std::string_view name, bool full) {
  std::size_t n = 0;
  for_each_value(headers, name, full, [&](std::string_view) {
    ++n;
    return false;
  });
  return n;
}

const std::vector<header>* request_headers(const sample_source& s) {
  const http::request_head* r = s.request();
  return r == nullptr ? nullptr : &r->headers_;
}

const std::vector<header>* response_headers(const sample_source& s) {
  const http::response_head* r = s.response();
  return r == nullptr ? nullptr : &r->headers_;
}

// `hdr`, `hdr_cnt` …: the response's in http-response rules, the request's otherwise.
const std::vector<header>* either_headers(const sample_source& s) {
  if (const auto* r = response_headers(s)) {
    return r;
  }
  return request_headers(s);
}

// A header's values as HAProxy's smp_fetch_hdr() walks them: occurrence `occ` (1 = first,
// -1 = last), or, with occ 0, every value in ACLs and the last one elsewhere. `convert` turns
// a value into a sample; false skips it (hdr_ip's non-addresses).
template <typename Convert>
void header_values(const std::vector<header>* headers, std::string_view name, bool full,
                   std::int64_t occ, bool iterate, sample_sink& sink, Convert&& convert) {
  if (headers == nullptr) {
    return;
  }
  if (occ == 0 && iterate) {
    for_each_value(*headers, name, full, [&](std::string_view v) {
      sample s;
      if (!convert(v, s)) {
        return false;
      }
      return sink.take(s);
    });
    return;
  }
  if (occ == 0) {
    occ = -1;
  }
  std::int64_t want = occ;
  if (occ < 0) {
    want = static_cast<std::int64_t>(count_values(*headers, name, full)) + occ + 1;
    if (want <= 0) {
      return;
    }
  }
  std::int64_t index = 0;
  std::optional<sample> found;
  for_each_value(*headers, name, full, [&](std::string_view v) {
    if (++index != want) {
      return false;
    }
    sample s;
    if (convert(v, s)) {
      found = std::move(s);
    }
    return true;
  });
  if (found) {
    sink.take(*found);
  }
}

bool as_string(std::string_view v, sample& s) {
  s = sample::view(v);
  return true;
}

bool as_integer(std::string_view v, sample& s) {
  s = sample::integer(leading_integer(v));
  return true;
}

// url2ipv4() then inet_pton(AF_INET6): a value that is not an address is skipped.
bool as_address(std::string_view v, sample& s) {
  std::size_t n = 0;
  while (n < v.size() && ((v[n] >= '0' && v[n] <= '9') || v[n] == '.')) {
    ++n;
  }
  if (n > 0 && parse_address(v.substr(0, n), s) && s.type_ == smp_type::ipv4_) {
    return true;
  }
  return parse_address(v, s) && s.type_ == smp_type::ipv6_;
}

std::string_view name_arg(const fetch_step& f) {
  return f.args_.empty() ? std::string_view() : std::string_view(f.args_[0]);
}

std::int64_t occ_arg(const fetch_step& f) {
  return f.has_n_[1] ? f.n_[1] : 0;
}

void fetch_req_hdr(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(request_headers(s), name_arg(f), false, occ_arg(f), it, k, as_string);
}
void fetch_req_fhdr(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(request_headers(s), name_arg(f), true, occ_arg(f), it, k, as_string);
}
void fetch_res_hdr(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(response_headers(s), name_arg(f), false, occ_arg(f), it, k, as_string);
}
void fetch_res_fhdr(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(response_headers(s), name_arg(f), true, occ_arg(f), it, k, as_string);
}
void fetch_hdr(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(either_headers(s), name_arg(f), false, occ_arg(f), it, k, as_string);
}
void fetch_req_hdr_val(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(request_headers(s), name_arg(f), false, occ_arg(f), it, k, as_integer);
}
void fetch_res_hdr_val(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(response_headers(s), name_arg(f), false, occ_arg(f), it, k, as_integer);
}
void fetch_hdr_val(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(either_headers(s), name_arg(f), false, occ_arg(f), it, k, as_integer);
}

// hdr_ip: in HAProxy a value that is not an address makes it try the next one, also outside
// ACLs; here outside ACLs only the chosen occurrence is looked at.
void fetch_req_hdr_ip(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(request_headers(s), name_arg(f), false, occ_arg(f), it, k, as_address);
}
void fetch_res_hdr_ip(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(response_headers(s), name_arg(f), false, occ_arg(f), it, k, as_address);
}
void fetch_hdr_ip(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  header_values(either_headers(s), name_arg(f), false, occ_arg(f), it, k, as_address);
}

void give_count(const std::vector<header>* h, std::string_view name, bool full, sample_sink& k) {
  if (h == nullptr) {
    return;
  }
  sample v = sample::integer(static_cast<std::int64_t>(count_values(*h, name, full)));
  k.take(v);
}
void fetch_req_hdr_cnt(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  give_count(request_headers(s), name_arg(f), false, k);
}
void fetch_req_fhdr_cnt(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  give_count(request_headers(s), name_arg(f), true, k);
}
void fetch_res_hdr_cnt(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  give_count(response_headers(s), name_arg(f), false, k);
}
void fetch_res_fhdr_cnt(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  give_count(response_headers(s), name_arg(f), true, k);
}
void fetch_hdr_cnt(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  give_count(either_headers(s), name_arg(f), false, k);
}

// http_get_path(): the path of an origin-form or absolute-form target; none for "*" and for
// an authority ("host:port").
std::optional<std::string_view> path_of(std::string_view uri) {
  if (uri.empty() || uri[0] == '*') {
    return std::nullopt;
  }
  std::size_t i = 0;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (alpha(uri[0])) {
    ++i;
    while (i < uri.size() && (alpha(uri[i]) || (uri[i] >= '0' && uri[i] <= '9') || uri[i] == '+' ||
                              uri[i] == '-' || uri[i] == '.')) {
      ++i;
    }
    for (const char want : {':', '/', '/'}) {
      if (i >= uri.size() || uri[i] != want) {
        return std::nullopt;
      }
      ++i;
    }
  }
  while (i < uri.size() && uri[i] != '/') {
    ++i;
  }
  if (i >= uri.size()) {
    return std::nullopt;
  }
  return uri.substr(i);
}

std::string_view before_query(std::string_view p) {
  return p.substr(0, p.find('?'));
}

void fetch_method(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const http::request_head* r = s.request()) {
    sample v = sample::view(r->method_, smp_type::meth_);
    k.take(v);
  }
}

void fetch_path(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const http::request_head* r = s.request()) {
    if (const auto p = path_of(r->target_)) {
      sample v = sample::view(before_query(*p));
      k.take(v);
    }
  }
}

void fetch_pathq(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const http::request_head* r = s.request()) {
    if (const auto p = path_of(r->target_)) {
      sample v = sample::view(*p);
      k.take(v);
    }
  }
}

void fetch_url(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const http::request_head* r = s.request()) {
    sample v = sample::view(r->target_);
    k.take(v);
  }
}

void fetch_query(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const http::request_head* r = s.request()) {
    const std::string_view t = r->target_;
    const std::size_t q = t.find('?');
    if (q != std::string_view::npos) {
      sample v = sample::view(t.substr(q + 1));
      k.take(v);
    }
  }
}

// base / baseq: the first Host value and the path (without, or with, the query); the path
// alone when there is no Host.
void give_base(const sample_source& s, bool with_query, sample_sink& k) {
  const http::request_head* r = s.request();
  if (r == nullptr) {
    return;
  }
  std::string_view host;
  bool have_host = false;
  for_each_value(r->headers_, "host", false, [&](std::string_view v) {
    host = v;
    have_host = true;
    return true;
  });
  const auto p = path_of(r->target_);
  if (!have_host || host.empty()) {
    if (p) {
      sample v = sample::view(with_query ? *p : before_query(*p));
      k.take(v);
    }
    return;
  }
  std::string out(host);
  if (p) {
    const std::string_view part = with_query ? *p : before_query(*p);
    if (!part.empty() && part[0] == '/') {
      out += part;
    }
  }
  sample v = sample::owned(std::move(out));
  k.take(v);
}
void fetch_base(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_base(s, false, k);
}
void fetch_baseq(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_base(s, true, k);
}

void fetch_req_ver(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const http::request_head* r = s.request()) {
    sample v = sample::view(r->version_minor_ == 0 ? "1.0" : "1.1");
    k.take(v);
  }
}

void fetch_res_ver(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const http::response_head* r = s.response()) {
    sample v = sample::view(r->version_minor_ == 0 ? "1.0" : "1.1");
    k.take(v);
  }
}

void fetch_status(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const http::response_head* r = s.response()) {
    sample v = sample::integer(r->status_);
    k.take(v);
  }
}

// url_param / urlp: the values of a query-string parameter (any parameter when the name is
// empty), the first one outside ACLs.
void fetch_url_param(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  const http::request_head* r = s.request();
  if (r == nullptr) {
    return;
  }
  const std::string_view t = r->target_;
  const std::size_t q = t.find('?');
  if (q == std::string_view::npos) {
    return;
  }
  const std::string_view name = name_arg(f);
  const char delim = f.args_.size() > 1 && !f.args_[1].empty() ? f.args_[1][0] : '&';
  std::string_view rest = t.substr(q + 1);
  while (true) {
    const std::size_t end = rest.find(delim);
    const std::string_view param = rest.substr(0, end);
    const std::size_t eq = param.find('=');
    bool hit = false;
    std::string_view value;
    if (name.empty()) {
      hit = !param.empty();
      value = eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    } else if (eq == name.size() && param.substr(0, eq) == name) {
      hit = true;
      value = param.substr(eq + 1);
    }
    if (hit) {
      sample v = sample::view(value);
      if (k.take(v) || !it) {
        return;
      }
    }
    if (end == std::string_view::npos) {
      return;
    }
    rest = rest.substr(end + 1);
  }
}

void fetch_urlp_val(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  struct to_int final : sample_sink {
    explicit to_int(sample_sink& next) : next_(next) {}
    bool take(sample& v) override {
      sample n = sample::integer(leading_integer(v.text()));
      return next_.take(n);
    }
    sample_sink& next_;
  } conv(k);
  fetch_url_param(f, s, it, conv);
}

// The cookies of one header value (http_extract_cookie_value()): "name=value" pairs split at
// ';', blanks around names and values ignored, names starting with '$' and pairs without '='
// skipped. A Set-Cookie header has one cookie: its first pair.
template <typename F>
bool for_each_cookie(std::string_view line, bool set_cookie, F&& f) {
  std::size_t at = 0;
  while (at < line.size()) {
    std::size_t end = at;
    bool quoted = false;
    while (end < line.size() && (quoted || line[end] != ';')) {
      if (line[end] == '"') {
        quoted = !quoted;
      }
      ++end;
    }
    const std::string_view pair = line.substr(at, end - at);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos) {
      const std::string_view n = trim(pair.substr(0, eq));
      if (n.empty() || n[0] != '$') {
        if (f(n, trim(pair.substr(eq + 1)))) {
          return true;
        }
      }
    }
    if (set_cookie) {
      return false;
    }
    at = end + 1;
  }
  return false;
}

// req.cook / res.cook: every value of the cookie in ACLs, else the last one (the first cookie
// when no name is given).
template <typename Convert>
void cookie_values(const std::vector<header>* headers, bool response, std::string_view name,
                   bool iterate, sample_sink& k, Convert&& convert) {
  if (headers == nullptr) {
    return;
  }
  const std::string_view hname = response ? "set-cookie" : "cookie";
  std::optional<std::string_view> last;
  bool stop = false;
  for (const header& h : *headers) {
    if (stop || !iequal(h.name_, hname)) {
      continue;
    }
    stop = for_each_cookie(h.value_, response, [&](std::string_view n, std::string_view v) {
      if (!name.empty() && n != name) {
        return false;
      }
      if (iterate) {
        sample s = convert(v);
        return k.take(s);
      }
      last = v;
      return name.empty();
    });
  }
  if (!iterate && last) {
    sample s = convert(*last);
    k.take(s);
  }
}

sample cookie_string(std::string_view v) {
  return sample::view(v);
}
sample cookie_integer(std::string_view v) {
  return sample::integer(leading_integer(v));
}

void fetch_req_cook(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  cookie_values(request_headers(s), false, name_arg(f), it, k, cookie_string);
}
void fetch_res_cook(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  cookie_values(response_headers(s), true, name_arg(f), it, k, cookie_string);
}
void fetch_req_cook_val(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  cookie_values(request_headers(s), false, name_arg(f), it, k, cookie_integer);
}
void fetch_res_cook_val(const fetch_step& f, const sample_source& s, bool it, sample_sink& k) {
  cookie_values(response_headers(s), true, name_arg(f), it, k, cookie_integer);
}

void give_cookie_count(const std::vector<header>* headers, bool response, std::string_view name,
                       sample_sink& k) {
  if (headers == nullptr) {
    return;
  }
  std::int64_t n = 0;
  for (const header& h : *headers) {
    if (iequal(h.name_, response ? "set-cookie" : "cookie")) {
      for_each_cookie(h.value_, response, [&](std::string_view c, std::string_view) {
        n += name.empty() || c == name;
        return false;
      });
    }
  }
  sample v = sample::integer(n);
  k.take(v);
}
void fetch_req_cook_cnt(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  give_cookie_count(request_headers(s), false, name_arg(f), k);
}
void fetch_res_cook_cnt(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  give_cookie_count(response_headers(s), true, name_arg(f), k);
}

// Layer 4.
void give_address(const sockaddr_storage& a, sample_sink& k) {
  if (std::optional<sample> v = address_sample(a)) {
    k.take(*v);
  }
}

void give_port(const sockaddr_storage& a, sample_sink& k) {
  if (std::optional<sample> v = port_sample(a)) {
    k.take(*v);
  }
}

void fetch_src(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_address(s.source(), k);
}
void fetch_dst(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_address(s.destination(), k);
}
void fetch_src_port(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_port(s.source(), k);
}
void fetch_dst_port(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_port(s.destination(), k);
}

void fetch_ssl_fc(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  sample v = sample::boolean(s.ssl());
  k.take(v);
}
void fetch_ssl_fc_has_sni(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  sample v = sample::boolean(s.ssl() && !s.ssl_sni().empty());
  k.take(v);
}
void fetch_ssl_fc_sni(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (!s.ssl() || s.ssl_sni().empty()) {
    return;
  }
  sample v = sample::view(s.ssl_sni());
  k.take(v);
}

// A string of the TLS session; nothing over a plain connection or when it is empty.
void give_ssl_text(const sample_source& s, std::string_view value, sample_sink& k) {
  if (!s.ssl() || value.empty()) return;
  sample v = sample::view(value);
  k.take(v);
}
void fetch_ssl_fc_protocol(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_ssl_text(s, s.ssl_protocol(), k);
}
void fetch_ssl_fc_cipher(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_ssl_text(s, s.ssl_cipher(), k);
}
void fetch_ssl_fc_alpn(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  give_ssl_text(s, s.ssl_alpn(), k);
}
void fetch_ssl_c_used(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (!s.ssl()) return;
  sample v = sample::boolean(s.ssl_client_certificate());
  k.take(v);
}

// Proxy state.
void fetch_nbsrv(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  const std::string_view b =
      f.args_.empty() || f.args_[0].empty() ? s.backend_name() : std::string_view(f.args_[0]);
  const int n = s.usable_servers(b);
  if (n < 0) {
    return;
  }
  sample v = sample::integer(n);
  k.take(v);
}
void fetch_be_name(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (s.backend_name().empty()) {
    return;
  }
  sample v = sample::view(s.backend_name());
  k.take(v);
}
void fetch_fe_name(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (s.frontend_name().empty()) {
    return;
  }
  sample v = sample::view(s.frontend_name());
  k.take(v);
}

// Constants, and always_true/false.
// A text constant is given as a view of the compiled step: no copy per evaluation.
sample constant_of(const sample& c) {
  if (c.type_ == smp_type::str_ || c.type_ == smp_type::bin_ || c.type_ == smp_type::meth_) {
    return sample::view(c.text(), c.type_);
  }
  return c;
}

void fetch_constant(const fetch_step& f, const sample_source&, bool, sample_sink& k) {
  sample v = constant_of(f.constant_);
  k.take(v);
}

void fetch_var(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  if (std::optional<std::string> v = s.variable(f.args_[0])) {
    sample out = sample::owned(std::move(*v));
    k.take(out);
  } else if (f.has_constant_) {
    sample out = constant_of(f.constant_);
    k.take(out);
  }
}

void fetch_env(const fetch_step& f, const sample_source&, bool, sample_sink& k) {
  // getenv only reads; nothing in Tandem changes the environment once running.
  if (const char* v = std::getenv(f.args_[0].c_str())) {
    sample out = sample::owned(v);
    k.take(out);
  }
}

// TCP payload.
void fetch_req_len(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  sample v = sample::integer(static_cast<std::int64_t>(s.tcp_payload().size()));
  k.take(v);
}

void fetch_req_payload(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  const std::string_view p = s.tcp_payload();
  const auto offset = static_cast<std::size_t>(f.n_[0]);
  const auto length = static_cast<std::size_t>(f.n_[1]);
  if (offset > p.size() || (length != 0 && p.size() - offset < length)) {
    return;
  }
  sample v =
      sample::view(length == 0 ? p.substr(offset) : p.substr(offset, length), smp_type::bin_);
  k.take(v);
}

std::uint32_t be16(const unsigned char* d) {
  return (d[0] << 8) | d[1];
}
std::uint32_t be24(const unsigned char* d) {
  return (d[0] << 16) | (d[1] << 8) | d[2];
}

// smp_fetch_ssl_hello_type(): the handshake type of a complete SSLv3+ record.
void fetch_ssl_hello_type(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  const std::string_view p = s.tcp_payload();
  const auto* d = reinterpret_cast<const unsigned char*>(p.data());
  if (p.size() < 9 || !((d[0] >= 0x14 && d[0] <= 0x17) || d[0] == 0xff)) {
    return;
  }
  if (((d[1] << 16) + d[2]) < 0x00030000 || be16(d + 3) < 4) {
    return;
  }
  if (p.size() < 9 + be24(d + 6)) {
    return;
  }
  sample v = sample::integer(d[5]);
  k.take(v);
}

// smp_fetch_req_ssl_ver(): (major << 16) | minor of the ClientHello, from an SSLv3+ record
// or an SSLv2 hello, once the whole message is there.
void fetch_ssl_ver(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  const std::string_view p = s.tcp_payload();
  const auto* d = reinterpret_cast<const unsigned char*>(p.data());
  std::size_t left = p.size();
  std::int64_t version = 0;
  std::size_t msg_len = 0;
  if (left == 0) {
    return;
  }
  if ((d[0] >= 0x14 && d[0] <= 0x17) || d[0] == 0xff) {
    if (left < 11) {
      return;
    }
    msg_len = be16(d + 3);
    if (((d[1] << 16) + d[2]) < 0x00030000 || msg_len < 6 || msg_len > (1u << 14) + 2048) {
      return;
    }
    left -= 5;
    d += 5;
    version = (d[4] << 16) + d[5];
  } else {
    std::size_t rlen = 0;
    std::size_t plen = 0;
    if ((d[0] & 0x80) != 0) {
      if (left < 3) {
        return;
      }
      rlen = ((d[0] & 0x7f) << 8) | d[1];
      left -= 2;
      d += 2;
    } else {
      if (left < 4) {
        return;
      }
      rlen = ((d[0] & 0x3f) << 8) | d[1];
      plen = d[2];
      left -= 3;
      d += 3;
    }
    if (d[0] != 0x01) {
      return;
    }
    --left;
    ++d;
    if (left < 8) {
      return;
    }
    version = (d[0] << 16) + d[1];
    const std::size_t cilen = be16(d + 2);
    const std::size_t silen = be16(d + 4);
    const std::size_t chlen = be16(d + 6);
    left -= 8;
    if (cilen % 3 != 0 || (silen != 0 && silen != 16) || chlen < 16 || chlen > 32 ||
        rlen != 9 + cilen + silen + chlen) {
      return;
    }
    msg_len = cilen + silen + chlen + plen;
  }
  if (left < msg_len) {
    return;
  }
  sample v = sample::integer(version);
  k.take(v);
}

// smp_fetch_ssl_hello_sni(): the host_name of the server_name extension of a complete
// ClientHello.
void fetch_ssl_hello_sni(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  const std::string_view p = s.tcp_payload();
  const auto* d = reinterpret_cast<const unsigned char*>(p.data());
  std::size_t left = p.size();
  if (left < 5 || d[0] != 0x16 || d[1] < 0x03) {
    return;
  }
  if (be16(d + 3) < 1 + 3 + 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2) {
    return;
  }
  d += 5;
  left -= 5;
  if (left < 4 || d[0] != 0x01) {
    return;
  }
  std::size_t hs = be24(d + 1);
  if (hs < 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 2 || left < hs + 4) {
    return;
  }
  d += 4;
  if (d[0] < 0x03 || d[1] < 0x01) {
    return;
  }
  std::size_t n = d[34];
  if (n > 32 || n > hs - 35) {
    return;
  }
  hs -= 35 + n;
  d += 35 + n;
  if (hs < 4 || (n = be16(d)) < 2 || n > hs - 2) {
    return;
  }
  hs -= 2 + n;
  d += 2 + n;
  if (hs < 2 || d[0] < 1 || d[0] > hs - 1) {
    return;
  }
  hs -= 1 + d[0];
  d += 1 + d[0];
  if (hs < 2 || (n = be16(d)) > hs - 2) {
    return;
  }
  hs = n;
  d += 2;
  while (hs >= 4) {
    const std::uint32_t type = be16(d);
    const std::size_t len = be16(d + 2);
    if (len > hs - 4) {
      return;
    }
    if (type == 0) {
      // server_name_list: a length, then (name_type, length, name)…
      if (len < 5 || d[6] != 0) {
        return;
      }
      const std::size_t name_len = be16(d + 7);
      if (name_len + 5 > len) {
        return;
      }
      sample v = sample::view(std::string_view(reinterpret_cast<const char*>(d + 9), name_len));
      k.take(v);
      return;
    }
    hs -= 4 + len;
    d += 4 + len;
  }
}

// fetch_rdp_cookie_name(): "Cookie: NAME=VALUE\r\n" after the 11 bytes of TPKT and X.224
// headers; the name is compared without case; any cookie when no name is given.
std::optional<std::string_view> rdp_cookie(std::string_view p, std::string_view name) {
  if (p.size() <= 11 + 7) {
    return std::nullopt;
  }
  std::string_view d = p.substr(11);
  if (!iequal(d.substr(0, 7), "Cookie:")) {
    return std::nullopt;
  }
  d.remove_prefix(7);
  while (!d.empty() && d[0] == ' ') {
    d.remove_prefix(1);
  }
  if (!name.empty()) {
    if (d.size() <= name.size() || d[name.size()] != '=' ||
        !iequal(d.substr(0, name.size()), name)) {
      return std::nullopt;
    }
    d.remove_prefix(name.size() + 1);
  } else {
    const std::size_t eq = d.find_first_of("=\r\n");
    if (eq == std::string_view::npos || d[eq] != '=') {
      return std::nullopt;
    }
    d.remove_prefix(eq + 1);
  }
  const std::size_t cr = d.find('\r');
  if (cr == std::string_view::npos || cr + 1 >= d.size() || d[cr + 1] != '\n') {
    return std::nullopt;
  }
  return d.substr(0, cr);
}

void fetch_rdp_cookie(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  if (const auto v = rdp_cookie(s.tcp_payload(), name_arg(f))) {
    sample out = sample::view(*v);
    k.take(out);
  }
}

void fetch_rdp_cookie_cnt(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  sample out = sample::integer(rdp_cookie(s.tcp_payload(), name_arg(f)) ? 1 : 0);
  k.take(out);
}

// req.proto_http: an HTTP request is there. In mode http it always is; in mode tcp the payload
// must hold a complete request head ("METHOD SP TARGET SP HTTP/1.x" and the blank line).
bool looks_like_http(std::string_view p) {
  const std::size_t eol = p.find('\n');
  if (eol == std::string_view::npos) {
    return false;
  }
  std::string_view line = p.substr(0, eol);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp2 == sp1) {
    return false;
  }
  for (std::size_t i = 0; i < sp1; ++i) {
    const char c = line[i];
    if (c <= ' ' || c >= 127 || std::strchr("()<>@,;:\\\"/[]?={}", c) != nullptr) {
      return false;
    }
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || !version.starts_with("HTTP/1.") || version[7] < '0' ||
      version[7] > '9') {
    return false;
  }
  return p.find("\r\n\r\n") != std::string_view::npos || p.find("\n\n") != std::string_view::npos;
}

void fetch_proto_http(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  const bool yes = s.request() != nullptr || looks_like_http(s.tcp_payload());
  if (!yes) {
    return;
  }
  sample v = sample::boolean(true);
  k.take(v);
}

// The credentials of the request's first Authorization header, its first value (HAProxy reads
// no other: a second header or a value after a comma is ignored, measured on 2.6).
std::optional<credentials> request_credentials(const sample_source& s) {
  const http::request_head* r = s.request();
  if (r == nullptr) {
    return std::nullopt;
  }
  for (const header& h : r->headers_) {
    if (iequal(h.name_, "authorization")) {
      const std::string_view v = h.value_;
      return parse_authorization(trim(v.substr(0, element_end(v, 0))));
    }
  }
  return std::nullopt;
}

std::optional<credentials> basic_credentials(const sample_source& s) {
  std::optional<credentials> c = request_credentials(s);
  if (!c || c->scheme_ != auth_scheme::basic) {
    return std::nullopt;
  }
  return c;
}

void fetch_http_auth(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  const std::optional<credentials> c = basic_credentials(s);
  if (!c || f.userlist_ == nullptr) {
    return;
  }
  sample v = sample::boolean(f.userlist_->check(c->user_, c->password_));
  k.take(v);
}

// The user's name once the password is right; the ACL keyword then matches its groups.
void fetch_http_auth_group(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  const std::optional<credentials> c = basic_credentials(s);
  if (!c || f.userlist_ == nullptr || !f.userlist_->check(c->user_, c->password_)) {
    return;
  }
  sample v = sample::owned(c->user_);
  k.take(v);
}

void fetch_http_auth_user(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (std::optional<credentials> c = basic_credentials(s)) {
    sample v = sample::owned(std::move(c->user_));
    k.take(v);
  }
}

void fetch_http_auth_pass(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (std::optional<credentials> c = basic_credentials(s)) {
    sample v = sample::owned(std::move(c->password_));
    k.take(v);
  }
}

void fetch_http_auth_type(const fetch_step&, const sample_source& s, bool, sample_sink& k) {
  if (const std::optional<credentials> c = request_credentials(s)) {
    sample v = sample::view(c->scheme_ == auth_scheme::basic ? "Basic" : "Bearer");
    k.take(v);
  }
}

// Setup helpers: integer arguments parsed once.
bool integer_args(fetch_step& f, std::size_t first, std::string& error) {
  for (std::size_t i = first; i < f.args_.size() && i < 3; ++i) {
    if (f.args_[i].empty()) {
      continue;
    }
    std::size_t used = 0;
    f.n_[i] = leading_integer(f.args_[i], &used);
    if (used != f.args_[i].size()) {
      error = single_quoted(f.args_[i]) + " is not an integer";
      return false;
    }
    f.has_n_[i] = true;
  }
  return true;
}

bool setup_header(fetch_step& f, std::string& error) {
  return integer_args(f, 1, error);
}

bool setup_payload(fetch_step& f, std::string& error) {
  if (!integer_args(f, 0, error)) {
    return false;
  }
  if (f.n_[0] < 0 || f.n_[1] < 0) {
    error = "payload offset and length must be positive";
    return false;
  }
  return true;
}

bool setup_true(fetch_step& f, std::string&) {
  f.constant_ = sample::boolean(true);
  return true;
}
bool setup_false(fetch_step& f, std::string&) {
  f.constant_ = sample::boolean(false);
  return true;
}
bool setup_int(fetch_step& f, std::string& error) {
  if (!integer_args(f, 0, error)) {
    return false;
  }
  f.constant_ = sample::integer(f.n_[0]);
  return true;
}
bool setup_bool(fetch_step& f, std::string& error) {
  if (!integer_args(f, 0, error)) {
    return false;
  }
  f.constant_ = sample::boolean(f.n_[0] != 0);
  return true;
}
bool setup_str(fetch_step& f, std::string&) {
  f.constant_ = sample::owned(f.args_.empty() ? std::string() : f.args_[0]);
  return true;
}
bool setup_meth(fetch_step& f, std::string&) {
  f.constant_ = sample::owned(f.args_.empty() ? std::string() : f.args_[0], smp_type::meth_);
  return true;
}
bool setup_ip(fetch_step& f, std::string& error) {
  if (f.args_.empty() || !parse_address(f.args_[0], f.constant_)) {
    error = "invalid address";
    return false;
  }
  return true;
}
bool setup_bin(fetch_step& f, std::string& error) {
  std::string out;
  const std::string& h = f.args_.empty() ? out : f.args_[0];
  if (h.size() % 2 != 0) {
    error = single_quoted(h) + " is not a valid hex string";
    return false;
  }
  for (std::size_t i = 0; i < h.size(); i += 2) {
    const std::string byte = h.substr(i, 2);
    char* end = nullptr;
    const long v = std::strtol(byte.c_str(), &end, 16);
    if (end != byte.c_str() + 2) {
      error = single_quoted(h) + " is not a valid hex string";
      return false;
    }
    out += static_cast<char>(v);
  }
  f.constant_ = sample::owned(std::move(out), smp_type::bin_);
  return true;
}
bool setup_var(fetch_step& f, std::string&) {
  if (f.args_.size() > 1) {
    f.constant_ = sample::owned(f.args_[1]);
    f.has_constant_ = true;
  }
  return true;
}

bool setup_userlist(fetch_step& f, std::string&) {
  f.wants_userlist_ = true;
  return true;
}

struct fetch_entry {
  std::string_view name_;
  fetch_fn fn_;
  bool (*setup_)(fetch_step&, std::string&) = nullptr;
};

constexpr fetch_entry fetches[] = {
    // HTTP request.
    {"method", fetch_method},
    {"path", fetch_path},
    {"pathq", fetch_pathq},
    {"url", fetch_url},
    {"query", fetch_query},
    {"base", fetch_base},
    {"baseq", fetch_baseq},
    {"req.ver", fetch_req_ver},
    {"req_ver", fetch_req_ver},
    {"req.hdr", fetch_req_hdr, setup_header},
    {"req.fhdr", fetch_req_fhdr, setup_header},
    {"hdr", fetch_hdr, setup_header},
    {"req.hdr_cnt", fetch_req_hdr_cnt},
    {"req.fhdr_cnt", fetch_req_fhdr_cnt},
    {"hdr_cnt", fetch_hdr_cnt},
    {"req.hdr_val", fetch_req_hdr_val, setup_header},
    {"hdr_val", fetch_hdr_val, setup_header},
    {"req.hdr_ip", fetch_req_hdr_ip, setup_header},
    {"hdr_ip", fetch_hdr_ip, setup_header},
    {"req.cook", fetch_req_cook},
    {"cook", fetch_req_cook},
    {"cookie", fetch_req_cook},
    {"req.cook_cnt", fetch_req_cook_cnt},
    {"cook_cnt", fetch_req_cook_cnt},
    {"req.cook_val", fetch_req_cook_val},
    {"cook_val", fetch_req_cook_val},
    {"urlp", fetch_url_param},
    {"url_param", fetch_url_param},
    {"urlp_val", fetch_urlp_val},
    {"http_auth", fetch_http_auth, setup_userlist},
    {"http_auth_group", fetch_http_auth_group, setup_userlist},
    {"http_auth_user", fetch_http_auth_user},
    {"http_auth_pass", fetch_http_auth_pass},
    {"http_auth_type", fetch_http_auth_type},
    // HTTP response.
    {"res.hdr", fetch_res_hdr, setup_header},
    {"shdr", fetch_res_hdr, setup_header},
    {"res.fhdr", fetch_res_fhdr, setup_header},
    {"res.hdr_cnt", fetch_res_hdr_cnt},
    {"shdr_cnt", fetch_res_hdr_cnt},
    {"res.fhdr_cnt", fetch_res_fhdr_cnt},
    {"res.hdr_val", fetch_res_hdr_val, setup_header},
    {"shdr_val", fetch_res_hdr_val, setup_header},
    {"res.hdr_ip", fetch_res_hdr_ip, setup_header},
    {"shdr_ip", fetch_res_hdr_ip, setup_header},
    {"res.cook", fetch_res_cook},
    {"scook", fetch_res_cook},
    {"res.cook_cnt", fetch_res_cook_cnt},
    {"scook_cnt", fetch_res_cook_cnt},
    {"res.cook_val", fetch_res_cook_val},
    {"scook_val", fetch_res_cook_val},
    {"status", fetch_status},
    {"res.ver", fetch_res_ver},
    {"resp_ver", fetch_res_ver},
    // Layer 4 and TLS.
    {"src", fetch_src},
    {"fc_src", fetch_src},
    {"src_port", fetch_src_port},
    {"fc_src_port", fetch_src_port},
    {"dst", fetch_dst},
    {"fc_dst", fetch_dst},
    {"dst_port", fetch_dst_port},
    {"fc_dst_port", fetch_dst_port},
    {"ssl_fc", fetch_ssl_fc},
    {"ssl_fc_sni", fetch_ssl_fc_sni},
    {"ssl_fc_has_sni", fetch_ssl_fc_has_sni},
    {"ssl_fc_protocol", fetch_ssl_fc_protocol},
    {"ssl_fc_cipher", fetch_ssl_fc_cipher},
    {"ssl_fc_alpn", fetch_ssl_fc_alpn},
    {"ssl_c_used", fetch_ssl_c_used},
    // Proxy state.
    {"nbsrv", fetch_nbsrv},
    {"be_name", fetch_be_name},
    {"fe_name", fetch_fe_name},
    // Constants and variables.
    {"always_true", fetch_constant, setup_true},
    {"always_false", fetch_constant, setup_false},
    {"wait_end", fetch_constant, setup_true},
    {"int", fetch_constant, setup_int},
    {"bool", fetch_constant, setup_bool},
    {"str", fetch_constant, setup_str},
    {"meth", fetch_constant, setup_meth},
    {"ipv4", fetch_constant, setup_ip},
    {"ipv6", fetch_constant, setup_ip},
    {"bin", fetch_constant, setup_bin},
    {"var", fetch_var, setup_var},
    {"env", fetch_env},
    // TCP payload.
    {"req.len", fetch_req_len},
    {"req_len", fetch_req_len},
    {"req.payload", fetch_req_payload, setup_payload},
    {"payload", fetch_req_payload, setup_payload},
    {"req.ssl_hello_type", fetch_ssl_hello_type},
    {"req_ssl_hello_type", fetch_ssl_hello_type},
    {"req.ssl_ver", fetch_ssl_ver},
    {"req_ssl_ver", fetch_ssl_ver},
    {"req.ssl_sni", fetch_ssl_hello_sni},
    {"req_ssl_sni", fetch_ssl_hello_sni},
    {"req.rdp_cookie", fetch_rdp_cookie},
    {"rdp_cookie", fetch_rdp_cookie},
    {"req.rdp_cookie_cnt", fetch_rdp_cookie_cnt},
    {"rdp_cookie_cnt", fetch_rdp_cookie_cnt},
    {"req.proto_http", fetch_proto_http},
    {"req_proto_http", fetch_proto_http},
};

}  // namespace

std::optional<sample> address_sample(const sockaddr_storage& a) {
  sample v;
  if (a.ss_family == AF_INET) {
    v.type_ = smp_type::ipv4_;
    std::memcpy(v.addr_.data(), &reinterpret_cast<const sockaddr_in&>(a).sin_addr, 4);
  } else if (a.ss_family == AF_INET6) {
    v.type_ = smp_type::ipv6_;
    std::memcpy(v.addr_.data(), &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, 16);
  } else {
    return std::nullopt;
  }
  return v;
}

std::optional<sample> port_sample(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) {
    return sample::integer(ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port));
  }
  if (a.ss_family == AF_INET6) {
    return sample::integer(ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port));
  }
  return std::nullopt;
}

bool setup_fetch(std::string_view name, fetch_step& f, std::string& error) {
  for (const fetch_entry& e : fetches) {
    if (e.name_ == name) {
      f.fn_ = e.fn_;
      return e.setup_ == nullptr || e.setup_(f, error);
    }
  }
  error = "the fetch '" + std::string(name) + "' is not supported yet";
  return false;
}

}  // namespace tandem::runtime::proxy::acl
