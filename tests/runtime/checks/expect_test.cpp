// Expect steps judged on bytes (no sockets): when they wait for more, pass or fail, and the
// status, code and info HAProxy 2.6 gives (the infos were captured from it); the bytes the
// built-in checks send.
#include "runtime/checks/expect.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "runtime/checks/builtin.hpp"
#include "runtime/checks/http_response.hpp"

namespace tandem::runtime::checks {
namespace {

struct judged {
  expect_outcome outcome_;
  explicit judged(const expect_step& step, std::string_view data, bool last_read,
                  check_kind kind = check_kind::tcp_check, int step_id = 2, bool last_rule = true) {
    std::optional<regex> compiled;
    if (step.kind_ == expect_kind::rstring || step.kind_ == expect_kind::rbinary ||
        step.kind_ == expect_kind::http_rstatus || step.kind_ == expect_kind::http_rstring) {
      std::string error;
      compiled = regex::compile(step.pattern_, error);
      EXPECT_TRUE(compiled) << error;
    }
    expect_context c;
    c.kind_ = kind;
    c.step_id_ = step_id;
    c.data_ = data;
    c.last_read_ = last_read;
    c.last_rule_ = last_rule;
    outcome_ = evaluate_expect(step, compiled ? &*compiled : nullptr, c);
  }
  expect_verdict verdict() const { return outcome_.verdict_; }
  const check_result& result() const { return outcome_.result_; }
};

expect_step tcp_expect(expect_kind kind, std::string pattern) {
  expect_step e;
  e.kind_ = kind;
  e.pattern_ = std::move(pattern);
  return e;
}

TEST(checks_expect_test, StringWaitsUntilMatchedOrClosed) {
  const expect_step pong = tcp_expect(expect_kind::string, "+PONG");
  EXPECT_EQ(judged(pong, "+PO", false).verdict(), expect_verdict::need_more);
  EXPECT_EQ(judged(pong, "HTTP/1.0 200 OK\r\n", false).verdict(), expect_verdict::need_more);
  const judged ok(pong, "xx+PONG\r\n", false);
  EXPECT_EQ(ok.verdict(), expect_verdict::passed);
  EXPECT_EQ(ok.result().status_, check_status::l7ok);
  EXPECT_EQ(ok.result().info_, "(tcp-check)");
  const judged bad(pong, "HTTP/1.0 200 OK\r\n\r\n", true);
  EXPECT_EQ(bad.verdict(), expect_verdict::failed);
  EXPECT_EQ(bad.result().status_, check_status::l7rsp);
  EXPECT_EQ(bad.result().info_, "TCPCHK did not match content '+PONG' at step 2");
}

TEST(checks_expect_test, InverseRegexWithCommentAndMinRecv) {
  expect_step no_http = tcp_expect(expect_kind::rstring, "^HTTP");
  no_http.inverse_ = true;
  no_http.comment_ = "nohttp";
  const judged r(no_http, "HTTP/1.0 200 OK\r\n", true, check_kind::tcp_check, 3);
  EXPECT_EQ(r.result().info_, "TCPCHK matched unwanted content (regex) at step 3 comment: nohttp");
  expect_step min = tcp_expect(expect_kind::rstring, "^2");
  min.min_recv_ = 4;
  EXPECT_EQ(judged(min, "25", false).verdict(), expect_verdict::need_more);
  // With min-recv, a mismatch on enough bytes is final at once.
  EXPECT_EQ(judged(min, "554 no\r\n", false).verdict(), expect_verdict::failed);
}

TEST(checks_expect_test, BinaryAndBinaryRegex) {
  const judged b(tcp_expect(expect_kind::binary, "+PONG"), "+PONG\r\n", false);
  EXPECT_EQ(b.verdict(), expect_verdict::passed);
  // rbinary matches the upper-case hex of the bytes.
  const judged rb(tcp_expect(expect_kind::rbinary, "^2B50"), "+PONG", false);
  EXPECT_EQ(rb.verdict(), expect_verdict::passed);
  const judged miss(tcp_expect(expect_kind::binary, "+PONG"), "-ERR\r\n", true);
  EXPECT_EQ(miss.result().info_, "TCPCHK did not match content (binary) at step 2");
}

TEST(checks_expect_test, SmtpRepliesGiveTheirCodeAndText) {
  const std::vector<check_step> steps = smtp_steps("HELO localhost");
  const auto& banner = std::get<expect_step>(steps[1]);
  const auto& banner_2xx = std::get<expect_step>(steps[2]);
  const auto& quit = std::get<expect_step>(steps[6]);
  EXPECT_EQ(judged(banner, "220 x\r\n", false, check_kind::smtp).verdict(), expect_verdict::passed);
  const judged refused(banner_2xx, "554 no\r\n", false, check_kind::smtp);
  EXPECT_EQ(refused.result().status_, check_status::l7sts);
  EXPECT_EQ(refused.result().code_, 554);
  EXPECT_EQ(refused.result().info_, "no");  // measured
  const judged garbage(banner, "hello\r\n", false, check_kind::smtp);
  EXPECT_EQ(garbage.result().status_, check_status::l7rsp);
  EXPECT_EQ(garbage.result().info_, "hello");
  const judged bye(quit, "221 bye\r\n", false, check_kind::smtp);
  EXPECT_EQ(bye.verdict(), expect_verdict::passed);
  EXPECT_EQ(bye.result().code_, 221);
  EXPECT_EQ(bye.result().info_, "bye");  // measured: "code: 221, info: \"bye\""
}

TEST(checks_expect_test, RedisPong) {
  const std::vector<check_step> steps = redis_steps();
  const auto& pong = std::get<expect_step>(steps[2]);
  const judged ok(pong, "+PONG\r\n", false, check_kind::redis);
  EXPECT_EQ(ok.result().info_, "Redis server is ok");
  const judged bad(pong, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", true, check_kind::redis);
  EXPECT_EQ(bad.result().status_, check_status::l7sts);
  EXPECT_EQ(bad.result().info_, "HTTP/1.0 200 OK");  // measured
}

TEST(checks_expect_test, SslHelloWantsAHandshakeOrAlertRecord) {
  const std::vector<check_step> steps = ssl_hello_steps();
  const auto& record = std::get<expect_step>(steps[2]);
  EXPECT_EQ(judged(record, std::string("\x16\x03\x01\x00\x10", 5), false, check_kind::ssl_hello)
                .result()
                .status_,
            check_status::l6ok);
  EXPECT_EQ(judged(record, "HTTP/1.0 200 OK\r\n", false, check_kind::ssl_hello).result().status_,
            check_status::l6rsp);
  const std::string hello = ssl_client_hello(0x5f000000);
  EXPECT_EQ(hello.size(), 126U);  // 5-byte record header + 0x79
  EXPECT_EQ(hello.substr(0, 11), std::string("\x16\x03\x00\x00\x79\x01\x00\x00\x75\x03\x00", 11));
}

std::string mysql_packet(char sequence, std::string payload) {
  std::string out;
  out += static_cast<char>(payload.size() & 0xff);
  out += static_cast<char>((payload.size() >> 8) & 0xff);
  out += static_cast<char>((payload.size() >> 16) & 0xff);
  out += sequence;
  return out + payload;
}

TEST(checks_expect_test, MysqlGreetingOkAndError) {
  const std::string greeting = mysql_packet(0, std::string("\x0a"
                                                           "5.7.99-fake\0"
                                                           "\x01\x00\x00\x00",
                                                           17));
  const std::vector<check_step> anonymous = mysql_steps(std::nullopt, true);
  const auto& hs = std::get<expect_step>(anonymous[1]);
  EXPECT_EQ(judged(hs, greeting.substr(0, 6), false, check_kind::mysql).verdict(),
            expect_verdict::need_more);
  const judged ok(hs, greeting, false, check_kind::mysql);
  EXPECT_EQ(ok.result().status_, check_status::l7ok);
  EXPECT_EQ(ok.result().info_, "5.7.99-fake");  // measured
  const std::string denied = mysql_packet(0, std::string("\xff\x15\x04#28000Access denied"));
  const judged err(hs, denied, true, check_kind::mysql);
  EXPECT_EQ(err.result().status_, check_status::l7sts);
  EXPECT_EQ(err.result().code_, 1045);
  EXPECT_EQ(err.result().info_, "#28000Access denied");  // measured

  const std::vector<check_step> with_user = mysql_steps(std::string("haproxy"), true);
  const auto& login = std::get<send_step>(with_user[1]);
  EXPECT_EQ(login.data_.size(), 4U + 41U + 5U);  // header, 0x29-byte login, COM_QUIT
  const auto& ok_step = std::get<expect_step>(with_user[3]);
  const std::string reply =
      greeting + mysql_packet(2, std::string("\x00\x00\x00\x02\x00\x00\x00", 7));
  const judged logged_in(ok_step, reply, false, check_kind::mysql);
  EXPECT_EQ(logged_in.result().info_, "5.7.99-fake");
  EXPECT_EQ(judged(ok_step, greeting, false, check_kind::mysql).verdict(),
            expect_verdict::need_more);
}

TEST(checks_expect_test, PgsqlAndLdap) {
  const std::vector<check_step> pg = pgsql_steps("pg");
  EXPECT_EQ(std::get<send_step>(pg[1]).data_,
            std::string("\x00\x00\x00\x11\x00\x03\x00\x00user\0pg\0\0", 17));
  const auto& not_error = std::get<expect_step>(pg[2]);
  const auto& auth = std::get<expect_step>(pg[3]);
  const std::string error_reply("E\x00\x00\x00\x20SFATAL\0Mbad\0\0", 18);
  const judged fatal(not_error, error_reply, true, check_kind::pgsql, 3);
  EXPECT_EQ(fatal.result().status_, check_status::l7rsp);
  EXPECT_EQ(fatal.result().info_, "FATAL");
  const judged unknown(auth, "HTTP/1.0 200 OK\r\n", true, check_kind::pgsql, 4);
  EXPECT_EQ(unknown.result().info_, "PostgreSQL unknown error");  // measured
  const judged md5(auth, std::string("R\x00\x00\x00\x0c\x00\x00\x00\x05salt", 13), false,
                   check_kind::pgsql, 4);
  EXPECT_EQ(md5.result().info_, "PostgreSQL server is ok");

  const std::vector<check_step> ldap = ldap_steps();
  const auto& bind = std::get<expect_step>(ldap[3]);
  const std::string success("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00", 14);
  EXPECT_EQ(judged(bind, success, false, check_kind::ldap).result().info_, "Success");
  std::string invalid_credentials = success;
  invalid_credentials[9] = 49;
  const judged refused(bind, invalid_credentials, false, check_kind::ldap);
  EXPECT_EQ(refused.result().status_, check_status::l7sts);
  EXPECT_EQ(refused.result().code_, 49);
  const judged not_ldap(std::get<expect_step>(ldap[2]), "HTTP/1.0 200 OK\r\n", false,
                        check_kind::ldap);
  EXPECT_EQ(not_ldap.result().info_, "Not LDAPv3 protocol");  // measured
}

expect_step http_expect(expect_kind kind, std::string pattern) {
  expect_step e = tcp_expect(kind, std::move(pattern));
  if (kind == expect_kind::http_status) {
    e = default_http_expect();
  }
  return e;
}

TEST(checks_expect_test, HttpStatus) {
  const expect_step s = default_http_expect();
  const judged ok(s, "HTTP/1.0 301 Moved\r\n\r\n", false, check_kind::http);
  EXPECT_EQ(ok.result().status_, check_status::l7ok);
  EXPECT_EQ(ok.result().code_, 301);
  EXPECT_EQ(ok.result().info_, "");
  const judged bad(s, "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", false,
                   check_kind::http);
  EXPECT_EQ(bad.result().status_, check_status::l7sts);
  EXPECT_EQ(bad.result().code_, 500);
  EXPECT_EQ(bad.result().info_, "Internal Server Error");
  EXPECT_EQ(judged(s, "HTTP/1.0 200 OK\r\nServer: x\r\n", false, check_kind::http).verdict(),
            expect_verdict::need_more);
  const judged garbage(s, "garbage here\r\n\r\n", false, check_kind::http);
  EXPECT_EQ(garbage.result().status_, check_status::l7rsp);
  EXPECT_EQ(garbage.result().info_, "");
  const judged cut(s, "HTTP/1.1 200 OK\r\nContent-Le", true, check_kind::http);
  EXPECT_EQ(cut.result().status_, check_status::l7rsp);
  expect_step not_200 = default_http_expect();
  not_200.statuses_ = {{200, 200}};
  not_200.inverse_ = true;
  EXPECT_EQ(judged(not_200, "HTTP/1.0 200 OK\r\n\r\n", false, check_kind::http).result().info_,
            "OK");
}

TEST(checks_expect_test, HttpBodyAndRegexes) {
  const std::string body_reply =
      "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Ok: yes\r\n\r\nhello world";
  EXPECT_EQ(
      judged(http_expect(expect_kind::http_string, "world"), body_reply, false, check_kind::http)
          .result()
          .status_,
      check_status::l7ok);
  EXPECT_EQ(judged(http_expect(expect_kind::http_string, "world"),
                   body_reply.substr(0, body_reply.size() - 3), false, check_kind::http)
                .verdict(),
            expect_verdict::need_more);
  EXPECT_EQ(
      judged(http_expect(expect_kind::http_string, "nothere"), body_reply, false, check_kind::http)
          .result()
          .info_,
      "HTTP content check did not match");
  expect_step unwanted = http_expect(expect_kind::http_string, "world");
  unwanted.inverse_ = true;
  EXPECT_EQ(judged(unwanted, body_reply, false, check_kind::http).result().info_,
            "HTTP check matched unwanted content");
  EXPECT_EQ(judged(http_expect(expect_kind::http_string, "world"),
                   "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, check_kind::http)
                .result()
                .info_,
            "HTTP content check could not find a response body");
  EXPECT_EQ(
      judged(http_expect(expect_kind::http_rstring, "h.llo"), body_reply, false, check_kind::http)
          .verdict(),
      expect_verdict::passed);
  const judged rstatus(http_expect(expect_kind::http_rstatus, "^5"), body_reply, false,
                       check_kind::http);
  EXPECT_EQ(rstatus.result().status_, check_status::l7sts);
  EXPECT_EQ(rstatus.result().info_, "OK");
}

TEST(checks_expect_test, DisableOn404DrainsOnlyAServerThatIsUp) {
  const expect_step s = default_http_expect();
  expect_context c;
  c.kind_ = check_kind::http;
  c.data_ = "HTTP/1.0 404 Not Found\r\n\r\n";
  c.disable_on_404_ = true;
  c.last_rule_ = true;
  const expect_outcome up = evaluate_expect(s, nullptr, c);
  EXPECT_TRUE(up.conditional_);
  EXPECT_EQ(up.result_.status_, check_status::l7okc);
  EXPECT_EQ(up.result_.code_, 404);
  c.server_down_ = true;
  const expect_outcome down = evaluate_expect(s, nullptr, c);
  EXPECT_EQ(down.result_.status_, check_status::l7sts);
  EXPECT_EQ(down.result_.info_, "Not Found");
}

TEST(checks_expect_test, HttpResponseReader) {
  const http_response chunked = parse_http_response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      false);
  EXPECT_EQ(chunked.body_, "hello world");
  EXPECT_TRUE(chunked.complete_);
  const http_response until_close = parse_http_response("HTTP/1.0 200 OK\r\n\r\nabc", false);
  EXPECT_FALSE(until_close.complete_);
  EXPECT_TRUE(parse_http_response("HTTP/1.0 200 OK\r\n\r\nabc", true).complete_);
  EXPECT_EQ(parse_http_response("HTTP/1.1 204 No Content\r\n\r\n", false).complete_, true);
  EXPECT_EQ(parse_http_response("HTTP/1.1 200 OK\r\nbad header\r\n\r\n", false).state_,
            http_response::state::invalid);
  EXPECT_EQ(parse_http_response("HTTP/1.1 200\r\n\r\n", false).reason_, "");
}

TEST(checks_expect_test, HttpRequestBytesAsHaproxyWritesThem) {
  // Captured from HAProxy 2.6 by the test server.
  EXPECT_EQ(http_request_bytes(http_request{}), "OPTIONS / HTTP/1.0\r\n\r\n");
  http_request get{"GET", "/x", "HTTP/1.1", {{"Host", "foo.example"}, {"X-A", "b"}}, ""};
  EXPECT_EQ(http_request_bytes(get),
            "GET /x HTTP/1.1\r\nhost: foo.example\r\nx-a: b\r\nconnection: close\r\n\r\n");
  http_request head{"HEAD", "/z", "HTTP/1.1", {{"Host", "h"}}, "abc"};
  EXPECT_EQ(http_request_bytes(head),
            "HEAD /z HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc");
}

TEST(checks_expect_test, InfoIsClippedLikeHaproxys) {
  EXPECT_EQ(clip_info(std::string("ab\0cd", 5)), "ab");
  EXPECT_EQ(clip_info(std::string(300, 'x')).size(), 127U);
  EXPECT_EQ(describe_expect(tcp_expect(expect_kind::string, "+PONG")), " (expect string '+PONG')");
}

TEST(checks_expect_test, HexDecoding) {
  EXPECT_EQ(decode_hex("50494e470d0a"), std::optional<std::string>("PING\r\n"));
  EXPECT_EQ(decode_hex("5"), std::nullopt);
  EXPECT_EQ(decode_hex("zz"), std::nullopt);
}

}  // namespace
}  // namespace tandem::runtime::checks
