// See haproxy.hpp.
#include "runtime/assemble/haproxy.hpp"
#include "runtime/assemble/haproxy_stick.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <set>
#include <charconv>
#include <tuple>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "runtime/assemble/check_spec.hpp"
#include "runtime/assemble/haproxy_logs.hpp"
#include "runtime/assemble/haproxy_tls.hpp"
#include "runtime/assemble/haproxy_stats_page.hpp"
#include "runtime/checks/health.hpp"
#include "runtime/proxy/legacy_rules.hpp"
#include "runtime/proxy/rules.hpp"

namespace tandem::runtime::assemble {

namespace model = parsers::haproxy;
using namespace tandem::runtime::proxy;

namespace {

struct context {
  haproxy_result& result_;
  const acl::userlist_set* userlists_ = nullptr;  // what http_auth(L) may name
  tls_defaults tls_;  // crt-base, ssl-default-*: what bind and server lines start from
  const proxy_set* set_ = nullptr;  // its stick tables, for track-sc and stick rules
  std::string proxy_name_{};        // the proxy whose rules are read (its table by default)
  void error(const parsers::source_position& at, std::string message) {
    result_.problems_.push_back({at, std::move(message), true});
  }
  void warning(const parsers::source_position& at, std::string message) {
    result_.problems_.push_back({at, std::move(message), false});
  }
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// getaddrinfo for one host (numeric or a name, "" / "*" for any); the first answer, IPv4
// first as HAProxy's libc resolution prefers it.
bool resolve(const std::string& host, std::uint16_t port, bool passive, bool want_v6_any,
             sockaddr_storage& out, socklen_t& length, std::string& error) {
  std::memset(&out, 0, sizeof out);
  if (host.empty() || host == "*" || host == "0.0.0.0") {
    auto& a = reinterpret_cast<sockaddr_in&>(out);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    length = sizeof(sockaddr_in);
    return true;
  }
  if (host == "::" || want_v6_any) {
    auto& a = reinterpret_cast<sockaddr_in6&>(out);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_any;
    length = sizeof(sockaddr_in6);
    return true;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  if (passive) hints.ai_flags |= AI_PASSIVE;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    error = "could not resolve address '" + host + "'";
    return false;
  }
  const addrinfo* pick = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  std::memcpy(&out, pick->ai_addr, pick->ai_addrlen);
  length = static_cast<socklen_t>(pick->ai_addrlen);
  if (out.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(out).sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6&>(out).sin6_port = htons(port);
  }
  ::freeaddrinfo(found);
  return true;
}

timeouts timeouts_of(const model::proxy& p) {
  timeouts t;
  auto get = [&p](std::string_view name) {
    const auto it = p.timeouts_.find(name);
    return it == p.timeouts_.end() ? milliseconds(0) : milliseconds(it->second);
  };
  t.client_ = get("client");
  t.server_ = get("server");
  t.connect_ = get("connect");
  t.http_request_ = get("http-request");
  t.http_keep_alive_ = get("http-keep-alive");
  t.queue_ = get("queue");
  t.tunnel_ = get("tunnel");
  t.client_fin_ = get("client-fin");
  t.server_fin_ = get("server-fin");
  t.tarpit_ = get("tarpit");
  return t;
}

bool option_on(const model::proxy& p, std::string_view name) {
  const auto it = p.options_.find(name);
  return it != p.options_.end() && it->second.enabled_;
}

http_connection_mode connection_mode_of(const model::proxy& p) {
  // The last of these options wins in HAProxy; the model keeps one entry each, so the
  // strongest that is on is taken.
  if (option_on(p, "httpclose") || option_on(p, "forceclose")) return http_connection_mode::close;
  if (option_on(p, "http-server-close")) return http_connection_mode::server_close;
  return http_connection_mode::keep_alive;
}

bool parse_network(std::string_view text, sockaddr_storage& out, unsigned& bits) {
  std::string addr(text.substr(0, text.find('/')));
  bits = 0;
  std::memset(&out, 0, sizeof out);
  if (inet_pton(AF_INET, addr.c_str(), &reinterpret_cast<sockaddr_in&>(out).sin_addr) == 1) {
    out.ss_family = AF_INET;
    bits = 32;
  } else if (inet_pton(AF_INET6, addr.c_str(), &reinterpret_cast<sockaddr_in6&>(out).sin6_addr) ==
             1) {
    out.ss_family = AF_INET6;
    bits = 128;
  } else {
    return false;
  }
  const std::size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    const std::string_view mask = text.substr(slash + 1);
    if (mask.find('.') != std::string_view::npos) {
      in_addr m{};
      if (inet_pton(AF_INET, std::string(mask).c_str(), &m) != 1) return false;
      bits = static_cast<unsigned>(__builtin_popcount(m.s_addr));
    } else {
      unsigned n = 0;
      if (std::from_chars(mask.data(), mask.data() + mask.size(), n).ec != std::errc()) return false;
      bits = n;
    }
  }
  return true;
}

forwardfor_settings forwardfor_of(const model::proxy& p, context& c) {
  forwardfor_settings f;
  const auto it = p.options_.find("forwardfor");
  if (it == p.options_.end() || !it->second.enabled_) return f;
  f.enabled_ = true;
  const auto& args = it->second.arguments_;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "except" && i + 1 < args.size()) {
      sockaddr_storage net{};
      unsigned bits = 0;
      if (parse_network(args[i + 1], net, bits)) {
        f.except_.emplace(net, bits);
      } else {
        c.error(it->second.position_, "option forwardfor: bad network '" + args[i + 1] + "'");
      }
      ++i;
    } else if (args[i] == "header" && i + 1 < args.size()) {
      f.header_ = lower(args[++i]);
    } else if (args[i] == "if-none") {
      f.if_none_ = true;
    }
  }
  return f;
}

// Splits rule words at "if"/"unless": the action's words, then the condition's (with the
// keyword).
std::pair<std::vector<std::string>, std::vector<std::string>> split_condition(
    const std::vector<std::string>& words) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (words[i] == "if" || words[i] == "unless") {
      return {std::vector<std::string>(words.begin(), words.begin() + static_cast<long>(i)),
              std::vector<std::string>(words.begin() + static_cast<long>(i), words.end())};
    }
  }
  return {words, {}};
}

std::unique_ptr<acl::condition> condition_of(const std::vector<std::string>& words,
                                             const acl::acl_set& acls,
                                             const parsers::source_position& at, context& c) {
  if (words.empty()) return nullptr;
  std::string error;
  std::unique_ptr<acl::condition> cond = acl::compile_condition(words, acls, error);
  if (!cond) c.error(at, error);
  return cond;
}

std::unique_ptr<acl::format_string> format_of(const std::string& text,
                                              const parsers::source_position& at, context& c) {
  std::string error;
  std::unique_ptr<acl::format_string> f = acl::compile_format(text, error, c.userlists_);
  if (!f) c.error(at, error);
  return f;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (!in.good() && !in.eof()) return std::nullopt;
  return s.str();
}

// HAProxy's time values: a number with an optional unit (us, ms, s, m, h, d), ms by default.
milliseconds time_of(std::string_view s) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc()) return milliseconds(0);
  const std::string_view unit(end, static_cast<std::size_t>(s.data() + s.size() - end));
  if (unit == "us") return milliseconds(n / 1000);
  if (unit == "s") return milliseconds(n * 1000);
  if (unit == "m") return milliseconds(n * 60'000);
  if (unit == "h") return milliseconds(n * 3'600'000);
  if (unit == "d") return milliseconds(n * 86'400'000);
  return milliseconds(n);
}

unsigned number(std::string_view s) {
  unsigned n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

// One http-request / http-response rule (or `redirect`, `block`).
std::optional<http_rule> rule_of(const model::rule& r, const acl::acl_set& acls,
                                 const std::map<unsigned, std::string>& errors, context& c) {
  auto [action, cond_words] = split_condition(r.words_);
  http_rule rule;
  const parsers::source_position& at = r.position_;
  std::vector<std::string> w = action;
  if (r.keyword_ == "redirect") {
    w.insert(w.begin(), "redirect");
  } else if (r.keyword_ == "block") {
    w.insert(w.begin(), "deny");
  }
  if (w.empty()) {
    c.error(at, "'" + r.keyword_ + "' without an action");
    return std::nullopt;
  }
  const std::string& a = w[0];
  auto arg = [&w](std::size_t i) -> const std::string& {
    static const std::string none;
    return i < w.size() ? w[i] : none;
  };
  if (a == "allow") {
    rule.action_ = http_action::allow;
  } else if (a == "reject") {
    rule.action_ = http_action::reject;
  } else if (a.starts_with("set-var(") || a.starts_with("set-var-fmt(") ||
             a.starts_with("unset-var(")) {
    const std::size_t open = a.find('(');
    const std::size_t close = a.find(')', open);
    rule.name_ = a.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
    if (rule.name_.find(',') != std::string::npos) {
      c.error(at, "'" + a + "': set-var conditions (ifexists, ifgt …) are not supported by "
                  "Tandem's proxy yet");
      return std::nullopt;
    }
    if (close == std::string::npos ||
        !(rule.name_.starts_with("txn.") || rule.name_.starts_with("sess.") ||
          rule.name_.starts_with("req.") || rule.name_.starts_with("res.") ||
          rule.name_.starts_with("proc."))) {
      c.error(at, "'" + a + "': a variable name is SCOPE.NAME with SCOPE one of proc, sess, "
                  "txn, req, res");
      return std::nullopt;
    }
    if (a.starts_with("unset-var(")) {
      rule.action_ = http_action::unset_var;
    } else if (a.starts_with("set-var-fmt(")) {
      rule.action_ = http_action::set_var;
      rule.value_ = format_of(arg(1), at, c);
    } else {
      rule.action_ = http_action::set_var;
      std::string error;
      rule.expression_ = acl::compile_sample(arg(1), error, c.userlists_);
      if (!rule.expression_) {
        c.error(at, "'" + a + "': " + error);
        return std::nullopt;
      }
    }
  } else if (a == "deny") {
    rule.action_ = http_action::deny;
    for (std::size_t i = 1; i + 1 < w.size(); ++i) {
      if (w[i] == "deny_status" || w[i] == "status") rule.status_ = number(w[i + 1]);
    }
    (void)errors;
  } else if (a == "tarpit") {
    rule.action_ = http_action::tarpit;
    for (std::size_t i = 1; i + 1 < w.size(); ++i) {
      if (w[i] == "deny_status" || w[i] == "status") rule.status_ = number(w[i + 1]);
    }
  } else if (a == "auth") {
    rule.action_ = http_action::auth;
    rule.realm_ = "";
    for (std::size_t i = 1; i + 1 < w.size(); ++i) {
      if (w[i] == "realm") rule.realm_ = w[i + 1];
    }
  } else if (a == "redirect") {
    rule.action_ = http_action::redirect;
    const std::string& kind = arg(1);
    if (kind == "location") rule.redirect_ = redirect_kind::location;
    else if (kind == "prefix") rule.redirect_ = redirect_kind::prefix;
    else if (kind == "scheme") rule.redirect_ = redirect_kind::scheme;
    else {
      c.error(at, "redirect: expects 'location', 'prefix' or 'scheme', not '" + kind + "'");
      return std::nullopt;
    }
    rule.value_ = format_of(arg(2), at, c);
    for (std::size_t i = 3; i < w.size(); ++i) {
      if (w[i] == "code" && i + 1 < w.size()) rule.status_ = number(w[++i]);
      else if (w[i] == "drop-query") rule.drop_query_ = true;
      else if (w[i] == "append-slash") rule.append_slash_ = true;
    }
  } else if (a == "add-header" || a == "set-header" || a == "del-header" ||
             a == "replace-header" || a == "replace-value") {
    rule.action_ = a == "add-header"     ? http_action::add_header
                   : a == "set-header"   ? http_action::set_header
                   : a == "del-header"   ? http_action::del_header
                   : a == "replace-header" ? http_action::replace_header
                                           : http_action::replace_value;
    rule.name_ = lower(arg(1));
    if (rule.action_ == http_action::add_header || rule.action_ == http_action::set_header) {
      std::string value;
      for (std::size_t i = 2; i < w.size(); ++i) {
        if (i > 2) value += ' ';
        value += w[i];
      }
      rule.value_ = format_of(value, at, c);
    } else if (rule.action_ != http_action::del_header) {
      std::string error;
      rule.regex_ = compile_regex(arg(2), false, error);
      if (!rule.regex_) c.error(at, error);
      rule.value_ = format_of(arg(3), at, c);
    }
  } else if (a == "set-path" || a == "set-uri" || a == "set-query" || a == "set-method") {
    rule.action_ = a == "set-path"    ? http_action::set_path
                   : a == "set-uri"   ? http_action::set_uri
                   : a == "set-query" ? http_action::set_query
                                      : http_action::set_method;
    rule.value_ = format_of(arg(1), at, c);
  } else if (a == "replace-path") {
    rule.action_ = http_action::replace_path;
    std::string error;
    rule.regex_ = compile_regex(arg(1), false, error);
    if (!rule.regex_) c.error(at, error);
    rule.value_ = format_of(arg(2), at, c);
  } else if (a == "set-status") {
    rule.action_ = http_action::set_status;
    rule.status_ = number(arg(1));
    if (arg(2) == "reason") rule.realm_ = arg(3);
  } else if (a == "return") {
    rule.action_ = http_action::return_;
    rule.status_ = 200;
    for (std::size_t i = 1; i < w.size(); ++i) {
      if (w[i] == "status" && i + 1 < w.size()) rule.status_ = number(w[++i]);
      else if (w[i] == "content-type" && i + 1 < w.size()) rule.content_type_ = w[++i];
      else if (w[i] == "string" && i + 1 < w.size()) rule.body_ = w[++i];
      else if (w[i] == "lf-string" && i + 1 < w.size()) rule.body_format_ = format_of(w[++i], at, c);
      else if ((w[i] == "file" || w[i] == "lf-file" || w[i] == "errorfile") && i + 1 < w.size()) {
        const bool formatted = w[i] == "lf-file";
        const std::optional<std::string> content = read_file(w[++i]);
        if (!content) {
          c.error(at, "return: cannot read '" + w[i] + "'");
        } else if (formatted) {
          rule.body_format_ = format_of(*content, at, c);
        } else {
          rule.body_ = *content;
        }
      } else if (w[i] == "default-errorfiles") {
        // the status's error page is sent as it is
      } else if (w[i] == "hdr" && i + 2 < w.size()) {
        rule.headers_.emplace_back(lower(w[i + 1]), format_of(w[i + 2], at, c));
        i += 2;
      } else {
        c.error(at, "return: unexpected '" + w[i] + "'");
      }
    }
  } else if (is_track_action(a) && r.keyword_ == "http-request" && c.set_ != nullptr) {
    std::string error;
    if (!track_action_of(w, c.proxy_name_, *c.set_, c.userlists_, rule.track_, error)) {
      c.error(at, "'" + r.keyword_ + " " + a + "': " + error);
      return std::nullopt;
    }
    rule.action_ = rule.track_.action_;
  } else {
    c.error(at, "'" + r.keyword_ + " " + a +
                    "' is not supported by Tandem's proxy yet (it runs allow, deny, tarpit, auth, "
                    "redirect, add/set/del/replace-header, replace-value, set-path/uri/query/"
                    "method, replace-path, set-status, set-var, unset-var, reject and return)");
    return std::nullopt;
  }
  rule.condition_ = condition_of(cond_words, acls, at, c);
  return rule;
}

// HAProxy 1.x's req*/rsp* lines that the model kept under their old keyword.
struct legacy_keyword {
  std::string_view name_;
  http_action action_;
  bool ignore_case_;
  bool response_;
  std::size_t arguments_;  // regex [replacement], or the line of reqadd/rspadd
};
constexpr legacy_keyword legacy_keywords[] = {
    {"reqrep", http_action::legacy_replace, false, false, 2},
    {"reqirep", http_action::legacy_replace, true, false, 2},
    {"reqdel", http_action::legacy_delete, false, false, 1},
    {"reqidel", http_action::legacy_delete, true, false, 1},
    {"reqallow", http_action::legacy_allow, false, false, 1},
    {"reqiallow", http_action::legacy_allow, true, false, 1},
    {"reqdeny", http_action::legacy_deny, false, false, 1},
    {"reqideny", http_action::legacy_deny, true, false, 1},
    {"reqtarpit", http_action::legacy_tarpit, false, false, 1},
    {"reqitarpit", http_action::legacy_tarpit, true, false, 1},
    {"reqadd", http_action::legacy_add, false, false, 1},
    {"rsprep", http_action::legacy_replace, false, true, 2},
    {"rspirep", http_action::legacy_replace, true, true, 2},
    {"rspdel", http_action::legacy_delete, false, true, 1},
    {"rspidel", http_action::legacy_delete, true, true, 1},
    {"rspdeny", http_action::legacy_deny, false, true, 1},
    {"rspideny", http_action::legacy_deny, true, true, 1},
    {"rspadd", http_action::legacy_add, false, true, 1},
};

const legacy_keyword* find_legacy(std::string_view keyword) {
  for (const legacy_keyword& k : legacy_keywords) {
    if (k.name_ == keyword)
      return &k;
  }
  return nullptr;
}

std::optional<http_rule> legacy_rule_of(const model::rule& r, const legacy_keyword& k,
                                        const acl::acl_set& acls, context& c) {
  auto [action, cond_words] = split_condition(r.words_);
  if (action.size() < k.arguments_) {
    c.error(r.position_, "'" + r.keyword_ + "' expects " +
                             (k.arguments_ == 2 ? "<search> and <replace>" : "an argument"));
    return std::nullopt;
  }
  http_rule rule;
  rule.action_ = k.action_;
  if (k.action_ == http_action::legacy_add) {
    rule.line_ = action[0];
  } else {
    std::string error;
    rule.regex_ = compile_regex(action[0], k.ignore_case_, error);
    if (!rule.regex_) {
      c.error(r.position_, error);
      return std::nullopt;
    }
    if (k.arguments_ == 2)
      rule.line_ = action[1];
  }
  rule.condition_ = condition_of(cond_words, acls, r.position_, c);
  return rule;
}

void rules_of(const model::proxy& p, const acl::acl_set& acls,
              const std::map<unsigned, std::string>& errors, std::vector<http_rule>& requests,
              std::vector<http_rule>& responses, std::vector<http_rule>& after_responses,
              std::vector<tcp_rule>* tcp_rules, milliseconds* inspect_delay, context& c) {
  // HAProxy 1.x ran a proxy's `block` lines first, then its http-request rules, its req*
  // filters, its reqadd lines; http-response rules, then rsp* filters, then rspadd. The model
  // keeps file order and lowers some of these lines to modern rules: put them back in place.
  std::vector<http_rule> blocks, request_filters, request_adds, response_filters, response_adds;
  c.proxy_name_ = p.name_;
  for (const model::rule& r : p.rules_) {
    const std::string_view origin = r.lowered_from_.empty() ? r.keyword_ : r.lowered_from_;
    std::vector<http_rule>* request_group = origin == "block"           ? &blocks
                                            : origin == "reqadd"        ? &request_adds
                                            : origin.starts_with("req") ? &request_filters
                                                                        : &requests;
    std::vector<http_rule>* response_group = origin == "rspadd"          ? &response_adds
                                             : origin.starts_with("rsp") ? &response_filters
                                                                         : &responses;
    if (r.keyword_ == "http-request" || r.keyword_ == "redirect" || r.keyword_ == "block") {
      if (auto rule = rule_of(r, acls, errors, c))
        request_group->push_back(std::move(*rule));
    } else if (r.keyword_ == "http-response") {
      if (auto rule = rule_of(r, acls, errors, c))
        response_group->push_back(std::move(*rule));
    } else if (r.keyword_ == "http-after-response") {
      if (auto rule = rule_of(r, acls, errors, c)) {
        switch (rule->action_) {
          case http_action::allow: case http_action::add_header: case http_action::set_header:
          case http_action::del_header: case http_action::replace_header:
          case http_action::replace_value: case http_action::set_status:
          case http_action::set_var: case http_action::unset_var:
            after_responses.push_back(std::move(*rule));
            break;
          default:
            c.error(r.position_, "'http-after-response " +
                                     (r.words_.empty() ? std::string() : r.words_[0]) +
                                     "' is not an http-after-response action (it takes allow, "
                                     "add/set/del/replace-header, replace-value, set-status, "
                                     "set-var and unset-var)");
        }
      }
    } else if (const legacy_keyword* k = find_legacy(r.keyword_)) {
      if (auto rule = legacy_rule_of(r, *k, acls, c)) {
        (k->response_ ? response_group : request_group)->push_back(std::move(*rule));
      }
    } else if (r.keyword_ == "reqpass" || r.keyword_ == "reqipass") {
      // 1.8 gave a matching reqpass no effect at all (apply_filter_to_req_*() skip ACT_PASS).
    } else if (r.keyword_ == "reqsetbe" || r.keyword_ == "reqisetbe") {
      // Frontends turn these into backend switches (assemble_haproxy); 1.x never switched
      // from a backend.
      if ((p.capabilities_ & model::cap_frontend) == 0) {
        c.warning(r.position_, "'" + r.keyword_ + "' in backend '" + p.name_ +
                                   "' has no effect: HAProxy 1.x switched backends from frontends "
                                   "only");
      }
    } else if (r.keyword_ == "tcp-request") {
      if (tcp_rules == nullptr) continue;
      auto [action, cond_words] = split_condition(r.words_);
      if (action.size() >= 2 && action[0] == "inspect-delay") {
        if (inspect_delay != nullptr) *inspect_delay = time_of(action[1]);
        continue;
      }
      if (action.size() >= 2 && (action[0] == "connection" || action[0] == "content") &&
          (action[1] == "accept" || action[1] == "reject")) {
        tcp_rule t;
        t.content_ = action[0] == "content";
        t.action_ = action[1] == "accept" ? tcp_rule_action::accept : tcp_rule_action::reject;
        t.condition_ = condition_of(cond_words, acls, r.position_, c);
        tcp_rules->push_back(std::move(t));
        continue;
      }
      if (action.size() >= 2 && (action[0] == "connection" || action[0] == "content") &&
          is_track_action(action[1]) && c.set_ != nullptr) {
        tcp_rule t;
        t.content_ = action[0] == "content";
        t.action_ = tcp_rule_action::track;
        std::string error;
        if (!track_action_of(std::span(action).subspan(1), p.name_, *c.set_, c.userlists_,
                             t.track_, error)) {
          c.error(r.position_, "'tcp-request " + action[0] + "': " + error);
          continue;
        }
        t.condition_ = condition_of(cond_words, acls, r.position_, c);
        tcp_rules->push_back(std::move(t));
        continue;
      }
      c.error(r.position_, "'tcp-request " + (action.empty() ? std::string() : action[0]) +
                               (action.size() > 1 ? " " + action[1] : std::string()) +
                               "' is not supported by Tandem's proxy yet");
    } else if (r.keyword_ == "http-check" || r.keyword_ == "tcp-check" ||
               r.keyword_ == "tcp-response" || r.keyword_ == "stick" ||
               r.keyword_ == "use-server") {
      // Health checks read their own rules; the others come with later work.
      if (r.keyword_ == "tcp-response") {
        c.error(r.position_, "'" + r.keyword_ + "' is not supported by Tandem's proxy yet");
      }
    } else {
      c.error(r.position_, "'" + r.keyword_ + "' (" +
                               (r.lowered_from_.empty() ? r.keyword_ : r.lowered_from_) +
                               ") is not supported by Tandem's proxy yet");
    }
  }
  requests.insert(requests.begin(), std::make_move_iterator(blocks.begin()),
                  std::make_move_iterator(blocks.end()));
  for (auto* group : {&request_filters, &request_adds}) {
    requests.insert(requests.end(), std::make_move_iterator(group->begin()),
                    std::make_move_iterator(group->end()));
  }
  for (auto* group : {&response_filters, &response_adds}) {
    responses.insert(responses.end(), std::make_move_iterator(group->begin()),
                     std::make_move_iterator(group->end()));
  }
}

// reqsetbe/reqisetbe REGEX BACKEND [if COND]: 1.x switched to BACKEND when a line of the request
// matched, before the use_backend rules.
void legacy_switches_of(const model::proxy& p, const proxy_set& set, const acl::acl_set& acls,
                        std::vector<backend_switch>& switches, context& c) {
  for (const model::rule& r : p.rules_) {
    if (r.keyword_ != "reqsetbe" && r.keyword_ != "reqisetbe")
      continue;
    auto [action, cond_words] = split_condition(r.words_);
    if (action.size() < 2) {
      c.error(r.position_, "'" + r.keyword_ + "' expects <search> and <backend>");
      continue;
    }
    if (set.find_backend(action[1]) == nullptr) {
      c.error(r.position_, "'" + r.keyword_ + "': no backend named '" + action[1] + "'");
      continue;
    }
    std::string error;
    std::shared_ptr<const acl::regex> re =
        compile_regex(action[0], r.keyword_ == "reqisetbe", error);
    if (!re) {
      c.error(r.position_, error);
      continue;
    }
    backend_switch s;
    s.backend_ = action[1];
    s.condition_ =
        legacy_line_condition(std::move(re), condition_of(cond_words, acls, r.position_, c));
    switches.push_back(std::move(s));
  }
}

// The userlist sections, with HAProxy 2.6's checks (cfgparse-global.c, auth.c's
// userlist_postinit()).
std::shared_ptr<acl::userlist_set> userlists_of(const model::config_model& m, context& c) {
  auto set = std::make_shared<acl::userlist_set>();
  for (const model::userlist& ul : m.userlists_) {
    auto list = std::make_shared<acl::userlist>(ul.name_);
    for (const model::userlist_group& g : ul.group_lines_) {
      if (!list->add_group(g.name_)) {
        c.warning(g.position_,
                  "ignoring duplicated group '" + g.name_ + "' in userlist '" + ul.name_ + "'");
      }
    }
    std::vector<const model::userlist_user*> kept;
    for (const model::userlist_user& u : ul.users_) {
      // No password (or an empty hash): the user never authenticates.
      std::optional<std::string> password;
      if (u.insecure_ || !u.password_.empty())
        password = u.password_;
      if (list->add_user(u.name_, std::move(password), u.insecure_)) {
        kept.push_back(&u);
      } else {
        c.warning(u.position_,
                  "ignoring duplicated user '" + u.name_ + "' in userlist '" + ul.name_ + "'");
      }
    }
    for (const model::userlist_user* u : kept) {
      for (const std::string& g : u->groups_) {
        if (!g.empty() && !list->join(u->name_, g)) {
          c.error(u->position_, "userlist '" + ul.name_ + "': no such group '" + g +
                                    "' specified in user '" + u->name_ + "'");
        }
      }
    }
    for (const model::userlist_group& g : ul.group_lines_) {
      for (const std::string& u : g.users_) {
        if (!u.empty() && !list->join(u, g.name_)) {
          c.error(g.position_, "userlist '" + ul.name_ + "': no such user '" + u +
                                   "' specified in group '" + g.name_ + "'");
        }
      }
    }
    if (!set->add(std::move(list))) {
      c.warning(ul.position_, "ignoring duplicated userlist '" + ul.name_ + "'");
    }
  }
  return set;
}

std::map<unsigned, std::string> error_pages_of(const model::proxy& p, context& c) {
  std::map<unsigned, std::string> pages;
  for (const auto& [code, file] : p.errorfiles_) {
    const std::optional<std::string> content = read_file(file);
    if (!content) {
      c.error(p.position_, "errorfile " + code + ": cannot read '" + file + "'");
      continue;
    }
    pages[number(code)] = *content;
  }
  return pages;
}

// `source ADDR[:PORT]` (a server option, or a proxy line for all its servers): where
// connections to servers leave from. False with `error` set.
bool source_of(std::string_view text, sockaddr_storage& out, socklen_t& length,
               std::string& error) {
  std::string host(text);
  std::uint16_t port = 0;
  if (host.starts_with("ipv4@")) host.erase(0, 5);
  if (host.starts_with("ipv6@")) host.erase(0, 5);
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string::npos) {
      error = "invalid source address '" + std::string(text) + "'";
      return false;
    }
    if (close + 1 < host.size() && host[close + 1] == ':') {
      port = static_cast<std::uint16_t>(number(host.substr(close + 2)));
    }
    host = host.substr(1, close - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    const std::size_t colon = host.find(':');
    port = static_cast<std::uint16_t>(number(host.substr(colon + 1)));
    host.resize(colon);
  }
  return resolve(host, port, false, false, out, length, error);
}

// default-server options, then the server's own (later ones win).
std::vector<std::pair<std::string, std::string>> server_options(const model::proxy& p,
                                                                 const model::server& s) {
  std::vector<std::pair<std::string, std::string>> all = p.default_server_;
  all.insert(all.end(), s.options_.begin(), s.options_.end());
  return all;
}

std::unique_ptr<backend> backend_of(const model::proxy& p, context& c) {
  auto be = std::make_unique<backend>();
  be->name_ = p.name_;
  be->mode_ = p.mode_ == model::proxy_mode::http ? mode::http : mode::tcp;
  be->timeouts_ = timeouts_of(p);
  be->retries_ = p.retries_.value_or(3);
  be->redispatch_ = option_on(p, "redispatch");
  be->forwardfor_ = forwardfor_of(p, c);
  be->connection_mode_ = connection_mode_of(p);
  be->error_pages_ = error_pages_of(p, c);

  std::vector<balance::server_entry> entries;
  for (const model::server& ms : p.servers_) {
    auto s = std::make_unique<server>();
    s->name_ = ms.name_;
    s->id_ = static_cast<std::uint32_t>(be->servers_.size());
    bool disabled = ms.disabled_;
    std::uint32_t puid = 0;
    for (const auto& [name, value] : server_options(p, ms)) {
      if (name == "weight") s->weight_ = number(value);
      else if (name == "maxconn") s->maxconn_ = number(value);
      else if (name == "backup") s->backup_ = true;
      else if (name == "no-backup") s->backup_ = false;
      else if (name == "check") s->check_ = true;
      else if (name == "no-check") s->check_ = false;
      else if (name == "cookie") s->cookie_ = value;
      else if (name == "disabled") disabled = true;
      else if (name == "id") puid = number(value);
      else if (name == "enabled") disabled = false;
      else if (name == "source") {
        std::string error;
        if (!source_of(value, s->source_, s->source_length_, error)) {
          c.error(ms.position_, "server " + p.name_ + "/" + ms.name_ + ": " + error);
        }
      } else if (name == "usesrc" || name == "interface") {
        c.error(ms.position_, "server " + p.name_ + "/" + ms.name_ + ": 'source … " + name +
                                  "' is not supported by Tandem's proxy yet (plain 'source "
                                  "ADDR[:PORT]' is)");
      }
      else if (name == "send-proxy") s->send_proxy_ = true;
      else if (name == "send-proxy-v2") s->send_proxy_v2_ = true;
      else if (name == "no-send-proxy") s->send_proxy_ = false;
      else if (name == "no-send-proxy-v2") s->send_proxy_v2_ = false;
    }
    server_tls(p, ms, server_options(p, ms), c.tls_, c.result_.problems_, *s);
    const model::address& a = ms.address_;
    std::string error;
    const bool no_port = !a.port_.has_value();
    if (!resolve(a.host_, a.port_.value_or(0), false, false, s->address_, s->address_length_,
                 error)) {
      c.error(ms.position_, "'server " + p.name_ + "/" + ms.name_ + "' : " + error + ".");
      continue;
    }
    if (no_port || a.port_offset_) {
      s->port_from_client_ = true;
      s->port_offset_ = a.port_offset_ ? static_cast<int>(static_cast<std::int16_t>(*a.port_)) : 0;
    }
    s->maintenance_ = disabled;
    s->initial_weight_ = s->weight_;
    s->puid_ = puid;
    s->address_text_ = a.text_;
    balance::server_entry entry;
    entry.id_ = s->id_;
    entry.weight_ = s->weight_;
    entry.backup_ = s->backup_;
    entry.maxconn_ = s->maxconn_;
    entry.puid_ = puid;
    entries.push_back(entry);
    be->servers_.push_back(std::move(s));
  }
  balance::settings bs;
  bs.balance_ = p.balance_;
  for (const model::words_at& w : p.other_) {
    if (!w.words_.empty() && w.words_[0] == "hash-type") {
      bs.hash_type_.assign(w.words_.begin() + 1, w.words_.end());
    }
  }
  bs.all_backups_ = option_on(p, "allbackups");
  for (const model::words_at& w : p.other_) {
    if (w.words_.size() >= 2 && w.words_[0] == "http-reuse") {
      be->reuse_ = w.words_[1] == "never" ? http_reuse::never
                   : w.words_[1] == "safe" ? http_reuse::safe
                                           : http_reuse::aggressive;  // aggressive, always
    }
  }
  std::string error;
  std::random_device seed;
  auto engine = std::make_shared<std::mt19937>(seed());
  be->balancer_ = balance::make_balancer(bs, entries, [engine] { return (*engine)(); }, error);
  be->algorithm_ = p.balance_.empty() ? "roundrobin" : p.balance_[0];
  be->description_ = p.description_;
  // A proxy's `source` line: its servers' connections leave from there unless they say else.
  for (const model::words_at& w : p.other_) {
    if (w.words_.empty() || w.words_[0] != "source") continue;
    if (w.words_.size() != 2) {
      c.error(w.position_, "'source " + (w.words_.size() > 2 ? w.words_[2] : std::string()) +
                               "' is not supported by Tandem's proxy yet (plain 'source "
                               "ADDR[:PORT]' is)");
      continue;
    }
    sockaddr_storage from{};
    socklen_t length = 0;
    std::string error;
    if (!source_of(w.words_[1], from, length, error)) {
      c.error(w.position_, "'source': " + error);
      continue;
    }
    for (const auto& srv : be->servers_) {
      if (srv->source_length_ == 0) {
        srv->source_ = from;
        srv->source_length_ = length;
      }
    }
  }
  // Server ids as HAProxy numbers them: `id` where given, else the next free one in order.
  {
    std::set<std::uint32_t> taken;
    for (const auto& s : be->servers_) {
      if (s->puid_ != 0) taken.insert(s->puid_);
    }
    std::uint32_t next = 1;
    for (const auto& s : be->servers_) {
      if (s->puid_ != 0) continue;
      while (taken.contains(next)) ++next;
      s->puid_ = next++;
    }
  }
  if (!be->balancer_) {
    c.error(p.position_, "backend " + p.name_ + ": " + error);
  } else {
    for (const auto& s : be->servers_) {
      if (s->maintenance_) be->balancer_->set_usable(s->id_, false);
    }
  }
  if (!p.cookie_.empty()) {
    cookie_settings ck;
    ck.name_ = p.cookie_[0];
    for (std::size_t i = 1; i < p.cookie_.size(); ++i) {
      const std::string& w = p.cookie_[i];
      if (w == "insert") ck.mode_ = cookie_mode::insert;
      else if (w == "rewrite") ck.mode_ = cookie_mode::rewrite;
      else if (w == "prefix") ck.mode_ = cookie_mode::prefix;
      else if (w == "indirect") ck.indirect_ = true;
      else if (w == "nocache") ck.nocache_ = true;
      else if (w == "postonly") ck.postonly_ = true;
      else if (w == "preserve") ck.preserve_ = true;
      else if (w == "httponly") ck.httponly_ = true;
      else if (w == "secure") ck.secure_ = true;
      else if (w == "domain" && i + 1 < p.cookie_.size()) ck.domains_.push_back(p.cookie_[++i]);
      else if (w == "attr" && i + 1 < p.cookie_.size()) {
        ck.attributes_ = ck.attributes_ ? *ck.attributes_ + "; " + p.cookie_[i + 1] : p.cookie_[i + 1];
        ++i;
      } else if ((w == "maxidle" || w == "maxlife") && i + 1 < p.cookie_.size()) {
        ++i;  // accepted; the date in the cookie comes later
      }
    }
    be->cookie_ = std::move(ck);
  }
  return be;
}

// Bind options with no effect a client can see (names, ids, threads, unix-socket ownership,
// the hand-over Tandem always offers): accepted as they are.
bool bind_option_without_effect(std::string_view name) {
  static constexpr std::string_view names[] = {
      "name", "id", "process", "thread", "shards", "nice", "v4v6", "level", "severity-output",
      "mode", "user", "group", "uid", "gid", "expose-fd"};
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// The TLS options of a bind line (bind_tls() reads them; without `ssl` they do nothing, as in
// HAProxy).
bool tls_bind_option(std::string_view name) {
  static constexpr std::string_view names[] = {
      "ssl", "crt", "crt-list", "ca-file", "ca-ignore-err", "ca-sign-file", "ca-sign-pass",
      "ca-verify-file", "ciphers", "ciphersuites", "client-sigalgs", "crl-file",
      "crt-ignore-err", "curves", "ecdhe", "alpn", "no-alpn", "npn", "allow-0rtt",
      "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13",
      "generate-certificates", "no-ca-names", "no-sslv3", "no-tls-tickets", "no-tlsv10",
      "no-tlsv11", "no-tlsv12", "no-tlsv13", "prefer-client-ciphers", "sigalgs", "ssl-max-ver",
      "ssl-min-ver", "strict-sni", "tls-ticket-keys", "verify", "ocsp-update"};
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

bool listeners_of(const model::proxy& p, frontend& fe, context& c) {
  for (const model::bind& b : p.binds_) {
    listen_address base;
    bool skip = false;
    for (const auto& [name, value] : b.options_) {
      if (name == "backlog") base.backlog_ = static_cast<int>(number(value));
      else if (name == "interface") base.interface_ = value;
      else if (name == "transparent") base.transparent_ = true;
      else if (name == "v6only") base.v6only_ = true;
      else if (name == "accept-proxy") base.accept_proxy_ = true;
      else if (name == "defer-accept") base.defer_accept_ = 1;
      else if (name == "tfo") base.fast_open_ = 256;
      else if (name == "mss") base.mss_ = static_cast<int>(number(value));
      else if (name == "tcp-ut") base.user_timeout_ = static_cast<unsigned>(time_of(value).count());
      else if (bind_option_without_effect(name) || tls_bind_option(name)) {
        // TLS options are read by bind_tls(); the others change nothing a client can see.
      } else if (name == "maxconn") {
        c.warning(b.position_, "bind '" + name + " " + value + "': Tandem does not limit a "
                               "single listener; the frontend's and the global maxconn apply");
      } else if (name == "proto" && value != "h1") {
        c.error(b.position_, "bind 'proto " + value + "': Tandem's proxy speaks HTTP/1 only");
      } else {
        c.warning(b.position_, "bind option '" + name + "' is not applied by Tandem's proxy "
                               "(the listener works without it)");
      }
    }
    base.tls_ = bind_tls(p, b, c.tls_, c.result_.problems_);
    skip = b.ssl_ && !base.tls_;  // the reason is reported
    if (skip) continue;
    for (const model::address& a : b.addresses_) {
      if (!a.family_.empty() && a.family_ != "ipv4" && a.family_ != "ipv6") {
        c.error(b.position_, "bind '" + a.text_ + "': " + a.family_ +
                                 " sockets are not supported by Tandem's proxy yet");
        continue;
      }
      const std::uint16_t first = a.port_.value_or(0);
      const std::uint16_t last = a.port_last_.value_or(first);
      for (std::uint32_t port = first; port <= last; ++port) {
        listen_address l = base;
        std::string error;
        const bool v6any = a.family_ == "ipv6" && (a.host_.empty() || a.host_ == "*");
        if (!resolve(a.host_, static_cast<std::uint16_t>(port), true, v6any, l.address_,
                     l.length_, error)) {
          c.error(b.position_, "bind '" + a.text_ + "': " + error);
          break;
        }
        l.position_ = b.position_;
        l.text_ = a.host_.empty() ? "*" : a.host_;
        l.text_ += ':';
        l.text_ += std::to_string(port);
        fe.listeners_.push_back(std::move(l));
      }
    }
  }
  return true;
}

void limits_of(const model::config_model& m, http::limits& l) {
  std::size_t bufsize = 16384;
  std::size_t maxrewrite = 1024;
  if (auto it = m.global_.tune_.find("tune.bufsize"); it != m.global_.tune_.end()) {
    bufsize = number(it->second);
  }
  if (auto it = m.global_.tune_.find("tune.maxrewrite"); it != m.global_.tune_.end()) {
    maxrewrite = number(it->second);
  } else {
    maxrewrite = std::min<std::size_t>(1024, bufsize / 2);
  }
  if (auto it = m.global_.tune_.find("tune.http.maxhdr"); it != m.global_.tune_.end()) {
    l.max_headers_ = number(it->second);
  }
  l.max_head_bytes_ = bufsize > maxrewrite ? bufsize - maxrewrite : bufsize;
  // Measured on 2.6 (runtime/proxy/http/message.hpp): the raw head may take the buffer but
  // for 64 bytes.
  l.max_raw_head_bytes_ = bufsize > 64 ? bufsize - 64 : bufsize;
}

}  // namespace

haproxy_result assemble_haproxy(const model::config_model& m) {
  haproxy_result result;
  context c{result, nullptr, {}};
  c.tls_ = tls_defaults_of(m, result.problems_);
  auto set = std::make_unique<proxy_set>();
  set->userlists_ = userlists_of(m, c);
  c.userlists_ = set->userlists_.get();
  c.set_ = set.get();
  assemble_stick_tables(m, *set, result);
  set->global_maxconn_ = m.global_.maxconn_.value_or(0);
  for (const model::words_at& w : m.global_.other_) {
    if (w.words_.size() == 3 && w.words_[0] == "h1-case-adjust") {
      set->case_adjust_[lower(w.words_[1])] = w.words_[2];
    } else if (!w.words_.empty() && w.words_[0] == "h1-case-adjust-file") {
      c.error(w.position_, "h1-case-adjust-file is not supported by Tandem's proxy yet (write "
                           "the pairs as h1-case-adjust lines)");
    }
  }
  set->threads_ = m.global_.nbthread_.value_or(0);
  result.logs_ = global_logs_of(m, result.problems_);

  // Proxy ids as HAProxy gives them: in configuration order, from 1 (iid in the stats).
  std::map<const model::proxy*, std::uint32_t> uid_of;
  {
    // A global `stats socket` or `stats timeout` makes HAProxy's CLI frontend, which takes the
    // first id (measured on 2.6: the first proxy's iid is then 2).
    std::uint32_t next =
        (m.global_.stats_sockets_.empty() && !m.global_.stats_timeout_) ? 1 : 2;
    for (const model::proxy& p : m.proxies_) uid_of[&p] = next++;
  }
  // Backends first: frontends name them.
  std::map<const model::proxy*, backend*> backend_of_proxy;
  for (const model::proxy& p : m.proxies_) {
    if ((p.capabilities_ & model::cap_backend) == 0 || p.disabled_) continue;
    auto be = backend_of(p, c);
    be->uid_ = uid_of[&p];
    be->listen_ = (p.capabilities_ & model::cap_frontend) != 0;
    if (option_on(p, "h1-case-adjust-bogus-server")) be->case_adjust_ = &set->case_adjust_;
    be->buffer_request_ = option_on(p, "http-buffer-request");
    backend_of_proxy[&p] = be.get();
    backend_logs_of(m, p, *result.logs_, result.problems_);
    set->backends_.push_back(std::move(be));
  }
  // Health checks of every server that has `check`.
  const unsigned spread = spread_checks(m);
  for (const model::proxy& p : m.proxies_) {
    if ((p.capabilities_ & model::cap_backend) == 0 || p.disabled_) continue;
    backend& be = *backend_of_proxy[&p];
    const model::proxy* defaults = defaults_of(m, p);
    for (const model::server& ms : p.servers_) {
      if (!has_check(p, ms)) continue;
      server* s = be.find_server(ms.name_);
      if (s == nullptr) continue;  // its address failed, already reported
      std::string error;
      checks::check_spec spec = from_model(p, ms, defaults, error);
      if (!error.empty()) {
        c.error(ms.position_, "server " + p.name_ + "/" + ms.name_ + ": " + error);
        continue;
      }
      check_tls(p, ms, server_options(p, ms), *s, c.tls_, c.result_.problems_, spec);
      spec.spread_percent_ = spread;
      result.checks_.push_back({&be, s, std::move(spec)});
    }
  }
  // The first checks are spread as HAProxy's start_checks() spreads them, not all at once.
  {
    std::vector<checks::duration> intervals;
    for (const check_binding& b : result.checks_) {
      intervals.push_back(checks::health_tracker(b.spec_.health_).next_interval());
    }
    std::mt19937 engine{std::random_device{}()};
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const std::vector<checks::duration> delays =
        checks::first_check_delays(intervals, spread, [&] { return unit(engine); });
    for (std::size_t i = 0; i < result.checks_.size() && i < delays.size(); ++i) {
      result.checks_[i].spec_.first_delay_ = delays[i];
    }
  }
  // Each backend's own rules (ACLs are per proxy).
  std::map<const model::proxy*, acl::acl_set> acl_sets;
  for (const model::proxy& p : m.proxies_) {
    if (p.disabled_) continue;
    acl::acl_set& acls = acl_sets[&p];
    acls.use_userlists(c.userlists_);
    for (const model::acl& a : p.acls_) {
      std::string error;
      if (!acls.add(a.name_, a.criterion_, error)) c.error(a.position_, error);
    }
  }
  for (const model::proxy& p : m.proxies_) {
    if ((p.capabilities_ & model::cap_backend) == 0 || p.disabled_) continue;
    backend& be = *backend_of_proxy[&p];
    for (const model::rule& r : p.rules_) {
      if (r.keyword_ == "stick") assemble_stick_rule(r, acl_sets[&p], *set, be, result);
    }
    assemble_appsession(p, *set, be, result);
    if ((p.capabilities_ & model::cap_frontend) == 0) {
      // A backend's tcp-request content rules run when it is chosen; the frontend's
      // inspect-delay is what they wait.
      rules_of(p, acl_sets[&p], be.error_pages_, be.request_rules_, be.response_rules_,
               be.after_response_rules_, &be.tcp_rules_, nullptr, c);
    }
    for (const model::rule& r : p.rules_) {
      if (r.keyword_ != "use-server") continue;
      auto [action, cond_words] = split_condition(r.words_);
      if (action.size() != 1) {
        c.error(r.position_, "'use-server' expects a server name and a condition");
        continue;
      }
      server_switch sw;
      if (action[0].find("%[") != std::string::npos) {
        sw.dynamic_ = format_of(action[0], r.position_, c);
      } else if ((sw.server_ = be.find_server(action[0])) == nullptr) {
        c.error(r.position_, "'use-server' names server '" + action[0] + "', which backend '" +
                                 p.name_ + "' does not have");
        continue;
      }
      sw.condition_ = condition_of(cond_words, acl_sets[&p], r.position_, c);
      be.server_switches_.push_back(std::move(sw));
    }
  }
  for (const model::proxy& p : m.proxies_) {
    if ((p.capabilities_ & model::cap_frontend) == 0 || p.disabled_) continue;
    auto fe = std::make_unique<frontend>();
    fe->name_ = p.name_;
    fe->uid_ = uid_of[&p];
    fe->description_ = p.description_;
    fe->mode_ = p.mode_ == model::proxy_mode::http ? mode::http : mode::tcp;
    fe->timeouts_ = timeouts_of(p);
    fe->forwardfor_ = forwardfor_of(p, c);
    fe->connection_mode_ = connection_mode_of(p);
    fe->error_pages_ = error_pages_of(p, c);
    fe->maxconn_ = p.maxconn_.value_or(0);
    if (option_on(p, "h1-case-adjust-bogus-client")) fe->case_adjust_ = &set->case_adjust_;
    fe->buffer_request_ = option_on(p, "http-buffer-request");
    limits_of(m, fe->limits_);
    listeners_of(p, *fe, c);
    fe->acls_ = std::move(acl_sets[&p]);
    rules_of(p, fe->acls_, fe->error_pages_, fe->request_rules_, fe->response_rules_,
             fe->after_response_rules_, &fe->tcp_rules_, &fe->inspect_delay_, c);
    if (p.mode_ != model::proxy_mode::http && p.mode_ != model::proxy_mode::tcp) {
      c.error(p.position_, "mode of '" + p.name_ + "' is not supported by Tandem's proxy yet");
    }
    frontend_logs_of(m, p, *result.logs_, c.userlists_, *fe, result.problems_);
    legacy_switches_of(p, *set, fe->acls_, fe->switches_, c);
    for (const model::backend_switch& sw : p.use_backends_) {
      backend_switch s;
      if (sw.backend_.find("%[") != std::string::npos) {
        s.dynamic_ = format_of(sw.backend_, sw.position_, c);
      } else {
        s.backend_ = sw.backend_;
      }
      s.condition_ = condition_of(sw.condition_, fe->acls_, sw.position_, c);
      fe->switches_.push_back(std::move(s));
    }
    if (p.default_backend_) {
      fe->default_backend_ = set->find_backend(*p.default_backend_);
    } else if ((p.capabilities_ & model::cap_backend) != 0) {
      fe->default_backend_ = backend_of_proxy[&p];
    }
    set->frontends_.push_back(std::move(fe));
  }
  link_stick_tables(*set);
  // Stats pages: on the frontend object (found before any backend switch, as HAProxy checks
  // the frontend's stats URI first) and on the backend object (requests from other frontends).
  for (const model::proxy& p : m.proxies_) {
    if (p.disabled_ || !wants_stats_page(p)) continue;
    frontend* fe = nullptr;
    if ((p.capabilities_ & model::cap_frontend) != 0) {
      for (const auto& f : set->frontends_) {
        if (f->uid_ == uid_of[&p]) fe = f.get();
      }
    }
    backend* be = backend_of_proxy.contains(&p) ? backend_of_proxy[&p] : nullptr;
    build_stats_page(m, p, *set, fe != nullptr ? fe->acls_ : acl_sets[&p], fe, be,
                     result.problems_);
  }
  // What issue 6 builds is read but not run yet: said at start, never silently dropped.
  stats_sockets_of(m, result);
  // Backends are built first; the user reads the problems in file order.
  std::stable_sort(result.problems_.begin(), result.problems_.end(),
                   [](const problem& a, const problem& b) {
                     return std::tie(a.position_.file_, a.position_.line_) <
                            std::tie(b.position_.file_, b.position_.line_);
                   });
  result.proxies_ = std::move(set);
  return result;
}

}  // namespace tandem::runtime::assemble
