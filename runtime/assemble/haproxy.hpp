// The one place where an HAProxy configuration model (parsers/haproxy/model.hpp) becomes the
// proxy's run-time objects (runtime/proxy/objects.hpp): addresses resolved, conditions and
// expressions compiled, errorfiles read, balancers built. What the runtime cannot run yet is
// reported as an error with the line that asks for it, never ignored.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "parsers/common/position.hpp"
#include "parsers/haproxy/model.hpp"
#include "runtime/proxy/cli/socket_server.hpp"
#include "runtime/checks/spec.hpp"
#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::assemble {

struct problem {
  parsers::source_position position_;
  std::string message_;
  bool error_ = true;  // false: a warning, the proxy still starts
};

// A server's health check, ready to run (the objects belong to proxies_).
struct check_binding {
  proxy::backend* backend_ = nullptr;
  proxy::server* server_ = nullptr;
  checks::check_spec spec_;
};

struct haproxy_result {
  std::unique_ptr<proxy::proxy_set> proxies_;
  std::vector<check_binding> checks_;
  std::vector<problem> problems_;
  // global `stats socket` lines and `stats timeout` (haproxy_stats_socket.cpp).
  std::vector<proxy::cli::socket_spec> stats_sockets_;
  std::chrono::milliseconds stats_timeout_{10000};
  bool ok() const {
    for (const problem& p : problems_) {
      if (p.error_) return false;
    }
    return proxies_ != nullptr;
  }
};

// Fills result.stats_sockets_ and stats_timeout_ from the global section; its problems go to
// result.problems_ (haproxy_stats_socket.cpp).
void stats_sockets_of(const parsers::haproxy::config_model& model, haproxy_result& result);

// `threads_override` (0: none) replaces global nbthread, e.g. for tests.
haproxy_result assemble_haproxy(const parsers::haproxy::config_model& model);

}  // namespace tandem::runtime::assemble
