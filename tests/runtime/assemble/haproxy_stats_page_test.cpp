// assemble_haproxy's stats pages: which objects get the applet (a listen's frontend and
// backend, a frontend's, a backend's), what the settings become (defaults inherited, `scope .`,
// show-node without a name), and HAProxy 2.6's errors and warnings for stats lines
// (`stats admin` without a condition, `stats auth` with `stats http-request`, mode tcp).
#include <gtest/gtest.h>

#include <string>

#include "parsers/haproxy/analyse.hpp"
#include "runtime/assemble/haproxy.hpp"
#include "runtime/proxy/stats/applet.hpp"
#include "tests/parsers/haproxy/analysis_support.hpp"
#include "tests/runtime/proxy/acl/fake_source.hpp"

namespace tandem::runtime::assemble {
namespace {

namespace hap = parsers::haproxy;
using proxy::stats::stats_applet;

class stats_page_test : public ::testing::Test {
 protected:
  haproxy_result assemble(const std::string& text) {
    const parsers::file_id id = analysed_.sources_.add("t.cfg", text);
    analysed_.analysis_ = hap::analyse_haproxy_file(analysed_.sources_, id, hap::analysis_options{},
                                                    analysed_.diags_);
    EXPECT_FALSE(analysed_.diags_.has_errors());
    return assemble_haproxy(analysed_.analysis_.model_);
  }
  static const stats_applet* page(const std::unique_ptr<proxy::http_applet>& a) {
    return dynamic_cast<const stats_applet*>(a.get());
  }
  static std::string respond(proxy::http_applet& a, std::string_view raw) {
    auto src = proxy::acl::testing::fake_source::http(raw);
    return a.respond(*src.request(), "", src);
  }

  hap::testing::analysis_result analysed_;
};

constexpr const char* defaults =
    "defaults\n"
    "  mode http\n"
    "  timeout connect 5s\n"
    "  timeout client 30s\n"
    "  timeout server 30s\n";

TEST_F(stats_page_test, objects_that_serve_the_page) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "listen web\n"
                                    "  bind :8080\n"
                                    "  stats enable\n"
                                    "  server a 127.0.0.1:81\n"
                                    "frontend f\n"
                                    "  bind :8081\n"
                                    "  stats uri /f\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  stats auth admin:admin\n"
                                    "  server s 127.0.0.1:82\n"
                                    "backend quiet\n"
                                    "  server s 127.0.0.1:83\n");
  ASSERT_TRUE(r.ok());
  const proxy::proxy_set& set = *r.proxies_;
  ASSERT_EQ(set.frontends_.size(), 2u);
  ASSERT_EQ(set.backends_.size(), 3u);
  // listen web: both its objects (its frontend first, as HAProxy checks it before switching).
  ASSERT_NE(page(set.frontends_[0]->stats_), nullptr);
  ASSERT_NE(page(set.backends_[0]->stats_), nullptr);
  EXPECT_EQ(page(set.frontends_[0]->stats_)->settings().uri_, "/haproxy?stats");
  ASSERT_NE(page(set.frontends_[1]->stats_), nullptr);
  EXPECT_EQ(page(set.frontends_[1]->stats_)->settings().uri_, "/f");
  ASSERT_NE(page(set.backends_[1]->stats_), nullptr);
  EXPECT_EQ(page(set.backends_[1]->stats_)->settings().users_,
            std::vector<std::string>{"admin:admin"});
  EXPECT_EQ(set.backends_[2]->stats_, nullptr);
}

TEST_F(stats_page_test, settings_from_defaults_scope_node_and_refresh) {
  const haproxy_result r =
      assemble(std::string("global\n  node n1\n  description the desc\n") + defaults +
               "  stats enable\n"
               "  stats realm Dc1\\ Stats\n"
               "  stats refresh 5s\n"
               "listen web\n"
               "  bind :8080\n"
               "  stats scope .\n"
               "  stats scope other\n"
               "  stats show-node\n"
               "  stats show-desc\n"
               "  stats hide-version\n"
               "  stats show-legends\n"
               "  server a 127.0.0.1:81\n"
               "listen other\n"
               "  bind :8081\n"
               "  stats show-node elsewhere\n"
               "  server a 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok());
  const auto& web = page(r.proxies_->frontends_[0]->stats_)->settings();
  EXPECT_EQ(web.realm_, "Dc1 Stats");
  EXPECT_EQ(web.refresh_seconds_, 5u);
  EXPECT_EQ(web.scope_, (std::vector<std::string>{"web", "other"}));
  EXPECT_EQ(web.node_, "n1");
  EXPECT_EQ(web.description_, "the desc");
  EXPECT_TRUE(web.hide_version_);
  EXPECT_TRUE(web.show_legends_);
  const auto& other = page(r.proxies_->frontends_[1]->stats_)->settings();
  EXPECT_EQ(other.node_, "elsewhere");
  EXPECT_FALSE(other.description_.has_value());
  EXPECT_EQ(other.realm_, "Dc1 Stats");  // from defaults
}

TEST_F(stats_page_test, admin_and_http_request_conditions_are_compiled) {
  const haproxy_result r = assemble(std::string(defaults) +
                                    "userlist ops\n"
                                    "  user alice insecure-password secret\n"
                                    "backend stats\n"
                                    "  acl AUTH http_auth(ops)\n"
                                    "  stats enable\n"
                                    "  stats http-request auth realm Ops unless AUTH\n"
                                    "  stats admin if AUTH\n");
  ASSERT_TRUE(r.ok());
  proxy::http_applet& a = *r.proxies_->backends_[0]->stats_;
  const std::string denied = respond(a, "GET /haproxy?stats HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(denied.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
  EXPECT_NE(denied.find("www-authenticate: Basic realm=\"Ops\"\r\n"), std::string::npos);
  // alice:secret, and as admin she may post.
  const std::string login = "Authorization: Basic YWxpY2U6c2VjcmV0\r\n";
  EXPECT_TRUE(respond(a, "GET /haproxy?stats HTTP/1.1\r\n" + login + "\r\n")
                  .starts_with("HTTP/1.1 200 OK\r\n"));
  EXPECT_NE(respond(a, "POST /haproxy?stats HTTP/1.1\r\n" + login + "\r\n").find(";st=NONE"),
            std::string::npos);
  // The stats rules are the page's own: the backend's request rules stay empty.
  EXPECT_TRUE(r.proxies_->backends_[0]->request_rules_.empty());
}

TEST_F(stats_page_test, haproxys_errors_and_warnings) {
  {
    const haproxy_result r = assemble(std::string(defaults) +
                                      "listen l\n"
                                      "  bind :8080\n"
                                      "  stats auth a:b\n"
                                      "  stats http-request deny\n");
    EXPECT_FALSE(r.ok());
    ASSERT_FALSE(r.problems_.empty());
    EXPECT_EQ(r.problems_[0].message_,
              "proxy 'l': stats 'auth'/'realm' and 'http-request' can't be used at the same "
              "time.");
  }
  {
    const haproxy_result r = assemble(std::string(defaults) +
                                      "listen l\n"
                                      "  bind :8080\n"
                                      "  stats http-request redirect location /\n");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.problems_.size(), 1u);
    EXPECT_EQ(r.problems_[0].position_.line_, 8u);
    EXPECT_NE(r.problems_[0].message_.find("'stats http-request redirect' is not supported"),
              std::string::npos);
  }
  {
    const haproxy_result r = assemble(std::string(defaults) +
                                      "listen t\n"
                                      "  mode tcp\n"
                                      "  bind :8080\n"
                                      "  stats enable\n"
                                      "  server a 127.0.0.1:81\n");
    EXPECT_TRUE(r.ok());
    ASSERT_EQ(r.problems_.size(), 1u);
    EXPECT_FALSE(r.problems_[0].error_);
    EXPECT_EQ(r.problems_[0].message_,
              "'stats' statement ignored for proxy 't' as it requires HTTP mode.");
    EXPECT_EQ(r.proxies_->frontends_[0]->stats_, nullptr);
  }
}

}  // namespace
}  // namespace tandem::runtime::assemble
