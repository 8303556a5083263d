// The log-format language on a fake record: HAProxy 2.6's httplog, clf and tcplog lines as
// measured from Debian's haproxy for the same facts, then every variable and flag on its own.
#include "runtime/proxy/log/format.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy::log {
namespace {

sockaddr_storage v4(const char* ip, int port) {
  sockaddr_storage s{};
  auto& a = reinterpret_cast<sockaddr_in&>(s);
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, ip, &a.sin_addr);
  return s;
}

std::chrono::system_clock::time_point at(int h, int m, int s, long ms) {
  std::tm tm{};
  tm.tm_year = 2026 - 1900;
  tm.tm_mon = 10;
  tm.tm_mday = 21;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  return std::chrono::system_clock::from_time_t(::timegm(&tm)) + std::chrono::milliseconds(ms);
}

class fake_source : public acl::sample_source {
 public:
  explicit fake_source(sockaddr_storage client) : client_(client) {}
  const http::request_head* request() const override { return nullptr; }
  const sockaddr_storage& source() const override { return client_; }
  const sockaddr_storage& destination() const override { return client_; }
  int usable_servers(std::string_view) const override { return 1; }
  std::string_view frontend_name() const override { return "fe_fmt"; }

 private:
  sockaddr_storage client_;
};

class format_test : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    fe_.name_ = "fe_http";
    be_.name_ = "be";
    srv_.name_ = "s1";
    r_.frontend_ = &fe_;
    r_.backend_ = &be_;
    r_.server_ = &srv_;
    r_.http_ = true;
    r_.client_ = v4("127.0.0.1", 34430);
    r_.frontend_address_ = v4("127.0.0.1", 30622);
    r_.server_address_ = v4("127.0.0.1", 30589);
    r_.accepted_ = at(7, 43, 15, 718);
    r_.request_started_ = at(7, 43, 15, 718);
    r_.handshake_ = 0;
    r_.idle_ = 0;
    r_.request_ = 0;
    r_.queue_ = 0;
    r_.connect_ = 0;
    r_.response_ = 0;
    r_.active_ = 0;
    r_.total_ = 0;
    r_.status_ = 200;
    r_.bytes_read_ = 155;
    r_.bytes_uploaded_ = 96;
    r_.active_connections_ = 1;
    r_.frontend_connections_ = 1;
    r_.captured_request_cookie_ = "SID=xyz";
    r_.captured_response_cookie_ = "SID=abc123";
    r_.request_line_ = "GET /a?b=c HTTP/1.1";
  }
  std::string render(std::string_view format) {
    std::string error;
    auto f = log_format::compile(format, error);
    EXPECT_NE(f, nullptr) << error;
    return f ? f->render(r_, context_) : std::string();
  }
  std::string refused(std::string_view format) {
    std::string error;
    EXPECT_EQ(log_format::compile(format, error), nullptr) << format;
    return error;
  }

  frontend fe_;
  backend be_;
  server srv_;
  log_record r_;
  line_context context_{"vm", "2398"};
};

TEST_F(format_test, httplog_as_haproxy_wrote_it) {
  fe_.request_captures_.push_back({"host", 20});
  r_.request_captures_ = {"example.org"};
  EXPECT_EQ(render(httplog_format),
            "127.0.0.1:34430 [21/Nov/2026:07:43:15.718] fe_http be/s1 0/0/0/0/0 200 155 SID=xyz "
            "SID=abc123 ---- 1/1/0/0/0 0/0 {example.org} \"GET /a?b=c HTTP/1.1\"");
}

TEST_F(format_test, httplog_with_two_capture_blocks) {
  fe_.request_captures_ = {{"host", 20}, {"user-agent", 10}};
  fe_.response_captures_ = {{"x-srv", 8}};
  r_.request_captures_ = {"127.0.0.1:31066", "curl/7.88."};
  r_.response_captures_ = {"s1"};
  EXPECT_EQ(render(httplog_format),
            "127.0.0.1:34430 [21/Nov/2026:07:43:15.718] fe_http be/s1 0/0/0/0/0 200 155 SID=xyz "
            "SID=abc123 ---- 1/1/0/0/0 0/0 {127.0.0.1:31066|curl/7.88.} {s1} "
            "\"GET /a?b=c HTTP/1.1\"");
}

TEST_F(format_test, httplog_for_a_503_without_server) {
  fe_.name_ = "fe_null";
  be_.name_ = "nosrv";
  r_.server_ = nullptr;
  r_.queue_ = r_.connect_ = r_.response_ = -1;
  r_.status_ = 503;
  r_.bytes_read_ = 217;
  r_.captured_request_cookie_.clear();
  r_.captured_response_cookie_.clear();
  std::memcpy(r_.termination_, "SC--", 4);
  EXPECT_EQ(render(httplog_format),
            "127.0.0.1:34430 [21/Nov/2026:07:43:15.718] fe_null nosrv/<NOSRV> 0/-1/-1/-1/0 503 "
            "217 - - SC-- 1/1/0/0/0 0/0 \"GET /a?b=c HTTP/1.1\"");
}

TEST_F(format_test, httplog_for_a_bad_request_logs_no_capture_block) {
  fe_.request_captures_.push_back({"host", 20});
  r_.backend_ = nullptr;
  r_.server_ = nullptr;
  r_.request_ = r_.queue_ = r_.connect_ = r_.response_ = -1;
  r_.handshake_ = -1;
  r_.status_ = 400;
  r_.bytes_read_ = 0;
  r_.captured_request_cookie_.clear();
  r_.captured_response_cookie_.clear();
  r_.request_line_ = "<BADREQ>";
  r_.bad_request_ = true;
  std::memcpy(r_.termination_, "PR--", 4);
  EXPECT_EQ(render(httplog_format),
            "127.0.0.1:34430 [21/Nov/2026:07:43:15.718] fe_http fe_http/<NOSRV> -1/-1/-1/-1/0 400 "
            "0 - - PR-- 1/1/0/0/0 0/0 \"<BADREQ>\"");
}

TEST_F(format_test, clf_as_haproxy_wrote_it) {
  fe_.name_ = "fe_clf";
  r_.accepted_ = at(7, 43, 53, 896);
  r_.request_started_ = at(7, 43, 53, 896);
  r_.client_ = v4("127.0.0.1", 55112);
  r_.captured_request_cookie_.clear();
  r_.captured_response_cookie_.clear();
  EXPECT_EQ(render(clf_format),
            "127.0.0.1 - - [21/Nov/2026:07:43:53 +0000] \"GET /a?b=c HTTP/1.1\" 200 155 \"\" \"\" "
            "55112 896 \"fe_clf\" \"be\" \"s1\" 0 0 0 0 0 ---- 1 1 0 0 0 0 0 \"\" \"\" ");
}

TEST_F(format_test, tcplog_as_haproxy_wrote_it) {
  fe_.name_ = "fe_tcp";
  be_.name_ = "be_tcp";
  r_.http_ = false;
  r_.queue_ = 1;
  r_.connect_ = 0;
  r_.total_ = 1;
  r_.bytes_read_ = 160;
  r_.client_ = v4("127.0.0.1", 55692);
  r_.accepted_ = at(7, 43, 54, 109);
  EXPECT_EQ(render("%ST"), "0");  // measured: no HTTP, status 0
  EXPECT_EQ(render(tcplog_format),
            "127.0.0.1:55692 [21/Nov/2026:07:43:54.109] fe_tcp be_tcp/s1 1/0/1 160 -- 1/1/0/0/0 "
            "0/0");
}

TEST_F(format_test, a_custom_format_as_haproxy_wrote_it) {
  fe_.name_ = "fe_fmt";
  r_.client_ = v4("127.0.0.1", 1);
  r_.frontend_address_ = v4("127.0.0.1", 30623);
  fake_source source(r_.client_);
  r_.source_ = &source;
  // Measured: %hrl and %hsl without captures write nothing and their separators collapse;
  // %ID without unique-id-format is "-"; %{Q}ST (no sign) changes nothing; %% is '%'.
  EXPECT_EQ(render("%ci %fi:%fp %b %s %ST %B %U %HM %HU %HP %HV %H %{+Q}r %hrl %hsl [%[src]] "
                   "%[fe_name] %ID %Tt %tsc %rc %sq %ft %f %si:%sp %{+Q}HU %{Q}ST %%"),
            "127.0.0.1 127.0.0.1:30623 be s1 200 155 96 GET /a?b=c /a HTTP/1.1 vm \"GET /a?b=c "
            "HTTP/1.1\" [127.0.0.1] fe_fmt - 0 ---- 0 0 fe_fmt fe_fmt 127.0.0.1:30589 "
            "\"/a?b=c\" 200 %");
}

TEST_F(format_test, every_timer) {
  r_.handshake_ = 1;
  r_.idle_ = 2;
  r_.request_ = 3;
  r_.queue_ = 4;
  r_.connect_ = 5;
  r_.response_ = 6;
  r_.active_ = 20;
  r_.total_ = 23;
  EXPECT_EQ(render("%Th %Ti %TR %Tq %Tw %Tc %Tr %Ta %Tt %Td %Tu"), "1 2 3 6 4 5 6 20 23 2 21");
  r_.request_ = -1;
  EXPECT_EQ(render("%TR %Tq %Td"), "-1 -1 -1");
}

TEST_F(format_test, dates) {
  r_.accepted_ = at(7, 3, 5, 7);
  r_.request_started_ = at(7, 3, 6, 42);
  EXPECT_EQ(render("%t|%tr|%trg|%trl|%T|%Tl|%Ts|%ms"),
            "21/Nov/2026:07:03:05.007|21/Nov/2026:07:03:06.042|21/Nov/2026:07:03:06 +0000|"
            "21/Nov/2026:07:03:06 +0000|21/Nov/2026:07:03:05 +0000|21/Nov/2026:07:03:05 +0000|"
            "1795244585|007");
}

TEST_F(format_test, counts_retries_and_termination) {
  r_.active_connections_ = 7;
  r_.frontend_connections_ = 6;
  r_.backend_connections_ = 5;
  r_.server_connections_ = 4;
  r_.retries_ = 2;
  r_.server_queue_ = 3;
  r_.backend_queue_ = 9;
  std::memcpy(r_.termination_, "sHNI", 4);
  EXPECT_EQ(render("%ac/%fc/%bc/%sc/%rc %sq/%bq %ts %tsc"), "7/6/5/4/2 3/9 sH sHNI");
  r_.redispatched_ = true;
  EXPECT_EQ(render("%rc"), "+2");
}

TEST_F(format_test, request_line_parts) {
  r_.request_line_ = "POST /p/q?x=1&y=2 HTTP/1.0";
  EXPECT_EQ(render("%HM|%HU|%HP|%HQ|%HV"), "POST|/p/q?x=1&y=2|/p/q|?x=1&y=2|HTTP/1.0");
  // Measured: an absent query is nothing (not "-"); %HPO drops an absolute URI's scheme and
  // authority, and is empty for "*".
  r_.request_line_ = "GET /a/b HTTP/1.1";
  EXPECT_EQ(render("%HP|%HPO|%HU|%HQ %ST"), "/a/b|/a/b|/a/b| 200");
  EXPECT_EQ(render("%{+Q}HQ"), "\"\"");
  r_.request_line_ = "GET http://h/p/q?x=1 HTTP/1.1";
  EXPECT_EQ(render("%HP|%HPO|%HU|%HQ %ST"), "http://h/p/q|/p/q|http://h/p/q?x=1|?x=1 200");
  r_.request_line_ = "OPTIONS * HTTP/1.1";
  EXPECT_EQ(render("%HP|%HPO|%HU|%HQ %ST"), "*||*| 200");
  r_.request_line_ = "GET /a\"b HTTP/1.1";
  EXPECT_EQ(render("%HU"), "/a#22b");
  r_.request_line_ = "<BADREQ>";
  r_.bad_request_ = true;
  EXPECT_EQ(render("%HM %HU %HV %r"), "<BADREQ> <BADREQ> <BADREQ> <BADREQ>");
}

TEST_F(format_test, names_and_addresses) {
  r_.tls_ = true;
  EXPECT_EQ(render("%f %ft %b %s %ci:%cp %fi:%fp %si:%sp %H %pid"),
            "fe_http fe_http~ be s1 127.0.0.1:34430 127.0.0.1:30622 127.0.0.1:30589 vm 2398");
  r_.backend_ = nullptr;
  r_.server_ = nullptr;
  r_.server_address_ = {};
  EXPECT_EQ(render("%b %s %si:%sp"), "fe_http <NOSRV> -:-");
  r_.applet_ = "<STATS>";
  EXPECT_EQ(render("%s"), "<STATS>");
}

TEST_F(format_test, hex_flag_for_addresses_and_ports) {
  EXPECT_EQ(render("%{+X}ci:%{+X}cp"), "7F000001:867E");
}

TEST_F(format_test, quote_and_escape_flags) {
  r_.captured_request_cookie_ = "a\"b]c\\d";
  EXPECT_EQ(render("%{+Q}CC"), "\"a\"b]c\\d\"");
  EXPECT_EQ(render("%{+E}CC"), "a\\\"b\\]c\\\\d");
  EXPECT_EQ(render("%{+Q}o %CC %{-Q}b %ST"), "\"a\"b]c\\d\" be 200");
  r_.captured_request_cookie_.clear();
  EXPECT_EQ(render("%CC %{+Q}CC"), "- \"\"");
}

TEST_F(format_test, captures_are_encoded_and_listed) {
  fe_.request_captures_ = {{"a", 10}, {"b", 10}, {"c", 10}};
  r_.request_captures_ = {"x|y{z}", "", "q\"#\x01"};
  EXPECT_EQ(render("%hr"), "{x#7Cy#7Bz#7D||q#22#23#01}");
  EXPECT_EQ(render("%{+Q}hr"), "\"{x#7Cy#7Bz#7D||q#22#23#01}\"");
  EXPECT_EQ(render("%hrl"), "x#7Cy#7Bz#7D - q#22#23#01");
  EXPECT_EQ(render("%{+Q}hrl"), "\"x#7Cy#7Bz#7D\" \"\" \"q#22#23#01\"");
  EXPECT_EQ(render("a %hs b"), "a b");  // no response capture: nothing, one separator
}

TEST_F(format_test, request_line_is_cut_by_logurilen) {
  // Measured with tune.http.logurilen 100: 100 characters, the parts read from the cut line.
  context_.max_request_line_ = 100;
  r_.request_line_ = "GET /" + std::string(150, 'a') + " HTTP/1.1";
  EXPECT_EQ(render("%r|%HV"), "GET /" + std::string(95, 'a') + "|HTTP/0.9");
  r_.request_line_ = "GET /" + std::string(87, 'b') + " HTTP/1.1";
  EXPECT_EQ(render("%r|%HU|%HV"),
            "GET /" + std::string(87, 'b') + " HTTP/1.|/" + std::string(87, 'b') + "|HTTP/1.");
}

TEST_F(format_test, request_line_is_url_encoded) {
  r_.request_line_ = "GET /a\"b#c{d} HTTP/1.1";
  EXPECT_EQ(render("%r"), "GET /a#22b#23c{d} HTTP/1.1");
}

TEST_F(format_test, separators_collapse_and_leading_ones_are_dropped) {
  EXPECT_EQ(render("  %ST   x  "), "200 x ");
  EXPECT_EQ(render("a\\ b"), "a b");
}

TEST_F(format_test, samples_without_a_session_source_read_the_record) {
  EXPECT_EQ(render("%[src] %[dst_port] %{+Q}[fe_name] %[req.hdr(host)] %{+Q}[req.hdr(host)]"),
            "127.0.0.1 30622 \"fe_http\" - \"\"");
}

TEST_F(format_test, capture_fetches_read_the_record) {
  // Measured: Host captured with len 5, X-None absent, X-Srv `s"1` in the response.
  fe_.request_captures_ = {{"host", 5}, {"x-none", 10}};
  fe_.response_captures_ = {{"x-srv", 10}};
  r_.request_captures_ = {"examp", ""};
  r_.response_captures_ = {"s\"1"};
  r_.request_line_ = "GET /p?q=1 HTTP/1.1";
  EXPECT_EQ(render("%[capture.req.hdr(0)]|%[capture.req.hdr(1)]|%[capture.res.hdr(0)]|"
                   "%[capture.req.method]|%[capture.req.uri]|%[capture.req.ver]|"
                   "%{+Q}[capture.req.hdr(1)]|%[capture.req.hdr(0),upper] %ST"),
            "examp|-|s\"1|GET|/p?q=1|HTTP/1.1|\"\"|EXAMP 200");
  EXPECT_EQ(render("%[capture.req.hdr(7)]"), "-");
}

TEST_F(format_test, http_variables_are_refused_in_mode_tcp) {
  // Measured with haproxy -c: these are "reserved for HTTP mode"; %hr, %ST, %tsc, %B are not.
  for (const char* v : {"%r", "%HM", "%HU", "%HP", "%HQ", "%HV", "%CC", "%CS", "%TR", "%Tq", "%Ta",
                        "%Ti", "%Tr", "%trg", "%tr", "%trl"}) {
    std::string error;
    EXPECT_EQ(log_format::compile(v, error, nullptr, false), nullptr) << v;
    EXPECT_EQ(error, "format variable '" + std::string(v + 1) + "' is reserved for HTTP mode");
  }
  for (const char* v : {"%hr", "%hs", "%hrl", "%hsl", "%ST", "%tsc", "%Th", "%ID", "%B", "%U",
                        "%ts", "%H", "%Td", "%Tw", "%Tc", "%Tt", "%T", "%t", "%ms"}) {
    std::string error;
    EXPECT_NE(log_format::compile(v, error, nullptr, false), nullptr) << v << ": " << error;
  }
}

TEST_F(format_test, refusals) {
  EXPECT_NE(refused("%zz").find("no such format variable 'zz'"), std::string::npos);
  EXPECT_NE(refused("%[nosuchfetch]").find("nosuchfetch"), std::string::npos);
  EXPECT_NE(refused("%{+Q").find("'}'"), std::string::npos);
  EXPECT_NE(refused("%[src").find("']'"), std::string::npos);
  EXPECT_NE(refused("%{+W}ST").find("+W"), std::string::npos);
  EXPECT_NE(refused("%rt").find("not logged by Tandem"), std::string::npos);
  EXPECT_NE(refused("100% sure").find("'%%'"), std::string::npos);
}

}  // namespace
}  // namespace tandem::runtime::proxy::log
