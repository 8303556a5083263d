// See logger.hpp.
#include "runtime/proxy/log/logger.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy::log {

namespace {

// HAProxy's stream "error" for logging: redispatched, ended by anything but the client's
// normal close or a local action, retried, or a 5xx in mode http.
bool is_error(const log_record& r) {
  const char who = r.termination_[0];
  if (r.redispatched_)
    return true;
  if (who != '-' && who != 'L')
    return true;
  if (who == '-' && r.retries_ > 0)
    return true;
  return r.http_ && r.status_ >= 500;
}

std::string address_text(const sockaddr_storage& a, int& port) {
  char buf[INET6_ADDRSTRLEN] = {};
  port = 0;
  if (a.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(a);
    ::inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf);
    port = ntohs(in.sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto& in = reinterpret_cast<const sockaddr_in6&>(a);
    ::inet_ntop(AF_INET6, &in.sin6_addr, buf, sizeof buf);
    port = ntohs(in.sin6_port);
  }
  return buf;
}

}  // namespace

frontend_logger::frontend_logger(logger_settings settings) : settings_(std::move(settings)) {}

std::optional<std::pair<int, std::string>> frontend_logger::line(const log_record& r) const {
  if (!settings_.format_)
    return std::nullopt;
  if (settings_.dont_log_null_ && r.bytes_uploaded_ == 0)
    return std::nullopt;
  const bool error = is_error(r);
  if (settings_.dont_log_normal_ && !error)
    return std::nullopt;
  const int level = error && settings_.separate_errors_ ? err : info;
  return std::make_pair(level, settings_.format_->render(r, settings_.context_));
}

void frontend_logger::emit(const log_record& r) {
  if (settings_.targets_.empty())
    return;
  const auto l = line(r);
  if (!l)
    return;
  std::string structured;
  if (settings_.sd_format_)
    structured = settings_.sd_format_->render(r, settings_.context_);
  const auto now = std::chrono::system_clock::now();
  int number = 0;
  for (const auto& t : settings_.targets_) {
    t->send(l->first, settings_.sender_, now, l->second, structured, ++number);
  }
}

void frontend_logger::accepted(const log_record& r) {
  if (settings_.format_ || settings_.targets_.empty())
    return;
  int client_port = 0;
  int local_port = 0;
  const std::string client = address_text(r.client_, client_port);
  const std::string local = address_text(r.frontend_address_, local_port);
  if (client.empty())
    return;
  const std::string name = r.frontend_ != nullptr ? r.frontend_->name_ : std::string();
  const std::string message = "Connect from " + client + ':' + std::to_string(client_port) +
                              " to " + local + ':' + std::to_string(local_port) + " (" + name +
                              (settings_.http_ ? "/HTTP)" : "/TCP)");
  const auto now = std::chrono::system_clock::now();
  int number = 0;
  for (const auto& t : settings_.targets_) {
    t->send(info, settings_.sender_, now, message, {}, ++number);
  }
}

std::pair<int, std::string> syslog_message(std::string_view level, std::string_view message) {
  // The console's "backend 'b' has no server available!" is "backend b has no server
  // available!" at emerg in syslog (HAProxy's ha_alert and send_log say it differently).
  constexpr std::string_view no_server = "' has no server available!";
  if (message.ends_with(no_server)) {
    const std::size_t open = message.find(" '");
    if (open != std::string_view::npos) {
      std::string text(message.substr(0, open));
      text += ' ';
      text += message.substr(open + 2, message.size() - no_server.size() - open - 2);
      text += " has no server available!";
      return {emerg, text};
    }
  }
  // Measured (checks and the stats socket's admin commands): leaving maintenance, draining and
  // UP are notices; a server going DOWN, by a check or for maintenance, is an alert (2.6 says
  // notice when the server was already draining, which the message does not tell).
  for (const std::string_view text :
       {std::string_view("(leaving forced maintenance)"), std::string_view("enters drain state"),
        std::string_view("remains in forced drain mode"),
        std::string_view("now enters maintenance"), std::string_view(" is UP")}) {
    if (message.find(text) != std::string_view::npos) return {notice, std::string(message)};
  }
  if (message.find(" is DOWN") != std::string_view::npos ||
      message.find(" is going DOWN") != std::string_view::npos) {
    return {alert, std::string(message)};
  }
  if (level == "ALERT")
    return {alert, std::string(message)};
  if (level == "WARNING")
    return {warning, std::string(message)};
  return {notice, std::string(message)};
}

std::string_view proxy_named(std::string_view message) {
  std::string_view rest = message;
  if (rest.starts_with("Proxy ")) {
    rest.remove_prefix(6);
    return rest.substr(0, rest.find(' '));
  }
  if (rest.starts_with("Backup Server "))
    rest.remove_prefix(14);
  else if (rest.starts_with("Server "))
    rest.remove_prefix(7);
  else if (rest.starts_with("backend '") || rest.starts_with("proxy '")) {
    rest.remove_prefix(rest.find('\'') + 1);
    return rest.substr(0, rest.find('\''));
  } else {
    return {};
  }
  const std::size_t slash = rest.find('/');
  return slash == std::string_view::npos ? std::string_view() : rest.substr(0, slash);
}

message_sink alerts_to(std::shared_ptr<const process_log> logs, message_sink next) {
  if (next) {
    report_failures_to([next](std::string_view alert) { next("ALERT", alert); });
  }
  return [logs = std::move(logs), next = std::move(next)](std::string_view level,
                                                          std::string_view message) {
    const target_list* targets = &logs->targets_;
    const sender* from = &logs->sender_;
    if (const std::string_view p = proxy_named(message); !p.empty()) {
      const auto it = logs->proxies_.find(p);
      targets = it == logs->proxies_.end() ? nullptr : &it->second.targets_;
      if (targets != nullptr)
        from = &it->second.sender_;
    }
    if (targets != nullptr && !targets->empty()) {
      const auto [severity, text] = syslog_message(level, message);
      const auto now = std::chrono::system_clock::now();
      int number = 0;
      for (const auto& t : *targets)
        t->send(severity, *from, now, text, {}, ++number);
    }
    if (next)
      next(level, message);
  };
}

}  // namespace tandem::runtime::proxy::log
