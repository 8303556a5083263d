// HAProxy 1.x's req*/rsp* filters as Tandem runs them (runtime/proxy/legacy_rules.hpp), against
// HAProxy 1.8's apply_filter_to_req_line()/_headers() and their response twins: the start line
// first, a whole matching line replaced, every matching header deleted, the first match deciding
// a verdict, reqallow shielding from later verdicts (backend included), and reqsetbe's switch.
// HAProxy 2.6 refuses these lines, so there is no live oracle; compat-tests/proxy runs the same
// lines end to end on Tandem next to their modern twins on both.
#include <gtest/gtest.h>

#include "runtime/proxy/legacy_rules.hpp"
#include "runtime/proxy/rules.hpp"
#include "runtime/proxy/session_source.hpp"

namespace tandem::runtime::proxy {
namespace {

http_rule legacy(http_action action, std::string_view regex, bool icase = false,
                 std::string_view line = {}) {
  http_rule r;
  r.action_ = action;
  if (!regex.empty()) {
    std::string error;
    r.regex_ = compile_regex(regex, icase, error);
    EXPECT_NE(r.regex_, nullptr) << error;
  }
  r.line_ = std::string(line);
  return r;
}

http::request_head request(std::string target = "/old/page") {
  http::request_head h;
  h.method_ = "GET";
  h.target_ = std::move(target);
  h.headers_ = {
      {"host", "foo.example.com"}, {"x-debug", "1"}, {"user-agent", "curl/7.88"}, {"x-debug", "2"}};
  return h;
}

const std::string* value_of(const std::vector<http::header>& headers, std::string_view name) {
  for (const http::header& h : headers) {
    if (h.name_ == name)
      return &h.value_;
  }
  return nullptr;
}

TEST(legacy_replace, request_line_with_groups) {
  // reqrep ^([^\ :]*)\ /old/(.*) \1\ /new/\2 (the reader has turned "\ " into " ").
  http::request_head r = request();
  const http_rule rule =
      legacy(http_action::legacy_replace, "^([^ :]*) /old/(.*)", false, "\\1 /new/\\2");
  EXPECT_EQ(apply_legacy_rule(rule, r), legacy_verdict::none);
  EXPECT_EQ(r.method_, "GET");
  EXPECT_EQ(r.target_, "/new/page");
  EXPECT_EQ(r.version_minor_, 1);
  EXPECT_EQ(*value_of(r.headers_, "host"), "foo.example.com");
}

TEST(legacy_replace, request_line_rewrites_method_and_version) {
  http::request_head r = request("/x");
  EXPECT_EQ(apply_legacy_rule(legacy(http_action::legacy_replace, "^GET (.*) HTTP/1.1$", false,
                                     "HEAD \\1 HTTP/1.0"),
                              r),
            legacy_verdict::none);
  EXPECT_EQ(r.method_, "HEAD");
  EXPECT_EQ(r.target_, "/x");
  EXPECT_EQ(r.version_minor_, 0);
}

TEST(legacy_replace, a_broken_request_line_is_a_bad_request) {
  http::request_head r = request();
  EXPECT_EQ(apply_legacy_rule(legacy(http_action::legacy_replace, "^GET", false, "nonsense"), r),
            legacy_verdict::bad_message);
  EXPECT_EQ(
      apply_legacy_rule(legacy(http_action::legacy_replace, "^GET", false, "GET  HTTP/1.1"), r),
      legacy_verdict::bad_message);
}

TEST(legacy_replace, the_whole_header_line_is_replaced) {
  // "<string> is the complete line to be added": what the regex did not match goes too.
  http::request_head r = request();
  apply_legacy_rule(legacy(http_action::legacy_replace, "^Host: foo", false, "Host: bar"), r);
  EXPECT_EQ(*value_of(r.headers_, "host"), "bar");
  EXPECT_EQ(r.headers_.size(), 4u);
  EXPECT_EQ(r.headers_[0].name_, "host");  // in place
}

TEST(legacy_replace, every_matching_header_and_a_new_name) {
  http::request_head r = request();
  apply_legacy_rule(
      legacy(http_action::legacy_replace, "^X-Debug: (.*)", false, "X-Trace: was-\\1"), r);
  ASSERT_EQ(r.headers_.size(), 4u);
  EXPECT_EQ(r.headers_[1].name_, "x-trace");
  EXPECT_EQ(r.headers_[1].value_, "was-1");
  EXPECT_EQ(r.headers_[3].value_, "was-2");
}

TEST(legacy_replace, header_spellings) {
  // Title-Case first (what 1.x configurations name), lower case when that does not match; a
  // case-insensitive rule matches either.
  http::request_head r = request();
  apply_legacy_rule(legacy(http_action::legacy_replace, "^user-agent: (.*)", false, "UA: \\1"), r);
  EXPECT_EQ(*value_of(r.headers_, "ua"), "curl/7.88");
  apply_legacy_rule(legacy(http_action::legacy_replace, "^HOST: (.*)", true, "Host: www.\\1"), r);
  EXPECT_EQ(*value_of(r.headers_, "host"), "www.foo.example.com");
  apply_legacy_rule(legacy(http_action::legacy_replace, "^HOST: (.*)", false, "Host: x"), r);
  EXPECT_EQ(*value_of(r.headers_, "host"), "www.foo.example.com");
}

TEST(legacy_replace, a_start_line_match_spares_the_headers) {
  http::request_head r = request();
  r.headers_.push_back({"x-version", "HTTP/1.1"});
  apply_legacy_rule(legacy(http_action::legacy_replace, "HTTP/1\\.1", false, "GET /v HTTP/1.1"), r);
  EXPECT_EQ(r.target_, "/v");
  EXPECT_EQ(*value_of(r.headers_, "x-version"), "HTTP/1.1");
}

TEST(legacy_replace, a_line_that_is_no_header_any_more_is_dropped) {
  http::request_head r = request();
  apply_legacy_rule(legacy(http_action::legacy_replace, "^User-Agent:", false, "garbage"), r);
  EXPECT_EQ(value_of(r.headers_, "user-agent"), nullptr);
  EXPECT_EQ(r.headers_.size(), 3u);
}

TEST(legacy_delete, every_matching_header_never_the_request_line) {
  http::request_head r = request();
  apply_legacy_rule(legacy(http_action::legacy_delete, "^X-Debug:"), r);
  EXPECT_EQ(value_of(r.headers_, "x-debug"), nullptr);
  EXPECT_EQ(r.headers_.size(), 2u);
  apply_legacy_rule(legacy(http_action::legacy_delete, "GET"), r);
  EXPECT_EQ(r.method_, "GET");
  EXPECT_EQ(r.headers_.size(), 2u);
  // A value regex: only the header whose line matches.
  apply_legacy_rule(legacy(http_action::legacy_delete, "curl/"), r);
  EXPECT_EQ(value_of(r.headers_, "user-agent"), nullptr);
}

TEST(legacy_verdicts, first_match_decides) {
  http::request_head r = request();
  EXPECT_EQ(apply_legacy_rule(legacy(http_action::legacy_deny, "^GET /old"), r),
            legacy_verdict::deny);
  EXPECT_EQ(apply_legacy_rule(legacy(http_action::legacy_tarpit, "^User-Agent: curl"), r),
            legacy_verdict::tarpit);
  EXPECT_EQ(apply_legacy_rule(legacy(http_action::legacy_allow, "^X-Debug: 2"), r),
            legacy_verdict::allow);
  EXPECT_EQ(apply_legacy_rule(legacy(http_action::legacy_deny, "^X-None"), r),
            legacy_verdict::none);
}

TEST(legacy_add, lines_add_header_cannot_say) {
  http::request_head r = request();
  http_rule add = legacy(http_action::legacy_add, "", false, "X-A:b c");
  apply_legacy_rule(add, r);
  EXPECT_EQ(*value_of(r.headers_, "x-a"), "b c");
  add.line_ = "no colon";
  apply_legacy_rule(add, r);
  EXPECT_EQ(r.headers_.size(), 5u);
}

TEST(legacy_response, status_line_and_headers) {
  http::response_head res;
  res.status_ = 200;
  res.reason_ = "OK";
  res.headers_ = {{"server", "Apache/2.4"}, {"x-powered-by", "php"}};
  apply_legacy_rule(
      legacy(http_action::legacy_replace, "^HTTP/1.1 200 OK", false, "HTTP/1.1 203 Changed"), res);
  EXPECT_EQ(res.status_, 203u);
  EXPECT_EQ(res.reason_, "Changed");
  apply_legacy_rule(legacy(http_action::legacy_replace, "^Server: (.*)/", false, "Server: \\1"),
                    res);
  EXPECT_EQ(*value_of(res.headers_, "server"), "Apache");
  apply_legacy_rule(legacy(http_action::legacy_delete, "^X-Powered-By:"), res);
  EXPECT_EQ(res.headers_.size(), 1u);
  EXPECT_EQ(
      apply_legacy_rule(legacy(http_action::legacy_replace, "^HTTP", false, "HTTP/1.1 2x"), res),
      legacy_verdict::bad_message);
}

TEST(legacy_replacement, groups_and_escapes) {
  std::string error;
  const auto re = compile_regex("^(a+)(b)?(c)", false, error);
  acl::regex::groups g;
  ASSERT_TRUE(re->search("aac", 0, false, g));
  EXPECT_EQ(expand_legacy_replacement("[\\0|\\1|\\2|\\3|\\9]", "aac", g), "[aac|aa||c|]");
  EXPECT_EQ(expand_legacy_replacement("a\\ b\\\\c\\", "aac", g), "a b\\c\\");
}

TEST(legacy_names, title_case) {
  EXPECT_EQ(title_case("x-forwarded-for"), "X-Forwarded-For");
  EXPECT_EQ(title_case("HOST"), "Host");
  EXPECT_EQ(title_case("a--b"), "A--B");
}

TEST(legacy_switch, matches_any_line_and_its_condition) {
  acl::acl_set acls;
  std::string error;
  auto cond = legacy_line_condition(compile_regex("^Host: foo\\.", false, error), nullptr);
  proxy_set set;
  frontend fe;
  session_source source(set, fe);
  http::request_head r = request();
  source.request_ = &r;
  EXPECT_TRUE(cond->evaluate(source));
  auto line = legacy_line_condition(compile_regex("^GET /old", false, error), nullptr);
  EXPECT_TRUE(line->evaluate(source));
  auto never = legacy_line_condition(
      compile_regex("^GET", false, error),
      acl::compile_condition(std::vector<std::string>{"if", "FALSE"}, acls, error));
  EXPECT_FALSE(never->evaluate(source));
  r.headers_.clear();
  EXPECT_FALSE(cond->evaluate(source));
}

class legacy_rule_lists : public ::testing::Test {
 protected:
  legacy_rule_lists() : source_(set_, fe_) { source_.request_ = &request_; }

  rule_outcome frontend_rules(const std::vector<http_rule>& rules) {
    source_.backend_ = nullptr;
    return run_request_rules(rules, request_, source_, pages_);
  }
  rule_outcome backend_rules(const std::vector<http_rule>& rules) {
    source_.backend_ = &be_;
    return run_request_rules(rules, request_, source_, pages_);
  }

  proxy_set set_;
  frontend fe_;
  backend be_;
  session_source source_;
  http::request_head request_ = request();
  std::map<unsigned, std::string> pages_;
};

TEST_F(legacy_rule_lists, deny_tarpit_bad_request) {
  std::vector<http_rule> rules;
  rules.push_back(legacy(http_action::legacy_deny, "^X-Debug: 1"));
  rule_outcome o = frontend_rules(rules);
  ASSERT_TRUE(o.response_);
  EXPECT_TRUE(o.response_->starts_with("HTTP/1.1 403 Forbidden\r\n"));
  rules.clear();
  rules.push_back(legacy(http_action::legacy_tarpit, "^GET"));
  o = frontend_rules(rules);
  EXPECT_TRUE(o.tarpit_);
  EXPECT_TRUE(o.response_->starts_with("HTTP/1.1 500 "));
  rules.clear();
  rules.push_back(legacy(http_action::legacy_replace, "^GET", false, "GET"));
  o = frontend_rules(rules);
  EXPECT_TRUE(o.response_->starts_with("HTTP/1.1 400 "));
}

TEST_F(legacy_rule_lists, allow_shields_from_later_verdicts_only) {
  std::vector<http_rule> rules;
  rules.push_back(legacy(http_action::legacy_allow, "^Host: foo"));
  rules.push_back(legacy(http_action::legacy_deny, "^GET"));
  rules.push_back(legacy(http_action::legacy_tarpit, "^GET"));
  rules.push_back(
      legacy(http_action::legacy_replace, "^GET /old/([^ ]*)", false, "GET /new/\\1 HTTP/1.1"));
  const rule_outcome o = frontend_rules(rules);
  EXPECT_FALSE(o.response_);
  EXPECT_FALSE(o.stop_);
  EXPECT_EQ(request_.target_, "/new/page");
  // The flag holds for the backend's filters of the same request ...
  std::vector<http_rule> backend;
  backend.push_back(legacy(http_action::legacy_deny, "^GET"));
  EXPECT_FALSE(backend_rules(backend).response_);
  // ... and not for the next request.
  EXPECT_TRUE(frontend_rules({}).response_ == std::nullopt);
  EXPECT_TRUE(backend_rules(backend).response_);
}

TEST_F(legacy_rule_lists, response_deny_is_502) {
  std::vector<http_rule> rules;
  rules.push_back(legacy(http_action::legacy_deny, "^X-Powered-By:"));
  http::response_head res;
  res.status_ = 200;
  res.reason_ = "OK";
  res.headers_ = {{"x-powered-by", "php"}};
  const rule_outcome o = run_response_rules(rules, res, source_, pages_);
  ASSERT_TRUE(o.response_);
  EXPECT_TRUE(o.response_->starts_with("HTTP/1.1 502 Bad Gateway\r\n"));
}

}  // namespace
}  // namespace tandem::runtime::proxy
