// HAProxy 2.6.12's statistics fields (src/stats.c: stat_fields_info, stats_fill_fe_stats,
// stats_fill_sv_stats, stats_fill_be_stats, stats_dump_fields_csv/typed/json) rebuilt from the
// proxy's run-time objects. Which cell is empty for which row, and each field's tags, were
// measured with Debian's haproxy (`show stat`, `show stat typed`, `show stat json`).
#include "runtime/proxy/stats/fields.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <thread>

namespace tandem::runtime::proxy::stats {

namespace {

// HAProxy's ST_F_* indexes, then the modules' fields (ssl, h2, h1) as the CSV numbers them.
enum col : std::size_t {
  pxname, svname, qcur, qmax, scur, smax, slim, stot, bin, bout, dreq, dresp, ereq, econ, eresp,
  wretr, wredis, status, weight, act, bck, chkfail, chkdown, lastchg, downtime, qlimit, pid, iid,
  sid, throttle, lbtot, tracked, type, rate, rate_lim, rate_max, check_status, check_code,
  check_duration, hrsp_1xx, hrsp_2xx, hrsp_3xx, hrsp_4xx, hrsp_5xx, hrsp_other, hanafail,
  req_rate, req_rate_max, req_tot, cli_abrt, srv_abrt, comp_in, comp_out, comp_byp, comp_rsp,
  lastsess, last_chk, last_agt, qtime, ctime, rtime, ttime, agent_status, agent_code,
  agent_duration, check_desc, agent_desc, check_rise, check_fall, check_health, agent_rise,
  agent_fall, agent_health, addr, cookie, mode_col, algo, conn_rate, conn_rate_max, conn_tot,
  intercepted, dcon, dses, wrew, connect, reuse, cache_lookups, cache_hits, srv_icur, src_ilim,
  qtime_max, ctime_max, rtime_max, ttime_max, eint, idle_conn_cur, safe_conn_cur, used_conn_cur,
  need_conn_est, uweight, agg_server_status, agg_server_check_status, agg_check_status,
  // Modules.
  ssl_sess, ssl_reused_sess, ssl_failed_handshake, h2_headers_rcvd, h2_data_rcvd,
  h2_settings_rcvd, h2_rst_stream_rcvd, h2_goaway_rcvd, h2_detected_conn_protocol_errors,
  h2_detected_strm_protocol_errors, h2_rst_stream_resp, h2_goaway_resp, h2_open_connections,
  h2_backend_open_streams, h2_total_connections, h2_backend_total_streams, h1_open_connections,
  h1_open_streams, h1_total_connections, h1_total_streams, h1_bytes_in, h1_bytes_out,
  h1_spliced_bytes_in, h1_spliced_bytes_out,
  column_count
};
static_assert(agg_check_status + 1 == stats_field_count);
static_assert(column_count == 127);

// Per column: its name and its tags for a frontend, backend and server row, as
// `show stat typed` prints them ("KNS" = key, name, service); "" where HAProxy never fills it.
struct column_info {
  std::string_view name_;
  std::string_view frontend_;
  std::string_view backend_;
  std::string_view server_;
};

constexpr std::array<column_info, column_count> columns{{
    {"pxname", "KNS", "KNS", "KNS"},
    {"svname", "KNS", "KNS", "KNS"},
    {"qcur", "", "MGP", "MGP"},
    {"qmax", "", "MMP", "MMP"},
    {"scur", "MGP", "MGP", "MGP"},
    {"smax", "MMP", "MMP", "MMP"},
    {"slim", "CLP", "CLP", "CLP"},
    {"stot", "MCP", "MCP", "MCP"},
    {"bin", "MCP", "MCP", "MCP"},
    {"bout", "MCP", "MCP", "MCP"},
    {"dreq", "MCP", "MCP", ""},
    {"dresp", "MCP", "MCP", "MCP"},
    {"ereq", "MCP", "", ""},
    {"econ", "", "MCP", "MCP"},
    {"eresp", "", "MCP", "MCP"},
    {"wretr", "", "MCP", "MCP"},
    {"wredis", "", "MCP", "MCP"},
    {"status", "SGP", "SGP", "SGP"},
    {"weight", "", "MaP", "MaP"},
    {"act", "", "MGP", "SGP"},
    {"bck", "", "MGP", "SGP"},
    {"chkfail", "", "", "MCP"},
    {"chkdown", "", "MCP", "MCP"},
    {"lastchg", "", "MAP", "MAP"},
    {"downtime", "", "MCP", "MCP"},
    {"qlimit", "", "", "CLP"},
    {"pid", "KGP", "KGP", "KGP"},
    {"iid", "KGS", "KGS", "KGS"},
    {"sid", "KGS", "KGS", "KGS"},
    {"throttle", "", "", "MaP"},
    {"lbtot", "", "MCP", "MCP"},
    {"tracked", "", "", "CNS"},
    {"type", "CGS", "CGS", "CGS"},
    {"rate", "MRP", "MGP", "MRP"},
    {"rate_lim", "CLP", "", ""},
    {"rate_max", "MMP", "MGP", "MMP"},
    {"check_status", "", "", "MOP"},
    {"check_code", "", "", "MOP"},
    {"check_duration", "", "", "MDP"},
    {"hrsp_1xx", "MCP", "MCP", "MCP"},
    {"hrsp_2xx", "MCP", "MCP", "MCP"},
    {"hrsp_3xx", "MCP", "MCP", "MCP"},
    {"hrsp_4xx", "MCP", "MCP", "MCP"},
    {"hrsp_5xx", "MCP", "MCP", "MCP"},
    {"hrsp_other", "MCP", "MCP", "MCP"},
    {"hanafail", "", "", "MCP"},
    {"req_rate", "MRP", "", ""},
    {"req_rate_max", "MMP", "", ""},
    {"req_tot", "MCP", "MCP", "MCP"},
    {"cli_abrt", "", "MCP", "MCP"},
    {"srv_abrt", "", "MCP", "MCP"},
    {"comp_in", "MCP", "MCP", ""},
    {"comp_out", "MCP", "MCP", ""},
    {"comp_byp", "MCP", "MCP", ""},
    {"comp_rsp", "MCP", "MCP", ""},
    {"lastsess", "", "MAP", "MAP"},
    {"last_chk", "", "", "MOP"},
    {"last_agt", "", "", "MOP"},
    {"qtime", "", "MaP", "MaP"},
    {"ctime", "", "MaP", "MaP"},
    {"rtime", "", "MaP", "MaP"},
    {"ttime", "", "MaP", "MaP"},
    {"agent_status", "", "", "MOP"},
    {"agent_code", "", "", "MOP"},
    {"agent_duration", "", "", "MDP"},
    {"check_desc", "", "", "MOP"},
    {"agent_desc", "", "", "MOP"},
    {"check_rise", "", "", "CGS"},
    {"check_fall", "", "", "CGS"},
    {"check_health", "", "", "CGS"},
    {"agent_rise", "", "", "CGS"},
    {"agent_fall", "", "", "CGS"},
    {"agent_health", "", "", "CGS"},
    {"addr", "", "", "CGS"},
    {"cookie", "", "CNS", "CNS"},
    {"mode", "CGS", "CGS", "CGS"},
    {"algo", "", "CGS", ""},
    {"conn_rate", "MRP", "", ""},
    {"conn_rate_max", "MMP", "", ""},
    {"conn_tot", "MCP", "", ""},
    {"intercepted", "MCP", "", ""},
    {"dcon", "MCP", "", ""},
    {"dses", "MCP", "", ""},
    {"wrew", "MCP", "MCP", "MCP"},
    {"connect", "", "MCP", "MCP"},
    {"reuse", "", "MCP", "MCP"},
    {"cache_lookups", "MCP", "MCP", ""},
    {"cache_hits", "MCP", "MCP", ""},
    {"srv_icur", "", "", "MGP"},
    {"src_ilim", "", "", "CLP"},
    {"qtime_max", "", "MMP", "MMP"},
    {"ctime_max", "", "MMP", "MMP"},
    {"rtime_max", "", "MMP", "MMP"},
    {"ttime_max", "", "MMP", "MMP"},
    {"eint", "MCP", "MCP", "MCP"},
    {"idle_conn_cur", "", "", "MGP"},
    {"safe_conn_cur", "", "", "MGP"},
    {"used_conn_cur", "", "", "MGP"},
    {"need_conn_est", "", "", "MGP"},
    {"uweight", "", "MaP", "MaP"},
    {"agg_server_status", "", "MGP", ""},
    {"agg_server_check_status", "", "MGP", ""},
    {"agg_check_status", "", "MGP", ""},
    {"ssl_sess", "MCP", "MCP", "MCP"},
    {"ssl_reused_sess", "MCP", "MCP", "MCP"},
    {"ssl_failed_handshake", "MCP", "MCP", "MCP"},
    {"h2_headers_rcvd", "MCP", "MCP", ""},
    {"h2_data_rcvd", "MCP", "MCP", ""},
    {"h2_settings_rcvd", "MCP", "MCP", ""},
    {"h2_rst_stream_rcvd", "MCP", "MCP", ""},
    {"h2_goaway_rcvd", "MCP", "MCP", ""},
    {"h2_detected_conn_protocol_errors", "MCP", "MCP", ""},
    {"h2_detected_strm_protocol_errors", "MCP", "MCP", ""},
    {"h2_rst_stream_resp", "MCP", "MCP", ""},
    {"h2_goaway_resp", "MCP", "MCP", ""},
    {"h2_open_connections", "MGP", "MGP", ""},
    {"h2_backend_open_streams", "MGP", "MGP", ""},
    {"h2_total_connections", "MCP", "MCP", ""},
    {"h2_backend_total_streams", "MCP", "MCP", ""},
    {"h1_open_connections", "MGP", "MGP", ""},
    {"h1_open_streams", "MGP", "MGP", ""},
    {"h1_total_connections", "MCP", "MCP", ""},
    {"h1_total_streams", "MCP", "MCP", ""},
    {"h1_bytes_in", "MCP", "MCP", ""},
    {"h1_bytes_out", "MCP", "MCP", ""},
    {"h1_spliced_bytes_in", "MCP", "MCP", ""},
    {"h1_spliced_bytes_out", "MCP", "MCP", ""},
}};

origin origin_of(char c) {
  switch (c) {
    case 'S': return origin::status;
    case 'K': return origin::key;
    case 'C': return origin::config;
    case 'P': return origin::product;
    default: return origin::metric;
  }
}

nature nature_of(char c) {
  switch (c) {
    case 'A': return nature::age;
    case 'a': return nature::avg;
    case 'C': return nature::counter;
    case 'D': return nature::duration;
    case 'L': return nature::limit;
    case 'M': return nature::max;
    case 'N': return nature::name;
    case 'O': return nature::output;
    case 'R': return nature::rate;
    case 'T': return nature::time;
    default: return nature::gauge;
  }
}

scope scope_of(char c) {
  switch (c) {
    case 'S': return scope::service;
    case 's': return scope::system;
    case 'C': return scope::cluster;
    default: return scope::process;
  }
}

char origin_letter(origin o) {
  constexpr std::string_view letters = "MSKCP";
  return letters[static_cast<std::size_t>(o)];
}
char nature_letter(nature n) {
  constexpr std::string_view letters = "AaCDGLMORTN";
  return letters[static_cast<std::size_t>(n)];
}
char scope_letter(scope s) {
  constexpr std::string_view letters = "PSsC";
  return letters[static_cast<std::size_t>(s)];
}
std::string_view origin_word(origin o) {
  constexpr std::array<std::string_view, 5> words{"Metric", "Status", "Key", "Config", "Product"};
  return words[static_cast<std::size_t>(o)];
}
std::string_view nature_word(nature n) {
  constexpr std::array<std::string_view, 11> words{"Age",   "Avg",    "Counter", "Duration",
                                                   "Gauge", "Limit",  "Max",     "Output",
                                                   "Rate",  "Time",   "Name"};
  return words[static_cast<std::size_t>(n)];
}
std::string_view scope_word(scope s) {
  constexpr std::array<std::string_view, 4> words{"Process", "Service", "System", "Cluster"};
  return words[static_cast<std::size_t>(s)];
}

field tagged(std::string_view tags) {
  field f;
  if (tags.size() == 3) {
    f.origin_ = origin_of(tags[0]);
    f.nature_ = nature_of(tags[1]);
    f.scope_ = scope_of(tags[2]);
  }
  return f;
}

// Fills a row's cells with their row type's tags.
class row_builder {
 public:
  row_builder(row_type t, std::uint32_t proxy_id, std::uint32_t object_id) {
    row_.type_ = t;
    row_.proxy_id_ = proxy_id;
    row_.object_id_ = object_id;
    row_.fields_.resize(column_count);
  }
  template <typename T>
  void put(col c, T value) {
    const column_info& info = columns[c];
    std::string_view tags = row_.type_ == row_type::frontend ? info.frontend_
                            : row_.type_ == row_type::backend ? info.backend_
                                                              : info.server_;
    field f = tagged(tags);
    if constexpr (std::is_convertible_v<T, std::string_view>) {
      f.value_ = std::string(std::string_view(value));
    } else {
      f.value_ = value;
    }
    row_.fields_[c] = std::move(f);
  }
  void u32(col c, std::uint64_t v) { put(c, static_cast<std::uint32_t>(v)); }
  void u64(col c, std::uint64_t v) { put(c, v); }
  row take() { return std::move(row_); }

 private:
  row row_;
};

std::uint64_t load(const std::atomic<std::uint64_t>& a) {
  return a.load(std::memory_order_relaxed);
}

// The cells every proxy's and server's traffic shares, as each row type shows them.
void put_modules(row_builder& b, row_type t, const traffic_counters& c, bool http) {
  b.u64(ssl_sess, 0);
  b.u64(ssl_reused_sess, 0);
  b.u64(ssl_failed_handshake, 0);
  if (t == row_type::server) return;
  for (std::size_t i = h2_headers_rcvd; i <= h2_backend_total_streams; ++i) {
    b.u64(static_cast<col>(i), 0);
  }
  // Tandem has no H1 multiplexer counters of its own: the HTTP side's connections, requests
  // and bytes stand for them (HAProxy counts the mux's own bytes, a little fewer).
  const bool frontend = t == row_type::frontend;
  b.u64(h1_open_connections, 0);
  b.u64(h1_open_streams, 0);
  b.u64(h1_total_connections,
        http ? (frontend ? load(c.connections_total_) : load(c.connects_)) : 0);
  b.u64(h1_total_streams, http ? (frontend ? load(c.requests_total_) : load(c.connects_)) : 0);
  b.u64(h1_bytes_in, http ? load(c.bytes_in_) : 0);
  b.u64(h1_bytes_out, http ? load(c.bytes_out_) : 0);
  b.u64(h1_spliced_bytes_in, 0);
  b.u64(h1_spliced_bytes_out, 0);
}

void put_responses(row_builder& b, const traffic_counters& c) {
  for (std::size_t i = 0; i < 6; ++i) {
    b.u64(static_cast<col>(hrsp_1xx + i), load(c.responses_[i]));
  }
}

void put_times(row_builder& b, const traffic_counters& c) {
  const std::uint64_t n = load(c.timed_samples_);
  b.u32(qtime, c.queue_time_.average(n));
  b.u32(ctime, c.connect_time_.average(n));
  b.u32(rtime, c.response_time_.average(n));
  b.u32(ttime, c.total_time_.average(n));
}

void put_time_maxima(row_builder& b, const traffic_counters& c) {
  b.u32(qtime_max, c.queue_time_.max());
  b.u32(ctime_max, c.connect_time_.max());
  b.u32(rtime_max, c.response_time_.max());
  b.u32(ttime_max, c.total_time_.max());
}

void put_last_session(row_builder& b, const traffic_counters& c, std::uint64_t now) {
  const std::uint64_t last = load(c.last_session_);
  b.put(lastsess, last == 0 ? std::int32_t{-1}
                            : static_cast<std::int32_t>(now > last ? now - last : 0));
}

// HAProxy's global maxconn when the configuration sets none: computed from the file
// descriptors it may open (compute_ideal_maxconn), about half of them.
std::uint32_t default_maxconn() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 4096;
  const auto fds = static_cast<std::uint64_t>(limit.rlim_cur);
  return static_cast<std::uint32_t>(fds > 68 ? (fds - 34) / 2 : 1);
}

std::uint32_t global_maxconn(const proxy_set& proxies) {
  return proxies.global_maxconn_ != 0 ? proxies.global_maxconn_ : default_maxconn();
}

std::uint32_t frontend_maxconn(const proxy_set& proxies, const frontend& fe) {
  return fe.maxconn_ != 0 ? fe.maxconn_ : global_maxconn(proxies);
}

// A backend's fullconn as HAProxy defaults it: a tenth of the maxconn of the frontends that
// may use it, rounded up.
std::uint32_t backend_fullconn(const proxy_set& proxies, const backend& be) {
  std::uint64_t total = 0;
  for (const auto& fe : proxies.frontends_) {
    bool uses = fe->default_backend_ == &be;
    for (const backend_switch& s : fe->switches_) {
      uses = uses || (!s.dynamic_ && s.backend_ == be.name_);
    }
    if (uses) total += frontend_maxconn(proxies, *fe);
  }
  return static_cast<std::uint32_t>(std::max<std::uint64_t>((total + 9) / 10, 1));
}

bool server_in_maintenance(const server& s) {
  return s.maintenance_.load(std::memory_order_relaxed);
}

std::uint32_t effective_weight(const server& s) {
  return s.drain_.load(std::memory_order_relaxed) ? 0 : s.weight_.load(std::memory_order_relaxed);
}

// HAProxy's srv_currently_usable(): running, not in maintenance nor drained, weight above 0.
bool usable(const server& s) {
  return s.up_.load(std::memory_order_relaxed) && !server_in_maintenance(s) &&
         effective_weight(s) != 0;
}

struct backend_weights {
  std::uint32_t active_ = 0;
  std::uint32_t backup_ = 0;
  std::uint64_t weight_ = 0;   // lbprm.tot_weight
  std::uint64_t uweight_ = 0;  // lbprm.tot_uweight
};

// recount_servers(): the active servers' weights, or when none is usable the first usable
// backup's (HAProxy uses one backup at a time unless `option allbackups`).
backend_weights weights_of(const backend& be) {
  backend_weights w;
  std::uint64_t backup_weight = 0;
  std::uint64_t backup_uweight = 0;
  for (const auto& s : be.servers_) {
    if (!usable(*s)) continue;
    if (s->backup_) {
      if (w.backup_ == 0) {
        backup_weight = effective_weight(*s);
        backup_uweight = s->weight_.load(std::memory_order_relaxed);
      }
      ++w.backup_;
    } else {
      ++w.active_;
      w.weight_ += effective_weight(*s);
      w.uweight_ += s->weight_.load(std::memory_order_relaxed);
    }
  }
  if (w.active_ == 0) {
    w.weight_ = backup_weight;
    w.uweight_ = backup_uweight;
  }
  return w;
}

// The stats' algo column: the balance keyword without its arguments ("hdr(host)" -> "hdr").
std::string algorithm_text(const backend& be) {
  std::string a = be.algorithm_.empty() ? "roundrobin" : be.algorithm_;
  if (const auto paren = a.find('('); paren != std::string::npos) a.resize(paren);
  if (a == "rdp_cookie") a = "rdp-cookie";
  return a;
}

std::string_view mode_text(mode m) { return m == mode::http ? "http" : "tcp"; }

row frontend_row(const proxy_set& proxies, const frontend& fe) {
  row_builder b(row_type::frontend, fe.uid_, 0);
  const traffic_counters& c = fe.counters_;
  const bool http = fe.mode_ == mode::http;
  const std::uint32_t maxconn = frontend_maxconn(proxies, fe);
  const std::uint32_t current = fe.current_.load(std::memory_order_relaxed);
  b.put(pxname, fe.name_);
  b.put(svname, "FRONTEND");
  b.u32(scur, current);
  b.u32(smax, c.sessions_max_.load(std::memory_order_relaxed));
  b.u32(slim, maxconn);
  b.u64(stot, load(c.sessions_total_));
  b.u64(bin, load(c.bytes_in_));
  b.u64(bout, load(c.bytes_out_));
  b.u64(dreq, load(c.denied_requests_));
  b.u64(dresp, load(c.denied_responses_));
  b.u64(ereq, load(c.request_errors_));
  // HAProxy 2.6 shows STOP for a stopped or disabled proxy, else OPEN (FULL is a listener's).
  b.put(status, "OPEN");
  b.u32(pid, 1);
  b.u32(iid, fe.uid_);
  b.u32(sid, 0);
  b.u32(type, 0);
  b.u32(rate, c.session_rate_.rate());
  b.u32(rate_lim, 0);
  b.u32(rate_max, c.session_rate_.max());
  if (http) put_responses(b, c);
  b.u32(req_rate, c.request_rate_.rate());
  b.u32(req_rate_max, c.request_rate_.max());
  b.u64(req_tot, load(c.requests_total_));
  for (col x : {comp_in, comp_out, comp_byp, comp_rsp}) b.u64(x, 0);
  b.put(mode_col, mode_text(fe.mode_));
  b.u32(conn_rate, c.connection_rate_.rate());
  b.u32(conn_rate_max, c.connection_rate_.max());
  b.u64(conn_tot, load(c.connections_total_));
  if (http) b.u64(intercepted, load(c.intercepted_));
  b.u64(dcon, load(c.denied_connections_));
  b.u64(dses, load(c.denied_sessions_));
  b.u64(wrew, load(c.failed_rewrites_));
  if (http) {
    b.u64(cache_lookups, 0);
    b.u64(cache_hits, 0);
  }
  b.u64(eint, 0);
  put_modules(b, row_type::frontend, c, http);
  return b.take();
}

// check_desc and last_chk: the snapshot keeps "description, info: \"text\"" in one string.
void split_description(const std::string& whole, std::string& description, std::string& info) {
  constexpr std::string_view marker = ", info: \"";
  const auto at = whole.find(marker);
  if (at == std::string::npos) {
    description = whole;
    info.clear();
    return;
  }
  description = whole.substr(0, at);
  info = whole.substr(at + marker.size());
  if (!info.empty() && info.back() == '"') info.pop_back();
}

bool has_code(std::string_view check) {
  return check == "L7OK" || check == "L7OKC" || check == "L7STS";
}

row server_row(const backend& be, const server& s, bool legends, std::uint64_t now) {
  row_builder b(row_type::server, be.uid_, s.puid_);
  const traffic_counters& c = s.counters_;
  const bool http = be.mode_ == mode::http;
  check_snapshot check;
  {
    std::lock_guard lock(s.check_mutex_);
    check = s.check_state_;
  }
  const bool checked = s.check_ && check.enabled_;
  b.put(pxname, be.name_);
  b.put(svname, s.name_);
  b.u32(qcur, c.queue_current_.load(std::memory_order_relaxed));
  b.u32(qmax, c.queue_max_.load(std::memory_order_relaxed));
  b.u32(scur, s.current_.load(std::memory_order_relaxed));
  b.u32(smax, c.sessions_max_.load(std::memory_order_relaxed));
  if (s.maxconn_ != 0) b.u32(slim, s.maxconn_);
  b.u64(stot, load(c.sessions_total_));
  b.u64(bin, load(c.bytes_in_));
  b.u64(bout, load(c.bytes_out_));
  b.u64(dresp, load(c.denied_responses_));
  b.u64(econ, load(c.connection_errors_));
  b.u64(eresp, load(c.response_errors_));
  b.u64(wretr, load(c.retries_));
  b.u64(wredis, load(c.redispatches_));
  b.put(status, server_status(s));
  b.u32(weight, effective_weight(s));
  b.u32(act, s.backup_ ? 0 : 1);
  b.u32(bck, s.backup_ ? 1 : 0);
  if (checked) {
    b.u64(chkfail, s.history_.check_failures_.load(std::memory_order_relaxed));
    b.u64(chkdown, s.history_.downs_.load(std::memory_order_relaxed));
  }
  const std::uint64_t changed = s.history_.last_change_.load(std::memory_order_relaxed);
  b.u32(lastchg, now > changed ? now - changed : 0);
  if (checked) b.u32(downtime, s.history_.downtime(now));
  b.u32(pid, 1);
  b.u32(iid, be.uid_);
  b.u32(sid, s.puid_);
  b.u64(lbtot, load(c.selected_));
  b.u32(type, 2);
  b.u32(rate, c.session_rate_.rate());
  b.u32(rate_max, c.session_rate_.max());
  const bool ran = checked && check.status_ != "INI" && !check.status_.empty();
  if (checked) {
    b.put(check_status, check.status_.empty() ? std::string("INI") : check.status_);
    if (has_code(check.status_)) b.u32(check_code, static_cast<std::uint32_t>(check.code_));
    if (ran) b.u64(check_duration, check.duration_ms_);
  }
  if (http) {
    put_responses(b, c);
    b.u64(req_tot, load(c.requests_total_));
  }
  b.u64(cli_abrt, load(c.client_aborts_));
  b.u64(srv_abrt, load(c.server_aborts_));
  put_last_session(b, c, now);
  std::string description;
  std::string info;
  if (checked) {
    split_description(check.description_, description, info);
    b.put(last_chk, info);
  }
  put_times(b, c);
  if (checked) {
    // HAProxy's description of a check not run yet is "Initializing".
    b.put(check_desc, ran ? description : std::string("Initializing"));
    b.u32(check_rise, check.rise_);
    b.u32(check_fall, check.fall_);
    b.u32(check_health, check.health_);
  }
  if (legends) {
    b.put(addr, s.address_text_);
    if (!s.cookie_.empty()) b.put(cookie, s.cookie_);
  }
  b.put(mode_col, mode_text(be.mode_));
  b.u64(wrew, load(c.failed_rewrites_));
  b.u64(connect, load(c.connects_));
  b.u64(reuse, load(c.reuses_));
  b.u32(srv_icur, 0);
  put_time_maxima(b, c);
  b.u64(eint, 0);
  b.u32(idle_conn_cur, 0);
  b.u32(safe_conn_cur, 0);
  b.u32(used_conn_cur, 0);
  // HAProxy's estimate of the connections a server needs: measured 1 for an active server at
  // rest, 0 for a backup; Tandem keeps no such estimate.
  b.u32(need_conn_est, s.backup_ ? 0 : 1);
  b.u32(uweight, s.weight_.load(std::memory_order_relaxed));
  put_modules(b, row_type::server, c, http);
  return b.take();
}

row backend_row(const proxy_set& proxies, const backend& be, bool legends, std::uint64_t now) {
  row_builder b(row_type::backend, be.uid_, 0);
  const traffic_counters& c = be.counters_;
  const bool http = be.mode_ == mode::http;
  const backend_weights w = weights_of(be);
  b.put(pxname, be.name_);
  b.put(svname, "BACKEND");
  b.u32(qcur, c.queue_current_.load(std::memory_order_relaxed));
  b.u32(qmax, c.queue_max_.load(std::memory_order_relaxed));
  b.u32(scur, be.current_.load(std::memory_order_relaxed));
  b.u32(smax, c.sessions_max_.load(std::memory_order_relaxed));
  b.u32(slim, backend_fullconn(proxies, be));
  b.u64(stot, load(c.sessions_total_));
  b.u64(bin, load(c.bytes_in_));
  b.u64(bout, load(c.bytes_out_));
  b.u64(dreq, load(c.denied_requests_));
  b.u64(dresp, load(c.denied_responses_));
  b.u64(econ, load(c.connection_errors_));
  b.u64(eresp, load(c.response_errors_));
  b.u64(wretr, load(c.retries_));
  b.u64(wredis, load(c.redispatches_));
  b.put(status, (w.weight_ > 0 || be.servers_.empty()) ? "UP" : "DOWN");
  b.u32(weight, w.weight_);
  b.u32(act, w.active_);
  b.u32(bck, w.backup_);
  b.u64(chkdown, be.history_.downs_.load(std::memory_order_relaxed));
  const std::uint64_t changed = be.history_.last_change_.load(std::memory_order_relaxed);
  b.u32(lastchg, now > changed ? now - changed : 0);
  b.u32(downtime, be.history_.downtime(now));
  b.u32(pid, 1);
  b.u32(iid, be.uid_);
  b.u32(sid, 0);
  b.u64(lbtot, load(c.selected_));
  b.u32(type, 1);
  b.u32(rate, c.session_rate_.rate());
  b.u32(rate_max, c.session_rate_.max());
  if (http) {
    put_responses(b, c);
    b.u64(req_tot, load(c.requests_total_));
  }
  b.u64(cli_abrt, load(c.client_aborts_));
  b.u64(srv_abrt, load(c.server_aborts_));
  for (col x : {comp_in, comp_out, comp_byp, comp_rsp}) b.u64(x, 0);
  put_last_session(b, c, now);
  put_times(b, c);
  if (legends && be.cookie_ && !be.cookie_->name_.empty()) b.put(cookie, be.cookie_->name_);
  b.put(mode_col, mode_text(be.mode_));
  if (legends) b.put(algo, algorithm_text(be));
  b.u64(wrew, load(c.failed_rewrites_));
  b.u64(connect, load(c.connects_));
  b.u64(reuse, load(c.reuses_));
  if (http) {
    b.u64(cache_lookups, 0);
    b.u64(cache_hits, 0);
  }
  put_time_maxima(b, c);
  b.u64(eint, 0);
  b.u32(uweight, w.uweight_);
  b.u32(agg_server_status, 0);
  b.u32(agg_server_check_status, 0);
  b.u32(agg_check_status, 0);
  put_modules(b, row_type::backend, c, http);
  return b.take();
}

bool wanted_proxy(const selection& which, std::string_view name, std::uint32_t uid) {
  if (which.proxy_id_ != -1 && static_cast<std::uint32_t>(which.proxy_id_) != uid) return false;
  if (which.proxies_.empty()) return true;
  return std::find(which.proxies_.begin(), which.proxies_.end(), name) != which.proxies_.end();
}

bool wanted_type(const selection& which, int bit) {
  return which.type_mask_ == -1 || (which.type_mask_ & bit) != 0;
}

// CSV cells as HAProxy's csv_enc(): quoted, quotes doubled, when the text needs it.
void append_csv_text(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char ch : text) {
    if (ch == '"') out += '"';
    out += ch;
  }
  out += '"';
}

struct value_text {
  std::string_view type_;  // "u32", "str", … ("" when empty)
  std::string text_;       // the value as digits or the raw string
};

value_text text_of(const field& f) {
  return std::visit(
      [](const auto& v) -> value_text {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return {"", ""};
        else if constexpr (std::is_same_v<T, std::int32_t>) return {"s32", std::to_string(v)};
        else if constexpr (std::is_same_v<T, std::uint32_t>) return {"u32", std::to_string(v)};
        else if constexpr (std::is_same_v<T, std::int64_t>) return {"s64", std::to_string(v)};
        else if constexpr (std::is_same_v<T, std::uint64_t>) return {"u64", std::to_string(v)};
        else return {"str", v};
      },
      f.value_);
}

bool empty(const field& f) { return std::holds_alternative<std::monostate>(f.value_); }

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char ch : text) {
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (ch < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  out += '"';
}

void append_json_tags_and_value(std::string& out, const field& f) {
  out += "\"tags\":{\"origin\":\"";
  out += origin_word(f.origin_);
  out += "\",\"nature\":\"";
  out += nature_word(f.nature_);
  out += "\",\"scope\":\"";
  out += scope_word(f.scope_);
  out += "\"},\"value\":{\"type\":\"";
  const value_text v = text_of(f);
  out += v.type_;
  out += "\",\"value\":";
  if (v.type_ == "str") append_json_string(out, v.text_);
  else out += v.text_;
  out += "}}";
}

void append_typed_tags_and_value(std::string& out, const field& f) {
  out += origin_letter(f.origin_);
  out += nature_letter(f.nature_);
  out += scope_letter(f.scope_);
  out += ':';
  const value_text v = text_of(f);
  out += v.type_;
  out += ':';
  out += v.text_;
  out += '\n';
}

}  // namespace

const std::vector<std::string_view>& column_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> n;
    for (const column_info& c : columns) n.push_back(c.name_);
    return n;
  }();
  return names;
}

std::string server_status(const server& s) {
  if (server_in_maintenance(s)) return "MAINT";
  check_snapshot check;
  {
    std::lock_guard lock(s.check_mutex_);
    check = s.check_state_;
  }
  const bool checked = s.check_ && check.enabled_;
  const std::uint32_t health = check.health_;
  const std::uint32_t rise = check.rise_;
  const std::uint32_t fall = check.fall_;
  if (s.up_.load(std::memory_order_relaxed)) {
    // srv_compute_status(): a server whose last check passed conditionally (L7OKC, http-check
    // disable-on-404) is stopping, NOLB.
    if (checked && check.status_ == "L7OKC") return "NOLB";
    const bool going_down = checked && health < rise + fall - 1;
    const std::string counts =
        std::to_string(health + 1 > rise ? health - rise + 1 : 0) + "/" + std::to_string(fall);
    if (s.drain_.load(std::memory_order_relaxed)) {
      return going_down ? "DRAIN " + counts : "DRAIN";
    }
    if (going_down) return "UP " + counts;
    return checked ? "UP" : "no check";
  }
  if (checked && health != 0) {
    return "DOWN " + std::to_string(health) + "/" + std::to_string(rise);
  }
  return "DOWN";
}

std::vector<row> collect(const proxy_set& proxies, const selection& which) {
  const std::uint64_t now = wall_seconds();
  // Proxies by id: a listen section is a frontend and a backend sharing one.
  std::vector<std::uint32_t> ids;
  for (const auto& fe : proxies.frontends_) ids.push_back(fe->uid_);
  for (const auto& be : proxies.backends_) ids.push_back(be->uid_);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<row> rows;
  for (const std::uint32_t id : ids) {
    const frontend* fe = nullptr;
    const backend* be = nullptr;
    for (const auto& f : proxies.frontends_) {
      if (f->uid_ == id) fe = f.get();
    }
    for (const auto& b : proxies.backends_) {
      if (b->uid_ == id) be = b.get();
    }
    const std::string& name = fe != nullptr ? fe->name_ : be->name_;
    if (!wanted_proxy(which, name, id)) continue;
    if (fe != nullptr && wanted_type(which, 1)) rows.push_back(frontend_row(proxies, *fe));
    if (be == nullptr) continue;
    if (wanted_type(which, 4)) {
      for (const auto& s : be->servers_) {
        if (which.server_id_ != -1 && static_cast<std::uint32_t>(which.server_id_) != s->puid_) {
          continue;
        }
        if (which.no_maint_ && server_in_maintenance(*s)) continue;
        if (which.only_up_ && (!s->up_.load() || server_in_maintenance(*s))) continue;
        rows.push_back(server_row(*be, *s, which.show_legends_, now));
      }
    }
    if (wanted_type(which, 2)) rows.push_back(backend_row(proxies, *be, which.show_legends_, now));
  }
  return rows;
}

std::string render_csv(const std::vector<row>& rows) {
  std::string out = "# ";
  for (std::size_t i = 0; i < column_count; ++i) {
    out += columns[i].name_;
    out += ',';
    if (i + 1 == stats_field_count) out += "-,";
  }
  out += '\n';
  for (const row& r : rows) {
    for (std::size_t i = 0; i < r.fields_.size(); ++i) {
      const value_text v = text_of(r.fields_[i]);
      if (v.type_ == "str") append_csv_text(out, v.text_);
      else out += v.text_;
      out += ',';
      if (i + 1 == stats_field_count) out += "-,";
    }
    out += '\n';
  }
  return out;
}

namespace {
char type_letter(row_type t) {
  switch (t) {
    case row_type::frontend: return 'F';
    case row_type::backend: return 'B';
    case row_type::server: return 'S';
    case row_type::listener: return 'L';
  }
  return '?';
}
std::string_view type_word(row_type t) {
  switch (t) {
    case row_type::frontend: return "Frontend";
    case row_type::backend: return "Backend";
    case row_type::server: return "Server";
    case row_type::listener: return "Listener";
  }
  return "";
}
}  // namespace

std::string render_typed(const std::vector<row>& rows) {
  std::string out;
  for (const row& r : rows) {
    const std::string prefix = std::string(1, type_letter(r.type_)) + '.' +
                               std::to_string(r.proxy_id_) + '.' + std::to_string(r.object_id_) +
                               '.';
    for (std::size_t i = 0; i < r.fields_.size(); ++i) {
      if (empty(r.fields_[i])) continue;
      out += prefix;
      out += std::to_string(i);
      out += '.';
      out += columns[i].name_;
      out += ".1:";
      append_typed_tags_and_value(out, r.fields_[i]);
    }
  }
  return out;
}

std::string render_json(const std::vector<row>& rows) {
  std::string out = "[";
  bool first_row = true;
  for (const row& r : rows) {
    if (!first_row) out += ',';
    first_row = false;
    out += '[';
    bool first = true;
    for (std::size_t i = 0; i < r.fields_.size(); ++i) {
      if (empty(r.fields_[i])) continue;
      if (!first) out += ',';
      first = false;
      out += "{\"objType\":\"";
      out += type_word(r.type_);
      out += "\",\"proxyId\":" + std::to_string(r.proxy_id_) +
             ",\"id\":" + std::to_string(r.object_id_) +
             ",\"field\":{\"pos\":" + std::to_string(i) + ",\"name\":\"";
      out += columns[i].name_;
      out += "\"},\"processNum\":1,";
      append_json_tags_and_value(out, r.fields_[i]);
    }
    out += ']';
  }
  out += "]\n";
  return out;
}

// --- show info --------------------------------------------------------------------------

namespace {

struct info_spec {
  std::string_view name_;
  std::string_view tags_;
};

// HAProxy 2.6's info_fields (INF_*), in order, with their tags as `show info typed` shows them.
constexpr std::array<info_spec, 72> info_specs{{
    {"Name", "POS"},
    {"Version", "POS"},
    {"Release_date", "POS"},
    {"Nbthread", "CGS"},
    {"Nbproc", "CGS"},
    {"Process_num", "KGP"},
    {"Pid", "SGP"},
    {"Uptime", "MDP"},
    {"Uptime_sec", "MDP"},
    {"Memmax_MB", "CLP"},
    {"PoolAlloc_MB", "MGP"},
    {"PoolUsed_MB", "MGP"},
    {"PoolFailed", "MCP"},
    {"Ulimit-n", "CLP"},
    {"Maxsock", "CLP"},
    {"Maxconn", "CLP"},
    {"Hard_maxconn", "CLP"},
    {"CurrConns", "MGP"},
    {"CumConns", "MCP"},
    {"CumReq", "MCP"},
    {"MaxSslConns", "MMP"},
    {"CurrSslConns", "MGP"},
    {"CumSslConns", "MCP"},
    {"Maxpipes", "CLP"},
    {"PipesUsed", "MGP"},
    {"PipesFree", "MGP"},
    {"ConnRate", "MRP"},
    {"ConnRateLimit", "CLP"},
    {"MaxConnRate", "MMP"},
    {"SessRate", "MRP"},
    {"SessRateLimit", "CLP"},
    {"MaxSessRate", "MRP"},
    {"SslRate", "MRP"},
    {"SslRateLimit", "CLP"},
    {"MaxSslRate", "MMP"},
    {"SslFrontendKeyRate", "MGP"},
    {"SslFrontendMaxKeyRate", "MMP"},
    {"SslFrontendSessionReuse_pct", "MGP"},
    {"SslBackendKeyRate", "MRP"},
    {"SslBackendMaxKeyRate", "MMP"},
    {"SslCacheLookups", "MCP"},
    {"SslCacheMisses", "MCP"},
    {"CompressBpsIn", "MRP"},
    {"CompressBpsOut", "MRP"},
    {"CompressBpsRateLim", "CLP"},
    {"ZlibMemUsage", "MGP"},
    {"MaxZlibMemUsage", "CLP"},
    {"Tasks", "MGP"},
    {"Run_queue", "MGP"},
    {"Idle_pct", "MaP"},
    {"node", "COS"},
    {"description", "COS"},
    {"Stopping", "MGP"},
    {"Jobs", "MGP"},
    {"Unstoppable Jobs", "MGP"},
    {"Listeners", "MGP"},
    {"ActivePeers", "MGP"},
    {"ConnectedPeers", "MGP"},
    {"DroppedLogs", "MGP"},
    {"BusyPolling", "MGP"},
    {"FailedResolutions", "MGP"},
    {"TotalBytesOut", "MGP"},
    {"TotalSplicdedBytesOut", "MGP"},
    {"BytesOutRate", "MRP"},
    {"DebugCommandsIssued", "MGP"},
    {"CumRecvLogs", "MCP"},
    {"Build info", "POS"},
    {"Memmax_bytes", "CLP"},
    {"PoolAlloc_bytes", "MGP"},
    {"PoolUsed_bytes", "MGP"},
    {"Start_time_sec", "MDP"},
    {"Tainted", "SGP"},
}};

// The version HAProxy reports; Tandem answers as the 2.6 it is compatible with.
constexpr std::string_view reported_version = "2.6.12-1+deb12u4";
constexpr std::string_view reported_release_date = "2026/10/17";

std::string uptime_text(std::uint64_t seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%llud %lluh%02llum%02llus",
                static_cast<unsigned long long>(seconds / 86400),
                static_cast<unsigned long long>(seconds / 3600 % 24),
                static_cast<unsigned long long>(seconds / 60 % 60),
                static_cast<unsigned long long>(seconds % 60));
  return buf;
}

}  // namespace

std::vector<info_field> collect_info(const proxy_set& proxies, const info_context& extra) {
  std::vector<info_field> out;
  auto put = [&](std::size_t pos, auto value) {
    info_field f;
    f.name_ = info_specs[pos].name_;
    f.position_ = pos;
    f.value_ = tagged(info_specs[pos].tags_);
    if constexpr (std::is_convertible_v<decltype(value), std::string_view>) {
      f.value_.value_ = std::string(std::string_view(value));
    } else {
      f.value_.value_ = value;
    }
    out.push_back(std::move(f));
  };
  const auto started = std::chrono::duration_cast<std::chrono::seconds>(
                           proxies.started_.time_since_epoch())
                           .count();
  const std::uint64_t now = wall_seconds();
  const std::uint64_t up = now > static_cast<std::uint64_t>(started) ? now - started : 0;
  unsigned threads = proxies.threads_ != 0 ? proxies.threads_ : std::thread::hardware_concurrency();
  if (threads == 0) threads = 1;
  const std::uint32_t maxconn = global_maxconn(proxies);
  rlimit limit{};
  std::uint32_t fds = 0;
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    fds = static_cast<std::uint32_t>(limit.rlim_cur);
  }
  // Sums over the frontends: CumReq, the connection and session rates, bytes out.
  std::uint64_t requests = 0;
  std::uint32_t conn_rate = 0;
  std::uint32_t conn_rate_max = 0;
  std::uint32_t sess_rate = 0;
  std::uint32_t sess_rate_max = 0;
  std::uint64_t bytes_out = 0;
  std::uint32_t listeners = 0;
  for (const auto& fe : proxies.frontends_) {
    requests += load(fe->counters_.requests_total_);
    conn_rate += fe->counters_.connection_rate_.rate();
    conn_rate_max = std::max(conn_rate_max, fe->counters_.connection_rate_.max());
    sess_rate += fe->counters_.session_rate_.rate();
    sess_rate_max = std::max(sess_rate_max, fe->counters_.session_rate_.max());
    bytes_out += load(fe->counters_.bytes_out_);
    listeners += static_cast<std::uint32_t>(fe->listeners_.size());
  }
  listeners += extra.cli_listeners_;
  const std::uint32_t current = proxies.current_.load(std::memory_order_relaxed);
  put(0, "HAProxy");
  put(1, reported_version);
  put(2, reported_release_date);
  put(3, static_cast<std::uint32_t>(threads));
  put(4, std::uint32_t{1});
  put(5, std::uint32_t{1});
  put(6, static_cast<std::uint32_t>(::getpid()));
  put(7, uptime_text(up));
  put(8, static_cast<std::uint32_t>(up));
  put(9, std::uint32_t{0});
  put(10, std::uint32_t{0});
  put(11, std::uint32_t{0});
  put(12, std::uint32_t{0});
  put(13, fds);
  put(14, fds);
  put(15, maxconn);
  put(16, maxconn);
  put(17, current);
  put(18, static_cast<std::uint32_t>(proxies.connections_total_.load(std::memory_order_relaxed) +
                                     extra.cli_connections_));
  put(19, static_cast<std::uint32_t>(requests));
  for (std::size_t i = 20; i <= 25; ++i) put(i, std::uint32_t{0});
  put(26, conn_rate);
  put(27, std::uint32_t{0});
  put(28, conn_rate_max);
  put(29, sess_rate);
  put(30, std::uint32_t{0});
  put(31, sess_rate_max);
  for (std::size_t i = 32; i <= 44; ++i) put(i, std::uint32_t{0});
  // 45, 46: zlib's memory, only with zlib (Debian builds with libslz).
  put(47, std::uint32_t{0});  // Tasks: HAProxy's scheduler, none here
  put(48, std::uint32_t{0});
  put(49, std::uint32_t{100});
  put(50, proxies.node_);
  if (!proxies.description_.empty()) put(51, proxies.description_);
  put(52, std::uint32_t{0});
  put(53, current + listeners + extra.cli_sessions_);
  put(54, std::uint32_t{0});
  put(55, listeners);
  for (std::size_t i = 56; i <= 60; ++i) put(i, std::uint32_t{0});
  put(61, bytes_out);
  put(62, std::uint64_t{0});
  put(63, std::uint64_t{0});
  put(64, std::uint32_t{0});
  put(65, std::uint32_t{0});
  put(66, reported_version);
  put(67, std::uint32_t{0});
  put(68, std::uint64_t{0});
  put(69, std::uint64_t{0});
  put(70, static_cast<std::uint32_t>(started));
  put(71, "0");
  return out;
}

std::string render_info(const std::vector<info_field>& info) {
  std::string out;
  for (const info_field& f : info) {
    if (empty(f.value_)) continue;
    out += f.name_;
    out += ": ";
    out += text_of(f.value_).text_;
    out += '\n';
  }
  return out;
}

std::string render_info_typed(const std::vector<info_field>& info) {
  std::string out;
  for (const info_field& f : info) {
    if (empty(f.value_)) continue;
    out += std::to_string(f.position_);
    out += '.';
    out += f.name_;
    out += ".1:";
    append_typed_tags_and_value(out, f.value_);
  }
  return out;
}

std::string render_info_json(const std::vector<info_field>& info) {
  std::string out = "[";
  bool first = true;
  for (const info_field& f : info) {
    if (empty(f.value_)) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"field\":{\"pos\":" + std::to_string(f.position_) + ",\"name\":\"";
    out += f.name_;
    out += "\"},\"processNum\":1,";
    append_json_tags_and_value(out, f.value_);
  }
  out += "]\n";
  return out;
}

}  // namespace tandem::runtime::proxy::stats
