// Test helpers for runtime/proxy/balance: a backend of named servers behind a balancer, served
// request by request the way measure_haproxy_order.py drove the real haproxy (each pick opens a
// connection that closes before the next request), with the picks joined into "s1 s2 ...".
// The key lists are the script's, so the measured sequences apply unchanged.
#pragma once

#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/proxy/balance/balancer.hpp"

namespace tandem::runtime::proxy::balance::test {

struct server_spec {
  std::string name_;
  std::uint32_t weight_ = 1;
  bool backup_ = false;
  std::uint32_t maxconn_ = 0;
  std::uint32_t puid_ = 0;
};

// s1..sN with the given weights.
inline std::vector<server_spec> weighted(std::vector<std::uint32_t> weights) {
  std::vector<server_spec> out;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    std::string name = "s";
    name += std::to_string(i + 1);
    out.push_back({name, weights[i]});
  }
  return out;
}

class test_backend {
 public:
  test_backend(std::vector<std::string> balance, std::vector<server_spec> servers,
               std::vector<std::string> hash_type = {}, bool all_backups = false,
               random_source random = {})
      : specs_(std::move(servers)) {
    settings s;
    s.balance_ = std::move(balance);
    s.hash_type_ = std::move(hash_type);
    s.all_backups_ = all_backups;
    std::vector<server_entry> entries;
    for (std::uint32_t i = 0; i < specs_.size(); ++i) {
      entries.push_back(
          {i, specs_[i].weight_, specs_[i].backup_, specs_[i].maxconn_, specs_[i].puid_});
      ids_[specs_[i].name_] = i;
    }
    std::string error;
    balancer_ = make_balancer(s, entries, std::move(random), error);
    EXPECT_NE(balancer_, nullptr) << error;
  }

  balancer& b() { return *balancer_; }
  std::uint32_t id(const std::string& name) const { return ids_.at(name); }
  std::string name(std::optional<std::uint32_t> id) const {
    return id ? specs_.at(*id).name_ : "none";
  }

  void maint(const std::string& n) { balancer_->set_usable(id(n), false); }
  void ready(const std::string& n) { balancer_->set_usable(id(n), true); }
  void weight(const std::string& n, std::uint32_t w) { balancer_->set_weight(id(n), w); }

  // One request with these keys; its connection opens and closes.
  std::string serve(const request_keys& keys) {
    const std::optional<std::uint32_t> picked = balancer_->pick(keys);
    if (picked) {
      balancer_->connection_opened(*picked);
      balancer_->connection_closed(*picked);
    }
    return name(picked);
  }
  std::string serve(std::size_t n) {
    std::vector<std::string> picks;
    for (std::size_t i = 0; i < n; ++i) {
      picks.push_back(serve(request_keys{}));
    }
    return join(picks);
  }
  std::string serve_uris(const std::vector<std::string>& uris) {
    std::vector<std::string> picks;
    for (const std::string& u : uris) {
      request_keys k;
      k.uri_ = u;
      picks.push_back(serve(k));
    }
    return join(picks);
  }
  std::string serve_sources(const std::vector<std::string>& addresses) {
    std::vector<std::string> picks;
    for (const std::string& a : addresses) {
      std::array<std::uint8_t, 16> bytes{};
      const bool v6 = a.find(':') != std::string::npos;
      EXPECT_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, a.c_str(), bytes.data()), 1) << a;
      request_keys k;
      k.source_address_ = std::span<const std::uint8_t>(bytes.data(), v6 ? 16 : 4);
      picks.push_back(serve(k));
    }
    return join(picks);
  }
  // A request per value; nullopt: the request lacks the header.
  std::string serve_header(const std::string& header,
                           const std::vector<std::optional<std::string>>& values) {
    std::vector<std::string> picks;
    for (const std::optional<std::string>& v : values) {
      request_keys k;
      k.uri_ = "/";
      k.header_ = [&](std::string_view asked) -> std::optional<std::string_view> {
        if (!v || !equal_ignoring_case(asked, header)) {
          return std::nullopt;
        }
        return std::string_view(*v);
      };
      picks.push_back(serve(k));
    }
    return join(picks);
  }
  std::string serve_rdp(const std::vector<std::string>& cookies) {
    std::vector<std::string> picks;
    for (const std::string& c : cookies) {
      request_keys k;
      k.rdp_cookie_ = c;
      picks.push_back(serve(k));
    }
    return join(picks);
  }

  static std::string join(const std::vector<std::string>& picks) {
    std::string out;
    for (const std::string& p : picks) {
      if (!out.empty()) {
        out += ' ';
      }
      out += p;
    }
    return out;
  }

 private:
  static bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) !=
          std::tolower(static_cast<unsigned char>(b[i]))) {
        return false;
      }
    }
    return true;
  }

  std::vector<server_spec> specs_;
  std::map<std::string, std::uint32_t> ids_;
  std::unique_ptr<balancer> balancer_;
};

// The keys measure_haproxy_order.py sent, in its order.
inline const std::vector<std::string> uris = {"/",
                                              "/index.html",
                                              "/a",
                                              "/b",
                                              "/c",
                                              "/img/logo.png",
                                              "/api/v1/users?id=42",
                                              "/api/v1/users?id=43",
                                              "/static/css/site.css",
                                              "/search?q=tandem",
                                              "/x/y/z",
                                              "/foo/bar/baz?x=1",
                                              "/UPPER/case",
                                              "/a/b/c/d/e/f",
                                              [] {
                                                std::string long_path = "/";
                                                for (int i = 0; i < 20; ++i) {
                                                  long_path += "long";
                                                }
                                                return long_path;
                                              }(),
                                              "/%C3%A9t%C3%A9",
                                              "/1",
                                              "/2",
                                              "/3",
                                              "/4",
                                              "/5",
                                              "/6",
                                              "/7",
                                              "/8"};
inline const std::vector<std::string> absolute_uris = {"http://example.com/a",
                                                       "http://example.com/b?x=1",
                                                       "http://other.test/a",
                                                       "https://example.com:8443/img/logo.png",
                                                       "/a",
                                                       "/b?x=1",
                                                       "/img/logo.png"};
inline const std::vector<std::string> sources = {
    "127.0.0.1",  "127.0.0.2",      "127.0.0.3",       "127.0.0.4",  "127.0.0.5",  "127.0.0.6",
    "127.0.0.7",  "127.0.0.8",      "127.0.0.9",       "127.0.0.10", "127.0.0.11", "127.0.0.12",
    "127.0.0.13", "127.0.0.14",     "127.0.0.15",      "127.0.0.16", "127.0.0.17", "127.0.0.18",
    "127.0.0.19", "127.0.0.20",     "127.0.0.21",      "127.0.0.22", "127.0.0.23", "127.0.0.24",
    "127.1.2.3",  "127.200.100.50", "127.255.255.254", "127.10.0.1", "127.0.1.0",  "127.128.0.7"};
inline const std::vector<std::optional<std::string>> hosts = {"www.example.com",
                                                              "example.com",
                                                              "a.b.c.example.org",
                                                              "localhost",
                                                              "haproxy.1wt.eu",
                                                              "api.tandem.test:8080",
                                                              "www.example.net",
                                                              "shop.example.com",
                                                              "x.y",
                                                              "single",
                                                              ".lead",
                                                              "trail.",
                                                              "www.Example.COM"};
inline const std::vector<std::string> user_uris = {
    "/?userid=alice",      "/p?x=1&userid=bob",
    "/p?userid=carol&x=2", "/p?userid=",
    "/p?userid=dave",      "/p?myuserid=erin&userid=frank",
    "/p?userid=alice",     "/p?userid=grace&userid=heidi",
    "/p?user=ivan",        "/nothing",
    "/p?userid=judy"};
inline const std::vector<std::optional<std::string>> user_header = {
    "alice", "bob",   "carol",        "dave",     "erin",
    "frank", "alice", "grace, heidi", "  ivan  ", "\"judy,x\", y"};
inline const std::vector<std::string> rdp_cookies = {"alice", "bob",   "carol", "dave",
                                                     "erin",  "alice", "frank"};

}  // namespace tandem::runtime::proxy::balance::test
