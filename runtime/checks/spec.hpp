// What one server's health check is, as plain data: where to connect, the timing, and the
// check itself as a list of steps (connect, send, expect). HAProxy 2.2+ runs every kind of
// check (httpchk, smtpchk, mysql-check, ...) as such a tcp-check ruleset, and so do we: the
// kinds differ only in the steps built for them (builtin.hpp) and in a few wordings.
// runtime/assemble/check_spec.cpp fills it from the configuration model.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/checks/health.hpp"
#include "runtime/checks/status.hpp"
#include <memory>

#include "runtime/proxy/tls/context.hpp"

namespace tandem::runtime::checks {

enum class check_kind : std::uint8_t {
  tcp,        // `check` alone: a TCP connect
  http,       // option httpchk, http-check ...
  smtp,       // option smtpchk
  ssl_hello,  // option ssl-hello-chk
  mysql,      // option mysql-check
  pgsql,      // option pgsql-check
  redis,      // option redis-check
  ldap,       // option ldap-check
  tcp_check,  // option tcp-check and its tcp-check rules
};
std::string_view to_string(check_kind k);

struct connect_step {
  std::optional<std::uint16_t> port_;  // tcp-check connect port N
  std::string address_;                // tcp-check connect addr A ("" : the check's own)
  // Put in front of a ruleset that does not start with a connect; HAProxy numbers it step 0
  // ("at initial connection step of tcp-check") and words its success without info.
  bool implicit_ = false;
  std::string comment_;
};

struct http_request {
  std::string method_ = "OPTIONS";
  std::string uri_ = "/";
  std::string version_ = "HTTP/1.0";
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string body_;

  friend bool operator==(const http_request&, const http_request&) = default;
};

struct send_step {
  enum class form : std::uint8_t { bytes, http, ssl_hello };
  form form_ = form::bytes;
  std::string data_;   // bytes: sent as is (tcp-check send, send-binary already decoded)
  http_request http_;  // http: the request line, headers and body
  std::string comment_;
};

enum class expect_kind : std::uint8_t {
  string,           // tcp-check expect string: the bytes appear in the response
  rstring,          // a PCRE regex matches the response
  binary,           // the (hex-decoded) bytes appear
  rbinary,          // a regex matches the response written as upper-case hex
  http_status,      // http-check expect status 200-399[,...]
  http_rstatus,     // a regex matches the status code
  http_string,      // the body contains the string
  http_rstring,     // a regex matches the body
  mysql_handshake,  // the protocol checks' own response parsers
  mysql_ok,
  ldap_bind,
};

// Where an expect rule's info text comes from (HAProxy builds it with a log-format such as
// "%[res.payload(4,0),ltrim(' '),cut_crlf]"; only the forms its own checks use are kept).
enum class info_source : std::uint8_t {
  none,
  literal,     // the text as given (on-success "Redis server is ok", user on-error strings)
  first_line,  // the response up to its first CR or LF
  reply_text,  // after the 3-digit reply code, leading spaces off, up to CR or LF (SMTP)
  from_6,      // from byte 6 up to the first NUL (the PostgreSQL error message)
};

struct expect_step {
  expect_kind kind_ = expect_kind::string;
  bool inverse_ = false;                       // "!": the check fails when the pattern matches
  std::string pattern_;                        // string, regex, or decoded bytes
  std::vector<std::pair<int, int>> statuses_;  // http_status ranges, inclusive
  int min_recv_ = -1;  // bytes to wait for before a mismatch is final; -1: until closed
  std::optional<check_status> ok_status_;
  std::optional<check_status> error_status_;
  std::optional<check_status> timeout_status_;
  info_source on_success_ = info_source::none;
  std::string on_success_text_;
  info_source on_error_ = info_source::none;
  std::string on_error_text_;
  bool code_from_reply_ = false;  // the first three bytes are the result's code (SMTP)
  std::string comment_;
};

using check_step = std::variant<connect_step, send_step, expect_step>;

struct check_spec {
  std::string backend_;
  std::string server_;
  bool backup_ = false;

  // The server's address: an IP literal or a host name, and its port.
  std::string address_;
  std::uint16_t port_ = 0;
  // Server options `addr` and `port`: where checks go instead.
  std::string check_address_;
  std::optional<std::uint16_t> check_port_;

  check_kind kind_ = check_kind::tcp;
  std::vector<check_step> steps_;
  // HAProxy's "step N" of each step, when it is not the position: tcp-check comment lines
  // count as steps (measured). Empty: 1-based positions, an implicit first connect being 0.
  std::vector<int> step_numbers_;
  bool disable_on_404_ = false;  // http-check disable-on-404

  health_settings health_;
  // timeout check / timeout connect of the backend (not set: nullopt). HAProxy 2.6, measured:
  // connecting may take `inter`, or min(inter, timeout connect) when both timeouts are set;
  // once connected the check may last until timeout check after the connection, but never
  // ends before the connect deadline; without timeout check the whole check has `inter`.
  std::optional<duration> timeout_check_;
  std::optional<duration> timeout_connect_;

  // When the first check runs after start() (HAProxy spreads first checks over the shortest
  // interval, see first_check_delays); injected so tests are deterministic.
  duration first_delay_ = duration::zero();
  // global spread-checks: each next interval moves randomly within +/- this percent.
  unsigned spread_percent_ = 0;

  // Checks over TLS (the server's `ssl`, or `check-ssl`): the handshake follows each connect
  // (a failure is HAProxy's Layer6 status), then the steps speak through it.
  std::shared_ptr<const proxy::tls::client_context> tls_;
  std::string tls_sni_;  // check-sni
};

}  // namespace tandem::runtime::checks
