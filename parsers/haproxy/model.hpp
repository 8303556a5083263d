// The typed model of an HAProxy configuration: what the keyword handlers (keywords.cpp) build
// from the syntax tree and what the runtime's assemble step, the checker and the tests read.
// Plain structs (no PEGTL, no Boost). Removed and renamed keywords are already lowered to
// their modern meaning here (contimeout -> timeouts_["connect"], `listen NAME ADDR` -> a bind,
// reqadd -> an "http-request add-header" rule), and every part keeps its source position.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parsers/common/position.hpp"

namespace tandem::parsers::haproxy {

// A proxy's capabilities, as HAProxy's PR_CAP_*: a listen section is frontend | backend.
enum capability : std::uint8_t {
  cap_none = 0,
  cap_defaults = 1,
  cap_frontend = 2,
  cap_backend = 4,
  cap_listen = cap_frontend | cap_backend,
};

enum class proxy_mode : std::uint8_t { tcp, http, health, log, spop };

// Milliseconds; HAProxy's timeouts are unsigned and 0 means "not set".
using milliseconds = std::uint64_t;

// An address as HAProxy writes it: "[family@]host[:port[-port]]", "*:80", "/run/x.sock",
// "unix@…", "abns@…", "fd@3". Parsed by the checks (analyse.cpp), words kept as written.
struct address {
  std::string text_;    // as written (after quoting/expansion)
  std::string family_;  // "" (inet), "ipv4", "ipv6", "unix", "abns", "fd", "sockpair", "udp", …
  std::string host_;    // "" or "*" for any; a path for unix sockets; fd number for fd@
  std::optional<std::uint16_t> port_;
  std::optional<std::uint16_t> port_last_;  // a range "80-90"
  bool port_offset_ = false;                // "+10" / "-10" (servers only)
};

// A keyword's words after the keyword itself, with the position of the line.
struct words_at {
  std::vector<std::string> words_;
  source_position position_;
};

struct bind {
  std::vector<address> addresses_;  // "bind a:80,b:81" lists several
  // Options in order: name -> value ("" for flags such as "ssl", "accept-proxy").
  std::vector<std::pair<std::string, std::string>> options_;
  bool ssl_ = false;
  std::vector<std::string> certificates_;  // crt values (a file or a directory)
  source_position position_;
  // Came from the address of an old `listen NAME ADDR` / `frontend NAME ADDR` header.
  bool from_header_ = false;
};

struct server {
  std::string name_;
  address address_;
  std::vector<std::pair<std::string, std::string>> options_;
  bool check_ = false;
  bool backup_ = false;
  bool ssl_ = false;
  bool disabled_ = false;
  std::optional<std::uint32_t> weight_;
  std::optional<milliseconds> inter_;
  std::optional<std::uint32_t> rise_;
  std::optional<std::uint32_t> fall_;
  std::optional<std::uint32_t> maxconn_;
  std::optional<std::string> cookie_;
  source_position position_;
  bool from_dispatch_ = false;  // a `dispatch ADDR` line
};

struct acl {
  std::string name_;
  std::vector<std::string> criterion_;  // fetch, flags and patterns
  source_position position_;
};

// A rule such as "http-request set-header X-Foo bar if cond": the rule keyword (http-request,
// http-response, http-after-response, tcp-request, tcp-response, http-check, tcp-check, stick,
// redirect, …), its words (action first) and, when it came from a removed keyword (reqadd …),
// that keyword.
struct rule {
  std::string keyword_;
  std::vector<std::string> words_;
  source_position position_;
  std::string lowered_from_;  // "" or e.g. "reqadd"
};

struct backend_switch {
  std::string backend_;
  std::vector<std::string> condition_;  // "if"/"unless" and what follows; empty for always
  source_position position_;
};

// `option NAME [args…]` or `no option NAME`.
struct option_setting {
  bool enabled_ = true;
  std::vector<std::string> arguments_;
  source_position position_;
};

struct http_check {
  std::string method_ = "OPTIONS";
  std::string uri_ = "/";
  std::string version_ = "HTTP/1.0";
  // Headers hidden in an old version string ("HTTP/1.1\r\nHost:\ www") come out here.
  std::vector<std::pair<std::string, std::string>> headers_;
  source_position position_;
};

struct stats_settings {
  bool enabled_ = false;
  std::optional<std::string> uri_;
  std::optional<std::string> realm_;
  std::vector<std::string> auth_;  // "user:password"
  std::optional<milliseconds> refresh_;
  bool hide_version_ = false;
  std::vector<std::vector<std::string>> admin_;  // conditions of "stats admin"
  std::vector<source_position> admin_positions_;  // of each "stats admin" line
  std::vector<std::string> scope_;
  bool show_legends_ = false;
  bool show_modules_ = false;
  std::optional<std::string> show_node_;  // "" without a name: the global node
  std::optional<std::string> show_desc_;  // "" without text: the global description
  std::vector<rule> http_request_;        // "stats http-request …" (allow, deny, auth)
  source_position position_;              // the first stats line of the section
};

struct log_setting {
  bool global_ = false;           // "log global"
  std::vector<std::string> words_;  // address, [len N], [format F], facility, levels
  source_position position_;
};

struct proxy {
  std::string name_;
  std::uint8_t capabilities_ = cap_none;
  source_position position_;  // of the section header
  std::string from_;          // the defaults section it was built from ("" when unnamed)
  proxy_mode mode_ = proxy_mode::tcp;
  bool mode_set_ = false;
  bool disabled_ = false;
  std::string description_;

  std::vector<bind> binds_;
  std::vector<server> servers_;
  std::vector<std::pair<std::string, std::string>> default_server_;  // default-server options
  std::optional<std::string> default_backend_;
  source_position default_backend_position_;
  std::vector<backend_switch> use_backends_;
  std::vector<acl> acls_;
  std::vector<rule> rules_;  // every rule keyword, in order
  std::vector<std::string> balance_;  // algorithm and its arguments; empty: roundrobin
  std::vector<std::string> cookie_;   // "SERVERID insert indirect nocache"
  std::map<std::string, milliseconds, std::less<>> timeouts_;  // "connect", "client", …
  std::map<std::string, option_setting, std::less<>> options_;  // "httplog", "forwardfor", …
  std::optional<http_check> http_check_;
  stats_settings stats_;
  std::vector<log_setting> logs_;
  std::vector<std::pair<std::string, std::string>> errorfiles_;  // status code -> file
  std::optional<std::uint32_t> maxconn_;
  std::optional<std::uint32_t> retries_;
  std::optional<std::string> monitor_uri_;
  std::vector<std::string> monitor_nets_;  // removed monitor-net, kept for the runtime
  // Every other keyword line, words as written after quoting (the runtime may use them).
  std::vector<words_at> other_;
};

struct stats_socket {
  std::vector<std::string> words_;  // address and bind options
  source_position position_;
};

struct global_settings {
  std::optional<std::uint32_t> maxconn_;
  std::optional<std::uint32_t> nbthread_;
  bool daemon_ = false;
  bool master_worker_ = false;
  std::string user_;
  std::string group_;
  std::string chroot_;
  std::string pidfile_;
  std::string crt_base_;
  std::string ca_base_;
  std::vector<log_setting> logs_;
  std::vector<stats_socket> stats_sockets_;
  std::optional<milliseconds> stats_timeout_;
  std::map<std::string, std::string, std::less<>> tune_;  // "tune.bufsize" -> "16384"
  std::vector<std::string> lua_files_;
  std::vector<words_at> other_;
};

struct userlist_user {
  std::string name_;
  std::string password_;  // as written (clear text or hash)
  bool insecure_ = false;  // insecure-password
  std::vector<std::string> groups_;
  source_position position_;
};

// `group NAME [users a,b]`.
struct userlist_group {
  std::string name_;
  std::vector<std::string> users_;
  source_position position_;
};

struct userlist {
  std::string name_;
  std::vector<std::string> groups_;
  std::vector<userlist_user> users_;
  source_position position_;
  std::vector<userlist_group> group_lines_;  // each `group` line with its users, in order
};

// The sections the runtime does not model yet (peers, resolvers, mailers, program,
// http-errors, ring, cache, log-forward, crt-store, traces): kept word for word.
struct other_section {
  std::string keyword_;
  std::string name_;
  std::vector<words_at> lines_;
  source_position position_;
};

struct config_model {
  global_settings global_;
  std::vector<proxy> defaults_;  // every defaults section, in order
  std::vector<proxy> proxies_;   // frontends, backends and listens, in order
  std::vector<userlist> userlists_;
  std::vector<other_section> others_;

  const proxy* find_proxy(std::string_view name, std::uint8_t capability) const {
    for (const proxy& p : proxies_) {
      if (p.name_ == name && (p.capabilities_ & capability) != 0) {
        return &p;
      }
    }
    return nullptr;
  }
};

}  // namespace tandem::parsers::haproxy
