// The text of HAProxy 2.6's server state and health check messages.
#include "runtime/checks/log_lines.hpp"

#include <cstdio>

namespace tandem::runtime::checks {
namespace {

void append_encoded(std::string& out, std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c > 0x7e || c == '<' || c == '>' || c == '"') {
      char hex[5];
      std::snprintf(hex, sizeof hex, "<%02X>", c);
      out += hex;
    } else {
      out += ch;
    }
  }
}

}  // namespace

std::string reason_text(const check_result& result) {
  std::string out = ", reason: ";
  out += status_description(result.status_);
  if (reports_code(result.status_)) {
    out += ", code: " + std::to_string(result.code_);
  }
  if (!result.info_.empty()) {
    out += ", info: \"";
    append_encoded(out, result.info_);
    out += '"';
  }
  out += ", check duration: " + std::to_string(result.duration_.count()) + "ms";
  return out;
}

std::string server_state_line(const server_ref& server, server_health state,
                              const check_result* reason, const backend_counts& counts) {
  std::string out = server.backup_ ? "Backup Server " : "Server ";
  out += server.backend_;
  out += '/';
  out += server.server_;
  out += " is ";
  out += to_string(state);
  if (reason != nullptr) {
    out += reason_text(*reason);
  }
  const std::string on_backup =
      counts.backup_servers_ > 0 && counts.active_servers_ == 0 ? " Running on backup." : "";
  out += ". " + std::to_string(counts.active_servers_) + " active and " +
         std::to_string(counts.backup_servers_) + " backup servers ";
  if (state == server_health::down) {
    out += "left." + on_backup + " " + std::to_string(counts.sessions_active_) +
           " sessions active, " + std::to_string(counts.requeued_) + " requeued, " +
           std::to_string(counts.queued_) + " remaining in queue.";
  } else {
    out += "online." + on_backup + " " + std::to_string(counts.requeued_) + " sessions requeued, " +
           std::to_string(counts.queued_) + " total in queue.";
  }
  return out;
}

std::string health_check_line(const server_ref& server, const check_result& result,
                              const health_tracker& tracker) {
  const check_outcome outcome = outcome_of(result.status_);
  std::string out = "Health check for ";
  out += server.backup_ ? "backup server " : "server ";
  out += server.backend_;
  out += '/';
  out += server.server_;
  out += outcome == check_outcome::conditionally_passed ? " conditionally " : " ";
  out += outcome == check_outcome::failed ? "failed" : "succeeded";
  out += reason_text(result);
  out += ", status: " + tracker.status_text() + ".";
  return out;
}

std::string no_server_alert(std::string_view kind, std::string_view proxy) {
  return std::string(kind) + " '" + std::string(proxy) + "' has no server available!";
}

std::string no_server_log_line(std::string_view kind, std::string_view proxy) {
  return std::string(kind) + " " + std::string(proxy) + " has no server available!";
}

}  // namespace tandem::runtime::checks
