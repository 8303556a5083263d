// Syslog framing and `log` line reading, byte for byte as HAProxy 2.6.12 sends each format
// (measured with a UDP receiver on 127.0.0.1; see compat-tests/proxy/test_logs.py).
#include "runtime/proxy/log/syslog.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace tandem::runtime::proxy::log {
namespace {

class syslog_test : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  static target_spec spec(std::vector<std::string> words) {
    std::string error;
    auto t = parse_target(words, error);
    EXPECT_TRUE(t.has_value()) << error;
    return t.value_or(target_spec{});
  }
  sender from_{"haproxy", "2398", ""};
};

std::chrono::system_clock::time_point at(int year, int mon, int day, int h, int m, int s, long us) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = s;
  const std::time_t t = ::timegm(&tm);
  return std::chrono::system_clock::from_time_t(t) + std::chrono::microseconds(us);
}

const auto now = at(2026, 11, 21, 7, 43, 15, 718763);
const std::string message = "127.0.0.1:34430 [21/Nov/2026:07:43:15.718] fe be/s1";

TEST_F(syslog_test, local_is_the_default_format_without_host_name) {
  EXPECT_EQ(frame(spec({"127.0.0.1", "local0"}), info, from_, now, message),
            "<134>Nov 21 07:43:15 haproxy[2398]: " + message + "\n");
}

TEST_F(syslog_test, each_format_as_haproxy_sends_it) {
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "rfc3164", "local0"}), info, from_, now, message),
            "<134>Nov 21 07:43:15 localhost haproxy[2398]: " + message + "\n");
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "short", "local0"}), info, from_, now, message),
            "<6>" + message + "\n");
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "raw", "local0"}), info, from_, now, message),
            message + "\n");
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "iso", "local0"}), info, from_, now, message),
            "2026-11-21T07:43:15.718763+00:00 " + message + "\n");
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "timed", "local0"}), info, from_, now, message),
            "<6>2026-11-21T07:43:15.718763+00:00 " + message + "\n");
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "priority", "local0"}), info, from_, now, message),
            "<134>" + message + "\n");
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "rfc5424", "local2"}), info, from_, now, message),
            "<150>1 2026-11-21T07:43:15.718763+00:00 - haproxy 2398 - - " + message + "\n");
  EXPECT_EQ(
      frame(spec({"127.0.0.1", "format", "rfc5424", "local2"}), info, from_, now, message,
            "[x@1 a=\"b\"]"),
      "<150>1 2026-11-21T07:43:15.718763+00:00 - haproxy 2398 - [x@1 a=\"b\"] " + message + "\n");
}

TEST_F(syslog_test, single_digit_day_is_space_padded) {
  EXPECT_EQ(frame(spec({"127.0.0.1", "local0"}), notice, from_, at(2026, 1, 2, 3, 4, 5, 0), "x"),
            "<133>Jan  2 03:04:05 haproxy[2398]: x\n");
}

TEST_F(syslog_test, len_cuts_header_and_message_then_adds_the_newline) {
  // Measured: `len 80 format rfc5424` sent 81 bytes, the 81st a newline.
  const std::string long_message(200, 'x');
  const std::string out = frame(spec({"127.0.0.1", "len", "80", "format", "rfc5424", "local2"}),
                                info, from_, now, long_message);
  EXPECT_EQ(out.size(), 81u);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_EQ(out.substr(0, 60), "<150>1 2026-11-21T07:43:15.718763+00:00 - haproxy 2398 - - x");
}

TEST_F(syslog_test, trailing_newlines_of_the_message_are_dropped) {
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "raw", "local0"}), info, from_, now, "a\n\n"),
            "a\n");
}

TEST_F(syslog_test, facility_and_levels) {
  // Measured: `local3 info err` sent the info lines as <158> and alerts as <155>: a message
  // more severe than the minimum level takes the minimum level.
  const target_spec t = spec({"/dev/log", "local3", "info", "err"});
  EXPECT_EQ(t.level_, info);
  EXPECT_EQ(t.min_level_, err);
  EXPECT_EQ(frame(t, info, from_, now, "m").substr(0, 5), "<158>");
  EXPECT_EQ(frame(t, alert, from_, now, "m").substr(0, 5), "<155>");
  EXPECT_EQ(frame(t, emerg, from_, now, "m").substr(0, 5), "<155>");
}

TEST_F(syslog_test, log_send_hostname_switches_the_default_format_to_rfc3164) {
  sender with_host{"haproxy", "7", "vm1"};
  EXPECT_EQ(frame(spec({"127.0.0.1", "local0"}), info, with_host, now, "m"),
            "<134>Nov 21 07:43:15 vm1 haproxy[7]: m\n");
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "local", "local0"}), info, with_host, now, "m"),
            "<134>Nov 21 07:43:15 haproxy[7]: m\n");
  EXPECT_EQ(frame(spec({"127.0.0.1", "format", "rfc5424", "local0"}), info, with_host, now, "m"),
            "<134>1 2026-11-21T07:43:15.718763+00:00 vm1 haproxy 7 - - m\n");
}

TEST_F(syslog_test, log_tag_replaces_the_program_name) {
  sender tagged{"web", "7", ""};
  EXPECT_EQ(frame(spec({"127.0.0.1", "local0"}), info, tagged, now, "m"),
            "<134>Nov 21 07:43:15 web[7]: m\n");
}

TEST_F(syslog_test, addresses) {
  target_spec t = spec({"127.0.0.1", "local0"});
  EXPECT_EQ(t.kind_, target_spec::kind::udp);
  EXPECT_EQ(t.address_.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in&>(t.address_).sin_port), 514);
  t = spec({"127.0.0.1:5514", "local0"});
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in&>(t.address_).sin_port), 5514);
  for (const char* v6 : {"::1:5514", "[::1]:5514", "ipv6@::1:5514", "udp6@[::1]:5514"}) {
    t = spec({v6, "local0"});
    EXPECT_EQ(t.address_.ss_family, AF_INET6) << v6;
    EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in6&>(t.address_).sin6_port), 5514) << v6;
  }
  t = spec({"::1", "local0"});
  EXPECT_EQ(t.address_.ss_family, AF_INET6);
  t = spec({"localhost:5514", "local0"});  // a name, resolved while reading, IPv4 first
  EXPECT_EQ(t.address_.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in&>(t.address_).sin_port), 5514);
  t = spec({"/dev/log", "local0"});
  EXPECT_EQ(t.kind_, target_spec::kind::unix_dgram);
  EXPECT_STREQ(reinterpret_cast<const sockaddr_un&>(t.address_).sun_path, "/dev/log");
  t = spec({"unix@/run/x.sock", "daemon"});
  EXPECT_EQ(t.kind_, target_spec::kind::unix_dgram);
  EXPECT_STREQ(reinterpret_cast<const sockaddr_un&>(t.address_).sun_path, "/run/x.sock");
  t = spec({"stdout", "format", "raw", "local0"});
  EXPECT_EQ(t.kind_, target_spec::kind::fd);
  EXPECT_EQ(t.fd_, 1);
  EXPECT_EQ(spec({"stderr", "local0"}).fd_, 2);
  EXPECT_EQ(spec({"fd@3", "local0"}).fd_, 3);
}

TEST_F(syslog_test, refusals_name_what_is_wrong) {
  auto refused = [](std::vector<std::string> words) {
    std::string error;
    EXPECT_FALSE(parse_target(words, error).has_value());
    return error;
  };
  EXPECT_NE(refused({"127.0.0.1", "local9"}).find("unknown facility 'local9'"), std::string::npos);
  EXPECT_NE(refused({"127.0.0.1", "len", "79", "local0"}).find("80 to 65535"), std::string::npos);
  EXPECT_NE(refused({"127.0.0.1", "format", "json", "local0"}).find("unknown log format"),
            std::string::npos);
  EXPECT_NE(refused({"127.0.0.1", "sample", "1:2", "local0"}).find("sample"), std::string::npos);
  EXPECT_NE(refused({"ring@buf", "local0"}).find("ring"), std::string::npos);
  EXPECT_NE(refused({"127.0.0.1", "local0", "loud"}).find("log level 'loud'"), std::string::npos);
  EXPECT_NE(refused({"127.0.0.1"}).find("facility"), std::string::npos);
  EXPECT_NE(refused({"no-such-host.invalid", "local0"}).find("cannot resolve"), std::string::npos);
  EXPECT_NE(refused({"[::1", "local0"}).find("cannot resolve"), std::string::npos);
}

}  // namespace
}  // namespace tandem::runtime::proxy::log
