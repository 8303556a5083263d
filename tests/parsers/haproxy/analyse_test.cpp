// The keyword table, the model it builds (old forms lowered, defaults inheritance), the
// semantic checks and migrate, on small configs given as text.
#include "parsers/haproxy/analyse.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parsers/haproxy/keywords.hpp"
#include "parsers/haproxy/migrate.hpp"
#include "analysis_support.hpp"

namespace tandem::parsers::haproxy {
namespace {

using result = testing::analysis_result;

result analyse_text(const std::string& text, analysis_options options = {}) {
  result r;
  const file_id id = r.sources_.add("t.cfg", text);
  r.analysis_ = analyse_haproxy_file(r.sources_, id, options, r.diags_);
  return r;
}

constexpr const char* timeouts = "  timeout client 1s\n  timeout connect 1s\n  timeout server 1s\n";

TEST(HaproxyAnalyse, OldTimeoutsAndListenAddressAreLoweredWithWarnings) {
  const result r = analyse_text(
      "defaults\n  contimeout 5000\n  clitimeout 50s\n  srvtimeout 1m\n"
      "listen web *:80\n  redispatch\n  server a 127.0.0.1:81\n");
  EXPECT_FALSE(r.diags_.has_errors());
  const proxy& p = r.analysis_.model_.proxies_.at(0);
  EXPECT_EQ(p.timeouts_.at("connect"), 5000U);
  EXPECT_EQ(p.timeouts_.at("client"), 50'000U);
  EXPECT_EQ(p.timeouts_.at("server"), 60'000U);
  ASSERT_EQ(p.binds_.size(), 1U);
  EXPECT_TRUE(p.binds_[0].from_header_);
  EXPECT_EQ(p.binds_[0].addresses_.at(0).port_, 80);
  EXPECT_TRUE(p.options_.at("redispatch").enabled_);
  EXPECT_EQ(r.codes_at(2), std::vector<std::string>{"hap-removed-keyword"});
  EXPECT_NE(r.find("hap-listen-address")->message_.find("'bind *:80'"), std::string::npos);
  EXPECT_TRUE(r.analysis_.has_listener_);
}

TEST(HaproxyAnalyse, ReqaddBecomesAnAddHeaderRule) {
  const result r = analyse_text(std::string("frontend f\n  bind :80\n") + timeouts +
                                "  reqadd X-Proto:\\ https if { ssl_fc }\n");
  const rule& x = r.analysis_.model_.proxies_.at(0).rules_.at(0);
  EXPECT_EQ(x.keyword_, "http-request");
  EXPECT_EQ(x.lowered_from_, "reqadd");
  EXPECT_EQ(x.words_, (std::vector<std::string>{"add-header", "X-Proto", "https", "if", "{",
                                                 "ssl_fc", "}"}));
}

TEST(HaproxyAnalyse, DefaultsInheritanceLastOrNamedAndNoOption) {
  const result r = analyse_text(
      "defaults base\n  mode http\n  option httplog\n  timeout client 7s\n"
      "defaults other\n  mode tcp\n"
      "frontend a\n  bind :80\n"
      "frontend b from base\n  bind :81\n  no option httplog\n");
  const auto& proxies = r.analysis_.model_.proxies_;
  EXPECT_EQ(proxies.at(0).mode_, proxy_mode::tcp);
  EXPECT_EQ(proxies.at(0).from_, "other");
  EXPECT_EQ(proxies.at(1).mode_, proxy_mode::http);
  EXPECT_EQ(proxies.at(1).timeouts_.at("client"), 7000U);
  EXPECT_FALSE(proxies.at(1).options_.at("httplog").enabled_);
}

TEST(HaproxyAnalyse, UnknownKeywordHasADidYouMean) {
  const result r = analyse_text("global\n  maxcon 10\n  bogusword\n");
  const diagnostic* d = r.find("hap-unknown-keyword");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->position_.line_, 2U);
  EXPECT_EQ(d->position_.column_, 3U);
  EXPECT_EQ(d->hint_.value_or(""), "did you mean 'maxconn'?");
  EXPECT_EQ(r.diags_.count(severity::error), 2U);  // never stops at the first
}

TEST(HaproxyAnalyse, CapabilitiesDefaultsAndStrictKeywords) {
  const result r = analyse_text(std::string("defaults\n  bind :80\nbackend b\n  option tcplog\n") +
                                timeouts + "frontend f\n  bind :80\n  server s 1.2.3.4:80\n");
  EXPECT_EQ(r.codes_at(2), std::vector<std::string>{"hap-not-allowed"});
  EXPECT_EQ(r.codes_at(4), std::vector<std::string>{"hap-ignored"});
  EXPECT_EQ(r.codes_at(10), std::vector<std::string>{"hap-not-allowed"});
}

TEST(HaproxyAnalyse, BackendsDuplicatesAndTimeouts) {
  const result r = analyse_text(
      "frontend f\n  bind :80\n  use_backend app if TRUE\n  default_backend nope\n"
      "backend app\n  server s 127.0.0.1:80\n  server s 127.0.0.1:81\nbackend app\n");
  EXPECT_NE(r.find("hap-unknown-backend"), nullptr);
  EXPECT_EQ(r.find("hap-unknown-backend")->position_.line_, 4U);
  EXPECT_EQ(r.codes_at(7), std::vector<std::string>{"hap-duplicate-server"});
  EXPECT_EQ(r.codes_at(8), std::vector<std::string>{"hap-duplicate-proxy"});
  EXPECT_EQ(r.codes_at(1), std::vector<std::string>{"hap-missing-timeouts"});
  EXPECT_EQ(r.codes_at(5), std::vector<std::string>{"hap-missing-timeouts"});
}

TEST(HaproxyAnalyse, AddressesPlaceholdersNamesAndFilesAreInjectable) {
  analysis_options o;
  std::vector<std::string> asked;
  o.resolves_ = [&](const std::string& name) {
    asked.push_back(name);
    return name == "good.example";
  };
  o.file_exists_ = [](const std::string& path) { return path == "/etc/ok.pem"; };
  const result r = analyse_text(
      std::string("frontend f\n  bind :80 ssl crt /etc/ok.pem\n  bind :81 ssl crt /etc/no.pem\n") +
          "  bind 10.0.0.1\n  default_backend b\n" + timeouts +
          "backend b\n  server a 10.224.155.xx:80\n  server b good.example:80\n"
          "  server c bad.example:80\n  server d <pg-node1-ip>\n  server e 1.2.3.4:99999\n",
      o);
  EXPECT_EQ(r.codes_at(2), std::vector<std::string>{});
  EXPECT_EQ(r.codes_at(3), std::vector<std::string>{"hap-missing-file"});
  EXPECT_EQ(r.codes_at(4), std::vector<std::string>{"hap-bad-address"});  // no port
  EXPECT_EQ(r.codes_at(10), std::vector<std::string>{"hap-placeholder"});
  EXPECT_EQ(r.codes_at(11), std::vector<std::string>{});
  EXPECT_EQ(r.codes_at(12), std::vector<std::string>{"hap-unresolved"});
  EXPECT_EQ(r.codes_at(13), std::vector<std::string>{"hap-placeholder"});
  EXPECT_EQ(r.codes_at(14), std::vector<std::string>{"hap-bad-address"});
  EXPECT_EQ(asked, (std::vector<std::string>{"good.example", "bad.example"}));
  EXPECT_EQ(r.find("hap-unresolved")->severity_, severity::warning);
}

TEST(HaproxyAnalyse, TemplateSlotsPeersQuicAndRedHatCipherProfiles) {
  analysis_options o;
  std::vector<std::string> asked;
  o.resolves_ = [&](const std::string& name) {
    asked.push_back(name);
    return false;
  };
  const result r = analyse_text(
      std::string("peers p\n  peer lb-1 lb-1.example:1024\n  peer lb-2 10.0.0.2:1024\n") +
          "frontend f\n  bind quic4@:443 ssl crt /x.pem\n  bind :80 ciphers PROFILE=SYSTEM\n"
          "  default_backend b\n" + timeouts +
          "backend b\n  server a __IP_OF_VM1__:6379\n  server b {{ vm2_ip }}:6379\n"
          "  server c __init__.example:80\n",
      o);
  EXPECT_EQ(r.codes_at(2), std::vector<std::string>{"hap-unresolved"});  // peers resolve too
  EXPECT_EQ(r.codes_at(3), std::vector<std::string>{});
  EXPECT_EQ(r.codes_at(5), std::vector<std::string>{"hap-unsupported"});
  EXPECT_EQ(r.codes_at(6), std::vector<std::string>{"hap-openssl-profile"});
  EXPECT_EQ(r.find("hap-openssl-profile")->severity_, severity::warning);
  EXPECT_EQ(r.codes_at(12), std::vector<std::string>{"hap-placeholder"});
  EXPECT_EQ(r.codes_at(13), std::vector<std::string>{"hap-placeholder"});
  // Lower-case between the underscores is a name, not a slot.
  EXPECT_EQ(r.codes_at(14), std::vector<std::string>{"hap-unresolved"});
  EXPECT_EQ(asked, (std::vector<std::string>{"lb-1.example", "__init__.example"}));
}

TEST(HaproxyAnalyse, RuleAfterUseBackendWarns) {
  const result r = analyse_text(std::string("frontend f\n  bind :80\n") + timeouts +
                                "  use_backend b if TRUE\n  http-request deny\nbackend b\n");
  EXPECT_EQ(r.codes_at(7), std::vector<std::string>{"hap-rule-order"});
}

TEST(HaproxyAnalyse, NewerAndOutOfSection) {
  const result r = analyse_text("maxconn 1\nbackend b\n  guid x\n");
  EXPECT_EQ(r.codes_at(1), std::vector<std::string>{"hap-out-of-section"});
  EXPECT_EQ(r.codes_at(3), std::vector<std::string>{"hap-newer-keyword"});
}

TEST(HaproxyKeywords, TableIsConsistent) {
  for (const keyword_entry& e : keyword_table()) {
    EXPECT_FALSE(e.name_.empty());
    if (e.removed()) {
      EXPECT_FALSE(e.removed_in_.empty()) << e.name_;
    }
    if (e.scope_ == scope::proxy) {
      EXPECT_NE(e.where_ & (cap_defaults | cap_frontend | cap_backend), 0) << e.name_;
    }
  }
  EXPECT_EQ(edit_distance("maxcon", "maxconn", 3), 1U);
  EXPECT_EQ(quote_word("a b"), "'a b'");
  EXPECT_EQ(quote_word("it's"), "\"it's\"");
  EXPECT_EQ(quote_word("plain"), "plain");
}

TEST(HaproxyMigrate, RewritesOldFormsKeepingCommentsAndLayout) {
  const std::string text =
      "global\r\n\tnbproc 2\r\n# note\r\ndefaults\r\n  contimeout\u00a05000 # c\r\n"
      "listen web 0.0.0.0:80 # w\r\n    option httpchk GET / \"HTTP/1.1\\r\\nHost:\\ x\"\r\n"
      "    rspadd X-A:\\ b\r\n    reqrep ^a b\r\n    server s 1.2.3.4:80";
  result r = analyse_text(text);
  const std::string out = migrate_file(r.sources_, r.analysis_.tree_.files_.at(0));
  EXPECT_EQ(out,
            "global\n\t# tandem migrate: no effect since HAProxy 2.5: nbproc 2\n# note\n"
            "defaults\n  timeout connect 5000 # c\nlisten web # w\n    bind 0.0.0.0:80\n"
            "    option httpchk GET / HTTP/1.1\n    http-check send hdr Host x\n"
            "    http-response add-header X-A b\n"
            "    # tandem migrate: removed in HAProxy 2.1, rewrite as http-request "
            "replace-header, replace-uri or replace-path: reqrep ^a b\n"
            "    server s 1.2.3.4:80\n");
}

}  // namespace
}  // namespace tandem::parsers::haproxy
