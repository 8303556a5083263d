// The nftables planes (issue 8, item 3): "nftables-nat" (lb_kind NAT: dnat in the kernel) and
// "nftables-dr" (lb_kind DR: netdev ingress rewriting the destination MAC), and the probe of
// what this kernel and nft offer. The rules' text is nftables_rules.cpp's; here the planes
// keep them in step with the service's pool, one `nft -f` transaction per change, and report
// connection counts back (NAT: conntrack; DR: the flow map's entries).
#include <unistd.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <set>

#include "runtime/lvs/dataplane/conntrack.hpp"
#include "runtime/lvs/dataplane/data_plane.hpp"
#include "runtime/lvs/dataplane/nftables_rules.hpp"
#include "runtime/lvs/dataplane/nftables_system.hpp"

namespace tandem::runtime::lvs::dataplane {
namespace {

// How often the planes read connection counts back (IPVS's counters are live; keepalived
// reads them only for its stats, so a second is close enough).
constexpr auto count_interval = std::chrono::seconds(1);
// DR: a real server's MAC not known yet is probed again this often.
constexpr auto resolve_interval = std::chrono::milliseconds(250);

// The services sharing one table ("inet T", "netdev T"): the last one out removes it. Each
// service takes the next prefix, so names never repeat within a process.
std::map<std::string, int>& table_users() {
  static std::map<std::string, int> users;
  return users;
}
unsigned next_generation() {
  static unsigned n = 0;
  return ++n;
}

bool same_pool(std::span<const destination> a, std::span<const destination> b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.address_ == y.address_ && x.port_ == y.port_ && x.weight_ == y.weight_ &&
           x.overloaded_ == y.overloaded_;
  });
}

bool in_vip(const vip_entry& v, const boost::asio::ip::address& a) {
  if (v.fwmark_ || a.is_v4() != v.first_.is_v4()) return false;
  const auto last = v.last_.is_unspecified() ? v.first_ : v.last_;
  return !(a < v.first_) && !(last < a);
}

class nftables_plane : public data_plane {
 public:
  nftables_plane(plane_context c, std::string family)
      : ctx_(std::move(c)), family_(std::move(family)), timer_(ctx_.executor_) {}
  ~nftables_plane() override { stop(); }

  bool start(std::string& why) override {
    if (started_) return true;
    if (auto u = nftables_unsuitable(spec_with_scheduler())) {
      why = *u;
      return false;
    }
    const auto& cfg = ctx_.service_->config();
    svc_.table_ = ctx_.spec_.table_name_;
    const unsigned generation = next_generation();
    svc_.prefix_ = "vs" + std::to_string(generation);
    svc_.priority_ = -100 + static_cast<int>(generation % 100000);
    svc_.spec_ = ctx_.spec_;
    svc_.scheduler_ = cfg.scheduler_.empty() ? "wlc" : cfg.scheduler_;
    svc_.flags_ = cfg.flags_;
    svc_.pool_.assign(ctx_.service_->pool().begin(), ctx_.service_->pool().end());
    svc_.granularity_ = is_v6(svc_) ? cfg.granularity_v6_ : cfg.granularity_v4_;
    if (family_ == "inet") {
      if (auto problem = ipv6_persistence_problem(svc_)) {
        why = *problem;
        return false;
      }
    }
    if (!prepare(why)) return false;
    std::string text = install_text();
    // The first service of this process in the table: what a killed earlier run left under
    // the same name goes, in the same transaction (a table is one process's, see data_plane.hpp).
    if (!table_users().count(family_ + " " + svc_.table_))
      text = "add table " + family_ + " " + svc_.table_ + "\n" + table_remove(family_, svc_.table_) +
             text;
    const nft_result r = run_nft(text);
    if (!r.ok_) {
      why = "nft could not install " + family_ + " " + svc_.table_ + ": " + trimmed(r.errors_);
      return false;
    }
    ++table_users()[family_ + " " + svc_.table_];
    started_ = true;
    applied_ = svc_.pool_;
    persistence_valid_ = valid_targets();
    applied();
    tick();
    return true;
  }

  void pool_changed() override {
    if (!started_) return;
    auto pool = ctx_.service_->pool();
    if (same_pool(pool, applied_) && !refresh_needed()) return;
    svc_.pool_.assign(pool.begin(), pool.end());
    refresh_host();
    std::string text = refill_text();
    // IPVS invalidates a persistence template when its server leaves the pool.
    const auto valid = valid_targets();
    std::vector<std::string> stale;
    for (const auto& t : persistence_valid_)
      if (std::find(valid.begin(), valid.end(), t) == valid.end()) stale.push_back(t);
    if (!stale.empty() && svc_.spec_.persistence_timeout_) {
      const nft_result l =
          run_nft_args({"list", "map", family_, svc_.table_, svc_.prefix_ + "_persist"});
      if (l.ok_) text += persistence_purge(svc_, family_, parse_map_listing(l.output_), stale);
    }
    const nft_result r = run_nft(text);
    if (!r.ok_) {
      log("nftables: cannot update " + ctx_.spec_.display_ + ": " + trimmed(r.errors_));
      return;
    }
    applied_ = svc_.pool_;
    persistence_valid_ = valid;
    applied();
  }

  void stop() override {
    if (!started_) return;
    started_ = false;
    timer_.cancel();
    std::string text = remove_text();
    const std::string key = family_ + " " + svc_.table_;
    if (--table_users()[key] <= 0) {
      table_users().erase(key);
      text = table_remove(family_, svc_.table_);
    }
    const nft_result r = run_nft(text);
    if (!r.ok_) log("nftables: cannot remove " + ctx_.spec_.display_ + ": " + trimmed(r.errors_));
  }

 protected:
  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  void log(const std::string& line) {
    if (ctx_.log_) ctx_.log_(line);
  }
  plane_spec spec_with_scheduler() const {
    plane_spec s = ctx_.spec_;
    if (!s.scheduler_ && ctx_.service_) s.scheduler_ = ctx_.service_->config().scheduler_;
    return s;
  }
  // The pool entries a persistence entry may still point to, as nft prints them.
  std::vector<std::string> valid_targets() const {
    std::vector<std::string> out;
    const bool expire_quiescent = ctx_.service_->config().expire_quiescent_template_;
    for (std::size_t i = 0; i < svc_.pool_.size(); ++i) {
      if (expire_quiescent && svc_.pool_[i].weight_ == 0) continue;
      if (auto t = target_text(i)) out.push_back(*t);
    }
    return out;
  }
  void tick() {
    timer_.expires_after(tick_interval());
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || !started_) return;
      on_tick();
      if (started_) tick();
    });
  }

  virtual bool prepare(std::string& why) = 0;
  virtual std::string install_text() const = 0;
  virtual std::string refill_text() const = 0;
  virtual std::string remove_text() const = 0;
  virtual std::optional<std::string> target_text(std::size_t pool_index) const = 0;
  virtual void refresh_host() {}
  virtual void applied() {}
  virtual bool refresh_needed() const { return false; }
  virtual std::chrono::milliseconds tick_interval() const { return count_interval; }
  virtual void on_tick() = 0;

  plane_context ctx_;
  std::string family_;
  nft_service svc_;
  bool started_ = false;
  std::vector<destination> applied_;
  std::vector<std::string> persistence_valid_;
  boost::asio::steady_timer timer_;
};

// ---- NAT -----------------------------------------------------------------------------------

class nat_plane final : public nftables_plane {
 public:
  explicit nat_plane(plane_context c) : nftables_plane(std::move(c), "inet") {}
  std::string_view kind() const override { return "nftables-nat"; }

 private:
  bool prepare(std::string&) override {
    refresh_host();
    if (!forwarding_enabled(is_v6(svc_)))
      log(std::string("nftables NAT for ") + ctx_.spec_.display_ + ": " +
          (is_v6(svc_) ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward") +
          " is 0: the director will not forward to the real servers");
    if (!svc_.masquerade_prefixes_.empty()) {
      std::string p;
      for (const auto& m : svc_.masquerade_prefixes_) p += (p.empty() ? "" : ", ") + m;
      log("nftables NAT for " + ctx_.spec_.display_ + ": clients in " + p +
          " (the real servers' own segment) are masqueraded, since the real servers would "
          "answer them directly; other clients keep their address and the real servers must "
          "route replies through this director");
    }
    masquerade_applied_ = svc_.masquerade_prefixes_;
    return true;
  }
  void refresh_host() override {
    const auto ifs = list_interfaces();
    svc_.masquerade_prefixes_.clear();
    for (const auto& d : svc_.pool_)
      if (auto p = connected_prefix(ifs, d.address_))
        if (std::find(svc_.masquerade_prefixes_.begin(), svc_.masquerade_prefixes_.end(), *p) ==
            svc_.masquerade_prefixes_.end())
          svc_.masquerade_prefixes_.push_back(*p);
  }
  std::string install_text() const override { return nat_install(svc_); }
  std::string refill_text() const override { return nat_refill(svc_); }
  std::string remove_text() const override { return nat_remove(svc_); }
  std::optional<std::string> target_text(std::size_t i) const override {
    return persistence_target_text(svc_, svc_.pool_[i]);
  }

  // IPVS's counters from conntrack: connections whose original destination is one of the
  // service's VIPs, by the real server that answers them.
  void on_tick() override {
    std::vector<ct_entry> entries;
    if (dump_conntrack(is_v6(svc_) ? AF_INET6 : AF_INET, entries)) return;
    std::map<std::pair<boost::asio::ip::address, std::uint16_t>, std::pair<std::uint32_t, std::uint32_t>> counts;
    const auto proto = static_cast<std::uint8_t>(svc_.spec_.protocol_);
    for (const auto& e : entries) {
      bool ours = false;
      for (const auto& v : svc_.spec_.vips_) {
        if (v.fwmark_) ours = ours || e.mark_ == v.fwmark_;
        else
          ours = ours || (e.original_.protocol_ == proto && in_vip(v, e.original_.destination_) &&
                          (!v.port_ || v.port_ == e.original_.destination_port_));
      }
      if (!ours) continue;
      auto& c = counts[{e.reply_.source_, e.reply_.source_port_}];
      (e.established() ? c.first : c.second)++;
    }
    auto pool = ctx_.service_->pool();
    std::vector<destination> before(pool.begin(), pool.end());
    for (const auto& d : before) {
      auto it = counts.find({d.address_, d.port_});
      if (d.port_ == 0)  // port-less: every port of the server
        for (auto i = counts.begin(); i != counts.end(); ++i)
          if (i->first.first == d.address_) it = i;
      const auto c = it == counts.end() ? std::pair<std::uint32_t, std::uint32_t>{} : it->second;
      if (c.first != d.active_ || c.second != d.inactive_)
        ctx_.service_->connection_counts(target{d.address_, d.port_, std::nullopt}, c.first,
                                         c.second);
    }
    pool_changed();  // thresholds may have overloaded or released a server
  }

  void applied() override { masquerade_applied_ = svc_.masquerade_prefixes_; }
  bool refresh_needed() const override {
    const auto ifs = list_interfaces();
    std::vector<std::string> now;
    for (const auto& d : ctx_.service_->pool())
      if (auto p = connected_prefix(ifs, d.address_)) now.push_back(*p);
    std::sort(now.begin(), now.end());
    now.erase(std::unique(now.begin(), now.end()), now.end());
    auto applied = masquerade_applied_;
    std::sort(applied.begin(), applied.end());
    return now != applied;
  }

  std::vector<std::string> masquerade_applied_;
};

// ---- DR ------------------------------------------------------------------------------------

class dr_plane final : public nftables_plane {
 public:
  explicit dr_plane(plane_context c) : nftables_plane(std::move(c), "netdev") {}
  std::string_view kind() const override { return "nftables-dr"; }

 private:
  bool prepare(std::string& why) override {
    const auto ifs = list_interfaces();
    const interface_info* dev = nullptr;
    for (const auto& v : svc_.spec_.vips_) {
      const interface_info* i = interface_for(ifs, v.first_);
      if (!i) {
        why = "lb_kind DR: no interface holds " + v.first_.to_string() +
              " or a connected prefix that contains it";
        return false;
      }
      if (dev && dev->index_ != i->index_) {
        why = "lb_kind DR: the service's addresses are on different interfaces (" + dev->name_ +
              ", " + i->name_ + ")";
        return false;
      }
      dev = i;
    }
    if (!dev) {
      why = "lb_kind DR: the service has no address";
      return false;
    }
    svc_.device_ = dev->name_;
    svc_.device_mac_ = dev->mac_;
    ifindex_ = dev->index_;
    svc_.flow_timeout_ = svc_.spec_.protocol_ == protocol::udp
                             ? static_cast<unsigned>(svc_.spec_.udp_timeout_.count())
                             : 900;
    for (const auto& rs : ctx_.service_->config().real_servers_) {
      const interface_info* i = interface_for(ifs, rs.address_);
      if (!i || i->index_ != ifindex_) {
        why = "lb_kind DR: real server " + rs.address_.to_string() + " is not on " + dev->name_ +
              "'s segment (DR forwards frames; the real servers must share the VIP's link)";
        return false;
      }
    }
    // Resolve what we can now (a short wait for the probes' answers), the rest on the timer.
    resolve(true);
    for (int k = 0; k < 20 && unresolved(); ++k) {
      ::usleep(25000);
      resolve(false);
    }
    const auto slots = make_slot_table(svc_.scheduler_, svc_.flags_, svc_.pool_);
    if (slots.approximated_)
      log("nftables DR for " + ctx_.spec_.display_ + ": scheduler " + svc_.scheduler_ +
          " is served as weighted round robin (a netdev hook sees frames, not connections, so "
          "nftables cannot weigh live connection counts there)");
    return true;
  }
  bool unresolved() const {
    for (const auto& m : svc_.pool_macs_)
      if (!m) return true;
    return false;
  }
  // Fills svc_.pool_macs_ from the neighbour table; `probe`: ask the kernel to resolve the
  // missing ones.
  void resolve(bool probe) {
    svc_.pool_macs_.assign(svc_.pool_.size(), std::nullopt);
    for (std::size_t i = 0; i < svc_.pool_.size(); ++i) {
      const auto& a = svc_.pool_[i].address_;
      auto m = neighbour_mac(a, ifindex_);
      if (m) macs_[a] = *m;
      else if (auto c = macs_.find(a); c != macs_.end()) m = c->second;
      if (!m && probe) probe_neighbour(a);
      svc_.pool_macs_[i] = m;
    }
  }
  // A reload rebuilt or removed the service. A netdev hook has no conntrack to carry the
  // established flows, so this chain keeps forwarding the flows it knows (until stop()), and
  // lets every other frame through to the next ingress chain at the same priority: the new
  // generation's, which the kernel runs after this older one.
  void drain() override {
    if (!started_) return;
    timer_.cancel();  // no more counts for a service that is going away
    draining_ = true;
    const nft_result r = run_nft(dr_drain(svc_));
    if (!r.ok_) {
      log("nftables: cannot drain " + ctx_.spec_.display_ + ": " + trimmed(r.errors_));
      stop();
    }
  }
  void refresh_host() override { resolve(true); }
  void applied() override { applied_macs_ = svc_.pool_macs_; }
  bool refresh_needed() const override {
    return applied_macs_ != svc_.pool_macs_ || unresolved();
  }
  std::string install_text() const override { return dr_install(svc_); }
  std::string refill_text() const override { return dr_refill(svc_); }
  std::string remove_text() const override { return dr_remove(svc_); }
  std::optional<std::string> target_text(std::size_t i) const override {
    if (i >= svc_.pool_macs_.size() || !svc_.pool_macs_[i]) return std::nullopt;
    return format_mac(*svc_.pool_macs_[i]);
  }
  std::chrono::milliseconds tick_interval() const override {
    if (unresolved()) return resolve_interval;
    return count_interval;
  }
  void on_tick() override {
    if (draining_) return;
    if (unresolved()) {
      resolve(true);
      if (!unresolved() || svc_.pool_macs_ != applied_macs_) force_refill();
      return;
    }
    applied_macs_ = svc_.pool_macs_;
    // The flow map's live entries by real server MAC: active unless the client closed them
    // (the closing set); UDP flows are inactive, as IPVS counts them.
    const nft_result l = run_nft_args({"list", "map", "netdev", svc_.table_, svc_.prefix_ + "_flows"});
    if (!l.ok_) return;
    std::set<std::string> closing;
    if (svc_.spec_.protocol_ == protocol::tcp) {
      const nft_result c =
          run_nft_args({"list", "set", "netdev", svc_.table_, svc_.prefix_ + "_closing"});
      if (c.ok_)
        for (auto& e : parse_map_listing(c.output_)) closing.insert(std::move(e.key_));
    }
    std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> by_mac;
    for (const auto& e : parse_map_listing(l.output_)) {
      const bool inactive = svc_.spec_.protocol_ != protocol::tcp || closing.count(e.key_);
      ++(inactive ? by_mac[e.data_].second : by_mac[e.data_].first);
    }
    auto pool = ctx_.service_->pool();
    std::vector<destination> now(pool.begin(), pool.end());
    for (std::size_t i = 0; i < now.size(); ++i) {
      auto m = macs_.find(now[i].address_);
      const auto n = m == macs_.end() ? std::pair<std::uint32_t, std::uint32_t>{}
                                      : by_mac[format_mac(m->second)];
      if (n.first != now[i].active_ || n.second != now[i].inactive_)
        ctx_.service_->connection_counts(target{now[i].address_, now[i].port_, std::nullopt},
                                         n.first, n.second);
    }
    pool_changed();
  }
  void force_refill() {
    const nft_result r = run_nft(dr_refill(svc_));
    if (!r.ok_) {
      log("nftables: cannot update " + ctx_.spec_.display_ + ": " + trimmed(r.errors_));
      return;
    }
    applied_ = svc_.pool_;
    applied_macs_ = svc_.pool_macs_;
    persistence_valid_ = valid_targets();
  }

  int ifindex_ = 0;
  bool draining_ = false;
  std::map<boost::asio::ip::address, mac_address> macs_;
  std::vector<std::optional<mac_address>> applied_macs_;
};

// ---- what this kernel offers -----------------------------------------------------------------

std::optional<std::string> probe(const std::string& which) {
  static std::map<std::string, std::optional<std::string>> cache;
  if (auto c = cache.find(which); c != cache.end()) return c->second;
  std::optional<std::string> reason;
  if (::access("/usr/sbin/nft", X_OK) != 0) {
    reason = "nftables' nft command (/usr/sbin/nft) is not installed";
  } else {
    const std::string table = "tandem_probe_" + std::to_string(::getpid());
    const bool v6 = which == "nat6" || which == "dr6";
    const std::string text = which.starts_with("dr") ? probe_dr(v6, table) : probe_nat(v6, table);
    const nft_result r = run_nft(text, true);
    if (!r.ok_) {
      std::string e = r.errors_;
      if (auto nl = e.find('\n'); nl != std::string::npos) e.resize(nl);
      // nft 1.0.6 itself aborts on some rules (IPv6 flow keys in DR): its message says so.
      reason = "nftables here (the kernel or nft) cannot build what the " +
               std::string(which.starts_with("dr") ? "netdev ingress (DR)" : "NAT") +
               " plane needs" + (v6 ? " for IPv6" : "") + ": " + e;
    }
  }
  cache[which] = reason;
  return reason;
}

}  // namespace

std::unique_ptr<data_plane> make_nftables_nat_plane(plane_context context) {
  if (!context.service_) return nullptr;
  return std::make_unique<nat_plane>(std::move(context));
}

std::unique_ptr<data_plane> make_nftables_dr_plane(plane_context context) {
  if (!context.service_) return nullptr;
  return std::make_unique<dr_plane>(std::move(context));
}

std::optional<std::string> nftables_unsuitable(const plane_spec& spec) {
  if (spec.method_ == forwarding::tun)
    return std::string("lb_kind TUN needs the kernel's ipip tunnel");
  for (auto m : spec.real_server_methods_)
    if (m != spec.method_)
      return std::string("real servers with another lb_kind than their virtual_server's");
  if (spec.vips_.empty()) return std::string("the service has no address");
  bool v6 = false;
  for (const auto& v : spec.vips_) {
    if (v.fwmark_ && spec.method_ == forwarding::dr)
      return std::string("a fwmark service cannot be matched on a netdev ingress hook (the mark "
                         "is set later, in the IP layer)");
    if (!v.fwmark_) v6 = v.first_.is_v6();
  }
  if (spec.method_ == forwarding::nat && spec.scheduler_ &&
      needs_connection_counts(*spec.scheduler_))
    return "scheduler " + (spec.scheduler_->empty() ? std::string("wlc") : *spec.scheduler_) +
           " weighs live connection counts, which nftables cannot do per packet";
  return probe(std::string(spec.method_ == forwarding::dr ? "dr" : "nat") + (v6 ? "6" : ""));
}

}  // namespace tandem::runtime::lvs::dataplane
