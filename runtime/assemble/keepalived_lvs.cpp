// keepalived's virtual_server blocks to the LVS runtime (see keepalived_lvs.hpp). Defaults are
// keepalived 2.2.7's (keepalived.conf(5) and check/*.c): connect_timeout 5 s; retry 1 (DNS 3,
// MISC 0); delay_before_retry 1 s (HTTP/SSL 3 s, DNS delay_loop); warmup = delay_loop.
#include "runtime/assemble/keepalived_lvs.hpp"

#include "runtime/checks/regex.hpp"
#include "runtime/lvs/checkers/logic.hpp"

namespace tandem::runtime::assemble {

namespace model = parsers::keepalived;
namespace ck = lvs::checkers;
using boost::asio::ip::address;

namespace {

struct collector {
  lvs_result& out_;
  void error(const parsers::source_position& at, std::string m) {
    out_.problems_.push_back({at, std::move(m), true});
  }
  void warning(const parsers::source_position& at, std::string m) {
    out_.problems_.push_back({at, std::move(m), false});
  }
};

std::optional<address> parse_address(const std::string& text) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return a;
}

ck::duration ms(double seconds) {
  return ck::duration(static_cast<long long>(seconds * 1000.0 + 0.5));
}

template <class T>
std::optional<T> first_of(std::optional<T> a, std::optional<T> b, std::optional<T> c) {
  return a ? a : b ? b : c;
}

ck::checker_kind kind_of(model::checker_kind k) {
  switch (k) {
    case model::checker_kind::tcp: return ck::checker_kind::tcp;
    case model::checker_kind::http_get: return ck::checker_kind::http;
    case model::checker_kind::ssl_get: return ck::checker_kind::ssl;
    case model::checker_kind::misc: return ck::checker_kind::misc;
    case model::checker_kind::smtp: return ck::checker_kind::smtp;
    case model::checker_kind::dns: return ck::checker_kind::dns;
    case model::checker_kind::udp: return ck::checker_kind::udp;
    case model::checker_kind::ping: return ck::checker_kind::ping;
    case model::checker_kind::file: return ck::checker_kind::file;
    case model::checker_kind::bfd: break;
  }
  return ck::checker_kind::tcp;
}

// "IP[-LAST] PORT" or "fwmark N".
std::optional<lvs_group_entry> parse_group_entry(const std::string& text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  lvs_group_entry e;
  if (words.size() == 2 && words[0] == "fwmark") {
    try {
      e.fwmark_ = static_cast<std::uint32_t>(std::stoul(words[1]));
    } catch (...) {
      return std::nullopt;
    }
    return e;
  }
  if (words.empty() || words.size() > 2) return std::nullopt;
  const std::string& range = words[0];
  const auto dash = range.find('-');
  auto first = parse_address(range.substr(0, dash));
  if (!first) return std::nullopt;
  e.first_ = e.last_ = *first;
  if (dash != std::string::npos) {
    // keepalived's range: the last byte (IPv4) or last group (IPv6) of the first address.
    unsigned long last = 0;
    try {
      last = std::stoul(range.substr(dash + 1), nullptr, first->is_v6() ? 16 : 10);
    } catch (...) {
      return std::nullopt;
    }
    if (first->is_v4()) {
      if (last > 255) return std::nullopt;
      auto b = first->to_v4().to_bytes();
      if (last < b[3]) return std::nullopt;
      b[3] = static_cast<unsigned char>(last);
      e.last_ = boost::asio::ip::address_v4(b);
    } else {
      if (last > 0xffff) return std::nullopt;
      auto b = first->to_v6().to_bytes();
      b[14] = static_cast<unsigned char>(last >> 8);
      b[15] = static_cast<unsigned char>(last);
      e.last_ = boost::asio::ip::address_v6(b);
    }
  }
  if (words.size() == 2) {
    try {
      const unsigned long p = std::stoul(words[1]);
      if (p > 65535) return std::nullopt;
      e.port_ = static_cast<std::uint16_t>(p);
    } catch (...) {
      return std::nullopt;
    }
  }
  return e;
}

std::optional<ck::checker_spec> make_checker(collector& c, const model::config& cfg,
                                             const model::virtual_server& vs,
                                             const model::real_server& rs,
                                             const model::checker& m, const address& rs_addr,
                                             std::uint16_t rs_port) {
  if (m.kind_ == model::checker_kind::bfd) {
    c.error(m.position_, "BFD_CHECK is not supported by Tandem's LVS runtime (no BFD yet)");
    return std::nullopt;
  }
  ck::checker_spec s;
  s.kind_ = kind_of(m.kind_);
  s.udp_service_ = vs.protocol_ == "UDP" ||
                   (!vs.protocol_given_ && vs.kind_ != model::virtual_server::kind::fwmark);
  s.address_ = rs_addr;
  if (!m.connect_ip_.empty()) {
    if (auto a = parse_address(m.connect_ip_)) s.address_ = *a;
  }
  std::uint16_t default_port = rs_port;
  if (!default_port && s.kind_ == ck::checker_kind::smtp) default_port = 25;
  if (!default_port && s.kind_ == ck::checker_kind::dns) default_port = 53;
  s.port_ = m.connect_port_ ? static_cast<std::uint16_t>(*m.connect_port_) : default_port;
  if (!m.bindto_.empty()) s.bind_address_ = parse_address(m.bindto_);
  if (m.bind_port_) s.bind_port_ = static_cast<std::uint16_t>(*m.bind_port_);
  if (!m.bind_if_.empty())
    c.warning(m.position_, "bind_if is not applied by Tandem's checkers: the route decides");

  const double delay_loop = m.delay_loop_ ? *m.delay_loop_ : rs.delay_loop_ ? *rs.delay_loop_
                                                                            : vs.delay_loop_;
  s.delay_loop_ = ms(delay_loop);
  s.connect_timeout_ = ms(first_of(m.connect_timeout_, rs.connect_timeout_, vs.connect_timeout_)
                              .value_or(5.0));
  const unsigned default_retry = s.kind_ == ck::checker_kind::dns    ? 3
                                 : s.kind_ == ck::checker_kind::misc ? 0
                                                                     : 1;
  s.retry_ = first_of(m.retry_, rs.retry_, vs.retry_).value_or(default_retry);
  const double default_dbr = (s.kind_ == ck::checker_kind::http || s.kind_ == ck::checker_kind::ssl)
                                 ? 3.0
                             : s.kind_ == ck::checker_kind::dns ? delay_loop
                                                                : 1.0;
  s.delay_before_retry_ =
      ms(first_of(m.delay_before_retry_, rs.delay_before_retry_, vs.delay_before_retry_)
             .value_or(default_dbr));
  s.warmup_ = ms(first_of(m.warmup_, rs.warmup_, vs.warmup_).value_or(delay_loop));
  s.alpha_ = m.alpha_ ? *m.alpha_ : rs.alpha_ ? *rs.alpha_ : vs.alpha_;
  s.log_all_failures_ = m.log_all_failures_;

  switch (s.kind_) {
    case ck::checker_kind::http:
    case ck::checker_kind::ssl: {
      s.virtualhost_ = vs.virtualhost_;
      s.http_1_1_ = m.http_protocol_ == "1.1";
      s.connection_close_ = m.http_protocol_ == "1.0C" || m.http_protocol_ == "1.0c";
      s.enable_sni_ = m.enable_sni_;
      if (m.urls_.empty())
        c.warning(m.position_, "this checker has no url: keepalived checks nothing and keeps the "
                               "real server up");
      for (const auto& u : m.urls_) {
        if (u.path_.empty()) {
          c.warning(u.position_, "url without a path is ignored, as keepalived does");
          continue;
        }
        ck::url_spec us;
        us.path_ = u.path_;
        us.virtualhost_ = u.virtualhost_;
        us.regex_ = u.regex_;
        us.regex_no_match_ = u.regex_no_match_;
        if (!u.digest_.empty()) us.digest_ = ck::parse_digest(u.digest_);
        if (auto r = ck::parse_status_codes(u.status_codes_)) us.status_ranges_ = *r;
        else c.error(u.position_, "status_code: not a code or range of codes");
        if (!u.regex_.empty()) {
          std::string error;
          if (!checks::regex::compile(u.regex_, error))
            c.error(u.position_, "regex '" + u.regex_ + "': " + error);
        }
        s.urls_.push_back(std::move(us));
      }
      break;
    }
    case ck::checker_kind::misc:
      s.misc_path_ = m.misc_path_;
      if (s.misc_path_.empty()) c.error(m.position_, "MISC_CHECK without misc_path");
      if (m.misc_timeout_) s.misc_timeout_ = ms(*m.misc_timeout_);
      s.misc_dynamic_ = m.misc_dynamic_;
      break;
    case ck::checker_kind::smtp:
      s.helo_name_ = !m.helo_name_.empty() ? m.helo_name_ : cfg.global_.smtp_helo_name_;
      break;
    case ck::checker_kind::dns:
      if (!m.dns_type_.empty()) {
        if (auto t = ck::dns_type_code(m.dns_type_)) s.dns_type_ = *t;
        else c.error(m.position_, "DNS_CHECK type '" + m.dns_type_ +
                                      "': keepalived knows A NS CNAME SOA MX TXT AAAA RRSIG DNSKEY");
      }
      if (!m.dns_name_.empty()) s.dns_name_ = m.dns_name_;
      break;
    case ck::checker_kind::udp:
      if (!m.payload_.empty()) s.payload_ = ck::parse_hex_payload(m.payload_);
      s.require_reply_ = m.require_reply_;
      s.require_reply_hex_ = m.require_reply_hex_;
      break;
    case ck::checker_kind::ping:
      c.warning(m.position_, "PING_CHECK sends ICMP echo through a raw socket: it needs root "
                             "(or CAP_NET_RAW)");
      break;
    case ck::checker_kind::file: {
      const model::vrrp_track_file* tf = nullptr;
      for (const auto& f : cfg.track_files_)
        if (f.name_ == m.track_file_) tf = &f;
      if (!tf) {
        c.error(m.position_, "FILE_CHECK: no track_file named '" + m.track_file_ + "'");
        return std::nullopt;
      }
      s.file_path_ = tf->file_;
      s.file_weight_ = tf->weight_;
      s.file_reverse_ = tf->weight_reverse_;
      break;
    }
    case ck::checker_kind::tcp: break;
  }
  return s;
}

lvs::real_server_config make_real_server(collector& c, const model::real_server& rs,
                                         std::uint16_t vs_port, bool& ok) {
  lvs::real_server_config r;
  ok = true;
  auto a = parse_address(rs.address_);
  if (!a) {
    c.error(rs.position_, "real_server '" + rs.address_ + "': not an IP address");
    ok = false;
    return r;
  }
  r.address_ = *a;
  r.port_ = rs.port_ ? static_cast<std::uint16_t>(*rs.port_) : vs_port;
  r.weight_ = rs.weight_;
  r.inhibit_on_failure_ = rs.inhibit_on_failure_;
  r.notify_up_ = rs.notify_up_;
  r.notify_down_ = rs.notify_down_;
  if (rs.uthreshold_) r.u_threshold_ = *rs.uthreshold_;
  if (rs.lthreshold_) r.l_threshold_ = *rs.lthreshold_;
  return r;
}

}  // namespace

lvs_result assemble_lvs(const model::config& cfg) {
  lvs_result out;
  collector c{out};
  for (const auto& vs : cfg.virtual_servers_) {
    lvs_service_binding b;
    b.position_ = vs.position_;
    auto& sc = b.service_;
    switch (vs.kind_) {
      case model::virtual_server::kind::address: {
        auto a = parse_address(vs.address_);
        if (!a) {
          c.error(vs.position_, "virtual_server '" + vs.address_ + "': not an IP address");
          continue;
        }
        sc.address_ = *a;
        sc.port_ = vs.port_ ? static_cast<std::uint16_t>(*vs.port_) : 0;
        break;
      }
      case model::virtual_server::kind::fwmark: sc.fwmark_ = vs.fwmark_; break;
      case model::virtual_server::kind::group: {
        sc.group_ = vs.group_;
        sc.port_ = vs.port_ ? static_cast<std::uint16_t>(*vs.port_) : 0;
        const model::virtual_server_group* g = nullptr;
        for (const auto& grp : cfg.virtual_server_groups_)
          if (grp.name_ == vs.group_) g = &grp;
        if (!g) {
          c.error(vs.position_, "virtual_server group '" + vs.group_ + "' is not defined");
          continue;
        }
        for (const auto& e : g->entries_) {
          if (auto ge = parse_group_entry(e.value_)) b.group_entries_.push_back(*ge);
          else c.error(e.position_, "virtual_server_group entry '" + e.value_ +
                                        "': expected 'IP[-LAST] PORT' or 'fwmark N'");
        }
        break;
      }
    }
    if (!vs.protocol_given_ && vs.kind_ != model::virtual_server::kind::fwmark) {
      // Measured: keepalived 2.2.7 logs "no protocol set - defaulting to UDP" and runs the
      // service as UDP (`keepalived -t` exits 5). Tandem does the same, and says so.
      c.warning(vs.position_, "no protocol set: keepalived 2.2.7 defaults to UDP, and so does "
                              "Tandem; write 'protocol TCP' for a TCP service");
      sc.protocol_ = lvs::protocol::udp;
    } else if (vs.protocol_ == "UDP") {
      sc.protocol_ = lvs::protocol::udp;
    } else if (vs.protocol_ == "SCTP") {
      c.error(vs.position_, "protocol SCTP: Tandem's LVS data paths carry TCP and UDP only");
      continue;
    }
    sc.scheduler_ = vs.lvs_sched_.empty() ? "wlc" : vs.lvs_sched_;
    if (!lvs::make_scheduler(sc.scheduler_)) {
      c.error(vs.sched_position_.line_ ? vs.sched_position_ : vs.position_,
              "scheduler '" + vs.lvs_sched_ + "' is not one of IPVS's: rr wrr lc wlc sed nq "
              "lblc lblcr dh sh mh fo ovf twos");
      continue;
    }
    const bool port_flag = vs.sh_port_ || vs.mh_port_, fallback_flag = vs.sh_fallback_ || vs.mh_fallback_;
    sc.flags_ = {port_flag, fallback_flag, port_flag, fallback_flag};
    if ((port_flag || fallback_flag) && sc.scheduler_ != "sh" && sc.scheduler_ != "mh")
      c.warning(vs.sched_position_.line_ ? vs.sched_position_ : vs.position_,
                "sh-port/sh-fallback/mh-port/mh-fallback only change the sh and mh schedulers");
    if (vs.persistence_timeout_) {
      sc.persistence_timeout_ = std::chrono::seconds(*vs.persistence_timeout_);
      if (!vs.persistence_granularity_.empty()) {
        const bool v6 = !sc.fwmark_ && sc.group_.empty() && sc.address_.is_v6();
        auto g = lvs::parse_granularity(vs.persistence_granularity_, v6);
        if (!g) {
          c.error(vs.persistence_position_.line_ ? vs.persistence_position_ : vs.position_,
                  "persistence_granularity '" + vs.persistence_granularity_ +
                      "' is not a netmask");
        } else if (v6) {
          sc.granularity_v6_ = *g;
        } else {
          sc.granularity_v4_ = *g;
        }
      }
    }
    sc.quorum_ = vs.quorum_;
    sc.hysteresis_ = vs.hysteresis_;
    sc.quorum_up_ = vs.quorum_up_;
    sc.quorum_down_ = vs.quorum_down_;
    sc.omega_ = vs.omega_;
    sc.sorry_server_inhibit_ = vs.sorry_server_inhibit_;
    b.lvs_method_ = vs.lvs_method_;
    b.ha_suspend_ = vs.ha_suspend_;
    b.ops_ = vs.ops_;
    if (vs.ops_ && sc.protocol_ != lvs::protocol::udp)
      c.warning(vs.position_, "ops (one-packet scheduling) only applies to UDP services");
    if (vs.sorry_server_) {
      bool ok = true;
      auto r = make_real_server(c, *vs.sorry_server_, sc.port_, ok);
      if (ok) sc.sorry_server_ = r;
    }
    bool all_ok = true;
    for (const auto& rs : vs.real_servers_) {
      bool ok = true;
      auto r = make_real_server(c, rs, sc.port_, ok);
      if (!ok) {
        all_ok = false;
        continue;
      }
      const std::size_t index = sc.real_servers_.size();
      for (const auto& m : rs.checkers_) {
        auto spec = make_checker(c, cfg, vs, rs, m, r.address_, r.port_);
        if (!spec) continue;
        r.checkers_start_down_.push_back(spec->alpha_);
        b.checkers_.push_back({index, r.checkers_start_down_.size() - 1, std::move(*spec),
                               m.position_});
      }
      sc.real_servers_.push_back(std::move(r));
      b.real_server_methods_.push_back(rs.lvs_method_);
    }
    if (!all_ok) continue;
    out.services_.push_back(std::move(b));
  }
  return out;
}

}  // namespace tandem::runtime::assemble
