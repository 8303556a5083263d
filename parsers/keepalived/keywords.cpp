// The keepalived keyword table (see keywords.hpp) and its handlers. Handlers check their
// arguments the way keepalived 2.2.7's do (strict decimal numbers, the same ranges, addresses
// that inet_pton accepts) and lower them into the model; a bad value is a diagnostic on its
// word, and the model keeps keepalived's default, as keepalived does.
#include "parsers/keepalived/keywords.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <type_traits>

#include "parsers/keepalived/codes.hpp"

namespace tandem::parsers::keepalived {

namespace {

using c = context;

// ---- value helpers -------------------------------------------------------------------------

std::string arg(const node& n, std::size_t i) {
  return i < n.words_.size() ? std::string(n.words_[i].value_) : std::string();
}

source_position where(const node& n, std::size_t i) {
  return i < n.words_.size() ? n.words_[i].position_ : n.position_;
}

// A word still holding an undefined ${NAME}: the reader has reported it already.
bool unresolved(const node& n, std::size_t i) {
  return i < n.words_.size() && n.words_[i].value_.find("${") != std::string::npos;
}

std::optional<long> number(const node& n, std::size_t i, long min, long max, diagnostics& d) {
  if (i >= n.words_.size()) {
    return std::nullopt;
  }
  const std::string_view v = n.words_[i].value_;
  long value = 0;
  const char* first = v.data();
  const char* last = v.data() + v.size();
  if (first != last && *first == '+') {
    ++first;
  }
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (v.empty() || ec == std::errc::invalid_argument || ptr != last) {
    if (!unresolved(n, i)) {
      d.add(severity::error, codes::invalid_number, where(n, i),
            "invalid number '" + std::string(v) + "' for '" + std::string(n.keyword()) + "'",
            "expected a whole number between " + std::to_string(min) + " and " +
                std::to_string(max));
    }
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    d.add(severity::error, codes::out_of_range, where(n, i),
          "number '" + std::string(v) + "' for '" + std::string(n.keyword()) + "' outside range [" +
              std::to_string(min) + ", " + std::to_string(max) + "]");
    return std::nullopt;
  }
  return value;
}

// keepalived's read_decimal_unsigned_strvec: up to 6 decimals.
std::optional<double> decimal(const node& n, std::size_t i, double min, double max,
                              diagnostics& d) {
  if (i >= n.words_.size()) {
    return std::nullopt;
  }
  const std::string_view v = n.words_[i].value_;
  std::size_t p = 0;
  while (p < v.size() && std::isdigit(static_cast<unsigned char>(v[p])) != 0) {
    ++p;
  }
  std::size_t digits = p;
  if (p < v.size() && v[p] == '.') {
    ++p;
    while (p < v.size() && std::isdigit(static_cast<unsigned char>(v[p])) != 0) {
      ++p;
      ++digits;
    }
  }
  if (v.empty() || digits == 0 || p != v.size()) {
    if (!unresolved(n, i)) {
      d.add(severity::error, codes::invalid_number, where(n, i),
            "invalid number '" + std::string(v) + "' for '" + std::string(n.keyword()) + "'",
            "expected a number of seconds, e.g. 1 or 0.5");
    }
    return std::nullopt;
  }
  double value = 0;
  std::from_chars(v.data(), v.data() + v.size(), value);
  if (value < min || value > max) {
    auto show = [](double x) {
      std::string s = std::to_string(x);
      while (s.size() > 1 && s.back() == '0') s.pop_back();
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    };
    d.add(severity::error, codes::out_of_range, where(n, i),
          "number '" + std::string(v) + "' for '" + std::string(n.keyword()) + "' outside range [" +
              show(min) + ", " + show(max) + "]");
    return std::nullopt;
  }
  return value;
}

// keepalived's boolean arguments: none means true; true/on/yes, false/off/no.
std::optional<bool> boolean(const node& n, std::size_t i, diagnostics& d) {
  if (i >= n.words_.size()) {
    return true;
  }
  std::string v(n.words_[i].value_);
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (v == "true" || v == "on" || v == "yes") return true;
  if (v == "false" || v == "off" || v == "no") return false;
  d.add(severity::error, codes::invalid_value, where(n, i),
        "invalid value '" + std::string(n.words_[i].value_) + "' for '" + std::string(n.keyword()) + "'",
        "expected true/on/yes or false/off/no (or nothing, meaning true)");
  return std::nullopt;
}

// IPv4 or IPv6 address, optionally with "/PREFIX"; 0 when invalid.
int address_family(std::string_view text, unsigned* prefix = nullptr, bool* has_prefix = nullptr,
                   bool allow_prefix = true) {
  std::string addr(text);
  std::string len;
  if (const auto slash = addr.find('/'); slash != std::string::npos) {
    if (!allow_prefix) return 0;
    len = addr.substr(slash + 1);
    addr.resize(slash);
  }
  unsigned char buf[16];
  int family = 0;
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
    family = 4;
  } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
    family = 6;
  } else {
    return 0;
  }
  const unsigned max = family == 4 ? 32 : 128;
  if (has_prefix) *has_prefix = false;
  if (prefix) *prefix = max;
  if (text.find('/') != std::string_view::npos) {
    unsigned v = 0;
    const auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), v);
    if (len.empty() || ec != std::errc() || ptr != len.data() + len.size() || v > max) {
      return 0;
    }
    if (prefix) *prefix = v;
    if (has_prefix) *has_prefix = true;
  }
  return family;
}

bool check_address(const node& n, std::size_t i, diagnostics& d, bool allow_prefix = false) {
  if (i >= n.words_.size()) return false;
  if (address_family(n.words_[i].value_, nullptr, nullptr, allow_prefix) != 0) return true;
  if (!unresolved(n, i)) {
    d.add(severity::error, codes::invalid_address, where(n, i),
          "invalid IP address '" + std::string(n.words_[i].value_) + "' for '" + std::string(n.keyword()) +
              "'",
          allow_prefix ? "expected an IPv4 or IPv6 address, optionally with /PREFIX"
                       : "expected an IPv4 or IPv6 address");
  }
  return false;
}

std::string rest_of_line(const node& n, std::size_t from) {
  std::string s;
  for (std::size_t i = from; i < n.words_.size(); ++i) {
    if (!s.empty()) s += ' ';
    s += n.words_[i].value_;
  }
  return s;
}

// ---- generic handlers ----------------------------------------------------------------------

void accept(const node&, builder&, diagnostics&) {}


// ---- global_defs ---------------------------------------------------------------------------

void h_global_defs(const node& n, builder& b, diagnostics&) { b.model_.global_.position_ = n.position_; }
void h_router_id(const node& n, builder& b, diagnostics&) { b.model_.global_.router_id_ = arg(n, 1); }
void h_notification_email(const node& n, builder& b, diagnostics&) {
  b.names_ = &b.model_.global_.notification_email_;
  for (std::size_t i = 1; i < n.words_.size(); ++i) {
    b.names_->push_back({std::string(n.words_[i].value_), n.words_[i].position_});
  }
}
void h_email_from(const node& n, builder& b, diagnostics&) {
  b.model_.global_.notification_email_from_ = arg(n, 1);
}
void h_smtp_server(const node& n, builder& b, diagnostics& d) {
  b.model_.global_.smtp_server_ = arg(n, 1);
  const std::string host = arg(n, 1);
  const bool name_chars = !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char ch) {
    return std::isalnum(ch) != 0 || ch == '.' || ch == '-' || ch == '_';
  });
  if (!name_chars && address_family(host, nullptr, nullptr, false) == 0 && !unresolved(n, 1)) {
    d.add(severity::error, codes::invalid_address, where(n, 1),
          "invalid smtp_server '" + host + "': neither an IP address nor a host name",
          "write 'smtp_server IP [PORT]' or 'smtp_server HOSTNAME [PORT]'");
  }
  if (n.words_.size() > 2) {
    if (auto p = number(n, 2, 1, 65535, d)) b.model_.global_.smtp_server_port_ = *p;
  }
}
void h_smtp_connect_timeout(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0.000001, 4294.967295, d)) b.model_.global_.smtp_connect_timeout_ = *v;
}
void h_smtp_helo_name(const node& n, builder& b, diagnostics&) { b.model_.global_.smtp_helo_name_ = arg(n, 1); }
void h_script_user(const node& n, builder& b, diagnostics&) {
  b.model_.global_.script_user_ = arg(n, 1);
  b.model_.global_.script_group_ = arg(n, 2);
}
void h_script_security(const node& n, builder& b, diagnostics&) {
  b.model_.global_.enable_script_security_ = true;
  b.model_.global_.script_security_position_ = n.position_;
}
void h_vrrp_version(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 2, 3, d)) b.model_.global_.vrrp_version_ = static_cast<int>(*v);
}
void h_vrrp_strict(const node&, builder& b, diagnostics&) { b.model_.global_.vrrp_strict_ = true; }
void h_mcast4(const node& n, builder& b, diagnostics& d) {
  if (check_address(n, 1, d)) b.model_.global_.vrrp_mcast_group4_ = arg(n, 1);
}
void h_mcast6(const node& n, builder& b, diagnostics& d) {
  if (check_address(n, 1, d)) b.model_.global_.vrrp_mcast_group6_ = arg(n, 1);
}
template <auto Member>
void global_seconds(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0, 4294967295.0, d)) b.model_.global_.*Member = *v;
}
template <auto Member>
void global_positive_seconds(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0.000001, 4294.967295, d)) b.model_.global_.*Member = *v;
}
template <auto Member>
void global_count(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 65535, d)) b.model_.global_.*Member = static_cast<int>(*v);
}
void h_skip_check_adv(const node& n, builder& b, diagnostics& d) {
  if (auto v = boolean(n, 1, d)) b.model_.global_.vrrp_skip_check_adv_addr_ = *v;
}
void h_check_unicast_src(const node&, builder& b, diagnostics&) { b.model_.global_.vrrp_check_unicast_src_ = true; }
void h_default_interface(const node& n, builder& b, diagnostics&) { b.model_.global_.default_interface_ = arg(n, 1); }
void h_dynamic_interfaces(const node&, builder& b, diagnostics&) { b.model_.global_.dynamic_interfaces_ = true; }
void h_decimal_any(const node& n, builder&, diagnostics& d) { decimal(n, 1, 0, 4294.967295, d); }
void h_unsigned_any(const node& n, builder&, diagnostics& d) { number(n, 1, 0, 4294967295L, d); }
void h_lvs_sync_daemon(const node& n, builder&, diagnostics& d) {
  // lvs_sync_daemon INTERFACE [VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group IP]
  std::size_t i = 2;
  if (const std::string second = arg(n, 2);
      second != "id" && second != "maxlen" && second != "port" && second != "ttl" &&
      second != "group") {
    ++i;  // the instance name
  }
  for (; i + 1 < n.words_.size(); i += 2) {
    const std::string k = arg(n, i);
    if (k == "maxlen") number(n, i + 1, 1, 65507, d);
    else if (k == "id") number(n, i + 1, 0, 255, d);
    else if (k == "port") number(n, i + 1, 1, 65535, d);
    else if (k == "ttl") number(n, i + 1, 1, 255, d);
    else if (k == "group") check_address(n, i + 1, d);
  }
}

// ---- vrrp_script / track_process / track_file ---------------------------------------------

void h_vrrp_script(const node& n, builder& b, diagnostics&) {
  b.model_.vrrp_scripts_.emplace_back();
  b.script_ = &b.model_.vrrp_scripts_.back();
  b.script_->name_ = arg(n, 1);
  b.script_->position_ = n.position_;
}
void h_script(const node& n, builder& b, diagnostics&) {
  if (!b.script_) return;
  // The command is the rest of the line as keepalived reads it (quotes and escapes are
  // resolved when it runs).
  const std::string_view t = n.text_;
  std::size_t p = t.find(n.words_[0].value_);
  p = p == std::string_view::npos ? 0 : p + n.words_[0].value_.size();
  while (p < t.size() && (t[p] == ' ' || t[p] == '\t')) ++p;
  std::string_view cmd = t.substr(p);
  while (!cmd.empty() && (cmd.back() == ' ' || cmd.back() == '\t')) cmd.remove_suffix(1);
  b.script_->script_ = n.words_.size() == 2 ? n.words_[1].value_ : cmd;
}
void h_script_interval(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0.000001, 4294.967295, d); v && b.script_) b.script_->interval_ = *v;
}
void h_script_timeout(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0.000001, 4294.967295, d); v && b.script_) b.script_->timeout_ = *v;
}
// `weight N [reverse]`, range [-253, 253] as keepalived.
void h_weight(const node& n, builder& b, diagnostics& d) {
  auto v = number(n, 1, -253, 253, d);
  const bool reverse = arg(n, 2) == "reverse";
  if (n.words_.size() > 2 && !reverse) {
    d.add(severity::error, codes::invalid_value, where(n, 2),
          "unknown option '" + arg(n, 2) + "' after the weight", "only 'reverse' may follow it");
  }
  if (!v) return;
  if (b.current_ == c::vrrp_script && b.script_) {
    b.script_->weight_ = static_cast<int>(*v);
    b.script_->weight_reverse_ = reverse;
  } else if (b.current_ == c::vrrp_track_process && b.track_process_) {
    b.track_process_->weight_ = static_cast<int>(*v);
    b.track_process_->weight_reverse_ = reverse;
  } else if (b.current_ == c::vrrp_track_file && b.track_file_) {
    b.track_file_->weight_ = static_cast<int>(*v);
    b.track_file_->weight_reverse_ = reverse;
  }
}
void h_rise(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 1, 4294967295L, d); v && b.script_) b.script_->rise_ = static_cast<int>(*v);
}
void h_fall(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 1, 4294967295L, d); v && b.script_) b.script_->fall_ = static_cast<int>(*v);
}
void h_init_fail(const node&, builder& b, diagnostics&) { if (b.script_) b.script_->init_fail_ = true; }
void h_user(const node& n, builder& b, diagnostics&) {
  if (b.script_) {
    b.script_->user_ = arg(n, 1);
    b.script_->group_ = arg(n, 2);
  }
}

void h_track_process(const node& n, builder& b, diagnostics&) {
  b.model_.track_processes_.emplace_back();
  b.track_process_ = &b.model_.track_processes_.back();
  b.track_process_->name_ = arg(n, 1);
  b.track_process_->position_ = n.position_;
}
void h_process(const node& n, builder& b, diagnostics&) {
  if (!b.track_process_) return;
  b.track_process_->process_ = arg(n, 1);
  for (std::size_t i = 2; i < n.words_.size(); ++i) b.track_process_->parameters_.push_back(arg(n, i));
}
void h_quorum_tp(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 1, 65535, d); v && b.track_process_) b.track_process_->quorum_ = static_cast<unsigned>(*v);
}
void h_quorum_max(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 65535, d); v && b.track_process_) b.track_process_->quorum_max_ = static_cast<unsigned>(*v);
}
void h_tp_delay(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0, 4294.967295, d); v && b.track_process_) b.track_process_->delay_ = *v;
}
void h_track_file_block(const node& n, builder& b, diagnostics&) {
  b.model_.track_files_.emplace_back();
  b.track_file_ = &b.model_.track_files_.back();
  b.track_file_->name_ = arg(n, 1);
  b.track_file_->position_ = n.position_;
}
void h_file(const node& n, builder& b, diagnostics&) { if (b.track_file_) b.track_file_->file_ = arg(n, 1); }
void h_init_file(const node& n, builder& b, diagnostics& d) {
  if (!b.track_file_) return;
  b.track_file_->init_file_ = 0;
  if (n.words_.size() > 1 && arg(n, 1) != "overwrite") {
    if (auto v = number(n, 1, -2147483647L, 2147483647L, d)) b.track_file_->init_file_ = *v;
  }
}

// ---- vrrp_instance -------------------------------------------------------------------------

void h_vrrp_instance(const node& n, builder& b, diagnostics&) {
  b.model_.vrrp_instances_.emplace_back();
  b.instance_ = &b.model_.vrrp_instances_.back();
  b.instance_->name_ = arg(n, 1);
  b.instance_->position_ = n.position_;
}
void h_state(const node& n, builder& b, diagnostics& d) {
  vrrp_instance* i = b.instance_;
  if (!i) return;
  const std::string s = arg(n, 1);
  i->state_given_ = true;
  i->state_position_ = n.position_;
  if (s == "MASTER") {
    i->state_ = vrrp_state::master;
  } else if (s == "BACKUP") {
    i->state_ = vrrp_state::backup;
  } else if (s == "SLAVE") {
    // keepalived 2.2.7 says "unknown state 'SLAVE', defaulting to BACKUP": what the author
    // meant, so a warning, and migrate writes BACKUP.
    i->state_ = vrrp_state::backup;
    d.add(severity::warning, codes::state_slave, where(n, 1),
          "'SLAVE' is not a keepalived state; keepalived takes it as BACKUP",
          "write 'state BACKUP'");
  } else if (!unresolved(n, 1)) {
    i->state_ = vrrp_state::backup;
    d.add(severity::error, codes::invalid_state, where(n, 1),
          "unknown state '" + s + "': keepalived would start this instance as BACKUP",
          "the state is MASTER or BACKUP");
  }
}
void h_interface(const node& n, builder& b, diagnostics&) {
  if (b.instance_) {
    b.instance_->interface_ = arg(n, 1);
    b.instance_->interface_position_ = where(n, 1);
  }
}
void h_vrid(const node& n, builder& b, diagnostics& d) {
  if (!b.instance_) return;
  b.instance_->vrid_position_ = where(n, 1);
  if (auto v = number(n, 1, 1, 255, d)) b.instance_->virtual_router_id_ = static_cast<int>(*v);
  else b.instance_->virtual_router_id_ = 0;  // given but invalid: reported already
}
void h_priority(const node& n, builder& b, diagnostics& d) {
  if (!b.instance_) return;
  b.instance_->priority_position_ = where(n, 1);
  if (auto v = number(n, 1, 1, 255, d)) {
    b.instance_->priority_ = static_cast<int>(*v);
    b.instance_->priority_given_ = true;
  }
}
void h_advert_int(const node& n, builder& b, diagnostics& d) {
  if (!b.instance_) return;
  b.instance_->advert_position_ = where(n, 1);
  if (auto v = decimal(n, 1, 0.01, 255, d)) b.instance_->advert_int_ = *v;
}
void h_version(const node& n, builder& b, diagnostics& d) {
  if (!b.instance_) return;
  b.instance_->version_position_ = where(n, 1);
  if (auto v = number(n, 1, 2, 3, d)) {
    b.instance_->version_ = static_cast<int>(*v);
    b.instance_->version_given_ = true;
  }
}
void h_authentication(const node& n, builder& b, diagnostics&) {
  if (b.instance_) {
    b.instance_->authentication_.emplace();
    b.instance_->authentication_->position_ = n.position_;
  }
}
void h_auth_type(const node& n, builder& b, diagnostics& d) {
  if (!b.instance_ || !b.instance_->authentication_) return;
  const std::string t = arg(n, 1);
  if (t == "PASS") b.instance_->authentication_->type_ = authentication::kind::pass;
  else if (t == "AH") b.instance_->authentication_->type_ = authentication::kind::ah;
  else
    d.add(severity::error, codes::invalid_value, where(n, 1), "unknown auth_type '" + t + "'",
          "auth_type is PASS or AH");
}
void h_auth_pass(const node& n, builder& b, diagnostics& d) {
  if (!b.instance_ || !b.instance_->authentication_) return;
  std::string p = arg(n, 1);
  if (p.size() > 8) {
    d.add(severity::warning, codes::auth_pass_truncated, where(n, 1),
          // keepalived's own words first: users (and posts) grep their logs for them.
          "Truncating auth_pass to 8 characters: '" + p + "' is longer, keepalived uses only '" +
              p.substr(0, 8) + "'",
          "VRRP carries 8 characters of password; write 'auth_pass " + p.substr(0, 8) +
              "' so every machine visibly agrees");
    p.resize(8);
  }
  b.instance_->authentication_->password_ = p;
}
void h_vip(const node&, builder& b, diagnostics&) {
  if (b.instance_) b.ip_list_ = &b.instance_->virtual_ipaddresses_;
}
void h_vip_excluded(const node&, builder& b, diagnostics&) {
  if (b.instance_) b.ip_list_ = &b.instance_->virtual_ipaddresses_excluded_;
}
void h_virtual_routes(const node&, builder& b, diagnostics&) {
  if (b.instance_) b.route_list_ = &b.instance_->virtual_routes_;
}
void h_virtual_rules(const node&, builder& b, diagnostics&) {
  if (b.instance_) b.rule_list_ = &b.instance_->virtual_rules_;
}
void h_static_ipaddress(const node&, builder& b, diagnostics&) { b.ip_list_ = &b.model_.static_ipaddresses_; }
void h_static_routes(const node&, builder& b, diagnostics&) { b.route_list_ = &b.model_.static_routes_; }
void h_static_rules(const node&, builder& b, diagnostics&) { b.rule_list_ = &b.model_.static_rules_; }

void h_unicast_src_ip(const node& n, builder& b, diagnostics& d) {
  if (b.instance_ && check_address(n, 1, d)) b.instance_->unicast_src_ip_ = arg(n, 1);
}
void h_mcast_src_ip(const node& n, builder& b, diagnostics& d) {
  if (b.instance_ && check_address(n, 1, d)) b.instance_->mcast_src_ip_ = arg(n, 1);
}
void h_unicast_peer(const node&, builder& b, diagnostics&) {
  if (b.instance_) b.names_ = &b.instance_->unicast_peers_;
}

// track_* blocks: in an instance or a sync group.
std::vector<tracked>* tracked_target(builder& b, std::vector<tracked> vrrp_instance::*in_instance,
                                     std::vector<tracked> vrrp_sync_group::*in_group) {
  if (b.current_ == c::vrrp_instance && b.instance_) return &(b.instance_->*in_instance);
  if (b.current_ == c::sync_group && b.group_ && in_group) return &(b.group_->*in_group);
  return nullptr;
}
void h_track_script(const node&, builder& b, diagnostics&) {
  b.tracked_list_ = tracked_target(b, &vrrp_instance::track_scripts_, &vrrp_sync_group::track_scripts_);
}
void h_track_interface(const node&, builder& b, diagnostics&) {
  b.tracked_list_ = tracked_target(b, &vrrp_instance::track_interfaces_, &vrrp_sync_group::track_interfaces_);
}
void h_track_file_list(const node&, builder& b, diagnostics&) {
  b.tracked_list_ = tracked_target(b, &vrrp_instance::track_files_, &vrrp_sync_group::track_files_);
}
void h_track_process_list(const node&, builder& b, diagnostics&) {
  b.tracked_list_ = tracked_target(b, &vrrp_instance::track_processes_, &vrrp_sync_group::track_processes_);
}
void h_track_bfd_list(const node&, builder& b, diagnostics&) {
  b.tracked_list_ = tracked_target(b, &vrrp_instance::track_bfds_, nullptr);
}

template <auto InstanceMember, auto GroupMember>
void notify_script(const node& n, builder& b, diagnostics&) {
  if (b.current_ == c::vrrp_instance && b.instance_) b.instance_->*InstanceMember = rest_of_line(n, 1);
  else if (b.current_ == c::sync_group && b.group_) b.group_->*GroupMember = rest_of_line(n, 1);
}
void h_smtp_alert(const node& n, builder& b, diagnostics& d) {
  const auto v = boolean(n, 1, d);
  if (!v) return;
  if (b.current_ == c::global_defs) b.model_.global_.smtp_alert_ = *v;
  else if (b.current_ == c::vrrp_instance && b.instance_) b.instance_->smtp_alert_ = *v;
  else if (b.current_ == c::sync_group && b.group_) b.group_->smtp_alert_ = *v;
  else if (b.current_ == c::virtual_server && b.virtual_server_) b.virtual_server_->smtp_alert_ = *v;
}
void h_nopreempt(const node& n, builder& b, diagnostics&) {
  if (b.instance_) {
    b.instance_->nopreempt_ = true;
    b.instance_->nopreempt_position_ = n.position_;
  }
}
void h_preempt(const node&, builder& b, diagnostics&) { if (b.instance_) b.instance_->nopreempt_ = false; }
void h_preempt_delay(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0, 1000, d); v && b.instance_) b.instance_->preempt_delay_ = *v;
}
void h_accept(const node&, builder& b, diagnostics&) { if (b.instance_) b.instance_->accept_ = true; }
void h_no_accept(const node&, builder& b, diagnostics&) { if (b.instance_) b.instance_->accept_ = false; }
void h_use_vmac(const node& n, builder& b, diagnostics&) {
  if (b.instance_) {
    b.instance_->use_vmac_ = true;
    b.instance_->vmac_name_ = arg(n, 1);
  }
}
void h_dont_track_primary(const node&, builder& b, diagnostics&) { if (b.instance_) b.instance_->dont_track_primary_ = true; }
// garp delays and refreshes are whole-or-decimal seconds without keepalived's 4294 s cap.
template <auto Member>
void instance_seconds(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0, 4294967295.0, d); v && b.instance_) b.instance_->*Member = *v;
}
template <auto Member>
void instance_count(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 65535, d); v && b.instance_) b.instance_->*Member = static_cast<int>(*v);
}
void h_lvs_sync_daemon_interface(const node& n, builder& b, diagnostics& d) {
  if (!b.instance_) return;
  b.instance_->lvs_sync_daemon_interface_ = arg(n, 1);
  d.add(severity::warning, codes::old_keyword, n.position_,
        "'lvs_sync_daemon_interface' in a vrrp_instance is deprecated since keepalived 1.3.0",
        "use 'lvs_sync_daemon " + arg(n, 1) + " " + b.instance_->name_ + "' in global_defs");
}
void h_garp_extra_if(const node& n, builder&, diagnostics& d) {
  if (n.words_.size() > 1 && arg(n, 1) != "all") decimal(n, 1, 0, 86400, d);
}

// ---- sync group ----------------------------------------------------------------------------

void h_sync_group(const node& n, builder& b, diagnostics&) {
  b.model_.sync_groups_.emplace_back();
  b.group_ = &b.model_.sync_groups_.back();
  b.group_->name_ = arg(n, 1);
  b.group_->position_ = n.position_;
}
void h_group(const node&, builder& b, diagnostics&) { if (b.group_) b.names_ = &b.group_->instances_; }

// ---- LVS -----------------------------------------------------------------------------------

void h_virtual_server(const node& n, builder& b, diagnostics& d) {
  b.model_.virtual_servers_.emplace_back();
  virtual_server& vs = b.model_.virtual_servers_.back();
  b.virtual_server_ = &vs;
  vs.position_ = n.position_;
  // Its real servers counted first: growing the vector one by one moved each real server
  // (and its checkers) about twice.
  vs.real_servers_.reserve(static_cast<std::size_t>(
      std::count_if(n.children_.begin(), n.children_.end(),
                    [](const node& child) { return child.keyword() == "real_server"; })));
  const std::string first = arg(n, 1);
  if (first == "fwmark") {
    vs.kind_ = virtual_server::kind::fwmark;
    if (auto v = number(n, 2, 1, 4294967295L, d)) vs.fwmark_ = static_cast<unsigned>(*v);
  } else if (first == "group") {
    vs.kind_ = virtual_server::kind::group;
    vs.group_ = arg(n, 2);
  } else {
    vs.address_ = first;
    check_address(n, 1, d);
    if (n.words_.size() > 2) {
      if (auto p = number(n, 2, 0, 65535, d)) vs.port_ = static_cast<unsigned>(*p);
    }
  }
}
void h_delay_loop(const node& n, builder& b, diagnostics& d) {
  auto v = decimal(n, 1, 0.000001, 4294.967295, d);
  if (!v) return;
  if (b.current_ == c::virtual_server && b.virtual_server_) b.virtual_server_->delay_loop_ = *v;
  else if (b.current_ == c::real_server && b.real_server_) b.real_server_->delay_loop_ = *v;
  else if (b.checker_) b.checker_->delay_loop_ = *v;
}
void h_lvs_sched(const node& n, builder& b, diagnostics& d) {
  static constexpr std::array<std::string_view, 14> known{
      "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"};
  const std::string s = arg(n, 1);
  if (std::find(known.begin(), known.end(), s) == known.end() && !unresolved(n, 1)) {
    d.add(severity::warning, codes::invalid_value, where(n, 1),
          "unknown scheduler '" + s + "': the kernel will refuse it unless a module provides it",
          "one of rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos");
  }
  if (b.virtual_server_) {
    b.virtual_server_->lvs_sched_ = s;
    b.virtual_server_->sched_position_ = n.position_;
  }
}
std::optional<std::string> lvs_method(const node& n, std::size_t i, diagnostics& d) {
  const std::string m = arg(n, i);
  if (m == "NAT" || m == "DR" || m == "TUN") return m;
  if (!unresolved(n, i))
    d.add(severity::error, codes::invalid_value, where(n, i), "unknown LVS method '" + m + "'",
          "lvs_method is NAT, DR or TUN");
  return std::nullopt;
}
void h_lvs_method(const node& n, builder& b, diagnostics& d) {
  auto m = lvs_method(n, 1, d);
  if (!m) return;
  if (b.current_ == c::real_server && b.real_server_) {
    b.real_server_->lvs_method_ = *m;
  } else if (b.virtual_server_) {
    b.virtual_server_->lvs_method_ = *m;
    b.virtual_server_->lvs_method_given_ = true;
    b.virtual_server_->method_position_ = n.position_;
  }
}
void h_persistence_timeout(const node& n, builder& b, diagnostics& d) {
  if (!b.virtual_server_) return;
  b.virtual_server_->persistence_position_ = n.position_;
  if (n.words_.size() < 2) {
    b.virtual_server_->persistence_timeout_ = 360;  // keepalived's default when no value
    return;
  }
  if (auto v = number(n, 1, 1, 2678400, d)) b.virtual_server_->persistence_timeout_ = static_cast<unsigned>(*v);
}
void h_persistence_granularity(const node& n, builder& b, diagnostics&) {
  if (b.virtual_server_) b.virtual_server_->persistence_granularity_ = arg(n, 1);
}
void h_protocol(const node& n, builder& b, diagnostics& d) {
  const std::string p = arg(n, 1);
  if (p != "TCP" && p != "UDP" && p != "SCTP") {
    d.add(severity::error, codes::invalid_value, where(n, 1), "unknown protocol '" + p + "'",
          "protocol is TCP, UDP or SCTP");
    return;
  }
  if (b.virtual_server_) {
    b.virtual_server_->protocol_ = p;
    b.virtual_server_->protocol_given_ = true;
  }
}
void h_ha_suspend(const node&, builder& b, diagnostics&) { if (b.virtual_server_) b.virtual_server_->ha_suspend_ = true; }
void h_virtualhost(const node& n, builder& b, diagnostics&) {
  if (b.current_ == c::url && b.url_) b.url_->virtualhost_ = arg(n, 1);
  else if (b.current_ == c::virtual_server && b.virtual_server_) b.virtual_server_->virtualhost_ = arg(n, 1);
}
void h_alpha(const node&, builder& b, diagnostics&) {
  if (b.current_ == c::virtual_server && b.virtual_server_) b.virtual_server_->alpha_ = true;
  else if (b.current_ == c::real_server && b.real_server_) b.real_server_->alpha_ = true;
  else if (b.checker_) b.checker_->alpha_ = true;
}
// The scheduler flags, as keywords of their own in a virtual_server (keepalived 2.x).
template <bool virtual_server::*Flag>
void h_sched_flag(const node&, builder& b, diagnostics&) {
  if (b.virtual_server_) b.virtual_server_->*Flag = true;
}
void h_quorum_up(const node& n, builder& b, diagnostics&) { if (b.virtual_server_) b.virtual_server_->quorum_up_ = rest_of_line(n, 1); }
void h_quorum_down(const node& n, builder& b, diagnostics&) { if (b.virtual_server_) b.virtual_server_->quorum_down_ = rest_of_line(n, 1); }
void h_log_all_failures(const node&, builder& b, diagnostics&) { if (b.checker_) b.checker_->log_all_failures_ = true; }
void h_regex_no_match(const node&, builder& b, diagnostics&) { if (b.url_) b.url_->regex_no_match_ = true; }
void h_http_protocol(const node& n, builder& b, diagnostics& d) {
  const std::string v = arg(n, 1);
  if (v != "1.0" && v != "1.0C" && v != "1.0c" && v != "1.1" && !unresolved(n, 1)) {
    d.add(severity::error, codes::invalid_value, where(n, 1), "unknown http_protocol '" + v + "'",
          "one of 1.0, 1.0C (1.0 with Connection: close), 1.1");
    return;
  }
  if (b.current_ == c::http_check && b.checker_) b.checker_->http_protocol_ = v;
}
void h_enable_sni(const node& n, builder& b, diagnostics&) {
  if (b.checker_) b.checker_->enable_sni_ = n.words_.size() < 2 || arg(n, 1) != "false";
}
void h_omega(const node&, builder& b, diagnostics&) { if (b.virtual_server_) b.virtual_server_->omega_ = true; }
void h_quorum_vs(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 1, 4294967295L, d); v && b.virtual_server_) b.virtual_server_->quorum_ = static_cast<unsigned>(*v);
}
void h_hysteresis(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 4294967295L, d); v && b.virtual_server_) b.virtual_server_->hysteresis_ = static_cast<unsigned>(*v);
}
void h_sorry_server(const node& n, builder& b, diagnostics& d) {
  if (!b.virtual_server_) return;
  real_server rs;
  rs.address_ = arg(n, 1);
  rs.position_ = n.position_;
  check_address(n, 1, d);
  if (n.words_.size() > 2) {
    if (auto p = number(n, 2, 0, 65535, d)) rs.port_ = static_cast<unsigned>(*p);
  }
  b.virtual_server_->sorry_server_ = std::move(rs);
}
void h_sorry_server_inhibit(const node&, builder& b, diagnostics&) { if (b.virtual_server_) b.virtual_server_->sorry_server_inhibit_ = true; }

void h_real_server(const node& n, builder& b, diagnostics& d) {
  if (!b.virtual_server_) return;
  b.virtual_server_->real_servers_.emplace_back();
  real_server& rs = b.virtual_server_->real_servers_.back();
  b.real_server_ = &rs;
  rs.position_ = n.position_;
  rs.address_ = arg(n, 1);
  check_address(n, 1, d);
  if (n.words_.size() > 2) {
    if (auto p = number(n, 2, 0, 65535, d)) rs.port_ = static_cast<unsigned>(*p);
  }
}
void h_rs_weight(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 65535, d); v && b.real_server_) b.real_server_->weight_ = static_cast<int>(*v);
}
void h_inhibit(const node&, builder& b, diagnostics&) { if (b.real_server_ && b.current_ == c::real_server) b.real_server_->inhibit_on_failure_ = true; }
void h_notify_up(const node& n, builder& b, diagnostics&) { if (b.real_server_) b.real_server_->notify_up_ = rest_of_line(n, 1); }
void h_notify_down(const node& n, builder& b, diagnostics&) { if (b.real_server_) b.real_server_->notify_down_ = rest_of_line(n, 1); }

template <checker_kind K>
void h_checker(const node& n, builder& b, diagnostics&) {
  if (!b.real_server_) return;
  b.real_server_->checkers_.emplace_back();
  b.checker_ = &b.real_server_->checkers_.back();
  b.checker_->kind_ = K;
  b.checker_->position_ = n.position_;
}
void h_connect_ip(const node& n, builder& b, diagnostics& d) {
  if (check_address(n, 1, d) && b.checker_) b.checker_->connect_ip_ = arg(n, 1);
}
void h_connect_port(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 65535, d); v && b.checker_) b.checker_->connect_port_ = static_cast<unsigned>(*v);
}
void h_bindto(const node& n, builder& b, diagnostics& d) {
  if (check_address(n, 1, d) && b.checker_) b.checker_->bindto_ = arg(n, 1);
}
void h_bind_port(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 65535, d); v && b.checker_) b.checker_->bind_port_ = static_cast<unsigned>(*v);
}
void h_connect_timeout(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0.000001, 4294.967295, d); v && b.current_ == c::virtual_server && b.virtual_server_) b.virtual_server_->connect_timeout_ = *v;
  else if (v && b.current_ == c::real_server && b.real_server_) b.real_server_->connect_timeout_ = *v;
  else if (v && b.checker_) b.checker_->connect_timeout_ = *v;
}
void h_retry(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 4294967295L, d); v && b.current_ == c::virtual_server && b.virtual_server_) b.virtual_server_->retry_ = static_cast<unsigned>(*v);
  else if (v && b.current_ == c::real_server && b.real_server_) b.real_server_->retry_ = static_cast<unsigned>(*v);
  else if (v && b.checker_) b.checker_->retry_ = static_cast<unsigned>(*v);
}
void h_delay_before_retry(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0, 4294.967295, d); v && b.current_ == c::virtual_server && b.virtual_server_) b.virtual_server_->delay_before_retry_ = *v;
  else if (v && b.current_ == c::real_server && b.real_server_) b.real_server_->delay_before_retry_ = *v;
  else if (v && b.checker_) b.checker_->delay_before_retry_ = *v;
}
void h_warmup(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0, 4294.967295, d); v && b.current_ == c::virtual_server && b.virtual_server_) b.virtual_server_->warmup_ = *v;
  else if (v && b.current_ == c::real_server && b.real_server_) b.real_server_->warmup_ = *v;
  else if (v && b.checker_) b.checker_->warmup_ = *v;
}
void h_url(const node& n, builder& b, diagnostics&) {
  if (!b.checker_) return;
  b.checker_->urls_.emplace_back();
  b.url_ = &b.checker_->urls_.back();
  b.url_->position_ = n.position_;
}
void h_path(const node& n, builder& b, diagnostics&) { if (b.url_) b.url_->path_ = arg(n, 1); }
void h_digest(const node& n, builder& b, diagnostics& d) {
  const std::string v = arg(n, 1);
  const bool hex = v.size() == 32 && std::all_of(v.begin(), v.end(), [](unsigned char ch) {
                     return std::isxdigit(ch) != 0;
                   });
  if (!hex && !unresolved(n, 1)) {
    d.add(severity::error, codes::invalid_value, where(n, 1),
          "digest '" + v + "' is not an MD5 sum (32 hexadecimal digits)",
          "compute it with 'genhash' or 'curl -s URL | md5sum'");
  }
  if (b.url_) b.url_->digest_ = v;
}
void h_status_code(const node& n, builder& b, diagnostics& d) {
  for (std::size_t i = 1; i < n.words_.size(); ++i) {
    // A view of the tree's text, so the halves below are too.
    const std::string_view v = n.words_[i].value_;
    const auto dash = v.find('-');
    // A statement of the keyword and this one value (or each half of a range), to check it
    // as a number with its position.
    word pair[2] = {n.words_[0], n.words_[i]};
    node one;
    one.position_ = n.position_;
    one.words_ = pair;
    if (dash == std::string_view::npos) {
      number(one, 1, 100, 999, d);
    } else {
      pair[1].value_ = v.substr(0, dash);
      number(one, 1, 100, 999, d);
      pair[1].value_ = v.substr(dash + 1);
      number(one, 1, 100, 999, d);
    }
    if (b.url_) b.url_->status_codes_.emplace_back(v);
  }
}
void h_regex(const node& n, builder& b, diagnostics&) { if (b.url_) b.url_->regex_ = arg(n, 1); }
void h_misc_path(const node& n, builder& b, diagnostics&) {
  if (b.checker_) b.checker_->misc_path_ = n.words_.size() == 2 ? arg(n, 1) : rest_of_line(n, 1);
}
void h_misc_timeout(const node& n, builder& b, diagnostics& d) {
  if (auto v = decimal(n, 1, 0.000001, 4294.967295, d); v && b.checker_) b.checker_->misc_timeout_ = *v;
}
void h_misc_dynamic(const node&, builder& b, diagnostics&) { if (b.checker_) b.checker_->misc_dynamic_ = true; }
void h_helo_name(const node& n, builder& b, diagnostics&) { if (b.checker_) b.checker_->helo_name_ = arg(n, 1); }
void h_dns_type(const node& n, builder& b, diagnostics& d) {
  static constexpr std::array<std::string_view, 9> types{"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "PTR", "SRV"};
  if (std::find(types.begin(), types.end(), arg(n, 1)) == types.end()) {
    d.add(severity::error, codes::invalid_value, where(n, 1), "unknown DNS type '" + arg(n, 1) + "'",
          "one of A NS CNAME SOA MX TXT AAAA");
  }
  if (b.checker_) b.checker_->dns_type_ = arg(n, 1);
}
void h_payload(const node& n, builder& b, diagnostics&) { if (b.checker_) b.checker_->payload_ = arg(n, 1); }
void h_require_reply(const node& n, builder& b, diagnostics&) {
  if (!b.checker_) return;
  b.checker_->require_reply_ = true;
  if (n.words_.size() > 1) b.checker_->require_reply_hex_ = rest_of_line(n, 1);
}
void h_checker_track_file(const node& n, builder& b, diagnostics&) { if (b.checker_) b.checker_->track_file_ = arg(n, 1); }
void h_bfd_name(const node& n, builder& b, diagnostics&) {
  if (b.checker_ && b.current_ == c::bfd_check) b.checker_->bfd_name_ = arg(n, 1);
  else if (b.checker_ && b.current_ == c::dns_check) b.checker_->dns_name_ = arg(n, 1);
}
void h_checker_fwmark(const node& n, builder& b, diagnostics& d) {
  if (auto v = number(n, 1, 0, 4294967295L, d); v && b.checker_) b.checker_->fwmark_ = static_cast<unsigned>(*v);
}

void h_vs_group(const node& n, builder& b, diagnostics&) {
  b.model_.virtual_server_groups_.emplace_back();
  b.vs_group_ = &b.model_.virtual_server_groups_.back();
  b.vs_group_->name_ = arg(n, 1);
  b.vs_group_->position_ = n.position_;
}
void h_bfd_instance(const node& n, builder& b, diagnostics&) {
  b.model_.bfd_instances_.push_back({arg(n, 1), n.position_});
}
void h_names(const node& n, builder& b, diagnostics&) {
  static std::vector<located> sink;  // entries of blocks the model keeps no list for
  sink.clear();
  b.names_ = &sink;
  (void)n;
}

// ---- list entries --------------------------------------------------------------------------

void e_ip(const node& n, builder& b, diagnostics& d) {
  ip_address a;
  a.position_ = n.position_;
  const std::string first = arg(n, 0);
  bool has_prefix = false;
  unsigned prefix = 32;
  a.family_ = address_family(first, &prefix, &has_prefix);
  if (a.family_ == 0) {
    if (!unresolved(n, 0)) {
      d.add(severity::error, codes::invalid_address, n.position_,
            "invalid IP address '" + first + "': keepalived skips this entry",
            "write IP or IP/PREFIX, then options such as 'dev eth0' or 'label eth0:1'");
    }
    return;
  }
  a.address_ = first.substr(0, first.find('/'));
  a.prefix_ = prefix;
  a.prefix_given_ = has_prefix;
  for (std::size_t i = 1; i < n.words_.size(); ++i) {
    const std::string k = arg(n, i);
    auto value = [&](std::string& into) {
      if (i + 1 >= n.words_.size()) {
        d.add(severity::error, codes::missing_argument, where(n, i), "'" + k + "' needs a value");
        return;
      }
      into = arg(n, ++i);
    };
    if (k == "brd" || k == "broadcast") value(a.broadcast_);
    else if (k == "dev") value(a.device_);
    else if (k == "scope") value(a.scope_);
    else if (k == "label") value(a.label_);
    else if (k == "peer") value(a.peer_);
    else if (k == "track_group") value(a.track_group_);
    else if (k == "preferred_lft") value(a.preferred_lft_);
    else if (k == "home") a.home_ = true;
    else if (k == "-nodad" || k == "nodad") a.nodad_ = true;
    else if (k == "noprefixroute") a.noprefixroute_ = true;
    else if (k == "autojoin") a.autojoin_ = true;
    else if (k == "no_track") a.no_track_ = true;
    else {
      d.add(severity::error, codes::invalid_value, where(n, i),
            "unknown option '" + k + "' for address " + first,
            "options: brd dev scope label peer home -nodad noprefixroute autojoin no_track "
            "preferred_lft track_group");
    }
  }
  if (b.ip_list_) b.ip_list_->push_back(std::move(a));
}

void e_route(const node& n, builder& b, diagnostics& d) {
  route r;
  r.position_ = n.position_;
  std::size_t i = 0;
  static constexpr std::array<std::string_view, 7> types{"blackhole", "unreachable", "prohibit", "throw", "unicast", "local", "broadcast"};
  if (std::find(types.begin(), types.end(), arg(n, 0)) != types.end()) {
    r.type_ = arg(n, 0);
    ++i;
  }
  if (arg(n, i) == "src" && n.words_.size() > i + 2) {  // keepalived's `src IP DEST …`
    r.source_ = arg(n, i + 1);
    i += 2;
  }
  r.destination_ = arg(n, i);
  if (r.destination_ != "default" && address_family(r.destination_) == 0) {
    if (!unresolved(n, i))
      d.add(severity::error, codes::invalid_address, where(n, i),
            "invalid route destination '" + r.destination_ + "'", "write IP/PREFIX or 'default'");
  }
  for (++i; i < n.words_.size(); ++i) {
    const std::string k = arg(n, i);
    if (k == "gw" || k == "or") {
      d.add(severity::warning, codes::deprecated_syntax, where(n, i),
            "'" + k + "' in a route is deprecated since keepalived 2.0",
            std::string("write '") + (k == "gw" ? "via" : "nexthop") + "' instead");
    }
    if ((k == "via" || k == "gw") && i + 1 < n.words_.size()) {
      r.via_ = arg(n, ++i);
      if (address_family(r.via_, nullptr, nullptr, false) == 0 && !unresolved(n, i))
        d.add(severity::error, codes::invalid_address, where(n, i), "invalid gateway '" + r.via_ + "'");
    } else if (k == "src" && i + 1 < n.words_.size()) {
      r.source_ = arg(n, ++i);
    } else if (k == "dev" && i + 1 < n.words_.size()) {
      r.device_ = arg(n, ++i);
    } else if (k == "table" && i + 1 < n.words_.size()) {
      r.table_ = arg(n, ++i);
    }
  }
  for (const word& w : n.words_) r.words_.emplace_back(w.value_);
  if (b.route_list_) b.route_list_->push_back(std::move(r));
}

void e_rule(const node& n, builder& b, diagnostics& d) {
  rule r;
  r.position_ = n.position_;
  for (std::size_t i = 0; i < n.words_.size(); ++i) {
    const std::string k = arg(n, i);
    if ((k == "from" || k == "to") && i + 1 < n.words_.size()) {
      const std::string v = arg(n, ++i);
      if (v != "all" && address_family(v) == 0 && !unresolved(n, i)) {
        d.add(severity::error, codes::invalid_address, where(n, i),
              "invalid rule " + k + " address '" + v + "'", "write IP/PREFIX or 'all'");
      }
      (k == "from" ? r.from_ : r.to_) = v;
    } else if (k == "table" && i + 1 < n.words_.size()) {
      r.table_ = arg(n, ++i);
    }
  }
  for (const word& w : n.words_) r.words_.emplace_back(w.value_);
  if (b.rule_list_) b.rule_list_->push_back(std::move(r));
}

void e_tracked(const node& n, builder& b, diagnostics& d) {
  tracked t;
  t.name_ = arg(n, 0);
  t.position_ = n.position_;
  if (n.words_.size() > 1) {
    if (arg(n, 1) == "weight") {
      // `weight N` checked as a statement of its own.
      node w;
      w.position_ = n.position_;
      w.words_ = n.words_.subspan(1);
      if (auto v = number(w, 1, -254, 254, d)) t.weight_ = static_cast<int>(*v);
      if (arg(n, 3) == "reverse") t.reverse_ = true;
      else if (n.words_.size() > 3)
        d.add(severity::error, codes::invalid_value, where(n, 3), "unknown option '" + arg(n, 3) + "'");
    } else {
      d.add(severity::error, codes::invalid_value, where(n, 1),
            "unknown option '" + arg(n, 1) + "' after '" + t.name_ + "'",
            "an entry is NAME [weight N [reverse]]");
    }
  }
  if (b.tracked_list_) b.tracked_list_->push_back(std::move(t));
}

void e_peer(const node& n, builder& b, diagnostics& d) {
  if (!check_address(n, 0, d)) return;
  for (std::size_t i = 1; i + 1 < n.words_.size(); i += 2) {
    const std::string k = arg(n, i);
    if (k == "min_ttl" || k == "max_ttl") {
      number(n, i + 1, 0, 255, d);
    } else {
      d.add(severity::error, codes::invalid_value, where(n, i), "unknown unicast_peer option '" + k + "'");
    }
  }
  if (b.names_) b.names_->push_back({arg(n, 0), n.position_});
}

void e_name(const node& n, builder& b, diagnostics&) {
  if (b.names_) b.names_->push_back({arg(n, 0), n.position_});
}

void e_email(const node& n, builder& b, diagnostics&) {
  for (const word& w : n.words_) {
    if (b.names_) b.names_->push_back({std::string(w.value_), w.position_});
  }
}

void e_vs_group(const node& n, builder& b, diagnostics& d) {
  if (arg(n, 0) == "fwmark") {
    number(n, 1, 1, 4294967295L, d);
  } else {
    std::string first = arg(n, 0);
    // IP-LAST: a range whose last byte (or IPv6 group) is LAST.
    const auto dash = first.rfind('-');
    if (dash != std::string::npos && first.find(':') == std::string::npos) first.resize(dash);
    else if (dash != std::string::npos) first.resize(dash);
    if (address_family(first, nullptr, nullptr, false) == 0 && !unresolved(n, 0)) {
      d.add(severity::error, codes::invalid_address, n.position_,
            "invalid virtual_server_group entry '" + arg(n, 0) + "'",
            "write IP [PORT], IP-LAST [PORT] or fwmark N");
    } else if (n.words_.size() > 1) {
      number(n, 1, 0, 65535, d);
    }
  }
  if (b.vs_group_) {
    std::string text;
    for (const word& w : n.words_) {
      if (!text.empty()) text += ' ';
      text += w.value_;
    }
    b.vs_group_->entries_.push_back({text, n.position_});
  }
}

// ---- the table -----------------------------------------------------------------------------

constexpr std::uint8_t N = any_count;

// Shorthands for table rows. kw: a statement; blk: opens a block; old: an old name.
constexpr keyword kw(std::string_view name, std::uint64_t where, std::uint8_t min, std::uint8_t max,
                     handler h = accept) {
  return {name, where, min, max, c::none, false, {}, {}, old_name::alias, false, h};
}
constexpr keyword blk(std::string_view name, std::uint64_t where, std::uint8_t min,
                      std::uint8_t max, context opens, handler h = accept,
                      bool optional = false) {
  return {name, where, min, max, opens, optional, {}, {}, old_name::alias, false, h};
}
constexpr keyword old(keyword k, std::string_view current, std::string_view version,
                      old_name status) {
  k.current_name_ = current;
  k.renamed_in_ = version;
  k.old_status_ = status;
  return k;
}
constexpr keyword obsolete(keyword k, std::string_view since) {
  k.obsolete_ = true;
  k.renamed_in_ = since;
  return k;
}

constexpr std::uint64_t G = in(c::global_defs);
constexpr std::uint64_t VI = in(c::vrrp_instance);
constexpr std::uint64_t SG = in(c::sync_group);
constexpr std::uint64_t VS = in(c::virtual_server);
constexpr std::uint64_t RS = in(c::real_server);
constexpr std::uint64_t TOP = in(c::top);
constexpr std::uint64_t CK = all_checkers;
constexpr std::uint64_t CONN = all_checkers & ~in(c::misc_check, c::file_check, c::bfd_check);

constexpr keyword table[] = {
    // Top level.
    blk("global_defs", TOP, 0, 0, c::global_defs, h_global_defs),
    blk("vrrp_script", TOP, 1, 1, c::vrrp_script, h_vrrp_script),
    blk("vrrp_track_process", TOP, 1, 1, c::vrrp_track_process, h_track_process),
    blk("vrrp_track_file", TOP, 1, 1, c::vrrp_track_file, h_track_file_block),
    blk("track_file", TOP, 1, 1, c::vrrp_track_file, h_track_file_block),
    blk("vrrp_instance", TOP, 1, 1, c::vrrp_instance, h_vrrp_instance),
    blk("vrrp_sync_group", TOP, 1, 1, c::sync_group, h_sync_group),
    blk("static_ipaddress", TOP, 0, 0, c::ip_list, h_static_ipaddress),
    blk("static_routes", TOP, 0, 0, c::route_list, h_static_routes),
    blk("static_rules", TOP, 0, 0, c::rule_list, h_static_rules),
    blk("virtual_server", TOP, 1, 2, c::virtual_server, h_virtual_server),
    blk("virtual_server_group", TOP, 1, 1, c::vs_group, h_vs_group),
    blk("bfd_instance", TOP, 1, 1, c::bfd_instance, h_bfd_instance),
    blk("garp_group", TOP, 0, 0, c::garp_group),
    blk("SSL", TOP, 0, 0, c::ssl),
    blk("linkbeat_interfaces", TOP, 0, 0, c::name_list, h_names),
    blk("interface_up_down_delays", TOP, 0, 0, c::name_list, h_names),
    blk("track_group", TOP, 1, 1, c::name_list, h_names),
    kw("net_namespace", TOP | G, 1, 1),
    kw("net_namespace_ipvs", TOP | G, 1, 1),
    kw("namespace_with_ipsets", TOP | G, 0, 0),
    kw("instance", TOP | G, 1, 1),
    kw("use_pid_dir", TOP | G, 0, 0),
    kw("linkbeat_use_polling", TOP | G | VI, 0, 0),
    kw("child_wait_time", TOP | G, 1, 1, h_unsigned_any),

    // global_defs.
    kw("router_id", G, 1, 1, h_router_id),
    old(kw("lvs_id", G, 1, 1, h_router_id), "router_id", "1.1.8", old_name::rejected),
    blk("notification_email", G, 0, N, c::notification_email, h_notification_email),
    kw("notification_email_from", G, 1, 1, h_email_from),
    kw("smtp_server", G, 1, 2, h_smtp_server),
    kw("smtp_connect_timeout", G, 1, 1, h_smtp_connect_timeout),
    kw("smtp_helo_name", G, 1, 1, h_smtp_helo_name),
    kw("smtp_alert", G | VI | SG | VS | RS, 0, 1, h_smtp_alert),
    kw("smtp_alert_vrrp", G, 0, 1), kw("smtp_alert_checker", G, 0, 1),
    kw("no_email_faults", G, 0, 0), kw("checker_log_all_failures", G, 0, 1),
    kw("script_user", G, 1, 2, h_script_user),
    kw("enable_script_security", G, 0, 0, h_script_security),
    kw("vrrp_version", G, 1, 1, h_vrrp_version),
    kw("vrrp_strict", G, 0, 0, h_vrrp_strict),
    kw("vrrp_mcast_group4", G, 1, 1, h_mcast4),
    kw("vrrp_mcast_group6", G, 1, 1, h_mcast6),
    kw("vrrp_garp_master_delay", G, 1, 1, global_seconds<&global_defs::vrrp_garp_master_delay_>),
    kw("vrrp_garp_master_repeat", G, 1, 1, global_count<&global_defs::vrrp_garp_master_repeat_>),
    kw("vrrp_garp_master_refresh", G, 1, 1, global_seconds<&global_defs::vrrp_garp_master_refresh_>),
    kw("vrrp_garp_master_refresh_repeat", G, 1, 1, global_count<&global_defs::vrrp_garp_master_refresh_repeat_>),
    kw("vrrp_garp_interval", G, 1, 1, global_positive_seconds<&global_defs::vrrp_garp_interval_>),
    kw("vrrp_gna_interval", G, 1, 1, global_positive_seconds<&global_defs::vrrp_gna_interval_>),
    kw("vrrp_garp_lower_prio_delay", G, 1, 1, h_decimal_any),
    kw("vrrp_garp_lower_prio_repeat", G, 1, 1, h_unsigned_any),
    kw("vrrp_garp_extra_if", G, 0, 2, h_garp_extra_if),
    kw("vrrp_min_garp", G, 0, 1), kw("vrrp_lower_prio_no_advert", G, 0, 1),
    kw("vrrp_higher_prio_send_advert", G, 0, 1), kw("vrrp_down_timer_adverts", G, 1, 1, h_unsigned_any),
    kw("vrrp_skip_check_adv_addr", G, 0, 1, h_skip_check_adv),
    kw("vrrp_check_unicast_src", G, 0, 0, h_check_unicast_src),
    kw("vrrp_iptables", G, 0, 2), kw("vrrp_ipsets", G, 0, 5),
    kw("nftables", G, 0, 1), kw("nftables_priority", G, 1, 1), kw("nftables_ifindex", G, 0, 0),
    kw("nftables_counters", G, 0, 0), kw("nftables_ipvs", G, 0, 1),
    kw("nftables_ipvs_priority", G, 1, 1), kw("nftables_ipvs_start_fwmark", G, 1, 1),
    kw("vrrp_priority", G, 1, 1), kw("checker_priority", G, 1, 1), kw("bfd_priority", G, 1, 1),
    kw("vrrp_no_swap", G, 0, 0), kw("checker_no_swap", G, 0, 0), kw("bfd_no_swap", G, 0, 0),
    kw("vrrp_rt_priority", G, 1, 1), kw("checker_rt_priority", G, 1, 1), kw("bfd_rt_priority", G, 1, 1),
    kw("vrrp_rlimit_rttime", G, 1, 1), kw("checker_rlimit_rttime", G, 1, 1), kw("bfd_rlimit_rttime", G, 1, 1),
    kw("vrrp_cpu_affinity", G, 1, N), kw("checker_cpu_affinity", G, 1, N), kw("bfd_cpu_affinity", G, 1, N),
    kw("vrrp_startup_delay", G, 1, 1, h_decimal_any),
    kw("vrrp_notify_fifo", G, 1, 3), kw("vrrp_notify_fifo_script", G, 1, N),
    kw("lvs_notify_fifo", G, 1, 3), kw("lvs_notify_fifo_script", G, 1, N),
    kw("notify_fifo", G, 1, 3), kw("notify_fifo_script", G, 1, N),
    kw("vrrp_notify_priority_changes", G, 0, 1), kw("fifo_write_vrrp_states_on_reload", G, 0, 0),
    kw("lvs_timeouts", G, 2, 6), kw("lvs_sync_daemon", G, 2, N, h_lvs_sync_daemon),
    kw("lvs_flush", G, 0, 0), kw("lvs_flush_on_stop", G, 0, 1),
    kw("default_interface", G, 1, 1, h_default_interface),
    kw("dynamic_interfaces", G, 0, 1, h_dynamic_interfaces),
    kw("process_names", G, 0, 0), kw("process_name", G, 1, 1), kw("vrrp_process_name", G, 1, 1),
    kw("checker_process_name", G, 1, 1), kw("bfd_process_name", G, 1, 1),
    kw("startup_script", G, 1, 3), kw("startup_script_timeout", G, 1, 1),
    kw("shutdown_script", G, 1, 3), kw("shutdown_script_timeout", G, 1, 1),
    kw("tmp_config_directory", G, 1, 1), kw("config_save_dir", G, 1, 1),
    kw("umask", G, 1, N), kw("random_seed", G, 1, 1), kw("data_use_instance", G, 0, 0),
    kw("enable_snmp_vrrp", G, 0, 0), kw("enable_snmp_checker", G, 0, 0), kw("enable_snmp_rfc", G, 0, 0),
    kw("enable_snmp_rfcv2", G, 0, 0), kw("enable_snmp_rfcv3", G, 0, 0), kw("enable_traps", G, 0, 0),
    kw("enable_snmp_keepalived", G, 0, 0), kw("snmp_socket", G, 1, 1),
    kw("enable_dbus", G, 0, 0), kw("dbus_service_name", G, 1, 1), kw("disable_local_igmp", G, 0, 0),
    kw("log_unknown_vrids", G, 0, 0), kw("vmac_prefix", G, 1, 1), kw("vmac_addr_prefix", G, 1, 1),
    kw("max_auto_priority", G, 0, 1), kw("min_auto_priority_delay", G, 1, 1),
    kw("rs_init_notifies", G, 0, 0), kw("no_checker_emails", G, 0, 0),
    kw("reload_check_config", G, 0, 1), kw("reload_time_file", G, 1, 1), kw("reload_repeat", G, 0, 0),
    kw("reload_file", G, 0, 1), kw("include_check", G, 0, N),
    kw("vrrp_rx_bufs_policy", G, 1, N), kw("vrrp_rx_bufs_multiplier", G, 1, 1),
    kw("vrrp_netlink_cmd_rcv_bufs", G, 1, 1), kw("vrrp_netlink_cmd_rcv_bufs_force", G, 0, 1),
    kw("vrrp_netlink_monitor_rcv_bufs", G, 1, 1), kw("vrrp_netlink_monitor_rcv_bufs_force", G, 0, 1),
    kw("lvs_netlink_cmd_rcv_bufs", G, 1, 1), kw("lvs_netlink_cmd_rcv_bufs_force", G, 0, 1),
    kw("lvs_netlink_monitor_rcv_bufs", G, 1, 1), kw("lvs_netlink_monitor_rcv_bufs_force", G, 0, 1),
    kw("process_monitor_rcv_bufs", G, 1, 1), kw("process_monitor_rcv_bufs_force", G, 0, 1),
    kw("vrrp_garp_master_refresh_interval", G, 1, 1),

    // vrrp_script.
    kw("script", in(c::vrrp_script), 1, N, h_script),
    kw("interval", in(c::vrrp_script), 1, 1, h_script_interval),
    kw("timeout", in(c::vrrp_script), 1, 1, h_script_timeout),
    kw("weight", in(c::vrrp_script, c::vrrp_track_process, c::vrrp_track_file), 1, 2, h_weight),
    kw("rise", in(c::vrrp_script), 1, 1, h_rise),
    kw("fall", in(c::vrrp_script), 1, 1, h_fall),
    kw("init_fail", in(c::vrrp_script), 0, 0, h_init_fail),
    kw("user", in(c::vrrp_script, c::misc_check), 1, 2, h_user),

    // vrrp_track_process / vrrp_track_file.
    kw("process", in(c::vrrp_track_process), 1, N, h_process),
    kw("param_match", in(c::vrrp_track_process), 1, 1),
    kw("quorum", in(c::vrrp_track_process), 1, 1, h_quorum_tp),
    kw("quorum_max", in(c::vrrp_track_process), 1, 1, h_quorum_max),
    kw("delay", in(c::vrrp_track_process), 1, 1, h_tp_delay),
    kw("terminate_delay", in(c::vrrp_track_process), 1, 1, h_decimal_any),
    kw("fork_delay", in(c::vrrp_track_process), 1, 1, h_decimal_any),
    kw("full_command", in(c::vrrp_track_process), 0, 0),
    kw("file", in(c::vrrp_track_file), 1, 1, h_file),
    kw("init_file", in(c::vrrp_track_file), 0, 2, h_init_file),

    // vrrp_instance.
    kw("state", VI, 1, 1, h_state),
    kw("interface", VI | in(c::garp_group), 1, 1, h_interface),
    kw("virtual_router_id", VI, 1, 1, h_vrid),
    kw("priority", VI, 1, 1, h_priority),
    kw("advert_int", VI, 1, 1, h_advert_int),
    kw("version", VI, 1, 1, h_version),
    blk("authentication", VI, 0, 0, c::authentication, h_authentication),
    kw("auth_type", in(c::authentication), 1, 1, h_auth_type),
    kw("auth_pass", in(c::authentication), 1, 1, h_auth_pass),
    blk("virtual_ipaddress", VI, 0, 0, c::ip_list, h_vip),
    blk("virtual_ipaddress_excluded", VI, 0, 0, c::ip_list, h_vip_excluded),
    blk("virtual_routes", VI, 0, 0, c::route_list, h_virtual_routes),
    blk("virtual_rules", VI, 0, 0, c::rule_list, h_virtual_rules),
    kw("unicast_src_ip", VI, 1, 1, h_unicast_src_ip),
    blk("unicast_peer", VI, 0, 0, c::peer_list, h_unicast_peer),
    kw("mcast_src_ip", VI, 1, 1, h_mcast_src_ip),
    kw("mcast_dst_ip", VI, 1, 1), kw("unicast_ttl", VI, 1, 1), kw("unicast_fault_no_peer", VI, 0, 0),
    kw("check_unicast_src", VI, 0, 0), kw("old_unicast_checksum", VI, 0, 1),
    blk("track_script", VI | SG, 0, 0, c::track_script_list, h_track_script),
    blk("track_interface", VI | SG, 0, 0, c::track_interface_list, h_track_interface),
    blk("track_file", VI | SG, 0, 0, c::track_name_list, h_track_file_list),
    blk("track_process", VI | SG, 0, 0, c::track_name_list, h_track_process_list),
    blk("track_bfd", VI | SG, 0, 0, c::track_name_list, h_track_bfd_list),
    kw("track_src_ip", VI, 0, 0),
    kw("notify_master", VI | SG, 1, N, notify_script<&vrrp_instance::notify_master_, &vrrp_sync_group::notify_master_>),
    kw("notify_backup", VI | SG, 1, N, notify_script<&vrrp_instance::notify_backup_, &vrrp_sync_group::notify_backup_>),
    kw("notify_fault", VI | SG, 1, N, notify_script<&vrrp_instance::notify_fault_, &vrrp_sync_group::notify_fault_>),
    kw("notify_stop", VI | SG, 1, N, notify_script<&vrrp_instance::notify_stop_, &vrrp_sync_group::notify_stop_>),
    kw("notify_deleted", VI | SG, 0, N),
    kw("notify", VI | SG, 1, N, notify_script<&vrrp_instance::notify_, &vrrp_sync_group::notify_>),
    kw("notify_master_rx_lower_pri", VI, 1, N), kw("notify_priority_changes", VI | SG, 0, 1),
    kw("nopreempt", VI, 0, 0, h_nopreempt),
    kw("preempt", VI, 0, 0, h_preempt),
    kw("preempt_delay", VI, 1, 1, h_preempt_delay),
    kw("accept", VI, 0, 0, h_accept),
    kw("no_accept", VI, 0, 0, h_no_accept),
    kw("use_vmac", VI, 0, 1, h_use_vmac),
    kw("vmac_xmit_base", VI, 0, 0), kw("use_vmac_addr", VI, 0, 0), kw("use_ipvlan", VI, 0, 3),
    kw("native_ipv6", VI, 0, 0), kw("dont_track_primary", VI, 0, 0, h_dont_track_primary),
    kw("skip_check_adv_addr", VI, 0, 1), kw("strict_mode", VI, 0, 1),
    kw("garp_master_delay", VI, 1, 1, instance_seconds<&vrrp_instance::garp_master_delay_>),
    kw("garp_master_repeat", VI, 1, 1, instance_count<&vrrp_instance::garp_master_repeat_>),
    kw("garp_master_refresh", VI, 1, 1, instance_seconds<&vrrp_instance::garp_master_refresh_>),
    kw("garp_master_refresh_repeat", VI, 1, 1, instance_count<&vrrp_instance::garp_master_refresh_repeat_>),
    kw("garp_lower_prio_delay", VI, 1, 1, h_decimal_any), kw("garp_lower_prio_repeat", VI, 1, 1, h_unsigned_any),
    kw("garp_extra_if", VI, 0, 2, h_garp_extra_if),
    kw("lower_prio_no_advert", VI, 0, 1), kw("higher_prio_send_advert", VI, 0, 1),
    kw("down_timer_adverts", VI, 1, 1, h_unsigned_any), kw("kernel_rx_buf_size", VI, 1, 1),
    kw("promote_secondaries", VI, 0, 0), kw("vrf", VI, 1, 1), kw("debug", VI, 0, 1),
    kw("lvs_sync_daemon_interface", VI, 1, 1, h_lvs_sync_daemon_interface),

    // vrrp_sync_group.
    blk("group", SG, 0, 0, c::sync_members, h_group),
    kw("global_tracking", SG, 0, 0), kw("sync_group_tracking_weight", SG, 0, 0),

    // virtual_server.
    kw("delay_loop", VS | CK, 1, 1, h_delay_loop),
    kw("lvs_sched", VS, 1, 1, h_lvs_sched),
    old(kw("lb_algo", VS, 1, 1, h_lvs_sched), "lvs_sched", "1.2.0", old_name::alias),
    kw("lvs_method", VS | RS, 1, 1, h_lvs_method),
    old(kw("lb_kind", VS, 1, 1, h_lvs_method), "lvs_method", "1.2.0", old_name::alias),
    kw("persistence_timeout", VS, 0, 1, h_persistence_timeout),
    kw("persistence_granularity", VS, 1, 1, h_persistence_granularity),
    kw("persistence_engine", VS, 1, 1),
    kw("protocol", VS, 1, 1, h_protocol),
    kw("ha_suspend", VS, 0, 0, h_ha_suspend),
    kw("ops", VS, 0, 0, h_sched_flag<&virtual_server::ops_>),
    kw("sh-port", VS, 0, 0, h_sched_flag<&virtual_server::sh_port_>),
    kw("sh-fallback", VS, 0, 0, h_sched_flag<&virtual_server::sh_fallback_>),
    kw("mh-port", VS, 0, 0, h_sched_flag<&virtual_server::mh_port_>),
    kw("mh-fallback", VS, 0, 0, h_sched_flag<&virtual_server::mh_fallback_>),
    // flag-1/flag-2 are the sh/mh "port" and "fallback" bits (IP_VS_SVC_F_SCHED1/2); flag-3 is
    // unused by every scheduler.
    kw("flag-1", VS, 0, 0, h_sched_flag<&virtual_server::sh_fallback_>),
    kw("flag-2", VS, 0, 0, h_sched_flag<&virtual_server::sh_port_>),
    kw("flag-3", VS, 0, 0),
    kw("virtualhost", VS | RS | in(c::http_check, c::url), 1, 1, h_virtualhost),
    kw("alpha", VS | RS | CK, 0, 0, h_alpha),
    kw("omega", VS, 0, 0, h_omega),
    kw("quorum", VS, 1, 1, h_quorum_vs),
    kw("quorum_up", VS, 1, N, h_quorum_up), kw("quorum_down", VS, 1, N, h_quorum_down),
    kw("hysteresis", VS, 1, 1, h_hysteresis),
    kw("sorry_server", VS, 1, 2, h_sorry_server),
    kw("sorry_server_inhibit", VS, 0, 0, h_sorry_server_inhibit),
    kw("sorry_server_lvs_method", VS, 1, 1),
    kw("ip_family", VS, 1, 1),
    kw("snmp_name", VS | RS, 1, 1),
    kw("retry", VS | RS | CK, 1, 1, h_retry),
    kw("delay_before_retry", VS | RS | CK, 1, 1, h_delay_before_retry),
    kw("connect_timeout", VS | RS | CONN, 1, 1, h_connect_timeout),
    kw("warmup", VS | RS | CK, 1, 1, h_warmup),
    kw("inhibit_on_failure", VS | RS, 0, 1, h_inhibit),
    obsolete(kw("nat_mask", VS, 1, 1), "1.2.0"),
    blk("real_server", VS, 1, 2, c::real_server, h_real_server),

    // real_server.
    kw("weight", RS, 1, 1, h_rs_weight),
    kw("notify_up", RS, 1, N, h_notify_up),
    kw("notify_down", RS, 1, N, h_notify_down),
    kw("uthreshold", RS, 1, 1), kw("lthreshold", RS, 1, 1),
    kw("fast_recovery", VS | RS, 0, 0),
    kw("http_protocol", VS | RS | in(c::http_check), 1, 1, h_http_protocol),
    blk("TCP_CHECK", RS, 0, 0, c::tcp_check, h_checker<checker_kind::tcp>),
    blk("HTTP_GET", RS, 0, 0, c::http_check, h_checker<checker_kind::http_get>),
    blk("SSL_GET", RS, 0, 0, c::http_check, h_checker<checker_kind::ssl_get>),
    blk("MISC_CHECK", RS, 0, 0, c::misc_check, h_checker<checker_kind::misc>),
    blk("SMTP_CHECK", RS, 0, 0, c::smtp_check, h_checker<checker_kind::smtp>),
    blk("DNS_CHECK", RS, 0, 0, c::dns_check, h_checker<checker_kind::dns>),
    blk("UDP_CHECK", RS, 0, 0, c::udp_check, h_checker<checker_kind::udp>),
    blk("PING_CHECK", RS, 0, 0, c::ping_check, h_checker<checker_kind::ping>),
    blk("FILE_CHECK", RS, 0, 0, c::file_check, h_checker<checker_kind::file>),
    blk("BFD_CHECK", RS, 0, 0, c::bfd_check, h_checker<checker_kind::bfd>),

    // Checkers.
    kw("connect_ip", CONN, 1, 1, h_connect_ip),
    kw("connect_port", CONN, 1, 1, h_connect_port),
    kw("bindto", CONN, 1, 1, h_bindto),
    kw("bind_port", CONN, 1, 1, h_bind_port),
    kw("bind_if", CONN, 1, 1),
    kw("fwmark", CONN, 1, 1, h_checker_fwmark),
    kw("log_all_failures", CK, 0, 1, h_log_all_failures),
    old(kw("nb_get_retry", CK, 1, 1, h_retry), "retry", "1.3.0", old_name::deprecated),
    blk("url", in(c::http_check), 0, 0, c::url, h_url),
    kw("enable_sni", in(c::http_check), 0, 1, h_enable_sni), kw("fast_recovery", CK, 0, 0),
    kw("path", in(c::url), 1, 1, h_path),
    kw("digest", in(c::url), 1, 1, h_digest),
    kw("status_code", in(c::url), 1, N, h_status_code),
    kw("regex", in(c::url), 1, 1, h_regex), kw("regex_no_match", in(c::url), 0, 0, h_regex_no_match),
    kw("regex_options", in(c::url), 1, N), kw("regex_stack", in(c::url), 1, 2),
    kw("regex_min_offset", in(c::url), 1, 1), kw("regex_max_offset", in(c::url), 1, 1),
    kw("misc_path", in(c::misc_check), 1, N, h_misc_path),
    kw("misc_timeout", in(c::misc_check), 1, 1, h_misc_timeout),
    kw("misc_dynamic", in(c::misc_check), 0, 0, h_misc_dynamic),
    kw("helo_name", in(c::smtp_check), 1, 1, h_helo_name),
    blk("host", in(c::smtp_check), 0, 0, c::smtp_host),
    kw("connect_ip", in(c::smtp_host), 1, 1), kw("connect_port", in(c::smtp_host), 1, 1),
    kw("bindto", in(c::smtp_host), 1, 1), kw("bind_port", in(c::smtp_host), 1, 1),
    kw("connect_timeout", in(c::smtp_host), 1, 1), kw("fwmark", in(c::smtp_host), 1, 1),
    kw("type", in(c::dns_check), 1, 1, h_dns_type),
    kw("name", in(c::dns_check, c::bfd_check), 1, 1, h_bfd_name),
    kw("payload", in(c::udp_check), 1, 1, h_payload),
    kw("require_reply", in(c::udp_check), 0, 1, h_require_reply),
    kw("min_reply_length", in(c::udp_check), 1, 1), kw("max_reply_length", in(c::udp_check), 1, 1),
    kw("track_file", in(c::file_check), 1, 1, h_checker_track_file),
    kw("dynamic", in(c::file_check), 0, 0),
    kw("weight", in(c::file_check, c::bfd_check), 1, 2),

    // bfd_instance, garp_group, SSL.
    kw("neighbor_ip", in(c::bfd_instance), 1, 1), kw("source_ip", in(c::bfd_instance), 1, 1),
    kw("min_rx", in(c::bfd_instance), 1, 1), kw("min_tx", in(c::bfd_instance), 1, 1),
    kw("idle_tx", in(c::bfd_instance), 1, 1), kw("multiplier", in(c::bfd_instance), 1, 1),
    kw("passive", in(c::bfd_instance), 0, 0), kw("ttl", in(c::bfd_instance), 1, 1),
    kw("hoplimit", in(c::bfd_instance), 1, 1), kw("max_hops", in(c::bfd_instance), 1, 1),
    kw("vrrp", in(c::bfd_instance), 0, 0), kw("checker", in(c::bfd_instance), 0, 0),
    kw("weight", in(c::bfd_instance), 1, 1),
    kw("garp_interval", in(c::garp_group), 1, 1), kw("gna_interval", in(c::garp_group), 1, 1),
    blk("interfaces", in(c::garp_group), 0, 0, c::name_list, h_names),
    kw("password", in(c::ssl), 1, 1), kw("ca", in(c::ssl), 1, 1),
    kw("certificate", in(c::ssl), 1, 1), kw("key", in(c::ssl), 1, 1),
};

std::string lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return r;
}

std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string_view context_name(context x) {
  switch (x) {
    case c::none: return "";
    case c::top: return "the top level";
    case c::global_defs: return "global_defs";
    case c::notification_email: return "notification_email";
    case c::vrrp_script: return "vrrp_script";
    case c::vrrp_track_process: return "vrrp_track_process";
    case c::vrrp_track_file: return "vrrp_track_file";
    case c::vrrp_instance: return "vrrp_instance";
    case c::authentication: return "authentication";
    case c::ip_list: return "virtual_ipaddress";
    case c::route_list: return "virtual_routes";
    case c::rule_list: return "virtual_rules";
    case c::track_script_list: return "track_script";
    case c::track_interface_list: return "track_interface";
    case c::track_name_list: return "track_file/track_process";
    case c::peer_list: return "unicast_peer";
    case c::sync_group: return "vrrp_sync_group";
    case c::sync_members: return "group";
    case c::virtual_server: return "virtual_server";
    case c::real_server: return "real_server";
    case c::tcp_check: return "TCP_CHECK";
    case c::http_check: return "HTTP_GET/SSL_GET";
    case c::misc_check: return "MISC_CHECK";
    case c::smtp_check: return "SMTP_CHECK";
    case c::smtp_host: return "host";
    case c::dns_check: return "DNS_CHECK";
    case c::udp_check: return "UDP_CHECK";
    case c::ping_check: return "PING_CHECK";
    case c::file_check: return "FILE_CHECK";
    case c::bfd_check: return "BFD_CHECK";
    case c::url: return "url";
    case c::vs_group: return "virtual_server_group";
    case c::bfd_instance: return "bfd_instance";
    case c::garp_group: return "garp_group";
    case c::ssl: return "SSL";
    case c::name_list: return "list";
    case c::count_: break;
  }
  return "?";
}

bool is_list_context(context x) {
  switch (x) {
    case c::notification_email: case c::ip_list: case c::route_list: case c::rule_list:
    case c::track_script_list: case c::track_interface_list: case c::track_name_list:
    case c::peer_list: case c::sync_members: case c::vs_group: case c::name_list:
      return true;
    default:
      return false;
  }
}

handler list_entry_handler(context x) {
  switch (x) {
    case c::notification_email: return e_email;
    case c::ip_list: return e_ip;
    case c::route_list: return e_route;
    case c::rule_list: return e_rule;
    case c::track_script_list: case c::track_interface_list: case c::track_name_list:
      return e_tracked;
    case c::peer_list: return e_peer;
    case c::sync_members: return e_name;
    case c::vs_group: return e_vs_group;
    case c::name_list: return e_name;
    default: return accept;
  }
}

std::span<const keyword> keyword_table() { return table; }

namespace {

// The length and the first two and last two characters: enough to tell the table's names
// apart (the probes stay short, see name_index), and a few instructions instead of a multiply
// per character.
constexpr std::uint32_t name_hash(std::string_view s) {
  if (s.empty()) return 0;
  const auto at = [&s](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i]));
  };
  const std::size_t n = s.size();
  const std::uint32_t h = static_cast<std::uint32_t>(n) * 0x9E3779B1U ^ at(0) << 24 ^
                          at(n > 1 ? 1 : 0) << 16 ^ at(n - 1) << 8 ^ at(n > 1 ? n - 2 : 0) ^
                          at(n / 2) << 4;
  return (h * 0x85EBCA6BU) >> 16;
}

// Names compared without a call to memcmp, eight bytes at a time (a byte loop's varying exit
// was most of a lookup): the last chunk overlaps the one before it.
constexpr bool same_name(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  if (std::is_constant_evaluated() || n < 8) {
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  const auto load = [](const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  };
  for (std::size_t i = 0; i + 8 < n; i += 8) {
    if (load(a.data() + i) != load(b.data() + i)) return false;
  }
  return load(a.data() + n - 8) == load(b.data() + n - 8);
}

// The table's entries by name in an open-addressing hash table, so a lookup (every statement,
// some twice) is a hash and one comparison. Built by the compiler: built at start-up it cost
// a sort, 64 KiB of slots to fault in and fill, and a few percent of checking the corpus.
struct name_index {
  static constexpr std::size_t size = 2048;  // a power of two, over twice the distinct names
  static constexpr std::uint16_t none = 0xffff;
  // The table position of the first entry of each name; none: an empty slot, ending a probe.
  std::array<std::uint16_t, size> slots_;
  // The next entry of the same name in table order, or none.
  std::array<std::uint16_t, std::size(table)> next_;

  constexpr name_index() : slots_{}, next_{} {
    static_assert(std::size(table) < size / 2, "the table keeps empty slots to end a probe");
    slots_.fill(none);
    next_.fill(none);
    for (std::size_t i = 0; i < std::size(table); ++i) {
      for (std::size_t at = name_hash(table[i].name_) & (size - 1);; at = (at + 1) & (size - 1)) {
        if (slots_[at] == none) {
          slots_[at] = static_cast<std::uint16_t>(i);
          break;
        }
        if (same_name(table[slots_[at]].name_, table[i].name_)) {
          std::size_t k = slots_[at];
          while (next_[k] != none) k = next_[k];
          next_[k] = static_cast<std::uint16_t>(i);
          break;
        }
      }
    }
  }
  // The table position of the first entry named `name`, or none.
  std::uint16_t first(std::string_view name) const {
    for (std::size_t at = name_hash(name) & (size - 1);; at = (at + 1) & (size - 1)) {
      const std::uint16_t k = slots_[at];
      if (k == none || same_name(table[k].name_, name)) return k;
    }
  }
};

constexpr name_index index_by_name;

// The longest probe for a name of the table: the hash keeps them short.
constexpr std::size_t longest_probe() {
  std::size_t longest = 0;
  for (const keyword& k : table) {
    std::size_t probe = 1;
    for (std::size_t at = name_hash(k.name_) & (name_index::size - 1);
         !same_name(table[index_by_name.slots_[at]].name_, k.name_);
         at = (at + 1) & (name_index::size - 1)) {
      ++probe;
    }
    longest = std::max(longest, probe);
  }
  return longest;
}
static_assert(longest_probe() <= 3, "name_hash tells the table's names apart");  // 3 today

}  // namespace

const keyword* find_keyword(std::string_view name, context where) {
  for (std::uint16_t k = index_by_name.first(name); k != name_index::none;
       k = index_by_name.next_[k]) {
    if ((table[k].where_ & in(where)) != 0) return &table[k];
  }
  return nullptr;
}

const keyword* find_keyword_anywhere(std::string_view name) {
  const std::uint16_t k = index_by_name.first(name);
  return k == name_index::none ? nullptr : &table[k];
}

std::string_view suggest_keyword(std::string_view name, context where) {
  const std::string l = lower(name);
  std::string_view best;
  std::size_t best_d = 3;
  for (const keyword& k : table) {
    if ((k.where_ & in(where)) == 0 || !k.current_name_.empty() || k.obsolete_) continue;
    const std::size_t d = lower(k.name_) == l ? 0 : distance(l, lower(k.name_));
    const std::size_t limit = std::min<std::size_t>(2, k.name_.size() / 3);
    if (d <= limit && d < best_d) {
      best = k.name_;
      best_d = d;
    }
  }
  return best;
}

}  // namespace tandem::parsers::keepalived
