// global `stats socket PATH [options]` and `stats timeout` become the stats sockets' specs
// (runtime/proxy/cli/socket_server.hpp), with HAProxy 2.6's errors for the options it refuses
// (src/cli.c, cli_parse_global, and the bind keywords a stats socket takes).

#include <cstdlib>

#include "runtime/assemble/haproxy.hpp"
#include "runtime/core/process_privileges.hpp"

namespace tandem::runtime::assemble {

namespace model = parsers::haproxy;

namespace {

bool is_number(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

bool number(const std::string& text, int base, long& value) {
  if (text.empty()) return false;
  char* end = nullptr;
  value = std::strtol(text.c_str(), &end, base);
  return *end == '\0';
}

}  // namespace

void stats_sockets_of(const model::config_model& m, haproxy_result& result) {
  if (m.global_.stats_timeout_) {
    result.stats_timeout_ = std::chrono::milliseconds(*m.global_.stats_timeout_);
  }
  for (const model::stats_socket& sock : m.global_.stats_sockets_) {
    auto error = [&](const std::string& message) {
      result.problems_.push_back({sock.position_, "'stats socket' : " + message, true});
    };
    if (sock.words_.empty() || sock.words_[0].empty()) {
      result.problems_.push_back(
          {sock.position_,
           "'stats socket' in global section expects an address or a path to a UNIX socket",
           true});
      continue;
    }
    proxy::cli::socket_spec spec;
    spec.position_ = sock.position_;
    std::string path = sock.words_[0];
    if (path.starts_with("unix@")) path.erase(0, 5);
    if (path.empty() || path[0] != '/') {
      // ipv4@, ipv6@, abns@, host:port and relative paths.
      error("Tandem runs stats sockets on UNIX socket paths only, not '" + sock.words_[0] + "'");
      continue;
    }
    spec.path_ = path;
    bool ok = true;
    for (std::size_t i = 1; i < sock.words_.size() && ok; ++i) {
      const std::string& kw = sock.words_[i];
      const bool has_value = i + 1 < sock.words_.size();
      const std::string value = has_value ? sock.words_[i + 1] : std::string();
      long n = 0;
      if (kw == "level") {
        if (value == "user") spec.level_ = proxy::cli::access_level::user;
        else if (value == "operator") spec.level_ = proxy::cli::access_level::operator_;
        else if (value == "admin") spec.level_ = proxy::cli::access_level::admin;
        else {
          error("''level' only supports 'user', 'operator', and 'admin' (got '" + value + "')'");
          ok = false;
        }
        ++i;
      } else if (kw == "mode") {
        if (!number(value, 8, n)) {
          error("''mode' : missing mode (octal integer expected)'");
          ok = false;
        }
        spec.mode_ = static_cast<mode_t>(n);
        ++i;
      } else if (kw == "uid" || kw == "gid") {
        if (!number(value, 10, n)) {
          error("''" + kw + "' : missing " + kw + "'");
          ok = false;
        }
        if (kw == "uid") spec.uid_ = static_cast<uid_t>(n);
        else spec.gid_ = static_cast<gid_t>(n);
        ++i;
      } else if (kw == "user") {
        // A name only (HAProxy's getpwnam), read from /etc/passwd as the global `user` is:
        // the static executable cannot load NSS modules safely.
        runtime::identity id;
        std::string ignored;
        if (!has_value || is_number(value) || !runtime::resolve_identity(value, "", id, ignored)) {
          error("''user' : unknown user name '" + value + "''");
          ok = false;
        } else {
          spec.uid_ = *id.uid_;
        }
        ++i;
      } else if (kw == "group") {
        runtime::identity id;
        std::string ignored;
        if (!has_value || is_number(value) || !runtime::resolve_identity("", value, id, ignored)) {
          error("''group' : unknown group name '" + value + "''");
          ok = false;
        } else {
          spec.gid_ = *id.gid_;
        }
        ++i;
      } else if (kw == "expose-fd" || kw == "severity-output" || kw == "maxconn" ||
                 kw == "name" || kw == "id" || kw == "nice" || kw == "backlog" ||
                 kw == "process" || kw == "thread" || kw == "accept-proxy") {
        // Accepted and without effect here: no listener fds to pass (reloads), no severity
        // prefix, the CLI's own limits.
        if (kw != "accept-proxy") ++i;
      } else {
        error("unknown keyword '" + kw + "'.");
        ok = false;
      }
    }
    if (ok) result.stats_sockets_.push_back(std::move(spec));
  }
}

}  // namespace tandem::runtime::assemble
