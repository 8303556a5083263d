// keepalived's real-server checkers as plain data: what one TCP_CHECK, HTTP_GET, SSL_GET,
// MISC_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK or FILE_CHECK block means, with
// keepalived 2.2.7's defaults already applied (runtime/assemble/keepalived_lvs fills it from
// the model). The runner (runner.hpp) plays it; logic.hpp judges what comes back.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tandem::runtime::lvs::checkers {

enum class checker_kind { tcp, http, ssl, misc, smtp, dns, udp, ping, file };

using duration = std::chrono::milliseconds;

struct url_spec {
  std::string path_;
  std::optional<std::array<std::uint8_t, 16>> digest_;  // MD5 of the body
  std::vector<std::pair<int, int>> status_ranges_;      // empty: 200-299
  std::string virtualhost_;                             // "" = the checker's
  std::string regex_;
  bool regex_no_match_ = false;
  friend bool operator==(const url_spec&, const url_spec&) = default;
};

struct checker_spec {
  checker_kind kind_ = checker_kind::tcp;
  // Where to connect: connect_ip/connect_port, else the real server's address and port.
  boost::asio::ip::address address_;
  std::uint16_t port_ = 0;
  bool udp_service_ = false;  // the virtual server's protocol, for "[ip]:udp:port"
  std::optional<boost::asio::ip::address> bind_address_;  // bindto
  std::uint16_t bind_port_ = 0;

  duration connect_timeout_{5000};
  unsigned retry_ = 1;
  duration delay_before_retry_{1000};
  duration delay_loop_{60000};
  duration warmup_{60000};  // the first check starts at random in [0, warmup]
  bool alpha_ = false;      // starts down
  bool log_all_failures_ = false;

  // HTTP_GET / SSL_GET
  std::vector<url_spec> urls_;
  std::string virtualhost_;
  bool http_1_1_ = false;       // http_protocol 1.1: "HTTP/1.1" and "Connection: close"
  bool connection_close_ = false;  // http_protocol 1.0C: HTTP/1.0 with "Connection: close"
  bool enable_sni_ = false;

  // MISC_CHECK
  std::string misc_path_;
  duration misc_timeout_{0};  // 0: delay_loop
  bool misc_dynamic_ = false;

  // SMTP_CHECK
  std::string helo_name_;

  // DNS_CHECK
  std::uint16_t dns_type_ = 6;  // SOA
  std::string dns_name_ = ".";

  // UDP_CHECK
  std::vector<std::uint8_t> payload_;  // empty: random bytes
  bool require_reply_ = false;
  std::string require_reply_hex_;  // nibbles, 'x' = any
  std::size_t min_reply_length_ = 0, max_reply_length_ = 255;

  // FILE_CHECK
  std::string file_path_;
  int file_weight_ = 0;
  bool file_reverse_ = false;
  bool file_dynamic_ = false;

  // keepalived's FMT_CHK: "[127.0.0.1]:tcp:8080".
  std::string display() const;
  friend bool operator==(const checker_spec&, const checker_spec&) = default;
};

}  // namespace tandem::runtime::lvs::checkers
