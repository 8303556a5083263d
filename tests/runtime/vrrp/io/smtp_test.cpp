// The smtp_alert message as keepalived 2.2.7 writes it (measured with lab-smtpd).
#include "runtime/vrrp/io/smtp.hpp"

#include <gtest/gtest.h>

namespace tandem::runtime::vrrp::io {
namespace {

TEST(smtp, alert_message_is_keepalived_s) {
  smtp_settings s;
  s.from_ = "keepalived@example.com";
  s.to_ = {"admin@example.com", "ops@example.com"};
  s.router_id_ = "LVS_MAIN";
  const std::time_t when = 1795249491;  // Sat, 21 Nov 2026 08:24:51 +0000
  EXPECT_EQ(build_alert_message(s, "VRRP Instance VI_1 - Entering MASTER state",
                                "=> VRRP Instance is now owning VRRP VIPs <=", when),
            "Date: Sat, 21 Nov 2026 08:24:51 +0000\r\n"
            "From: keepalived@example.com\r\n"
            "Subject: [LVS_MAIN] VRRP Instance VI_1 - Entering MASTER state\r\n"
            "X-Mailer: Keepalived\r\n"
            "To: admin@example.com, ops@example.com\r\n"
            "\r\n"
            "=> VRRP Instance is now owning VRRP VIPs <=\r\n"
            "\r\n.\r\n");
}

TEST(smtp, body_lines_starting_with_a_dot_are_stuffed) {
  smtp_settings s;
  const std::string m = build_alert_message(s, "x", "a\n.b\n", 0);
  EXPECT_NE(m.find("\r\na\r\n..b\r\n"), std::string::npos) << m;
  EXPECT_TRUE(m.ends_with("\r\n.\r\n"));
}

TEST(smtp, configured_needs_a_server_and_a_recipient) {
  smtp_settings s;
  EXPECT_FALSE(s.configured());
  s.to_ = {"a@b"};
  EXPECT_FALSE(s.configured());
  s.server_given_ = true;
  EXPECT_TRUE(s.configured());
}

}  // namespace
}  // namespace tandem::runtime::vrrp::io
