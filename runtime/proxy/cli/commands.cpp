// See commands.hpp. Replies measured on Debian's haproxy 2.6.12 through `socat stdio SOCKET`.
#include "runtime/proxy/cli/commands.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "runtime/proxy/admin.hpp"
#include "runtime/proxy/cli/usage.hpp"
#include "runtime/proxy/stats/fields.hpp"

namespace tandem::runtime::proxy::cli {

namespace {

constexpr std::string_view permission_denied = "Permission denied\n";
constexpr std::string_view reported_version = "2.6.12-1+deb12u4";

std::string_view word(const std::vector<std::string>& args, std::size_t i) {
  return i < args.size() ? std::string_view(args[i]) : std::string_view();
}

bool starts(const std::vector<std::string>& args, std::initializer_list<std::string_view> words) {
  std::size_t i = 0;
  for (std::string_view w : words) {
    if (word(args, i++) != w) return false;
  }
  return true;
}

// atoi(), as HAProxy reads the ids of "show stat IID TYPE SID".
int atoi_like(std::string_view text) { return std::atoi(std::string(text).c_str()); }

// HAProxy's check status numbers (enum healthcheck_status) for "show servers state".
int status_number(std::string_view name) {
  static constexpr std::pair<std::string_view, int> numbers[] = {
      {"UNK", 0},    {"INI", 1},     {"SOCKERR", 5}, {"L4OK", 6},   {"L4TOUT", 7},
      {"L4CON", 8},  {"L6OK", 9},    {"L6TOUT", 10}, {"L6RSP", 11}, {"L7TOUT", 12},
      {"L7RSP", 13}, {"L7OK", 15},   {"L7OKC", 16},  {"L7STS", 17},
  };
  for (const auto& [n, v] : numbers) {
    if (n == name) return v;
  }
  return 0;
}

// CHK_RES_*: 0 unknown, 2 failed, 3 passed, 4 conditionally passed.
int result_number(std::string_view name) {
  if (name == "L4OK" || name == "L6OK" || name == "L7OK") return 3;
  if (name == "L7OKC") return 4;
  if (name.empty() || name == "INI" || name == "UNK") return 0;
  return 2;
}

std::string address_only(const server& s, unsigned& port) {
  char text[INET6_ADDRSTRLEN] = "-";
  port = 0;
  if (s.address_.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&s.address_);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  } else if (s.address_.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&s.address_);
    ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  }
  return text;
}

// HAProxy's human_time() for "age=".
std::string human_time(std::uint64_t s) {
  std::string out;
  if (s >= 86400) out += std::to_string(s / 86400) + "d";
  if (s >= 3600) out += std::to_string(s / 3600 % 24) + "h";
  if (s >= 60) out += std::to_string(s / 60 % 60) + "m";
  out += std::to_string(s % 60) + "s";
  return out;
}

std::vector<std::uint32_t> proxy_ids(const proxy_set& proxies) {
  std::vector<std::uint32_t> ids;
  for (const auto& fe : proxies.frontends_) ids.push_back(fe->uid_);
  for (const auto& be : proxies.backends_) ids.push_back(be->uid_);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<const backend*> backends_in_order(const proxy_set& proxies) {
  std::vector<const backend*> out;
  for (const auto& be : proxies.backends_) out.push_back(be.get());
  std::sort(out.begin(), out.end(),
            [](const backend* a, const backend* b) { return a->uid_ < b->uid_; });
  return out;
}

}  // namespace

std::string_view level_name(access_level l) {
  switch (l) {
    case access_level::user: return "user";
    case access_level::operator_: return "operator";
    case access_level::admin: return "admin";
  }
  return "";
}

std::vector<std::string> split_words(std::string_view command) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < command.size()) {
    while (i < command.size() && (command[i] == ' ' || command[i] == '\t')) ++i;
    if (i >= command.size()) break;
    std::string w;
    while (i < command.size() && command[i] != ' ' && command[i] != '\t') {
      if (command[i] == '\\' && i + 1 < command.size()) {
        w += command[i + 1];
        i += 2;
        continue;
      }
      if (command[i] != '\\') w += command[i];
      ++i;
    }
    words.push_back(std::move(w));
  }
  return words;
}

session::session(environment& env, access_level level, std::uint64_t number)
    : env_(env), level_(level), number_(number) {}

std::string session::receive(std::string_view bytes) {
  pending_ += bytes;
  std::string out;
  while (!finished_) {
    const std::size_t newline = pending_.find('\n');
    if (newline == std::string::npos) break;
    // An unescaped ';' ends a command before the end of the line.
    std::size_t cut = newline;
    for (std::size_t i = 0; i < newline; ++i) {
      if (pending_[i] == '\\') {
        ++i;
        continue;
      }
      if (pending_[i] == ';') {
        cut = i;
        break;
      }
    }
    std::string command = pending_.substr(0, cut);
    pending_.erase(0, cut + 1);
    out += run_line(std::move(command));
    // Outside interactive mode HAProxy ends the session once the request buffer is empty.
    if (!interactive_ && pending_.empty()) finished_ = true;
  }
  return out;
}

std::string session::run_line(std::string command) {
  if (!command.empty() && command.back() == '\r') command.pop_back();
  ++calls_;
  if (command == "quit") {
    finished_ = true;
    return "";
  }
  std::string out;
  if (command == "prompt") {
    interactive_ = !interactive_;
  } else {
    out = execute(split_words(command));
  }
  out += interactive_ ? "\n> " : "\n";
  return out;
}

std::string session::end_of_input() {
  std::string out;
  if (!finished_ && !pending_.empty()) {
    std::string command;
    command.swap(pending_);
    out = run_line(std::move(command));
  }
  finished_ = true;
  return out;
}

bool session::allowed(access_level needed, std::string& reply) const {
  if (level_ >= needed) return true;
  reply = permission_denied;
  return false;
}

server* session::find_server(std::string_view spec, backend** be_out, std::string& reply) const {
  const auto slash = spec.find('/');
  if (spec.empty() || slash == std::string_view::npos || slash + 1 == spec.size()) {
    reply = "Require 'backend/server'.\n";
    return nullptr;
  }
  const std::string_view be_name = spec.substr(0, slash);
  const std::string_view sv_name = spec.substr(slash + 1);
  backend* be = nullptr;
  for (const auto& b : env_.proxies_->backends_) {
    if (b->name_ == be_name ||
        (be_name.size() > 1 && be_name[0] == '#' &&
         std::to_string(b->uid_) == be_name.substr(1))) {
      be = b.get();
      break;
    }
  }
  server* sv = nullptr;
  if (be != nullptr) {
    for (const auto& s : be->servers_) {
      if (s->name_ == sv_name || (sv_name.size() > 1 && sv_name[0] == '#' &&
                                  std::to_string(s->puid_) == sv_name.substr(1))) {
        sv = s.get();
        break;
      }
    }
  }
  if (sv == nullptr) {
    reply = be != nullptr ? "No such server.\n" : "No such backend.\n";
    return nullptr;
  }
  *be_out = be;
  return sv;
}

std::string session::proxy_kind(const backend& be) const {
  for (const auto& fe : env_.proxies_->frontends_) {
    if (fe->uid_ == be.uid_) return "proxy";
  }
  return "backend";
}

std::string session::execute(const std::vector<std::string>& args) {
  std::string reply;
  const proxy_set& proxies = *env_.proxies_;
  if (args.empty()) return usage_message(args);
  if (args[0] == "help") return usage_message(args);
  if (starts(args, {"show", "info"})) {
    stats::info_context extra;
    if (env_.counters_) {
      extra.cli_listeners_ = env_.counters_->sockets_.load();
      extra.cli_sessions_ = env_.counters_->sessions_.load();
      extra.cli_connections_ = env_.counters_->accepted_.load();
    }
    const auto info = stats::collect_info(proxies, extra);
    for (std::size_t i = 2; i < args.size(); ++i) {
      if (args[i] == "typed") return stats::render_info_typed(info);
      if (args[i] == "json") return stats::render_info_json(info);
    }
    return stats::render_info(info);
  }
  if (starts(args, {"show", "stat"})) return show_stat(args);
  if (starts(args, {"show", "servers", "state"})) return show_servers_state(args);
  if (starts(args, {"show", "backend"})) {
    std::string out = "# name\n";
    for (const backend* be : backends_in_order(proxies)) out += be->name_ + "\n";
    return out;
  }
  if (starts(args, {"show", "version"})) return std::string(reported_version) + "\n";
  if (starts(args, {"show", "cli", "level"})) return std::string(level_name(level_)) + "\n";
  if (starts(args, {"show", "sess"})) {
    if (!allowed(access_level::operator_, reply)) return reply;
    return show_sess();
  }
  if (starts(args, {"get", "weight"})) {
    backend* be = nullptr;
    server* s = find_server(word(args, 2), &be, reply);
    if (s == nullptr) return reply;
    return std::to_string(s->weight_.load()) + " (initial " + std::to_string(s->initial_weight_) +
           ")\n";
  }
  if (starts(args, {"set", "weight"})) {
    if (!allowed(access_level::admin, reply)) return reply;
    backend* be = nullptr;
    server* s = find_server(word(args, 2), &be, reply);
    if (s == nullptr) return reply;
    return set_server_weight(*be, *s, word(args, 3), &env_.log_, proxy_kind(*be));
  }
  if (starts(args, {"set", "server"})) {
    if (!allowed(access_level::admin, reply)) return reply;
    backend* be = nullptr;
    server* s = find_server(word(args, 2), &be, reply);
    if (s == nullptr) return reply;
    const std::string_view what = word(args, 3);
    if (what == "weight") {
      return set_server_weight(*be, *s, word(args, 4), &env_.log_, proxy_kind(*be));
    }
    if (what == "state") {
      const std::string_view state = word(args, 4);
      if (state == "ready") set_admin_state(*be, *s, admin_state::ready, env_.log_, proxy_kind(*be));
      else if (state == "drain") set_admin_state(*be, *s, admin_state::drain, env_.log_, proxy_kind(*be));
      else if (state == "maint") set_admin_state(*be, *s, admin_state::maint, env_.log_, proxy_kind(*be));
      else return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
      return "";
    }
    static constexpr std::string_view others[] = {"addr",       "agent",      "agent-addr",
                                                  "agent-port", "agent-send", "check-addr",
                                                  "check-port", "fqdn",       "health",
                                                  "ssl"};
    if (std::find(std::begin(others), std::end(others), what) != std::end(others)) {
      return "'set server <srv> " + std::string(what) + "' is not supported by Tandem yet.\n";
    }
    return "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | "
           "agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n";
  }
  if (starts(args, {"enable", "server"}) || starts(args, {"disable", "server"})) {
    if (!allowed(access_level::admin, reply)) return reply;
    backend* be = nullptr;
    server* s = find_server(word(args, 2), &be, reply);
    if (s == nullptr) return reply;
    set_admin_state(*be, *s, args[0] == "enable" ? admin_state::ready : admin_state::maint,
                    env_.log_, proxy_kind(*be));
    return "";
  }
  if (starts(args, {"set", "timeout"})) {
    if (word(args, 2) != "cli") return "'set timeout' only supports 'cli'.\n";
    const std::string_view value = word(args, 3);
    if (value.empty()) return "Expects an integer value.\n";
    char* end = nullptr;
    const std::string copy(value);
    const long seconds = std::strtol(copy.c_str(), &end, 10);
    if (end == copy.c_str() || *end != '\0' || seconds < 1) return "Invalid timeout value.\n";
    timeout_ = std::chrono::seconds(seconds);
    return "";
  }
  if (args.size() == 1 && args[0] == "operator") {
    if (!allowed(access_level::operator_, reply)) return reply;
    level_ = access_level::operator_;
    return "";
  }
  if (args.size() == 1 && args[0] == "user") {
    level_ = access_level::user;
    return "";
  }
  if (known_command(args)) {
    return "This command is not supported by Tandem yet.\n";
  }
  return usage_message(args);
}

std::string session::show_stat(const std::vector<std::string>& args) const {
  const proxy_set& proxies = *env_.proxies_;
  stats::selection which;
  which.show_legends_ = level_ >= access_level::operator_;
  std::size_t next = 2;
  if (!word(args, 2).empty() && !word(args, 3).empty()) {
    int iid = 0;
    for (const std::uint32_t id : proxy_ids(proxies)) {
      for (const auto& fe : proxies.frontends_) {
        if (fe->uid_ == id && fe->name_ == word(args, 2)) iid = static_cast<int>(id);
      }
      for (const auto& be : proxies.backends_) {
        if (be->uid_ == id && be->name_ == word(args, 2)) iid = static_cast<int>(id);
      }
    }
    if (iid == 0) iid = atoi_like(word(args, 2));
    if (iid == 0) return "No such proxy.\n";
    which.proxy_id_ = iid;
    which.type_mask_ = atoi_like(word(args, 3));
    const int sid = atoi_like(word(args, 4));
    which.server_id_ = sid == 0 ? -1 : sid;
    next = 5;
  }
  enum { csv, typed, json } format = csv;
  for (std::size_t i = next; i < args.size(); ++i) {
    if (args[i] == "typed") format = typed;
    else if (args[i] == "json") format = json;
    else if (args[i] == "no-maint") which.no_maint_ = true;
    else if (args[i] == "up") which.only_up_ = true;
  }
  const auto rows = stats::collect(proxies, which);
  if (format == typed) return stats::render_typed(rows);
  if (format == json) return stats::render_json(rows);
  return stats::render_csv(rows);
}

std::string session::show_servers_state(const std::vector<std::string>& args) const {
  const proxy_set& proxies = *env_.proxies_;
  std::vector<const backend*> wanted;
  if (!word(args, 3).empty()) {
    const backend* be = proxies.find_backend(word(args, 3));
    if (be == nullptr) return "Can't find backend.\n";
    wanted.push_back(be);
  } else {
    wanted = backends_in_order(proxies);
  }
  std::string out =
      "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
      "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
      "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
      "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
      "srv_agent_port\n";
  const std::uint64_t now = wall_seconds();
  for (const backend* be : wanted) {
    for (const auto& s : be->servers_) {
      check_snapshot check;
      {
        std::lock_guard lock(s->check_mutex_);
        check = s->check_state_;
      }
      const bool checked = s->check_ && check.enabled_;
      const bool maint = s->maintenance_.load();
      unsigned port = 0;
      const std::string addr = address_only(*s, port);
      const std::uint64_t changed = s->history_.last_change_.load();
      const int op_state = (!maint && s->up_.load()) ? 2 : 0;
      const int admin = (maint ? 1 : 0) | (s->drain_.load() ? 8 : 0);
      // An unchecked server's health is the default rise, 2, and 0 while in maintenance.
      const std::uint32_t health = checked ? check.health_ : (maint ? 0 : 2);
      char line[512];
      std::snprintf(line, sizeof line,
                    "%u %s %u %s %s %d %d %u %u %llu %d %d %u %d 0 0 0 - %u - 0 0 - - 0\n",
                    be->uid_, be->name_.c_str(), s->puid_, s->name_.c_str(), addr.c_str(),
                    op_state, admin, s->weight_.load(), s->initial_weight_,
                    static_cast<unsigned long long>(now > changed ? now - changed : 0),
                    checked ? status_number(check.status_) : 1,
                    checked ? result_number(check.status_) : 0, health, checked ? 6 : 0, port);
      out += line;
    }
  }
  return out;
}

std::string session::show_sess() const {
  // Only this CLI session: Tandem keeps no registry of the proxy's sessions (see
  // docs/compat.md); the line has HAProxy's shape for a CLI stream.
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::steady_clock::now() - started_)
                       .count();
  char line[512];
  std::snprintf(line, sizeof line,
                "%p: proto=unix_stream src=unix:%llu fe=GLOBAL be=<NONE> srv=<none> ts=00 "
                "epoch=%#x age=%s calls=%u rate=0 cpu=0 lat=0 "
                "rq[f=c08000h,i=0,an=00h,rx=,wx=,ax=] rp[f=80008000h,i=0,an=00h,rx=,wx=,ax=] "
                "scf=[8,200h,fd=-1] scb=[8,1h,fd=-1] exp= rc=0 c_exp=\n",
                static_cast<const void*>(this), static_cast<unsigned long long>(number_), 0u,
                human_time(static_cast<std::uint64_t>(age)).c_str(), calls_);
  return line;
}

}  // namespace tandem::runtime::proxy::cli
