// Stick tables: settings, keys, expiry, purge when full, every data type, the dump.
#include "runtime/proxy/stick/table.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace tandem::runtime::proxy::stick {
namespace {

struct virtual_clock {
  std::shared_ptr<std::uint64_t> now_ = std::make_shared<std::uint64_t>(5'000'000);
  clock_fn fn() const {
    auto n = now_;
    return [n] { return *n; };
  }
  void advance(std::uint64_t ms) { *now_ += ms; }
};

table_settings settings_of(std::vector<std::string> words) {
  table_settings s;
  std::string error;
  EXPECT_TRUE(parse_settings(words, s, error)) << error;
  return s;
}

TEST(StickSettings, ReadsTheFormsConfigsUse) {
  const table_settings s = settings_of({"type", "ip", "size", "500k", "expire", "30s", "store",
                                        "conn_cur,conn_rate(10s),http_req_rate(10s),http_err_rate(10s)"});
  EXPECT_EQ(s.type_, key_type::ip);
  EXPECT_EQ(s.size_, 500u * 1024);
  EXPECT_EQ(s.expire_, 30'000u);
  EXPECT_TRUE(s.stored_[static_cast<std::size_t>(data_type::conn_cur)]);
  EXPECT_EQ(s.period_[static_cast<std::size_t>(data_type::conn_rate)], 10'000u);
  EXPECT_FALSE(s.stored_[static_cast<std::size_t>(data_type::gpc0)]);

  const table_settings b = settings_of({"type", "binary", "len", "32", "size", "30k", "expire",
                                        "30m", "peers", "mypeers", "nopurge"});
  EXPECT_EQ(b.type_, key_type::binary);
  EXPECT_EQ(b.key_length_, 32u);
  EXPECT_EQ(b.peers_, "mypeers");
  EXPECT_TRUE(b.nopurge_);
}

TEST(StickSettings, RefusesWhatItCannotKeep) {
  auto refused = [](std::vector<std::string> words) {
    table_settings s;
    std::string error;
    return !parse_settings(words, s, error) && !error.empty();
  };
  EXPECT_TRUE(refused({"type", "ip", "size", "1", "store", "conn_rate"}));  // no period
  EXPECT_TRUE(refused({"type", "ip", "size", "1", "store", "gpc0(10s)"}));  // not a rate
  EXPECT_TRUE(refused({"type", "ip", "size", "1", "store", "gpc(2)"}));     // arrays
  EXPECT_TRUE(refused({"type", "ip"}));                                     // no size
  EXPECT_TRUE(refused({"size", "10"}));                                     // no type
  EXPECT_TRUE(refused({"type", "mac", "size", "1"}));
  EXPECT_TRUE(refused({"type", "ip", "size", "1", "expire", "soon"}));
}

TEST(StickTable, KeysOfEachType) {
  virtual_clock clock;
  table ip("t", settings_of({"type", "ip", "size", "10"}), clock.fn());
  EXPECT_EQ(ip.key_text(*ip.key_of("10.1.2.3")), "10.1.2.3");
  EXPECT_EQ(ip.key_text(*ip.key_of("::ffff:10.1.2.3")), "10.1.2.3");
  EXPECT_FALSE(ip.key_of("2001:db8::1"));
  EXPECT_FALSE(ip.key_of("nope"));
  table v6("t", settings_of({"type", "ipv6", "size", "10"}), clock.fn());
  EXPECT_EQ(v6.key_text(*v6.key_of("2001:db8::1")), "2001:db8::1");
  EXPECT_EQ(v6.key_text(*v6.key_of("10.0.0.1")), "::ffff:10.0.0.1");
  table in("t", settings_of({"type", "integer", "size", "10"}), clock.fn());
  EXPECT_EQ(in.key_text(*in.key_of("42")), "42");
  EXPECT_FALSE(in.key_of("x"));
  table st("t", settings_of({"type", "string", "len", "4", "size", "10"}), clock.fn());
  EXPECT_EQ(*st.key_of("abcdef"), "abcd");
  table bin("t", settings_of({"type", "binary", "len", "4", "size", "10"}), clock.fn());
  EXPECT_EQ(bin.key_text(*bin.key_of("AB")), "41420000");
}

TEST(StickTable, EntriesExpireAfterTheirLastTouch) {
  virtual_clock clock;
  table t("t", settings_of({"type", "ip", "size", "10", "expire", "10s", "store", "gpc0"}),
          clock.fn());
  const std::string k = *t.key_of("1.2.3.4");
  EXPECT_EQ(t.lookup(k), nullptr);
  entry_ref e = t.get(k);
  ASSERT_NE(e, nullptr);
  clock.advance(6'000);
  t.touch(*e);
  clock.advance(6'000);
  EXPECT_NE(t.lookup(k), nullptr);  // 6 s after the touch
  clock.advance(4'000);
  EXPECT_EQ(t.lookup(k), nullptr);  // 10 s after it
  EXPECT_EQ(t.used(), 0u);
}

TEST(StickTable, EntriesInUseOutliveTheirExpiry) {
  virtual_clock clock;
  table t("t", settings_of({"type", "ip", "size", "10", "expire", "1s"}), clock.fn());
  const std::string k = *t.key_of("1.2.3.4");
  entry_ref e = t.get(k);
  e = t.retain(e);
  clock.advance(5'000);
  EXPECT_NE(t.lookup(k), nullptr);
  t.release(*e);  // renewed now
  clock.advance(900);
  EXPECT_NE(t.lookup(k), nullptr);
  clock.advance(200);
  EXPECT_EQ(t.lookup(k), nullptr);
}

TEST(StickTable, WithoutExpireEntriesStay) {
  virtual_clock clock;
  table t("t", settings_of({"type", "integer", "size", "10"}), clock.fn());
  t.get(*t.key_of("1"));
  clock.advance(1'000'000'000);
  EXPECT_EQ(t.used(), 1u);
}

TEST(StickTable, AFullTablePurgesItsOldestUnusedEntries) {
  virtual_clock clock;
  table t("t", settings_of({"type", "integer", "size", "3"}), clock.fn());
  entry_ref one = t.get(*t.key_of("1"));
  one = t.retain(one);  // in use: never purged
  t.get(*t.key_of("2"));
  t.get(*t.key_of("3"));
  t.touch(*t.lookup(*t.key_of("2")));  // 3 is now the oldest unused
  ASSERT_NE(t.get(*t.key_of("4")), nullptr);
  EXPECT_EQ(t.used(), 3u);
  EXPECT_NE(t.lookup(*t.key_of("1")), nullptr);
  EXPECT_NE(t.lookup(*t.key_of("2")), nullptr);
  EXPECT_EQ(t.lookup(*t.key_of("3")), nullptr);
}

TEST(StickTable, AnEntryPurgedBeforeItIsTrackedComesBack) {
  virtual_clock clock;
  table t("t", settings_of({"type", "integer", "size", "2"}), clock.fn());
  entry_ref a = t.get(*t.key_of("1"));
  t.get(*t.key_of("2"));
  t.get(*t.key_of("3"));  // purges 1, the oldest
  EXPECT_EQ(t.lookup(*t.key_of("1")), nullptr);
  EXPECT_EQ(t.retain(a), a);  // a session that found it still tracks it, in the table
  EXPECT_EQ(t.lookup(*t.key_of("1")), a);
  EXPECT_EQ(t.used(), 2u);
  // Found again by key while another entry replaced it: the table's entry is the one tracked.
  entry_ref b = t.get(*t.key_of("3"));
  t.clear(t.key_text(*t.key_of("3")));
  entry_ref b2 = t.get(*t.key_of("3"));
  EXPECT_EQ(t.retain(b), b2);
  EXPECT_EQ(t.use_count(*b2), 1u);
}

TEST(StickTable, NopurgeRefusesNewEntriesWhenFull) {
  virtual_clock clock;
  table t("t", settings_of({"type", "integer", "size", "2", "nopurge"}), clock.fn());
  t.get(*t.key_of("1"));
  t.get(*t.key_of("2"));
  EXPECT_EQ(t.get(*t.key_of("3")), nullptr);
  EXPECT_NE(t.get(*t.key_of("2")), nullptr);  // existing ones are still found
}

TEST(StickTable, EveryDataType) {
  virtual_clock clock;
  std::string store;
  for (std::size_t i = 0; i < data_type_count; ++i) {
    const data_type d = static_cast<data_type>(i);
    if (!store.empty()) store += ',';
    store += std::string(data_type_name(d));
    if (is_rate(d)) store += "(10s)";
  }
  table t("t", settings_of({"type", "ip", "size", "10", "store", store}), clock.fn());
  entry_ref e = t.get(*t.key_of("1.2.3.4"));
  for (std::size_t i = 0; i < data_type_count; ++i) {
    const data_type d = static_cast<data_type>(i);
    EXPECT_TRUE(t.stores(d)) << data_type_name(d);
    if (d == data_type::server_key) continue;
    EXPECT_EQ(t.read(*e, d), 0u) << data_type_name(d);
    EXPECT_TRUE(t.add(*e, d, 3)) << data_type_name(d);
    EXPECT_EQ(t.read(*e, d), 3u) << data_type_name(d);
    if (!is_rate(d)) {
      EXPECT_TRUE(t.add(*e, d, -5));
      EXPECT_EQ(t.read(*e, d), 0u) << data_type_name(d) << " stays at zero";
    }
  }
  t.set_server(*e, 7, "web7");
  EXPECT_EQ(t.server_of(*e), 7u);
  EXPECT_EQ(find_data_type("http_req_rate"), data_type::http_req_rate);
  EXPECT_FALSE(find_data_type("gpc"));
}

TEST(StickTable, UnstoredTypesAreNotFound) {
  virtual_clock clock;
  table t("t", settings_of({"type", "ip", "size", "10", "store", "gpc0"}), clock.fn());
  entry_ref e = t.get(*t.key_of("1.2.3.4"));
  EXPECT_FALSE(t.read(*e, data_type::conn_cur));
  EXPECT_FALSE(t.add(*e, data_type::conn_cur, 1));
  EXPECT_FALSE(t.server_of(*e));
}

TEST(StickTable, RatesOverTheVirtualClock) {
  virtual_clock clock;
  table t("t", settings_of({"type", "ip", "size", "10", "store", "http_req_rate(10s)"}),
          clock.fn());
  entry_ref e = t.get(*t.key_of("1.2.3.4"));
  for (int i = 0; i < 20; ++i) t.add(*e, data_type::http_req_rate, 1);
  EXPECT_EQ(t.read(*e, data_type::http_req_rate), 20u);
  clock.advance(15'000);  // half-way through the next period
  EXPECT_EQ(t.read(*e, data_type::http_req_rate), 10u);
  clock.advance(5'000);
  EXPECT_EQ(t.read(*e, data_type::http_req_rate), 0u);
}

TEST(StickTable, DumpsInHAProxysWords) {
  virtual_clock clock;
  table t("fe", settings_of({"type", "ip", "size", "100", "expire", "30s", "store",
                             "gpc0,conn_rate(10s),http_req_cnt"}),
          clock.fn());
  entry_ref e = t.get(*t.key_of("127.0.0.1"));
  t.add(*e, data_type::http_req_cnt, 6);
  t.add(*e, data_type::conn_rate, 2);
  clock.advance(70);
  const std::string dump = t.dump();
  EXPECT_EQ(dump.substr(0, dump.find('\n') + 1), "# table: fe, type: ip, size:100, used:1\n");
  const std::string line = dump.substr(dump.find('\n') + 1);
  EXPECT_EQ(line.substr(0, 2), "0x");
  EXPECT_NE(line.find(": key=127.0.0.1 use=0 exp=29930 gpc0=0 conn_rate(10000)=2 "
                      "http_req_cnt=6\n"),
            std::string::npos)
      << line;
  const data_filter above{data_type::http_req_cnt, "gt", 5};
  const data_filter below{data_type::http_req_cnt, "lt", 5};
  EXPECT_NE(t.dump(std::span(&above, 1)).find("key="), std::string::npos);
  EXPECT_EQ(t.dump(std::span(&below, 1)).find("key="), std::string::npos);
  EXPECT_NE(t.dump({}, "127.0.0.1").find("key="), std::string::npos);
  EXPECT_EQ(t.dump({}, "127.0.0.2").find("key="), std::string::npos);
}

TEST(StickTable, ClearAndSet) {
  virtual_clock clock;
  table t("t", settings_of({"type", "ip", "size", "10", "store", "gpc0"}), clock.fn());
  EXPECT_TRUE(t.set_data("10.0.0.1", data_type::gpc0, 9));
  EXPECT_TRUE(t.set_data("10.0.0.2", data_type::gpc0, 1));
  EXPECT_FALSE(t.set_data("10.0.0.2", data_type::conn_cur, 1));
  EXPECT_EQ(t.read(*t.lookup(*t.key_of("10.0.0.1")), data_type::gpc0), 9u);
  entry_ref used = t.lookup(*t.key_of("10.0.0.2"));
  used = t.retain(used);
  EXPECT_EQ(t.clear("10.0.0.1"), 1u);
  EXPECT_EQ(t.clear(), 0u);  // the other one is in use
  t.release(*used);
  EXPECT_EQ(t.clear(), 1u);
  EXPECT_EQ(t.used(), 0u);
}

}  // namespace
}  // namespace tandem::runtime::proxy::stick

namespace tandem::runtime::proxy::stick {
namespace {

// Sessions on several threads track, count and release entries of one table while it
// purges: the counts add up and nothing is lost or freed under a user.
TEST(StickTable, ThreadsShareATable) {
  virtual_clock clock;
  table t("t", settings_of({"type", "integer", "size", "64", "store", "conn_cur,http_req_cnt"}),
          clock.fn());
  constexpr int threads = 4, rounds = 2000;
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&t, w] {
      for (int i = 0; i < rounds; ++i) {
        const std::string key = *t.key_of(std::to_string((i * 7 + w) % 200));
        entry_ref e = t.get(key);
        if (!e) continue;
        e = t.retain(e);
        t.add(*e, data_type::conn_cur, 1);
        t.add(*e, data_type::http_req_cnt, 1);
        t.add(*e, data_type::conn_cur, -1);
        t.release(*e);
      }
    });
  }
  for (std::thread& w : workers) w.join();
  EXPECT_LE(t.used(), 64u);
  const entry_ref e = t.lookup(*t.key_of("0"));
  if (e) {
    EXPECT_EQ(t.read(*e, data_type::conn_cur), 0u);
    EXPECT_EQ(t.use_count(*e), 0u);
  }
}

}  // namespace
}  // namespace tandem::runtime::proxy::stick
