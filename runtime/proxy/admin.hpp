// Operators' changes to a running proxy, shared by the stats socket and the stats page's admin
// form: a server's admin state (ready, drain, maint) and its weight, with HAProxy's rules and
// log lines. Safe from any thread (the state is atomic; the balancer is thread-safe).
#pragma once

#include <string>
#include <string_view>

#include "runtime/proxy/objects.hpp"
#include "runtime/proxy/service.hpp"

namespace tandem::runtime::proxy {

enum class admin_state : std::uint8_t { ready, drain, maint };

// Puts `s` of `be` in `state` as "set server B/S state …" does; logs HAProxy's line for the
// change ("Server B/S is going DOWN for maintenance. …") when it changes anything.
void set_admin_state(backend& be, server& s, admin_state state, const log_sink& log);

// "set weight B/S W" (W absolute, or "N%" of the initial weight): "" when done, else HAProxy's
// reply ("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n").
std::string set_server_weight(backend& be, server& s, std::string_view weight);

// Whether a server takes new traffic: up, not in maintenance, not draining, weight above 0.
bool takes_traffic(const server& s);

}  // namespace tandem::runtime::proxy
