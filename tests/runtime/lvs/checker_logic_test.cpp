// keepalived's checker logic without sockets: the retry machine on a virtual clock (when each
// attempt happens and when the verdict falls), keepalived 2.2.7's log lines, status code
// ranges, the genhash MD5 of a body, MISC_CHECK's exit codes, the HTTP request, DNS and UDP.
#include <gtest/gtest.h>

#include "runtime/lvs/checkers/logic.hpp"

namespace tandem::runtime::lvs::checkers {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;

checker_spec spec(checker_kind k, unsigned retry = 1) {
  checker_spec s;
  s.kind_ = k;
  s.address_ = make_address("127.0.0.1");
  s.port_ = 8080;
  s.retry_ = retry;
  s.delay_before_retry_ = 1000ms;
  s.delay_loop_ = 5000ms;
  return s;
}

attempt ok() {
  attempt a;
  a.success_ = true;
  return a;
}
attempt fail(std::string reason = "") {
  attempt a;
  a.reason_ = std::move(reason);
  return a;
}

// Plays attempts on a virtual clock: "t=VERDICT" for each verdict, at the attempt's time (ms).
std::string timeline(retry_machine& m, std::vector<attempt> attempts,
                     std::vector<std::string>* logs = nullptr) {
  std::string out;
  long t = 0;
  for (const auto& a : attempts) {
    step s = m.on_attempt(a);
    if (s.verdict_) out += std::to_string(t) + (*s.verdict_ ? "=up " : "=down ");
    if (logs) logs->insert(logs->end(), s.logs_.begin(), s.logs_.end());
    t += static_cast<long>(s.next_.count());
  }
  return out + "end=" + std::to_string(t);
}

TEST(lvs_checker_logic, tcp_first_success_reports_up_then_retries_before_down) {
  auto s = spec(checker_kind::tcp, 2);
  retry_machine m(s);
  std::vector<std::string> logs;
  // up at 0; failures at 5000 (retry 1), 6000 (retry 2), 7000 -> down; then every 5 s.
  EXPECT_EQ(timeline(m, {ok(), fail(), fail(), fail(), fail(), ok()}, &logs),
            "0=up 7000=down 17000=up end=22000");
  EXPECT_EQ(logs, (std::vector<std::string>{
                      "TCP connection to [127.0.0.1]:tcp:8080 success.",
                      "TCP_CHECK on service [127.0.0.1]:tcp:8080 failed after 2 retries.",
                      "TCP connection to [127.0.0.1]:tcp:8080 success."}));
}

TEST(lvs_checker_logic, tcp_first_failure_without_alpha_retries_then_fails) {
  auto s = spec(checker_kind::tcp, 1);
  retry_machine m(s);
  std::vector<std::string> logs;
  EXPECT_EQ(timeline(m, {fail(), fail()}, &logs), "1000=down end=6000");
  EXPECT_EQ(logs.back(), "TCP_CHECK on service [127.0.0.1]:tcp:8080 failed after 1 retries.");
  auto z = spec(checker_kind::tcp, 0);
  retry_machine m0(z);
  logs.clear();
  EXPECT_EQ(timeline(m0, {fail()}, &logs), "0=down end=5000");
  EXPECT_EQ(logs.back(), "TCP_CHECK on service [127.0.0.1]:tcp:8080 failed.");
}

TEST(lvs_checker_logic, alpha_starts_down_and_a_failure_says_nothing) {
  auto s = spec(checker_kind::tcp, 3);
  s.alpha_ = true;
  retry_machine m(s);
  EXPECT_FALSE(m.is_up());
  // Down already: no retries, no verdict, delay_loop spacing.
  EXPECT_EQ(timeline(m, {fail(), fail(), ok()}), "10000=up end=15000");
}

TEST(lvs_checker_logic, http_logs_each_failure_reason_and_counts_retries) {
  auto s = spec(checker_kind::http, 1);
  s.urls_.emplace_back();
  s.urls_.back().path_ = "/";
  s.delay_before_retry_ = 3000ms;
  retry_machine m(s);
  std::vector<std::string> logs;
  attempt first = ok();
  first.notes_ = {"HTTP status code success to [127.0.0.1]:tcp:8080 url(1)."};
  EXPECT_EQ(timeline(m, {first, fail("HTTP status code error to"), fail("Timeout connecting")},
                     &logs),
            "0=up 8000=down end=13000");
  EXPECT_EQ(logs, (std::vector<std::string>{
                      "Remote Web server [127.0.0.1]:tcp:8080 succeed on service.",
                      "HTTP status code error to server [127.0.0.1]:tcp:8080.",
                      "Timeout connecting server [127.0.0.1]:tcp:8080.",
                      "HTTP_CHECK on service [127.0.0.1]:tcp:8080 failed after 1 retries."}));
  // Coming back up logs the URL's success line first.
  logs.clear();
  timeline(m, {first}, &logs);
  EXPECT_EQ(logs.at(0), "HTTP status code success to [127.0.0.1]:tcp:8080 url(1).");
  EXPECT_EQ(logs.at(1), "Remote Web server [127.0.0.1]:tcp:8080 succeed on service.");
}

TEST(lvs_checker_logic, misc_exit_codes_and_dynamic_weight) {
  auto s = spec(checker_kind::misc, 0);
  s.misc_path_ = "/bin/check arg";
  EXPECT_TRUE(misc_result(s, 0, false).success_);
  EXPECT_FALSE(misc_result(s, 1, false).success_);
  EXPECT_FALSE(misc_result(s, 7, false).success_);  // without misc_dynamic only 0 is up
  s.misc_dynamic_ = true;
  auto a = misc_result(s, 12, false);
  EXPECT_TRUE(a.success_);
  EXPECT_EQ(a.weight_, 10);
  EXPECT_EQ(misc_result(s, 2, false).weight_, 0);
  EXPECT_FALSE(misc_result(s, 1, false).success_);
  EXPECT_FALSE(misc_result(s, 0, true).success_);  // timed out

  retry_machine m(s);
  std::vector<std::string> logs;
  EXPECT_EQ(timeline(m, {misc_result(s, 0, false), misc_result(s, 1, false),
                         misc_result(s, 0, true)},
                     &logs),
            "0=up 5000=down end=15000");
  EXPECT_EQ(logs, (std::vector<std::string>{
                      "Misc check to [127.0.0.1] for [/bin/check arg] succeeded.",
                      "Misc check to [127.0.0.1] for [/bin/check arg] failed (exited with status 1)."}));
  s.retry_ = 1;
  retry_machine r(s);
  logs.clear();
  EXPECT_EQ(timeline(r, {misc_result(s, 0, true), misc_result(s, 0, true)}, &logs),
            "1000=down end=6000");
  EXPECT_EQ(logs.back(), "Misc check to [127.0.0.1] for [/bin/check arg] timed out.");
}

TEST(lvs_checker_logic, status_code_ranges) {
  std::vector<std::string> words{"200", "300-302", "503"};
  auto r = parse_status_codes(words);
  ASSERT_TRUE(r);
  EXPECT_TRUE(status_matches(*r, 200));
  EXPECT_TRUE(status_matches(*r, 301));
  EXPECT_FALSE(status_matches(*r, 304));
  EXPECT_TRUE(status_matches(*r, 503));
  EXPECT_TRUE(status_matches({}, 204));  // default 200-299
  EXPECT_FALSE(status_matches({}, 301));
  std::vector<std::string> bad{"20x"};
  EXPECT_FALSE(parse_status_codes(bad));
  std::vector<std::string> reversed{"300-200"};
  EXPECT_FALSE(parse_status_codes(reversed));
}

TEST(lvs_checker_logic, genhash_digest_is_md5_of_the_body_cut_at_content_length) {
  EXPECT_EQ(hex(md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(md5("hello\n")), "b1946ac92492d2347c6235b4d2611184");
  auto r = parse_http_response("HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\ntrailing");
  EXPECT_EQ(r.status_, 200);
  EXPECT_EQ(r.body_, "hello\n");
  auto no_len = parse_http_response("HTTP/1.1 404 Not Found\r\nServer: x\r\n\r\nabc");
  EXPECT_EQ(no_len.status_, 404);
  EXPECT_EQ(no_len.body_, "abc");
  EXPECT_FALSE(parse_http_response("HTTP/1.0 200 OK\r\n").has_headers_);
  EXPECT_EQ(parse_digest("b1946ac92492d2347c6235b4d2611184"), md5("hello\n"));
  EXPECT_FALSE(parse_digest("b1946ac9"));
}

TEST(lvs_checker_logic, judge_url_in_keepalived_order) {
  auto s = spec(checker_kind::http);
  url_spec u;
  u.path_ = "/";
  u.digest_ = md5("hello\n");
  u.status_ranges_ = {{200, 200}};
  s.urls_.push_back(u);
  attempt a;
  judge_url(s, 0, parse_http_response("HTTP/1.0 200 OK\r\n\r\nhello\n"), false, false, a);
  EXPECT_TRUE(a.success_);
  EXPECT_EQ(a.notes_.at(0), "MD5 digest success to [127.0.0.1]:tcp:8080 url(1).");
  judge_url(s, 0, parse_http_response("HTTP/1.0 200 OK\r\n\r\nbye\n"), false, false, a);
  EXPECT_EQ(a.reason_, "MD5 digest error to");
  judge_url(s, 0, parse_http_response("HTTP/1.0 500 Oops\r\n\r\nhello\n"), false, false, a);
  EXPECT_EQ(a.reason_, "HTTP status code error to");
  judge_url(s, 0, parse_http_response(""), false, false, a);
  EXPECT_EQ(a.reason_, "Read, no data received from ");
  s.urls_[0].digest_.reset();
  s.urls_[0].regex_ = "hel+o";
  judge_url(s, 0, parse_http_response("HTTP/1.0 200 OK\r\n\r\nhello\n"), false, false, a);
  EXPECT_EQ(a.reason_, "Regex match failed");
  attempt b;
  judge_url(s, 0, parse_http_response("HTTP/1.0 200 OK\r\n\r\nhello\n"), true, false, b);
  EXPECT_EQ(b.notes_.at(0), "Regex match success to [127.0.0.1]:tcp:8080 url(1).");
}

TEST(lvs_checker_logic, http_request_like_keepalived) {
  auto s = spec(checker_kind::http);
  url_spec u;
  u.path_ = "/health";
  EXPECT_EQ(http_request(s, u),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:8080\r\n\r\n");
  s.port_ = 80;
  s.virtualhost_ = "www.example.com";
  EXPECT_EQ(http_request(s, u),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: www.example.com\r\n\r\n");
  s.connection_close_ = true;  // http_protocol 1.0C
  EXPECT_EQ(http_request(s, u), "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\n"
                                "Connection: close\r\nHost: www.example.com\r\n\r\n");
  s.connection_close_ = false;
  s.http_1_1_ = true;
  EXPECT_EQ(http_request(s, u), "GET /health HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\n"
                                "Connection: close\r\nHost: www.example.com\r\n\r\n");
  s.http_1_1_ = false;
  s.kind_ = checker_kind::ssl;
  u.virtualhost_ = "other";
  EXPECT_EQ(http_request(s, u),
            "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: other:80\r\n\r\n");
}

TEST(lvs_checker_logic, dns_query_and_reply) {
  auto q = dns_query(0x1234, "example.com", 1);
  const std::vector<std::uint8_t> want = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                          7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
                                          0, 1, 0, 1};
  EXPECT_EQ(q, want);
  EXPECT_EQ(dns_query(1, ".", 6).size(), 12u + 1 + 4);  // the root: one zero byte
  auto reply = q;
  reply[2] |= 0x80;
  EXPECT_TRUE(dns_reply_ok(q, reply));
  reply[3] = 3;  // NXDOMAIN
  EXPECT_FALSE(dns_reply_ok(q, reply));
  EXPECT_EQ(dns_type_code("aaaa"), 28);
  EXPECT_EQ(dns_type_code("SOA"), 6);
  EXPECT_FALSE(dns_type_code("SRV"));
}

TEST(lvs_checker_logic, udp_hex_payload_and_reply_matching) {
  EXPECT_EQ(parse_hex_payload("Ab12f 3 456 546443123"),
            (std::vector<std::uint8_t>{0xAB, 0x12, 0x0F, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12,
                                       0x03}));
  auto s = spec(checker_kind::udp);
  s.require_reply_ = true;
  s.require_reply_hex_ = "ab x2";
  EXPECT_TRUE(udp_reply_ok(s, std::vector<std::uint8_t>{0xab, 0x72, 0x99}));
  EXPECT_FALSE(udp_reply_ok(s, std::vector<std::uint8_t>{0xab, 0x73}));
  s.min_reply_length_ = 4;
  EXPECT_FALSE(udp_reply_ok(s, std::vector<std::uint8_t>{0xab, 0x72, 0x99}));
}

TEST(lvs_checker_logic, file_values_and_command_splitting) {
  auto s = spec(checker_kind::file);
  EXPECT_TRUE(file_result(s, 0).success_);
  EXPECT_FALSE(file_result(s, 3).success_);
  EXPECT_FALSE(file_result(s, std::nullopt).success_);
  s.file_weight_ = 2;
  s.file_dynamic_ = true;
  EXPECT_EQ(file_result(s, 5).weight_, 10);
  EXPECT_FALSE(file_result(s, -127).success_);  // -254
  EXPECT_EQ(split_command("/bin/sh -c 'exit 3' \"a b\""),
            (std::vector<std::string>{"/bin/sh", "-c", "exit 3", "a b"}));
}

}  // namespace
}  // namespace tandem::runtime::lvs::checkers
