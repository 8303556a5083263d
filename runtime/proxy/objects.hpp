// The proxy's run-time objects: frontends, backends and servers as the sessions use them,
// built once from the configuration by runtime/assemble and then shared, read-only but for
// the atomic counters and states, by every thread. No configuration types here.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <netinet/in.h>
#include <sys/socket.h>

#include "parsers/common/position.hpp"
#include "runtime/proxy/acl/condition.hpp"
#include "runtime/proxy/acl/regex.hpp"
#include "runtime/proxy/acl/userlist.hpp"
#include "runtime/proxy/balance/balancer.hpp"
#include "runtime/proxy/counters.hpp"
#include "runtime/proxy/http/message.hpp"
#include "runtime/proxy/log_record.hpp"
#include "runtime/proxy/stick/tracker.hpp"
#include "runtime/proxy/tls/context.hpp"

namespace tandem::runtime::proxy {

using milliseconds = std::chrono::milliseconds;

enum class mode : std::uint8_t { tcp, http };

// HAProxy's timeouts; zero means not set (no limit), as in HAProxy.
struct timeouts {
  milliseconds client_{0};
  milliseconds server_{0};
  milliseconds connect_{0};
  milliseconds http_request_{0};
  milliseconds http_keep_alive_{0};
  milliseconds queue_{0};
  milliseconds tunnel_{0};
  milliseconds client_fin_{0};
  milliseconds server_fin_{0};
  milliseconds tarpit_{0};
};

// What happens to connections after a response (HAProxy 2.x's default is keep-alive on both
// sides).
enum class http_connection_mode : std::uint8_t { keep_alive, server_close, close };

struct forwardfor_settings {
  bool enabled_ = false;
  std::string header_ = "x-forwarded-for";
  std::optional<std::pair<sockaddr_storage, unsigned>> except_;  // network, prefix length
  bool if_none_ = false;
};

enum class cookie_mode : std::uint8_t { insert, rewrite, prefix };

struct cookie_settings {
  std::string name_;
  cookie_mode mode_ = cookie_mode::rewrite;
  bool indirect_ = false;
  bool nocache_ = false;
  bool postonly_ = false;
  bool preserve_ = false;
  bool httponly_ = false;
  bool secure_ = false;
  std::vector<std::string> domains_;
  std::optional<std::string> attributes_;  // attr values, joined
};

// An http-request / http-response rule (and the legacy req*/rsp* lines lowered to them).
enum class http_action : std::uint8_t {
  allow,
  deny,
  tarpit,
  auth,
  redirect,
  add_header,
  set_header,
  del_header,
  replace_header,
  replace_value,
  set_path,
  set_uri,
  set_query,
  set_method,
  replace_path,
  return_,
  set_var,
  unset_var,
  set_status,
  reject,  // close the connection without an answer
  // HAProxy 1.x's req*/rsp* filters, run with their 1.8 meaning (legacy_rules.hpp).
  legacy_replace,  // reqrep, reqirep, rsprep, rspirep
  legacy_delete,   // reqdel, reqidel, rspdel, rspidel (regexes del-header cannot say)
  legacy_allow,    // reqallow, reqiallow
  legacy_deny,     // reqdeny, reqideny, rspdeny, rspideny
  legacy_tarpit,   // reqtarpit, reqitarpit
  legacy_add,      // reqadd, rspadd (lines add-header cannot say)
  // Stick counters (track_action below).
  track_sc,     // track-sc0|1|2 KEY [table T]
  sc_inc_gpc0,  // sc-inc-gpc0(N)
  sc_inc_gpc1,  // sc-inc-gpc1(N)
  sc_set_gpt0,  // sc-set-gpt0(N) VALUE
};

// track-scN KEY [table T] (tcp-request and http-request), and the sc-* actions' counter.
struct track_action {
  http_action action_ = http_action::track_sc;
  unsigned counter_ = 0;
  std::unique_ptr<acl::sample_expression> key_;
  stick::table* table_ = nullptr;
  std::int64_t value_ = 0;  // sc-set-gpt0
};

// stick match|on|store-request|store-response PATTERN [table T] [if|unless COND].
enum class stick_kind : std::uint8_t { match, on, store_request, store_response };
struct stick_rule {
  stick_kind kind_ = stick_kind::on;
  std::unique_ptr<acl::sample_expression> key_;
  stick::table* table_ = nullptr;
  std::unique_ptr<acl::condition> condition_;
};

enum class redirect_kind : std::uint8_t { location, prefix, scheme };

struct http_rule {
  http_action action_ = http_action::allow;
  std::string name_;                           // header name (lower-case), variable name
  std::unique_ptr<acl::format_string> value_;  // header value, path, location, …
  std::shared_ptr<const acl::regex> regex_;         // replace-header, replace-value, replace-path
  unsigned status_ = 0;                        // deny_status, redirect code, return status
  std::string realm_;                          // auth
  redirect_kind redirect_ = redirect_kind::location;
  bool drop_query_ = false;
  bool append_slash_ = false;
  std::string content_type_;  // return
  std::string body_;          // return (string / errorfile content)
  std::unique_ptr<acl::condition> condition_;  // nullptr: always
  std::string line_;  // legacy rules: the replacement or added line, as written
  std::unique_ptr<acl::sample_expression> expression_;  // set-var's sample expression
  std::unique_ptr<acl::format_string> body_format_;     // return lf-string / lf-file
  // return … hdr NAME FMT: the answer's extra headers.
  std::vector<std::pair<std::string, std::unique_ptr<acl::format_string>>> headers_;
  track_action track_;  // track_sc, sc_inc_gpc0/1, sc_set_gpt0
};

// `use_backend NAME [if COND]`; the name may be a log-format string.
struct backend_switch {
  std::string backend_;                         // a fixed name, or
  std::unique_ptr<acl::format_string> dynamic_;  // a %[…] name
  std::unique_ptr<acl::condition> condition_;
};

// `use-server NAME if COND`: the server (or a %[…] name) a request goes to before cookies and
// the balancer.
struct server;
struct server_switch {
  server* server_ = nullptr;                     // a fixed server, or
  std::unique_ptr<acl::format_string> dynamic_;  // a name from a log-format string
  std::unique_ptr<acl::condition> condition_;
};

enum class tcp_rule_action : std::uint8_t { accept, reject, track };  // track: track_ (any)

struct tcp_rule {
  bool content_ = false;  // tcp-request content (else connection)
  tcp_rule_action action_ = tcp_rule_action::accept;
  std::unique_ptr<acl::condition> condition_;
  track_action track_;  // track-scN
};

// Something that answers HTTP requests inside the proxy instead of a server: HAProxy's stats
// page (`stats enable`, `stats uri` …) on a frontend, backend or listen section.
class http_applet {
 public:
  virtual ~http_applet() = default;
  // Whether the request is the applet's (its URI prefix, its scope of proxies).
  virtual bool wants(const http::request_head& request) const = 0;
  // The whole response (head and body) to the request; `body` is the request's body (the
  // session reads it first, up to the frontend's buffer size). Sets `intercepted` in HAProxy's
  // sense. `source` answers the applet's conditions (stats admin if …).
  virtual std::string respond(const http::request_head& request, std::string_view body,
                              const acl::sample_source& source) = 0;
};

struct server {
  std::string name_;
  std::uint32_t id_ = 0;  // index in the backend
  std::uint32_t puid_ = 0;  // HAProxy's server id (`id`, else 1, 2, … in order): sid
  sockaddr_storage address_{};
  socklen_t address_length_ = 0;
  bool port_from_client_ = false;  // no port: the client's destination port (+ offset_)
  int port_offset_ = 0;
  std::atomic<std::uint32_t> weight_{1};  // the current user weight (set weight changes it)
  std::uint32_t initial_weight_ = 1;      // as configured (HAProxy's iweight)
  std::uint32_t maxconn_ = 0;
  bool backup_ = false;
  bool check_ = false;
  bool send_proxy_ = false;     // send-proxy: a PROXY v1 line first on each connection
  bool send_proxy_v2_ = false;  // send-proxy-v2: the binary header
  std::string cookie_;  // the value persistence cookies carry
  std::string address_text_;  // "127.0.0.1:8080" as the stats' addr column shows it
  sockaddr_storage source_{};    // `source ADDR[:PORT]` (server's, else its backend's)
  socklen_t source_length_ = 0;  // 0: the kernel chooses
  // `ssl`: TLS to this server (nullptr: plain), sending the SNI of `sni EXPR` (nullptr: none).
  std::shared_ptr<const tls::client_context> tls_;
  std::shared_ptr<const acl::sample_expression> tls_sni_;
  // Run-time state, shared by threads.
  std::atomic<bool> up_{true};
  std::atomic<bool> maintenance_{false};  // admin state MAINT (disabled, disable server, …)
  std::atomic<bool> drain_{false};        // admin state DRAIN: up, but no new traffic
  std::atomic<std::uint32_t> current_{0};
  std::atomic<std::uint64_t> total_{0};
  traffic_counters counters_;
  state_history history_;
  // The last check result, for the stats; written by the check, read by the stats.
  mutable std::mutex check_mutex_;
  check_snapshot check_state_;
};

// Requests waiting for a server slot (server maxconn), woken one at a time, in arrival order,
// as slots free. A waiter's wake_ runs on the releasing thread and must only post to its own.
struct request_queue {
  struct waiter {
    std::function<void()> wake_;
  };
  std::mutex mutex_;
  std::deque<std::shared_ptr<waiter>> waiting_;

  void push(std::shared_ptr<waiter> w) {
    std::lock_guard lock(mutex_);
    waiting_.push_back(std::move(w));
  }
  void remove(const std::shared_ptr<waiter>& w) {
    std::lock_guard lock(mutex_);
    std::erase(waiting_, w);
  }
  void wake_one() {
    std::shared_ptr<waiter> w;
    {
      std::lock_guard lock(mutex_);
      if (waiting_.empty()) return;
      w = std::move(waiting_.front());
      waiting_.pop_front();
    }
    w->wake_();
  }
};

// global h1-case-adjust: header names (lower-case) and the case to write them in, for the
// peers that `option h1-case-adjust-bogus-client|server` names.
using case_map = std::map<std::string, std::string, std::less<>>;

// http-reuse: whether requests may use idle server connections other sessions opened.
enum class http_reuse : std::uint8_t { never, safe, aggressive };

struct backend {
  std::string name_;
  std::uint32_t uid_ = 0;  // HAProxy's proxy id (iid); a listen's frontend and backend share it
  std::string description_;
  std::string algorithm_;  // "roundrobin" … as the stats' algo column shows it
  bool listen_ = false;    // the backend half of a listen section (HAProxy says "proxy")
  mode mode_ = mode::tcp;
  const case_map* case_adjust_ = nullptr;  // option h1-case-adjust-bogus-server
  bool buffer_request_ = false;            // option http-buffer-request
  http_reuse reuse_ = http_reuse::safe;
  std::vector<std::unique_ptr<server>> servers_;
  std::unique_ptr<balance::balancer> balancer_;
  std::optional<cookie_settings> cookie_;
  timeouts timeouts_;
  unsigned retries_ = 3;
  bool redispatch_ = false;
  forwardfor_settings forwardfor_;
  http_connection_mode connection_mode_ = http_connection_mode::keep_alive;
  std::vector<http_rule> request_rules_;
  std::vector<http_rule> response_rules_;
  std::vector<http_rule> after_response_rules_;  // http-after-response
  std::vector<server_switch> server_switches_;   // use-server
  std::map<unsigned, std::string> error_pages_;  // errorfile overrides, whole responses
  stick::table* table_ = nullptr;  // its stick-table (in proxy_set::tables_)
  std::vector<stick_rule> stick_rules_;
  // tcp-request content rules of a backend (not a listen's: those are its frontend's), run
  // once the backend is chosen, on what the frontend has read.
  std::vector<tcp_rule> tcp_rules_;
  request_queue queue_;
  std::unique_ptr<http_applet> stats_;  // stats enable/uri … in this backend or listen
  traffic_counters counters_;
  state_history history_;
  std::atomic<std::uint32_t> current_{0};  // streams being served (scur)

  server* find_server(std::string_view name) const {
    for (const auto& s : servers_) {
      if (s->name_ == name) return s.get();
    }
    return nullptr;
  }
  int usable_servers() const {
    int n = 0;
    for (const auto& s : servers_) {
      if (s->up_.load(std::memory_order_relaxed) && !s->maintenance_.load() && !s->backup_) ++n;
    }
    return n;
  }
  // Some server, active or backup, could take traffic (were it not full).
  bool any_usable() const {
    for (const auto& s : servers_) {
      if (s->up_.load(std::memory_order_relaxed) && !s->maintenance_.load() && s->weight_ != 0) {
        return true;
      }
    }
    return false;
  }
};

struct listen_address {
  sockaddr_storage address_{};
  socklen_t length_ = 0;
  std::string text_;  // for messages
  parsers::source_position position_;  // of its bind line
  std::string origin_;  // "file:line" of its bind line, for messages (set by the front-end)
  int backlog_ = 0;
  std::string interface_;
  bool transparent_ = false;
  bool v6only_ = false;
  bool accept_proxy_ = false;  // a PROXY protocol header comes first and names the client
  // Socket tuning of the bind line (0: the kernel's default).
  int defer_accept_ = 0;    // defer-accept: TCP_DEFER_ACCEPT seconds
  int fast_open_ = 0;       // tfo: TCP_FASTOPEN queue length
  int mss_ = 0;             // mss: TCP_MAXSEG
  unsigned user_timeout_ = 0;  // tcp-ut: TCP_USER_TIMEOUT milliseconds
  std::shared_ptr<const tls::server_context> tls_;  // `ssl`: TLS is terminated here
};

struct frontend {
  std::string name_;
  std::uint32_t uid_ = 0;  // HAProxy's proxy id (iid)
  std::string description_;
  mode mode_ = mode::tcp;
  const case_map* case_adjust_ = nullptr;  // option h1-case-adjust-bogus-client
  bool buffer_request_ = false;            // option http-buffer-request
  std::vector<listen_address> listeners_;
  timeouts timeouts_;
  acl::acl_set acls_;
  std::vector<tcp_rule> tcp_rules_;
  milliseconds inspect_delay_{0};
  std::vector<http_rule> request_rules_;
  std::vector<http_rule> response_rules_;
  std::vector<http_rule> after_response_rules_;  // http-after-response
  std::vector<backend_switch> switches_;
  backend* default_backend_ = nullptr;
  stick::table* table_ = nullptr;  // its stick-table (in proxy_set::tables_)
  forwardfor_settings forwardfor_;
  http_connection_mode connection_mode_ = http_connection_mode::keep_alive;
  std::map<unsigned, std::string> error_pages_;
  http::limits limits_;
  std::uint32_t maxconn_ = 0;
  std::atomic<std::uint32_t> current_{0};
  traffic_counters counters_;
  std::unique_ptr<http_applet> stats_;  // stats enable/uri … in this frontend (not a listen's)
  std::shared_ptr<traffic_logger> logger_;  // nullptr: no traffic log
  std::vector<capture_spec> request_captures_;
  std::vector<capture_spec> response_captures_;
  std::optional<capture_spec> request_cookie_capture_;   // capture cookie NAME len N
  std::optional<capture_spec> response_cookie_capture_;  // (the Set-Cookie side)
};

// Everything one configuration runs.
struct proxy_set {
  // First: the conditions of the proxies below hold its userlists.
  std::shared_ptr<const acl::userlist_set> userlists_;
  std::vector<std::unique_ptr<backend>> backends_;
  std::vector<std::unique_ptr<frontend>> frontends_;
  // The stick tables, each named after its proxy (the stats socket's show/clear/set table).
  std::vector<std::unique_ptr<stick::table>> tables_;
  std::uint32_t global_maxconn_ = 0;
  unsigned threads_ = 0;
  case_map case_adjust_;
  std::atomic<std::uint32_t> current_{0};
  std::atomic<std::uint64_t> connections_total_{0};  // show info's CumConns
  std::chrono::system_clock::time_point started_ = std::chrono::system_clock::now();
  std::string node_;         // global node (default: the host name)
  std::string description_;  // global description

  backend* find_backend(std::string_view name) const {
    for (const auto& b : backends_) {
      if (b->name_ == name) return b.get();
    }
    return nullptr;
  }
  stick::table* find_table(std::string_view name) const {
    for (const auto& t : tables_) {
      if (t->name() == name) return t.get();
    }
    return nullptr;
  }
};

}  // namespace tandem::runtime::proxy
