// The stick-table fetches (HAProxy 2.6's stick_table.c): sc_*(N[,T]), sc0_*/sc1_*/sc2_*([T])
// read the entries a session tracks; src_*([T]) read (or, for inc/clr/updt, create) the
// client address's entry of a table, the current proxy's by default.
#include <string>
#include <string_view>

#include "runtime/proxy/acl/expression.hpp"
#include "runtime/proxy/stick/tracker.hpp"

namespace tandem::runtime::proxy::acl {

namespace {

using stick::data_type;

enum class stick_op : std::int64_t {
  read,        // a stored data type (n_[2])
  kbytes_in,   // bytes_in_cnt / 1024
  kbytes_out,  // bytes_out_cnt / 1024
  trackers,    // sessions tracking the entry
  tracked,     // sc*_tracked: whether the counter tracks something
  inc_gpc0,
  inc_gpc1,
  clr_gpc0,
  clr_gpc1,
  updt_conn_cnt,
};

struct suffix {
  std::string_view name_;
  stick_op op_;
  data_type type_ = data_type::gpc0;
};

constexpr suffix suffixes[] = {
    {"conn_cur", stick_op::read, data_type::conn_cur},
    {"conn_cnt", stick_op::read, data_type::conn_cnt},
    {"conn_rate", stick_op::read, data_type::conn_rate},
    {"sess_cnt", stick_op::read, data_type::sess_cnt},
    {"sess_rate", stick_op::read, data_type::sess_rate},
    {"http_req_cnt", stick_op::read, data_type::http_req_cnt},
    {"http_req_rate", stick_op::read, data_type::http_req_rate},
    {"http_err_cnt", stick_op::read, data_type::http_err_cnt},
    {"http_err_rate", stick_op::read, data_type::http_err_rate},
    {"http_fail_cnt", stick_op::read, data_type::http_fail_cnt},
    {"http_fail_rate", stick_op::read, data_type::http_fail_rate},
    {"bytes_in_rate", stick_op::read, data_type::bytes_in_rate},
    {"bytes_out_rate", stick_op::read, data_type::bytes_out_rate},
    {"kbytes_in", stick_op::kbytes_in},
    {"kbytes_out", stick_op::kbytes_out},
    {"gpc0", stick_op::read, data_type::gpc0},
    {"gpc1", stick_op::read, data_type::gpc1},
    {"get_gpc0", stick_op::read, data_type::gpc0},
    {"get_gpc1", stick_op::read, data_type::gpc1},
    {"gpc0_rate", stick_op::read, data_type::gpc0_rate},
    {"gpc1_rate", stick_op::read, data_type::gpc1_rate},
    {"get_gpt0", stick_op::read, data_type::gpt0},
    {"inc_gpc0", stick_op::inc_gpc0},
    {"inc_gpc1", stick_op::inc_gpc1},
    {"clr_gpc0", stick_op::clr_gpc0},
    {"clr_gpc1", stick_op::clr_gpc1},
    {"trackers", stick_op::trackers},
    {"tracked", stick_op::tracked},
    {"updt_conn_cnt", stick_op::updt_conn_cnt},
};

std::string_view table_argument(const fetch_step& f, std::size_t at) {
  return at < f.args_.size() ? std::string_view(f.args_[at]) : std::string_view();
}

void give(std::uint64_t v, sample_sink& k) {
  sample s = sample::integer(static_cast<std::int64_t>(v));
  k.take(s);
}

void fetch_stick(const fetch_step& f, const sample_source& s, bool, sample_sink& k) {
  const auto op = static_cast<stick_op>(f.n_[1]);
  const auto type = static_cast<data_type>(f.n_[2]);
  stick::table* t = nullptr;
  stick::entry_ref e;
  if (f.n_[0] >= 0) {
    // scN_* / sc_*(N): the entry counter N tracks; with a table argument, the same key in that
    // table (smp_fetch_sc_stkctr()).
    const std::size_t table_at = f.has_n_[0] ? 1 : 0;
    const stick::tracked* tr = s.tracked_counter(static_cast<unsigned>(f.n_[0]));
    if (op == stick_op::tracked) {
      sample b = sample::boolean(tr != nullptr && static_cast<bool>(*tr));
      k.take(b);
      return;
    }
    if (tr == nullptr || !*tr) return;
    t = tr->table_;
    e = tr->entry_;
    const std::string_view other = table_argument(f, table_at);
    if (!other.empty() && other != t->name()) {
      stick::table* named = s.stick_table(other);
      if (named == nullptr) return;
      e = named->lookup(e->key_);
      t = named;
    }
  } else {
    t = s.stick_table(table_argument(f, 0));
    if (t == nullptr) return;
    const std::optional<sample> src = address_sample(s.source());
    if (!src) return;
    const std::optional<std::string> key = t->key_of(to_text(*src));
    if (!key) return;
    const bool creates = op == stick_op::inc_gpc0 || op == stick_op::inc_gpc1 ||
                         op == stick_op::clr_gpc0 || op == stick_op::clr_gpc1 ||
                         op == stick_op::updt_conn_cnt;
    e = creates ? t->get(*key) : t->lookup(*key);
  }
  switch (op) {
    case stick_op::read: {
      if (!t->stores(type)) return;  // not stored: no value
      if (!e) return give(0, k);
      if (const auto v = t->read(*e, type)) give(*v, k);
      return;
    }
    case stick_op::kbytes_in:
    case stick_op::kbytes_out: {
      const data_type cnt =
          op == stick_op::kbytes_in ? data_type::bytes_in_cnt : data_type::bytes_out_cnt;
      if (!t->stores(cnt)) return;
      if (!e) return give(0, k);
      if (const auto v = t->read(*e, cnt)) give(*v >> 10, k);
      return;
    }
    case stick_op::trackers:
      return give(e ? t->use_count(*e) : 0, k);
    case stick_op::tracked:
      return;
    case stick_op::inc_gpc0:
    case stick_op::inc_gpc1: {
      if (!e) return give(0, k);
      if (const auto v = stick::inc_gpc(*t, *e, op == stick_op::inc_gpc0 ? 0 : 1)) give(*v, k);
      return;
    }
    case stick_op::clr_gpc0:
    case stick_op::clr_gpc1: {
      if (!e) return give(0, k);
      if (const auto v = stick::clear_gpc(*t, *e, op == stick_op::clr_gpc0 ? 0 : 1)) give(*v, k);
      return;
    }
    case stick_op::updt_conn_cnt: {
      if (!e) return give(0, k);
      if (const auto v = stick::update_conn_cnt(*t, *e)) give(*v, k);
      return;
    }
  }
}

// in_table(T) and table_*(T): the sample is a key of table T (stick_table.c's
// sample_conv_in_table() and sample_conv_table_*()).
bool conv_stick(const converter_step& c, const sample_source& s, sample& v) {
  stick::table* t = s.stick_table(c.args_.empty() ? std::string_view() : c.args_[0]);
  if (t == nullptr) return false;
  const std::optional<std::string> key = t->key_of(to_text(v));
  if (!key) return false;
  const stick::entry_ref e = t->lookup(*key);
  const auto op = static_cast<stick_op>(c.n_[1]);
  const auto type = static_cast<data_type>(c.n_[2]);
  if (op == stick_op::tracked) {  // in_table
    v = sample::boolean(e != nullptr);
    return true;
  }
  std::uint64_t value = 0;
  if (op == stick_op::trackers) {
    value = e ? t->use_count(*e) : 0;
  } else {
    const data_type read = op == stick_op::kbytes_in    ? data_type::bytes_in_cnt
                           : op == stick_op::kbytes_out ? data_type::bytes_out_cnt
                                                        : type;
    if (!t->stores(read) || read == data_type::server_key) return false;
    if (e) value = t->read(*e, read).value_or(0);
    if (op == stick_op::kbytes_in || op == stick_op::kbytes_out) value >>= 10;
  }
  v = sample::integer(static_cast<std::int64_t>(value));
  return true;
}

}  // namespace

std::optional<bool> setup_stick_converter(std::string_view name, converter_step& c,
                                          std::string& error) {
  if (name == "in_table") {
    c.n_[1] = static_cast<std::int64_t>(stick_op::tracked);
  } else if (name.starts_with("table_")) {
    const std::string_view rest = name.substr(6);
    const suffix* found = nullptr;
    for (const suffix& s : suffixes) {
      if (s.name_ == rest && (s.op_ == stick_op::read || s.op_ == stick_op::kbytes_in ||
                              s.op_ == stick_op::kbytes_out || s.op_ == stick_op::trackers)) {
        found = &s;
      }
    }
    if (rest == "server_id") {
      c.n_[1] = static_cast<std::int64_t>(stick_op::read);
      c.n_[2] = static_cast<std::int64_t>(data_type::server_id);
    } else if (found == nullptr || rest.starts_with("get_")) {
      return std::nullopt;
    } else {
      c.n_[1] = static_cast<std::int64_t>(found->op_);
      c.n_[2] = static_cast<std::int64_t>(found->type_);
    }
  } else {
    return std::nullopt;
  }
  if (c.args_.empty() || c.args_[0].empty()) {
    error = "converter '" + std::string(name) + "' expects a table name";
    return false;
  }
  c.fn_ = conv_stick;
  c.any_input_ = true;
  return true;
}

std::optional<bool> setup_stick_fetch(std::string_view name, fetch_step& f, std::string& error) {
  std::int64_t slot = -1;
  bool numbered = false;  // sc_*(N, …)
  std::string_view rest;
  if (name.starts_with("sc_")) {
    numbered = true;
    rest = name.substr(3);
  } else if (name.size() > 4 && name.starts_with("sc") && name[2] >= '0' && name[2] <= '9' &&
             name[3] == '_') {
    slot = name[2] - '0';
    rest = name.substr(4);
  } else if (name.starts_with("src_")) {
    rest = name.substr(4);
  } else {
    return std::nullopt;
  }
  const suffix* found = nullptr;
  for (const suffix& s : suffixes) {
    if (s.name_ == rest) found = &s;
  }
  if (found == nullptr) return std::nullopt;
  const bool src = slot < 0 && !numbered;
  if ((src && (found->op_ == stick_op::trackers || found->op_ == stick_op::tracked)) ||
      (!src && found->op_ == stick_op::updt_conn_cnt)) {
    return std::nullopt;
  }
  if (numbered) {
    if (f.args_.empty() || f.args_[0].empty()) {
      error = "fetch method '" + std::string(name) + "' expects a counter number";
      return false;
    }
    std::size_t used = 0;
    slot = leading_integer(f.args_[0], &used);
    if (used != f.args_[0].size()) {
      error = "'" + f.args_[0] + "' is not an integer";
      return false;
    }
    f.n_[0] = slot;
    f.has_n_[0] = true;
  }
  if (slot >= static_cast<std::int64_t>(stick::counter_slots)) {
    error = "invalid stick counter " + std::to_string(slot) + " in fetch method '" +
            std::string(name) + "' (Tandem keeps sc0 to sc2, HAProxy's default)";
    return false;
  }
  f.fn_ = fetch_stick;
  f.n_[0] = slot;
  f.n_[1] = static_cast<std::int64_t>(found->op_);
  f.n_[2] = static_cast<std::int64_t>(found->type_);
  return true;
}

}  // namespace tandem::runtime::proxy::acl
