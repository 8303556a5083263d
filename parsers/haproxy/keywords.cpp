// The HAProxy keyword table (see keywords.hpp) and the handlers that lower each keyword line
// into the model. The table is the one place a keyword is described: adding one is adding a
// row (and, when the model needs it, a handler).
#include "parsers/haproxy/keywords.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "parsers/haproxy/builder.hpp"

namespace tandem::parsers::haproxy {

namespace {

// ---------------------------------------------------------------------------------------------
// Helpers for handlers.

std::vector<std::string> values(std::span<const word> words) {
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const word& w : words) {
    out.push_back(w.value_);
  }
  return out;
}

std::string joined(std::span<const word> words) {
  std::string out;
  for (const word& w : words) {
    if (!out.empty()) {
      out += ' ';
    }
    out += w.value_;
  }
  return out;
}

void keep_other(const directive& d, builder& b) {
  words_at w{values(std::span<const word>(d.line_.words_)), d.position()};
  if (b.proxy_ != nullptr) {
    b.proxy_->other_.push_back(std::move(w));
  } else if (b.other_ != nullptr) {
    b.other_->lines_.push_back(std::move(w));
  } else if (b.scope_ == scope::global) {
    b.model_.global_.other_.push_back(std::move(w));
  }
}

void add_file(builder& b, const word& w, std::string what, bool certificate = false,
              bool ca = false) {
  if (!w.value_.empty()) {
    b.files_.push_back(reference{w.value_, w.position_, std::move(what), certificate, ca});
  }
}

// Reads "name [value]" options of a bind, server or default-server line.
void read_options(std::span<const word> words, scope s, std::string_view line_keyword,
                  builder& b, diagnostics& diags,
                  std::vector<std::pair<std::string, std::string>>& out) {
  // Collected first, then moved into `out` in one allocation of the exact size: a large
  // config has tens of thousands of server lines, and growth room would be a quarter of them.
  std::vector<std::pair<std::string, std::string>>& read = b.options_read_;
  read.clear();
  for (std::size_t i = 0; i < words.size(); ++i) {
    const word& w = words[i];
    const keyword_entry* e = find_option(s, w.value_);
    if (e == nullptr) {
      std::string message = "unknown keyword '" + w.value_ + "' on the '" +
                            std::string(line_keyword) + "' line";
      const std::string_view close = did_you_mean(s, w.value_);
      diags.add(severity::error, codes::unknown_option, w.position_, std::move(message),
                close.empty() ? std::optional<std::string>()
                              : std::optional<std::string>("did you mean '" + std::string(close) +
                                                           "'?"));
      continue;
    }
    std::string value;
    if (e->min_arguments_ > 0) {
      if (i + 1 >= words.size()) {
        diags.add(severity::error, codes::arguments, w.position_,
                  "'" + w.value_ + "' on the '" + std::string(line_keyword) +
                      "' line expects an argument");
        break;
      }
      value = words[i + 1].value_;
      const word& arg = words[i + 1];
      const std::string_view name = e->name_;
      if (name == "crt" || name == "crt-list") {
        add_file(b, arg, std::string(name), true);
      } else if (name == "ca-file" || name == "crl-file" || name == "ca-verify-file" ||
                 name == "ca-sign-file") {
        add_file(b, arg, std::string(name), false, true);
      }
      ++i;
    }
    if (e->removed()) {
      diags.add(severity::warning, codes::removed_keyword, w.position_,
                "'" + w.value_ + "' on the '" + std::string(line_keyword) +
                    "' line was removed in HAProxy " + std::string(e->removed_in_) +
                    "; Tandem ignores it",
                std::string("remove it"));
    }
    read.emplace_back(w.value_, std::move(value));
  }
  out.reserve(out.size() + read.size());
  std::move(read.begin(), read.end(), std::back_inserter(out));
}

// ---------------------------------------------------------------------------------------------
// Global section.

void g_number(const directive& d, builder& b, diagnostics& diags) {
  std::uint32_t n = 0;
  if (!b.unsigned_value(d.arguments()[0], diags, n)) {
    return;
  }
  const std::string_view k = d.entry_.name_;
  if (k == "maxconn") {
    b.model_.global_.maxconn_ = n;
  } else if (k == "nbthread") {
    b.model_.global_.nbthread_ = n;
  } else {
    keep_other(d, b);
  }
}

void g_flag(const directive& d, builder& b, diagnostics&) {
  if (d.entry_.name_ == "daemon") {
    b.model_.global_.daemon_ = !d.no_;
  } else if (d.entry_.name_ == "master-worker") {
    b.model_.global_.master_worker_ = !d.no_;
  }
}

void g_string(const directive& d, builder& b, diagnostics&) {
  global_settings& g = b.model_.global_;
  const std::string& v = d.arguments()[0].value_;
  const std::string_view k = d.entry_.name_;
  if (k == "user" || k == "uid") {
    g.user_ = v;
  } else if (k == "group" || k == "gid") {
    g.group_ = v;
  } else if (k == "chroot") {
    g.chroot_ = v;
  } else if (k == "pidfile") {
    g.pidfile_ = v;
  } else if (k == "crt-base") {
    g.crt_base_ = v;
  } else if (k == "ca-base") {
    g.ca_base_ = v;
  }
}

void log_line(const directive& d, builder& b, diagnostics& diags, std::vector<log_setting>& out) {
  const auto args = d.arguments();
  log_setting s;
  s.position_ = d.position();
  s.words_ = values(args);
  if (d.no_) {
    out.clear();
    return;
  }
  if (!args.empty() && args[0].value_ == "global") {
    s.global_ = true;
    out.push_back(std::move(s));
    return;
  }
  if (args.size() < 2 && !(args.size() == 1 && args[0].value_ == "global")) {
    diags.add(severity::error, codes::arguments, d.position(),
              "'log' expects either <address[:port]> followed by <facility>, or 'global'");
    return;
  }
  const std::string& a = args[0].value_;
  if (!a.starts_with("ring@") && a != "stdout" && a != "stderr" && !a.starts_with("fd@") &&
      !a.starts_with('/') && !a.starts_with("unix@")) {
    std::optional<address> parsed;
    check_address_word(args[0], "log", false, b, diags, parsed);
  }
  out.push_back(std::move(s));
}

void g_log(const directive& d, builder& b, diagnostics& diags) {
  log_line(d, b, diags, b.model_.global_.logs_);
}

void g_stats(const directive& d, builder& b, diagnostics& diags) {
  const std::string_view k = d.entry_.name_;
  const auto args = d.arguments();
  if (k == "stats socket") {
    stats_socket s;
    s.words_ = values(args);
    s.position_ = d.position();
    if (args.size() > 1) {
      std::vector<std::pair<std::string, std::string>> options;
      read_options(args.subspan(1), scope::bind_option, "stats socket", b, diags, options);
    }
    b.model_.global_.stats_sockets_.push_back(std::move(s));
  } else if (k == "stats timeout") {
    milliseconds t = 0;
    if (b.time_value(args[0], diags, t)) {
      b.model_.global_.stats_timeout_ = t;
    }
  } else {
    keep_other(d, b);
  }
}

void g_tune(const directive& d, builder& b, diagnostics& diags) {
  b.model_.global_.tune_[d.keyword_word().value_] = joined(d.arguments());
  check_tunable(d, diags);
}

void g_lua(const directive& d, builder& b, diagnostics&) {
  if (!d.arguments()[0].value_.empty()) {
    // Missing, it is a fact about this machine like any other referenced file (a warning in
    // check, an alert in -c); its lua.NAME actions and services are then taken on trust.
    add_file(b, d.arguments()[0], std::string(d.entry_.name_));
  }
  b.model_.global_.lua_files_.push_back(d.arguments()[0].value_);
}

void other(const directive& d, builder& b, diagnostics&) { keep_other(d, b); }

// ---------------------------------------------------------------------------------------------
// Proxies.

void p_mode(const directive& d, builder& b, diagnostics& diags) {
  const std::string& m = d.arguments()[0].value_;
  proxy& p = *b.proxy_;
  if (m == "http") {
    p.mode_ = proxy_mode::http;
  } else if (m == "tcp") {
    p.mode_ = proxy_mode::tcp;
  } else if (m == "health") {
    p.mode_ = proxy_mode::health;
  } else if (m == "log") {
    p.mode_ = proxy_mode::log;
  } else if (m == "spop") {
    p.mode_ = proxy_mode::spop;
  } else {
    diags.add(severity::error, codes::arguments, d.arguments()[0].position_,
              "unknown proxy mode '" + m + "'", std::string("the modes are 'tcp' and 'http'"));
    return;
  }
  p.mode_set_ = true;
}

void p_bind(const directive& d, builder& b, diagnostics& diags) {
  const auto args = d.arguments();
  bind out;
  out.position_ = d.position();
  std::optional<address> parsed;
  // "bind a:80,b:81": every address of the list.
  std::string_view list = args[0].value_;
  bool ok = true;
  while (true) {
    const std::size_t comma = list.find(',');
    word piece = args[0];
    piece.value_ = std::string(list.substr(0, comma));
    check_address_word(piece, "bind", true, b, diags, parsed);
    if (parsed) {
      out.addresses_.push_back(*parsed);
    } else {
      ok = false;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    list.remove_prefix(comma + 1);
  }
  read_options(args.subspan(1), scope::bind_option, "bind", b, diags, out.options_);
  for (const auto& [name, value] : out.options_) {
    if (name == "ssl") {
      out.ssl_ = true;
    } else if (name == "crt") {
      out.certificates_.push_back(value);
    }
  }
  (void)ok;
  b.proxy_->binds_.push_back(std::move(out));
}

void fill_server(server& s, builder& b, diagnostics& diags, std::span<const word> option_words) {
  read_options(option_words, scope::server_option, "server", b, diags, s.options_);
  word w;  // the option's value, for the number and time readers' messages
  w.position_ = s.position_;
  for (const auto& [option_name, value] : s.options_) {
    const std::string_view name = option_name;
    w.value_ = value;
    std::uint32_t n = 0;
    milliseconds t = 0;
    if (name == "check") {
      s.check_ = true;
    } else if (name == "no-check") {
      s.check_ = false;
    } else if (name == "backup") {
      s.backup_ = true;
    } else if (name == "ssl") {
      s.ssl_ = true;
    } else if (name == "disabled") {
      s.disabled_ = true;
    } else if (name == "cookie") {
      s.cookie_ = value;
    } else if (name == "weight" && b.unsigned_value(w, diags, n)) {
      s.weight_ = n;
    } else if (name == "rise" && b.unsigned_value(w, diags, n)) {
      s.rise_ = n;
    } else if (name == "fall" && b.unsigned_value(w, diags, n)) {
      s.fall_ = n;
    } else if (name == "maxconn" && b.unsigned_value(w, diags, n)) {
      s.maxconn_ = n;
    } else if (name == "inter" || name == "fastinter" || name == "downinter") {
      // HAProxy 2.6 only warns about a bad server timer and keeps its default.
      diagnostics local;
      if (b.time_value(w, local, t)) {
        if (name == "inter") {
          s.inter_ = t;
        }
      } else {
        for (diagnostic d : local) {
          d.severity_ = severity::warning;
          d.message_ += " for '" + option_name + "' (HAProxy keeps its default)";
          diags.add(std::move(d));
        }
      }
    }
  }
}

bool lazy_resolution(const std::vector<std::pair<std::string, std::string>>& options) {
  for (const auto& [option_name, value] : options) {
    const std::string_view name = option_name;
    if ((name == "init-addr" && value.find("none") != std::string::npos) || name == "resolvers") {
      return true;
    }
  }
  return false;
}

void p_server(const directive& d, builder& b, diagnostics& diags) {
  const auto args = d.arguments();
  server s;
  s.name_ = args[0].value_;
  s.position_ = d.position();
  const bool is_template = d.entry_.name_ == "server-template";
  const std::size_t address_index = is_template ? 2 : 1;
  if (args.size() <= address_index) {
    diags.add(severity::error, codes::arguments, d.position(),
              "'" + std::string(d.entry_.name_) + " " + s.name_ + "' expects an address");
    return;
  }
  std::vector<std::pair<std::string, std::string>> probe;
  const std::size_t hosts_before = b.hosts_.size();
  std::optional<address> parsed;
  // "server BACKEND/NAME", in the builder's buffer (no allocation per server line).
  std::string& what = b.server_label_;
  what.clear();
  what += "server ";
  what += b.proxy_->name_;
  what += '/';
  what += s.name_;
  check_address_word(args[address_index], what, false, b, diags, parsed);
  if (parsed) {
    s.address_ = std::move(*parsed);
  }
  std::size_t options_from = address_index + 1;
  if (args[address_index].value_.find("{{") != std::string::npos &&
      args[address_index].value_.find("}}") == std::string::npos) {
    // "{{ ip }}:80": the template slot's other words are not server options.
    while (options_from < args.size() &&
           args[options_from - 1].value_.find("}}") == std::string::npos) {
      ++options_from;
    }
  }
  fill_server(s, b, diags, args.subspan(std::min(options_from, args.size())));
  if (lazy_resolution(s.options_) || lazy_resolution(b.proxy_->default_server_) || is_template) {
    b.hosts_.resize(hosts_before);  // resolved at run time (init-addr none, resolvers)
  }
  // The first earlier server of the section with this name. A few are compared one by one;
  // past that they are indexed by name as servers_ grows, since a backend may hold thousands
  // and comparing each with all before is quadratic.
  constexpr std::size_t scanned = 32;
  const std::vector<server>& servers = b.proxy_->servers_;
  const server* same = nullptr;
  if (!is_template && servers.size() <= scanned) {
    for (const server& other : servers) {
      if (other.name_ == s.name_) {
        same = &other;
        break;
      }
    }
  } else if (servers.size() > scanned) {
    for (; b.servers_named_ < servers.size(); ++b.servers_named_) {
      b.server_names_.emplace(servers[b.servers_named_].name_, b.servers_named_);
    }
    if (!is_template) {
      if (const auto it = b.server_names_.find(s.name_); it != b.server_names_.end()) {
        same = &servers[it->second];
      }
    }
  }
  if (same != nullptr) {
    diags.add(severity::error, codes::duplicate_server, d.arguments()[0].position_,
              "another server named '" + s.name_ + "' was already defined at line " +
                  std::to_string(same->position_.line_) + " in '" + b.proxy_->name_ + "'",
              std::string("give each server of a backend its own name"));
  }
  b.proxy_->servers_.push_back(std::move(s));
}

void p_default_server(const directive& d, builder& b, diagnostics& diags) {
  read_options(d.arguments(), scope::server_option, "default-server", b, diags,
               b.proxy_->default_server_);
}

void p_dispatch(const directive& d, builder& b, diagnostics& diags) {
  server s;
  s.name_ = "dispatch";
  s.position_ = d.position();
  s.from_dispatch_ = true;
  std::optional<address> parsed;
  check_address_word(d.arguments()[0], "dispatch", false, b, diags, parsed);
  if (parsed) {
    s.address_ = *parsed;
  }
  b.proxy_->servers_.push_back(std::move(s));
}

void note_switch(const directive& d, builder& b) {
  if (!b.first_switch_) {
    b.first_switch_.emplace(std::string(d.keyword_word().value_), d.position());
  }
}

void p_default_backend(const directive& d, builder& b, diagnostics&) {
  b.proxy_->default_backend_ = d.arguments()[0].value_;
  b.proxy_->default_backend_position_ = d.arguments()[0].position_;
}

void p_use_backend(const directive& d, builder& b, diagnostics& diags) {
  const auto args = d.arguments();
  b.proxy_->use_backends_.push_back(
      backend_switch{args[0].value_, values(args.subspan(1)), args[0].position_});
  note_switch(d, b);
  check_expressions(d, b, diags);
}

void p_acl(const directive& d, builder& b, diagnostics& diags) {
  const auto args = d.arguments();
  b.proxy_->acls_.push_back(acl{args[0].value_, values(args.subspan(1)), d.position()});
  check_expressions(d, b, diags);  // the criterion, its flags and the files it names
}

void p_rule(const directive& d, builder& b, diagnostics& diags) {
  const std::string keyword = d.keyword_word().value_;
  const auto args = d.arguments();
  if (keyword == "http-request" && b.first_switch_ && !d.line_.words_.empty()) {
    diags.add(severity::warning, codes::rule_order, d.position(),
              "a 'http-request' rule placed after a '" + b.first_switch_->first +
                  "' rule (line " + std::to_string(b.first_switch_->second.line_) +
                  ") will still be processed before it",
              std::string("move the 'http-request' rules before the '") +
                  b.first_switch_->first + "' rules");
  }
  if (keyword == "redirect" || keyword == "use-server") {
    note_switch(d, b);
  }
  check_expressions(d, b, diags);  // conditions, %[…], map files, set-map(FILE) …
  rule r{keyword, values(args), d.position(), ""};
  if (d.entry_.removed()) {
    r.lowered_from_ = keyword;
  }
  b.proxy_->rules_.push_back(std::move(r));
}

void p_legacy_rule(const directive& d, builder& b, diagnostics&) {
  // reqadd/rspadd/block … : the modern words when there are some (the runtime runs those),
  // else the old words under the old keyword (the runtime interprets them).
  std::size_t name_words = 1;
  const std::vector<std::string> modern = modern_words(d.line_, d.entry_, name_words);
  rule r;
  r.position_ = d.position();
  r.lowered_from_ = d.keyword_word().value_;
  if (!modern.empty() && std::find(modern.begin(), modern.end(), "\n") == modern.end()) {
    // Re-read the quoted words: they are simple enough (quote_word output) to unquote here.
    r.keyword_ = modern[0];
    for (std::size_t i = 1; i < modern.size(); ++i) {
      std::string v = modern[i];
      if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"')) {
        v = v.substr(1, v.size() - 2);
      }
      r.words_.push_back(std::move(v));
    }
  } else {
    r.keyword_ = d.keyword_word().value_;
    r.words_ = values(d.arguments());
  }
  b.proxy_->rules_.push_back(std::move(r));
}

void p_balance(const directive& d, builder& b, diagnostics&) {
  b.proxy_->balance_ = values(d.arguments());
}

void p_cookie(const directive& d, builder& b, diagnostics&) {
  b.proxy_->cookie_ = values(d.arguments());
}

std::string_view timeout_name(const directive& d) {
  std::string_view n = d.entry_.name_;
  if (d.entry_.modern_ == modern_kind::rename) {
    n = d.entry_.replacement_;
  }
  return n.substr(n.find(' ') + 1);
}

void p_timeout(const directive& d, builder& b, diagnostics& diags) {
  milliseconds t = 0;
  const auto args = d.arguments();
  if (b.time_value(args[0], diags, t)) {
    b.proxy_->timeouts_[std::string(timeout_name(d))] = t;
  }
}

void p_option(const directive& d, builder& b, diagnostics&) {
  std::string_view name = d.entry_.name_;
  if (d.entry_.modern_ == modern_kind::rename) {
    name = d.entry_.replacement_;
  }
  if (name.starts_with("option ")) {
    name.remove_prefix(7);
  }
  option_setting s;
  s.enabled_ = !d.no_;
  s.arguments_ = values(d.arguments());
  s.position_ = d.position();
  b.proxy_->options_[std::string(name)] = std::move(s);
}

void p_httpchk(const directive& d, builder& b, diagnostics& diags) {
  p_option(d, b, diags);
  if (d.no_) {
    b.proxy_->http_check_.reset();
    return;
  }
  const auto args = d.arguments();
  http_check c;
  c.position_ = d.position();
  if (args.size() == 1) {
    c.uri_ = args[0].value_;
  } else if (args.size() >= 2) {
    c.method_ = args[0].value_;
    c.uri_ = args[1].value_;
  }
  if (args.size() >= 3) {
    // An old version string may carry headers: "HTTP/1.1\r\nHost:\ www".
    std::string_view v = args[2].value_;
    std::size_t end = v.find("\r\n");
    c.version_ = std::string(v.substr(0, end));
    while (end != std::string_view::npos) {
      v.remove_prefix(end + 2);
      end = v.find("\r\n");
      const std::string_view header = v.substr(0, end);
      const std::size_t colon = header.find(':');
      if (colon == std::string_view::npos) {
        continue;
      }
      std::string_view value = header.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      c.headers_.emplace_back(std::string(header.substr(0, colon)), std::string(value));
    }
    if (!c.headers_.empty()) {
      std::string modern = "option httpchk " + quote_word(c.method_) + " " + quote_word(c.uri_) +
                           " " + quote_word(c.version_);
      for (const auto& [name, value] : c.headers_) {
        modern += "' and 'http-check send hdr " + quote_word(name) + " " + quote_word(value);
      }
      diags.add(severity::warning, codes::hidden_check_headers, args[2].position_,
                "headers hidden in the version string of 'option httpchk' are deprecated since "
                "HAProxy 2.2; Tandem reads them as '" + modern + "'",
                std::string("write '") + modern + "' (tandem migrate does it)");
    }
  }
  b.proxy_->http_check_ = std::move(c);
}

void p_stats(const directive& d, builder& b, diagnostics& diags) {
  stats_settings& s = b.proxy_->stats_;
  const std::string_view k = d.entry_.name_;
  const auto args = d.arguments();
  const bool needs_value = k == "stats uri" || k == "stats realm" || k == "stats auth" ||
                           k == "stats refresh" || k == "stats scope";
  if (needs_value && args.empty()) {
    diags.add(severity::error, codes::arguments, d.position(),
              "'" + std::string(k) + "' expects an argument");
    return;
  }
  s.enabled_ = true;  // every stats keyword enables the page in HAProxy ("Enable statistics …")
  if (!s.position_.has_file()) {
    s.position_ = d.position();
  }
  if (k == "stats uri") {
    s.uri_ = args[0].value_;
  } else if (k == "stats realm") {
    s.realm_ = args[0].value_;
  } else if (k == "stats auth") {
    s.auth_.push_back(args[0].value_);
  } else if (k == "stats refresh") {
    milliseconds t = 0;
    if (b.time_value(args[0], diags, t)) {
      s.refresh_ = t;
    }
  } else if (k == "stats hide-version") {
    s.hide_version_ = true;
  } else if (k == "stats admin") {
    s.admin_.push_back(values(args));
    s.admin_positions_.push_back(d.position());
  } else if (k == "stats scope") {
    s.scope_.push_back(args[0].value_);
  } else if (k == "stats show-legends") {
    s.show_legends_ = true;
  } else if (k == "stats show-modules") {
    s.show_modules_ = true;
  } else if (k == "stats show-node" || k == "stats show-desc") {
    // The words after the keyword, joined as HAProxy joins them ("show-desc Master node …").
    std::string text;
    for (const auto& a : args) {
      text += (text.empty() ? "" : " ") + a.value_;
    }
    (k == "stats show-node" ? s.show_node_ : s.show_desc_) = text;
  } else if (k == "stats http-request") {
    // The page's own access rules, not the proxy's: kept apart from rules_.
    check_expressions(d, b, diags);
    s.http_request_.push_back(rule{"stats http-request", values(args), d.position(), ""});
  }
}

void p_log(const directive& d, builder& b, diagnostics& diags) {
  log_line(d, b, diags, b.proxy_->logs_);
}

void p_errorfile(const directive& d, builder& b, diagnostics&) {
  const auto args = d.arguments();
  b.proxy_->errorfiles_.emplace_back(args[0].value_, args[1].value_);
  add_file(b, args[1], "errorfile");
}

void p_number(const directive& d, builder& b, diagnostics& diags) {
  std::uint32_t n = 0;
  if (!b.unsigned_value(d.arguments()[0], diags, n)) {
    return;
  }
  if (d.entry_.name_ == "maxconn") {
    b.proxy_->maxconn_ = n;
  } else if (d.entry_.name_ == "retries") {
    b.proxy_->retries_ = n;
  } else {
    keep_other(d, b);
  }
}

void p_monitor(const directive& d, builder& b, diagnostics&) {
  if (d.entry_.name_ == "monitor-uri") {
    b.proxy_->monitor_uri_ = d.arguments()[0].value_;
  } else {
    b.proxy_->monitor_nets_.push_back(d.arguments()[0].value_);
  }
}

void p_description(const directive& d, builder& b, diagnostics&) {
  b.proxy_->description_ = joined(d.arguments());
}

void p_disabled(const directive& d, builder& b, diagnostics&) {
  b.proxy_->disabled_ = d.entry_.name_ == "disabled";
}

// ---------------------------------------------------------------------------------------------
// userlist.

// "peer NAME ADDR:PORT": the address is resolved when the file is read, like a server's.
void pe_peer(const directive& d, builder& b, diagnostics& diags) {
  std::optional<address> parsed;
  check_address_word(d.arguments()[1], "peer " + d.arguments()[0].value_, false, b, diags,
                     parsed);
}

void u_user(const directive& d, builder& b, diagnostics&) {
  if (b.userlist_ == nullptr) {
    return;
  }
  const auto args = d.arguments();
  userlist_user u;
  u.name_ = args[0].value_;
  u.position_ = d.position();
  for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
    const std::string& k = args[i].value_;
    if (k == "password" || k == "insecure-password") {
      u.password_ = args[i + 1].value_;
      u.insecure_ = k == "insecure-password";
    } else if (k == "groups") {
      std::string_view g = args[i + 1].value_;
      while (!g.empty()) {
        const std::size_t comma = g.find(',');
        u.groups_.emplace_back(g.substr(0, comma));
        g = comma == std::string_view::npos ? std::string_view() : g.substr(comma + 1);
      }
    }
  }
  b.userlist_->users_.push_back(std::move(u));
}

void u_group(const directive& d, builder& b, diagnostics&) {
  if (b.userlist_ != nullptr) {
    const auto args = d.arguments();
    b.userlist_->groups_.push_back(args[0].value_);
    userlist_group g;
    g.name_ = args[0].value_;
    g.position_ = d.position();
    for (std::size_t i = 1; i + 1 < args.size(); i += 2) {
      if (args[i].value_ == "users") {
        std::string_view u = args[i + 1].value_;
        while (!u.empty()) {
          const std::size_t comma = u.find(',');
          g.users_.emplace_back(u.substr(0, comma));
          u = comma == std::string_view::npos ? std::string_view() : u.substr(comma + 1);
        }
      }
    }
    b.userlist_->group_lines_.push_back(std::move(g));
  }
}

void e_errorfile(const directive& d, builder& b, diagnostics& diags) {
  add_file(b, d.arguments()[1], "errorfile");
  other(d, b, diags);
}

// ---------------------------------------------------------------------------------------------
// The table.

constexpr std::uint8_t D = cap_defaults;
constexpr std::uint8_t F = cap_frontend;
constexpr std::uint8_t B = cap_backend;
constexpr std::uint8_t DF = D | F;
constexpr std::uint8_t DB = D | B;
constexpr std::uint8_t FB = F | B;
constexpr std::uint8_t DFB = D | F | B;
constexpr std::uint8_t A = any_count;

keyword_entry kw(scope s, std::string_view name, std::uint8_t where, std::uint8_t min,
                 std::uint8_t max, lowering lower) {
  keyword_entry e;
  e.scope_ = s;
  e.name_ = name;
  e.where_ = where;
  e.min_arguments_ = min;
  e.max_arguments_ = max;
  e.lower_ = lower;
  return e;
}

keyword_entry newer(keyword_entry e, std::string_view version) {
  e.added_in_ = version;
  return e;
}

keyword_entry removed(keyword_entry e, std::string_view version, modern_kind kind,
                      std::string_view replacement) {
  e.removed_in_ = version;
  e.modern_ = kind;
  e.replacement_ = replacement;
  return e;
}

keyword_entry g(std::string_view name, std::uint8_t min = 0, std::uint8_t max = A,
                lowering lower = other) {
  return kw(scope::global, name, 0, min, max, lower);
}
keyword_entry p(std::string_view name, std::uint8_t where, std::uint8_t min = 0,
                std::uint8_t max = A, lowering lower = other) {
  return kw(scope::proxy, name, where, min, max, lower);
}
keyword_entry opt(std::string_view name, std::uint8_t where, lowering lower = p_option) {
  return kw(scope::proxy, name, where, 0, A, lower);
}
keyword_entry bo(std::string_view name, std::uint8_t arguments) {
  return kw(scope::bind_option, name, 0, arguments, arguments, nullptr);
}
keyword_entry so(std::string_view name, std::uint8_t arguments) {
  return kw(scope::server_option, name, 0, arguments, arguments, nullptr);
}
keyword_entry in(scope s, std::string_view name, std::uint8_t min = 0, lowering lower = other) {
  return kw(s, name, 0, min, A, lower);
}

std::vector<keyword_entry> make_table() {
  std::vector<keyword_entry> t;
  // --- global (HAProxy 2.6 configuration.txt §3, plus 2.8–3.x additions).
  for (const std::string_view name :
       {"ca-base", "crt-base", "key-base", "chroot", "pidfile", "user", "group", "uid", "gid"}) {
    t.push_back(g(name, 1, 1, g_string));
  }
  t.push_back(g("maxconn", 1, 1, g_number));
  t.push_back(g("nbthread", 1, 1, g_number));
  t.push_back(g("daemon", 0, 0, g_flag));
  t.push_back(g("master-worker", 0, 1, g_flag));
  t.push_back(g("log", 1, A, g_log));
  t.push_back(g("stats socket", 1, A, g_stats));
  t.push_back(g("stats timeout", 1, 1, g_stats));
  t.push_back(g("stats maxconn", 1, 1));
  t.push_back(removed(g("stats bind-process", 1), "2.5", modern_kind::drop, ""));
  t.push_back(g("tune.*", 0, A, g_tune));
  t.push_back(g("lua-load", 1, A, g_lua));
  t.push_back(g("lua-load-per-thread", 1, A, g_lua));
  t.push_back(g("lua-prepend-path", 1));
  for (const std::string_view name :
       {"cpu-map", "default-path", "description", "external-check", "hard-stop-after",
        "h1-case-adjust", "h1-case-adjust-file", "insecure-fork-wanted",
        "insecure-setuid-wanted", "issuers-chain-path", "localpeer", "log-send-hostname",
        "log-tag", "maxconnrate", "maxcomprate", "maxcompcpuusage", "maxpipes", "maxsessrate",
        "maxsslconn", "maxsslrate", "maxzlibmem", "mworker-max-reloads", "node", "noepoll",
        "nokqueue", "noevports", "nopoll", "nosplice", "nogetaddrinfo", "noreuseport",
        "numa-cpu-mapping", "pp2-never-send-local", "presetenv", "resetenv", "setenv",
        "unsetenv", "server-state-base", "server-state-file", "set-dumpable", "spread-checks",
        "ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites", "ssl-default-bind-curves",
        "ssl-default-bind-options", "ssl-default-bind-sigalgs",
        "ssl-default-bind-client-sigalgs", "ssl-default-server-ciphers",
        "ssl-default-server-ciphersuites", "ssl-default-server-curves",
        "ssl-default-server-options", "ssl-default-server-sigalgs",
        "ssl-default-server-client-sigalgs", "ssl-dh-param-file", "ssl-engine",
        "ssl-mode-async", "ssl-load-extra-files", "ssl-load-extra-del-ext", "ssl-server-verify",
        "ssl-skip-self-issued-ca", "ssl-propquery", "ssl-provider", "ssl-provider-path",
        "strict-limits", "thread-groups", "thread-group", "ulimit-n", "unix-bind", "quiet",
        "zero-warning", "busy-polling", "anonkey", "cluster-secret", "fd-hard-limit",
        "profiling.tasks", "profiling.memory", "expose-experimental-directives",
        "httpclient.*", "set-var", "set-var-fmt",
        "max-spread-checks", "grace", "no-memory-trimming", "hash-*"}) {
    t.push_back(g(name));
  }
  for (const std::string_view name :
       {"stats-file", "setcap", "limited-quic", "harden.*", "ocsp-update.*", "dns-accept-family",
        "tune.*", "shm-stats-file", "ssl-security-level", "acme.*", "warn-blocked-traffic-after",
        "force-cfg-parser-pause", "prealloc-fd"}) {
    t.push_back(newer(g(name), "2.8+"));
  }
  for (const std::string_view name : {"wurfl-*", "51degrees-*", "deviceatlas-*"}) {
    t.push_back(newer(g(name), "built with its device-detection module"));
  }
  t.push_back(removed(g("nbproc", 1), "2.5", modern_kind::drop, ""));
  t.push_back(removed(g("debug"), "2.0", modern_kind::drop, ""));
  t.push_back(removed(g("ssl-server-verify-none"), "1.6", modern_kind::drop, ""));

  // --- proxies.
  t.push_back(p("acl", FB, 2, A, p_acl));
  t.push_back(p("backlog", DF, 1, 1));
  t.push_back(p("balance", DB, 0, A, p_balance));
  t.push_back(p("bind", F, 1, A, p_bind));
  t.push_back(p("capture cookie", F, 3));
  t.push_back(p("capture request", F, 3));
  t.push_back(p("capture response", F, 3));
  t.push_back(p("compression", DFB, 1));
  t.push_back(p("cookie", DB, 1, A, p_cookie));
  t.push_back(p("declare", F, 1));
  t.push_back(p("default-server", DB, 0, A, p_default_server));
  t.push_back(p("default_backend", DF, 1, 1, p_default_backend));
  t.push_back(p("description", FB, 1, A, p_description));
  t.push_back(p("disabled", DFB, 0, 0, p_disabled));
  t.push_back(p("enabled", DFB, 0, 0, p_disabled));
  t.push_back(p("dispatch", B, 1, 1, p_dispatch));
  t.push_back(p("email-alert", DFB, 1));
  t.push_back(p("errorfile", DFB, 2, 2, p_errorfile));
  t.push_back(p("errorfiles", DFB, 1));
  t.push_back(p("errorloc", DFB, 2, 2));
  t.push_back(p("errorloc302", DFB, 2, 2));
  t.push_back(p("errorloc303", DFB, 2, 2));
  t.push_back(p("external-check", DB, 1));
  t.push_back(p("filter", FB, 1));
  t.push_back(p("force-persist", FB, 1));
  t.push_back(p("fullconn", DB, 1, 1));
  t.push_back(p("hash-type", DB, 1));
  t.push_back(p("hash-balance-factor", DB, 1, 1));
  t.push_back(p("http-after-response", DFB, 1, A, p_rule));
  t.push_back(p("http-check", DB, 1, A, p_rule));
  t.push_back(p("http-error", DFB, 1));
  t.push_back(p("http-request", DFB, 1, A, p_rule));
  t.push_back(p("http-response", DFB, 1, A, p_rule));
  t.push_back(p("http-reuse", DB, 1, 1));
  t.push_back(p("http-send-name-header", DB, 0, 1));
  t.push_back(p("id", FB, 1, 1));
  t.push_back(p("ignore-persist", FB, 1));
  t.push_back(p("load-server-state-from-file", DB, 1, 1));
  t.push_back(p("log", DFB, 1, A, p_log));
  t.push_back(p("log-format", DF, 1));
  t.push_back(p("log-format-sd", DF, 1));
  t.push_back(p("error-log-format", DF, 1));
  t.push_back(p("log-tag", DFB, 1));
  t.push_back(p("max-keep-alive-queue", DB, 1, 1));
  t.push_back(p("maxconn", DF, 1, 1, p_number));
  t.push_back(p("mode", DFB, 1, 1, p_mode));
  t.push_back(p("monitor", F, 2));
  t.push_back(p("monitor-uri", DF, 1, 1, p_monitor));
  t.push_back(p("persist", DB, 1));
  t.push_back(p("rate-limit", DF, 2));
  t.push_back(p("redirect", FB, 2, A, p_rule));
  t.push_back(p("retries", DB, 1, 1, p_number));
  t.push_back(p("retry-on", DB, 1));
  t.push_back(p("server", B | 8, 1, A, p_server));
  t.push_back(p("server-template", B | 8, 3, A, p_server));
  t.push_back(p("server-state-file-name", DB, 0, 1));
  t.push_back(p("source", DB, 1));
  t.push_back(p("stick", B, 2, A, p_rule));
  t.push_back(p("stick-table", FB, 2, A, lower_stick_table));
  t.push_back(p("tcp-check", DB, 1, A, p_rule));
  t.push_back(p("tcp-request", DFB, 1, A, p_rule));
  t.push_back(p("tcp-response", DB, 1, A, p_rule));
  t.push_back(p("unique-id-format", DF, 1));
  t.push_back(p("unique-id-header", DF, 1));
  t.push_back(p("use_backend", F, 1, A, p_use_backend));
  t.push_back(p("use-server", B, 1, A, p_rule));
  t.push_back(p("use-fcgi-app", B, 1, 1));
  t.push_back(p("http-restrict-req-hdr-names", DFB, 1));
  t.push_back(newer(p("guid", FB, 1, 1), "3.0"));
  t.push_back(newer(p("hash-preserve-affinity", DB, 1, 1), "3.0"));
  t.push_back(newer(p("log-profile", DFB, 1), "3.1"));
  t.push_back(newer(p("log-steps", DF, 1), "3.1"));
  t.push_back(newer(p("healthcheck", DB, 1), "3.3"));
  t.push_back(newer(p("crt-store", DFB, 0), "3.0"));
  t.push_back(newer(p("docroot", B, 1), "2.8"));
  t.push_back(newer(p("index", B, 1), "2.8"));
  t.push_back(newer(p("path-info", B, 1), "2.8"));
  t.push_back(newer(p("fcgi-app", B, 1), "2.8"));
  for (const std::string_view name :
       {"timeout check", "timeout connect", "timeout queue", "timeout server", "timeout server-fin",
        "timeout tunnel"}) {
    t.push_back(p(name, DB, 1, 1, p_timeout));
  }
  for (const std::string_view name : {"timeout client", "timeout client-fin"}) {
    t.push_back(p(name, DF, 1, 1, p_timeout));
  }
  for (const std::string_view name :
       {"timeout http-keep-alive", "timeout http-request", "timeout tarpit"}) {
    t.push_back(p(name, DFB, 1, 1, p_timeout));
  }
  t.push_back(removed(p("contimeout", DB, 1, 1, p_timeout), "2.1", modern_kind::rename,
                      "timeout connect"));
  t.push_back(removed(p("clitimeout", DF, 1, 1, p_timeout), "2.1", modern_kind::rename,
                      "timeout client"));
  t.push_back(removed(p("srvtimeout", DB, 1, 1, p_timeout), "2.1", modern_kind::rename,
                      "timeout server"));
  t.push_back(removed(p("timeout contimeout", DB, 1, 1, p_timeout), "2.1", modern_kind::rename,
                      "timeout connect"));
  t.push_back(removed(p("timeout clitimeout", DF, 1, 1, p_timeout), "2.1", modern_kind::rename,
                      "timeout client"));
  t.push_back(removed(p("timeout srvtimeout", DB, 1, 1, p_timeout), "2.1", modern_kind::rename,
                      "timeout server"));
  t.push_back(removed(p("redispatch", DB, 0, 0, p_option), "2.1", modern_kind::rename,
                      "option redispatch"));
  t.push_back(removed(p("transparent", DB, 0, 0, p_option), "2.1", modern_kind::rename,
                      "option transparent"));
  t.push_back(removed(p("grace", DFB, 1, 1), "2.5", modern_kind::drop, ""));
  t.push_back(removed(p("monitor-net", DF, 1, 1, p_monitor), "2.2", modern_kind::manual,
                      "http-request return status 200 if { src NET } (or monitor-uri)"));
  t.push_back(removed(p("block", FB, 1, A, p_legacy_rule), "2.1", modern_kind::deny,
                      "http-request deny"));
  t.push_back(removed(p("reqadd", FB, 1, A, p_legacy_rule), "2.1", modern_kind::header_add,
                      "http-request add-header"));
  t.push_back(removed(p("rspadd", FB, 1, A, p_legacy_rule), "2.1", modern_kind::header_add,
                      "http-response add-header"));
  for (const std::string_view name : {"reqdel", "reqidel"}) {
    t.push_back(removed(p(name, FB, 1, A, p_legacy_rule), "2.1", modern_kind::header_del,
                        "http-request del-header"));
  }
  for (const std::string_view name : {"rspdel", "rspidel"}) {
    t.push_back(removed(p(name, FB, 1, A, p_legacy_rule), "2.1", modern_kind::header_del,
                        "http-response del-header"));
  }
  for (const std::string_view name : {"reqrep", "reqirep"}) {
    t.push_back(removed(p(name, FB, 2, A, p_legacy_rule), "2.1", modern_kind::manual,
                        "http-request replace-header, replace-uri or replace-path"));
  }
  for (const std::string_view name : {"rsprep", "rspirep"}) {
    t.push_back(removed(p(name, FB, 2, A, p_legacy_rule), "2.1", modern_kind::manual,
                        "http-response replace-header or replace-value"));
  }
  for (const std::string_view name : {"reqdeny", "reqideny"}) {
    t.push_back(removed(p(name, FB, 1, A, p_legacy_rule), "2.1", modern_kind::manual,
                        "http-request deny if { <fetch> -m reg <regex> }"));
  }
  for (const std::string_view name : {"reqallow", "reqiallow"}) {
    t.push_back(removed(p(name, FB, 1, A, p_legacy_rule), "2.1", modern_kind::manual,
                        "http-request allow if { <fetch> -m reg <regex> }"));
  }
  for (const std::string_view name : {"reqtarpit", "reqitarpit"}) {
    t.push_back(removed(p(name, FB, 1, A, p_legacy_rule), "2.1", modern_kind::manual,
                        "http-request tarpit if { <fetch> -m reg <regex> }"));
  }
  for (const std::string_view name : {"reqpass", "reqipass"}) {
    t.push_back(removed(p(name, FB, 1, A, p_legacy_rule), "2.1", modern_kind::drop, ""));
  }
  for (const std::string_view name : {"reqsetbe", "reqisetbe"}) {
    t.push_back(removed(p(name, FB, 2, A, p_legacy_rule), "2.1", modern_kind::manual,
                        "use_backend <backend> if { <fetch> -m reg <regex> }"));
  }
  for (const std::string_view name : {"rspdeny", "rspideny"}) {
    t.push_back(removed(p(name, FB, 1, A, p_legacy_rule), "2.1", modern_kind::manual,
                        "http-response deny if { <fetch> -m reg <regex> }"));
  }
  t.push_back(removed(p("appsession", B, 1, A), "1.6", modern_kind::manual,
                      "stick-table type string len 32 size 1m + stick on req.cook(<name>)"));
  t.push_back(removed(p("bind-process", DFB, 1), "2.5", modern_kind::drop, ""));
  t.push_back(removed(p("cliexp", F, 1), "1.3", modern_kind::manual, "http-request replace-uri"));
  t.push_back(removed(p("srvexp", B, 1), "1.3", modern_kind::manual, "http-response replace-header"));

  for (const std::string_view name :
       {"option abortonclose", "option allbackups", "option checkcache",
        "option external-check", "option ldap-check", "option log-health-checks",
        "option mysql-check", "option persist", "option pgsql-check",
        "option prefer-last-server", "option redis-check", "option redispatch",
        "option smtpchk", "option spop-check", "option srvtcpka", "option ssl-hello-chk",
        "option tcp-check", "option tcp-smart-connect", "option transparent",
        "option accept-invalid-http-response", "option accept-unsafe-violations-in-http-response",
        "option h1-case-adjust-bogus-server", "option http-drop-response-trailers"}) {
    t.push_back(opt(name, DB));
  }
  t.push_back(kw(scope::proxy, "option httpchk", DB, 0, 3, p_httpchk));
  for (const std::string_view name :
       {"option accept-invalid-http-request", "option accept-unsafe-violations-in-http-request",
        "option clitcpka", "option contstats", "option disable-h2-upgrade",
        "option dontlog-normal", "option dontlognull", "option h1-case-adjust-bogus-client",
        "option http-ignore-probes", "option http-use-proxy-header", "option httplog",
        "option httpslog", "option log-separate-errors", "option logasap",
        "option socket-stats", "option tcp-smart-accept", "option tcplog",
        "option idle-close-on-response", "option http-drop-request-trailers"}) {
    t.push_back(opt(name, DF));
  }
  for (const std::string_view name :
       {"option forwardfor", "option http-buffer-request", "option http-keep-alive",
        "option http-no-delay", "option http-pretend-keepalive",
        "option http-restrict-req-hdr-names", "option http-server-close", "option httpclose",
        "option independent-streams", "option nolinger", "option originalto",
        "option splice-auto", "option splice-request", "option splice-response",
        "option tcpka"}) {
    t.push_back(opt(name, DFB));
  }
  t.push_back(newer(opt("option forwarded", DB), "2.8"));
  t.push_back(removed(opt("option forceclose", DFB), "2.0", modern_kind::rename,
                      "option httpclose"));
  t.push_back(removed(opt("option http-tunnel", DFB), "2.1", modern_kind::drop, ""));
  t.push_back(removed(opt("option http-use-htx", DFB), "2.1", modern_kind::drop, ""));
  t.push_back(removed(opt("option tcpsplice", DFB), "1.4", modern_kind::rename,
                      "option splice-auto"));
  t.push_back(removed(opt("option independant-streams", DFB), "1.5", modern_kind::rename,
                      "option independent-streams"));
  t.push_back(removed(opt("option ssl-hello-check", DB), "1.5", modern_kind::rename,
                      "option ssl-hello-chk"));

  for (const std::string_view name :
       {"stats auth", "stats enable", "stats hide-version", "stats realm", "stats refresh",
        "stats scope", "stats show-desc", "stats show-legends", "stats show-modules",
        "stats show-node", "stats uri"}) {
    t.push_back(p(name, DFB, 0, A, p_stats));
  }
  t.push_back(p("stats admin", FB, 1, A, p_stats));
  t.push_back(p("stats http-request", FB, 1, A, p_stats));
  t.push_back(removed(p("stats bind-process", DFB, 1), "2.5", modern_kind::drop, ""));

  // --- other sections.
  t.push_back(in(scope::userlist, "user", 1, u_user));
  t.push_back(in(scope::userlist, "group", 1, u_group));
  for (const std::string_view name :
       {"bind", "default-bind", "default-server", "disabled", "enable", "enabled", "server",
        "shards", "table", "log"}) {
    t.push_back(in(scope::peers, name));
  }
  t.push_back(in(scope::peers, "peer", 2, pe_peer));
  for (const std::string_view name :
       {"accepted_payload_size", "hold", "parse-resolv-conf", "resolve_retries",
        "timeout", "timeout resolve", "timeout retry"}) {
    t.push_back(in(scope::resolvers, name));
  }
  t.push_back(in(scope::mailers, "mailer", 2));
  t.push_back(in(scope::resolvers, "nameserver", 2));
  t.push_back(in(scope::mailers, "timeout", 2));
  for (const std::string_view name :
       {"command", "user", "group", "option start-on-reload", "option"}) {
    t.push_back(in(scope::program, name));
  }
  t.push_back(in(scope::http_errors, "errorfile", 2, e_errorfile));
  for (const std::string_view name :
       {"description", "format", "maxlen", "size", "server", "timeout", "timeout connect",
        "timeout server", "backing-file"}) {
    t.push_back(in(scope::ring, name));
  }
  for (const std::string_view name :
       {"total-max-size", "max-object-size", "max-age", "process-vary", "max-secondary-entries"}) {
    t.push_back(in(scope::cache, name));
  }
  for (const std::string_view name :
       {"bind", "dgram-bind", "log", "maxconn", "backlog", "timeout client", "timeout"}) {
    t.push_back(in(scope::log_forward, name));
  }
  for (const std::string_view name : {"crt-base", "key-base", "load"}) {
    t.push_back(in(scope::crt_store, name));
  }
  t.push_back(in(scope::traces, "trace"));

  // --- bind options (1 = takes a value).
  for (const std::string_view name :
       {"accept-proxy", "allow-0rtt", "defer-accept", "force-sslv3", "force-tlsv10",
        "force-tlsv11", "force-tlsv12", "force-tlsv13", "generate-certificates", "no-ca-names",
        "no-sslv3", "no-tls-tickets", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13",
        "prefer-client-ciphers", "quic-force-retry", "ssl", "strict-sni", "tfo", "transparent",
        "v4v6", "v6only", "no-alpn", "tls-tickets", "quic-socket", "no-strict-sni"}) {
    t.push_back(bo(name, 0));
  }
  for (const std::string_view name :
       {"accept-netscaler-cip", "alpn", "backlog", "ca-file", "ca-ignore-err", "ca-sign-file",
        "ca-sign-pass", "ca-verify-file", "ciphers", "ciphersuites", "crl-file", "crt",
        "crt-ignore-err", "crt-list", "curves", "ecdhe", "expose-fd", "gid", "group", "id",
        "interface", "level", "maxconn", "mode", "mss", "name", "namespace", "nice", "npn",
        "proto", "quic-cc-algo", "severity-output", "ssl-max-ver", "ssl-min-ver", "tcp-ut",
        "thread", "tls-ticket-keys", "uid", "user", "verify", "sigalgs", "client-sigalgs",
        "ocsp-update", "guid-prefix", "shards", "idle-ping", "nbconn", "label", "cc-max-win-size",
        "quic-cc-algo", "default-crt"}) {
    t.push_back(bo(name, 1));
  }
  t.push_back(removed(bo("process", 1), "2.5", modern_kind::drop, ""));
  // --- server options.
  for (const std::string_view name :
       {"agent-check", "allow-0rtt", "backup", "check", "check-send-proxy", "check-ssl",
        "check-via-socks4", "disabled", "enabled", "force-sslv3", "force-tlsv10",
        "force-tlsv11", "force-tlsv12", "force-tlsv13", "no-agent-check", "no-backup",
        "no-check", "no-check-ssl", "no-send-proxy", "no-send-proxy-v2", "no-send-proxy-v2-ssl",
        "no-send-proxy-v2-ssl-cn", "no-ssl", "no-ssl-reuse", "no-sslv3", "no-tls-tickets",
        "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "no-verifyhost", "no-tfo",
        "non-stick", "send-proxy", "send-proxy-v2", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn",
        "ssl", "ssl-reuse", "stick", "tfo", "tls-tickets", "strict-maxconn", "check-reuse-pool",
        "no-check-reuse-pool", "agent-ssl"}) {
    t.push_back(so(name, 0));
  }
  for (const std::string_view name :
       {"addr", "agent-addr", "agent-inter", "agent-port", "agent-send", "alpn", "ca-file",
        "check-alpn", "check-proto", "check-sni", "ciphers", "ciphersuites", "cookie",
        "crl-file", "crt", "curves", "downinter", "error-limit", "fall", "fastinter", "id",
        "init-addr", "inter", "log-proto", "maxconn", "maxqueue", "max-reuse", "minconn",
        "namespace", "npn", "observe", "on-error", "on-marked-down", "on-marked-up",
        "pool-low-conn", "pool-max-conn", "pool-purge-delay", "port", "proto", "redir", "rise",
        "resolve-opts", "resolve-prefer", "resolve-net", "resolvers", "proxy-v2-options",
        "slowstart", "sni", "source", "usesrc", "interface", "ssl-max-ver", "ssl-min-ver",
        "socks4", "tcp-ut", "track", "verify", "verifyhost", "weight", "ws", "pool-conn-name",
        "sigalgs", "client-sigalgs", "shard", "hash-key", "guid", "idle-ping", "init-state",
        "log-bufsize", "ocsp-update", "set-proxy-v2-tlv-fmt*", "check-pool-conn-name"}) {
    t.push_back(so(name, 1));
  }
  return t;
}

struct index {
  std::vector<keyword_entry> table_;
  // Per scope (by its value): name -> entry. The names are the table's string literals, so a
  // lookup allocates nothing.
  std::vector<std::unordered_map<std::string_view, std::size_t>> exact_;
  // Per scope: the first words of the two-word names ("option", "timeout"); a keyword that is
  // none of them has no two-word name to look up (most lines: "server", "acl", ...).
  std::vector<std::unordered_set<std::string_view>> first_words_;
  std::vector<std::size_t> prefixes_;

  index() : table_(make_table()) {
    for (std::size_t i = 0; i < table_.size(); ++i) {
      const keyword_entry& e = table_[i];
      const auto s = static_cast<std::size_t>(e.scope_);
      if (s >= exact_.size()) {
        exact_.resize(s + 1);
        first_words_.resize(s + 1);
      }
      if (e.name_.ends_with('*')) {
        prefixes_.push_back(i);
      } else {
        exact_[s].emplace(e.name_, i);
        if (const std::size_t space = e.name_.find(' '); space != std::string_view::npos) {
          first_words_[s].insert(e.name_.substr(0, space));
        }
      }
    }
  }
  const keyword_entry* find(scope s, std::string_view name) const {
    const auto si = static_cast<std::size_t>(s);
    if (si < exact_.size()) {
      if (const auto it = exact_[si].find(name); it != exact_[si].end()) {
        return &table_[it->second];
      }
    }
    for (const std::size_t i : prefixes_) {
      const keyword_entry& e = table_[i];
      if (e.scope_ == s && name.starts_with(e.name_.substr(0, e.name_.size() - 1)) &&
          name.find(' ') == std::string_view::npos) {
        return &e;
      }
    }
    return nullptr;
  }
  // Whether some two-word name of `s` starts with `word` then a space.
  bool has_two_word_names(scope s, std::string_view word) const {
    const auto si = static_cast<std::size_t>(s);
    return si < first_words_.size() && first_words_[si].contains(word);
  }
};

const index& the_index() {
  static const index i;
  return i;
}

}  // namespace

scope scope_of_section(std::string_view k) {
  if (k == "defaults" || k == "frontend" || k == "backend" || k == "listen") {
    return scope::proxy;
  }
  if (k == "userlist") return scope::userlist;
  if (k == "peers") return scope::peers;
  if (k == "resolvers") return scope::resolvers;
  if (k == "mailers") return scope::mailers;
  if (k == "program") return scope::program;
  if (k == "http-errors") return scope::http_errors;
  if (k == "ring") return scope::ring;
  if (k == "cache") return scope::cache;
  if (k == "log-forward") return scope::log_forward;
  if (k == "crt-store") return scope::crt_store;
  if (k == "traces") return scope::traces;
  return scope::global;
}

std::span<const keyword_entry> keyword_table() { return the_index().table_; }

const keyword_entry* find_keyword(scope s, const line& l, std::size_t& words) {
  const std::string_view k = l.keyword();
  const std::size_t next = l.first_argument();
  // "K NEXT" matches exact two-word names only (a prefix name never matches a name with a
  // space): none when K's first word starts none of them.
  if (next < l.words_.size() && the_index().has_two_word_names(s, k.substr(0, k.find(' ')))) {
    std::string two(k);
    two += ' ';
    two += l.words_[next].value_;
    if (const keyword_entry* e = the_index().find(s, two)) {
      words = 2;
      return e;
    }
  }
  words = 1;
  return the_index().find(s, k);
}

const keyword_entry* find_option(scope s, std::string_view name) {
  return the_index().find(s, name);
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  if (a.size() > b.size() + limit || b.size() > a.size() + limit) {
    return limit + 1;
  }
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    std::size_t best = row[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
      best = std::min(best, row[j]);
    }
    if (best > limit) {
      return limit + 1;
    }
  }
  return std::min(row[b.size()], limit + 1);
}

std::string_view did_you_mean(scope s, std::string_view name) {
  const std::size_t limit = std::max<std::size_t>(1, std::min<std::size_t>(3, name.size() / 3));
  std::string_view best;
  std::size_t best_distance = limit + 1;
  for (const keyword_entry& e : the_index().table_) {
    if (e.scope_ != s || e.name_.ends_with('*') || e.removed()) {
      continue;
    }
    std::string_view candidate = e.name_;
    // "option httplog" is offered for "option htplog"; "opton" is compared with "option".
    if (name.find(' ') == std::string_view::npos && candidate.find(' ') != std::string_view::npos) {
      candidate = candidate.substr(0, candidate.find(' '));
    }
    const std::size_t d = edit_distance(name, candidate, limit);
    if (d < best_distance && d > 0) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string quote_word(std::string_view value) {
  if (value.empty()) {
    return "\"\"";
  }
  bool plain = true;
  bool has_single = false;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\'') {
      has_single = true;
    }
    if (u <= ' ' || u >= 0x7f || c == '"' || c == '\'' || c == '\\' || c == '#' || c == '$') {
      plain = false;
    }
  }
  if (plain) {
    return std::string(value);
  }
  bool printable = true;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < ' ' || u == 0x7f) {
      printable = false;
    }
  }
  if (!has_single && printable) {
    return "'" + std::string(value) + "'";
  }
  std::string out = "\"";
  for (const char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '$': out += "\\$"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < ' ' || c == 0x7f) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\x";
          out += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
          out += hex[static_cast<unsigned char>(c) & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

namespace {

// The words after the keyword, as written (a ${VAR[*]} split written once).
void append_raw(std::vector<std::string>& out, std::span<const word> words) {
  for (const word& w : words) {
    if (w.split_index_ == 0) {
      out.push_back(w.raw_);
    }
  }
}

void append_replacement(std::vector<std::string>& out, std::string_view replacement) {
  while (!replacement.empty()) {
    const std::size_t space = replacement.find(' ');
    out.emplace_back(replacement.substr(0, space));
    replacement = space == std::string_view::npos ? std::string_view()
                                                   : replacement.substr(space + 1);
  }
}

bool header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
  });
}

}  // namespace

std::vector<std::string> modern_words(const line& l, const keyword_entry& entry,
                                      std::size_t name_words) {
  std::vector<std::string> out;
  const std::size_t first = l.first_argument() - 1 + name_words;
  const std::span<const word> args =
      first < l.words_.size() ? std::span<const word>(l.words_).subspan(first)
                              : std::span<const word>();
  switch (entry.modern_) {
    case modern_kind::none:
    case modern_kind::drop:
    case modern_kind::manual:
      return out;
    case modern_kind::rename:
    case modern_kind::deny:
      if (l.modifier_ == modifier::no) {
        out.emplace_back("no");
      }
      append_replacement(out, entry.replacement_);
      append_raw(out, args);
      return out;
    case modern_kind::header_add: {
      if (args.empty()) {
        return out;
      }
      const std::string& v = args[0].value_;
      const std::size_t colon = v.find(':');
      if (colon == std::string::npos || !header_name(v.substr(0, colon))) {
        return out;
      }
      std::string value = v.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      // The value of add-header is a log-format string: a literal '%' is written "%%".
      std::string escaped;
      for (const char c : value) {
        escaped += c;
        if (c == '%') {
          escaped += '%';
        }
      }
      append_replacement(out, entry.replacement_);
      out.push_back(v.substr(0, colon));
      out.push_back(quote_word(escaped));
      append_raw(out, args.subspan(1));
      return out;
    }
    case modern_kind::header_del: {
      if (args.empty()) {
        return out;
      }
      std::string_view v = args[0].value_;
      if (!v.starts_with('^')) {
        return out;
      }
      v.remove_prefix(1);
      const std::size_t colon = v.find(':');
      if (colon == std::string_view::npos || !header_name(v.substr(0, colon))) {
        return out;
      }
      const std::string_view rest = v.substr(colon + 1);
      if (!(rest.empty() || rest == " " || rest == ".*" || rest == " .*")) {
        return out;
      }
      append_replacement(out, entry.replacement_);
      out.emplace_back(v.substr(0, colon));
      append_raw(out, args.subspan(1));
      return out;
    }
  }
  return out;
}

}  // namespace tandem::parsers::haproxy
