// The frontend logger (which lines, at which level, to which targets), targets sending real
// datagrams on 127.0.0.1 and to a unix socket that never reads (dropped, never blocking), and
// the process's alerts as HAProxy words and levels them in syslog.
#include "runtime/proxy/log/logger.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy::log {
namespace {

// A UDP receiver on 127.0.0.1, closed with the test.
class udp_receiver {
 public:
  udp_receiver() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t n = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &n);
    port_ = ntohs(a.sin_port);
  }
  ~udp_receiver() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // The next datagram, "" after 2 s without one.
  std::string next() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1)
      return {};
    char buf[70000];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n < 0 ? std::string() : std::string(buf, static_cast<std::size_t>(n));
  }
  bool quiet() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 100) == 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::shared_ptr<target> target_for(std::vector<std::string> words) {
  std::string error;
  auto spec = parse_target(words, error);
  EXPECT_TRUE(spec.has_value()) << error;
  return std::make_shared<target>(spec.value_or(target_spec{}));
}

class logger_test : public ::testing::Test {
 protected:
  void SetUp() override {
    fe_.name_ = "fe";
    be_.name_ = "be";
    r_.frontend_ = &fe_;
    r_.backend_ = &be_;
    r_.http_ = true;
    r_.status_ = 200;
    r_.bytes_uploaded_ = 40;
    r_.request_line_ = "GET / HTTP/1.1";
  }
  logger_settings settings(std::string_view format = "%ST %tsc") {
    logger_settings s;
    std::string error;
    s.format_ = log_format::compile(format, error);
    s.targets_.push_back(target_for({receiver_.address(), "format", "raw", "local0"}));
    s.http_ = true;
    return s;
  }

  udp_receiver receiver_;
  frontend fe_;
  backend be_;
  log_record r_;
};

TEST_F(logger_test, emits_one_datagram_per_record) {
  frontend_logger l(settings());
  l.emit(r_);
  EXPECT_EQ(receiver_.next(), "200 ----\n");
}

TEST_F(logger_test, dontlognull_skips_what_sent_nothing) {
  logger_settings s = settings();
  s.dont_log_null_ = true;
  frontend_logger l(std::move(s));
  r_.bytes_uploaded_ = 0;
  EXPECT_FALSE(l.line(r_).has_value());
  r_.bytes_uploaded_ = 1;
  EXPECT_TRUE(l.line(r_).has_value());
}

TEST_F(logger_test, dontlog_normal_keeps_errors_only) {
  logger_settings s = settings();
  s.dont_log_normal_ = true;
  frontend_logger l(std::move(s));
  EXPECT_FALSE(l.line(r_).has_value());
  r_.status_ = 503;
  EXPECT_TRUE(l.line(r_).has_value());
  r_.status_ = 200;
  r_.termination_[0] = 'C';
  EXPECT_TRUE(l.line(r_).has_value());
  r_.termination_[0] = 'L';  // a local answer (stats, redirect) is not an error
  EXPECT_FALSE(l.line(r_).has_value());
  r_.termination_[0] = '-';
  r_.retries_ = 1;
  EXPECT_TRUE(l.line(r_).has_value());
}

TEST_F(logger_test, log_separate_errors_sends_errors_at_err) {
  logger_settings s = settings();
  s.separate_errors_ = true;
  frontend_logger l(std::move(s));
  EXPECT_EQ(l.line(r_)->first, info);
  r_.status_ = 503;
  EXPECT_EQ(l.line(r_)->first, err);
}

TEST_F(logger_test, target_level_filters) {
  logger_settings s = settings();
  s.targets_ = {target_for({receiver_.address(), "format", "short", "local0", "notice"})};
  frontend_logger l(std::move(s));
  l.emit(r_);  // info is above notice: not sent
  EXPECT_TRUE(receiver_.quiet());
}

TEST_F(logger_test, connect_from_line_where_no_format_is_set) {
  logger_settings s = settings();
  s.format_.reset();
  frontend_logger l(std::move(s));
  sockaddr_in c{};
  c.sin_family = AF_INET;
  c.sin_port = htons(51528);
  ::inet_pton(AF_INET, "127.0.0.1", &c.sin_addr);
  std::memcpy(&r_.client_, &c, sizeof c);
  c.sin_port = htons(30622);
  std::memcpy(&r_.frontend_address_, &c, sizeof c);
  l.accepted(r_);
  EXPECT_EQ(receiver_.next(), "Connect from 127.0.0.1:51528 to 127.0.0.1:30622 (fe/HTTP)\n");
  l.emit(r_);  // and nothing at the end
  EXPECT_TRUE(receiver_.quiet());
}

TEST_F(logger_test, a_format_logs_nothing_at_accept) {
  frontend_logger l(settings());
  l.accepted(r_);
  EXPECT_TRUE(receiver_.quiet());
}

TEST_F(logger_test, rfc5424_carries_the_structured_data) {
  logger_settings s = settings("%ST");
  std::string error;
  s.sd_format_ = log_format::compile("[req@1 s=\"%ST\"]", error);
  s.targets_ = {target_for({receiver_.address(), "format", "rfc5424", "local0"})};
  s.sender_.pid_ = "9";
  frontend_logger l(std::move(s));
  l.emit(r_);
  const std::string got = receiver_.next();
  EXPECT_TRUE(got.starts_with("<134>1 ")) << got;
  EXPECT_TRUE(got.ends_with(" - haproxy 9 - [req@1 s=\"200\"] 200\n")) << got;
}

TEST_F(logger_test, a_unix_socket_that_does_not_read_drops_lines_without_blocking) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("tandem-log-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "log.sock").string();
  const int receiver = ::socket(AF_UNIX, SOCK_DGRAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ASSERT_EQ(::bind(receiver, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  auto t = target_for({"unix@" + path, "local0"});
  const std::uint64_t before = dropped_logs();
  const auto start = std::chrono::steady_clock::now();
  const std::string line(1000, 'x');
  for (int i = 0; i < 2000; ++i)
    t->send(info, sender{}, std::chrono::system_clock::now(), line);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GT(dropped_logs(), before);
  EXPECT_LT(took, std::chrono::seconds(2));
  char buf[2048];
  const ssize_t n = ::recv(receiver, buf, sizeof buf, MSG_DONTWAIT);
  ASSERT_GT(n, 0);
  EXPECT_TRUE(std::string(buf, static_cast<std::size_t>(n)).starts_with("<134>"));
  ::close(receiver);
  std::filesystem::remove_all(dir);
}

TEST_F(logger_test, a_missing_unix_socket_is_counted_not_fatal) {
  auto t = target_for({"/nonexistent/tandem/log.sock", "local0"});
  const std::uint64_t before = dropped_logs();
  t->send(info, sender{}, std::chrono::system_clock::now(), "x");
  EXPECT_EQ(dropped_logs(), before + 1);
}

TEST(alerts_test, syslog_words_and_levels_as_haproxy) {
  // Measured on 2.6.12: DOWN is <129> (alert), UP <133> (notice) with local0, and the console's
  // "backend 'be' has no server available!" is "backend be has no server available!" at emerg.
  EXPECT_EQ(syslog_message("WARNING", "Server be/s1 is DOWN, reason: x").first, alert);
  EXPECT_EQ(syslog_message("WARNING", "Server be/s1 is UP, reason: x").first, notice);
  // The stats socket's admin commands, measured: <129> then <133> with local0.
  EXPECT_EQ(syslog_message("WARNING", "Server b/s1 is going DOWN for maintenance. 1 active and 0 "
                                      "backup servers left.")
                .first,
            alert);
  EXPECT_EQ(syslog_message("WARNING", "Server b/s2 enters drain state. 0 active").first, notice);
  EXPECT_EQ(syslog_message("WARNING", "Server b/s1 is UP/READY (leaving forced maintenance).").first,
            notice);
  EXPECT_EQ(syslog_message("WARNING", "Server b/s1 is DOWN/DRAIN (leaving forced maintenance).")
                .first,
            notice);
  EXPECT_EQ(syslog_message("ALERT", "backend 'be' has no server available!"),
            std::make_pair(int{emerg}, std::string("backend be has no server available!")));
  EXPECT_EQ(proxy_named("Server be/s1 is DOWN"), "be");
  EXPECT_EQ(proxy_named("Backup Server b2/s is UP"), "b2");
  EXPECT_EQ(proxy_named("backend 'x' has no server available!"), "x");
  EXPECT_EQ(proxy_named("proxy 'l' has no server available!"), "l");  // a listen section
  EXPECT_EQ(proxy_named("Proxy fe stopped (cumulated conns: FE: 0, BE: 0)."), "fe");
  EXPECT_EQ(proxy_named("Loading success."), "");
  // Measured on soft stop: "Proxy f stopped (…)." at warning (<132> with local0).
  EXPECT_EQ(syslog_message("WARNING", "Proxy f stopped (cumulated conns: FE: 0, BE: 0).").first,
            warning);
}

TEST(alerts_test, sent_to_the_backend_targets_then_the_console) {
  udp_receiver receiver;
  auto logs = std::make_shared<process_log>();
  logs->sender_.pid_ = "77";
  logs->proxies_["be"].targets_ = {target_for({receiver.address(), "local0"})};
  logs->proxies_["be"].sender_.pid_ = "77";
  logs->proxies_["quiet"] = {};
  std::string console;
  message_sink sink = alerts_to(logs, [&console](std::string_view level, std::string_view m) {
    console += std::string(level) + ":" + std::string(m) + "\n";
  });
  sink("ALERT", "backend 'be' has no server available!");
  const std::string got = receiver.next();
  EXPECT_TRUE(got.starts_with("<128>")) << got;
  EXPECT_TRUE(got.ends_with(" haproxy[77]: backend be has no server available!\n")) << got;
  sink("WARNING", "Server quiet/s is DOWN");  // a backend without `log`: console only
  EXPECT_TRUE(receiver.quiet());
  EXPECT_EQ(console,
            "ALERT:backend 'be' has no server available!\nWARNING:Server quiet/s is DOWN\n");
  report_failures_to(nullptr);  // alerts_to set it to this test's console
}

TEST(alerts_test, a_failed_send_is_reported_once_as_haproxy_words_it) {
  std::vector<std::string> alerts;
  report_failures_to([&alerts](std::string_view a) { alerts.emplace_back(a); });
  auto t = target_for({"/nonexistent/tandem/log.sock", "local0"});
  t->send(info, sender{}, std::chrono::system_clock::now(), "x", {}, 2);
  t->send(info, sender{}, std::chrono::system_clock::now(), "x", {}, 2);
  report_failures_to(nullptr);
  EXPECT_EQ(alerts, std::vector<std::string>{
                        "sendmsg()/writev() failed in logger #2: No such file or directory "
                        "(errno=2)"});
}

}  // namespace
}  // namespace tandem::runtime::proxy::log
