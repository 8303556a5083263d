// The common part: the registry and the `balance`/`hash-type` words it accepts or refuses (as
// haproxy -c does), backups for every kind of algorithm, weights, and concurrent picks.
#include <atomic>
#include <thread>

#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

std::string refusal(std::vector<std::string> balance, std::vector<std::string> hash_type = {},
                    std::vector<server_entry> servers = {{0, 1, false, 0, 0}}) {
  settings s;
  s.balance_ = std::move(balance);
  s.hash_type_ = std::move(hash_type);
  std::string error;
  const std::unique_ptr<balancer> b = make_balancer(
      s, servers, [] { return 0u; }, error);
  return b ? "accepted" : error;
}

TEST(registry, names_haproxy_algorithms) {
  const std::vector<std::string_view> expected = {"roundrobin", "static-rr", "leastconn", "first",
                                                  "source",     "uri",       "url_param", "hdr",
                                                  "random",     "rdp-cookie"};
  EXPECT_EQ(algorithm_names(), expected);
}

TEST(registry, accepts_what_haproxy_accepts) {
  for (const std::vector<std::string>& balance : std::vector<std::vector<std::string>>{
           {"roundrobin", "extra"},  // haproxy ignores words after an algorithm without options
           {"static-rr"},
           {"leastconn"},
           {"first"},
           {"source"},
           {"uri", "len", "3", "len", "5"},
           {"uri", "whole", "path-only", "depth", "2"},
           {"url_param", "userid", "check_post", "64"},
           {"hdr(host)"},
           {"hdr(Host)", "use_domain_only"},
           {"random"},
           {"random()"},
           {"random(5)"},
           {"rdp-cookie"},
           {"rdp-cookie(msts)", "extra"},
       }) {
    EXPECT_EQ(refusal(balance), "accepted") << balance[0];
  }
}

TEST(registry, refuses_what_haproxy_refuses) {
  for (const std::vector<std::string>& balance : std::vector<std::vector<std::string>>{
           {"RoundRobin"},
           {"leastconn(1)"},
           {"source(x)"},
           {"uri", "foo"},
           {"uri", "len", "0"},
           {"uri", "depth"},
           {"uri", "len", "-3"},
           {"url_param"},
           {"url_param", "a", "foo"},
           {"hdr"},
           {"hdr()"},
           {"hdr(host"},
           {"hdr(host)", "foo"},
           {"random(0)"},
           {"random(x)"},
           {"random(3"},
           {"rdp-cookie()"},
           {"hash", "req.cookie(id)"},  // haproxy has it; Tandem does not yet
       }) {
    EXPECT_NE(refusal(balance), "accepted") << balance[0];
  }
  EXPECT_NE(refusal({"uri"}, {"consistent", "md5"}), "accepted");
  EXPECT_NE(refusal({"roundrobin"}, {}, {{0, 257, false, 0, 0}}), "accepted");
  EXPECT_NE(refusal({"roundrobin"}, {}, {{1, 1, false, 0, 0}}), "accepted");
  EXPECT_NE(refusal({"first"}, {}, {{0, 1, false, 0, 4}, {1, 1, false, 0, 4}}), "accepted");
}

TEST(registry, says_why) {
  EXPECT_EQ(refusal({"uri", "len", "0"}),
            "balance uri: 'len' expects a positive integer (got '0')");
  EXPECT_NE(refusal({"bogus"}).find("unknown balance algorithm 'bogus'"), std::string::npos);
}

TEST(registry, random_needs_a_random_source) {
  settings s;
  s.balance_ = {"random"};
  const std::vector<server_entry> servers = {{0, 1, false, 0, 0}};
  std::string error;
  EXPECT_EQ(make_balancer(s, servers, {}, error), nullptr);
  EXPECT_FALSE(error.empty());
}

// Every algorithm, no active server up: the first backup alone, or all of them balanced by the
// same algorithm with option allbackups.
TEST(backups, every_algorithm_uses_only_the_first_backup_without_allbackups) {
  for (std::string_view name : algorithm_names()) {
    std::vector<std::string> balance{std::string(name)};
    if (name == "url_param") {
      balance.push_back("id");
    } else if (name == "hdr") {
      balance = {"hdr(host)"};
    }
    test_backend be(balance, {{"s1"}, {"b1", 1, true}, {"b2", 1, true}, {"b3", 1, true}}, {}, false,
                    [] { return 0x12345678u; });
    be.maint("s1");
    EXPECT_EQ(be.serve(3), "b1 b1 b1") << name;
    be.maint("b1");
    EXPECT_EQ(be.serve(3), "b2 b2 b2") << name;
    be.ready("s1");
    EXPECT_EQ(be.serve(2), "s1 s1") << name;
  }
}

TEST(backups, allbackups_balances_them_with_the_same_algorithm) {
  test_backend rr({"static-rr"}, {{"s1"}, {"b1", 1, true}, {"b2", 1, true}}, {}, true);
  rr.maint("s1");
  EXPECT_EQ(rr.serve(4), "b1 b2 b1 b2");

  test_backend lc({"leastconn"}, {{"s1"}, {"b1", 1, true}, {"b2", 1, true}}, {}, true);
  lc.maint("s1");
  lc.b().connection_opened(lc.id("b1"));
  EXPECT_EQ(lc.b().pick({}), lc.id("b2"));

  // Backups hash among themselves as actives do among themselves: b1..b3 take the places of
  // s1..s3 in haproxy's source map.
  test_backend src({"source"}, {{"a1"}, {"s1", 1, true}, {"s2", 1, true}, {"s3", 1, true}}, {},
                   true);
  src.maint("a1");
  EXPECT_EQ(src.serve_sources({"127.0.0.1", "127.0.0.2", "127.0.0.3"}), "s3 s1 s2");
}

TEST(weights, above_256_counts_as_256) {
  test_backend clamped({"roundrobin"}, weighted({1, 1}));
  test_backend top({"roundrobin"}, weighted({1, 1}));
  clamped.weight("s1", 1000);
  top.weight("s1", 256);
  EXPECT_EQ(clamped.serve(300), top.serve(300));
}

TEST(weights, a_weight_set_while_down_applies_when_back) {
  test_backend be({"roundrobin"}, weighted({1, 1}));
  be.maint("s1");
  be.weight("s1", 3);
  EXPECT_EQ(be.serve(2), "s2 s2");
  be.ready("s1");
  // The same as a fresh backend with weights 3,1 would do from here on, once settled.
  const std::string picks = be.serve(40);
  EXPECT_EQ(std::count(picks.begin(), picks.end(), '1'), 30);
}

TEST(hashing, two_balancers_pick_alike_for_the_same_keys) {
  test_backend a({"uri"}, weighted({2, 5, 1}), {"consistent"});
  test_backend b({"uri"}, weighted({2, 5, 1}), {"consistent"});
  EXPECT_EQ(a.serve_uris(uris), b.serve_uris(uris));
}

// A few threads picking and counting connections at once: the lock keeps the global order
// (so round robin still splits evenly) and the counts consistent.
TEST(concurrency, threads_pick_and_count_together) {
  test_backend rr({"roundrobin"}, weighted({1, 1, 1}));
  test_backend lc({"leastconn"}, weighted({1, 1, 1}));
  std::array<std::atomic<int>, 3> rr_counts{};
  std::atomic<int> lc_nones{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3000; ++i) {
        const std::optional<std::uint32_t> r = rr.b().pick({});
        ++rr_counts[*r];
        const std::optional<std::uint32_t> l = lc.b().pick({});
        if (!l) {
          ++lc_nones;
          continue;
        }
        lc.b().connection_opened(*l);
        rr.b().set_weight(*r, 1);  // a no-op change, under contention
        lc.b().connection_closed(*l);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(rr_counts[0], 4000);
  EXPECT_EQ(rr_counts[1], 4000);
  EXPECT_EQ(rr_counts[2], 4000);
  EXPECT_EQ(lc_nones, 0);
  // Every connection closed: all idle again, and leastconn goes round the three.
  const std::string after = lc.serve(3);
  EXPECT_TRUE(after.find("s1") != std::string::npos && after.find("s2") != std::string::npos &&
              after.find("s3") != std::string::npos)
      << after;
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
