// From the HAProxy configuration model to a server's health-check spec: which kind of check
// (the backend's last check option), its steps (option httpchk merged with http-check rules,
// tcp-check rules, the built-in protocol checks), the server's timing and check address
// (default-server options first, then the server's own), and the backend's timeouts.
//
// HAProxy 2.6's inheritance of check rules, measured: a backend with http-check (tcp-check)
// lines or its own `option httpchk` uses only its own lines; only a backend with neither uses
// the rules of the defaults section it was built from, which the model does not copy into
// the backend, hence the `defaults` argument.
#pragma once

#include <optional>
#include <string>

#include "parsers/haproxy/model.hpp"
#include "runtime/checks/spec.hpp"

namespace tandem::runtime::assemble {

// Whether the server has `check` (from its line or from default-server, `no-check` last).
bool has_check(const parsers::haproxy::proxy& backend, const parsers::haproxy::server& server);

// The check spec of `server` in `backend`. On a problem (no check, no port to check, a check
// kind or rule option Tandem does not run, a bad pattern) `error` is set and the returned spec
// must not be run. `defaults`: the defaults section the backend was built from, or null.
checks::check_spec from_model(const parsers::haproxy::proxy& backend,
                              const parsers::haproxy::server& server,
                              const parsers::haproxy::proxy* defaults, std::string& error);
checks::check_spec from_model(const parsers::haproxy::proxy& backend,
                              const parsers::haproxy::server& server, std::string& error);

// The defaults section `backend` was built from: the one named by `from`, else the last one
// above it (nullptr when there is none).
const parsers::haproxy::proxy* defaults_of(const parsers::haproxy::config_model& model,
                                           const parsers::haproxy::proxy& backend);

// global spread-checks (percent, 0..50), 0 when not set.
unsigned spread_checks(const parsers::haproxy::config_model& model);

}  // namespace tandem::runtime::assemble
