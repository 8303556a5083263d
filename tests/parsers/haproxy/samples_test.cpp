// Sample and ACL expressions (samples.hpp), conditions, the files they name, errorfile content
// and stick-table names, each against what HAProxy 2.6.12's `haproxy -c` says of the same line.
#include "parsers/haproxy/samples.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parsers/haproxy/analyse.hpp"
#include "analysis_support.hpp"
#include "parsers/haproxy/references.hpp"

namespace tandem::parsers::haproxy {
namespace {

using result = testing::analysis_result;

// A frontend whose line 3 is `line`; line 2 declares the ACL "a".
result frontend_line(const std::string& line, analysis_options options = {}) {
  result r;
  const file_id id = r.sources_.add(
      "t.cfg", "frontend f\n  acl a path /\n  " + line +
                   "\n  bind :80\n  mode http\n  timeout client 1s\n");
  r.analysis_ = analyse_haproxy_file(r.sources_, id, options, r.diags_);
  return r;
}

bool fails(const std::string& line) {
  return frontend_line(line).codes_at(3) == std::vector<std::string>{"hap-expression"};
}

TEST(HaproxySamples, ParsesFetchesArgumentsAndConverters) {
  EXPECT_TRUE(parse_sample("req.hdr(host),lower,map_str(/m.map,x)", false, false).error_.empty());
  EXPECT_EQ(parse_sample("(arg)", false, false).error_, "missing fetch method");
  EXPECT_EQ(parse_sample("blah(arg)", false, false).error_, "unknown fetch method 'blah'");
  EXPECT_EQ(parse_sample("req.hdr(", false, false).error_,
            "missing closing ')' after arguments to fetch keyword 'req.hdr'");
  EXPECT_EQ(parse_sample("always_true(arg)", false, false).error_,
            "fetch method 'always_true' : no argument supported, but got 'arg'");
  EXPECT_EQ(parse_sample("req.hdr(a,a)", false, false).error_,
            "fetch method 'req.hdr' : failed to parse 'a' as type 'integer' at position 2");
  EXPECT_EQ(parse_sample("payload_lv", false, false).error_,
            "fetch method 'payload_lv' : expected type 'integer' at position 1, but got nothing");
  EXPECT_EQ(parse_sample("hdr(arg),blah", false, false).error_, "unknown converter 'blah'");
  EXPECT_EQ(parse_sample("wait_end,ipmask(2)", false, false).error_,
            "converter 'ipmask' cannot be applied");
  EXPECT_EQ(parse_sample("hdr(arg),ipmask(a)", false, false).error_,
            "invalid args in converter 'ipmask' : failed to parse 'a' as type 'IPv4 mask' at "
            "position 1");
  // 2.6 takes empty parentheses as no arguments.
  EXPECT_TRUE(parse_sample("path,upper()", false, false).error_.empty());
  // ACL keywords stand for fetches in ACLs only.
  EXPECT_TRUE(parse_sample("hdr_beg(host)", false, true).error_.empty());
  EXPECT_FALSE(parse_sample("hdr_beg(host)", false, false).error_.empty());
}

TEST(HaproxySamples, LogFormatExpressionEndsAtItsBracket) {
  const sample_result r = parse_sample("hdr(arg))]", true, false);
  EXPECT_TRUE(r.error_.empty());
  EXPECT_EQ(r.end_, 8U);
  EXPECT_TRUE(fails("http-request add-header name %[hdr(arg))]"));
  EXPECT_FALSE(fails("http-request add-header name %[hdr(arg)]"));
  EXPECT_FALSE(fails("http-request add-header name %{+Q}[hdr(arg),lower]x%%[y"));
}

TEST(HaproxySamples, UnknownNamesHaveADidYouMean) {
  const sample_result r = parse_sample("req.hdrr(host)", false, false);
  EXPECT_EQ(r.hint_, std::optional<std::string>("did you mean 'req.hdr'?"));
  EXPECT_FALSE(parse_sample("acl(a)", false, false).newer_.empty());
}

TEST(HaproxySamples, ConditionsNameDeclaredOrPredefinedAcls) {
  EXPECT_FALSE(fails("http-request deny if a || !METH_GET or { path_beg /x } !TRUE"));
  EXPECT_TRUE(fails("http-request deny if nosuch"));
  EXPECT_TRUE(fails("http-request deny if HTTP_3.0"));  // not in 2.6's list
  EXPECT_TRUE(fails("http-request deny if { blah(arg) }"));
  EXPECT_TRUE(fails("http-request deny if { path -x }"));
  EXPECT_FALSE(fails("http-request deny if { path -i -m beg -- -x }"));
  // An ACL must be declared above the line using it.
  result r;
  const file_id id = r.sources_.add("t.cfg", "frontend f\n  use_backend b if later\n"
                                             "  acl later path /\nbackend b\n");
  r.analysis_ = analyse_haproxy_file(r.sources_, id, {}, r.diags_);
  EXPECT_EQ(r.codes_at(2), std::vector<std::string>{"hap-expression"});
}

TEST(HaproxySamples, ExpressionActionsAreParsed) {
  EXPECT_TRUE(fails("http-request track-sc0 blah table t"));
  EXPECT_FALSE(fails("http-request track-sc0 src table t"));
  EXPECT_FALSE(fails("http-request capture req.hdr(host) lower len 10"));
  EXPECT_TRUE(fails("http-request set-var(txn.x) req.hdr(host),nope"));
  EXPECT_FALSE(fails("http-request set-var(txn.x) lua.fetch(1),lua.conv"));
}

TEST(HaproxySamples, NamedFilesAreReferences) {
  analysis_options options;
  std::vector<std::string> asked;
  options.file_exists_ = [&](const std::string& path) {
    asked.push_back(path);
    return false;
  };
  for (const char* line :
       {"acl x hdr(host) -f /p.lst", "acl x base,map_reg(/m.map) -m found",
        "use_backend %[req.hdr(host),lower,map(/m.map)]", "http-request deny if { path -f /p }",
        "http-request return status 200 file /body.txt", "http-request set-map(/m.map) a b"}) {
    asked.clear();
    const result r = frontend_line(line, options);
    EXPECT_EQ(r.codes_at(3), std::vector<std::string>{"hap-missing-file"}) << line;
  }
}

TEST(HaproxySamples, LuaServicesNeedALuaFile) {
  EXPECT_TRUE(fails("http-request use-service lua.hello"));
  EXPECT_TRUE(fails("http-request use-service nosuch"));
  EXPECT_FALSE(fails("http-request use-service prometheus-exporter"));
  result r;
  const file_id id = r.sources_.add("t.cfg", "global\n  lua-load /nonexistent.lua\n");
  analysis_options options;
  options.file_exists_ = [](const std::string&) { return false; };
  r.analysis_ = analyse_haproxy_file(r.sources_, id, options, r.diags_);
  // Like any referenced file: a warning for the linter (it may be checked away from the
  // machine that runs it), an alert under -c.
  EXPECT_FALSE(r.diags_.has_errors());
  ASSERT_EQ(r.diags_.size(), 1u);
  EXPECT_EQ(r.diags_.all()[0].code_, "hap-missing-file");
  EXPECT_EQ(r.diags_.all()[0].severity_, severity::warning);
}

TEST(HaproxyReferences, ErrorfileIsAnHttpResponse) {
  EXPECT_EQ(errorfile_problem(""), "");
  EXPECT_EQ(errorfile_problem("HTTP/1.0 503 x\r\n\r\n"), "");
  EXPECT_EQ(errorfile_problem("HTTP/1.0 503\r\n\r\n"), "");
  EXPECT_EQ(errorfile_problem("HTTP/1.0 503 x\n\nbody"), "");
  EXPECT_NE(errorfile_problem("HTTP/1.0 503 x\r\nContent-Type: text/html\r\n"), "");
  EXPECT_NE(errorfile_problem("<html>oops</html>\n"), "");
  EXPECT_NE(errorfile_problem("HTTP/1.0 5x3 x\r\n\r\n"), "");
  EXPECT_NE(errorfile_problem("HTTP/1.0 503 x\r\nbad header\r\n\r\n"), "");
  EXPECT_EQ(errorfile_problem("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabc"),
            "payload size does not match the announced content-length (3 != 2)");
}

TEST(HaproxyReferences, ErrorfilesAreReadThroughTheInjectedReader) {
  result r;
  const file_id id = r.sources_.add(
      "t.cfg", "defaults\n  errorfile 503 /e/good.http\n  errorfile 502 /e/bad.http\n"
               "  errorfile 504 /e/dir\n");
  analysis_options o;
  o.file_exists_ = [](const std::string&) { return true; };
  o.read_file_ = [](const std::string& path) -> std::optional<std::string> {
    if (path == "/e/good.http") return std::string("HTTP/1.0 503 x\r\n\r\n");
    if (path == "/e/bad.http") return std::string("<html>oops</html>\n");
    return std::nullopt;  // a directory: HAProxy says "error reading file"
  };
  r.analysis_ = analyse_haproxy_file(r.sources_, id, o, r.diags_);
  EXPECT_TRUE(r.codes_at(2).empty());
  EXPECT_EQ(r.codes_at(3), std::vector<std::string>{"hap-errorfile"});
  EXPECT_EQ(r.codes_at(4), std::vector<std::string>{"hap-errorfile"});
  EXPECT_NE(r.find("hap-errorfile"), nullptr);
}

TEST(HaproxyReferences, SystemReaderRefusesDirectoriesWithoutThrowing) {
  const auto read = system_file_reader();
  EXPECT_EQ(read("/"), std::nullopt);
  EXPECT_EQ(read("/nonexistent/tandem"), std::nullopt);
  const std::optional<std::string> self = read(TANDEM_SOURCE_DIR "/README.md");
  ASSERT_TRUE(self.has_value());
  EXPECT_TRUE(self->starts_with("# Tandem"));
}

TEST(HaproxyReferences, OneStickTablePerName) {
  result r;
  const file_id id = r.sources_.add(
      "t.cfg", "backend b\n  stick-table type ip size 1m\n  stick-table type ip size 2m\n");
  r.analysis_ = analyse_haproxy_file(r.sources_, id, {}, r.diags_);
  EXPECT_EQ(r.codes_at(3), std::vector<std::string>{"hap-duplicate-table"});
  EXPECT_TRUE(r.codes_at(2).empty());
}

TEST(HaproxyReferences, BufferTooSmallForTheDefaultMessages) {
  for (const auto& [size, bad] : {std::pair{"336", true}, std::pair{"337", false}}) {
    result r;
    const file_id id = r.sources_.add("t.cfg", std::string("global\n  tune.bufsize ") + size +
                                                   "\n");
    r.analysis_ = analyse_haproxy_file(r.sources_, id, {}, r.diags_);
    EXPECT_EQ(r.diags_.has_errors(), bad) << size;
  }
}

}  // namespace
}  // namespace tandem::parsers::haproxy
