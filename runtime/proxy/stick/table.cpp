// Stick tables (see table.hpp).
#include "runtime/proxy/stick/table.hpp"

#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <cstring>

namespace tandem::runtime::proxy::stick {

namespace {

constexpr std::string_view type_names[data_type_count] = {
    "server_id",     "gpt0",          "gpc0",          "gpc0_rate",      "conn_cnt",
    "conn_rate",     "conn_cur",      "sess_cnt",      "sess_rate",      "http_req_cnt",
    "http_req_rate", "http_err_cnt",  "http_err_rate", "bytes_in_cnt",   "bytes_in_rate",
    "bytes_out_cnt", "bytes_out_rate", "gpc1",         "gpc1_rate",      "server_key",
    "http_fail_cnt", "http_fail_rate",
};

std::size_t index(data_type t) {
  return static_cast<std::size_t>(t);
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t depth = 0, start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++depth;
    else if (s[i] == ')' && depth > 0) --depth;
    else if (s[i] == sep && depth == 0) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

}  // namespace

std::string_view data_type_name(data_type t) {
  return type_names[index(t)];
}

std::optional<data_type> find_data_type(std::string_view name) {
  for (std::size_t i = 0; i < data_type_count; ++i) {
    if (type_names[i] == name) return static_cast<data_type>(i);
  }
  return std::nullopt;
}

bool is_rate(data_type t) {
  switch (t) {
    case data_type::gpc0_rate:
    case data_type::gpc1_rate:
    case data_type::conn_rate:
    case data_type::sess_rate:
    case data_type::http_req_rate:
    case data_type::http_err_rate:
    case data_type::bytes_in_rate:
    case data_type::bytes_out_rate:
    case data_type::http_fail_rate:
      return true;
    default:
      return false;
  }
}

clock_fn steady_clock_ms() {
  return [] {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  };
}

std::optional<std::uint64_t> parse_time_ms(std::string_view text) {
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + (text[i] - '0');
  if (i == 0) return std::nullopt;
  const std::string_view unit = text.substr(i);
  if (unit.empty() || unit == "ms") return v;
  if (unit == "us") return v / 1000;
  if (unit == "s") return v * 1000;
  if (unit == "m") return v * 60'000;
  if (unit == "h") return v * 3'600'000;
  if (unit == "d") return v * 86'400'000;
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + (text[i] - '0');
  if (i == 0) return std::nullopt;
  const std::string_view unit = text.substr(i);
  if (unit.empty()) return v;
  if (unit == "k" || unit == "K") return v * 1024;
  if (unit == "m" || unit == "M") return v * 1024 * 1024;
  if (unit == "g" || unit == "G") return v * 1024 * 1024 * 1024;
  return std::nullopt;
}

bool parse_settings(std::span<const std::string> w, table_settings& s, std::string& error) {
  bool typed = false;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::string& word = w[i];
    auto value = [&]() -> const std::string* { return i + 1 < w.size() ? &w[++i] : nullptr; };
    if (word == "type") {
      const std::string* t = value();
      if (t == nullptr) {
        error = "missing type after 'type'";
        return false;
      }
      if (*t == "ip" || *t == "ipv4") s.type_ = key_type::ip;
      else if (*t == "ipv6") s.type_ = key_type::ipv6;
      else if (*t == "integer") s.type_ = key_type::integer;
      else if (*t == "string") s.type_ = key_type::string;
      else if (*t == "binary") s.type_ = key_type::binary;
      else {
        error = "unknown type '" + *t + "'";
        return false;
      }
      typed = true;
      if ((s.type_ == key_type::string || s.type_ == key_type::binary) && i + 1 < w.size() &&
          w[i + 1] == "len") {
        ++i;
        const std::string* n = value();
        const auto len = n ? parse_size(*n) : std::nullopt;
        if (!len || *len == 0) {
          error = "invalid length for type '" + *t + "'";
          return false;
        }
        s.key_length_ = *len;
      }
    } else if (word == "size") {
      const std::string* n = value();
      const auto size = n ? parse_size(*n) : std::nullopt;
      if (!size) {
        error = "invalid size '" + (n ? *n : std::string()) + "'";
        return false;
      }
      s.size_ = *size;
    } else if (word == "expire") {
      const std::string* n = value();
      const auto t = n ? parse_time_ms(*n) : std::nullopt;
      if (!t) {
        error = "unexpected character in argument to 'expire'";
        return false;
      }
      if (*t > 0x7fffffff) {
        error = "timer overflow in argument to 'expire'";
        return false;
      }
      s.expire_ = static_cast<std::uint32_t>(*t);
    } else if (word == "nopurge") {
      s.nopurge_ = true;
    } else if (word == "peers") {
      const std::string* n = value();
      if (n == nullptr) {
        error = "missing argument after 'peers'";
        return false;
      }
      s.peers_ = *n;
    } else if (word == "srvkey" || word == "write-to") {
      value();
    } else if (word == "recv-only") {
    } else if (word == "store") {
      const std::string* list = value();
      if (list == nullptr) {
        error = "missing data type after 'store'";
        return false;
      }
      for (std::string_view item : split(*list, ',')) {
        std::string_view name = item;
        std::optional<std::uint64_t> period;
        if (const std::size_t open = item.find('('); open != std::string_view::npos) {
          name = item.substr(0, open);
          std::string_view arg = item.substr(open + 1);
          if (!arg.empty() && arg.back() == ')') arg.remove_suffix(1);
          period = parse_time_ms(arg);
          if (!period || *period == 0) {
            error = "invalid period in '" + std::string(item) + "'";
            return false;
          }
        }
        const std::optional<data_type> t = find_data_type(name);
        if (!t) {
          error = "'" + std::string(name) + "' is not a data type Tandem stores (it keeps "
                  "server_id, gpt0, gpc0, gpc1, their rates, conn_*, sess_*, http_req_*, "
                  "http_err_*, http_fail_*, bytes_* and server_key; not the arrays gpt, gpc, "
                  "gpc_rate)";
          return false;
        }
        if (is_rate(*t) && !period) {
          error = "missing argument for data type '" + std::string(name) + "'";
          return false;
        }
        if (!is_rate(*t) && period) {
          error = "data type '" + std::string(name) + "' takes no argument";
          return false;
        }
        s.stored_[index(*t)] = true;
        if (period) s.period_[index(*t)] = static_cast<std::uint32_t>(*period);
      }
    } else {
      error = "unknown argument '" + word + "'";
      return false;
    }
  }
  if (!typed) {
    error = "missing 'type'";
    return false;
  }
  if (s.size_ == 0) {
    error = "missing size";
    return false;
  }
  return true;
}

table::table(std::string name, table_settings settings, clock_fn clock)
    : name_(std::move(name)), settings_(std::move(settings)), clock_(std::move(clock)) {}

std::optional<std::string> table::key_of(std::string_view text) const {
  switch (settings_.type_) {
    case key_type::ip: {
      in_addr a{};
      std::string s(text);
      if (inet_pton(AF_INET, s.c_str(), &a) == 1) {
        return std::string(reinterpret_cast<const char*>(&a), 4);
      }
      in6_addr a6{};
      if (inet_pton(AF_INET6, s.c_str(), &a6) == 1 && IN6_IS_ADDR_V4MAPPED(&a6)) {
        return std::string(reinterpret_cast<const char*>(&a6) + 12, 4);
      }
      return std::nullopt;
    }
    case key_type::ipv6: {
      std::string s(text);
      in6_addr a6{};
      if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
        return std::string(reinterpret_cast<const char*>(&a6), 16);
      }
      in_addr a{};
      if (inet_pton(AF_INET, s.c_str(), &a) == 1) {
        // IPv4 becomes v4-mapped, as HAProxy's cast does.
        std::string k(10, '\0');
        k += "\xff\xff";
        k.append(reinterpret_cast<const char*>(&a), 4);
        return k;
      }
      return std::nullopt;
    }
    case key_type::integer: {
      std::int64_t v = 0;
      std::size_t i = 0;
      bool negative = false;
      if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
      const std::size_t digits = i;
      for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) v = v * 10 + (text[i] - '0');
      if (i == digits) return std::nullopt;
      const std::uint32_t k = static_cast<std::uint32_t>(negative ? -v : v);
      return std::string(reinterpret_cast<const char*>(&k), 4);
    }
    case key_type::string:
      return std::string(text.substr(0, settings_.key_length_));
    case key_type::binary: {
      std::string k(text.substr(0, settings_.key_length_));
      k.resize(settings_.key_length_, '\0');  // binary keys are padded with zeroes
      return k;
    }
  }
  return std::nullopt;
}

std::string table::key_text(std::string_view key) const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (settings_.type_) {
    case key_type::ip:
      if (key.size() == 4) inet_ntop(AF_INET, key.data(), buf, sizeof buf);
      return buf;
    case key_type::ipv6:
      if (key.size() == 16) inet_ntop(AF_INET6, key.data(), buf, sizeof buf);
      return buf;
    case key_type::integer: {
      std::uint32_t v = 0;
      std::memcpy(&v, key.data(), std::min<std::size_t>(4, key.size()));
      return std::to_string(v);
    }
    case key_type::string:
      return std::string(key);
    case key_type::binary: {
      // dump_binary(): hexadecimal digits, upper case.
      std::string out;
      for (unsigned char c : key) {
        char h[3];
        std::snprintf(h, sizeof h, "%02X", c);
        out += h;
      }
      return out;
    }
  }
  return {};
}

void table::expire_locked(std::uint64_t now) {
  for (auto it = order_.begin(); it != order_.end();) {
    entry* e = it->second;
    if (e->expire_ == 0 || e->expire_ > now) break;
    if (e->use_ > 0) {
      ++it;  // in use: kept until released (which renews it)
      continue;
    }
    it = order_.erase(it);
    e->linked_ = false;
    const std::string key = e->key_;  // e dies with its map entry
    entries_.erase(key);
  }
}

bool table::purge_oldest_locked(std::size_t count) {
  std::size_t purged = 0;
  for (auto it = order_.begin(); it != order_.end() && purged < count;) {
    entry* e = it->second;
    if (e->use_ > 0) {
      ++it;
      continue;
    }
    it = order_.erase(it);
    e->linked_ = false;
    const std::string key = e->key_;  // e dies with its map entry
    entries_.erase(key);
    ++purged;
  }
  return purged > 0;
}

void table::touch_locked(entry& e, std::uint64_t now) {
  order_.erase({e.order_, &e});
  e.order_ = next_order_++;
  order_.insert({e.order_, &e});
  if (settings_.expire_ != 0) e.expire_ = now + settings_.expire_;
}

entry_ref table::lookup(std::string_view key) {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  expire_locked(now);
  auto it = entries_.find(std::string(key));
  return it == entries_.end() ? nullptr : it->second;
}

entry_ref table::get(std::string_view key) {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  expire_locked(now);
  std::string k(key);
  if (auto it = entries_.find(k); it != entries_.end()) return it->second;
  if (entries_.size() >= settings_.size_) {
    // stksess_new(): a full table purges its oldest unused entries (size/256 + 1 of them),
    // unless nopurge; nothing purged, nothing created.
    if (settings_.nopurge_ || !purge_oldest_locked((settings_.size_ >> 8) + 1)) return nullptr;
  }
  auto e = std::make_shared<entry>();
  e->key_ = k;
  e->linked_ = true;
  e->order_ = next_order_++;
  order_.insert({e->order_, e.get()});
  if (settings_.expire_ != 0) e->expire_ = now + settings_.expire_;
  entries_.emplace(std::move(k), e);
  return e;
}

void table::touch(entry& e) {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  if (e.linked_) touch_locked(e, now);
}

entry_ref table::retain(entry_ref e) {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  if (!e->linked_) {
    if (auto it = entries_.find(e->key_); it != entries_.end()) {
      e = it->second;
    } else {
      // Back in: HAProxy's reference keeps an entry from being purged, this one came too late.
      // Room is made as get() makes it.
      if (entries_.size() >= settings_.size_ && !settings_.nopurge_) {
        purge_oldest_locked(entries_.size() - settings_.size_ + 1);
      }
      e->linked_ = true;
      e->order_ = next_order_++;
      order_.insert({e->order_, e.get()});
      if (settings_.expire_ != 0) e->expire_ = now + settings_.expire_;
      entries_.emplace(e->key_, e);
    }
  }
  ++e->use_;
  return e;
}

void table::release(entry& e) {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  if (e.use_ > 0) --e.use_;
  if (e.linked_) touch_locked(e, now);
}

std::uint64_t table::read_locked(const entry& e, data_type t, std::uint32_t now) const {
  const std::size_t i = index(t);
  if (is_rate(t)) return read_freq_ctr(e.rate_[i], settings_.period_[i], now);
  return e.value_[i];
}

std::optional<std::uint64_t> table::read(const entry& e, data_type t) {
  if (!stores(t)) return std::nullopt;
  const std::uint32_t now = tick();
  std::lock_guard lock(mutex_);
  return read_locked(e, t, now);
}

bool table::add(entry& e, data_type t, std::int64_t delta) {
  if (!stores(t)) return false;
  const std::size_t i = index(t);
  const std::uint32_t now = tick();
  std::lock_guard lock(mutex_);
  if (is_rate(t)) {
    if (delta > 0) {
      update_freq_ctr(e.rate_[i], settings_.period_[i], static_cast<std::uint32_t>(delta), now);
    }
  } else if (delta < 0 && e.value_[i] < static_cast<std::uint64_t>(-delta)) {
    e.value_[i] = 0;
  } else {
    e.value_[i] += static_cast<std::uint64_t>(delta);
  }
  // gpt0, gpc0 and gpc1 are 32-bit in HAProxy; conn_cnt and the others wrap likewise.
  if (t != data_type::bytes_in_cnt && t != data_type::bytes_out_cnt && !is_rate(t)) {
    e.value_[i] &= 0xffffffffu;
  }
  return true;
}

bool table::set(entry& e, data_type t, std::uint64_t value) {
  if (!stores(t)) return false;
  const std::size_t i = index(t);
  const std::uint32_t now = tick();
  std::lock_guard lock(mutex_);
  if (is_rate(t)) {
    e.rate_[i] = freq_ctr{};
    if (value > 0) {
      update_freq_ctr(e.rate_[i], settings_.period_[i], static_cast<std::uint32_t>(value), now);
    }
  } else {
    e.value_[i] = value;
  }
  return true;
}

void table::set_server(entry& e, std::uint32_t id, std::string_view key) {
  std::lock_guard lock(mutex_);
  if (stores(data_type::server_id)) e.value_[index(data_type::server_id)] = id;
  if (stores(data_type::server_key)) e.server_key_ = key;
}

std::optional<std::uint32_t> table::server_of(const entry& e) {
  if (!stores(data_type::server_id)) return std::nullopt;
  std::lock_guard lock(mutex_);
  const std::uint64_t id = e.value_[index(data_type::server_id)];
  if (id == 0) return std::nullopt;
  return static_cast<std::uint32_t>(id);
}

std::uint32_t table::use_count(const entry& e) {
  std::lock_guard lock(mutex_);
  return e.use_;
}

std::size_t table::used() {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  expire_locked(now);
  return entries_.size();
}

std::string table::header() {
  static constexpr std::string_view kinds[] = {"ip", "ipv6", "integer", "string", "binary"};
  const std::size_t n = used();
  return "# table: " + name_ + ", type: " +
         std::string(kinds[static_cast<std::size_t>(settings_.type_)]) +
         ", size:" + std::to_string(settings_.size_) + ", used:" + std::to_string(n) + "\n";
}

std::string table::line_locked(const entry& e, std::uint64_t now) const {
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<const void*>(&e));
  std::string line = address;
  line += ": key=";
  line += key_text(e.key_);
  line += " use=";
  line += std::to_string(e.use_);
  const std::int64_t exp =
      e.expire_ == 0 ? 0 : static_cast<std::int64_t>(e.expire_) - static_cast<std::int64_t>(now);
  line += " exp=";
  line += std::to_string(exp < 0 ? 0 : exp);
  for (std::size_t i = 0; i < data_type_count; ++i) {
    if (!settings_.stored_[i]) continue;
    const data_type t = static_cast<data_type>(i);
    line += ' ';
    line += type_names[i];
    // Appended piece by piece: GCC 12 sees a false -Wrestrict in "(" + std::string.
    if (t == data_type::server_key) {
      line += '=';
      line += e.server_key_;
      continue;
    }
    if (is_rate(t)) {
      line += '(';
      line += std::to_string(settings_.period_[i]);
      line += ')';
    }
    line += '=';
    line += std::to_string(read_locked(e, t, static_cast<std::uint32_t>(now)));
  }
  line += '\n';
  return line;
}

std::string table::dump(std::span<const data_filter> filters,
                        std::optional<std::string_view> key) {
  std::string out = header();
  const std::uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  std::optional<std::string> wanted;
  if (key) {
    wanted = key_of(*key);
    if (!wanted) return out;
  }
  for (const auto& [order, e] : order_) {
    (void)order;
    if (wanted && e->key_ != *wanted) continue;
    if (passes_locked(*e, filters, now)) out += line_locked(*e, now);
  }
  return out;
}

bool table::passes_locked(const entry& e, std::span<const data_filter> filters,
                          std::uint64_t now) const {
  for (const data_filter& f : filters) {
    if (!stores(f.type_) || f.type_ == data_type::server_key) return false;
    const auto v =
        static_cast<std::int64_t>(read_locked(e, f.type_, static_cast<std::uint32_t>(now)));
    const bool ok = f.op_ == "eq"   ? v == f.value_
                    : f.op_ == "ne" ? v != f.value_
                    : f.op_ == "le" ? v <= f.value_
                    : f.op_ == "lt" ? v < f.value_
                    : f.op_ == "ge" ? v >= f.value_
                                    : v > f.value_;
    if (!ok) return false;
  }
  return true;
}

std::size_t table::clear(std::optional<std::string_view> key,
                         std::span<const data_filter> filters) {
  const std::uint64_t now = clock_();
  std::lock_guard lock(mutex_);
  std::size_t removed = 0;
  std::optional<std::string> wanted;
  if (key) {
    wanted = key_of(*key);
    if (!wanted) return 0;
  }
  for (auto it = order_.begin(); it != order_.end();) {
    entry* e = it->second;
    if (e->use_ > 0 || (wanted && e->key_ != *wanted) || !passes_locked(*e, filters, now)) {
      ++it;
      continue;
    }
    it = order_.erase(it);
    e->linked_ = false;
    const std::string key = e->key_;  // e dies with its map entry
    entries_.erase(key);
    ++removed;
  }
  return removed;
}

bool table::set_data(std::string_view text, data_type t, std::uint64_t value) {
  const std::optional<std::string> k = key_of(text);
  if (!k || !stores(t)) return false;
  const entry_ref e = get(*k);
  if (!e) return false;
  set(*e, t, value);
  touch(*e);
  return true;
}

}  // namespace tandem::runtime::proxy::stick
