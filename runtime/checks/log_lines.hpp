// HAProxy 2.6's wording of health-check events, word for word (src/server.c,
// srv_update_status; src/check.c, set_server_check_status; measured against `haproxy -db`).
// The proxy passes the counts it keeps (servers still usable, sessions, queue); these
// functions only build the text, without HAProxy's "[WARNING]  (pid) : " prefix.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/checks/health.hpp"
#include "runtime/checks/status.hpp"

namespace tandem::runtime::checks {

struct server_ref {
  std::string_view backend_;
  std::string_view server_;
  bool backup_ = false;
};

// What HAProxy counts after the change (proxy->srv_act, srv_bck; the server's sessions and
// queue; the streams moved to other servers).
struct backend_counts {
  unsigned active_servers_ = 0;  // usable active servers (not DOWN, not stopping)
  unsigned backup_servers_ = 0;
  unsigned sessions_active_ = 0;
  unsigned requeued_ = 0;
  unsigned queued_ = 0;
};

// ", reason: Layer7 wrong status, code: 500, info: \"Internal Server Error\", check duration:
// 0ms": the reason part shared by the state and check lines. Quotes, '<', '>' and bytes that
// are not printable ASCII in the info are written <XX>, as HAProxy does.
std::string reason_text(const check_result& result);

// "Server app/web1 is DOWN, reason: ..., check duration: 0ms. 0 active and 0 backup servers
// left. 0 sessions active, 0 requeued, 0 remaining in queue." (UP and stopping say "online"
// and count requeued and queued streams instead). `reason` null: the line without a reason,
// as HAProxy writes it when option log-health-checks already logged the check.
std::string server_state_line(const server_ref& server, server_health state,
                              const check_result* reason, const backend_counts& counts);

// "Health check for server app/web1 failed, reason: ..., status: 0/2 DOWN." (option
// log-health-checks; `tracker` after recording `result`).
std::string health_check_line(const server_ref& server, const check_result& result,
                              const health_tracker& tracker);

// The alert when the last usable server of a proxy goes: "backend 'app' has no server
// available!" on stderr, "backend app has no server available!" in the log. `kind` is
// "backend", or "proxy" for a listen section.
std::string no_server_alert(std::string_view kind, std::string_view proxy);
std::string no_server_log_line(std::string_view kind, std::string_view proxy);

}  // namespace tandem::runtime::checks
