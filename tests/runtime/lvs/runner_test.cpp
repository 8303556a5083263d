// The checkers' Asio runner against servers the test starts on loopback: TCP connect, HTTP
// (the request keepalived sends, the genhash digest), MISC_CHECK exit codes and timeout, UDP
// and DNS over UDP, SMTP's dialogue, ICMP echo to 127.0.0.1 (as root), FILE_CHECK, and the
// periodic loop's verdicts and retries.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <fstream>

#include "runtime/lvs/checkers/runner.hpp"

namespace tandem::runtime::lvs::checkers {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

checker_spec spec(checker_kind k, std::uint16_t port) {
  checker_spec s;
  s.kind_ = k;
  s.address_ = asio::ip::make_address("127.0.0.1");
  s.port_ = port;
  s.connect_timeout_ = 1000ms;
  s.warmup_ = 0ms;
  return s;
}

attempt run_once(asio::io_context& io, const checker_spec& s) {
  io.restart();  // a previous run may have left it stopped, out of work
  auto r = std::make_shared<runner>(io.get_executor(), s, nullptr);
  attempt out;
  bool done = false;
  asio::co_spawn(
      io,
      [&, r]() -> asio::awaitable<void> {
        out = co_await r->attempt_once();
        done = true;
      },
      asio::detached);
  while (!done && io.run_one_for(5s)) {
  }
  return out;
}

// A one-shot TCP server: reads up to a blank line (or nothing), replies, closes.
struct tcp_server {
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::string request_;
  tcp_server(asio::io_context& io, std::string reply, bool read_request)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(
        io,
        [this, reply, read_request]() -> asio::awaitable<void> {
          for (;;) {
            auto [ec, s] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            if (read_request) {
              asio::streambuf buf;
              auto [e2, n] = co_await asio::async_read_until(s, buf, "\r\n\r\n",
                                                             asio::as_tuple(asio::use_awaitable));
              request_.assign(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) +
                                                                  static_cast<std::ptrdiff_t>(n));
            }
            co_await asio::async_write(s, asio::buffer(reply), asio::as_tuple(asio::use_awaitable));
          }
        },
        asio::detached);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
};

TEST(lvs_checker_runner, tcp_connects_or_fails) {
  asio::io_context io;
  tcp_server srv(io, "", false);
  EXPECT_TRUE(run_once(io, spec(checker_kind::tcp, srv.port())).success_);
  const auto closed = srv.port();
  srv.acceptor_.close();
  auto a = run_once(io, spec(checker_kind::tcp, closed));
  EXPECT_FALSE(a.success_);
  EXPECT_EQ(a.reason_, "TCP connection to [127.0.0.1]:tcp:" + std::to_string(closed) + " failed.");
}

TEST(lvs_checker_runner, tcp_connect_timeout_on_a_full_listen_queue) {
  asio::io_context io;
  // A listener that never accepts, its queue filled: further SYNs are dropped, so the
  // checker's connect can only time out.
  tcp::acceptor full(io);
  full.open(tcp::v4());
  full.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  full.listen(0);
  std::vector<std::unique_ptr<tcp::socket>> fillers;
  for (int i = 0; i < 4; ++i) {
    fillers.push_back(std::make_unique<tcp::socket>(io));
    fillers.back()->async_connect(full.local_endpoint(), [](boost::system::error_code) {});
  }
  io.run_for(300ms);
  io.restart();
  auto s = spec(checker_kind::tcp, full.local_endpoint().port());
  s.connect_timeout_ = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto a = run_once(io, s);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(a.success_);
  EXPECT_EQ(a.reason_, "TCP connection to [127.0.0.1]:tcp:" +
                           std::to_string(full.local_endpoint().port()) + " timedout.");
  EXPECT_GE(took, 280ms);
  EXPECT_LT(took, 2s);
}

TEST(lvs_checker_runner, http_get_sends_keepalived_request_and_checks_digest) {
  asio::io_context io;
  tcp_server srv(io, "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n", true);
  auto s = spec(checker_kind::http, srv.port());
  url_spec u;
  u.path_ = "/index.html";
  u.digest_ = md5("hello\n");
  s.urls_.push_back(u);
  auto a = run_once(io, s);
  EXPECT_TRUE(a.success_) << a.reason_;
  EXPECT_EQ(srv.request_, "GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: "
                          "127.0.0.1:" + std::to_string(srv.port()) + "\r\n\r\n");
  ASSERT_EQ(a.notes_.size(), 1u);
  EXPECT_EQ(a.notes_[0], "MD5 digest success to [127.0.0.1]:tcp:" + std::to_string(srv.port()) +
                             " url(1).");
  s.urls_[0].digest_ = md5("other");
  EXPECT_EQ(run_once(io, s).reason_, "MD5 digest error to");
  s.urls_[0].digest_.reset();
  s.urls_[0].status_ranges_ = {{300, 399}};
  EXPECT_EQ(run_once(io, s).reason_, "HTTP status code error to");
}

TEST(lvs_checker_runner, misc_exit_codes_dynamic_weight_and_timeout) {
  asio::io_context io;
  auto s = spec(checker_kind::misc, 0);
  s.misc_path_ = "/bin/sh -c 'exit 0'";
  EXPECT_TRUE(run_once(io, s).success_);
  s.misc_path_ = "/bin/sh -c 'exit 1'";
  EXPECT_FALSE(run_once(io, s).success_);
  s.misc_dynamic_ = true;
  s.misc_path_ = "/bin/sh -c 'exit 12'";
  auto a = run_once(io, s);
  EXPECT_TRUE(a.success_);
  EXPECT_EQ(a.weight_, 10);
  s.misc_path_ = "/bin/sleep 5";
  s.misc_timeout_ = 200ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto t = run_once(io, s);
  EXPECT_TRUE(t.timed_out_);
  EXPECT_FALSE(t.success_);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST(lvs_checker_runner, udp_reply_required_and_port_unreachable) {
  asio::io_context io;
  udp::socket echo(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::array<char, 512> buf{};
  udp::endpoint from;
  std::function<void()> serve = [&] {
    echo.async_receive_from(asio::buffer(buf), from, [&](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      echo.send_to(asio::buffer(buf.data(), n), from);
      serve();
    });
  };
  serve();
  auto s = spec(checker_kind::udp, echo.local_endpoint().port());
  s.payload_ = parse_hex_payload("ab cd");
  s.require_reply_ = true;
  s.require_reply_hex_ = "abcd";
  EXPECT_TRUE(run_once(io, s).success_);
  s.require_reply_hex_ = "abce";
  EXPECT_FALSE(run_once(io, s).success_);
  const auto port = echo.local_endpoint().port();
  echo.close();
  auto closed = spec(checker_kind::udp, port);
  EXPECT_FALSE(run_once(io, closed).success_);  // ICMP port unreachable
}

TEST(lvs_checker_runner, dns_query_gets_an_answer) {
  asio::io_context io;
  udp::socket dns(io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::array<std::uint8_t, 512> buf{};
  udp::endpoint from;
  std::uint8_t rcode = 0;
  std::function<void()> serve = [&] {
    dns.async_receive_from(asio::buffer(buf), from, [&](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      buf[2] |= 0x80;
      buf[3] = rcode;
      dns.send_to(asio::buffer(buf.data(), n), from);
      serve();
    });
  };
  serve();
  auto s = spec(checker_kind::dns, dns.local_endpoint().port());
  EXPECT_TRUE(run_once(io, s).success_);
  rcode = 2;  // SERVFAIL
  EXPECT_FALSE(run_once(io, s).success_);
}

TEST(lvs_checker_runner, smtp_greeting_helo_quit) {
  asio::io_context io;
  tcp::acceptor acc(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string seen;
  int banner = 220;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto [ec, s] = co_await acc.async_accept(asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
          const std::string hello = std::to_string(banner) + "-mail.example\r\n" +
                                    std::to_string(banner) + " ESMTP ready\r\n";
          co_await asio::async_write(s, asio::buffer(hello), asio::as_tuple(asio::use_awaitable));
          asio::streambuf b;
          auto [e1, n1] = co_await asio::async_read_until(s, b, "\r\n", asio::as_tuple(asio::use_awaitable));
          if (e1) continue;
          seen.assign(asio::buffers_begin(b.data()), asio::buffers_begin(b.data()) + static_cast<std::ptrdiff_t>(n1));
          co_await asio::async_write(s, asio::buffer(std::string("250 hi\r\n")), asio::as_tuple(asio::use_awaitable));
          b.consume(n1);
          auto [e2, n2] = co_await asio::async_read_until(s, b, "\r\n", asio::as_tuple(asio::use_awaitable));
          (void)e2;
          (void)n2;
          co_await asio::async_write(s, asio::buffer(std::string("221 bye\r\n")), asio::as_tuple(asio::use_awaitable));
        }
      },
      asio::detached);
  auto s = spec(checker_kind::smtp, acc.local_endpoint().port());
  s.helo_name_ = "checker.example";
  EXPECT_TRUE(run_once(io, s).success_);
  EXPECT_EQ(seen, "HELO checker.example\r\n");
  banner = 554;
  EXPECT_FALSE(run_once(io, s).success_);
}

TEST(lvs_checker_runner, ping_loopback_as_root) {
  if (::geteuid() != 0) GTEST_SKIP() << "ICMP echo needs a raw socket";
  asio::io_context io;
  EXPECT_TRUE(run_once(io, spec(checker_kind::ping, 0)).success_);
}

TEST(lvs_checker_runner, file_check_reads_the_value) {
  asio::io_context io;
  char path[] = "/tmp/lvs_file_check_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  auto s = spec(checker_kind::file, 0);
  s.file_path_ = path;
  std::ofstream(path) << "0\n";
  EXPECT_TRUE(run_once(io, s).success_);
  std::ofstream(path) << "5\n";
  EXPECT_FALSE(run_once(io, s).success_);
  ::unlink(path);
  EXPECT_FALSE(run_once(io, s).success_);
}

TEST(lvs_checker_runner, loop_reports_down_after_retries_then_up) {
  asio::io_context io;
  tcp_server srv(io, "", false);
  const auto port = srv.port();
  srv.acceptor_.close();
  auto s = spec(checker_kind::tcp, port);
  s.retry_ = 2;
  s.delay_before_retry_ = 50ms;
  s.delay_loop_ = 100ms;
  s.connect_timeout_ = 200ms;
  std::vector<std::string> lines;
  std::vector<bool> verdicts;
  std::vector<std::chrono::steady_clock::time_point> when;
  auto r = std::make_shared<runner>(io.get_executor(), s, [&](const checker_event& e) {
    lines.insert(lines.end(), e.logs_.begin(), e.logs_.end());
    if (e.verdict_) {
      verdicts.push_back(*e.verdict_);
      when.push_back(std::chrono::steady_clock::now());
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  r->start();
  while (verdicts.empty() && io.run_one_for(2s)) {
  }
  ASSERT_EQ(verdicts, std::vector<bool>{false});
  // Three failures, two retries 50 ms apart: about 100 ms, well under a delay_loop more.
  EXPECT_GE(when[0] - t0, 90ms);
  EXPECT_LT(when[0] - t0, 600ms);
  EXPECT_EQ(lines.back(), "TCP_CHECK on service [127.0.0.1]:tcp:" + std::to_string(port) +
                              " failed after 2 retries.");
  tcp::acceptor again(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  again.listen();
  while (verdicts.size() < 2 && io.run_one_for(2s)) {
  }
  r->stop();
  ASSERT_EQ(verdicts, (std::vector<bool>{false, true}));
  EXPECT_EQ(lines.back(), "TCP connection to [127.0.0.1]:tcp:" + std::to_string(port) + " success.");
  io.run_for(200ms);
}

TEST(lvs_checker_runner, warmup_delays_the_first_check_by_a_random_part_of_it) {
  asio::io_context io;
  tcp_server srv(io, "", false);
  auto s = spec(checker_kind::tcp, srv.port());
  s.alpha_ = true;
  s.warmup_ = 300ms;
  std::uint32_t asked = 0;
  std::optional<std::chrono::steady_clock::time_point> up;
  auto r = std::make_shared<runner>(
      io.get_executor(), s,
      [&](const checker_event& e) {
        if (e.verdict_ && *e.verdict_) up = std::chrono::steady_clock::now();
      },
      [&](std::uint32_t bound) {
        asked = bound;
        return bound - 1;  // the longest warmup
      });
  const auto t0 = std::chrono::steady_clock::now();
  r->start();
  while (!up && io.run_one_for(2s)) {
  }
  r->stop();
  ASSERT_TRUE(up);
  EXPECT_EQ(asked, 301u);  // [0, warmup] in milliseconds
  EXPECT_GE(*up - t0, 290ms);
  EXPECT_LT(*up - t0, 1500ms);
  io.run_for(100ms);
}

TEST(lvs_checker_runner, notify_scripts_run_without_a_shell) {
  asio::io_context io;
  char path[] = "/tmp/lvs_notify_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ::unlink(path);
  ASSERT_TRUE(run_script(io.get_executor(), std::string("/usr/bin/touch '") + path + "'"));
  io.run_for(1s);
  EXPECT_EQ(::access(path, F_OK), 0);
  ::unlink(path);
  EXPECT_FALSE(run_script(io.get_executor(), "/nonexistent/script arg"));
}

}  // namespace
}  // namespace tandem::runtime::lvs::checkers
