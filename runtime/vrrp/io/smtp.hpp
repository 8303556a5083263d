// keepalived's smtp_alert: a mail per state change of an instance (or a sync group) to the
// notification_email addresses through smtp_server, in keepalived 2.2.7's words ("[ROUTER_ID]
// VRRP Instance VI_1 - Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <=").
// The message is built by a pure function (tested); the SMTP exchange runs on the daemon's
// io_context and never blocks it.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "runtime/vrrp/ip_address.hpp"
#include "runtime/vrrp/time.hpp"

namespace tandem::runtime::vrrp::io {

struct smtp_settings {
  ip_address server_;
  bool server_given_ = false;
  std::uint16_t port_ = 25;
  std::string helo_;       // smtp_helo_name, else the host name
  std::string from_;       // notification_email_from
  std::vector<std::string> to_;  // notification_email
  std::string router_id_;  // router_id, else the host name
  duration timeout_ = std::chrono::seconds(30);  // smtp_connect_timeout
  bool configured() const { return !to_.empty() && server_given_; }
  friend bool operator==(const smtp_settings&, const smtp_settings&) = default;
};

// The DATA part as keepalived writes it: Date, From, Subject "[ROUTER_ID] SUBJECT", X-Mailer,
// To, a blank line, the body; CRLF line ends, dot-stuffed, ending with "\r\n.\r\n".
std::string build_alert_message(const smtp_settings& s, std::string_view subject,
                                std::string_view body, std::time_t when);

// Sends one alert in the background; `log` gets keepalived's lines ("Remote SMTP server
// [10.3.0.25]:25 connected.", "SMTP alert successfully sent.") or the error.
void send_alert(boost::asio::io_context& io, const smtp_settings& s, std::string subject,
                std::string body, std::function<void(std::string)> log);

}  // namespace tandem::runtime::vrrp::io
