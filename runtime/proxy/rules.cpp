// See rules.hpp. Responses built here (redirect, auth, return, deny) are byte for byte what
// HAProxy 2.6 sends, measured on the wire: lower-case header names, content-length first.
#include "runtime/proxy/rules.hpp"
#include "runtime/proxy/stick_session.hpp"

#include <algorithm>

#include "runtime/proxy/legacy_rules.hpp"

namespace tandem::runtime::proxy {

std::shared_ptr<const acl::regex> compile_regex(std::string_view pattern, bool ignore_case,
                                                std::string& error) {
  std::optional<acl::regex> r = acl::regex::compile(pattern, ignore_case, error);
  if (!r) {
    error = "regex '" + std::string(pattern) + "': " + error;
    return nullptr;
  }
  return std::make_shared<const acl::regex>(std::move(*r));
}

namespace {

// Replaces what `re` matches in `subject` by `replacement` (\1 … \9 back-references, as
// HAProxy's replace-header); false when it does not match.
bool regex_replace(const acl::regex& re, std::string_view subject, std::string_view replacement,
                   std::string& out) {
  acl::regex::groups g;
  if (!re.search(subject, 0, false, g)) {
    return false;
  }
  // HAProxy's replace-header/replace-value match the whole value: the replacement is built
  // from the back-references only, text outside the match is dropped.
  out.clear();
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    const char c = replacement[i];
    if (c == '\\' && i + 1 < replacement.size() && replacement[i + 1] >= '0' &&
        replacement[i + 1] <= '9') {
      const std::size_t n = static_cast<std::size_t>(replacement[i + 1] - '0');
      if (n < g.count_ && g.begin_[n] != std::string_view::npos) {
        out.append(subject.substr(g.begin_[n], g.end_[n] - g.begin_[n]));
      }
      ++i;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

std::string_view reason_of(unsigned status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Time-out";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 425: return "Too Early";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Time-out";
    default: return "Unknown";
  }
}

std::string redirect_response(const http_rule& rule, const http::request_head& request,
                              session_source& source) {
  std::string target = rule.value_ ? rule.value_->evaluate(source) : std::string();
  std::string_view path = request.target_;
  if (rule.drop_query_) {
    path = path.substr(0, path.find('?'));
  }
  std::string location;
  switch (rule.redirect_) {
    case redirect_kind::location:
      location = target;
      break;
    case redirect_kind::prefix:
      location = target == "/" ? std::string(path) : target + std::string(path);
      break;
    case redirect_kind::scheme: {
      const http::header* host = http::find_header(request.headers_, "host");
      location = target + "://" + (host != nullptr ? host->value_ : std::string()) +
                 std::string(path);
      break;
    }
  }
  if (rule.append_slash_ && !location.empty() && location.back() != '/' &&
      location.find('?') == std::string::npos) {
    location.push_back('/');
  }
  const unsigned code = rule.status_ == 0 ? 302 : rule.status_;
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason_of(code)) +
                    "\r\ncontent-length: 0\r\nlocation: " + location + "\r\n";
  // Measured on 2.6: temporary redirects forbid caching, permanent ones leave it.
  if (code != 301 && code != 308) {
    out += "cache-control: no-cache\r\n";
  }
  out += "\r\n";
  return out;
}

std::string auth_response(std::string_view realm) {
  static constexpr std::string_view body =
      "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this "
      "content.\n</body></html>\n";
  std::string out = "HTTP/1.1 401 Unauthorized\r\ncontent-length: " + std::to_string(body.size()) +
                    "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
                    "www-authenticate: Basic realm=\"" +
                    std::string(realm) + "\"\r\n\r\n";
  out += body;
  return out;
}

std::string return_response(const http_rule& rule, const session_source& source) {
  const unsigned code = rule.status_ == 0 ? 200 : rule.status_;
  const std::string body = rule.body_format_ ? rule.body_format_->evaluate(source) : rule.body_;
  std::string out = "HTTP/1.1 " + std::to_string(code) + " " + std::string(reason_of(code)) +
                    "\r\ncontent-length: " + std::to_string(body.size()) + "\r\n";
  if (!rule.content_type_.empty()) {
    out += "content-type: " + rule.content_type_ + "\r\n";
  }
  for (const auto& [name, value] : rule.headers_) {
    out += name;
    out += ": ";
    out += value ? value->evaluate(source) : std::string();
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

// set-var / unset-var: true when `rule` was one of them (done).
bool apply_variable_rule(const http_rule& rule, session_source& source) {
  if (rule.action_ == http_action::set_var) {
    std::optional<std::string> value;
    if (rule.expression_) value = rule.expression_->evaluate(source);
    else if (rule.value_) value = rule.value_->evaluate(source);  // set-var-fmt
    if (value) source.set_variable(rule.name_, std::move(*value));
    return true;
  }
  if (rule.action_ == http_action::unset_var) {
    source.unset_variable(rule.name_);
    return true;
  }
  return false;
}

template <typename Head>
void apply_header_rule(const http_rule& rule, Head& head, session_source& source) {
  switch (rule.action_) {
    case http_action::add_header:
      head.headers_.push_back({rule.name_, rule.value_ ? rule.value_->evaluate(source) : ""});
      break;
    case http_action::set_header: {
      std::string value = rule.value_ ? rule.value_->evaluate(source) : "";
      http::remove_headers(head.headers_, rule.name_);
      head.headers_.push_back({rule.name_, std::move(value)});
      break;
    }
    case http_action::del_header:
      http::remove_headers(head.headers_, rule.name_);
      break;
    case http_action::replace_header:
    case http_action::replace_value: {
      if (!rule.regex_) break;
      const std::string replacement = rule.value_ ? rule.value_->evaluate(source) : "";
      std::string replaced;
      for (http::header& h : head.headers_) {
        if (h.name_ != rule.name_) continue;
        if (rule.action_ == http_action::replace_header) {
          if (regex_replace(*rule.regex_, h.value_, replacement, replaced)) h.value_ = replaced;
          continue;
        }
        // replace-value: each comma-separated value on its own, matched without its leading
        // blanks. Measured on 2.6: a replaced value loses the blanks before it ("a, b, a" with
        // ^a$ -> A gives "A, b,A"); the others are kept as they were.
        std::string result;
        std::string_view rest = h.value_;
        while (true) {
          const std::size_t comma = rest.find(',');
          std::string_view part = rest.substr(0, comma);
          std::size_t lead = 0;
          while (lead < part.size() && (part[lead] == ' ' || part[lead] == '\t')) ++lead;
          std::size_t trail = part.size();
          while (trail > lead && (part[trail - 1] == ' ' || part[trail - 1] == '\t')) --trail;
          const std::string_view value = part.substr(lead, trail - lead);
          if (regex_replace(*rule.regex_, value, replacement, replaced)) {
            result += replaced;
            result += part.substr(trail);
          } else {
            result += part;
          }
          if (comma == std::string_view::npos) break;
          result += ',';
          rest.remove_prefix(comma + 1);
        }
        h.value_ = result;
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

std::string error_response(unsigned status, const std::map<unsigned, std::string>* first,
                           const std::map<unsigned, std::string>* second,
                           http::error_origin origin) {
  for (const auto* pages : {first, second}) {
    if (pages != nullptr) {
      if (auto it = pages->find(status); it != pages->end()) return it->second;
    }
  }
  if (const std::optional<std::string_view> builtin = http::builtin_error(status, origin)) {
    return std::string(*builtin);
  }
  return std::string(*http::builtin_error(500));
}

rule_outcome run_request_rules(const std::vector<http_rule>& rules, http::request_head& request,
                               session_source& source,
                               const std::map<unsigned, std::string>& error_pages) {
  rule_outcome outcome;
  if (source.backend_ == nullptr) {
    source.legacy_allowed_ = false;  // a new request's frontend rules
  }
  for (const http_rule& rule : rules) {
    if (rule.condition_ != nullptr && !rule.condition_->evaluate(source)) {
      continue;
    }
    switch (rule.action_) {
      case http_action::allow:
        outcome.stop_ = true;
        return outcome;
      case http_action::deny:
        outcome.denied_ = true;
        outcome.response_ = rule.body_.empty()
                                ? error_response(rule.status_ == 0 ? 403 : rule.status_,
                                                 &error_pages, nullptr)
                                : rule.body_;
        return outcome;
      case http_action::tarpit:
        outcome.tarpit_ = true;
        outcome.denied_ = true;
        outcome.response_ =
            error_response(rule.status_ == 0 ? 500 : rule.status_, &error_pages, nullptr);
        return outcome;
      case http_action::auth:
        outcome.response_ = auth_response(rule.realm_);
        outcome.auth_ = true;
        return outcome;
      case http_action::redirect:
        outcome.response_ = redirect_response(rule, request, source);
        return outcome;
      case http_action::return_:
        outcome.response_ = return_response(rule, source);
        return outcome;
      case http_action::reject:
        outcome.denied_ = true;
        outcome.close_ = true;
        return outcome;
      case http_action::set_var:
      case http_action::unset_var:
        apply_variable_rule(rule, source);
        break;
      case http_action::set_path:
      case http_action::set_query:
      case http_action::set_uri:
      case http_action::replace_path: {
        std::string value = rule.value_ ? rule.value_->evaluate(source) : "";
        std::string& target = request.target_;
        const std::size_t q = target.find('?');
        if (rule.action_ == http_action::set_uri) {
          target = value;
        } else if (rule.action_ == http_action::set_path) {
          target = value + (q == std::string::npos ? "" : target.substr(q));
        } else if (rule.action_ == http_action::set_query) {
          target = target.substr(0, q) + "?" + value;
        } else if (rule.regex_) {
          std::string path = target.substr(0, q);
          std::string replaced;
          if (regex_replace(*rule.regex_, path, value, replaced)) {
            target = replaced + (q == std::string::npos ? "" : target.substr(q));
          }
        }
        break;
      }
      case http_action::set_method:
        request.method_ = rule.value_ ? rule.value_->evaluate(source) : request.method_;
        break;
      case http_action::track_sc:
        run_track(rule.track_, source, false, true);
        break;
      case http_action::sc_inc_gpc0:
      case http_action::sc_inc_gpc1:
      case http_action::sc_set_gpt0:
        run_counter_action(rule.action_, rule.track_, source);
        break;
      case http_action::legacy_allow:
      case http_action::legacy_deny:
      case http_action::legacy_tarpit:
        if (source.legacy_allowed_)
          break;
        [[fallthrough]];
      case http_action::legacy_replace:
      case http_action::legacy_delete:
      case http_action::legacy_add:
        switch (apply_legacy_rule(rule, request)) {
          case legacy_verdict::none:
            break;
          case legacy_verdict::allow:
            source.legacy_allowed_ = true;
            break;
          case legacy_verdict::deny:
            outcome.denied_ = true;
            outcome.response_ = error_response(403, &error_pages, nullptr);
            return outcome;
          case legacy_verdict::tarpit:
            outcome.denied_ = true;
            outcome.tarpit_ = true;
            outcome.response_ = error_response(500, &error_pages, nullptr);
            return outcome;
          case legacy_verdict::bad_message:
            outcome.response_ = error_response(400, &error_pages, nullptr);
            return outcome;
        }
        break;
      default:
        apply_header_rule(rule, request, source);
        break;
    }
  }
  return outcome;
}

rule_outcome run_response_rules(const std::vector<http_rule>& rules,
                                http::response_head& response, session_source& source,
                                const std::map<unsigned, std::string>& error_pages) {
  rule_outcome outcome;
  for (const http_rule& rule : rules) {
    if (rule.condition_ != nullptr && !rule.condition_->evaluate(source)) {
      continue;
    }
    switch (rule.action_) {
      case http_action::allow:
        outcome.stop_ = true;
        return outcome;
      case http_action::deny:
        outcome.denied_ = true;
        outcome.response_ =
            error_response(rule.status_ == 0 ? 502 : rule.status_, &error_pages, nullptr);
        return outcome;
      case http_action::return_:
        outcome.response_ = return_response(rule, source);
        return outcome;
      case http_action::set_var:
      case http_action::unset_var:
        apply_variable_rule(rule, source);
        break;
      case http_action::set_status:
        response.status_ = rule.status_;
        response.reason_ = rule.realm_.empty() ? std::string(reason_of(rule.status_)) : rule.realm_;
        break;
      case http_action::legacy_replace:
      case http_action::legacy_delete:
      case http_action::legacy_deny:
      case http_action::legacy_add: {
        const legacy_verdict v = apply_legacy_rule(rule, response);
        if (v == legacy_verdict::deny || v == legacy_verdict::bad_message) {
          outcome.denied_ = v == legacy_verdict::deny;
          outcome.response_ = error_response(502, &error_pages, nullptr);
          return outcome;
        }
        break;
      }
      default:
        apply_header_rule(rule, response, source);
        break;
    }
  }
  return outcome;
}

void run_after_response_rules(const std::vector<http_rule>& rules, http::response_head& response,
                              session_source& source) {
  for (const http_rule& rule : rules) {
    if (rule.condition_ != nullptr && !rule.condition_->evaluate(source)) continue;
    switch (rule.action_) {
      case http_action::allow:
        return;
      case http_action::set_status:
        response.status_ = rule.status_;
        response.reason_ = rule.realm_.empty() ? std::string(reason_of(rule.status_)) : rule.realm_;
        break;
      case http_action::set_var:
      case http_action::unset_var:
        apply_variable_rule(rule, source);
        break;
      default:
        apply_header_rule(rule, response, source);
        break;
    }
  }
}

}  // namespace tandem::runtime::proxy
