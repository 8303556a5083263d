// The built-in check kinds as step lists, and the bytes they send.
#include "runtime/checks/builtin.hpp"

#include <cctype>

namespace tandem::runtime::checks {
namespace {

connect_step explicit_connect() {
  return connect_step{};
}

connect_step implicit_connect() {
  connect_step c;
  c.implicit_ = true;
  return c;
}

send_step send_bytes(std::string data) {
  send_step s;
  s.data_ = std::move(data);
  return s;
}

expect_step expect_regex(expect_kind kind, std::string pattern, int min_recv,
                         check_status error_status) {
  expect_step e;
  e.kind_ = kind;
  e.pattern_ = std::move(pattern);
  e.min_recv_ = min_recv;
  e.error_status_ = error_status;
  return e;
}

// An SMTP reply: 2xx, its code kept, its text the info either way.
expect_step smtp_2xx(std::string pattern, bool info_on_success) {
  expect_step e = expect_regex(expect_kind::rstring, std::move(pattern), 4, check_status::l7sts);
  e.on_error_ = info_source::reply_text;
  if (info_on_success) {
    e.on_success_ = info_source::reply_text;
  }
  e.code_from_reply_ = true;
  return e;
}

std::string le24(std::size_t n) {
  std::string out;
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  out += static_cast<char>((n >> 16) & 0xff);
  return out;
}

std::string be32(std::uint32_t n) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += static_cast<char>((n >> shift) & 0xff);
  }
  return out;
}

}  // namespace

std::string_view to_string(check_kind k) {
  switch (k) {
    case check_kind::tcp:
      return "tcp";
    case check_kind::http:
      return "httpchk";
    case check_kind::smtp:
      return "smtpchk";
    case check_kind::ssl_hello:
      return "ssl-hello-chk";
    case check_kind::mysql:
      return "mysql-check";
    case check_kind::pgsql:
      return "pgsql-check";
    case check_kind::redis:
      return "redis-check";
    case check_kind::ldap:
      return "ldap-check";
    case check_kind::tcp_check:
      return "tcp-check";
  }
  return "tcp";
}

std::vector<check_step> tcp_connect_steps() {
  return {implicit_connect()};
}

std::vector<check_step> smtp_steps(std::string_view hello) {
  std::vector<check_step> steps;
  steps.emplace_back(explicit_connect());
  // The banner: any 3-digit reply first (else L7RSP with the line), then a 2xx one.
  expect_step banner = expect_regex(expect_kind::rstring, "^[0-9]{3}[ \r]", 4, check_status::l7rsp);
  banner.on_error_ = info_source::first_line;
  steps.emplace_back(std::move(banner));
  steps.emplace_back(smtp_2xx("^2[0-9]{2}[ \r]", false));
  steps.emplace_back(send_bytes(std::string(hello) + "\r\n"));
  steps.emplace_back(smtp_2xx("^2[0-9]{2}[- \r]", false));
  steps.emplace_back(send_bytes("QUIT\r\n"));
  steps.emplace_back(smtp_2xx("^2[0-9]{2}[- \r]", true));
  return steps;
}

std::vector<check_step> redis_steps() {
  std::vector<check_step> steps;
  steps.emplace_back(implicit_connect());
  steps.emplace_back(send_bytes("*1\r\n$4\r\nPING\r\n"));
  expect_step pong;
  pong.kind_ = expect_kind::string;
  pong.pattern_ = "+PONG\r\n";
  pong.error_status_ = check_status::l7sts;
  pong.on_error_ = info_source::first_line;
  pong.on_success_ = info_source::literal;
  pong.on_success_text_ = "Redis server is ok";
  steps.emplace_back(std::move(pong));
  return steps;
}

std::vector<check_step> ssl_hello_steps() {
  std::vector<check_step> steps;
  steps.emplace_back(implicit_connect());
  send_step hello;
  hello.form_ = send_step::form::ssl_hello;
  steps.emplace_back(std::move(hello));
  // A handshake (0x16) or an alert (0x15) record: the server speaks SSL/TLS.
  expect_step record = expect_regex(expect_kind::rbinary, "^1[56]", 5, check_status::l6rsp);
  record.ok_status_ = check_status::l6ok;
  record.timeout_status_ = check_status::l6tout;
  steps.emplace_back(std::move(record));
  return steps;
}

std::vector<check_step> mysql_steps(const std::optional<std::string>& user, bool post_41) {
  std::vector<check_step> steps;
  steps.emplace_back(explicit_connect());
  if (user) {
    // A client authentication packet (capabilities, max packet, [charset and filler,] the
    // user, no password), then COM_QUIT, sent without waiting for the greeting.
    std::string body;
    if (post_41) {
      body += std::string("\x00\x82\x00\x00", 4);
      body += std::string("\x00\x80\x00\x01", 4);
      body += '\x21';
      body += std::string(23, '\0');
    } else {
      body += std::string("\x00\x80", 2);
      body += std::string("\x00\x00\x01", 3);
    }
    body += *user;
    body += '\0';
    body += '\0';
    std::string packet = le24(body.size()) + '\x01' + body;
    packet += std::string("\x01\x00\x00\x00\x01", 5);
    steps.emplace_back(send_bytes(std::move(packet)));
  }
  expect_step greeting;
  greeting.kind_ = expect_kind::mysql_handshake;
  steps.emplace_back(std::move(greeting));
  if (user) {
    expect_step ok;
    ok.kind_ = expect_kind::mysql_ok;
    steps.emplace_back(std::move(ok));
  }
  return steps;
}

std::vector<check_step> pgsql_steps(std::string_view user) {
  std::vector<check_step> steps;
  steps.emplace_back(explicit_connect());
  std::string startup = be32(static_cast<std::uint32_t>(15 + user.size()));
  startup += std::string("\x00\x03\x00\x00", 4);  // protocol 3.0
  startup += std::string("user\0", 5);
  startup += user;
  startup += '\0';
  startup += '\0';
  steps.emplace_back(send_bytes(std::move(startup)));
  expect_step not_error = expect_regex(expect_kind::rstring, "^E", 5, check_status::l7rsp);
  not_error.inverse_ = true;
  not_error.on_error_ = info_source::from_6;
  steps.emplace_back(std::move(not_error));
  // An authentication request: OK, cleartext, MD5 or SASL, ...
  expect_step auth = expect_regex(
      expect_kind::rbinary, "^52000000(08|0A|0C)000000(00|02|03|04|05|06)", 9, check_status::l7sts);
  auth.on_success_ = info_source::literal;
  auth.on_success_text_ = "PostgreSQL server is ok";
  auth.on_error_ = info_source::literal;
  auth.on_error_text_ = "PostgreSQL unknown error";
  steps.emplace_back(std::move(auth));
  return steps;
}

std::vector<check_step> ldap_steps() {
  std::vector<check_step> steps;
  steps.emplace_back(implicit_connect());
  steps.emplace_back(send_bytes(*decode_hex("300C020101600702010304008000")));
  expect_step sequence = expect_regex(expect_kind::rbinary, "^30", 14, check_status::l7rsp);
  sequence.on_error_ = info_source::literal;
  sequence.on_error_text_ = "Not LDAPv3 protocol";
  steps.emplace_back(std::move(sequence));
  expect_step bind;
  bind.kind_ = expect_kind::ldap_bind;
  steps.emplace_back(std::move(bind));
  return steps;
}

expect_step default_http_expect() {
  expect_step e;
  e.kind_ = expect_kind::http_status;
  e.pattern_ = "200-399";
  e.statuses_ = {{200, 399}};
  return e;
}

std::string ssl_client_hello(std::uint32_t unix_time) {
  // A handshake record of 0x79 bytes holding a 0x75-byte CLIENT HELLO, version SSLv3.
  std::string hello = *decode_hex(
      "160300007901000075"
      "0300");
  hello += be32(unix_time);
  hello += "HAPROXYSSLCHK\nHAPROXYSSLCHK\n";  // the 28 random bytes
  hello += '\0';                              // no session id
  hello += *decode_hex("004E");
  // The 39 most common ciphers of the time: 0x0001..0x001B and 0x002F..0x003A.
  for (int c = 0x01; c <= 0x1b; ++c) {
    hello += '\0';
    hello += static_cast<char>(c);
  }
  for (int c = 0x2f; c <= 0x3a; ++c) {
    hello += '\0';
    hello += static_cast<char>(c);
  }
  hello += *decode_hex("0100");  // one compression method: none
  return hello;
}

std::string http_request_bytes(const http_request& request) {
  std::string out = request.method_ + " " + request.uri_ + " " + request.version_ + "\r\n";
  bool has_connection = false;
  for (const auto& [name, value] : request.headers_) {
    std::string lower = name;
    for (char& c : lower) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    has_connection = has_connection || lower == "connection";
    out += lower + ": " + value + "\r\n";
  }
  if (!request.body_.empty()) {
    out += "content-length: " + std::to_string(request.body_.size()) + "\r\n";
  }
  // HTTP/1.0 closes by itself; 1.1 (and later) is told to.
  const bool http_10 = request.version_ == "HTTP/1.0" || request.version_ == "HTTP/0.9";
  if (!http_10 && !has_connection) {
    out += "connection: close\r\n";
  }
  out += "\r\n";
  out += request.body_;
  return out;
}

std::optional<std::string> decode_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  const auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace tandem::runtime::checks
