// ACLs and conditions (HAProxy 2.6's acl.c): an ACL criterion is a sample expression, its
// matching method and flags, and its patterns; a named ACL is every criterion declared under
// its name, OR'ed; a condition is an OR of AND'ed terms, each an ACL or its negation. Also
// compile_sample() and compile_format() for %[…] and rule arguments.
#include "runtime/proxy/acl/condition.hpp"
#include "parsers/common/text.hpp"

#include <netinet/in.h>

#include <unordered_map>

#include "runtime/proxy/acl/expression.hpp"
#include "runtime/proxy/acl/pattern.hpp"

namespace tandem::runtime::proxy::acl {

using parsers::single_quoted;

namespace hap = parsers::haproxy;

namespace {

// One criterion: `hdr_beg(host) -i www.` or the words inside `{ … }`.
struct criterion {
  std::unique_ptr<expression> expr_;
  pattern_list patterns_{match_kind::found};
  // The http_auth_group ACL keyword (pat_match_auth()): the fetch gives the authenticated
  // user, who must belong to one of these groups of the fetch's userlist.
  std::vector<std::string> groups_;
  bool auth_ = false;
};

// Every criterion declared under one name, in order. Conditions hold it by pointer, so a later
// `acl` line with the same name extends conditions written before it, as in HAProxy.
struct named_acl {
  std::vector<std::unique_ptr<criterion>> criteria_;
};

// The matching method an ACL keyword implies (`haproxy -dKacl`): its suffix, or the few
// keywords whose fetch is not a string.
match_kind acl_keyword_match(std::string_view kw) {
  struct suffix {
    std::string_view text_;
    match_kind kind_;
  };
  static constexpr suffix suffixes[] = {{"_beg", match_kind::beg}, {"_dir", match_kind::dir},
                                        {"_dom", match_kind::dom}, {"_end", match_kind::end},
                                        {"_len", match_kind::len}, {"_reg", match_kind::reg},
                                        {"_sub", match_kind::sub}};
  if (kw == "method") {
    return match_kind::meth;
  }
  if (kw == "payload" || kw == "payload_lv") {
    return match_kind::bin;
  }
  if (kw == "req_rdp_cookie_cnt" || kw == "req.ssl_ver" || kw == "req_ssl_ver") {
    return match_kind::int_;
  }
  for (const suffix& s : suffixes) {
    if (kw.ends_with(s.text_)) {
      return s.kind_;
    }
  }
  return match_kind::str;
}

// The default matching method for a fetch used as an ACL (parse_acl_expr()): by the type of
// the expression; none for binary, methods and untyped values (var()), which need `-m`.
std::optional<match_kind> default_match(hap::sample_type t) {
  switch (t) {
    case hap::sample_type::bool_:
      return match_kind::bool_;
    case hap::sample_type::sint_:
      return match_kind::int_;
    case hap::sample_type::addr_:
    case hap::sample_type::ipv4_:
    case hap::sample_type::ipv6_:
      return match_kind::ip;
    case hap::sample_type::str_:
      return match_kind::str;
    default:
      return std::nullopt;
  }
}

// The part of a word that names a keyword ("lower" of "lower", "map" of "map(f)").
std::string_view name_part(std::string_view v) {
  std::size_t n = 0;
  while (n < v.size() && v[n] != '(' && v[n] != ',') {
    ++n;
  }
  return v.substr(0, n);
}

// strl2llrc_dotted(): "3" or "3.1" as (major << 16) | minor.
std::optional<std::int64_t> dotted_version(std::string_view v) {
  const std::size_t dot = v.find('.');
  std::size_t used = 0;
  const std::int64_t major = leading_integer(v.substr(0, dot), &used);
  if (v.empty() || used != v.substr(0, dot).size() || used == 0 || major < 0 || major >= 65536) {
    return std::nullopt;
  }
  std::int64_t minor = 0;
  if (dot != std::string_view::npos) {
    minor = leading_integer(v.substr(dot + 1), &used);
    if (used != v.size() - dot - 1 || used == 0 || minor < 0 || minor >= 65536) {
      return std::nullopt;
    }
  }
  return (major << 16) | minor;
}

// pat_parse_dotted_ver() patterns ("3.1", "3.0:3.3", "3.1-") as the integer ranges they mean.
std::optional<std::string> dotted_range(std::string_view w) {
  const std::size_t sep = w.find_first_of(":-");
  if (sep == std::string_view::npos) {
    const auto v = dotted_version(w);
    return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
  }
  std::string out;
  if (sep > 0) {
    const auto v = dotted_version(w.substr(0, sep));
    if (!v) {
      return std::nullopt;
    }
    out += std::to_string(*v);
  }
  out += ':';
  if (sep + 1 < w.size()) {
    const auto v = dotted_version(w.substr(sep + 1));
    if (!v) {
      return std::nullopt;
    }
    out += std::to_string(*v);
  }
  return out;
}

// get_std_op().
std::optional<int> int_operator(std::string_view w) {
  static constexpr std::string_view ops[] = {"eq", "gt", "ge", "lt", "le"};
  for (int i = 0; i < 5; ++i) {
    if (w == ops[i]) {
      return i;
    }
  }
  return std::nullopt;
}

std::unique_ptr<criterion> compile_criterion(std::span<const std::string> words,
                                             const userlist_set* users, std::string& error) {
  if (words.empty() || words[0].empty()) {
    error = "missing fetch method";
    return nullptr;
  }
  auto c = std::make_unique<criterion>();
  hap::sample_parts parts;
  hap::sample_result r = hap::parse_sample(words[0], false, true, &parts);
  std::string what = words[0];
  if (r.error_.empty() && !parts.acl_keyword_) {
    // A fetch used as an ACL takes converters from the next words too (sample_parse_expr()
    // with an index). HAProxy still reads those words as patterns afterwards.
    std::size_t next = 1;
    std::string text = words[0];
    while (next < words.size() && hap::find_converter(name_part(words[next])) != nullptr) {
      text += ',';
      text += words[next];
      ++next;
    }
    if (next > 1) {
      r = hap::parse_sample(text, false, true, &parts);
      what = text;
    }
  }
  if (!r.error_.empty()) {
    error = r.error_ + " in ACL expression " + single_quoted(what);
    return nullptr;
  }
  c->expr_ = expression::compile(parts, error, users);
  if (!c->expr_) {
    return nullptr;
  }
  c->auth_ =
      parts.acl_keyword_ && parts.converters_.empty() && parts.fetch_.name_ == "http_auth_group";
  bool explicit_match = false;
  std::optional<match_kind> kind;
  if (parts.acl_keyword_ && parts.converters_.empty()) {
    kind = acl_keyword_match(parts.fetch_.name_);
  } else {
    kind = default_match(c->expr_->output());
  }
  const std::string keyword = parts.fetch_.name_;
  bool icase = false;
  bool as_map = false;
  bool loaded = false;
  std::size_t i = 1;
  while (i < words.size() && !words[i].empty() && words[i][0] == '-') {
    const std::string& flag = words[i];
    if (flag == "--") {
      ++i;
      break;
    }
    if (flag == "-i") {
      icase = true;
    } else if (flag == "-n") {
      // No DNS at pattern load time: Tandem never resolves names in patterns.
    } else if (flag == "-M") {
      as_map = true;
    } else if (flag == "-u") {
      if (i + 1 >= words.size()) {
        error = "missing argument after '-u'";
        return nullptr;
      }
      std::size_t used = 0;
      (void)leading_integer(words[i + 1], &used);
      if (used != words[i + 1].size() || used == 0) {
        error = "the argument of -u must be an integer";
        return nullptr;
      }
      ++i;
    } else if (flag == "-f") {
      if (i + 1 >= words.size()) {
        error = "missing argument after '-f'";
        return nullptr;
      }
      if (!kind) {
        error =
            "matching method must be specified first (using '-m') when using a sample "
            "fetch of this type (" +
            single_quoted(keyword) + ")";
        return nullptr;
      }
      if (c->patterns_.kind() != *kind && c->patterns_.empty()) {
        c->patterns_ = pattern_list(*kind);
      }
      const std::string& path = words[i + 1];
      std::vector<std::string> patterns;
      if (as_map) {
        std::vector<std::pair<std::string, std::string>> entries;
        if (!read_map_file(path, entries, error)) {
          return nullptr;
        }
        for (auto& e : entries) {
          patterns.push_back(std::move(e.first));
        }
      } else if (!read_pattern_file(path, patterns, error)) {
        return nullptr;
      }
      for (const std::string& p : patterns) {
        std::string e;
        if (!c->patterns_.add(p, icase, e)) {
          error = "failed to add pattern from file " + single_quoted(path) + ": " + e;
          return nullptr;
        }
      }
      loaded = true;
      ++i;
    } else if (flag == "-m") {
      if (i + 1 >= words.size()) {
        error = "missing argument after '-m'";
        return nullptr;
      }
      if (loaded) {
        error =
            "'-m' must only be specified before patterns and files in parsing ACL "
            "expression";
        return nullptr;
      }
      const std::optional<match_kind> m = match_kind_named(words[i + 1]);
      if (!m || *m == match_kind::regm) {
        error = "unknown matching method " + single_quoted(words[i + 1]) +
                " when parsing ACL expression";
        return nullptr;
      }
      kind = m;
      explicit_match = true;
      ++i;
    } else {
      error = single_quoted(flag) +
              " is not a valid ACL option. Please use '--' before any pattern beginning with a "
              "'-'";
      return nullptr;
    }
    ++i;
  }
  if (c->auth_) {
    // acl_find_targets(): the patterns are groups the userlist must have. HAProxy reads none
    // when `-m` picked another matcher.
    for (; i < words.size() && !explicit_match; ++i) {
      if (!c->expr_->fetch_userlist()->has_group(words[i])) {
        error = "http_auth_group(): invalid group " + single_quoted(words[i]);
        return nullptr;
      }
      c->groups_.push_back(words[i]);
    }
    if (c->groups_.empty()) {
      error = "http_auth_group(): no groups specified";
      return nullptr;
    }
    return c;
  }
  if (!kind) {
    error =
        "matching method must be specified first (using '-m') when using a sample fetch of "
        "this type (" +
        single_quoted(keyword) + ")";
    return nullptr;
  }
  if (c->patterns_.kind() != *kind) {
    c->patterns_ = pattern_list(*kind);
  }
  // Integer patterns take HAProxy's operators: "gt 5" is "6:", "le 3" is ":3" … The SSL
  // version keywords read "major.minor" versions.
  const bool integers = *kind == match_kind::int_ || *kind == match_kind::len;
  const bool dotted = parts.acl_keyword_ && parts.converters_.empty() &&
                      (keyword == "req.ssl_ver" || keyword == "req_ssl_ver");
  int op = 0;
  for (; i < words.size(); ++i) {
    std::string word = words[i];
    if (integers) {
      if (const std::optional<int> o = int_operator(word)) {
        op = *o;
        continue;
      }
      if (dotted && (op == 0 || word.find_first_of(":-") != std::string::npos)) {
        const std::optional<std::string> range = dotted_range(word);
        if (!range) {
          error = single_quoted(word) + " is not a valid dotted number range";
          return nullptr;
        }
        word = *range;
      } else if (op != 0 && word.find_first_of(":-") == std::string::npos) {
        std::size_t used = 0;
        std::int64_t v = 0;
        if (dotted) {
          const std::optional<std::int64_t> d = dotted_version(word);
          used = d ? word.size() : 0;
          v = d.value_or(0);
        } else {
          v = leading_integer(word, &used);
        }
        if (used != word.size() || word.empty()) {
          error = single_quoted(word) + " is neither a number nor a supported operator";
          return nullptr;
        }
        switch (op) {
          case 1:  // gt
            word = std::to_string(v + 1) + ":";
            break;
          case 2:  // ge
            word = std::to_string(v) + ":";
            break;
          case 3:  // lt
            word = ":" + std::to_string(v - 1);
            break;
          default:  // le
            word = ":" + std::to_string(v);
            break;
        }
      }
    }
    if (!c->patterns_.add(word, icase, error)) {
      return nullptr;
    }
  }
  return c;
}

// One value of a criterion's walk matched?
class match_sink final : public sample_sink {
 public:
  explicit match_sink(const pattern_list& p) : patterns_(p) {}
  bool take(sample& s) override {
    matched_ = patterns_.match(s).has_value();
    return matched_;
  }
  bool matched_ = false;

 private:
  const pattern_list& patterns_;
};

bool criterion_matches(const criterion& c, const sample_source& s) {
  if (c.auth_) {
    const std::optional<sample> user = c.expr_->first(s);
    if (!user) {
      return false;
    }
    for (const std::string& g : c.groups_) {
      if (c.expr_->fetch_userlist()->in_group(user->text(), g)) {
        return true;
      }
    }
    return false;
  }
  match_sink m(c.patterns_);
  c.expr_->run(s, true, m);
  return m.matched_;
}

bool acl_matches(const named_acl& a, const sample_source& s) {
  for (const auto& c : a.criteria_) {
    if (criterion_matches(*c, s)) {
      return true;
    }
  }
  return false;
}

// acl.c's default_acl_list, compiled once for every proxy.
const named_acl* predefined(std::string_view name) {
  struct definition {
    std::string_view name_;
    std::vector<std::string> words_;
  };
  static const std::unordered_map<std::string, named_acl> table = [] {
    const definition defs[] = {
        {"TRUE", {"always_true"}},
        {"FALSE", {"always_false"}},
        {"LOCALHOST", {"src", "127.0.0.1/8", "::1"}},
        {"HTTP", {"req.proto_http"}},
        {"HTTP_1.0", {"req.ver", "1.0"}},
        {"HTTP_1.1", {"req.ver", "1.1"}},
        {"HTTP_2.0", {"req.ver", "2.0"}},
        {"METH_CONNECT", {"method", "CONNECT"}},
        {"METH_DELETE", {"method", "DELETE"}},
        {"METH_GET", {"method", "GET", "HEAD"}},
        {"METH_HEAD", {"method", "HEAD"}},
        {"METH_OPTIONS", {"method", "OPTIONS"}},
        {"METH_POST", {"method", "POST"}},
        {"METH_PUT", {"method", "PUT"}},
        {"METH_TRACE", {"method", "TRACE"}},
        {"HTTP_URL_ABS", {"url_reg", "^[^/:]*://"}},
        {"HTTP_URL_SLASH", {"url_beg", "/"}},
        {"HTTP_URL_STAR", {"url", "*"}},
        {"HTTP_CONTENT", {"req.hdr_val(content-length)", "gt", "0"}},
        {"RDP_COOKIE", {"req.rdp_cookie_cnt", "gt", "0"}},
        {"REQ_CONTENT", {"req.len", "gt", "0"}},
        {"WAIT_END", {"wait_end"}},
    };
    std::unordered_map<std::string, named_acl> out;
    for (const definition& d : defs) {
      std::string error;
      std::unique_ptr<criterion> c = compile_criterion(d.words_, nullptr, error);
      // The definitions are fixed; one that does not compile is a bug here.
      if (c) {
        out[std::string(d.name_)].criteria_.push_back(std::move(c));
      }
    }
    return out;
  }();
  const auto it = table.find(std::string(name));
  return it == table.end() ? nullptr : &it->second;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) {
      return false;
    }
  }
  return true;
}

class compiled_condition final : public condition {
 public:
  struct term {
    std::shared_ptr<const named_acl> acl_;  // owns anonymous and named ACLs alike
    bool negated_ = false;
  };

  bool unless_ = false;
  std::vector<std::vector<term>> suites_;

  bool evaluate(const sample_source& s) const override {
    try {
      bool result = false;
      for (const std::vector<term>& suite : suites_) {
        bool all = true;
        for (const term& t : suite) {
          if (acl_matches(*t.acl_, s) == t.negated_) {
            all = false;
            break;
          }
        }
        if (all) {
          result = true;
          break;
        }
      }
      return result != unless_;
    } catch (...) {
      // Only allocation can throw here; a rule that cannot be evaluated does not apply.
      return false;
    }
  }
};

class compiled_sample final : public sample_expression {
 public:
  explicit compiled_sample(std::unique_ptr<expression> e) : expr_(std::move(e)) {}
  std::optional<std::string> evaluate(const sample_source& s) const override {
    try {
      if (std::optional<sample> v = expr_->first(s)) {
        return to_text(*v);
      }
    } catch (...) {
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<expression> expr_;
};

}  // namespace

struct acl_set::impl {
  std::unordered_map<std::string, std::shared_ptr<named_acl>> named_;
  const userlist_set* userlists_ = nullptr;
};

acl_set::acl_set() : impl_(std::make_unique<impl>()) {}
acl_set::~acl_set() = default;
acl_set::acl_set(acl_set&&) noexcept = default;
acl_set& acl_set::operator=(acl_set&&) noexcept = default;

bool acl_set::add(std::string_view name, std::span<const std::string> words, std::string& error) {
  for (const char c : name) {
    // invalid_char(): names are letters, digits and "-_.:".
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) {
      error = std::string("invalid character in ACL name : '") + c + "'";
      return false;
    }
  }
  std::unique_ptr<criterion> c = compile_criterion(words, impl_->userlists_, error);
  if (!c) {
    return false;
  }
  std::shared_ptr<named_acl>& slot = impl_->named_[std::string(name)];
  if (!slot) {
    slot = std::make_shared<named_acl>();
  }
  slot->criteria_.push_back(std::move(c));
  return true;
}

void acl_set::use_userlists(const userlist_set* users) {
  impl_->userlists_ = users;
}

std::unique_ptr<condition> compile_condition(std::span<const std::string> words,
                                             const acl_set& acls, std::string& error) {
  auto cond = std::make_unique<compiled_condition>();
  if (words.empty() || (words[0] != "if" && words[0] != "unless")) {
    error = "conditions must start with either 'if' or 'unless'";
    return nullptr;
  }
  cond->unless_ = words[0] == "unless";
  std::vector<compiled_condition::term> suite;
  bool negated = false;
  for (std::size_t i = 1; i < words.size(); ++i) {
    std::string_view w = words[i];
    while (!w.empty() && w[0] == '!') {
      negated = !negated;
      w.remove_prefix(1);
    }
    if (w.empty()) {
      continue;
    }
    if (iequal(w, "or") || w == "||") {
      cond->suites_.push_back(std::move(suite));
      suite.clear();
      negated = false;
      continue;
    }
    std::shared_ptr<const named_acl> acl;
    if (w == "{") {
      std::size_t end = i + 1;
      while (end < words.size() && words[end] != "}") {
        ++end;
      }
      if (end >= words.size()) {
        error = "missing closing '}' in condition";
        return nullptr;
      }
      std::unique_ptr<criterion> c =
          compile_criterion(words.subspan(i + 1, end - i - 1), acls.impl_->userlists_, error);
      if (!c) {
        return nullptr;
      }
      auto anonymous = std::make_shared<named_acl>();
      anonymous->criteria_.push_back(std::move(c));
      acl = std::move(anonymous);
      i = end;
    } else if (const auto it = acls.impl_->named_.find(std::string(w));
               it != acls.impl_->named_.end()) {
      acl = it->second;
    } else if (const named_acl* p = predefined(w)) {
      // The predefined table lives as long as the program: a non-owning pointer.
      acl = std::shared_ptr<const named_acl>(std::shared_ptr<const named_acl>(), p);
    } else {
      error = "no such ACL : " + single_quoted(w);
      return nullptr;
    }
    suite.push_back({std::move(acl), negated});
    negated = false;
  }
  cond->suites_.push_back(std::move(suite));
  // HAProxy keeps no empty suite: "if a or" is "if a".
  std::erase_if(cond->suites_, [](const auto& s) { return s.empty(); });
  return cond;
}

std::unique_ptr<sample_expression> compile_sample(std::string_view text, std::string& error,
                                                  const userlist_set* users) {
  hap::sample_parts parts;
  const hap::sample_result r = hap::parse_sample(text, false, false, &parts);
  if (!r.error_.empty()) {
    error = "failed to parse sample expression <" + std::string(text) + "> : " + r.error_;
    return nullptr;
  }
  std::unique_ptr<expression> e = expression::compile(parts, error, users);
  if (!e) {
    return nullptr;
  }
  return std::make_unique<compiled_sample>(std::move(e));
}

namespace {

// A log-format string: literal text, sample expressions, and the few log variables rules use
// that the sample source can answer.
class compiled_format final : public format_string {
 public:
  enum class kind : std::uint8_t {
    literal,
    expr,
    client_ip,
    client_port,
    frontend_ip,
    frontend_port,
    frontend,
    backend
  };
  struct part {
    kind kind_ = kind::literal;
    std::string text_;
    std::unique_ptr<expression> expr_;
    bool quoted_ = false;  // %{+Q}: a log variable written between double quotes
  };
  std::vector<part> parts_;

  std::string evaluate(const sample_source& s) const override {
    std::string out;
    try {
      for (const part& p : parts_) {
        if (p.quoted_) {
          out += '"';
        }
        switch (p.kind_) {
          case kind::literal:
            out += p.text_;
            break;
          case kind::expr:
            append(out, p.expr_->first(s));
            break;
          case kind::client_ip:
          case kind::frontend_ip:
            append(out, address_sample(p.kind_ == kind::client_ip ? s.source() : s.destination()));
            break;
          case kind::client_port:
          case kind::frontend_port:
            append(out, port_sample(p.kind_ == kind::client_port ? s.source() : s.destination()));
            break;
          case kind::frontend:
            out += s.frontend_name();
            break;
          case kind::backend:
            out += s.backend_name();
            break;
        }
        if (p.quoted_) {
          out += '"';
        }
      }
    } catch (...) {
    }
    return out;
  }

 private:
  // In a rule (unlike a log line) a missing sample adds nothing: measured on HAProxy 2.6,
  // "a%[req.hdr(x-none)]b" is "ab".
  static void append(std::string& out, const std::optional<sample>& v) {
    if (v) {
      out += to_text(*v);
    }
  }
};

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::unique_ptr<format_string> compile_format(std::string_view text, std::string& error,
                                              const userlist_set* users) {
  auto f = std::make_unique<compiled_format>();
  std::string literal;
  const auto flush = [&] {
    if (!literal.empty()) {
      compiled_format::part p;
      p.text_ = std::move(literal);
      f->parts_.push_back(std::move(p));
      literal.clear();
    }
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c != '%') {
      literal += c;
      ++i;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      literal += '%';
      i += 2;
      continue;
    }
    ++i;
    if (i >= text.size()) {
      error = "truncated line after '%'";
      return nullptr;
    }
    bool quoted = false;
    if (text[i] == '{') {
      // Options: +Q quotes a log variable; on %[…] HAProxy 2.6 applies none (measured).
      const std::size_t close = text.find('}', i);
      if (close == std::string_view::npos) {
        error = "missing '}' after '%{' in log-format string";
        return nullptr;
      }
      quoted = text.substr(i, close - i).find("+Q") != std::string_view::npos;
      i = close + 1;
    }
    if (i < text.size() && text[i] == '[') {
      ++i;
      const std::string_view rest = text.substr(i);
      hap::sample_parts parts;
      const hap::sample_result r = hap::parse_sample(rest, true, false, &parts);
      if (!r.error_.empty()) {
        error = "failed to parse sample expression <" +
                std::string(rest.substr(0, rest.find(']'))) + "> : " + r.error_;
        return nullptr;
      }
      if (r.end_ >= rest.size() || rest[r.end_] != ']') {
        error = "missing ']' after sample expression " + single_quoted(rest.substr(0, r.end_));
        return nullptr;
      }
      std::unique_ptr<expression> e = expression::compile(parts, error, users);
      if (!e) {
        return nullptr;
      }
      flush();
      compiled_format::part p;
      p.kind_ = compiled_format::kind::expr;
      p.expr_ = std::move(e);
      f->parts_.push_back(std::move(p));
      i += r.end_ + 1;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && alnum(text[end])) {
      ++end;
    }
    if (end == i) {
      // '%' before anything else is dropped: "50%-x" is "50-x" (measured on HAProxy 2.6).
      continue;
    }
    const std::string_view var = text.substr(i, end - i);
    using k = compiled_format::kind;
    std::optional<k> which;
    if (var == "ci") {
      which = k::client_ip;
    } else if (var == "cp") {
      which = k::client_port;
    } else if (var == "fi") {
      which = k::frontend_ip;
    } else if (var == "fp") {
      which = k::frontend_port;
    } else if (var == "f") {
      which = k::frontend;
    } else if (var == "b") {
      which = k::backend;
    }
    if (!which) {
      error = "the log-format variable '%" + std::string(var) + "' is not supported in rules yet";
      return nullptr;
    }
    flush();
    compiled_format::part p;
    p.kind_ = *which;
    p.quoted_ = quoted;
    f->parts_.push_back(std::move(p));
    i = end;
  }
  flush();
  return f;
}

}  // namespace tandem::runtime::proxy::acl
