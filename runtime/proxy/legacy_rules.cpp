// See legacy_rules.hpp. The line walk follows HAProxy 1.8's apply_filter_to_req_line(),
// apply_filter_to_req_headers() and their response twins.
#include "runtime/proxy/legacy_rules.hpp"

#include <cstring>

namespace tandem::runtime::proxy {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool token_char(char c) {
  return c > ' ' && c < 127 && std::strchr("()<>@,;:\\\"/[]?={}", c) == nullptr;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  return v;
}

std::string version_text(int major, int minor) {
  return "HTTP/" + std::to_string(major) + "." + std::to_string(minor);
}

// "HTTP/x.y"; HAProxy keeps versions up to 1.1 and sends anything higher as 1.1.
bool parse_version(std::string_view v, int& major, int& minor) {
  if (v.size() != 8 || !v.starts_with("HTTP/") || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
      v[7] < '0' || v[7] > '9') {
    return false;
  }
  major = v[5] - '0';
  minor = v[7] - '0';
  if (major > 1 || (major == 1 && minor > 1)) {
    major = 1;
    minor = 1;
  }
  return true;
}

// A rewritten header line back into a header; false when it is no longer "name: value".
bool parse_header_line(std::string_view line, http::header& out) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  std::string name;
  for (const char c : line.substr(0, colon)) {
    if (!token_char(c)) {
      return false;
    }
    name.push_back(lower(c));
  }
  const std::string_view value = trim(line.substr(colon + 1));
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    return false;
  }
  out.name_ = std::move(name);
  out.value_ = std::string(value);
  return true;
}

// Searches a header line in its two spellings (see the header); `line` keeps the one matched.
bool match_header(const acl::regex& re, const http::header& h, std::string& line,
                  acl::regex::groups& g) {
  line = title_case(h.name_) + ": " + h.value_;
  if (re.search(line, 0, false, g)) {
    return true;
  }
  std::string plain = h.name_ + ": " + h.value_;
  if (plain == line) {
    return false;
  }
  line = std::move(plain);
  return re.search(line, 0, false, g);
}

legacy_verdict verdict_of(http_action a) {
  switch (a) {
    case http_action::legacy_allow:
      return legacy_verdict::allow;
    case http_action::legacy_deny:
      return legacy_verdict::deny;
    case http_action::legacy_tarpit:
      return legacy_verdict::tarpit;
    default:
      return legacy_verdict::none;
  }
}

// The header part, shared by requests and responses: replace every matching line, delete every
// matching line, or give the verdict of the first matching one.
legacy_verdict apply_to_headers(const http_rule& rule, std::vector<http::header>& headers) {
  std::string line;
  acl::regex::groups g;
  for (std::size_t i = 0; i < headers.size();) {
    if (!match_header(*rule.regex_, headers[i], line, g)) {
      ++i;
      continue;
    }
    switch (rule.action_) {
      case http_action::legacy_replace: {
        http::header rewritten;
        // A line that is no longer a header cannot be sent as one: it goes (1.8 sent it as
        // it was, which the server then read as it could).
        if (parse_header_line(expand_legacy_replacement(rule.line_, line, g), rewritten)) {
          headers[i] = std::move(rewritten);
          ++i;
        } else {
          headers.erase(headers.begin() + static_cast<std::ptrdiff_t>(i));
        }
        break;
      }
      case http_action::legacy_delete:
        headers.erase(headers.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      default:
        return verdict_of(rule.action_);
    }
  }
  return legacy_verdict::none;
}

// reqadd/rspadd lines that the model could not turn into add-header ("X-A:b c", odd names).
void add_line(const http_rule& rule, std::vector<http::header>& headers) {
  http::header h;
  if (parse_header_line(rule.line_, h)) {
    headers.push_back(std::move(h));
  }
}

class line_condition final : public acl::condition {
 public:
  line_condition(std::shared_ptr<const acl::regex> re, std::unique_ptr<acl::condition> also)
      : re_(std::move(re)), also_(std::move(also)) {}

  bool evaluate(const acl::sample_source& s) const override {
    const http::request_head* r = s.request();
    if (r == nullptr || re_ == nullptr) {
      return false;
    }
    if (also_ != nullptr && !also_->evaluate(s)) {
      return false;
    }
    try {
      acl::regex::groups g;
      const std::string start =
          r->method_ + " " + r->target_ + " " + version_text(r->version_major_, r->version_minor_);
      if (re_->search(start, 0, false, g)) {
        return true;
      }
      std::string line;
      for (const http::header& h : r->headers_) {
        if (match_header(*re_, h, line, g)) {
          return true;
        }
      }
    } catch (...) {
      // Only allocation throws here: a switch that cannot be evaluated does not apply.
    }
    return false;
  }

 private:
  std::shared_ptr<const acl::regex> re_;
  std::unique_ptr<acl::condition> also_;
};

}  // namespace

std::string title_case(std::string_view name) {
  std::string out(name);
  bool start = true;
  for (char& c : out) {
    c = start ? upper(c) : lower(c);
    start = c == '-';
  }
  return out;
}

std::string expand_legacy_replacement(std::string_view replacement, std::string_view subject,
                                      const acl::regex::groups& g) {
  std::string out;
  for (std::size_t i = 0; i < replacement.size(); ++i) {
    const char c = replacement[i];
    if (c != '\\' || i + 1 >= replacement.size()) {
      out.push_back(c);
      continue;
    }
    const char next = replacement[++i];
    if (next >= '0' && next <= '9') {
      const std::size_t n = static_cast<std::size_t>(next - '0');
      if (n < g.count_ && g.begin_[n] != std::string_view::npos) {
        out.append(subject.substr(g.begin_[n], g.end_[n] - g.begin_[n]));
      }
    } else {
      out.push_back(next);
    }
  }
  return out;
}

legacy_verdict apply_legacy_rule(const http_rule& rule, http::request_head& request) {
  if (rule.action_ == http_action::legacy_add) {
    add_line(rule, request.headers_);
    return legacy_verdict::none;
  }
  if (rule.regex_ == nullptr) {
    return legacy_verdict::none;
  }
  // The request line first; a delete never applies to it.
  if (rule.action_ != http_action::legacy_delete) {
    const std::string start = request.method_ + " " + request.target_ + " " +
                              version_text(request.version_major_, request.version_minor_);
    acl::regex::groups g;
    if (rule.regex_->search(start, 0, false, g)) {
      if (rule.action_ != http_action::legacy_replace) {
        return verdict_of(rule.action_);
      }
      const std::string line = expand_legacy_replacement(rule.line_, start, g);
      const std::size_t sp1 = line.find(' ');
      const std::size_t sp2 = line.rfind(' ');
      if (sp1 == std::string::npos || sp1 == 0 || sp2 == sp1 || sp2 == sp1 + 1) {
        return legacy_verdict::bad_message;
      }
      const std::string_view method = std::string_view(line).substr(0, sp1);
      const std::string_view target = std::string_view(line).substr(sp1 + 1, sp2 - sp1 - 1);
      int major = 0;
      int minor = 0;
      if (!parse_version(std::string_view(line).substr(sp2 + 1), major, minor)) {
        return legacy_verdict::bad_message;
      }
      for (const char m : method) {
        if (!token_char(m))
          return legacy_verdict::bad_message;
      }
      for (const char t : target) {
        if (static_cast<unsigned char>(t) <= ' ' || t == 127)
          return legacy_verdict::bad_message;
      }
      request.method_ = std::string(method);
      request.target_ = std::string(target);
      request.version_major_ = major;
      request.version_minor_ = minor;
      // 1.8: "there is no point trying this regex on headers".
      return legacy_verdict::none;
    }
  }
  return apply_to_headers(rule, request.headers_);
}

legacy_verdict apply_legacy_rule(const http_rule& rule, http::response_head& response) {
  if (rule.action_ == http_action::legacy_add) {
    add_line(rule, response.headers_);
    return legacy_verdict::none;
  }
  if (rule.regex_ == nullptr) {
    return legacy_verdict::none;
  }
  if (rule.action_ != http_action::legacy_delete) {
    std::string start = version_text(response.version_major_, response.version_minor_) + " " +
                        std::to_string(response.status_);
    if (!response.reason_.empty()) {
      start += " " + response.reason_;
    }
    acl::regex::groups g;
    if (rule.regex_->search(start, 0, false, g)) {
      if (rule.action_ != http_action::legacy_replace) {
        return verdict_of(rule.action_);
      }
      const std::string line = expand_legacy_replacement(rule.line_, start, g);
      const std::string_view view = line;
      const std::size_t sp = view.find(' ');
      int major = 0;
      int minor = 0;
      if (sp == std::string_view::npos || !parse_version(view.substr(0, sp), major, minor)) {
        return legacy_verdict::bad_message;
      }
      const std::string_view rest = view.substr(sp + 1);
      if (rest.size() < 3 || rest[0] < '0' || rest[0] > '9' || rest[1] < '0' || rest[1] > '9' ||
          rest[2] < '0' || rest[2] > '9' || (rest.size() > 3 && rest[3] != ' ')) {
        return legacy_verdict::bad_message;
      }
      response.version_major_ = major;
      response.version_minor_ = minor;
      response.status_ =
          static_cast<unsigned>((rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0'));
      response.reason_ = rest.size() > 4 ? std::string(rest.substr(4)) : std::string();
      return legacy_verdict::none;
    }
  }
  return apply_to_headers(rule, response.headers_);
}

std::unique_ptr<acl::condition> legacy_line_condition(std::shared_ptr<const acl::regex> regex,
                                                      std::unique_ptr<acl::condition> also) {
  return std::make_unique<line_condition>(std::move(regex), std::move(also));
}

}  // namespace tandem::runtime::proxy
