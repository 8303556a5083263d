// A stick table as HAProxy 2.6 keeps one (src/stick_table.c): entries by key (ip, ipv6,
// integer, string or binary), each with the data types the table stores (counters, rates
// over a period, the server a key sticks to), an expiry renewed when an entry is touched,
// the oldest unused entries purged when the table is full (unless `nopurge`), and the
// `show table` / `clear table` / `set table` operations of the stats socket. Thread-safe: one
// mutex per table; entries are shared so a session can keep the ones it tracks.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/proxy/stick/freq_ctr.hpp"

namespace tandem::runtime::proxy::stick {

enum class key_type : std::uint8_t { ip, ipv6, integer, string, binary };

// HAProxy's STKTABLE_DT_* in their order (the order `show table` prints them in). The array
// types of 2.5+ (gpt, gpc, gpc_rate) are not kept.
enum class data_type : std::uint8_t {
  server_id,
  gpt0,
  gpc0,
  gpc0_rate,
  conn_cnt,
  conn_rate,
  conn_cur,
  sess_cnt,
  sess_rate,
  http_req_cnt,
  http_req_rate,
  http_err_cnt,
  http_err_rate,
  bytes_in_cnt,
  bytes_in_rate,
  bytes_out_cnt,
  bytes_out_rate,
  gpc1,
  gpc1_rate,
  server_key,
  http_fail_cnt,
  http_fail_rate,
};
inline constexpr std::size_t data_type_count = 22;

std::string_view data_type_name(data_type t);
std::optional<data_type> find_data_type(std::string_view name);
// A frequency counter over a period (it is written name(period) and read as a rate).
bool is_rate(data_type t);

// Milliseconds on a monotonic clock; tests pass a virtual one.
using clock_fn = std::function<std::uint64_t()>;
clock_fn steady_clock_ms();

struct table_settings {
  key_type type_ = key_type::ip;
  std::size_t key_length_ = 32;  // string and binary keys (bytes)
  std::size_t size_ = 0;
  std::uint32_t expire_ = 0;  // ms after the last touch; 0: never
  bool nopurge_ = false;
  std::string peers_;  // `peers NAME`: not shared by Tandem (assemble warns)
  std::array<bool, data_type_count> stored_{};
  std::array<std::uint32_t, data_type_count> period_{};  // rates only
};

// Parses the words after `stick-table` (type ip|ipv6|integer|string [len N]|binary [len N],
// size N[kmg], expire T, nopurge, peers NAME, store T1[,T2(P)…], and the 2.6 words Tandem
// accepts and does not need: srvkey, write-to, recv-only). False with `error` set (HAProxy's
// wording where it has one).
bool parse_settings(std::span<const std::string> words, table_settings& s, std::string& error);

// HAProxy's time and size forms: "30s", "10m", "500", "1h"; "500k", "1m", "2g".
std::optional<std::uint64_t> parse_time_ms(std::string_view text);
std::optional<std::uint64_t> parse_size(std::string_view text);

struct entry {
  std::string key_;                    // the key's bytes as the table keeps them
  std::uint64_t expire_ = 0;           // the clock's ms; 0: never
  std::uint64_t order_ = 0;            // position in the purge order (last touch)
  std::uint32_t use_ = 0;              // sessions tracking it (`use=` in the dump)
  bool linked_ = false;                // in its table (not purged, expired or cleared)
  std::array<std::uint64_t, data_type_count> value_{};
  std::array<freq_ctr, data_type_count> rate_{};
  std::string server_key_;
};
using entry_ref = std::shared_ptr<entry>;

// A `show table` filter: data.TYPE OP VALUE.
struct data_filter {
  data_type type_ = data_type::gpc0;
  std::string op_;  // eq ne le lt ge gt
  std::int64_t value_ = 0;
};

class table {
 public:
  table(std::string name, table_settings settings, clock_fn clock = steady_clock_ms());

  const std::string& name() const { return name_; }
  const table_settings& settings() const { return settings_; }
  bool stores(data_type t) const { return settings_.stored_[static_cast<std::size_t>(t)]; }
  // Adds a stored type after construction (stick rules make a table keep server_id and
  // server_key, as HAProxy does). Only while nothing runs yet.
  void store(data_type t) { settings_.stored_[static_cast<std::size_t>(t)] = true; }

  // smp_to_stkey(): the key a sample's text gives in this table's type; nullopt when it does
  // not convert (an IPv6 address that is not v4-mapped in an ip table, a non-number …).
  std::optional<std::string> key_of(std::string_view text) const;
  std::string key_text(std::string_view key) const;

  // stktable_lookup_key(): the entry, nullptr when absent (or expired).
  entry_ref lookup(std::string_view key);
  // stktable_get_entry(): the entry, created when absent (expiring `expire` from now);
  // nullptr when the table is full and nothing can be purged.
  entry_ref get(std::string_view key);
  // stktable_touch(): the entry lives `expire` from now.
  void touch(entry& e);
  // A session starts tracking the entry (use=): the entry it now tracks, which is `e`, or, when
  // `e` left the table since it was found (purged by another thread), the table's entry for
  // the same key (`e` put back when there is none).
  entry_ref retain(entry_ref e);
  // The session stops tracking it; the entry is touched.
  void release(entry& e);

  // The value of a stored type (a rate read now); nullopt when the table does not store it.
  std::optional<std::uint64_t> read(const entry& e, data_type t);
  // Adds to a counter (or a rate's current period); false when not stored. Counters do not
  // go below zero.
  bool add(entry& e, data_type t, std::int64_t delta);
  // Sets a counter (a rate is reset and given `value` events now); false when not stored.
  bool set(entry& e, data_type t, std::uint64_t value);
  // server_id and server_key (what `stick store` records): the server's id and name.
  void set_server(entry& e, std::uint32_t id, std::string_view key);
  std::optional<std::uint32_t> server_of(const entry& e);

  std::size_t used();
  // Sessions tracking the entry (sc_trackers, `use=`).
  std::uint32_t use_count(const entry& e);
  // `show table NAME [data.X op V]… | [key K]`: the header line and the entries, each line
  // ending in '\n', in HAProxy 2.6's words.
  std::string header();
  std::string dump(std::span<const data_filter> filters = {},
                   std::optional<std::string_view> key = std::nullopt);
  // `clear table NAME [data.X op V]… | [key K]`: removes the unused entries (all, those the
  // filters keep, or the key's); the number removed.
  std::size_t clear(std::optional<std::string_view> key = std::nullopt,
                    std::span<const data_filter> filters = {});
  // `set table NAME key K data.X V`: creates the entry if needed; false when the key does not
  // convert or the table does not store the type.
  bool set_data(std::string_view key_text, data_type t, std::uint64_t value);

 private:
  std::uint32_t tick() const { return static_cast<std::uint32_t>(clock_()); }
  void expire_locked(std::uint64_t now);
  bool purge_oldest_locked(std::size_t count);
  void touch_locked(entry& e, std::uint64_t now);
  std::uint64_t read_locked(const entry& e, data_type t, std::uint32_t now) const;
  std::string line_locked(const entry& e, std::uint64_t now) const;
  bool passes_locked(const entry& e, std::span<const data_filter> filters,
                     std::uint64_t now) const;

  std::string name_;
  table_settings settings_;
  clock_fn clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, entry_ref> entries_;
  std::set<std::pair<std::uint64_t, entry*>> order_;  // oldest touch first
  std::uint64_t next_order_ = 1;
};

}  // namespace tandem::runtime::proxy::stick
