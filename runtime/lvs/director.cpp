// The LVS director (see director.hpp): keepalived 2.2.7's checker process around the data
// planes. Log lines are keepalived's (check/check_api.c, check/ipwrapper.c); the order of a
// stop is keepalived's too: checkers, then the data path, then the omega scripts.
#include "runtime/lvs/director.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <optional>
#include <random>

namespace tandem::runtime::lvs {

namespace asio = boost::asio;
using asio::ip::address;

struct director::running {
  lvs_service_binding binding_;
  std::unique_ptr<virtual_service> service_;
  std::unique_ptr<dataplane::data_plane> plane_;
  dataplane::plane_context context_;  // what the plane was made with (a fallback reuses it)
  std::vector<std::shared_ptr<checkers::runner>> runners_;  // parallel to binding_.checkers_
  std::vector<bool> checker_up_;  // each checker's last verdict
  std::vector<bool> active_;      // ha_suspend: false while the VIP is elsewhere
  bool vip_here_ = true;
  // Callbacks from runners and planes check it: false once the service has stopped.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

namespace {

dataplane::forwarding forwarding_of(const std::string& method, dataplane::forwarding dflt) {
  if (method == "DR") return dataplane::forwarding::dr;
  if (method == "TUN") return dataplane::forwarding::tun;
  if (method == "NAT") return dataplane::forwarding::nat;
  return dflt;
}

bool same_configuration(const lvs_service_binding& a,
                        const lvs_service_binding& b) {
  if (!(a.service_ == b.service_) || a.group_entries_ != b.group_entries_ ||
      a.lvs_method_ != b.lvs_method_ || a.real_server_methods_ != b.real_server_methods_ ||
      a.ha_suspend_ != b.ha_suspend_ || a.ops_ != b.ops_ || a.checkers_.size() != b.checkers_.size())
    return false;
  for (std::size_t i = 0; i < a.checkers_.size(); ++i) {
    const auto &x = a.checkers_[i], &y = b.checkers_[i];
    if (x.real_server_ != y.real_server_ || x.checker_ != y.checker_ || !(x.spec_ == y.spec_))
      return false;
  }
  return true;
}

bool address_configured_here(const address& a) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    if (i->ifa_addr->sa_family == AF_INET && a.is_v4()) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      found = ntohl(sin->sin_addr.s_addr) == a.to_v4().to_uint();
    } else if (i->ifa_addr->sa_family == AF_INET6 && a.is_v6()) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      asio::ip::address_v6::bytes_type bytes;
      std::copy_n(sin6->sin6_addr.s6_addr, 16, bytes.begin());
      found = asio::ip::address_v6(bytes) == a.to_v6();
    }
  }
  ::freeifaddrs(list);
  return found;
}

bool in_range(const address& a, const address& first, const address& last) {
  if (a.is_v4() != first.is_v4()) return false;
  if (a.is_v4()) {
    const auto v = a.to_v4().to_uint();
    return v >= first.to_v4().to_uint() && v <= last.to_v4().to_uint();
  }
  return a.to_v6().to_bytes() >= first.to_v6().to_bytes() &&
         a.to_v6().to_bytes() <= last.to_v6().to_bytes();
}

}  // namespace

dataplane::plane_spec plane_spec_of(const lvs_service_binding& b) {
  const service_config& sc = b.service_;
  dataplane::plane_spec spec;
  spec.display_ = sc.display();
  if (sc.fwmark_) {
    dataplane::vip_entry e;
    e.fwmark_ = sc.fwmark_;
    spec.vips_.push_back(e);
  } else if (!sc.group_.empty()) {
    for (const auto& g : b.group_entries_)
      spec.vips_.push_back({g.first_, g.last_, g.port_ ? g.port_ : sc.port_, g.fwmark_});
  } else {
    spec.vips_.push_back({sc.address_, sc.address_, sc.port_, 0});
  }
  spec.protocol_ = sc.protocol_;
  spec.method_ = forwarding_of(b.lvs_method_, dataplane::forwarding::nat);
  for (const std::string& m : b.real_server_methods_)
    spec.real_server_methods_.push_back(forwarding_of(m, spec.method_));
  spec.persistence_timeout_ = sc.persistence_timeout_;
  spec.scheduler_ = sc.scheduler_;
  return spec;
}

director::director(asio::any_io_executor executor, director_options options)
    : executor_(std::move(executor)), options_(std::move(options)) {
  if (!options_.make_plane_) options_.make_plane_ = dataplane::make_plane;
  if (!options_.schedule_context_) {
    auto gen = std::make_shared<std::mt19937>(std::random_device{}());
    options_.schedule_context_ = [gen] {
      return schedule_context{clock::now(), [gen](std::uint32_t bound) {
                                return std::uniform_int_distribution<std::uint32_t>(
                                    0, bound - 1)(*gen);
                              }};
    };
  }
  if (!options_.address_is_local_) options_.address_is_local_ = address_configured_here;
  if (!options_.run_script_) {
    options_.run_script_ = [ex = executor_](const std::string& command) {
      (void)checkers::run_script(ex, command);
    };
  }
}

director::~director() { stop(); }

void director::log(std::string_view line) const {
  if (options_.log_) options_.log_(line);
}

virtual_service& director::service(std::size_t i) { return *services_[i]->service_; }

std::string_view director::plane_kind(std::size_t i) const {
  return services_[i]->plane_ ? services_[i]->plane_->kind() : std::string_view{};
}

bool director::checker_active(std::size_t service, std::size_t checker) const {
  return services_[service]->active_[checker];
}

std::unique_ptr<director::running> director::build(lvs_service_binding binding,
                                                   std::string& error, const running* previous) {
  auto r = std::make_unique<running>();
  r->binding_ = std::move(binding);
  // The service's state starts from the configuration, except where a reload rebuilds a
  // service that ran: a real server's checker that is the same keeps its verdict (keepalived's
  // migrate_checkers), so a dead server does not rejoin the pool until its next check.
  service_config sc = r->binding_.service_;
  std::vector<std::optional<bool>> carried(r->binding_.checkers_.size());
  if (previous) {
    const service_config& old = previous->binding_.service_;
    for (std::size_t i = 0; i < r->binding_.checkers_.size(); ++i) {
      const auto& c = r->binding_.checkers_[i];
      const auto& rs = sc.real_servers_[c.real_server_];
      for (std::size_t j = 0; j < previous->binding_.checkers_.size(); ++j) {
        const auto& o = previous->binding_.checkers_[j];
        const auto& ors = old.real_servers_[o.real_server_];
        if (ors.address_ != rs.address_ || ors.port_ != rs.port_ || !(o.spec_ == c.spec_)) continue;
        carried[i] = previous->checker_up_[j];
        sc.real_servers_[c.real_server_].checkers_start_down_[c.checker_] = !previous->checker_up_[j];
        break;
      }
    }
  }
  const std::string where = options_.where_ ? options_.where_(r->binding_.position_) : "";
  dataplane::plane_spec spec = plane_spec_of(r->binding_);
  spec.table_name_ = options_.table_name_;
  spec.udp_timeout_ = options_.udp_timeout_;
  std::string kind;
  if (!options_.forced_plane_.empty()) {
    kind = options_.forced_plane_;
    const auto kinds = dataplane::plane_kinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      error = where + "TANDEM_LVS_PLANE=" + kind +
              " is not a data plane (user-space, nftables-nat, nftables-dr)";
      return nullptr;
    }
  } else {
    const dataplane::plane_choice choice = dataplane::choose_plane(spec);
    for (const std::string& w : choice.warnings_) log(where + "VS " + spec.display_ + ": " + w);
    if (choice.kind_.empty()) {
      error = where + "VS " + spec.display_ + " cannot be served: " + choice.error_;
      return nullptr;
    }
    kind = choice.kind_;
  }
  running* rp = r.get();
  r->service_ = std::make_unique<virtual_service>(
      std::move(sc), [this, rp](const service_event& e) { on_event(*rp, e); });
  dataplane::plane_context ctx;
  ctx.executor_ = executor_;
  ctx.service_ = r->service_.get();
  ctx.spec_ = std::move(spec);
  ctx.log_ = options_.log_;
  ctx.schedule_context_ = options_.schedule_context_;
  r->context_ = ctx;
  r->plane_ = options_.make_plane_(kind, std::move(ctx));
  if (!r->plane_) {
    error = where + "VS " + r->binding_.service_.display() + ": the " + kind +
            " data plane is not available in this build";
    return nullptr;
  }
  if (r->binding_.ops_ && r->plane_->kind() == "user-space")
    log(where + "VS " + r->binding_.service_.display() +
        ": ops is not applied by the user-space plane: each client address and port is "
        "scheduled once and keeps its server while its flow lives");
  r->runners_.resize(r->binding_.checkers_.size());
  r->active_.assign(r->binding_.checkers_.size(), true);
  for (std::size_t i = 0; i < r->binding_.checkers_.size(); ++i)
    r->checker_up_.push_back(carried[i].value_or(!r->binding_.checkers_[i].spec_.alpha_));
  return r;
}

bool director::start_service(running& r) {
  r.service_->start();
  std::string why;
  const std::string where = options_.where_ ? options_.where_(r.binding_.position_) : "";
  bool started = r.plane_->start(why);
  if (!started && options_.forced_plane_.empty() && r.plane_->kind() == "nftables-nat") {
    // The chooser's rule when nftables cannot do the job: user space, with a warning. A NAT
    // service the nftables plane refuses only at start (what nft itself cannot build) takes
    // the same path, when user space can serve it.
    if (auto fallback = options_.make_plane_("user-space", r.context_)) {
      std::string user_why;
      if (fallback->start(user_why)) {
        log(where + "VS " + r.binding_.service_.display() +
            ": served in user space (full NAT: real servers see the director's address as "
            "the client): " + why);
        r.plane_ = std::move(fallback);
        started = true;
      }
    }
  }
  if (!started) {
    log(where + "VS " + r.binding_.service_.display() + " cannot be served by the " +
        std::string(r.plane_->kind()) + " data plane: " + why);
    *r.alive_ = false;
    r.service_->stop();
    return false;
  }
  r.plane_->pool_changed();
  // Not a keepalived line (IPVS has one data path): says which of Tandem's serves the VS.
  log("VS " + r.binding_.service_.display() + " served by the " + std::string(r.plane_->kind()) +
      " data plane");
  apply_suspension(r, true);
  return true;
}

void director::stop_service(running& r, bool omega, bool drain) {
  if (!*r.alive_) return;
  for (auto& runner : r.runners_) {
    if (runner) runner->stop();
    runner.reset();
  }
  if (drain) {
    r.plane_->drain();
    draining_.push_back(std::move(r.plane_));
  } else {
    r.plane_->stop();
  }
  *r.alive_ = false;
  if (omega) r.service_->stop();
}

bool director::start(lvs_result config) {
  std::vector<std::unique_ptr<running>> built;
  bool ok = true;
  for (auto& b : config.services_) {
    std::string error;
    auto r = build(std::move(b), error);
    if (!r) {
      log(error);
      ok = false;
      continue;
    }
    built.push_back(std::move(r));
  }
  if (!ok) return false;
  for (std::size_t i = 0; i < built.size(); ++i) {
    if (start_service(*built[i])) continue;
    for (std::size_t j = 0; j < i; ++j) stop_service(*built[j], true);
    return false;
  }
  services_ = std::move(built);
  return true;
}

bool director::reload(lvs_result config) {
  std::vector<std::unique_ptr<running>> next;
  std::vector<std::optional<std::size_t>> from_old;  // parallel to `next`: a kept service
  std::vector<bool> kept(services_.size(), false);
  bool ok = true;
  for (auto& b : config.services_) {
    std::optional<std::size_t> match;
    for (std::size_t i = 0; i < services_.size() && !match; ++i)
      if (!kept[i] && same_configuration(services_[i]->binding_, b)) match = i;
    if (match) {
      kept[*match] = true;
      // Same configuration: only positions may differ (lines moved in the file).
      auto moved = std::make_unique<running>();
      moved->binding_ = std::move(b);
      next.push_back(std::move(moved));
      from_old.push_back(match);
      continue;
    }
    // The same virtual service (address, or group, or mark) with another configuration.
    const running* previous = nullptr;
    for (std::size_t i = 0; i < services_.size() && !previous; ++i)
      if (!kept[i] && services_[i]->binding_.service_.display() == b.service_.display())
        previous = services_[i].get();
    std::string error;
    auto r = build(std::move(b), error, previous);
    if (!r) {
      log(error);
      ok = false;
      continue;
    }
    next.push_back(std::move(r));
    from_old.push_back(std::nullopt);
  }
  if (!ok) return false;
  // Stop what is gone (or changed) before anything new binds its addresses.
  for (std::size_t i = 0; i < services_.size(); ++i) {
    if (kept[i]) continue;
    log("Removing Virtual Server " + services_[i]->binding_.service_.display());
    stop_service(*services_[i], true, true);
  }
  std::vector<std::unique_ptr<running>> result;
  for (std::size_t i = 0; i < next.size(); ++i) {
    if (from_old[i]) {
      auto& old = services_[*from_old[i]];
      old->binding_ = std::move(next[i]->binding_);
      result.push_back(std::move(old));
    } else if (start_service(*next[i])) {
      result.push_back(std::move(next[i]));
    }
  }
  services_ = std::move(result);
  return true;
}

void director::stop() {
  for (auto& r : services_) stop_service(*r, true);
  services_.clear();
  for (auto& p : draining_) p->stop();
  draining_.clear();
}

void director::on_event(running& r, const service_event& e) {
  (void)r;
  if (e.kind_ == service_event::kind::log) log(e.text_);
  else options_.run_script_(e.text_);
}

void director::on_checker(running& r, std::size_t i, const checkers::checker_event& e) {
  if (!*r.alive_) return;
  for (const std::string& line : e.logs_) log(line);
  const auto& c = r.binding_.checkers_[i];
  if (e.weight_) r.service_->set_weight(c.real_server_, *e.weight_);
  if (e.verdict_) {
    r.checker_up_[i] = *e.verdict_;
    r.service_->checker_result(c.real_server_, c.checker_, *e.verdict_);
  }
  if (*r.alive_) r.plane_->pool_changed();
}

void director::checker_event(std::size_t service, std::size_t checker,
                             const checkers::checker_event& e) {
  on_checker(*services_[service], checker, e);
}

void director::start_checker(running& r, std::size_t i) {
  checkers::checker_spec spec = r.binding_.checkers_[i].spec_;
  if (r.runners_[i] || !options_.run_checkers_) return;
  if (r.checker_up_[i] != !spec.alpha_) {
    // Resumed after ha_suspend: the checker carries on from its last verdict, and its next
    // check comes within delay_loop, as keepalived's suspended thread kept its timer.
    spec.alpha_ = !r.checker_up_[i];
    spec.warmup_ = spec.delay_loop_;
  }
  auto alive = r.alive_;
  running* rp = &r;
  auto runner = std::make_shared<checkers::runner>(
      executor_, std::move(spec),
      [this, rp, i, alive](const checkers::checker_event& e) {
        if (*alive) on_checker(*rp, i, e);
      },
      options_.random_below_);
  r.runners_[i] = runner;
  runner->start();
}

bool director::vip_here(const running& r) const {
  const service_config& sc = r.binding_.service_;
  if (sc.fwmark_) return true;
  std::vector<std::pair<address, address>> ranges;
  if (!sc.group_.empty()) {
    for (const auto& g : r.binding_.group_entries_)
      if (!g.fwmark_) ranges.emplace_back(g.first_, g.last_);
  } else {
    ranges.emplace_back(sc.address_, sc.address_);
  }
  bool announced = false;
  for (const auto& [name, st] : vrrp_) {
    for (const address& vip : st.second) {
      for (const auto& [first, last] : ranges) {
        if (!in_range(vip, first, last)) continue;
        announced = true;
        if (st.first) return true;
      }
    }
  }
  if (announced) return false;
  for (const auto& [first, last] : ranges)
    if (options_.address_is_local_(first)) return true;
  return false;
}

void director::apply_suspension(running& r, bool initial) {
  const bool here = !r.binding_.ha_suspend_ || vip_here(r);
  const std::string vs = r.binding_.service_.display();
  const service_config& sc = r.binding_.service_;
  for (std::size_t i = 0; i < r.binding_.checkers_.size(); ++i) {
    const auto& rc = sc.real_servers_[r.binding_.checkers_[i].real_server_];
    const std::string rs = format_trio(rc.address_, sc.protocol_, rc.port_);
    if (initial) {
      log(std::string(here ? "A" : "Dea") + "ctivating healthchecker for service " + rs +
          " for VS " + vs);
    } else if (r.active_[i] != here) {
      log(std::string(here ? "Activat" : "Suspend") + "ing healthchecker for service " + rs +
          " for VS " + vs);
    } else {
      continue;
    }
    r.active_[i] = here;
    if (here) {
      start_checker(r, i);
    } else if (r.runners_[i]) {
      r.runners_[i]->stop();
      r.runners_[i].reset();
    }
  }
  r.vip_here_ = here;
}

void director::vrrp_state(const std::string& instance, bool master,
                          const std::vector<address>& vips) {
  vrrp_[instance] = {master, vips};
  for (auto& r : services_)
    if (r->binding_.ha_suspend_ && *r->alive_) apply_suspension(*r, false);
}

}  // namespace tandem::runtime::lvs
