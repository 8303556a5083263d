// A frontend's traffic log (proxy::traffic_logger): which requests or connections are logged
// (dontlognull, dontlog-normal), at which level (log-separate-errors), in which format
// (option httplog / httplog clf / tcplog, log-format, log-format-sd, or HAProxy's "Connect
// from" line when none is set), to which targets. And the process's alerts and notices (server
// UP/DOWN, "backend X has no server available!") sent to the global targets as HAProxy sends
// them.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/proxy/log/format.hpp"
#include "runtime/proxy/log/target.hpp"
#include "runtime/proxy/log_record.hpp"

namespace tandem::runtime::proxy::log {

// The global `log` lines with global log-tag and log-send-hostname: the targets of `log
// global` and of the process's alerts.
struct process_log {
  target_list targets_;
  sender sender_;
  std::string hostname_;  // %H
  // Each proxy's targets (its `log` lines, `log global` among them) and sender (its log-tag):
  // HAProxy sends a server's state changes to its backend's targets, "Proxy X stopped" to X's,
  // and nothing when that proxy has no `log` line.
  struct proxy_log {
    target_list targets_;
    sender sender_;
  };
  std::map<std::string, proxy_log, std::less<>> proxies_;
};

struct logger_settings {
  target_list targets_;
  std::unique_ptr<log_format> format_;     // nullptr: no format set ("Connect from" lines)
  std::unique_ptr<log_format> sd_format_;  // log-format-sd, rfc5424's structured data
  bool http_ = false;                      // the frontend's mode, for "Connect from … (f/HTTP)"
  bool dont_log_null_ = false;
  bool dont_log_normal_ = false;
  bool separate_errors_ = false;
  sender sender_;
  line_context context_;
};

class frontend_logger : public traffic_logger {
 public:
  explicit frontend_logger(logger_settings settings);
  void emit(const log_record& record) override;
  // HAProxy's line at accept when the frontend has no log format: "Connect from C:P to F:P
  // (name/HTTP)". Called by the session when a connection is accepted.
  void accepted(const log_record& record) override;

  // The line `emit` sends for `record`, and its level; nullopt when it is not logged.
  std::optional<std::pair<int, std::string>> line(const log_record& record) const;
  const logger_settings& settings() const { return settings_; }

 private:
  logger_settings settings_;
};

// The process's messages as service's log_sink carries them ("WARNING", "Server b/s is DOWN,
// …"): sent to the targets of the proxy they name (the global ones for the others) with
// HAProxy's syslog levels and words (DOWN: alert; UP: notice; "no server available": emerg,
// without the quotes the console line has), then passed to `next` (the console).
using message_sink = std::function<void(std::string_view level, std::string_view message)>;
// A failed log send is reported to `next` too, once, as an ALERT (see report_failures_to).
message_sink alerts_to(std::shared_ptr<const process_log> logs, message_sink next);

// The proxy a message names ("Server b/s …", "Backup Server b/s …", "backend 'b' has …",
// "Proxy p stopped …"); "" when none.
std::string_view proxy_named(std::string_view message);

// The level HAProxy's send_log() uses for one of those messages, and its syslog wording.
std::pair<int, std::string> syslog_message(std::string_view level, std::string_view message);

}  // namespace tandem::runtime::proxy::log
