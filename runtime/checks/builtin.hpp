// The steps HAProxy 2.6 runs for each of its built-in check kinds (src/tcpcheck.c builds the
// same rulesets from "option smtpchk", "option mysql-check", ...). Where 2.6 differs from the
// source we read, the measured behaviour wins: smtpchk ends with QUIT and expects a 2xx reply
// to it, whose text becomes the check's info.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/checks/spec.hpp"

namespace tandem::runtime::checks {

// `check` alone: one (implicit) connect.
std::vector<check_step> tcp_connect_steps();

// option smtpchk [HELO|EHLO domain]: `hello` is the whole command, "HELO localhost" by default.
std::vector<check_step> smtp_steps(std::string_view hello);

// option redis-check: PING, expect +PONG.
std::vector<check_step> redis_steps();

// option ssl-hello-chk: an SSLv3 client hello, expect a handshake or alert record.
std::vector<check_step> ssl_hello_steps();

// option mysql-check [user U [post-41|pre-41]]: without a user, only the server's greeting
// is read; with one, a login packet and COM_QUIT are sent and the reply must not be an error.
std::vector<check_step> mysql_steps(const std::optional<std::string>& user, bool post_41);

// option pgsql-check user U: a startup message, expect an authentication request.
std::vector<check_step> pgsql_steps(std::string_view user);

// option ldap-check: an anonymous LDAPv3 bind, expect a successful bind response.
std::vector<check_step> ldap_steps();

// The expect an HTTP ruleset gets when it ends with a send: status 200-399.
expect_step default_http_expect();

// The SSLv3 client hello of ssl-hello-chk, with `unix_time` as its GMT time field.
std::string ssl_client_hello(std::uint32_t unix_time);

// The bytes of an HTTP check request (as HAProxy's H1 mux writes it: lower-case header
// names, content-length when there is a body, "connection: close" for HTTP/1.1).
std::string http_request_bytes(const http_request& request);

// "50494e47" -> "PING"; nullopt for an odd length or a non-hex digit.
std::optional<std::string> decode_hex(std::string_view hex);

}  // namespace tandem::runtime::checks
