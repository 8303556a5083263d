// See admin.hpp.
#include "runtime/proxy/admin.hpp"

#include <cerrno>
#include <cstdlib>

namespace tandem::runtime::proxy {

namespace {

struct usable_counts {
  unsigned active_ = 0;
  unsigned backup_ = 0;
};

// The backend's srv_act and srv_bck after recount_servers(): servers taking traffic.
usable_counts count_usable(const backend& be) {
  usable_counts n;
  for (const auto& other : be.servers_) {
    if (!takes_traffic(*other)) continue;
    if (other->backup_) ++n.backup_;
    else ++n.active_;
  }
  return n;
}

void apply_to_balancer(backend& be, server& s) {
  if (!be.balancer_) return;
  be.balancer_->set_usable(s.id_, s.up_.load() && !s.maintenance_.load());
  be.balancer_->set_weight(s.id_, s.drain_.load() ? 0 : s.weight_.load());
}

// srv_append_status(): the counts after the change, worded for a server that is now stopped
// ("left", with its sessions) or still running ("online").
std::string counts_text(const backend& be, const server& s, bool stopped) {
  const usable_counts n = count_usable(be);
  const std::string backup_only = n.backup_ != 0 && n.active_ == 0 ? " Running on backup." : "";
  if (stopped) {
    return ". " + std::to_string(n.active_) + " active and " + std::to_string(n.backup_) +
           " backup servers left." + backup_only + " " + std::to_string(s.current_.load()) +
           " sessions active, 0 requeued, 0 remaining in queue.";
  }
  return ". " + std::to_string(n.active_) + " active and " + std::to_string(n.backup_) +
         " backup servers online." + backup_only + " 0 sessions requeued, 0 total in queue.";
}

// set_backend_down(): the alert when the last usable server goes, once per loss.
void note_backend_state(backend& be, bool had_servers, const log_sink& log,
                        std::string_view proxy_kind) {
  const usable_counts n = count_usable(be);
  const bool has_servers = n.active_ + n.backup_ != 0;
  if (had_servers && !has_servers) {
    be.history_.went_down();
    log("ALERT", std::string(proxy_kind) + " '" + be.name_ + "' has no server available!");
  } else if (!had_servers && has_servers && be.history_.down_since_.load() != 0) {
    be.history_.went_up();
  }
}

}  // namespace

bool takes_traffic(const server& s) {
  return s.up_.load(std::memory_order_relaxed) && !s.maintenance_.load(std::memory_order_relaxed) &&
         !s.drain_.load(std::memory_order_relaxed) && s.weight_.load(std::memory_order_relaxed) != 0;
}

void set_admin_state(backend& be, server& s, admin_state state, const log_sink& log,
                     std::string_view proxy_kind) {
  const bool was_maint = s.maintenance_.load();
  const bool was_drain = s.drain_.load();
  const bool running = s.up_.load();
  const usable_counts before = count_usable(be);
  const bool had_servers = before.active_ + before.backup_ != 0;
  const std::string who =
      std::string(s.backup_ ? "Backup Server " : "Server ") + be.name_ + "/" + s.name_;
  switch (state) {
    case admin_state::maint:
      // HAProxy's srv_adm_set_maint(): the drain flag stays, MAINT hides it.
      if (was_maint) return;
      s.maintenance_.store(true);
      apply_to_balancer(be, s);
      s.history_.went_down();
      if (running) {
        log("WARNING", who + " is going DOWN for maintenance" + counts_text(be, s, true));
      } else {
        log("WARNING", who + " was DOWN and now enters maintenance.");
      }
      break;
    case admin_state::drain:
      if (was_drain && !was_maint) return;
      s.maintenance_.store(false);
      s.drain_.store(true);
      apply_to_balancer(be, s);
      if (was_maint) {
        if (running) s.history_.went_up();
        log("WARNING", who + " is " + (running ? "UP" : "DOWN") +
                           "/DRAIN (leaving forced maintenance).");
        log("WARNING", who + " remains in forced drain mode.");
      } else {
        s.history_.last_change_.store(wall_seconds());
        log("WARNING", who + " enters drain state" + counts_text(be, s, !running));
      }
      break;
    case admin_state::ready:
      if (!was_maint && !was_drain) return;
      s.maintenance_.store(false);
      s.drain_.store(false);
      apply_to_balancer(be, s);
      if (was_maint) {
        if (running) s.history_.went_up();
        log("WARNING", who + " is " + (running ? "UP" : "DOWN") +
                           "/READY (leaving forced maintenance).");
      } else {
        s.history_.last_change_.store(wall_seconds());
        log("WARNING", who + " is " + (running ? "UP" : "DOWN") + " (leaving forced drain).");
      }
      break;
  }
  note_backend_state(be, had_servers, log, proxy_kind);
}

std::string set_server_weight(backend& be, server& s, std::string_view text, const log_sink* log,
                              std::string_view proxy_kind) {
  // server_parse_weight_change_request(), with strtol's reading of the number.
  if (text.empty()) return "Require <weight> or <weight%>.\n";
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  long w = std::strtol(copy.c_str(), &end, 10);
  if (end == copy.c_str()) return "Empty weight string empty or preceded by garbage";
  if (end[0] == '%' && end[1] == '\0') {
    if (w < 0) return "Relative weight must be positive.\n";
    if (w > 25600) w = 25600;
    w = static_cast<long>(s.initial_weight_) * w / 100;
    if (w > 256) w = 256;
  } else if (w < 0 || w > 256) {
    return "Absolute weight can only be between 0 and 256 inclusive.\n";
  } else if (end[0] != '\0') {
    return "Trailing garbage in weight string";
  }
  // Static algorithms (BE_LB_PROP_DYN unset) only take 0 and the initial weight.
  if (w != 0 && static_cast<std::uint32_t>(w) != s.initial_weight_ &&
      be.algorithm_ == "static-rr") {
    return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
  }
  const usable_counts before = count_usable(be);
  s.weight_.store(static_cast<std::uint32_t>(w));
  apply_to_balancer(be, s);
  if (log != nullptr) note_backend_state(be, before.active_ + before.backup_ != 0, *log, proxy_kind);
  return "";
}

}  // namespace tandem::runtime::proxy
