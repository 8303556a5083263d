// What a session counts in the stick entries it tracks (see tracker.hpp).
#include "runtime/proxy/stick/tracker.hpp"

namespace tandem::runtime::proxy::stick {

bool trackers::track(unsigned n, table& t, entry_ref e, bool session_level, bool request) {
  tracked& slot = slots_[n % counter_slots];
  if (slot || !e) return false;
  slot.table_ = &t;
  slot.entry_ = t.retain(std::move(e));
  slot.session_ = session_level;
  entry& en = *slot.entry_;
  t.add(en, data_type::conn_cur, 1);
  t.add(en, data_type::conn_cnt, 1);
  t.add(en, data_type::conn_rate, 1);
  if (request) {
    // The http-request track-sc action counts the request it runs for.
    t.add(en, data_type::http_req_cnt, 1);
    t.add(en, data_type::http_req_rate, 1);
  }
  t.touch(en);
  return true;
}

void trackers::session_started() {
  for (tracked& s : slots_) {
    if (!s || !s.session_) continue;
    s.table_->add(*s.entry_, data_type::sess_cnt, 1);
    s.table_->add(*s.entry_, data_type::sess_rate, 1);
  }
}

void trackers::http_request() {
  for (tracked& s : slots_) {
    if (!s) continue;
    s.table_->add(*s.entry_, data_type::http_req_cnt, 1);
    s.table_->add(*s.entry_, data_type::http_req_rate, 1);
  }
}

void trackers::http_status(unsigned status, bool from_server, bool client_error) {
  const bool error = client_error || (from_server && status / 100 == 4);
  const bool failure = !client_error && status / 100 == 5 &&
                       (from_server ? status != 501 && status != 505
                                    : status == 502 || status == 504);
  if (!error && !failure) return;
  for (tracked& s : slots_) {
    if (!s) continue;
    const data_type cnt = error ? data_type::http_err_cnt : data_type::http_fail_cnt;
    const data_type rate = error ? data_type::http_err_rate : data_type::http_fail_rate;
    s.table_->add(*s.entry_, cnt, 1);
    s.table_->add(*s.entry_, rate, 1);
  }
}

void trackers::bytes(std::uint64_t in, std::uint64_t out) {
  for (tracked& s : slots_) {
    if (!s) continue;
    if (in > 0) {
      s.table_->add(*s.entry_, data_type::bytes_in_cnt, static_cast<std::int64_t>(in));
      s.table_->add(*s.entry_, data_type::bytes_in_rate, static_cast<std::int64_t>(in));
    }
    if (out > 0) {
      s.table_->add(*s.entry_, data_type::bytes_out_cnt, static_cast<std::int64_t>(out));
      s.table_->add(*s.entry_, data_type::bytes_out_rate, static_cast<std::int64_t>(out));
    }
  }
}

void trackers::release(tracked& s) {
  s.table_->add(*s.entry_, data_type::conn_cur, -1);
  s.table_->release(*s.entry_);
  s = tracked{};
}

void trackers::end_stream() {
  for (tracked& s : slots_) {
    if (s && !s.session_) release(s);
  }
}

void trackers::end_session() {
  for (tracked& s : slots_) {
    if (s) release(s);
  }
}

std::optional<std::uint64_t> inc_gpc(table& t, entry& e, unsigned which) {
  const data_type cnt = which == 0 ? data_type::gpc0 : data_type::gpc1;
  const data_type rate = which == 0 ? data_type::gpc0_rate : data_type::gpc1_rate;
  const bool has_cnt = t.stores(cnt), has_rate = t.stores(rate);
  if (!has_cnt && !has_rate) return std::nullopt;
  if (has_rate) t.add(e, rate, 1);
  if (has_cnt) t.add(e, cnt, 1);
  t.touch(e);
  // Like HAProxy, the value returned is the counter's (or the rate's when only it is kept).
  return has_cnt ? t.read(e, cnt) : t.read(e, rate);
}

std::optional<std::uint64_t> clear_gpc(table& t, entry& e, unsigned which) {
  const data_type cnt = which == 0 ? data_type::gpc0 : data_type::gpc1;
  const std::optional<std::uint64_t> before = t.read(e, cnt);
  if (!before) return std::nullopt;
  t.set(e, cnt, 0);
  t.touch(e);
  return before;
}

std::optional<std::uint64_t> update_conn_cnt(table& t, entry& e) {
  if (!t.stores(data_type::conn_cnt)) return std::nullopt;
  t.add(e, data_type::conn_cnt, 1);
  t.touch(e);
  return t.read(e, data_type::conn_cnt);
}

}  // namespace tandem::runtime::proxy::stick
