// Operators' changes to a running proxy, shared by the stats socket and the stats page's admin
// form: a server's admin state (ready, drain, maint) and its weight, with HAProxy 2.6's rules and
// log lines (src/server.c: srv_update_status, srv_append_status, server_parse_weight_change_
// request; measured with `haproxy -db` and `set server … state`). Safe from any thread (the
// state is atomic; the balancer is thread-safe).
#pragma once

#include <string>
#include <string_view>

#include "runtime/proxy/objects.hpp"
#include "runtime/proxy/service.hpp"

namespace tandem::runtime::proxy {

enum class admin_state : std::uint8_t { ready, drain, maint };

// Puts `s` of `be` in `state` as "set server B/S state …" does; logs HAProxy's lines for the
// change ("Server B/S is going DOWN for maintenance. …", "… enters drain state. …", "… is
// UP/READY (leaving forced maintenance).") and, when no server is left, its alert
// "<proxy_kind> 'B' has no server available!" (`proxy_kind`: "backend", or "proxy" for a
// listen section, as HAProxy's proxy_type_str()).
void set_admin_state(backend& be, server& s, admin_state state, const log_sink& log,
                     std::string_view proxy_kind = "backend");

// "set weight B/S W" (W absolute, or "N%" of the initial weight): "" when done, else HAProxy's
// reply ("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n").
// With `log`, the alert when the backend is left without a usable server.
std::string set_server_weight(backend& be, server& s, std::string_view weight,
                              const log_sink* log = nullptr,
                              std::string_view proxy_kind = "backend");

// Whether a server takes new traffic: up, not in maintenance, not draining, weight above 0
// (HAProxy's srv_currently_usable()).
bool takes_traffic(const server& s);

}  // namespace tandem::runtime::proxy
