// What a session knows of one request (mode http) or one connection (mode tcp) when it ends:
// the facts HAProxy's httplog, tcplog, clf and log-format lines are made of. The sessions fill
// it; a frontend's traffic_logger (the logging library) formats and sends it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/socket.h>

#include "runtime/proxy/acl/condition.hpp"

namespace tandem::runtime::proxy {

struct frontend;
struct backend;
struct server;

struct log_record {
  // When the connection was accepted (%t, %T) and when this request's first byte came (%tr).
  std::chrono::system_clock::time_point accepted_;
  std::chrono::system_clock::time_point request_started_;
  sockaddr_storage client_{};    // %ci:%cp
  sockaddr_storage frontend_address_{};  // %fi:%fp
  sockaddr_storage server_address_{};    // %si:%sp (family 0: none)
  const frontend* frontend_ = nullptr;
  const backend* backend_ = nullptr;  // nullptr: none chosen ("<NOSRV>" backend = frontend)
  const server* server_ = nullptr;    // nullptr: "<NOSRV>", or applet_ when one answered
  std::string_view applet_;           // "<STATS>": the applet that answered (logged as %s)
  bool tls_ = false;                  // the frontend name is logged with "~"
  bool http_ = false;

  // HAProxy's timers in milliseconds; -1 when that stage was not reached.
  long handshake_ = 0;  // Th
  long idle_ = 0;       // Ti: waiting for this request's first byte (keep-alive)
  long request_ = -1;   // TR: first byte to the end of the request head
  long queue_ = -1;     // Tw
  long connect_ = -1;   // Tc
  long response_ = -1;  // Tr: request sent to response head received
  long active_ = 0;     // Ta: request received to response end
  long total_ = 0;      // Tt: accept to end (mode tcp), request to end (http: Th+Ti+Ta)

  int status_ = -1;  // HTTP status sent to the client; -1: none
  std::uint64_t bytes_read_ = 0;      // %B: to the client
  std::uint64_t bytes_uploaded_ = 0;  // %U: from the client

  // Termination state: who ended it (C S P R I D L K U -), in which stage (R Q C H D L T -),
  // then the persistence cookie's fate on the request (N I D V E O U -) and the response
  // (N I D V P R U -), as HAProxy's "Session state at disconnection".
  char termination_[4] = {'-', '-', '-', '-'};

  std::uint32_t active_connections_ = 0;   // actconn
  std::uint32_t frontend_connections_ = 0;  // feconn
  std::uint32_t backend_connections_ = 0;   // beconn
  std::uint32_t server_connections_ = 0;    // srv_conn
  std::uint32_t retries_ = 0;
  bool redispatched_ = false;  // retries logged with a "+"
  std::uint32_t server_queue_ = 0;
  std::uint32_t backend_queue_ = 0;

  std::string captured_request_cookie_;   // capture cookie (request); "" when none
  std::string captured_response_cookie_;  // capture cookie (response)
  std::vector<std::string> request_captures_;   // capture request header, in order
  std::vector<std::string> response_captures_;  // capture response header
  std::string request_line_;  // "GET /path HTTP/1.1"; "<BADREQ>" for an unreadable one
  bool bad_request_ = false;
  // For %[…] samples in a log-format; valid only while emit() runs.
  const acl::sample_source* source_ = nullptr;
};

// `capture request|response header NAME len N`, `capture cookie NAME len N`.
struct capture_spec {
  std::string name_;  // header name, lower-case; cookie name as written
  std::size_t length_ = 0;
};

// A frontend's traffic log (the `log` lines, the format and options in effect). Called on the
// session's thread, once per request (http) or connection (tcp), when it ends.
class traffic_logger {
 public:
  virtual ~traffic_logger() = default;
  virtual void emit(const log_record& record) = 0;
  // A connection was accepted (client_, frontend_address_, accepted_ and frontend_ set): where
  // no log format is set HAProxy logs "Connect from …" then, and nothing at the end.
  virtual void accepted(const log_record& record) { (void)record; }
};

}  // namespace tandem::runtime::proxy
