// The probe against real loopback servers started by the test: each kind of check and each
// way a server can fail, with the status and info HAProxy 2.6 gives in the same situation
// (the infos in quotes were captured from haproxy -db). Timeouts are tens of milliseconds.
#include "runtime/checks/probe.hpp"

#include <gtest/gtest.h>

#include "runtime/checks/builtin.hpp"
#include "tests/runtime/checks/test_support.hpp"

namespace tandem::runtime::checks {
namespace {

using namespace std::chrono_literals;
using namespace testing;

check_spec spec_for(std::uint16_t port, check_kind kind, std::vector<check_step> steps) {
  check_spec s;
  s.backend_ = "app";
  s.server_ = "web1";
  s.address_ = "127.0.0.1";
  s.port_ = port;
  s.kind_ = kind;
  s.steps_ = std::move(steps);
  s.health_.inter_ = 300ms;
  s.timeout_connect_ = 100ms;
  s.timeout_check_ = 60ms;
  return s;
}

std::vector<check_step> http_steps(http_request request = {}) {
  std::vector<check_step> steps = tcp_connect_steps();
  send_step send;
  send.form_ = send_step::form::http;
  send.http_ = std::move(request);
  steps.emplace_back(std::move(send));
  steps.emplace_back(default_http_expect());
  return steps;
}

class checks_probe_test : public ::testing::Test {
 protected:
  check_result probe_once(const check_spec& spec, bool server_down = false) {
    std::string error;
    std::optional<check_program> program = check_program::compile(spec, error);
    EXPECT_TRUE(program) << error;
    probe p(io_.get_executor());
    std::optional<check_result> r = run_for(io_, p.run(*program, server_down));
    EXPECT_TRUE(r) << "the probe did not finish";
    drain(io_);
    return r.value_or(check_result{});
  }

  asio::io_context io_;
};

TEST_F(checks_probe_test, ClosedPortIsALayer4ConnectionProblem) {
  const check_result r =
      probe_once(spec_for(closed_port(io_), check_kind::tcp, tcp_connect_steps()));
  EXPECT_EQ(r.status_, check_status::l4con);
  EXPECT_EQ(r.info_, "Connection refused");
  EXPECT_LT(r.duration_, 500ms);
}

TEST_F(checks_probe_test, PlainConnectPassesEvenIfTheServerClosesAtOnce) {
  loopback_server server(io_, close_at_once());
  const check_result r = probe_once(spec_for(server.port(), check_kind::tcp, tcp_connect_steps()));
  EXPECT_EQ(r.status_, check_status::l4ok);  // measured: "Layer4 check passed", no info
  EXPECT_EQ(r.info_, "");
}

TEST_F(checks_probe_test, ConnectTimeoutIsLayer4Timeout) {
  full_backlog hole(io_);
  const auto started = std::chrono::steady_clock::now();
  const check_result r = probe_once(spec_for(hole.port(), check_kind::tcp, tcp_connect_steps()));
  EXPECT_EQ(r.status_, check_status::l4tout);
  // min(inter, timeout connect) when timeout check is set.
  EXPECT_GE(r.duration_, 100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(checks_probe_test, Http200PassesAndTheRequestIsHaproxys) {
  loopback_server server(io_, reply_to_request("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  const check_result r = probe_once(spec_for(server.port(), check_kind::http,
                                             http_steps({"GET", "/health", "HTTP/1.0", {}, ""})));
  EXPECT_EQ(r.status_, check_status::l7ok);
  EXPECT_EQ(r.code_, 200);
  ASSERT_EQ(server.received_.size(), 1U);
  EXPECT_EQ(server.received_[0], "GET /health HTTP/1.0\r\n\r\n");  // as HAProxy sends it
}

TEST_F(checks_probe_test, Http500IsWrongStatusWithTheReason) {
  loopback_server server(
      io_, reply_to_request("HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"));
  const check_result r = probe_once(spec_for(server.port(), check_kind::http, http_steps()));
  EXPECT_EQ(r.status_, check_status::l7sts);
  EXPECT_EQ(r.code_, 500);
  EXPECT_EQ(r.info_, "Internal Server Error");
}

TEST_F(checks_probe_test, GarbageIsAnInvalidResponse) {
  loopback_server server(io_, reply_to_request("garbage here\r\n\r\n"));
  const check_result r = probe_once(spec_for(server.port(), check_kind::http, http_steps()));
  EXPECT_EQ(r.status_, check_status::l7rsp);
  EXPECT_EQ(r.info_, "");
}

TEST_F(checks_probe_test, NoAnswerIsALayer7Timeout) {
  loopback_server server(io_, stay_silent());
  check_spec s = spec_for(server.port(), check_kind::http, http_steps());
  s.health_.inter_ = 5s;
  const check_result r = probe_once(s);
  EXPECT_EQ(r.status_, check_status::l7tout);
  EXPECT_EQ(r.info_, "");
  // Measured: once connected the check lasts max(connect deadline, timeout check), here the
  // 100 ms of timeout connect rather than the 60 ms of timeout check, and not inter.
  EXPECT_GE(r.duration_, 100ms);
  EXPECT_LT(r.duration_, 2s);
  // A longer timeout check than timeout connect runs from the connection.
  s.timeout_connect_ = 20ms;
  s.timeout_check_ = 150ms;
  const check_result longer = probe_once(s);
  EXPECT_EQ(longer.status_, check_status::l7tout);
  EXPECT_GE(longer.duration_, 150ms);
  EXPECT_LT(longer.duration_, 2s);
}

TEST_F(checks_probe_test, WithoutTimeoutCheckTheWholeCheckHasInter) {
  loopback_server server(io_, stay_silent());
  check_spec s = spec_for(server.port(), check_kind::http, http_steps());
  s.timeout_check_.reset();
  s.health_.inter_ = 80ms;
  const check_result r = probe_once(s);
  EXPECT_EQ(r.status_, check_status::l7tout);
  EXPECT_GE(r.duration_, 80ms);
}

TEST_F(checks_probe_test, ClosingWithoutAnAnswer) {
  loopback_server server(io_, close_at_once());
  const check_result r = probe_once(spec_for(server.port(), check_kind::http, http_steps()));
  // HAProxy: "Socket error, info: Connection reset by peer" when the request hits the closed
  // socket, or an invalid (empty) response when the close is seen first.
  EXPECT_TRUE(r.status_ == check_status::sockerr || r.status_ == check_status::l7rsp)
      << status_name(r.status_);
  if (r.status_ == check_status::sockerr) {
    EXPECT_EQ(r.info_, "Connection reset by peer");
  }
}

TEST_F(checks_probe_test, SmtpBannerAndReplies) {
  loopback_server server(io_, dialogue("220 x\r\n", {"250 ok\r\n", "221 bye\r\n"}));
  const check_result r =
      probe_once(spec_for(server.port(), check_kind::smtp, smtp_steps("EHLO me.example")));
  EXPECT_EQ(r.status_, check_status::l7ok);
  EXPECT_EQ(r.code_, 221);
  EXPECT_EQ(r.info_, "bye");
  EXPECT_EQ(server.received_, (std::vector<std::string>{"EHLO me.example\r\n", "QUIT\r\n"}));
}

TEST_F(checks_probe_test, SmtpRefusal) {
  loopback_server server(io_, dialogue("554 no\r\n", {}));
  const check_result r =
      probe_once(spec_for(server.port(), check_kind::smtp, smtp_steps("HELO localhost")));
  EXPECT_EQ(r.status_, check_status::l7sts);
  EXPECT_EQ(r.code_, 554);
  EXPECT_EQ(r.info_, "no");
}

std::vector<check_step> ping_pong(std::optional<std::uint16_t> connect_port = {},
                                  bool explicit_connect = false) {
  std::vector<check_step> steps;
  connect_step c;
  c.implicit_ = !explicit_connect && !connect_port;
  c.port_ = connect_port;
  steps.emplace_back(c);
  send_step s;
  s.data_ = "PING\r\n";
  steps.emplace_back(s);
  expect_step e;
  e.kind_ = expect_kind::string;
  e.pattern_ = "+PONG";
  steps.emplace_back(e);
  return steps;
}

TEST_F(checks_probe_test, TcpCheckRulesPassAndFailAsHaproxyWordsThem) {
  loopback_server pong(io_, reply_to_request("+PONG\r\n", "\n"));
  const check_result ok = probe_once(spec_for(pong.port(), check_kind::tcp_check, ping_pong()));
  EXPECT_EQ(ok.status_, check_status::l7ok);
  EXPECT_EQ(ok.info_, "(tcp-check)");
  EXPECT_EQ(pong.received_.at(0), "PING\r\n");

  loopback_server http(io_, reply_to_request("HTTP/1.0 200 OK\r\n\r\n", "\n"));
  const check_result bad = probe_once(spec_for(http.port(), check_kind::tcp_check, ping_pong()));
  EXPECT_EQ(bad.status_, check_status::l7rsp);
  EXPECT_EQ(bad.info_, "TCPCHK did not match content '+PONG' at step 2");

  loopback_server silent(io_, stay_silent());
  const check_result timeout =
      probe_once(spec_for(silent.port(), check_kind::tcp_check, ping_pong()));
  EXPECT_EQ(timeout.status_, check_status::l7tout);
  EXPECT_EQ(timeout.info_, " at step 2 of tcp-check (expect string '+PONG')");

  check_spec commented = spec_for(silent.port(), check_kind::tcp_check, ping_pong({}, true));
  commented.step_numbers_ = {2, 4, 5};  // comment, connect, comment, send, expect
  EXPECT_EQ(probe_once(commented).info_, " at step 5 of tcp-check (expect string '+PONG')");

  const check_result refused =
      probe_once(spec_for(closed_port(io_), check_kind::tcp_check, ping_pong()));
  EXPECT_EQ(refused.status_, check_status::l4con);
  EXPECT_EQ(refused.info_, "Connection refused at initial connection step of tcp-check");

  const std::uint16_t nothing = closed_port(io_);
  const check_result refused_rule =
      probe_once(spec_for(pong.port(), check_kind::tcp_check, ping_pong(nothing)));
  EXPECT_EQ(refused_rule.info_, "Connection refused at step 1 of tcp-check (connect port " +
                                    std::to_string(nothing) + ")");
}

TEST_F(checks_probe_test, ProtocolChecksReportAnEmptyResponse) {
  // pgsql: connect (1), send (2), expect (3): the server closes without a word.
  loopback_server closer(io_, [](tcp::socket& s, loopback_server&) -> asio::awaitable<void> {
    char b[256];
    co_await s.async_read_some(asio::buffer(b), use_tuple);
    boost::system::error_code ignored;
    s.shutdown(tcp::socket::shutdown_send, ignored);
    co_await s.async_read_some(asio::buffer(b), use_tuple);
  });
  const check_result r = probe_once(spec_for(closer.port(), check_kind::pgsql, pgsql_steps("pg")));
  EXPECT_EQ(r.status_, check_status::l7rsp);
  EXPECT_EQ(r.info_, "TCPCHK got an empty response at step 3");  // measured
}

TEST_F(checks_probe_test, RedisAndSslHello) {
  loopback_server redis(io_, reply_to_request("+PONG\r\n", "PING\r\n"));
  const check_result r = probe_once(spec_for(redis.port(), check_kind::redis, redis_steps()));
  EXPECT_EQ(r.status_, check_status::l7ok);
  EXPECT_EQ(r.info_, "Redis server is ok");
  EXPECT_EQ(redis.received_.at(0), "*1\r\n$4\r\nPING\r\n");

  loopback_server http(io_, reply_to_request("HTTP/1.0 200 OK\r\n\r\n", "\x01"));
  const check_result ssl =
      probe_once(spec_for(http.port(), check_kind::ssl_hello, ssl_hello_steps()));
  EXPECT_EQ(ssl.status_, check_status::l6rsp);  // measured: "Layer6 invalid response"

  loopback_server silent(io_, stay_silent());
  const check_result ssl_timeout =
      probe_once(spec_for(silent.port(), check_kind::ssl_hello, ssl_hello_steps()));
  EXPECT_EQ(ssl_timeout.status_, check_status::l6tout);  // measured: "Layer6 timeout"
}

TEST_F(checks_probe_test, CheckPortAndAddressOverrideTheServers) {
  loopback_server server(io_, reply_to_request("HTTP/1.0 200 OK\r\n\r\n"));
  check_spec s = spec_for(closed_port(io_), check_kind::http, http_steps());
  s.address_ = "192.0.2.1";  // never reached: the check address and port win
  s.check_address_ = "127.0.0.1";
  s.check_port_ = server.port();
  EXPECT_EQ(probe_once(s).status_, check_status::l7ok);
}

TEST_F(checks_probe_test, DisableOn404) {
  loopback_server server(io_, reply_to_request("HTTP/1.0 404 Not Found\r\n\r\n"));
  check_spec s = spec_for(server.port(), check_kind::http, http_steps());
  s.disable_on_404_ = true;
  const check_result up = probe_once(s, false);
  EXPECT_EQ(up.status_, check_status::l7okc);
  EXPECT_EQ(up.code_, 404);
  EXPECT_EQ(probe_once(s, true).status_, check_status::l7sts);
}

TEST_F(checks_probe_test, CancelEndsARunAtOnce) {
  loopback_server server(io_, stay_silent());
  check_spec s = spec_for(server.port(), check_kind::http, http_steps());
  s.health_.inter_ = 5s;
  s.timeout_check_.reset();
  std::string error;
  const std::optional<check_program> program = check_program::compile(s, error);
  ASSERT_TRUE(program);
  probe p(io_.get_executor());
  asio::steady_timer later(io_, 30ms);
  later.async_wait([&](boost::system::error_code) { p.cancel(); });
  const auto started = std::chrono::steady_clock::now();
  const std::optional<check_result> r = run_for(io_, p.run(*program, false), 2s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status_, check_status::sockerr);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST(checks_program_test, BadRegexAndMissingConnectAreRefused) {
  check_spec s;
  expect_step e;
  e.kind_ = expect_kind::rstring;
  e.pattern_ = "(";
  s.steps_ = {connect_step{}, e};
  std::string error;
  EXPECT_FALSE(check_program::compile(s, error));
  EXPECT_NE(error.find("invalid regex '('"), std::string::npos) << error;
  s.steps_ = {expect_step{}};
  EXPECT_FALSE(check_program::compile(s, error));
}

}  // namespace
}  // namespace tandem::runtime::checks
