// The stick counters one connection tracks (HAProxy's stkctr: sc0, sc1, sc2) and what a
// session counts in them as it goes: a tracked connection (conn_cur/conn_cnt/conn_rate, with
// conn_cur released at the end), an accepted session (sess_*), HTTP requests, HTTP errors
// (4xx) and failures (5xx but 501 and 505), bytes each way, and the gpc actions. Trackers set
// by `tcp-request connection` rules last the connection; the others last one stream (one
// HTTP request), as in HAProxy.
#pragma once

#include <array>
#include <cstdint>

#include "runtime/proxy/stick/table.hpp"

namespace tandem::runtime::proxy::stick {

// MAX_SESS_STKCTR: HAProxy 2.6's default tune.stick-counters.
inline constexpr unsigned counter_slots = 3;

struct tracked {
  table* table_ = nullptr;
  entry_ref entry_;
  bool session_ = false;  // tcp-request connection: lasts the connection
  explicit operator bool() const { return entry_ != nullptr; }
};

class trackers {
 public:
  trackers() = default;
  trackers(const trackers&) = delete;
  trackers& operator=(const trackers&) = delete;
  ~trackers() { end_session(); }

  const tracked& at(unsigned n) const { return slots_[n % counter_slots]; }

  // track-scN: sc<n> starts tracking `e` of `t` (stream_track_stkctr(): conn_cur, conn_cnt,
  // conn_rate, and the entry touched). False, with nothing done, when sc<n> already tracks
  // something (only the first tracking rule of a counter applies). `request`: an
  // http-request rule tracks it, so this request counts in http_req_* now.
  bool track(unsigned n, table& t, entry_ref e, bool session_level, bool request);

  // The connection passed the tcp-request connection rules: a session (sess_cnt, sess_rate).
  void session_started();
  // A new HTTP request starts: http_req_cnt/http_req_rate of what is tracked already.
  void http_request();
  // The status sent for the request, as HAProxy 2.6 counts it: http_err_* for a server's 4xx
  // and for the client's own errors (`client_error`: a request denied, tarpitted or asked to
  // authenticate, a request that could not be read); http_fail_* for a server's 5xx but 501
  // and 505, and for the 502/504 the proxy gives when the server fails.
  void http_status(unsigned status, bool from_server, bool client_error);
  // Bytes from the client (in) and to it (out).
  void bytes(std::uint64_t in, std::uint64_t out);

  // The stream ends: its own trackers are released (conn_cur, touched). The session's stay.
  void end_stream();
  // The connection ends: everything is released.
  void end_session();

 private:
  void release(tracked& t);
  std::array<tracked, counter_slots> slots_;
};

// sc_inc_gpc0/1 … on an entry: the new gpc value (its rate counted too); nullopt when the
// table stores neither.
std::optional<std::uint64_t> inc_gpc(table& t, entry& e, unsigned which);
// sc_clr_gpc0/1: the value before it was cleared.
std::optional<std::uint64_t> clear_gpc(table& t, entry& e, unsigned which);
// src_updt_conn_cnt: conn_cnt + 1, its new value.
std::optional<std::uint64_t> update_conn_cnt(table& t, entry& e);

}  // namespace tandem::runtime::proxy::stick
