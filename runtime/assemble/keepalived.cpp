// keepalived model -> VRRP daemon spec. keepalived's own config-time corrections live here
// (vrrp_complete_instance in keepalived's vrrp.c): the runtime takes the spec as final.
#include "runtime/assemble/keepalived.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "runtime/vrrp/packet.hpp"

namespace tandem::runtime::assemble {

namespace ka = parsers::keepalived;
using vrrp::address_family;
using vrrp::duration;
using vrrp::ip_address;

namespace {

struct context {
  keepalived_result& out_;
  void error(const parsers::source_position& at, std::string message) {
    out_.problems_.push_back({at, std::move(message), true});
  }
  void warning(const parsers::source_position& at, std::string message) {
    out_.problems_.push_back({at, std::move(message), false});
  }
};

duration seconds(double s) {
  return duration(static_cast<duration::rep>(std::llround(s * 1e6)));
}

std::string first_word(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  const auto e = s.find_first_of(" \t", b);
  return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

std::optional<std::uint8_t> scope_number(const std::string& s) {
  if (s.empty() || s == "global" || s == "universe") return 0;
  if (s == "site") return 200;
  if (s == "link") return 253;
  if (s == "host") return 254;
  if (s == "nowhere") return 255;
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const long v = std::stol(s);
    if (v <= 255) return static_cast<std::uint8_t>(v);
  }
  return std::nullopt;
}

std::optional<ip_address> broadcast_for(const ip_address& a, unsigned prefix) {
  if (a.family() != address_family::ipv4 || prefix >= 31) return std::nullopt;
  std::array<std::uint8_t, 4> b{};
  std::copy(a.bytes().begin(), a.bytes().end(), b.begin());
  std::uint32_t v = (std::uint32_t{b[0]} << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
  v |= (prefix == 0 ? 0xffffffffu : (0xffffffffu >> prefix));
  return ip_address::v4({static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                         static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
}

std::optional<vrrp::io::address_spec> address_for(context& c, const ka::ip_address& a,
                                                  const std::string& interface) {
  vrrp::io::address_spec s;
  const auto addr = ip_address::parse(a.address_);
  if (!addr) {
    c.error(a.position_, "cannot read the address '" + a.address_ + "'");
    return std::nullopt;
  }
  s.address_ = *addr;
  s.prefix_ = a.prefix_;
  s.device_ = a.device_.empty() ? interface : a.device_;
  s.label_ = a.label_;
  const auto scope = scope_number(a.scope_);
  if (!scope) {
    c.error(a.position_, "unknown scope '" + a.scope_ + "'");
    return std::nullopt;
  }
  s.scope_ = *scope;
  if (a.broadcast_ == "+") {
    s.broadcast_ = broadcast_for(*addr, a.prefix_);
  } else if (!a.broadcast_.empty() && a.broadcast_ != "-") {
    s.broadcast_ = ip_address::parse(a.broadcast_);
    if (!s.broadcast_) c.error(a.position_, "cannot read the broadcast address '" + a.broadcast_ + "'");
  }
  if (!a.peer_.empty()) {
    s.peer_ = ip_address::parse(a.peer_);
    if (!s.peer_) c.error(a.position_, "cannot read the peer address '" + a.peer_ + "'");
  }
  s.nodad_ = a.nodad_;
  s.noprefixroute_ = a.noprefixroute_;
  s.home_ = a.home_;
  if (!a.track_group_.empty()) {
    c.error(a.position_, "'track_group' on an address is not supported by Tandem's VRRP yet");
  }
  s.text_ = addr->to_string();
  if (a.prefix_given_) s.text_.append("/").append(std::to_string(a.prefix_));
  s.text_.append(" dev ").append(s.device_).append(" scope ");
  s.text_.append(s.scope_ == 0 ? std::string("global") : a.scope_);
  if (!s.label_.empty()) s.text_.append(" label ").append(s.label_);
  return s;
}

std::optional<vrrp::io::route_spec> route_for(context& c, const ka::route& r,
                                              const std::string& interface) {
  vrrp::io::route_spec s;
  using kind = vrrp::io::route_spec::kind;
  if (r.type_ == "blackhole") s.type_ = kind::blackhole;
  else if (r.type_ == "unreachable") s.type_ = kind::unreachable;
  else if (r.type_ == "prohibit") s.type_ = kind::prohibit;
  else if (r.type_ == "throw") s.type_ = kind::throw_;
  else if (!r.type_.empty()) {
    c.error(r.position_, "route type '" + r.type_ + "' is not supported by Tandem's VRRP yet");
    return std::nullopt;
  }
  if (r.destination_ != "default" && !r.destination_.empty()) {
    std::string d = r.destination_;
    unsigned prefix = 0;
    bool has_prefix = false;
    if (const auto slash = d.find('/'); slash != std::string::npos) {
      prefix = static_cast<unsigned>(std::stoul(d.substr(slash + 1)));
      has_prefix = true;
      d.resize(slash);
    }
    s.destination_ = ip_address::parse(d);
    if (!s.destination_) {
      c.error(r.position_, "cannot read the route destination '" + r.destination_ + "'");
      return std::nullopt;
    }
    s.family_ = s.destination_->family();
    s.prefix_ = has_prefix ? prefix : (s.family_ == address_family::ipv4 ? 32 : 128);
  }
  if (!r.via_.empty()) {
    s.via_ = ip_address::parse(r.via_);
    if (!s.via_) {
      c.error(r.position_, "cannot read the gateway '" + r.via_ + "'");
      return std::nullopt;
    }
    if (!s.destination_) s.family_ = s.via_->family();
  }
  if (!r.source_.empty()) {
    s.source_ = ip_address::parse(r.source_);
    if (!s.source_) {
      c.error(r.position_, "cannot read the route source '" + r.source_ + "'");
      return std::nullopt;
    }
  }
  s.device_ = r.device_.empty() && s.type_ == kind::unicast ? interface : r.device_;
  if (!r.table_.empty()) {
    if (r.table_ == "main") s.table_ = 254;
    else if (r.table_ == "local") s.table_ = 255;
    else if (r.table_ == "default") s.table_ = 253;
    else {
      try {
        s.table_ = static_cast<std::uint32_t>(std::stoul(r.table_));
      } catch (...) {
        c.error(r.position_, "route table '" + r.table_ + "': only numbers and main/local/default");
        return std::nullopt;
      }
    }
  }
  for (std::size_t i = 0; i + 1 < r.words_.size(); ++i) {
    if (r.words_[i] == "metric" || r.words_[i] == "preference" || r.words_[i] == "priority") {
      try {
        s.metric_ = static_cast<std::uint32_t>(std::stoul(r.words_[i + 1]));
      } catch (...) {
        c.error(r.position_, "cannot read the metric '" + r.words_[i + 1] + "'");
      }
    } else if (r.words_[i] == "scope") {
      const auto sc = scope_number(r.words_[i + 1]);
      if (sc) s.scope_ = *sc;
    }
  }
  if (s.type_ == kind::unicast && !s.via_ && s.scope_ == 0) s.scope_ = 253;  // a link route
  for (const std::string& w : r.words_) s.text_ += (s.text_.empty() ? "" : " ") + w;
  return s;
}

// A virtual_rules entry: from/to ADDR[/LEN] | all, table/lookup T, priority/preference/pref
// N, iif/oif NAME, fwmark N[/MASK], tos N. Anything else cannot run yet.
std::optional<vrrp::io::rule_spec> rule_for(context& c, const ka::rule& r) {
  vrrp::io::rule_spec s;
  bool family_known = false;
  auto number = [&](const std::string& w, std::uint32_t& out) {
    try {
      std::size_t used = 0;
      const unsigned long v = std::stoul(w, &used, 0);
      if (used != w.size()) return false;
      out = static_cast<std::uint32_t>(v);
      return true;
    } catch (...) {
      return false;
    }
  };
  auto prefix = [&](const std::string& w, std::optional<ip_address>& addr, unsigned& len) {
    if (w == "all") return true;
    std::string a = w;
    std::optional<unsigned> l;
    if (const auto slash = a.find('/'); slash != std::string::npos) {
      std::uint32_t n = 0;
      if (!number(a.substr(slash + 1), n)) return false;
      l = n;
      a.resize(slash);
    }
    addr = ip_address::parse(a);
    if (!addr) return false;
    len = l.value_or(addr->family() == address_family::ipv4 ? 32 : 128);
    s.family_ = addr->family();
    family_known = true;
    return true;
  };
  const auto& w = r.words_;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string& k = w[i];
    const bool has_value = i + 1 < w.size();
    bool ok = has_value;
    if (!has_value) {
      ok = false;
    } else if (k == "from") {
      ok = prefix(w[++i], s.from_, s.from_len_);
    } else if (k == "to") {
      ok = prefix(w[++i], s.to_, s.to_len_);
    } else if (k == "table" || k == "lookup") {
      const std::string& t = w[++i];
      if (t == "main") s.table_ = 254;
      else if (t == "local") s.table_ = 255;
      else if (t == "default") s.table_ = 253;
      else ok = number(t, s.table_);
    } else if (k == "priority" || k == "preference" || k == "pref") {
      std::uint32_t v = 0;
      ok = number(w[++i], v);
      s.priority_ = v;
    } else if (k == "iif") {
      s.iif_ = w[++i];
    } else if (k == "oif") {
      s.oif_ = w[++i];
    } else if (k == "fwmark") {
      std::string v = w[++i];
      std::uint32_t mark = 0, mask = 0;
      if (const auto slash = v.find('/'); slash != std::string::npos) {
        ok = number(v.substr(slash + 1), mask);
        s.fwmask_ = mask;
        v.resize(slash);
      }
      ok = ok && number(v, mark);
      s.fwmark_ = mark;
    } else if (k == "tos" || k == "dsfield") {
      std::uint32_t v = 0;
      ok = number(w[++i], v) && v < 256;
      s.tos_ = static_cast<std::uint8_t>(v);
    } else {
      c.error(r.position_, "virtual_rules: '" + k + "' is not supported by Tandem's VRRP yet");
      return std::nullopt;
    }
    if (!ok) {
      c.error(r.position_, "virtual_rules: cannot read '" + k + (has_value ? " " + w[i] : std::string()) + "'");
      return std::nullopt;
    }
  }
  (void)family_known;
  for (const std::string& x : w) s.text_ += (s.text_.empty() ? "" : " ") + x;
  return s;
}

}  // namespace

std::vector<std::string> split_script_words(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quote) {
      if (ch == quote) {
        quote = 0;
      } else {
        cur += ch;
      }
      continue;
    }
    if (ch == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else if (ch == '"' || ch == '\'') {
      quote = ch;
      in_word = true;
    } else if (ch == ' ' || ch == '\t') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

keepalived_result assemble_keepalived(const ka::config& model) {
  keepalived_result out;
  context c{out};
  auto& spec = out.spec_;
  const ka::global_defs& g = model.global_;
  spec.script_user_ = g.script_user_;
  spec.script_group_ = g.script_group_;
  spec.enable_script_security_ = g.enable_script_security_;
  spec.router_id_ = g.router_id_;
  spec.smtp_.router_id_ = g.router_id_;
  spec.smtp_.helo_ = g.smtp_helo_name_;
  spec.smtp_.from_ = g.notification_email_from_;
  for (const ka::located& e : g.notification_email_) spec.smtp_.to_.push_back(e.value_);
  spec.smtp_.timeout_ = seconds(g.smtp_connect_timeout_ > 0 ? g.smtp_connect_timeout_ : 30);
  if (!g.smtp_server_.empty()) {
    const std::string server = first_word(g.smtp_server_);
    if (const auto ip = ip_address::parse(server)) {
      spec.smtp_.server_ = *ip;
      spec.smtp_.server_given_ = true;
      spec.smtp_.port_ = static_cast<std::uint16_t>(g.smtp_server_port_.value_or(25));
    } else {
      c.error(g.position_, "smtp_server '" + g.smtp_server_ +
                               "': only an IP address is supported by Tandem (no name lookup)");
    }
  }

  // virtual_server: the LVS director runs what assemble_lvs builds; its problems are this
  // file's problems, at their lines.
  out.lvs_ = assemble_lvs(model);
  for (const lvs_problem& p : out.lvs_.problems_) {
    if (p.error_) c.error(p.position_, p.message_);
    else c.warning(p.position_, p.message_);
  }
  for (const ka::ip_address& a : model.static_ipaddresses_) {
    c.error(a.position_, "static_ipaddress is not supported by Tandem's VRRP yet");
  }
  for (const ka::route& r : model.static_routes_) {
    c.error(r.position_, "static_routes is not supported by Tandem's VRRP yet");
  }

  std::map<std::string, const ka::vrrp_script*> scripts;
  for (const ka::vrrp_script& s : model.vrrp_scripts_) {
    vrrp::io::script_spec ss;
    ss.name_ = s.name_;
    ss.text_ = s.script_;
    ss.argv_ = split_script_words(s.script_);
    if (ss.argv_.empty()) {
      c.error(s.position_, "vrrp_script " + s.name_ + " has no script");
      continue;
    }
    ss.interval_ = seconds(s.interval_);
    // keepalived: a timeout of 0 (the default) means the interval.
    ss.timeout_ = s.timeout_ && *s.timeout_ > 0 ? seconds(*s.timeout_) : ss.interval_;
    ss.rise_ = std::max(1, s.rise_);
    ss.fall_ = std::max(1, s.fall_);
    ss.init_fail_ = s.init_fail_;
    ss.user_ = s.user_;
    ss.group_ = s.group_;
    spec.scripts_.push_back(std::move(ss));
    scripts[s.name_] = &s;
  }
  std::map<std::string, const ka::vrrp_track_file*> files;
  for (const ka::vrrp_track_file& f : model.track_files_) {
    spec.files_.push_back({f.name_, f.file_, f.init_file_});
    files[f.name_] = &f;
  }
  std::map<std::string, const ka::vrrp_track_process*> processes;
  for (const ka::vrrp_track_process& p : model.track_processes_) {
    vrrp::io::track_process_spec ps;
    ps.name_ = p.name_;
    ps.process_ = p.process_;
    ps.parameters_ = p.parameters_;
    ps.param_match_initial_ = p.param_match_initial_;
    ps.full_command_ = p.full_command_;
    ps.quorum_ = p.quorum_;
    if (p.quorum_max_) ps.quorum_max_ = *p.quorum_max_;
    ps.delay_ = seconds(p.delay_);
    spec.processes_.push_back(std::move(ps));
    processes[p.name_] = &p;
  }

  std::set<std::pair<std::string, int>> vrids;
  for (const ka::vrrp_instance& in : model.vrrp_instances_) {
    vrrp::io::instance_spec is;
    vrrp::instance_config& cfg = is.config_;
    cfg.name_ = in.name_;
    is.interface_ = in.interface_.empty() ? g.default_interface_ : in.interface_;
    if (is.interface_.empty()) {
      c.error(in.position_, "(" + in.name_ + ") no interface given and no default_interface");
      continue;
    }
    if (!in.virtual_router_id_) {
      c.error(in.position_, "(" + in.name_ + ") virtual_router_id is required");
      continue;
    }
    cfg.vrid_ = static_cast<std::uint8_t>(*in.virtual_router_id_);
    cfg.version_ = static_cast<std::uint8_t>(in.version_);
    cfg.priority_ = static_cast<std::uint8_t>(std::clamp(in.priority_, 1, 255));
    cfg.initial_master_ = in.state_ == ka::vrrp_state::master && !ka::ah_clears_master(in);
    if (!in.track_bfds_.empty()) {
      c.error(in.track_bfds_.front().position_, "(" + in.name_ + ") track_bfd is not supported by Tandem's VRRP yet");
    }
    // The advert interval as keepalived keeps it: v2 whole seconds (at least 1), v3
    // centiseconds.
    if (cfg.version_ == 2) {
      double secs = std::round(in.advert_int_);
      if (secs < 1) {
        c.warning(in.advert_position_, "(" + in.name_ + ") VRRPv2 advert_int " +
                                           std::to_string(in.advert_int_) + " rounded to 1 second");
        secs = 1;
      }
      cfg.advert_interval_ = seconds(secs);
    } else {
      const double cs = std::max(1.0, std::round(in.advert_int_ * 100));
      cfg.advert_interval_ = duration(static_cast<duration::rep>(cs) * 10000);
    }
    cfg.nopreempt_ = in.nopreempt_;
    cfg.preempt_delay_ = seconds(in.preempt_delay_);
    cfg.track_interface_ = !in.dont_track_primary_;
    cfg.garp_.master_delay_ =
        seconds(in.garp_master_delay_.value_or(g.vrrp_garp_master_delay_.value_or(5)));
    cfg.garp_.master_repeat_ =
        static_cast<unsigned>(in.garp_master_repeat_.value_or(g.vrrp_garp_master_repeat_.value_or(5)));
    cfg.garp_.master_refresh_ =
        seconds(in.garp_master_refresh_.value_or(g.vrrp_garp_master_refresh_.value_or(0)));
    cfg.garp_.master_refresh_repeat_ = static_cast<unsigned>(
        in.garp_master_refresh_repeat_.value_or(g.vrrp_garp_master_refresh_repeat_.value_or(1)));

    // use_vmac [NAME]: keepalived's default name is vrrp.VRID (vrrp6.VRID for IPv6, decided
    // below once the family is known).
    const bool vmac = in.use_vmac_;
    const std::string vmac_placeholder = "\x01vmac";
    const std::string& vip_dev = vmac ? vmac_placeholder : is.interface_;
    // Addresses: the instance's family is its first VIP's (or unicast_src_ip's).
    for (const ka::ip_address& a : in.virtual_ipaddresses_) {
      if (auto s = address_for(c, a, vip_dev)) is.vips_.push_back(std::move(*s));
    }
    for (const ka::ip_address& a : in.virtual_ipaddresses_excluded_) {
      if (auto s = address_for(c, a, vip_dev)) is.excluded_.push_back(std::move(*s));
    }
    for (const ka::route& r : in.virtual_routes_) {
      if (auto s = route_for(c, r, is.interface_)) is.routes_.push_back(std::move(*s));
    }
    for (const ka::rule& r : in.virtual_rules_) {
      if (auto s = rule_for(c, r)) is.rules_.push_back(std::move(*s));
    }
    const std::string src = !in.unicast_src_ip_.empty() ? in.unicast_src_ip_ : in.mcast_src_ip_;
    if (!src.empty()) {
      is.source_ = ip_address::parse(first_word(src));
      if (!is.source_) c.error(in.position_, "(" + in.name_ + ") cannot read the source address '" + src + "'");
    }
    if (is.source_) {
      cfg.family_ = is.source_->family();
    } else if (!is.vips_.empty()) {
      cfg.family_ = is.vips_.front().address_.family();
    }
    if (vmac) {
      is.vmac_ = !in.vmac_name_.empty() ? in.vmac_name_
                 : (cfg.family_ == address_family::ipv4 ? "vrrp." : "vrrp6.") + std::to_string(cfg.vrid_);
      for (auto* list : {&is.vips_, &is.excluded_}) {
        for (auto& v : *list) {
          if (v.device_ != vmac_placeholder) continue;
          v.device_ = is.vmac_;
          const auto dev = v.text_.find(" dev " + vmac_placeholder);
          if (dev != std::string::npos) v.text_.replace(dev + 5, vmac_placeholder.size(), is.vmac_);
        }
      }
    }
    for (const auto& v : is.vips_) {
      if (v.address_.family() == cfg.family_) {
        cfg.vips_.push_back(v.address_);
      }
    }
    if (cfg.vips_.size() != is.vips_.size()) {
      c.warning(in.position_, "(" + in.name_ + ") VIPs of the other address family are set but "
                                             "not advertised, as virtual_ipaddress_excluded");
    }
    if (cfg.family_ == address_family::ipv6 && cfg.version_ == 2) {
      // keepalived runs v2 over IPv6 in its own non-standard layout; so do we (see codec).
    }
    if (in.authentication_ && in.authentication_->type_ != ka::authentication::kind::none) {
      if (cfg.version_ == 3 || cfg.family_ == address_family::ipv6) {
        c.warning(in.authentication_->position_,
                  "(" + in.name_ + ") authentication is not used with VRRPv3 or IPv6 (keepalived drops it too)");
      } else if (in.authentication_->type_ == ka::authentication::kind::pass) {
        cfg.auth_ = vrrp::auth_type::pass;
        cfg.auth_data_ = vrrp::auth_data_from_password(in.authentication_->password_);
      } else {
        cfg.auth_ = vrrp::auth_type::ah;
        cfg.auth_data_ = vrrp::auth_data_from_password(in.authentication_->password_);
      }
    }
    if (!vrids.insert({is.interface_ + (cfg.family_ == address_family::ipv4 ? "/4" : "/6"), cfg.vrid_}).second) {
      c.error(in.vrid_position_, "(" + in.name_ + ") virtual_router_id " + std::to_string(cfg.vrid_) +
                                     " is used twice on " + is.interface_);
    }

    // Transport.
    if (cfg.family_ == address_family::ipv4) {
      is.transport_.multicast_group_ =
          *ip_address::parse(g.vrrp_mcast_group4_.empty() ? "224.0.0.18" : g.vrrp_mcast_group4_);
    } else {
      is.transport_.multicast_group_ =
          *ip_address::parse(g.vrrp_mcast_group6_.empty() ? "ff02::12" : g.vrrp_mcast_group6_);
    }
    for (const ka::located& p : in.unicast_peers_) {
      const auto peer = ip_address::parse(first_word(p.value_));
      if (!peer) {
        c.error(p.position_, "(" + in.name_ + ") cannot read the unicast peer '" + p.value_ + "'");
        continue;
      }
      is.transport_.unicast_peers_.push_back(*peer);
    }
    is.transport_.check_unicast_src_ = g.vrrp_check_unicast_src_;

    // Trackers: an entry's own weight wins over the tracked object's.
    auto add_tracker = [&](vrrp::io::tracker_kind kind, const std::string& name, int weight,
                           bool reverse, vrrp::tracker_status initial) {
      cfg.trackers_.push_back({name, weight, reverse, initial});
      is.trackers_.push_back({kind, name});
    };
    for (const ka::tracked& t : in.track_scripts_) {
      const auto it = scripts.find(t.name_);
      if (it == scripts.end()) {
        c.warning(t.position_, "(" + in.name_ + ") track_script " + t.name_ + " not found, ignoring...");
        continue;
      }
      add_tracker(vrrp::io::tracker_kind::script, t.name_, t.weight_.value_or(it->second->weight_),
                  t.weight_ ? t.reverse_ : it->second->weight_reverse_,
                  it->second->init_fail_ ? vrrp::tracker_status::failing : vrrp::tracker_status::unknown);
    }
    for (const ka::tracked& t : in.track_interfaces_) {
      add_tracker(vrrp::io::tracker_kind::interface, t.name_, t.weight_.value_or(0), t.reverse_,
                  vrrp::tracker_status::ok);
    }
    for (const ka::tracked& t : in.track_files_) {
      const auto it = files.find(t.name_);
      if (it == files.end()) {
        c.warning(t.position_, "(" + in.name_ + ") track_file " + t.name_ + " not found, ignoring...");
        continue;
      }
      const int weight = t.weight_.value_or(it->second->weight_);
      const bool reverse = t.weight_ ? t.reverse_ : it->second->weight_reverse_;
      // weight 0: a non-zero number in the file means FAULT; otherwise the number times the
      // weight moves the priority (below -253: FAULT).
      add_tracker(vrrp::io::tracker_kind::file, t.name_, weight, reverse, vrrp::tracker_status::unknown);
      cfg.trackers_.back().valued_ = weight != 0;
    }
    for (const ka::tracked& t : in.track_processes_) {
      const auto it = processes.find(t.name_);
      if (it == processes.end()) {
        c.warning(t.position_, "(" + in.name_ + ") track_process " + t.name_ + " not found, ignoring...");
        continue;
      }
      add_tracker(vrrp::io::tracker_kind::process, t.name_, t.weight_.value_or(it->second->weight_),
                  t.weight_ ? t.reverse_ : it->second->weight_reverse_, vrrp::tracker_status::unknown);
    }
    is.smtp_alert_ = in.smtp_alert_.value_or(g.smtp_alert_);
    is.notify_ = {in.notify_master_, in.notify_backup_, in.notify_fault_, in.notify_stop_, in.notify_};
    spec.instances_.push_back(std::move(is));
  }

  for (const ka::vrrp_sync_group& sg : model.sync_groups_) {
    vrrp::io::sync_group_spec gs;
    gs.name_ = sg.name_;
    for (const ka::located& m : sg.instances_) {
      auto it = std::find_if(spec.instances_.begin(), spec.instances_.end(),
                             [&](const vrrp::io::instance_spec& s) { return s.config_.name_ == m.value_; });
      if (it == spec.instances_.end()) {
        c.warning(m.position_, "vrrp_sync_group " + sg.name_ + ": no instance " + m.value_);
        continue;
      }
      if (!it->sync_group_.empty()) {
        c.error(m.position_, "instance " + m.value_ + " is already in vrrp_sync_group " + it->sync_group_);
        continue;
      }
      it->sync_group_ = sg.name_;
      gs.members_.push_back(m.value_);
    }
    // A group's trackers watch every member, unweighted (a group's member trackers lose their
    // weights anyway without sync_group_tracking_weight): one failing puts its member, and so
    // the group, in FAULT.
    auto group_tracker = [&](vrrp::io::tracker_kind kind, const ka::tracked& t, bool known,
                             vrrp::tracker_status initial) {
      if (!known) {
        c.warning(t.position_, "vrrp_sync_group " + sg.name_ + ": " + t.name_ + " not found, ignoring...");
        return;
      }
      for (const std::string& member : gs.members_) {
        for (vrrp::io::instance_spec& is : spec.instances_) {
          if (is.config_.name_ != member) continue;
          is.config_.trackers_.push_back({t.name_, 0, t.reverse_, initial});
          is.trackers_.push_back({kind, t.name_});
        }
      }
    };
    for (const ka::tracked& t : sg.track_scripts_) {
      const auto it = scripts.find(t.name_);
      group_tracker(vrrp::io::tracker_kind::script, t, it != scripts.end(),
                    it != scripts.end() && it->second->init_fail_ ? vrrp::tracker_status::failing
                                                                  : vrrp::tracker_status::unknown);
    }
    for (const ka::tracked& t : sg.track_interfaces_) {
      group_tracker(vrrp::io::tracker_kind::interface, t, true, vrrp::tracker_status::ok);
    }
    for (const ka::tracked& t : sg.track_files_) {
      group_tracker(vrrp::io::tracker_kind::file, t, files.count(t.name_) != 0, vrrp::tracker_status::unknown);
    }
    for (const ka::tracked& t : sg.track_processes_) {
      group_tracker(vrrp::io::tracker_kind::process, t, processes.count(t.name_) != 0,
                    vrrp::tracker_status::unknown);
    }
    gs.smtp_alert_ = sg.smtp_alert_.value_or(g.smtp_alert_);
    gs.notify_ = {sg.notify_master_, sg.notify_backup_, sg.notify_fault_, sg.notify_stop_, sg.notify_};
    spec.groups_.push_back(std::move(gs));
  }
  return out;
}

}  // namespace tandem::runtime::assemble
