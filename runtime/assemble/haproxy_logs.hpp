// The logging part of assembling an HAProxy configuration: the global `log` lines (with
// log-tag and log-send-hostname) and each frontend's traffic logger — its own `log` lines or
// `log global`, inherited from defaults as the model copies them; the format that the last of
// `option httplog [clf]`, `option tcplog` and `log-format` sets; dontlognull, dontlog-normal,
// log-separate-errors; and its `capture` lines.
#pragma once

#include <vector>

#include "parsers/haproxy/model.hpp"
#include "runtime/assemble/haproxy.hpp"
#include "runtime/proxy/log/logger.hpp"
#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::assemble {

std::shared_ptr<proxy::log::process_log> global_logs_of(const parsers::haproxy::config_model& model,
                                                        std::vector<problem>& problems);

// Sets fe.logger_ (nullptr when the frontend logs nothing) and fe's captures, and records the
// frontend's targets and sender in global.proxies_ for the messages that name it.
void frontend_logs_of(const parsers::haproxy::config_model& model, const parsers::haproxy::proxy& p,
                      proxy::log::process_log& global, const proxy::acl::userlist_set* users,
                      proxy::frontend& fe, std::vector<problem>& problems);

// A backend's targets and sender, where its servers' state changes go (global.proxies_).
void backend_logs_of(const parsers::haproxy::config_model& model, const parsers::haproxy::proxy& p,
                     proxy::log::process_log& global, std::vector<problem>& problems);

}  // namespace tandem::runtime::assemble
