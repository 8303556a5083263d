// One virtual_server at run time (see service.hpp). The order of operations and every log line
// follow keepalived 2.2.7's check/ipwrapper.c; the pool follows IPVS's ip_vs_ctl.c (a new
// destination goes to the list's head).
#include "runtime/lvs/scheduler/service.hpp"

#include <algorithm>
#include <charconv>
#include <bit>
#include <cstdio>

namespace tandem::runtime::lvs {

namespace {
const char* protocol_name(protocol p) {
  switch (p) {
    case protocol::udp: return "udp";
    case protocol::sctp: return "sctp";
    default: return "tcp";
  }
}
std::string fmt(const char* format, auto... args) {
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, format, args...);
  return buffer;
}
}  // namespace

std::string format_trio(const boost::asio::ip::address& a, protocol p, std::uint16_t port) {
  std::string out = "[";
  out.append(a.to_string()).append("]:").append(protocol_name(p)).append(":");
  out.append(std::to_string(port));
  return out;
}

std::string service_config::display() const {
  std::string out;
  if (fwmark_) return out.append("FWM ").append(std::to_string(fwmark_));
  if (!group_.empty())
    return out.append("[").append(group_).append("]:").append(std::to_string(port_));
  return format_trio(address_, protocol_, port_);
}

std::optional<unsigned> parse_granularity(std::string_view text, bool v6) {
  boost::system::error_code ec;
  if (text.find('.') != std::string_view::npos) {
    auto mask = boost::asio::ip::make_address_v4(std::string(text), ec);
    if (ec) return std::nullopt;
    const std::uint32_t m = mask.to_uint();
    const unsigned len = static_cast<unsigned>(std::countl_one(m));
    if (len < 32 && (m << len) != 0) return std::nullopt;  // not contiguous
    return len;
  }
  unsigned n = 0;
  auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (e != std::errc{} || p != text.data() + text.size() || n > (v6 ? 128u : 32u))
    return std::nullopt;
  return n;
}

virtual_service::virtual_service(service_config config,
                                 std::function<void(const service_event&)> events)
    : config_(std::move(config)),
      events_(std::move(events)),
      scheduler_(make_scheduler(config_.scheduler_, config_.flags_)) {
  if (!scheduler_) scheduler_ = make_scheduler("wlc");
  servers_.resize(config_.real_servers_.size());
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    const auto& rc = config_.real_servers_[i];
    auto& s = servers_[i];
    s.effective_weight_ = rc.weight_;
    for (bool down : rc.checkers_start_down_) {
      s.checker_up_.push_back(!down);
      s.checker_has_run_.push_back(false);
      if (down) ++s.failed_checkers_;
    }
  }
  scheduler_->destinations_changed(pool_, {});
}

void virtual_service::log(std::string line) {
  if (events_) events_({service_event::kind::log, std::move(line)});
}
void virtual_service::script(const std::string& command) {
  if (!command.empty() && events_) events_({service_event::kind::script, command});
}
std::string virtual_service::rs_name(std::size_t rs) const {
  const auto& r = config_.real_servers_[rs];
  return format_trio(r.address_, config_.protocol_, r.port_);
}
std::string virtual_service::sorry_name() const {
  return format_trio(config_.sorry_server_->address_, config_.protocol_,
                     config_.sorry_server_->port_);
}

long virtual_service::live_weight() const {
  long sum = 0;
  for (const auto& s : servers_)
    if (s.alive_) sum += std::max(s.effective_weight_, 0);
  return sum;
}

std::optional<std::size_t> virtual_service::find(const boost::asio::ip::address& a,
                                                 std::uint16_t port) const {
  for (std::size_t i = 0; i < pool_.size(); ++i)
    if (pool_[i].address_ == a && pool_[i].port_ == port) return i;
  return std::nullopt;
}

void virtual_service::pool_add(const boost::asio::ip::address& a, std::uint16_t port, int weight,
                               std::optional<std::uint32_t> u, std::optional<std::uint32_t> l) {
  if (find(a, port)) {
    pool_weight(a, port, weight);
    return;
  }
  destination d;
  d.address_ = a;
  d.port_ = port;
  d.weight_ = weight;
  pool_.insert(pool_.begin(), d);
  pool_u_.insert(pool_u_.begin(), u);
  pool_l_.insert(pool_l_.begin(), l);
  scheduler_->destinations_changed(pool_, {scheduler::change::kind::added, 0});
}

void virtual_service::pool_remove(const boost::asio::ip::address& a, std::uint16_t port) {
  auto i = find(a, port);
  if (!i) return;
  pool_.erase(pool_.begin() + static_cast<std::ptrdiff_t>(*i));
  pool_u_.erase(pool_u_.begin() + static_cast<std::ptrdiff_t>(*i));
  pool_l_.erase(pool_l_.begin() + static_cast<std::ptrdiff_t>(*i));
  scheduler_->destinations_changed(pool_, {scheduler::change::kind::removed, *i});
}

void virtual_service::pool_weight(const boost::asio::ip::address& a, std::uint16_t port,
                                  int weight) {
  auto i = find(a, port);
  if (!i || pool_[*i].weight_ == weight) return;
  pool_[*i].weight_ = weight;
  scheduler_->destinations_changed(pool_, {scheduler::change::kind::updated, *i});
}

void virtual_service::ipvs_add(std::size_t rs) {
  const auto& rc = config_.real_servers_[rs];
  pool_add(rc.address_, rc.port_, std::max(servers_[rs].effective_weight_, 0), rc.u_threshold_,
           rc.l_threshold_);
  servers_[rs].set_ = true;
}

void virtual_service::ipvs_del(std::size_t rs) {
  const auto& rc = config_.real_servers_[rs];
  if (rc.inhibit_on_failure_) {
    // keepalived's inhibit_on_failure: the destination stays with weight 0, so established
    // connections (and persistence templates) keep going to it.
    if (!servers_[rs].set_) {
      pool_add(rc.address_, rc.port_, 0, rc.u_threshold_, rc.l_threshold_);
      servers_[rs].set_ = true;
    } else {
      pool_weight(rc.address_, rc.port_, 0);
    }
    return;
  }
  pool_remove(rc.address_, rc.port_);
  servers_[rs].set_ = false;
}

void virtual_service::start() {
  // init_service_rs
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    auto& s = servers_[i];
    const bool inhibit = config_.real_servers_[i].inhibit_on_failure_;
    if ((s.failed_checkers_ == 0 && !s.alive_) || (inhibit && !s.set_)) {
      if (s.failed_checkers_ == 0) ipvs_add(i);
      else ipvs_del(i);  // inhibited: in the pool with weight 0
      if (s.failed_checkers_ == 0) s.alive_ = true;
    }
  }
  update_quorum(true);
  // A sorry server with inhibit is in the pool from the start, with weight 0.
  if (config_.sorry_server_ && config_.sorry_server_inhibit_ && !sorry_set_) {
    const auto& ss = *config_.sorry_server_;
    pool_add(ss.address_, ss.port_, 0, std::nullopt, std::nullopt);
    sorry_set_ = true;
  }
}

void virtual_service::stop() {
  if (config_.sorry_server_ && sorry_set_) {
    pool_remove(config_.sorry_server_->address_, config_.sorry_server_->port_);
    sorry_set_ = sorry_alive_ = false;
  }
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    auto& s = servers_[i];
    const auto& rc = config_.real_servers_[i];
    log(fmt("Shutting down %sservice %s from VS %s",
            rc.inhibit_on_failure_ && !s.alive_ ? "(inhibited) " : "", rs_name(i).c_str(),
            config_.display().c_str()));
    if (!s.set_) continue;
    pool_remove(rc.address_, rc.port_);
    s.set_ = false;
    if (!s.alive_) continue;
    s.alive_ = false;
    if (config_.omega_) script(rc.notify_down_);
  }
  quorum_up_ = false;
  if (config_.omega_) script(config_.quorum_down_);
  templates_.clear();
}

void virtual_service::update_quorum(bool init) {
  const long weight_sum = live_weight();
  const long threshold = static_cast<long>(config_.quorum_) +
                         (quorum_up_ ? -1 : 1) * static_cast<long>(config_.hysteresis_);
  const bool has_sorry = config_.sorry_server_.has_value();
  const bool inhibit = config_.sorry_server_inhibit_;
  if (!quorum_up_ && weight_sum >= threshold) {
    quorum_up_ = true;
    log(fmt("Gained quorum %u+%u=%ld <= %ld for VS %s", config_.quorum_, config_.hysteresis_,
            threshold, weight_sum, config_.display().c_str()));
    if (has_sorry && sorry_alive_) {
      log(fmt("%s sorry server %s from VS %s", inhibit ? "Disabling" : "Removing",
              sorry_name().c_str(), config_.display().c_str()));
      const auto& ss = *config_.sorry_server_;
      if (inhibit) pool_weight(ss.address_, ss.port_, 0);
      else {
        pool_remove(ss.address_, ss.port_);
        sorry_set_ = false;
      }
      sorry_alive_ = false;
      move_alive_servers(true);
    }
    script(config_.quorum_up_);
    return;
  }
  if ((quorum_up_ && (weight_sum == 0 || weight_sum < threshold)) ||
      (init && !quorum_up_ && has_sorry && !sorry_alive_)) {
    quorum_up_ = false;
    log(fmt("%s %u-%u=%ld > %ld for VS %s", init ? "Starting with quorum down" : "Lost quorum",
            config_.quorum_, config_.hysteresis_, threshold, weight_sum,
            config_.display().c_str()));
    if (has_sorry && !sorry_alive_) {
      log(fmt("%s sorry server %s to VS %s", inhibit ? "Enabling" : "Adding",
              sorry_name().c_str(), config_.display().c_str()));
      move_alive_servers(false);
      const auto& ss = *config_.sorry_server_;
      pool_add(ss.address_, ss.port_, std::max(ss.weight_, 0), std::nullopt, std::nullopt);
      sorry_set_ = sorry_alive_ = true;
    }
    script(config_.quorum_down_);
  }
}

void virtual_service::move_alive_servers(bool add) {
  log(fmt("%s the pool for VS %s", add ? "Adding alive servers to" : "Removing alive servers from",
          config_.display().c_str()));
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    if (!servers_[i].alive_) continue;
    if (add) ipvs_add(i);
    else ipvs_del(i);
  }
}

void virtual_service::perform_state(std::size_t rs, bool alive) {
  auto& s = servers_[rs];
  if (s.alive_ == alive) return;
  const bool inhibit = config_.real_servers_[rs].inhibit_on_failure_;
  log(fmt("%sing service %s %s VS %s",
          alive ? (inhibit ? "Enabl" : "Add") : (inhibit ? "Disabl" : "Remov"),
          rs_name(rs).c_str(), inhibit ? "of" : alive ? "to" : "from",
          config_.display().c_str()));
  if (quorum_up_ || !config_.sorry_server_ || !sorry_alive_) {
    if (alive) ipvs_add(rs);
    else ipvs_del(rs);
  }
  s.alive_ = alive;
  script(alive ? config_.real_servers_[rs].notify_up_ : config_.real_servers_[rs].notify_down_);
  update_quorum(false);
}

void virtual_service::checker_result(std::size_t rs, std::size_t checker, bool up) {
  if (rs >= servers_.size()) return;
  auto& s = servers_[rs];
  if (checker >= s.checker_up_.size()) return;
  if (s.checker_up_[checker] == up) {
    if (!s.checker_has_run_[checker]) {
      const bool alpha = config_.real_servers_[rs].checkers_start_down_[checker];
      if (alpha || !up)
        script(up ? config_.real_servers_[rs].notify_up_ : config_.real_servers_[rs].notify_down_);
      s.checker_has_run_[checker] = true;
    }
    return;
  }
  s.checker_has_run_[checker] = true;
  if (up) {
    if (s.failed_checkers_ <= 1) perform_state(rs, true);
  } else if (s.failed_checkers_ == 0) {
    perform_state(rs, false);
  }
  s.checker_up_[checker] = up;
  if (!up) ++s.failed_checkers_;
  else if (s.failed_checkers_ > 0) --s.failed_checkers_;
}

void virtual_service::set_weight(std::size_t rs, int weight) {
  if (rs >= servers_.size()) return;
  auto& s = servers_[rs];
  const int new_weight = std::max(weight, 0), old_weight = std::max(s.effective_weight_, 0);
  s.effective_weight_ = weight;
  if (new_weight == old_weight) return;
  log(fmt("Changing weight from %d to %d for %sactive service %s of VS %s", old_weight, new_weight,
          s.alive_ ? "" : "in", rs_name(rs).c_str(), config_.display().c_str()));
  if (s.set_ && s.alive_ && (quorum_up_ || !config_.sorry_server_ || !sorry_alive_)) {
    const auto& rc = config_.real_servers_[rs];
    pool_weight(rc.address_, rc.port_, new_weight);
  }
  update_quorum(false);
}

boost::asio::ip::address virtual_service::masked(const boost::asio::ip::address& a) const {
  if (a.is_v4()) {
    const unsigned len = config_.granularity_v4_;
    const std::uint32_t mask = len == 0 ? 0 : ~std::uint32_t{0} << (32 - len);
    return boost::asio::ip::address_v4(a.to_v4().to_uint() & mask);
  }
  auto bytes = a.to_v6().to_bytes();
  const unsigned len = config_.granularity_v6_;
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned keep = len > i * 8 ? std::min(8u, len - i * 8) : 0;
    bytes[i] &= static_cast<unsigned char>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return boost::asio::ip::address_v6(bytes);
}

std::optional<target> virtual_service::schedule(const connection& c,
                                                const schedule_context& ctx) {
  const auto to_target = [&](std::size_t i) {
    target t{pool_[i].address_, pool_[i].port_, std::nullopt};
    for (std::size_t r = 0; r < config_.real_servers_.size(); ++r) {
      if (config_.real_servers_[r].address_ == t.address_ &&
          config_.real_servers_[r].port_ == t.port_)
        t.real_server_ = r;
    }
    return t;
  };
  if (!config_.persistence_timeout_) {
    auto i = scheduler_->schedule(c, pool_, ctx);
    if (!i) return std::nullopt;
    return to_target(*i);
  }
  // IPVS's persistence template: the client's network (persistence_granularity), the virtual
  // address and port (the mark alone for a fwmark service, port 0 for a port-less service).
  persistence_key key{masked(c.source_), {}, 0};
  if (!config_.fwmark_) {
    key.vip_ = c.destination_;
    key.vport_ = config_.port_ ? c.destination_port_ : 0;
  }
  const auto timeout = *config_.persistence_timeout_;
  if (auto it = templates_.find(key); it != templates_.end()) {
    auto i = find(it->second.address_, it->second.port_);
    const bool valid = ctx.now_ < it->second.expires_ && i &&
                       !(config_.expire_quiescent_template_ && pool_[*i].weight_ == 0);
    if (valid) {
      it->second.expires_ = ctx.now_ + timeout;
      return to_target(*i);
    }
    templates_.erase(it);
  }
  // Expired templates are dropped as the table is used, so it does not grow without bound.
  std::erase_if(templates_, [&](const auto& e) { return ctx.now_ >= e.second.expires_; });
  auto i = scheduler_->schedule(c, pool_, ctx);
  if (!i) return std::nullopt;
  templates_[key] = template_entry{pool_[*i].address_, pool_[*i].port_, ctx.now_ + timeout};
  return to_target(*i);
}

void virtual_service::connection_counts(const target& t, std::uint32_t active,
                                        std::uint32_t inactive) {
  auto i = find(t.address_, t.port_);
  if (!i) return;
  auto& d = pool_[*i];
  d.active_ = active;
  d.inactive_ = inactive;
  // IPVS's u_threshold / l_threshold: overloaded from u connections on, until below l (or
  // three quarters of u when no l is set).
  const std::uint64_t total = std::uint64_t{active} + inactive;
  const auto& u = pool_u_[*i];
  const auto& l = pool_l_[*i];
  const bool was = d.overloaded_;
  if (u && *u && total >= *u) d.overloaded_ = true;
  else if (was) {
    if (l && *l) d.overloaded_ = total >= *l;
    else if (u && *u) d.overloaded_ = total * 4 >= std::uint64_t{*u} * 3;
    else d.overloaded_ = false;
  }
  // IPVS flips IP_VS_DEST_F_OVERLOAD without telling the scheduler (no upd_dest): the
  // schedulers read the flag when they pick.
}

}  // namespace tandem::runtime::lvs
