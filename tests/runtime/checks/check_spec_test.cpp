// from_model on configurations read by the HAProxy front-end (analyse_haproxy_file): check
// kinds, the steps built for them, HAProxy 2.6's precedence and inheritance rules (measured
// where noted), server timing and check address, and what Tandem refuses to run.
#include "runtime/assemble/check_spec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "parsers/haproxy/analyse.hpp"
#include "runtime/checks/builtin.hpp"
#include "tests/parsers/haproxy/analysis_support.hpp"

namespace tandem::runtime::assemble {
namespace {

using namespace std::chrono_literals;
using namespace checks;
namespace hap = parsers::haproxy;

struct configured {
  hap::testing::analysis_result analysed_;

  explicit configured(const std::string& text) {
    const parsers::file_id id = analysed_.sources_.add("t.cfg", text);
    analysed_.analysis_ = hap::analyse_haproxy_file(analysed_.sources_, id, hap::analysis_options{},
                                                    analysed_.diags_);
  }
  const hap::config_model& model() const { return analysed_.analysis_.model_; }
  const hap::proxy& backend(const std::string& name = "app") const {
    const hap::proxy* p = model().find_proxy(name, hap::cap_backend);
    EXPECT_NE(p, nullptr) << name;
    return *p;
  }
  check_spec spec(std::string& error, const std::string& server = "web1",
                  const std::string& name = "app") const {
    const hap::proxy& b = backend(name);
    for (const hap::server& s : b.servers_) {
      if (s.name_ == server) {
        return from_model(b, s, defaults_of(model(), b), error);
      }
    }
    ADD_FAILURE() << "no server " << server;
    return {};
  }
  check_spec spec() const {
    std::string error;
    check_spec s = spec(error);
    EXPECT_EQ(error, "");
    return s;
  }
};

const std::string head =
    "defaults\n  mode http\n  timeout connect 5s\n  timeout client 5s\n  timeout server 5s\n";

template <typename T>
const T& step(const check_spec& s, std::size_t i) {
  EXPECT_LT(i, s.steps_.size());
  return std::get<T>(s.steps_.at(i));
}

TEST(checks_from_model_test, PlainCheckIsATcpConnectWithHaproxysDefaults) {
  const configured c(head + "backend app\n  server web1 127.0.0.1:8080 check\n");
  const check_spec s = c.spec();
  EXPECT_EQ(s.kind_, check_kind::tcp);
  EXPECT_EQ(s.backend_, "app");
  EXPECT_EQ(s.address_, "127.0.0.1");
  EXPECT_EQ(s.port_, 8080);
  ASSERT_EQ(s.steps_.size(), 1U);
  EXPECT_TRUE(step<connect_step>(s, 0).implicit_);
  EXPECT_EQ(s.health_.inter_, 2000ms);
  EXPECT_EQ(s.health_.rise_, 2U);
  EXPECT_EQ(s.health_.fall_, 3U);
  EXPECT_EQ(s.timeout_connect_, 5000ms);
  EXPECT_FALSE(s.timeout_check_);
}

TEST(checks_from_model_test, DefaultServerOptionsComeFirstThenTheServers) {
  const configured c(head +
                     "backend app\n  default-server inter 3s fall 5 fastinter 500 check\n"
                     "  timeout check 1500ms\n"
                     "  server web1 127.0.0.1:8080 rise 4 inter 1s downinter 10s port 9090 "
                     "addr 127.0.0.2\n"
                     "  server web2 127.0.0.1:8081 no-check\n"
                     "  server web3 127.0.0.1:8082 backup\n");
  const check_spec s = c.spec();
  EXPECT_EQ(s.health_.inter_, 1000ms);
  EXPECT_EQ(s.health_.fall_, 5U);
  EXPECT_EQ(s.health_.rise_, 4U);
  EXPECT_EQ(s.health_.fastinter_, 500ms);
  EXPECT_EQ(s.health_.downinter_, 10000ms);
  EXPECT_EQ(s.check_port_, 9090);
  EXPECT_EQ(s.check_address_, "127.0.0.2");
  EXPECT_EQ(s.timeout_check_, 1500ms);
  const hap::proxy& b = c.backend();
  EXPECT_TRUE(has_check(b, b.servers_[0]));
  EXPECT_FALSE(has_check(b, b.servers_[1]));
  std::string error;
  c.spec(error, "web2");
  EXPECT_NE(error.find("has no 'check'"), std::string::npos);
  EXPECT_TRUE(c.spec(error = "", "web3").backup_);
}

TEST(checks_from_model_test, OptionHttpchkWithHeadersHiddenInTheVersion) {
  const configured c(head +
                     "backend app\n  option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www.example\n"
                     "  server web1 127.0.0.1:80 check\n");
  const check_spec s = c.spec();
  EXPECT_EQ(s.kind_, check_kind::http);
  ASSERT_EQ(s.steps_.size(), 3U);
  EXPECT_TRUE(step<connect_step>(s, 0).implicit_);
  // Measured: HAProxy sends "GET /health HTTP/1.1\r\nhost: www.example\r\nconnection: close".
  EXPECT_EQ(http_request_bytes(step<send_step>(s, 1).http_),
            "GET /health HTTP/1.1\r\nhost: www.example\r\nconnection: close\r\n\r\n");
  const auto& expect = step<expect_step>(s, 2);
  EXPECT_EQ(expect.kind_, expect_kind::http_status);
  EXPECT_EQ(expect.statuses_, (std::vector<std::pair<int, int>>{{200, 399}}));
}

TEST(checks_from_model_test, DefaultHttpchkRequest) {
  const configured c(head + "backend app\n  option httpchk\n  server web1 127.0.0.1:80 check\n");
  EXPECT_EQ(http_request_bytes(step<send_step>(c.spec(), 1).http_), "OPTIONS / HTTP/1.0\r\n\r\n");
  const configured uri(head +
                       "backend app\n  option httpchk /ping\n  server web1 127.0.0.1:80 check\n");
  EXPECT_EQ(http_request_bytes(step<send_step>(uri.spec(), 1).http_),
            "OPTIONS /ping HTTP/1.0\r\n\r\n");
}

TEST(checks_from_model_test, HttpCheckSendAndExpectRules) {
  const configured c(
      head +
      "backend app\n  option httpchk\n"
      "  http-check send meth GET uri /x ver HTTP/1.1 hdr Host foo.example hdr X-A b\n"
      "  http-check expect ! string maintenance\n"
      "  http-check expect rstatus ^2\n"
      "  server web1 127.0.0.1:80 check\n");
  const check_spec s = c.spec();
  ASSERT_EQ(s.steps_.size(), 4U);
  // Measured: "GET /x HTTP/1.1\r\nhost: foo.example\r\nx-a: b\r\nconnection: close\r\n\r\n".
  EXPECT_EQ(http_request_bytes(step<send_step>(s, 1).http_),
            "GET /x HTTP/1.1\r\nhost: foo.example\r\nx-a: b\r\nconnection: close\r\n\r\n");
  EXPECT_TRUE(step<expect_step>(s, 2).inverse_);
  EXPECT_EQ(step<expect_step>(s, 2).kind_, expect_kind::http_string);
  EXPECT_EQ(step<expect_step>(s, 3).kind_, expect_kind::http_rstatus);
}

TEST(checks_from_model_test, OptionAfterASendRuleOverridesItsFieldsButKeepsItsHeaders) {
  // Measured: the request is "HEAD /b HTTP/1.0\r\nx-b: b\r\n\r\n".
  const configured c(head +
                     "backend app\n  http-check send hdr X-B b\n  option httpchk HEAD /b\n"
                     "  server web1 127.0.0.1:80 check\n");
  EXPECT_EQ(http_request_bytes(step<send_step>(c.spec(), 1).http_),
            "HEAD /b HTTP/1.0\r\nx-b: b\r\n\r\n");
}

TEST(checks_from_model_test, DefaultsRulesOnlyWhenTheBackendHasNoneOfItsOwn) {
  const std::string defaults = head +
                               "  option httpchk GET /d\n  http-check send hdr X-D d\n"
                               "  http-check expect status 200\n";
  const configured inherits(defaults + "backend app\n  server web1 127.0.0.1:80 check\n");
  const check_spec s = inherits.spec();
  ASSERT_EQ(s.steps_.size(), 3U);
  EXPECT_EQ(http_request_bytes(step<send_step>(s, 1).http_), "GET /d HTTP/1.0\r\nx-d: d\r\n\r\n");
  EXPECT_EQ(step<expect_step>(s, 2).statuses_, (std::vector<std::pair<int, int>>{{200, 200}}));

  // Measured: a backend's own expect replaces the whole ruleset, so no request is sent at all
  // (HAProxy then reports a Layer7 timeout).
  const configured own_expect(defaults +
                              "backend app\n  http-check expect status 200\n"
                              "  server web1 127.0.0.1:80 check\n");
  const check_spec e = own_expect.spec();
  ASSERT_EQ(e.steps_.size(), 2U);
  EXPECT_TRUE(std::holds_alternative<expect_step>(e.steps_[1]));

  // Measured: a backend's own send is sent as written, without the defaults' GET /d.
  const configured own_send(head + "  option httpchk GET /d\n" +
                            "backend app\n  http-check send hdr X-B b\n"
                            "  server web1 127.0.0.1:80 check\n");
  EXPECT_EQ(http_request_bytes(step<send_step>(own_send.spec(), 1).http_),
            "OPTIONS / HTTP/1.0\r\nx-b: b\r\n\r\n");
}

TEST(checks_from_model_test, TheLastCheckOptionWins) {
  const configured c(head +
                     "  option smtpchk\nbackend app\n  option redis-check\n"
                     "  server web1 127.0.0.1:6379 check\n");
  EXPECT_EQ(c.spec().kind_, check_kind::redis);
  const configured d(head +
                     "  option redis-check\nbackend app\n"
                     "  server web1 127.0.0.1:6379 check\n");
  EXPECT_EQ(d.spec().kind_, check_kind::redis);
}

TEST(checks_from_model_test, ProtocolChecks) {
  const configured smtp(head +
                        "backend app\n  mode tcp\n  option smtpchk EHLO me.example\n"
                        "  server web1 127.0.0.1:25 check\n");
  const check_spec s = smtp.spec();
  EXPECT_EQ(s.kind_, check_kind::smtp);
  EXPECT_EQ(step<send_step>(s, 3).data_, "EHLO me.example\r\n");
  const configured plain(head +
                         "backend app\n  option smtpchk\n  server web1 127.0.0.1:25 check\n");
  EXPECT_EQ(step<send_step>(plain.spec(), 3).data_, "HELO localhost\r\n");

  const configured mysql(head +
                         "backend app\n  option mysql-check user haproxy pre-41\n"
                         "  server web1 127.0.0.1:3306 check\n");
  EXPECT_EQ(step<send_step>(mysql.spec(), 1).data_,
            std::string("\x0e\x00\x00\x01\x00\x80\x00\x00\x01haproxy\x00\x00\x01\x00\x00\x00\x01",
                        23));  // captured from HAProxy

  const configured pgsql(head +
                         "backend app\n  option pgsql-check user pg\n"
                         "  server web1 127.0.0.1:5432 check\n");
  EXPECT_EQ(pgsql.spec().kind_, check_kind::pgsql);
  const configured ldap(head +
                        "backend app\n  option ldap-check\n  server web1 127.0.0.1:389 check\n");
  EXPECT_EQ(ldap.spec().kind_, check_kind::ldap);
  const configured ssl(head +
                       "backend app\n  option ssl-hello-chk\n  server web1 127.0.0.1:443 check\n");
  EXPECT_EQ(ssl.spec().kind_, check_kind::ssl_hello);
}

TEST(checks_from_model_test, TcpCheckRulesWithCommentsAndBinary) {
  const configured c(head +
                     "backend app\n  mode tcp\n  option tcp-check\n"
                     "  tcp-check comment pinging\n"
                     "  tcp-check connect port 6380\n"
                     "  tcp-check send-binary 50494e470d0a\n"
                     "  tcp-check expect ! rstring ^-ERR comment noerr\n"
                     "  tcp-check expect string +PONG min-recv 5 error-status L7STS on-error nope\n"
                     "  server web1 127.0.0.1:6379 check\n");
  const check_spec s = c.spec();
  EXPECT_EQ(s.kind_, check_kind::tcp_check);
  ASSERT_EQ(s.steps_.size(), 4U);
  EXPECT_FALSE(step<connect_step>(s, 0).implicit_);
  EXPECT_EQ(step<connect_step>(s, 0).port_, 6380);
  EXPECT_EQ(step<connect_step>(s, 0).comment_, "pinging");
  EXPECT_EQ(step<send_step>(s, 1).data_, "PING\r\n");
  EXPECT_EQ(step<send_step>(s, 1).comment_, "");  // a connect ends the comment
  EXPECT_TRUE(step<expect_step>(s, 2).inverse_);
  EXPECT_EQ(step<expect_step>(s, 2).comment_, "noerr");
  const auto& pong = step<expect_step>(s, 3);
  EXPECT_EQ(pong.min_recv_, 5);
  EXPECT_EQ(pong.error_status_, check_status::l7sts);
  EXPECT_EQ(pong.on_error_text_, "nope");
  // Comment lines count as steps in HAProxy's "at step N" (measured: comment, connect,
  // comment, send, expect times out "at step 5").
  EXPECT_EQ(s.step_numbers_, (std::vector<int>{2, 3, 4, 5}));
  // Without `option tcp-check` the rules are not used.
  const configured unused(head +
                          "backend app\n  tcp-check send PING\\r\\n\n"
                          "  server web1 127.0.0.1:6379 check\n");
  EXPECT_EQ(unused.spec().kind_, check_kind::tcp);
  // The escapes of the configuration reach the bytes sent.
  const configured escaped(head +
                           "backend app\n  option tcp-check\n  tcp-check send PING\\r\\n\n"
                           "  tcp-check expect string +PONG\n"
                           "  server web1 127.0.0.1:6379 check\n");
  EXPECT_EQ(step<send_step>(escaped.spec(), 1).data_, "PING\r\n");
  EXPECT_TRUE(step<connect_step>(escaped.spec(), 0).implicit_);
}

TEST(checks_from_model_test, DisableOn404FromTheBackendOrItsDefaults) {
  const configured c(head +
                     "  http-check disable-on-404\nbackend app\n  option httpchk\n"
                     "  server web1 127.0.0.1:80 check\n");
  EXPECT_TRUE(c.spec().disable_on_404_);
}

TEST(checks_from_model_test, WhatTandemRefuses) {
  const auto error_of = [](const std::string& text) {
    const configured c(text);
    std::string error;
    c.spec(error);
    return error;
  };
  EXPECT_NE(
      error_of(head + "backend app\n  option pgsql-check\n  server web1 127.0.0.1:5432 check\n")
          .find("expects 'user <username>'"),
      std::string::npos);
  EXPECT_NE(error_of(head + "backend app\n  server web1 127.0.0.1 check\n")
                .find("has neither service port nor check port"),
            std::string::npos);
  EXPECT_EQ(error_of(head + "backend app\n  server web1 127.0.0.1 check port 80\n"), "");
  // check-ssl runs (assemble gives the spec its TLS context); check-alpn does not yet.
  EXPECT_EQ(error_of(head + "backend app\n  server web1 127.0.0.1:443 check check-ssl\n"), "");
  EXPECT_NE(error_of(head + "backend app\n  server web1 127.0.0.1:443 check check-alpn h2\n")
                .find("'check-alpn'"),
            std::string::npos);
  EXPECT_NE(error_of(head + "backend app\n  option httpchk\n  http-check expect rstring (\n"
                            "  server web1 127.0.0.1:80 check\n")
                .find("invalid regex"),
            std::string::npos);
  EXPECT_NE(error_of(head + "backend app\n  option tcp-check\n  tcp-check connect ssl\n"
                            "  server web1 127.0.0.1:80 check\n")
                .find("'ssl'"),
            std::string::npos);
  EXPECT_NE(error_of(head + "backend app\n  server web1 unix@/run/app.sock check\n").find("unix@"),
            std::string::npos);
}

TEST(checks_from_model_test, SpreadChecksAndDefaultsLookup) {
  const configured c(
      "global\n  spread-checks 5\ndefaults first\n  mode http\n"
      "defaults second\n  mode tcp\nbackend app from first\n"
      "  server web1 127.0.0.1:80 check\nbackend other\n"
      "  server web1 127.0.0.1:80 check\n");
  EXPECT_EQ(spread_checks(c.model()), 5U);
  EXPECT_EQ(defaults_of(c.model(), c.backend("app"))->name_, "first");
  EXPECT_EQ(defaults_of(c.model(), c.backend("other"))->name_, "second");
}

// Every checked server of the blog configurations (the acceptance examples) that HAProxy
// accepts gets a spec.
TEST(checks_from_model_test, BlogConfigurations) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& dir : fs::recursive_directory_iterator(fs::path(TANDEM_SOURCE_DIR) / "examples" /
                                                          "blog-configs")) {
    if (dir.path().extension() == ".cfg") {
      files.push_back(dir.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());
  int checked = 0;
  std::vector<check_spec> found;
  for (const std::string& path : files) {
    parsers::source_registry sources;
    parsers::diagnostics diags;
    const std::vector<std::string> paths{path};
    const hap::analysis a = hap::analyse_haproxy(sources, paths, hap::analysis_options{}, diags);
    if (diags.has_errors()) {
      continue;  // placeholders such as 10.224.155.xx: nothing to run
    }
    for (const hap::proxy& p : a.model_.proxies_) {
      if ((p.capabilities_ & hap::cap_backend) == 0) {
        continue;
      }
      for (const hap::server& server : p.servers_) {
        if (!has_check(p, server)) {
          continue;
        }
        std::string error;
        found.push_back(from_model(p, server, defaults_of(a.model_, p), error));
        EXPECT_EQ(error, "") << path << ": " << p.name_ << "/" << server.name_;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 20);
  const auto find = [&](const std::string& server) -> const check_spec* {
    for (const check_spec& s : found) {
      if (s.server_ == server) {
        return &s;
      }
    }
    return nullptr;
  };
  // 000: option httpchk HEAD /check.txt HTTP/1.0.
  const check_spec* web_a = find("webA");
  ASSERT_NE(web_a, nullptr);
  EXPECT_EQ(web_a->kind_, check_kind::http);
  EXPECT_EQ(http_request_bytes(std::get<send_step>(web_a->steps_.at(1)).http_),
            "HEAD /check.txt HTTP/1.0\r\n\r\n");
  // 003: option smtpchk HELO haproxy, timeout check 10s.
  const check_spec* smtp = find("dc1server01");
  ASSERT_NE(smtp, nullptr);
  EXPECT_EQ(smtp->kind_, check_kind::smtp);
  EXPECT_EQ(std::get<send_step>(smtp->steps_.at(3)).data_, "HELO haproxy\r\n");
  EXPECT_EQ(smtp->timeout_check_, 10s);
}

}  // namespace
}  // namespace tandem::runtime::assemble
