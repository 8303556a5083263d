// The configuration model's check settings turned into a checks::check_spec, with HAProxy
// 2.6's precedence rules (last check option wins, default-server before server, the
// backend's own check rules before the defaults section's).
#include "runtime/assemble/check_spec.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string_view>
#include <tuple>

#include "runtime/checks/builtin.hpp"
#include "runtime/checks/probe.hpp"

namespace tandem::runtime::assemble {

namespace hap = parsers::haproxy;
using namespace checks;

namespace {

using option_list = std::vector<std::pair<std::string, std::string>>;

option_list server_options(const hap::proxy& backend, const hap::server& server) {
  option_list all = backend.default_server_;
  all.insert(all.end(), server.options_.begin(), server.options_.end());
  return all;
}

const std::string* last_value(const option_list& options, std::string_view name) {
  const std::string* out = nullptr;
  for (const auto& [key, value] : options) {
    if (key == name) {
      out = &value;
    }
  }
  return out;
}

bool before(const parsers::source_position& a, const parsers::source_position& b) {
  return std::tie(a.file_, a.line_, a.column_) < std::tie(b.file_, b.line_, b.column_);
}

// A line written in `section` itself (not inherited from a defaults section above it).
bool written_in(const parsers::source_position& p, const hap::proxy& section) {
  return p.file_ == section.position_.file_ && p.line_ > section.position_.line_;
}

template <typename Int>
bool parse_number(std::string_view text, Int& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// HAProxy's parse_time_err() for a time in milliseconds: digits and an optional unit.
std::optional<duration> parse_time(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
    ++digits;
  }
  std::uint64_t n = 0;
  if (!parse_number(text.substr(0, digits), n)) {
    return std::nullopt;
  }
  const std::string_view unit = text.substr(digits);
  std::uint64_t ms = 0;
  if (unit.empty() || unit == "ms") {
    ms = n;
  } else if (unit == "us") {
    ms = (n + 999) / 1000;
  } else if (unit == "s") {
    ms = n * 1000;
  } else if (unit == "m") {
    ms = n * 60'000;
  } else if (unit == "h") {
    ms = n * 3'600'000;
  } else if (unit == "d") {
    ms = n * 86'400'000;
  } else {
    return std::nullopt;
  }
  return duration(static_cast<duration::rep>(ms));
}

// "host", "host:port", "[v6]:port", "v6".
bool split_host_port(std::string_view text, std::string& host, std::optional<std::uint16_t>& port) {
  std::string_view h = text;
  std::string_view p;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    h = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') {
        return false;
      }
      p = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const std::size_t colon = text.find(':');
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  host = std::string(h);
  if (!p.empty()) {
    std::uint16_t n = 0;
    if (!parse_number(p, n) || n == 0) {
      return false;
    }
    port = n;
  }
  return true;
}

std::optional<check_status> status_named(std::string_view name) {
  std::string upper(name);
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  static constexpr check_status all[] = {
      check_status::l4ok,   check_status::l4tout, check_status::l4con,  check_status::l6ok,
      check_status::l6tout, check_status::l6rsp,  check_status::l7tout, check_status::l7rsp,
      check_status::l7ok,   check_status::l7okc,  check_status::l7sts};
  for (const check_status s : all) {
    if (status_name(s) == upper) {
      return s;
    }
  }
  return std::nullopt;
}

bool parse_status_ranges(std::string_view text, std::vector<std::pair<int, int>>& out) {
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t dash = item.find('-');
    int low = 0;
    int high = 0;
    if (!parse_number(item.substr(0, dash), low)) {
      return false;
    }
    high = low;
    if (dash != std::string_view::npos && !parse_number(item.substr(dash + 1), high)) {
      return false;
    }
    if (low > high) {
      return false;
    }
    out.emplace_back(low, high);
    if (comma == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(comma + 1);
  }
}

// A rule's words after the action, read one by one.
struct word_reader {
  const std::vector<std::string>& words_;
  std::size_t next_ = 1;
  std::string& error_;

  bool done() const { return next_ >= words_.size(); }
  const std::string& take() { return words_[next_++]; }
  bool value(const std::string& keyword, std::string& out) {
    if (done()) {
      error_ = "'" + keyword + "' expects an argument";
      return false;
    }
    out = take();
    return true;
  }
};

// "on-success"/"on-error" texts: Tandem runs them as plain text, not log-formats.
bool literal_text(const std::string& keyword, const std::string& text, std::string& error) {
  if (text.find('%') != std::string::npos) {
    error = "'" + keyword + " " + text +
            "': log-format expressions in check messages are not "
            "supported by Tandem";
    return false;
  }
  return true;
}

std::optional<expect_step> parse_expect(const std::vector<std::string>& words, bool http,
                                        std::string& error) {
  expect_step e;
  word_reader r{words, 1, error};
  bool have_pattern = false;
  while (!r.done()) {
    std::string w = r.take();
    if (!w.empty() && w[0] == '!') {
      std::size_t bangs = 0;
      while (bangs < w.size() && w[bangs] == '!') {
        ++bangs;
      }
      if (bangs % 2 == 1) {
        e.inverse_ = !e.inverse_;
      }
      w.erase(0, bangs);
      if (w.empty()) {
        continue;
      }
    }
    std::string arg;
    if (w == "min-recv") {
      if (!r.value(w, arg) || !parse_number(arg, e.min_recv_) || e.min_recv_ < -1) {
        error = error.empty() ? "'min-recv' expects -1 or a positive integer" : error;
        return std::nullopt;
      }
    } else if (w == "string" || w == "rstring" || w == "binary" || w == "rbinary" ||
               w == "status" || w == "rstatus") {
      if (have_pattern) {
        error = "only one pattern is expected";
        return std::nullopt;
      }
      const bool is_http_only = w == "status" || w == "rstatus";
      const bool is_tcp_only = w == "binary" || w == "rbinary";
      if ((http && is_tcp_only) || (!http && is_http_only)) {
        error = "'" + w + "' is not allowed in " + (http ? "http-check" : "tcp-check") +
                " expect rules";
        return std::nullopt;
      }
      if (!r.value(w, arg)) {
        return std::nullopt;
      }
      have_pattern = true;
      e.pattern_ = arg;
      if (w == "string") {
        e.kind_ = http ? expect_kind::http_string : expect_kind::string;
      } else if (w == "rstring") {
        e.kind_ = http ? expect_kind::http_rstring : expect_kind::rstring;
      } else if (w == "binary") {
        e.kind_ = expect_kind::binary;
        const std::optional<std::string> bytes = decode_hex(arg);
        if (!bytes) {
          error = "invalid binary string '" + arg + "'";
          return std::nullopt;
        }
        e.pattern_ = *bytes;
      } else if (w == "rbinary") {
        e.kind_ = expect_kind::rbinary;
      } else if (w == "status") {
        e.kind_ = expect_kind::http_status;
        if (!parse_status_ranges(arg, e.statuses_)) {
          error = "invalid list of status codes '" + arg + "'";
          return std::nullopt;
        }
      } else {
        e.kind_ = expect_kind::http_rstatus;
      }
    } else if (w == "comment") {
      if (!r.value(w, e.comment_)) {
        return std::nullopt;
      }
    } else if (w == "on-success" || w == "on-error") {
      if (!r.value(w, arg) || !literal_text(w, arg, error)) {
        return std::nullopt;
      }
      (w == "on-success" ? e.on_success_ : e.on_error_) = info_source::literal;
      (w == "on-success" ? e.on_success_text_ : e.on_error_text_) = arg;
    } else if (w == "ok-status" || w == "error-status" || w == "tout-status") {
      if (!r.value(w, arg)) {
        return std::nullopt;
      }
      const std::optional<check_status> s = status_named(arg);
      if (!s) {
        error = "'" + w + "' does not know the status '" + arg + "'";
        return std::nullopt;
      }
      (w == "ok-status"      ? e.ok_status_
       : w == "error-status" ? e.error_status_
                             : e.timeout_status_) = *s;
    } else {
      error = "'" + w + "' in an expect rule is not supported by Tandem";
      return std::nullopt;
    }
  }
  if (!have_pattern) {
    error = "an expect rule needs a pattern";
    return std::nullopt;
  }
  return e;
}

std::optional<connect_step> parse_connect(const std::vector<std::string>& words,
                                          std::string& error) {
  connect_step c;
  word_reader r{words, 1, error};
  while (!r.done()) {
    const std::string w = r.take();
    std::string arg;
    if (w == "default" || w == "linger") {
      continue;
    }
    if (w == "port") {
      std::uint16_t port = 0;
      if (!r.value(w, arg) || !parse_number(arg, port) || port == 0) {
        error =
            "'port' of a connect rule must be a port number (Tandem runs no sample "
            "expression there)";
        return std::nullopt;
      }
      c.port_ = port;
    } else if (w == "addr") {
      std::optional<std::uint16_t> port;
      if (!r.value(w, arg) || !split_host_port(arg, c.address_, port)) {
        error = error.empty() ? "invalid address '" + arg + "' in a connect rule" : error;
        return std::nullopt;
      }
      if (!c.port_) {
        c.port_ = port;
      }
    } else if (w == "comment") {
      if (!r.value(w, c.comment_)) {
        return std::nullopt;
      }
    } else {
      error = "'" + w + "' in a connect rule is not supported by Tandem";
      return std::nullopt;
    }
  }
  return c;
}

std::optional<send_step> parse_tcp_send(const std::vector<std::string>& words, std::string& error) {
  send_step s;
  const std::string& action = words[0];
  if (action == "send-lf" || action == "send-binary-lf") {
    error = "'" + action + "' (log-format) is not supported by Tandem";
    return std::nullopt;
  }
  word_reader r{words, 1, error};
  if (!r.value(action, s.data_)) {
    return std::nullopt;
  }
  if (action == "send-binary") {
    const std::optional<std::string> bytes = decode_hex(s.data_);
    if (!bytes) {
      error = "invalid binary string '" + s.data_ + "'";
      return std::nullopt;
    }
    s.data_ = *bytes;
  }
  while (!r.done()) {
    const std::string w = r.take();
    if (w != "comment" || !r.value(w, s.comment_)) {
      error = error.empty() ? "'" + w + "' in a send rule is not supported" : error;
      return std::nullopt;
    }
  }
  return s;
}

// An http-check send rule, and which request fields it sets.
struct http_send {
  send_step step_;
  bool method_ = false, uri_ = false, version_ = false, body_ = false;
  parsers::source_position position_;
};

std::optional<http_send> parse_http_send(const std::vector<std::string>& words,
                                         std::string& error) {
  http_send s;
  s.step_.form_ = send_step::form::http;
  http_request& q = s.step_.http_;
  word_reader r{words, 1, error};
  bool host = false;
  while (!r.done()) {
    const std::string w = r.take();
    if (w == "meth") {
      s.method_ = r.value(w, q.method_);
    } else if (w == "uri") {
      s.uri_ = r.value(w, q.uri_);
    } else if (w == "ver") {
      s.version_ = r.value(w, q.version_);
    } else if (w == "body") {
      s.body_ = r.value(w, q.body_);
    } else if (w == "comment") {
      r.value(w, s.step_.comment_);
    } else if (w == "hdr") {
      std::string name;
      std::string value;
      if (!r.value(w, name) || !r.value(w, value)) {
        error = "'hdr' expects <name> and <value> as arguments";
        return std::nullopt;
      }
      std::string lower = name;
      for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (lower == "content-length" || lower == "transfer-encoding") {
        continue;  // HAProxy sets these itself
      }
      if (lower == "host") {
        if (host) {
          error = "'host' header already defined";
          return std::nullopt;
        }
        host = true;
      }
      if (value.find('%') != std::string::npos) {
        error = "log-format header values are not supported by Tandem";
        return std::nullopt;
      }
      q.headers_.emplace_back(name, value);
    } else {
      error = "'" + w + "' in an http-check send rule is not supported by Tandem";
      return std::nullopt;
    }
    if (!error.empty()) {
      return std::nullopt;
    }
  }
  return s;
}

// Hands comment rules' text to the rules after them, as HAProxy does: a connect takes it
// and ends it; sends and expects keep it for the following rules of the same action.
struct parsed_rule {
  std::string action_;  // connect, send, expect, comment
  int number_ = 0;      // HAProxy's step number: the line's rank among the keyword's lines
  check_step step_;
  parsers::source_position position_;
  std::optional<http_send> http_send_;
};

void apply_comments(std::vector<parsed_rule>& rules) {
  std::string comment;
  std::string previous = "comment";
  std::vector<parsed_rule> kept;
  for (parsed_rule& rule : rules) {
    if (rule.action_ != previous && previous != "comment") {
      comment.clear();
    }
    previous = rule.action_;
    if (rule.action_ == "comment") {
      comment = std::get<connect_step>(rule.step_).comment_;
      continue;
    }
    std::visit(
        [&](auto& step) {
          if (step.comment_.empty()) {
            step.comment_ = comment;
          }
        },
        rule.step_);
    if (rule.http_send_ && rule.http_send_->step_.comment_.empty()) {
      rule.http_send_->step_.comment_ = comment;
    }
    if (rule.action_ == "connect") {
      comment.clear();
    }
    kept.push_back(std::move(rule));
  }
  rules = std::move(kept);
}

std::optional<std::vector<parsed_rule>> parse_rules(const hap::proxy& section,
                                                    std::string_view keyword, std::string& error) {
  const bool http = keyword == "http-check";
  std::vector<parsed_rule> out;
  int number = 0;
  for (const hap::rule& rule : section.rules_) {
    if (rule.keyword_ != keyword || rule.words_.empty()) {
      continue;
    }
    const std::string& action = rule.words_[0];
    if (http && (action == "disable-on-404" || action == "send-state")) {
      continue;  // proxy settings, not rules
    }
    parsed_rule p;
    p.position_ = rule.position_;
    p.number_ = ++number;
    p.action_ = action;
    if (action == "connect") {
      std::optional<connect_step> c = parse_connect(rule.words_, error);
      if (!c) {
        return std::nullopt;
      }
      p.step_ = std::move(*c);
    } else if (action == "expect") {
      std::optional<expect_step> e = parse_expect(rule.words_, http, error);
      if (!e) {
        return std::nullopt;
      }
      p.step_ = std::move(*e);
    } else if (action == "comment") {
      connect_step holder;
      if (rule.words_.size() < 2) {
        error = "'comment' expects a string as argument";
        return std::nullopt;
      }
      holder.comment_ = rule.words_[1];
      p.step_ = std::move(holder);
    } else if (http && action == "send") {
      p.http_send_ = parse_http_send(rule.words_, error);
      if (!p.http_send_) {
        return std::nullopt;
      }
      p.http_send_->position_ = rule.position_;
      p.step_ = p.http_send_->step_;
    } else if (!http && action.starts_with("send")) {
      std::optional<send_step> s = parse_tcp_send(rule.words_, error);
      if (!s) {
        return std::nullopt;
      }
      p.action_ = "send";
      p.step_ = std::move(*s);
    } else {
      error = "'" + std::string(keyword) + " " + action + "' is not supported by Tandem";
      return std::nullopt;
    }
    if (!error.empty()) {
      return std::nullopt;
    }
    out.push_back(std::move(p));
  }
  apply_comments(out);
  return out;
}

// `later` written over `earlier`: each request field the later one sets wins; its headers
// replace the earlier ones when it has any (measured on HAProxy 2.6).
http_request merge_requests(const http_send& earlier, const http_send& later) {
  http_request q = earlier.step_.http_;
  const http_request& l = later.step_.http_;
  if (later.method_) {
    q.method_ = l.method_;
  }
  if (later.uri_) {
    q.uri_ = l.uri_;
  }
  if (later.version_) {
    q.version_ = l.version_;
  }
  if (later.body_) {
    q.body_ = l.body_;
  }
  if (!l.headers_.empty()) {
    q.headers_ = l.headers_;
  }
  return q;
}

// The request of an `option httpchk` line, with the fields its arguments set.
http_send option_request(const hap::option_setting& option, const hap::http_check& check) {
  http_send s;
  s.step_.form_ = send_step::form::http;
  s.step_.http_.method_ = check.method_;
  s.step_.http_.uri_ = check.uri_;
  s.step_.http_.version_ = check.version_;
  s.step_.http_.headers_ = check.headers_;
  const std::size_t n = option.arguments_.size();
  s.uri_ = n >= 1;
  s.method_ = n >= 2;
  s.version_ = n >= 3;
  s.position_ = option.position_;
  return s;
}

void add_implicit_connect(std::vector<check_step>& steps) {
  if (steps.empty() || !std::holds_alternative<connect_step>(steps.front())) {
    connect_step c;
    c.implicit_ = true;
    steps.insert(steps.begin(), std::move(c));
  }
}

std::optional<std::vector<check_step>> http_steps(const hap::proxy& backend,
                                                  const hap::proxy* defaults, std::string& error) {
  std::optional<std::vector<parsed_rule>> own = parse_rules(backend, "http-check", error);
  if (!own) {
    return std::nullopt;
  }
  const auto option_of = [](const hap::proxy& p) -> const hap::option_setting* {
    const auto it = p.options_.find("httpchk");
    return it != p.options_.end() && it->second.enabled_ ? &it->second : nullptr;
  };
  const hap::option_setting* option = option_of(backend);
  const bool own_option = option != nullptr && written_in(option->position_, backend);
  std::vector<parsed_rule> rules;
  std::optional<http_send> implicit;
  if (!own->empty() || own_option || defaults == nullptr) {
    rules = std::move(*own);
    if (option != nullptr && (own_option || rules.empty()) && backend.http_check_) {
      implicit = option_request(*option, *backend.http_check_);
    }
  } else {
    std::optional<std::vector<parsed_rule>> inherited = parse_rules(*defaults, "http-check", error);
    if (!inherited) {
      return std::nullopt;
    }
    rules = std::move(*inherited);
    const hap::option_setting* from_defaults = option_of(*defaults);
    if (from_defaults != nullptr && defaults->http_check_) {
      implicit = option_request(*from_defaults, *defaults->http_check_);
    }
  }
  std::vector<check_step> steps;
  std::optional<std::size_t> first_send;
  for (parsed_rule& rule : rules) {
    if (!first_send && rule.action_ != "connect") {
      if (rule.action_ == "send") {
        first_send = steps.size();
      } else {
        first_send = std::numeric_limits<std::size_t>::max();
      }
    }
    if (rule.http_send_) {
      rule.step_ = rule.http_send_->step_;
    }
    steps.push_back(std::move(rule.step_));
  }
  if (implicit) {
    if (first_send && *first_send != std::numeric_limits<std::size_t>::max()) {
      // The option's request and the first send rule are one request, later line winning.
      const http_send& rule = *rules[*first_send].http_send_;
      auto& step = std::get<send_step>(steps[*first_send]);
      step.http_ = before(implicit->position_, rule.position_) ? merge_requests(*implicit, rule)
                                                               : merge_requests(rule, *implicit);
    } else {
      const bool starts_with_connect =
          !steps.empty() && std::holds_alternative<connect_step>(steps.front());
      steps.insert(steps.begin() + (starts_with_connect ? 1 : 0), implicit->step_);
    }
  }
  if (steps.empty() || std::holds_alternative<send_step>(steps.back())) {
    steps.emplace_back(default_http_expect());
  }
  add_implicit_connect(steps);
  return steps;
}

std::optional<std::vector<check_step>> tcp_check_steps(const hap::proxy& backend,
                                                       const hap::proxy* defaults,
                                                       std::vector<int>& step_numbers,
                                                       std::string& error) {
  std::optional<std::vector<parsed_rule>> rules = parse_rules(backend, "tcp-check", error);
  if (rules && rules->empty() && defaults != nullptr) {
    rules = parse_rules(*defaults, "tcp-check", error);
  }
  if (!rules) {
    return std::nullopt;
  }
  std::vector<check_step> steps;
  std::vector<int> numbers;
  for (parsed_rule& rule : *rules) {
    steps.push_back(std::move(rule.step_));
    numbers.push_back(rule.number_);
  }
  if (steps.empty() || !std::holds_alternative<connect_step>(steps.front())) {
    numbers.insert(numbers.begin(), 0);
  }
  add_implicit_connect(steps);
  step_numbers = std::move(numbers);
  return steps;
}

// The check option in force: the last one written (a backend's own lines come after the
// defaults' it inherited).
struct chosen_kind {
  std::optional<check_kind> kind_;
  std::string name_;
  const hap::option_setting* option_ = nullptr;
};

chosen_kind check_kind_of(const hap::proxy& backend) {
  static constexpr std::pair<std::string_view, std::optional<check_kind>> kinds[] = {
      {"httpchk", check_kind::http},
      {"smtpchk", check_kind::smtp},
      {"ssl-hello-chk", check_kind::ssl_hello},
      {"mysql-check", check_kind::mysql},
      {"pgsql-check", check_kind::pgsql},
      {"redis-check", check_kind::redis},
      {"ldap-check", check_kind::ldap},
      {"tcp-check", check_kind::tcp_check},
      {"external-check", std::nullopt},
      {"spop-check", std::nullopt},
  };
  chosen_kind out;
  out.kind_ = check_kind::tcp;
  for (const auto& [name, kind] : kinds) {
    const auto it = backend.options_.find(name);
    if (it == backend.options_.end() || !it->second.enabled_) {
      continue;
    }
    if (out.option_ == nullptr || before(out.option_->position_, it->second.position_)) {
      out.option_ = &it->second;
      out.kind_ = kind;
      out.name_ = std::string(name);
    }
  }
  return out;
}

bool read_unsigned(const option_list& options, std::string_view name, std::uint32_t& out,
                   std::string& error) {
  const std::string* v = last_value(options, name);
  if (v == nullptr) {
    return true;
  }
  std::uint32_t n = 0;
  if (!parse_number(*v, n) || n == 0) {
    error = "'" + std::string(name) + "' has to be > 0";
    return false;
  }
  out = n;
  return true;
}

void read_time(const option_list& options, std::string_view name, duration& out) {
  if (const std::string* v = last_value(options, name)) {
    // HAProxy 2.6 only warns about a bad server timer and keeps its default.
    if (const std::optional<duration> t = parse_time(*v); t && *t > duration::zero()) {
      out = *t;
    }
  }
}

}  // namespace

bool has_check(const hap::proxy& backend, const hap::server& server) {
  bool check = false;
  for (const auto& [name, value] : server_options(backend, server)) {
    if (name == "check") {
      check = true;
    } else if (name == "no-check") {
      check = false;
    }
  }
  return check;
}

check_spec from_model(const hap::proxy& backend, const hap::server& server,
                      const hap::proxy* defaults, std::string& error) {
  check_spec spec;
  spec.backend_ = backend.name_;
  spec.server_ = server.name_;
  const option_list options = server_options(backend, server);
  spec.backup_ = server.backup_;
  for (const auto& [name, value] : options) {
    if (name == "backup") {
      spec.backup_ = true;
    } else if (name == "no-backup") {
      spec.backup_ = false;
    }
  }
  if (!has_check(backend, server)) {
    error = "server '" + server.name_ + "' has no 'check'";
    return spec;
  }
  const std::string& family = server.address_.family_;
  if (!(family.empty() || family == "ipv4" || family == "ipv6" || family.starts_with("tcp"))) {
    error = "checks of '" + family + "@' servers are not supported by Tandem";
    return spec;
  }
  spec.address_ = server.address_.host_ == "*" ? "" : server.address_.host_;
  if (server.address_.port_ && !server.address_.port_offset_) {
    spec.port_ = *server.address_.port_;
  }

  // Timing: default-server first, then the server's own options.
  if (!read_unsigned(options, "rise", spec.health_.rise_, error) ||
      !read_unsigned(options, "fall", spec.health_.fall_, error)) {
    return spec;
  }
  read_time(options, "inter", spec.health_.inter_);
  read_time(options, "fastinter", spec.health_.fastinter_);
  read_time(options, "downinter", spec.health_.downinter_);
  if (const std::string* v = last_value(options, "port")) {
    std::uint16_t port = 0;
    if (!parse_number(*v, port)) {
      error = "invalid check port '" + *v + "'";
      return spec;
    }
    spec.check_port_ = port;
  }
  if (const std::string* v = last_value(options, "addr")) {
    std::optional<std::uint16_t> port;
    if (!split_host_port(*v, spec.check_address_, port)) {
      error = "invalid check address '" + *v + "'";
      return spec;
    }
    if (!spec.check_port_) {
      spec.check_port_ = port;
    }
  }
  for (const char* unsupported : {"check-send-proxy", "check-via-socks4",
                                  "agent-check", "check-proto", "check-alpn", "check-sni"}) {
    if (last_value(options, unsupported) != nullptr) {
      error = "'" + std::string(unsupported) + "' is not supported by Tandem's checks yet";
      return spec;
    }
  }
  if (const auto it = backend.timeouts_.find("check");
      it != backend.timeouts_.end() && it->second) {
    spec.timeout_check_ = duration(static_cast<duration::rep>(it->second));
  }
  if (const auto it = backend.timeouts_.find("connect");
      it != backend.timeouts_.end() && it->second) {
    spec.timeout_connect_ = duration(static_cast<duration::rep>(it->second));
  }

  const chosen_kind chosen = check_kind_of(backend);
  if (!chosen.kind_) {
    error = "'option " + chosen.name_ + "' is not supported by Tandem";
    return spec;
  }
  spec.kind_ = *chosen.kind_;
  const std::vector<std::string> no_arguments;
  const std::vector<std::string>& args =
      chosen.option_ != nullptr ? chosen.option_->arguments_ : no_arguments;
  std::optional<std::vector<check_step>> steps;
  switch (spec.kind_) {
    case check_kind::tcp:
      steps = tcp_connect_steps();
      break;
    case check_kind::http:
      steps = http_steps(backend, defaults, error);
      break;
    case check_kind::smtp:
      steps = smtp_steps(args.size() >= 2 && (args[0] == "HELO" || args[0] == "EHLO")
                             ? args[0] + " " + args[1]
                             : std::string("HELO localhost"));
      break;
    case check_kind::ssl_hello:
      steps = ssl_hello_steps();
      break;
    case check_kind::mysql: {
      std::optional<std::string> user;
      bool post_41 = true;
      if (!args.empty()) {
        if (args[0] != "user" || args.size() < 2) {
          error = "'option mysql-check' only supports 'user <username> [post-41|pre-41]'";
          return spec;
        }
        user = args[1];
        if (args.size() >= 3) {
          if (args[2] != "post-41" && args[2] != "pre-41") {
            error = "'option mysql-check' only supports 'post-41' and 'pre-41'";
            return spec;
          }
          post_41 = args[2] == "post-41";
        }
      }
      steps = mysql_steps(user, post_41);
      break;
    }
    case check_kind::pgsql:
      if (args.size() < 2 || args[0] != "user") {
        error = "'option pgsql-check' expects 'user <username>'";
        return spec;
      }
      steps = pgsql_steps(args[1]);
      break;
    case check_kind::redis:
      steps = redis_steps();
      break;
    case check_kind::ldap:
      steps = ldap_steps();
      break;
    case check_kind::tcp_check:
      steps = tcp_check_steps(backend, defaults, spec.step_numbers_, error);
      break;
  }
  if (!steps) {
    return spec;
  }
  spec.steps_ = std::move(*steps);
  if (spec.kind_ == check_kind::http) {
    const auto disables = [](const hap::proxy& p) {
      return std::any_of(p.rules_.begin(), p.rules_.end(), [](const hap::rule& r) {
        return r.keyword_ == "http-check" && !r.words_.empty() && r.words_[0] == "disable-on-404";
      });
    };
    spec.disable_on_404_ = disables(backend) || (defaults != nullptr && disables(*defaults));
  }

  // HAProxy refuses a checked server with no port to check, unless every connect rule of a
  // tcp-check names one.
  if (spec.port_ == 0 && !spec.check_port_) {
    const bool all_connects_have_ports =
        std::all_of(spec.steps_.begin(), spec.steps_.end(), [](const check_step& s) {
          const auto* c = std::get_if<connect_step>(&s);
          return c == nullptr || c->port_.has_value();
        });
    if (!all_connects_have_ports) {
      error = "server '" + server.name_ + "' has neither service port nor check port";
      return spec;
    }
  }
  std::string why;
  if (!check_program::compile(spec, why)) {
    error = why;
  }
  return spec;
}

check_spec from_model(const hap::proxy& backend, const hap::server& server, std::string& error) {
  return from_model(backend, server, nullptr, error);
}

const hap::proxy* defaults_of(const hap::config_model& model, const hap::proxy& backend) {
  const hap::proxy* found = nullptr;
  for (const hap::proxy& d : model.defaults_) {
    if (!backend.from_.empty()) {
      if (d.name_ == backend.from_ && before(d.position_, backend.position_)) {
        found = &d;
      }
    } else if (before(d.position_, backend.position_)) {
      found = &d;
    }
  }
  return found;
}

unsigned spread_checks(const hap::config_model& model) {
  unsigned out = 0;
  for (const hap::words_at& line : model.global_.other_) {
    if (line.words_.size() >= 2 && line.words_[0] == "spread-checks") {
      unsigned n = 0;
      if (parse_number(std::string_view(line.words_[1]), n)) {
        out = std::min(n, 50U);
      }
    }
  }
  return out;
}

}  // namespace tandem::runtime::assemble
