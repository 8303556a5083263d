// The periodic runner against a loopback server whose health the test switches: transitions
// and their timing, the first delay, and stop() (no callback after it, safe to destroy).
#include "runtime/checks/server_check.hpp"

#include <gtest/gtest.h>

#include "runtime/checks/builtin.hpp"
#include "tests/runtime/checks/test_support.hpp"

namespace tandem::runtime::checks {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// Answers 200 while `healthy`, else 500.
loopback_server::behaviour switchable(std::shared_ptr<bool> healthy) {
  return [healthy](tcp::socket& s, loopback_server& server) -> asio::awaitable<void> {
    const std::string reply =
        *healthy ? "HTTP/1.0 200 OK\r\n\r\n" : "HTTP/1.0 500 Internal Server Error\r\n\r\n";
    co_await reply_to_request(reply)(s, server);
  };
}

check_spec http_spec(std::uint16_t port) {
  check_spec s;
  s.backend_ = "app";
  s.server_ = "web1";
  s.address_ = "127.0.0.1";
  s.port_ = port;
  s.kind_ = check_kind::http;
  s.steps_ = tcp_connect_steps();
  send_step send;
  send.form_ = send_step::form::http;
  s.steps_.emplace_back(send);
  s.steps_.emplace_back(default_http_expect());
  s.health_ = health_settings{2, 2, 30ms, 10ms, 20ms};
  s.timeout_check_ = 50ms;
  s.timeout_connect_ = 50ms;
  return s;
}

template <typename Predicate>
bool run_until(asio::io_context& io, Predicate done, std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(10ms);
  }
  return done();
}

TEST(checks_server_check_test, GoesDownAtOnceThenUpAfterRiseSuccesses) {
  asio::io_context io;
  auto healthy = std::make_shared<bool>(false);
  loopback_server server(io, switchable(healthy));
  std::vector<check_event> events;
  server_check check(io.get_executor(), http_spec(server.port()),
                     [&](const check_event& e) { events.push_back(e); });
  ASSERT_TRUE(check.valid());
  check.start();
  ASSERT_TRUE(run_until(io, [&] { return !events.empty(); }));
  ASSERT_TRUE(events[0].change_.transition_);
  EXPECT_EQ(*events[0].change_.transition_, server_health::down);
  EXPECT_EQ(events[0].health_check_line_,
            "Health check for server app/web1 failed, reason: Layer7 wrong status, code: 500, "
            "info: \"Internal Server Error\", check duration: " +
                std::to_string(events[0].result_.duration_.count()) + "ms, status: 0/2 DOWN.");
  *healthy = true;
  ASSERT_TRUE(run_until(io, [&] { return events.back().state_ == server_health::up; }));
  check.stop();
  // From DOWN: a silent failure or two (downinter), then rise = 2 successes, the second one
  // the transition.
  const check_event& up = events.back();
  ASSERT_TRUE(up.change_.transition_);
  EXPECT_EQ(up.status_text_, "2/2 UP");
  const check_event& before = events[events.size() - 2];
  EXPECT_EQ(before.status_text_, "1/2 DOWN");
  EXPECT_FALSE(before.change_.transition_);
  EXPECT_EQ(before.result_.code_, 200);
}

TEST(checks_server_check_test, FirstDelayIsHonoured) {
  asio::io_context io;
  loopback_server server(io, reply_to_request("HTTP/1.0 200 OK\r\n\r\n"));
  check_spec s = http_spec(server.port());
  s.first_delay_ = 120ms;
  std::optional<std::chrono::steady_clock::time_point> first;
  const auto started = std::chrono::steady_clock::now();
  server_check check(io.get_executor(), s, [&](const check_event&) {
    if (!first) {
      first = std::chrono::steady_clock::now();
    }
  });
  check.start();
  ASSERT_TRUE(run_until(io, [&] { return first.has_value(); }));
  EXPECT_GE(*first - started, 120ms);
  EXPECT_EQ(server.connections(), 1);
}

TEST(checks_server_check_test, NoCallbackAfterStopAndSafeToDestroyMidCheck) {
  asio::io_context io;
  loopback_server server(io, stay_silent());
  int calls = 0;
  {
    check_spec s = http_spec(server.port());
    s.timeout_check_ = 2s;
    s.health_.inter_ = 2s;
    auto check =
        std::make_unique<server_check>(io.get_executor(), s, [&](const check_event&) { ++calls; });
    check->start();
    ASSERT_TRUE(run_until(io, [&] { return server.connections() == 1; }));
    check->stop();
    check.reset();  // the check in progress holds its own state
  }
  io.restart();
  io.run_for(100ms);
  EXPECT_EQ(calls, 0);
  // The probe's connection was closed by stop(): the silent server saw it end.
  EXPECT_EQ(server.received_.size(), 1U);
}

TEST(checks_server_check_test, StopFromTheCallback) {
  asio::io_context io;
  loopback_server server(io, reply_to_request("HTTP/1.0 200 OK\r\n\r\n"));
  int calls = 0;
  std::unique_ptr<server_check> check;
  check = std::make_unique<server_check>(io.get_executor(), http_spec(server.port()),
                                         [&](const check_event&) {
                                           ++calls;
                                           check->stop();
                                         });
  check->start();
  run_until(io, [&] { return calls > 0; });
  io.restart();
  io.run_for(150ms);
  EXPECT_EQ(calls, 1);
}

TEST(checks_server_check_test, AnInvalidSpecDoesNotRun) {
  asio::io_context io;
  check_spec s = http_spec(1);
  s.steps_.clear();
  int calls = 0;
  server_check check(io.get_executor(), s, [&](const check_event&) { ++calls; });
  EXPECT_FALSE(check.valid());
  EXPECT_FALSE(check.error().empty());
  check.start();
  io.run_for(50ms);
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace tandem::runtime::checks
