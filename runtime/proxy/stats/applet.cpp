// See applet.hpp. Behaviour measured on Debian's HAProxy 2.6.12 (compat-tests/proxy/
// test_stats_page.py) and read from its http_ana.c (http_stats_check_uri, http_handle_stats)
// and stats.c (stats_process_http_post, stats_send_http_headers/redirect).
#include "runtime/proxy/stats/applet.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

#include "runtime/proxy/acl/userlist.hpp"
#include "runtime/proxy/admin.hpp"
#include "runtime/proxy/rules.hpp"
#include "runtime/proxy/stats/fields.hpp"
#include "runtime/proxy/stats/page.hpp"

namespace tandem::runtime::proxy::stats {

namespace {

// What http_parse_path() gives: the path and query of an origin-form or absolute-form target
// ("" for an authority or "*").
std::string_view path_of(std::string_view target) {
  if (target.starts_with('/'))
    return target;
  const std::size_t scheme = target.find("://");
  if (scheme == std::string_view::npos)
    return {};
  const std::size_t slash = target.find('/', scheme + 3);
  if (slash == std::string_view::npos)
    return {};
  return target.substr(slash);
}

bool stats_method(std::string_view m) {
  return m == "GET" || m == "HEAD" || m == "POST";
}

// The characters HAProxy's invalid_char() lets through in a scope.
bool valid_scope(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

// url_decode() of a form value: %XX and '+' as a space. Nullopt on a bad escape.
std::optional<std::string> form_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size())
        return std::nullopt;
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9')
          return c - '0';
        if (c >= 'a' && c <= 'f')
          return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
          return c - 'A' + 10;
        return -1;
      };
      const int hi = hex(in[i + 1]);
      const int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

backend* backend_named(proxy_set& proxies, std::string_view name) {
  if (name.starts_with('#')) {
    std::uint32_t id = 0;
    for (char c : name.substr(1)) {
      if (c < '0' || c > '9')
        return nullptr;
      id = id * 10 + static_cast<std::uint32_t>(c - '0');
    }
    for (const auto& b : proxies.backends_) {
      if (b->uid_ == id)
        return b.get();
    }
    return nullptr;
  }
  backend* found = nullptr;
  for (const auto& b : proxies.backends_) {
    if (b->name_ != name)
      continue;
    if (found != nullptr)
      return nullptr;  // ambiguous, as proxy_be_by_name()
    found = b.get();
  }
  return found;
}

std::string hex_upper(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zX", n);
  return buf;
}

// The 200 answer as HAProxy's stats applet and H1 layer write it: chunked for a body (also to
// an HTTP/1.0 client, as measured), no length for HEAD. The session adds the connection
// header when the client closes.
std::string ok_response(const http::request_head& request, std::string_view content_type,
                        unsigned refresh, std::string_view body) {
  std::string out = "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: ";
  out += content_type;
  out += "\r\n";
  if (refresh > 0)
    out += "refresh: " + std::to_string(refresh) + "\r\n";
  if (request.method_ == "HEAD") {
    out += "\r\n";
    return out;
  }
  out += "transfer-encoding: chunked\r\n\r\n";
  if (!body.empty()) {
    out += hex_upper(body.size()) + "\r\n";
    out += body;
    out += "\r\n";
  }
  out += "0\r\n\r\n";
  return out;
}

std::string redirect_response(const page_settings& s, const request_options& o,
                              std::string_view status) {
  std::string location = s.uri_ + ";st=" + std::string(status);
  if (o.hide_down_)
    location += ";up";
  if (o.no_refresh_)
    location += ";norefresh";
  if (!o.scope_.empty())
    location += ";scope=" + o.scope_;
  return "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\n"
         "content-length: 0\r\nlocation: " +
         location + "\r\n\r\n";
}

std::string unauthorized(std::string_view realm) {
  static constexpr std::string_view body =
      "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access "
      "this content.\n</body></html>\n";
  std::string out = "HTTP/1.1 401 Unauthorized\r\ncontent-length: " + std::to_string(body.size()) +
                    "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
                    "www-authenticate: Basic realm=\"" +
                    std::string(realm) + "\"\r\n\r\n";
  out += body;
  return out;
}

bool contains_nocase(std::string_view hay, std::string_view needle) {
  const auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [&](char a, char b) { return lower(a) == lower(b); }) != hay.end();
}

bool condition_holds(const std::unique_ptr<acl::condition>& c, const acl::sample_source& s) {
  return c == nullptr || c->evaluate(s);
}

// The user:password of an Authorization header among `stats auth`'s (compared as written:
// HAProxy keeps them as insecure passwords of an internal userlist).
bool authenticated(const http::request_head& request, const std::vector<std::string>& users) {
  const http::header* h = http::find_header(request.headers_, "authorization");
  if (h == nullptr)
    return false;
  const std::optional<acl::credentials> c = acl::parse_authorization(h->value_);
  if (!c || c->scheme_ != acl::auth_scheme::basic)
    return false;
  const std::string given = c->user_ + ":" + c->password_;
  for (const std::string& u : users) {
    // HAProxy splits "user:password" at the first colon, as the header does.
    if (u == given)
      return true;
  }
  return false;
}

}  // namespace

request_options parse_options(std::string_view after, bool refresh_configured) {
  request_options o;
  auto has = [&](std::string_view what) { return after.find(what) != std::string_view::npos; };
  o.hide_down_ = has(";up");
  o.hide_maint_ = has(";no-maint");
  o.no_refresh_ = refresh_configured && has(";norefresh");
  // The later tests win, as in http_handle_stats().
  if (has(";csv"))
    o.format_ = request_options::format::csv;
  if (has(";typed"))
    o.format_ = request_options::format::typed;
  if (has(";json"))
    o.format_ = request_options::format::json;
  if (has(";json-schema"))
    o.format_ = request_options::format::json_schema;
  if (const std::size_t st = after.find(";st=");
      st != std::string_view::npos && st + 8 <= after.size()) {
    const std::string_view code = after.substr(st + 4, 4);
    o.status_ = "UNKN";
    for (std::string_view known :
         {"DENY", "DONE", "ERRP", "EXCD", "NONE", "PART", "UNKN", "IVAL"}) {
      if (code == known)
        o.status_ = std::string(known);
    }
  }
  if (const std::size_t sc = after.find("scope=");
      sc != std::string_view::npos && sc + 8 <= after.size()) {
    std::string_view v = after.substr(sc + 6);
    const std::size_t end = v.find_first_of(";& ");
    if (end != std::string_view::npos)
      v = v.substr(0, end);
    v = v.substr(0, 20);  // STAT_SCOPE_TXT_MAXLEN
    if (valid_scope(v))
      o.scope_ = std::string(v);
  }
  return o;
}

std::string apply_admin_form(proxy_set& proxies, std::string_view body, const log_sink& log) {
  // HAProxy reads the parameters from the last to the first, keeping the last backend and
  // action; server names before them are applied once both are known.
  struct param {
    std::string key_;
    std::string value_;
  };
  std::vector<param> params;
  std::size_t at = 0;
  while (at <= body.size()) {
    std::size_t amp = body.find('&', at);
    if (amp == std::string_view::npos)
      amp = body.size();
    const std::string_view piece = body.substr(at, amp - at);
    const std::size_t eq = piece.find('=');
    const auto key = form_decode(piece.substr(0, eq));
    const auto value = form_decode(eq == std::string_view::npos ? "" : piece.substr(eq + 1));
    if (!key || !value)
      break;  // url_decode() failed: the rest is ignored
    params.push_back({*key, *value});
    at = amp + 1;
  }
  backend* be = nullptr;
  std::string action;
  for (auto it = params.rbegin(); it != params.rend(); ++it) {
    if (be == nullptr && it->key_ == "b") {
      be = backend_named(proxies, it->value_);
      if (be == nullptr)
        return "ERRP";
    } else if (action.empty() && it->key_ == "action") {
      static constexpr std::string_view known[] = {
          "ready",  "drain",  "maint", "shutdown", "dhlth",   "ehlth",  "hrunn", "hnolb", "hdown",
          "dagent", "eagent", "arunn", "adown",    "disable", "enable", "stop",  "start"};
      if (std::find(std::begin(known), std::end(known), it->value_) == std::end(known)) {
        return "ERRP";
      }
      action = it->value_;
    }
  }
  unsigned total = 0;
  unsigned altered = 0;
  if (be != nullptr && !action.empty()) {
    for (const param& p : params) {
      if (p.key_ != "s")
        continue;
      ++total;
      server* s = be->find_server(p.value_);
      if (s == nullptr)
        continue;
      const bool maint = s->maintenance_.load();
      const bool drain = s->drain_.load();
      bool done = true;
      if (action == "ready") {
        set_admin_state(*be, *s, admin_state::ready, log);
      } else if (action == "drain") {
        set_admin_state(*be, *s, admin_state::drain, log);
      } else if (action == "maint") {
        set_admin_state(*be, *s, admin_state::maint, log);
      } else if (action == "disable") {  // HAProxy 1.x's names, still accepted
        done = !maint;
        if (done)
          set_admin_state(*be, *s, admin_state::maint, log);
      } else if (action == "enable") {
        done = maint;
        if (done)
          set_admin_state(*be, *s, admin_state::ready, log);
      } else if (action == "stop") {
        done = !drain;
        if (done)
          set_admin_state(*be, *s, admin_state::drain, log);
      } else if (action == "start") {
        done = drain;
        if (done)
          set_admin_state(*be, *s, admin_state::ready, log);
      } else {
        // Checks and agents switched on/off or forced, sessions killed: not done by Tandem
        // (docs/compat.md); reported as HAProxy reports an action that changed nothing.
        done = false;
      }
      if (done)
        ++altered;
    }
  }
  if (total == 0)
    return "NONE";
  if (altered == 0)
    return "ERRP";
  if (altered == total)
    return "DONE";
  return "PART";
}

stats_applet::stats_applet(proxy_set& proxies, page_settings settings)
    : proxies_(proxies), settings_(std::move(settings)) {}

bool stats_applet::wants(const http::request_head& request) const {
  if (!stats_method(request.method_))
    return false;
  const std::string_view uri = settings_.uri_.starts_with('/') ? path_of(request.target_)
                                                               : std::string_view(request.target_);
  return uri.starts_with(settings_.uri_);
}

std::string stats_applet::respond(const http::request_head& request, std::string_view body,
                                  const acl::sample_source& source) {
  const std::string_view uri = settings_.uri_.starts_with('/') ? path_of(request.target_)
                                                               : std::string_view(request.target_);
  const std::string_view after =
      uri.size() >= settings_.uri_.size() ? uri.substr(settings_.uri_.size()) : std::string_view();
  const request_options options = parse_options(after, settings_.refresh_seconds_ > 0);

  // Who may see the page: `stats http-request` rules, else `stats auth` as HAProxy turns it
  // into "auth [realm R] unless { http_auth(.internal-stats-userlist) }".
  if (!settings_.access_.empty()) {
    for (const access_rule& rule : settings_.access_) {
      if (!condition_holds(rule.condition_, source))
        continue;
      if (rule.kind_ == access_rule::kind::deny) {
        return error_response(403, nullptr, nullptr);
      }
      if (rule.kind_ == access_rule::kind::auth) {
        return unauthorized(rule.realm_.empty() ? default_realm : std::string_view(rule.realm_));
      }
      break;  // allow
    }
  } else if (!settings_.users_.empty() && !authenticated(request, settings_.users_)) {
    return unauthorized(settings_.realm_ ? std::string_view(*settings_.realm_) : default_realm);
  }

  bool admin = false;
  for (const auto& c : settings_.admin_) {
    if (condition_holds(c, source)) {
      admin = true;
      break;
    }
  }

  if (request.method_ == "POST") {
    if (!admin)
      return redirect_response(settings_, options, "DENY");
    return redirect_response(settings_, options, apply_admin_form(proxies_, body, log_));
  }

  selection which;
  which.proxies_ = settings_.scope_;
  which.show_legends_ = settings_.show_legends_;
  which.only_up_ = options.hide_down_;
  which.no_maint_ = options.hide_maint_;
  std::vector<row> rows = collect(proxies_, which);
  if (!options.scope_.empty()) {
    // The search box: proxies whose name holds the text, any case (strnistr), every format.
    std::erase_if(rows, [&](const row& r) {
      const auto* name =
          r.fields_.empty() ? nullptr : std::get_if<std::string>(&r.fields_[0].value_);
      return name == nullptr || !contains_nocase(*name, options.scope_);
    });
  }
  const unsigned refresh = options.no_refresh_ ? 0 : settings_.refresh_seconds_;
  switch (options.format_) {
    case request_options::format::csv:
      return ok_response(request, "text/plain", refresh, render_csv(rows));
    case request_options::format::typed:
      return ok_response(request, "text/plain", refresh, render_typed(rows));
    case request_options::format::json:
      return ok_response(request, "application/json", refresh, render_json(rows));
    case request_options::format::json_schema:
      // Not rendered by Tandem: an empty schema document says so to a reader.
      return ok_response(request, "application/json", refresh, "{}");
    case request_options::format::html:
      break;
  }
  return ok_response(request, "text/html", refresh,
                     render_html(proxies_, rows, facts_of(proxies_), settings_, options, admin));
}

void attach_log(proxy_set& proxies, const log_sink& log) {
  auto attach = [&](http_applet* a) {
    if (auto* s = dynamic_cast<stats_applet*>(a))
      s->set_log(log);
  };
  for (const auto& f : proxies.frontends_)
    attach(f->stats_.get());
  for (const auto& b : proxies.backends_)
    attach(b->stats_.get());
}

}  // namespace tandem::runtime::proxy::stats
