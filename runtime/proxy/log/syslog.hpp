// Syslog as HAProxy 2.6 sends it: a `log` line's target (UDP over IPv4/IPv6, a unix datagram
// socket, a file descriptor), its length, format, facility and levels, and the framing of one
// message in each format (local, rfc3164, rfc5424, priority, short, timed, iso, raw), byte for
// byte as measured against Debian's haproxy 2.6.12 (see docs/compat.md, "Logs").
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace tandem::runtime::proxy::log {

// Syslog severities (RFC 5424 numbering, as HAProxy's LOG_EMERG … LOG_DEBUG).
enum severity : int {
  emerg = 0,
  alert = 1,
  crit = 2,
  err = 3,
  warning = 4,
  notice = 5,
  info = 6,
  debug = 7
};

enum class syslog_format { local, rfc3164, rfc5424, priority, short_, timed, iso, raw };

// "kern" … "local7" -> 0 … 23; -1 when unknown.
int facility_number(std::string_view name);
// "emerg" … "debug" -> 0 … 7; -1 when unknown.
int severity_number(std::string_view name);
std::optional<syslog_format> format_named(std::string_view name);

// One `log ADDRESS [len N] [format F] FACILITY [LEVEL [MINLEVEL]]` line, read.
struct target_spec {
  enum class kind { udp, unix_dgram, fd } kind_ = kind::udp;
  sockaddr_storage address_{};  // udp and unix_dgram
  socklen_t address_length_ = 0;
  int fd_ = -1;       // fd@N, stdout (1), stderr (2)
  std::string text_;  // the address as written, for messages
  std::size_t max_length_ = 1024;
  syslog_format format_ = syslog_format::local;
  bool format_given_ = false;  // `format` written (log-send-hostname changes only the default)
  int facility_ = 0;
  int level_ = debug;      // messages above it (less severe) are not sent
  int min_level_ = emerg;  // messages more severe are sent with this level
};

// Reads the words after `log` (not `log global`); nullopt with `error` worded for the user.
// IPv6 addresses are written with a colon before the port ("::1:514", "[::1]:514" too).
std::optional<target_spec> parse_target(std::span<const std::string> words, std::string& error);

// What a message's header says of its sender.
struct sender {
  std::string tag_ = "haproxy";  // log-tag; the program name by default
  std::string pid_;              // the process id as text; "": the calling process's (a daemon
                                 // forks after the configuration is read)
  std::string host_;             // log-send-hostname; "" when not sent
};

// The whole datagram (or fd write) for `message` at `level`, as HAProxy frames it: the header
// of the target's format, then the message, cut so that header and message take at most
// max_length_ bytes, then "\n". `structured` is rfc5424's STRUCTURED-DATA ("" sends "-").
std::string frame(const target_spec& target, int level, const sender& from,
                  std::chrono::system_clock::time_point now, std::string_view message,
                  std::string_view structured = {});

// Local time as rfc3164's "Nov  1 08:00:00" and ISO 8601's "2026-11-01T08:00:00.123456+00:00".
std::string legacy_time(std::chrono::system_clock::time_point t);
std::string iso_time(std::chrono::system_clock::time_point t);

}  // namespace tandem::runtime::proxy::log
