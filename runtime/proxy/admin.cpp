// See admin.hpp.
#include "runtime/proxy/admin.hpp"

#include <charconv>

namespace tandem::runtime::proxy {

namespace {

void count_left(const backend& be, unsigned& active, unsigned& backup) {
  active = backup = 0;
  for (const auto& other : be.servers_) {
    if (!other->up_.load() || other->maintenance_.load()) continue;
    if (other->backup_) ++backup;
    else ++active;
  }
}

void apply_to_balancer(backend& be, server& s) {
  if (!be.balancer_) return;
  be.balancer_->set_usable(s.id_, s.up_.load() && !s.maintenance_.load());
  be.balancer_->set_weight(s.id_, s.drain_.load() ? 0 : s.weight_.load());
}

}  // namespace

bool takes_traffic(const server& s) {
  return s.up_.load(std::memory_order_relaxed) && !s.maintenance_.load(std::memory_order_relaxed) &&
         !s.drain_.load(std::memory_order_relaxed) && s.weight_.load(std::memory_order_relaxed) != 0;
}

void set_admin_state(backend& be, server& s, admin_state state, const log_sink& log) {
  const bool was_maint = s.maintenance_.load();
  const bool was_drain = s.drain_.load();
  s.maintenance_.store(state == admin_state::maint);
  s.drain_.store(state == admin_state::drain);
  apply_to_balancer(be, s);
  const std::string kind = s.backup_ ? "Backup Server " : "Server ";
  const std::string who = kind + be.name_ + "/" + s.name_;
  unsigned active = 0;
  unsigned backup = 0;
  count_left(be, active, backup);
  const std::string left = std::to_string(active) + " active and " + std::to_string(backup) +
                           " backup servers left.";
  if (state == admin_state::maint && !was_maint) {
    s.history_.went_down();
    log("WARNING", who + " is going DOWN for maintenance. " + left + " " +
                       std::to_string(s.current_.load()) +
                       " sessions active, 0 requeued, 0 remaining in queue.");
  } else if (state != admin_state::maint && was_maint) {
    s.history_.went_up();
    log("WARNING", who + " is UP (leaving forced maintenance).");
  }
  if (state == admin_state::drain && !was_drain) {
    log("WARNING", who + " is going DRAIN. " + left);
  } else if (state != admin_state::drain && was_drain) {
    log("WARNING", who + " is UP (leaving forced drain).");
  }
}

std::string set_server_weight(backend& be, server& s, std::string_view text) {
  bool percent = false;
  if (!text.empty() && text.back() == '%') {
    percent = true;
    text.remove_suffix(1);
  }
  long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return "Require <weight> or <weight%>.\n";
  }
  if (percent) {
    if (value < 0) return "Relative weight must be positive.\n";
    value = static_cast<long>(s.initial_weight_) * value / 100;
    if (value > 256) value = 256;
  } else if (value < 0 || value > 256) {
    return "Absolute weight can only be between 0 and 256 inclusive.\n";
  }
  s.weight_.store(static_cast<std::uint32_t>(value));
  apply_to_balancer(be, s);
  return "";
}

}  // namespace tandem::runtime::proxy
