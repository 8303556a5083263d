// The stats page applet against what Debian's HAProxy 2.6.12 answered (measured with curl and
// raw sockets, see compat-tests/proxy/test_stats_page.py): which requests it takes, the 401
// byte for byte, `stats http-request` rules, the 200's headers for the page, ;csv and ;json,
// the admin form's 303 and status codes, and what the HTML shows.
#include "runtime/proxy/stats/applet.hpp"

#include <gtest/gtest.h>

#include "runtime/proxy/stats/page.hpp"
#include "tests/runtime/proxy/acl/fake_source.hpp"

namespace tandem::runtime::proxy::stats {
namespace {

using acl::testing::fake_source;

// HAProxy 2.6.12's answer to GET /haproxy?stats without credentials (`stats auth user:pass`).
constexpr std::string_view haproxy_401 =
    "HTTP/1.1 401 Unauthorized\r\n"
    "content-length: 112\r\n"
    "cache-control: no-cache\r\n"
    "content-type: text/html\r\n"
    "www-authenticate: Basic realm=\"HAProxy Statistics\"\r\n"
    "\r\n"
    "<html><body><h1>401 Unauthorized</h1>\n"
    "You need a valid user and password to access this content.\n"
    "</body></html>\n";

std::unique_ptr<server> make_server(std::string name, std::uint32_t puid) {
  auto s = std::make_unique<server>();
  s->name_ = std::move(name);
  s->id_ = puid - 1;
  s->puid_ = puid;
  s->address_text_ = "127.0.0.1:" + std::to_string(18410 + puid);
  return s;
}

// listen web (a checked, b backup, c disabled) and frontend fe2 -> web, as the measured config.
std::unique_ptr<proxy_set> make_set() {
  auto set = std::make_unique<proxy_set>();
  auto be = std::make_unique<backend>();
  be->name_ = "web";
  be->uid_ = 1;
  be->mode_ = mode::http;
  be->algorithm_ = "roundrobin";
  auto a = make_server("a", 1);
  a->check_ = true;
  a->check_state_.enabled_ = true;
  a->check_state_.status_ = "L4OK";
  a->check_state_.description_ = "Layer4 check passed";
  a->check_state_.rise_ = 2;
  a->check_state_.fall_ = 3;
  a->check_state_.health_ = 4;
  auto b = make_server("b", 2);
  b->backup_ = true;
  auto c = make_server("c", 3);
  c->maintenance_ = true;
  be->servers_.push_back(std::move(a));
  be->servers_.push_back(std::move(b));
  be->servers_.push_back(std::move(c));
  set->backends_.push_back(std::move(be));
  for (auto [name, uid] : {std::pair{"web", 1u}, std::pair{"fe2", 2u}}) {
    auto fe = std::make_unique<frontend>();
    fe->name_ = name;
    fe->uid_ = uid;
    fe->mode_ = mode::http;
    fe->default_backend_ = set->backends_[0].get();
    set->frontends_.push_back(std::move(fe));
  }
  return set;
}

std::unique_ptr<acl::condition> condition(std::vector<std::string> words) {
  static const acl::acl_set none;
  std::string error;
  auto c = acl::compile_condition(words, none, error);
  EXPECT_TRUE(c) << error;
  return c;
}

struct fixture : ::testing::Test {
  std::unique_ptr<proxy_set> set_ = make_set();
  std::vector<std::string> logged_;

  std::unique_ptr<stats_applet> applet(page_settings s) {
    auto a = std::make_unique<stats_applet>(*set_, std::move(s));
    a->set_log([this](std::string_view level, std::string_view m) {
      logged_.push_back(std::string(level) + " " + std::string(m));
    });
    return a;
  }
  static std::string respond(stats_applet& a, std::string_view raw, std::string_view body = "") {
    fake_source src = fake_source::http(raw);
    return a.respond(*src.request(), body, src);
  }
  static bool wants(const stats_applet& a, std::string_view raw) {
    return a.wants(*fake_source::http(raw).request());
  }
  server& srv(std::string_view name) { return *set_->backends_[0]->find_server(name); }
};

std::string head_of(const std::string& response) {
  return response.substr(0, response.find("\r\n\r\n") + 4);
}

std::string body_of(const std::string& response) {
  // One chunk then the last one, as the applet writes it.
  std::string rest = response.substr(response.find("\r\n\r\n") + 4);
  const std::size_t eol = rest.find("\r\n");
  const std::size_t size = std::stoul(rest.substr(0, eol), nullptr, 16);
  return rest.substr(eol + 2, size);
}

TEST_F(fixture, takes_its_prefix_with_get_head_post_only) {
  auto a = applet({});
  EXPECT_TRUE(wants(*a, "GET /haproxy?stats HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(wants(*a, "HEAD /haproxy?stats;csv HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(wants(*a, "POST /haproxy?stats HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(wants(*a, "GET /haproxy?statsXYZ HTTP/1.1\r\n\r\n"));       // a prefix, as HAProxy
  EXPECT_TRUE(wants(*a, "GET http://h/haproxy?stats HTTP/1.1\r\n\r\n"));  // the path counts
  EXPECT_FALSE(wants(*a, "GET /haproxy HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(wants(*a, "GET /HAPROXY?stats HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(wants(*a, "PUT /haproxy?stats HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(wants(*a, "OPTIONS /haproxy?stats HTTP/1.1\r\n\r\n"));
  page_settings root;
  root.uri_ = "/";
  auto r = applet(std::move(root));
  EXPECT_TRUE(wants(*r, "GET /anything HTTP/1.1\r\n\r\n"));
}

TEST_F(fixture, auth_401_is_haproxys_bytes_and_the_login_opens_the_page) {
  page_settings s;
  s.users_ = {"user:pass", "other:secret"};
  auto a = applet(std::move(s));
  EXPECT_EQ(respond(*a, "GET /haproxy?stats HTTP/1.1\r\nHost: x\r\n\r\n"), haproxy_401);
  // user:wrong
  EXPECT_EQ(
      respond(*a, "GET /haproxy?stats HTTP/1.1\r\nAuthorization: Basic dXNlcjp3cm9uZw==\r\n\r\n"),
      haproxy_401);
  // user:pass, then other:secret
  for (std::string_view login : {"dXNlcjpwYXNz", "b3RoZXI6c2VjcmV0"}) {
    const std::string r = respond(*a, "GET /haproxy?stats HTTP/1.1\r\nAuthorization: Basic " +
                                          std::string(login) + "\r\n\r\n");
    EXPECT_EQ(head_of(r),
              "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
              "transfer-encoding: chunked\r\n\r\n");
    EXPECT_NE(body_of(r).find("Statistics Report for HAProxy"), std::string::npos);
  }
}

TEST_F(fixture, realm_is_the_configured_one) {
  page_settings s;
  s.users_ = {"admin:p@ssw0rd"};
  s.realm_ = "HAProxy Statistics Dc1";
  auto a = applet(std::move(s));
  const std::string r = respond(*a, "GET /haproxy?stats HTTP/1.1\r\n\r\n");
  EXPECT_NE(r.find("\r\nwww-authenticate: Basic realm=\"HAProxy Statistics Dc1\"\r\n"),
            std::string::npos);
}

TEST_F(fixture, stats_http_request_rules_decide_in_order) {
  page_settings s;
  access_rule deny;
  deny.kind_ = access_rule::kind::deny;
  deny.condition_ = condition({"if", "{", "hdr(x-bad)", "-m", "found", "}"});
  access_rule auth;
  auth.kind_ = access_rule::kind::auth;
  auth.realm_ = "R";
  auth.condition_ = condition({"unless", "{", "hdr(x-ok)", "yes", "}"});
  s.access_.push_back(std::move(deny));
  s.access_.push_back(std::move(auth));
  auto a = applet(std::move(s));
  EXPECT_TRUE(respond(*a, "GET /haproxy?stats HTTP/1.1\r\nx-bad: 1\r\n\r\n")
                  .starts_with("HTTP/1.1 403 Forbidden\r\n"));
  const std::string r = respond(*a, "GET /haproxy?stats HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
  EXPECT_NE(r.find("www-authenticate: Basic realm=\"R\"\r\n"), std::string::npos);
  EXPECT_TRUE(respond(*a, "GET /haproxy?stats HTTP/1.1\r\nx-ok: yes\r\n\r\n")
                  .starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_F(fixture, csv_json_refresh_and_head) {
  page_settings s;
  s.refresh_seconds_ = 10;
  auto a = applet(std::move(s));
  const std::string csv = respond(*a, "GET /haproxy?stats;csv HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head_of(csv),
            "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\n"
            "refresh: 10\r\ntransfer-encoding: chunked\r\n\r\n");
  const std::string table = body_of(csv);
  EXPECT_TRUE(table.starts_with("# pxname,svname,qcur,qmax,scur,smax,slim,stot,"));
  EXPECT_EQ(table, render_csv(collect(*set_)));
  EXPECT_NE(table.find("\nweb,c,"), std::string::npos);
  EXPECT_NE(table.find(",MAINT,"), std::string::npos);
  EXPECT_TRUE(csv.ends_with("\r\n0\r\n\r\n"));
  // ;norefresh drops the header; it must be asked for after the prefix.
  EXPECT_EQ(respond(*a, "GET /haproxy?stats;csv;norefresh HTTP/1.1\r\n\r\n").find("refresh:"),
            std::string::npos);
  const std::string json = respond(*a, "GET /haproxy?stats;json HTTP/1.1\r\n\r\n");
  EXPECT_NE(head_of(json).find("content-type: application/json\r\n"), std::string::npos);
  EXPECT_TRUE(body_of(json).starts_with("[["));
  EXPECT_EQ(respond(*a, "HEAD /haproxy?stats HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
            "refresh: 10\r\n\r\n");
}

TEST_F(fixture, scope_limits_the_proxies) {
  page_settings s;
  s.scope_ = {"fe2"};
  auto a = applet(std::move(s));
  const std::string table = body_of(respond(*a, "GET /haproxy?stats;csv HTTP/1.1\r\n\r\n"));
  EXPECT_NE(table.find("\nfe2,FRONTEND,"), std::string::npos);
  EXPECT_EQ(table.find("\nweb,"), std::string::npos);
  // The search box's ;scope= narrows every format, by a part of the name, any case.
  auto all = applet({});
  const std::string found =
      body_of(respond(*all, "GET /haproxy?stats;csv;scope=WE HTTP/1.1\r\n\r\n"));
  EXPECT_NE(found.find("\nweb,FRONTEND,"), std::string::npos);
  EXPECT_EQ(found.find("\nfe2,"), std::string::npos);
}

TEST_F(fixture, post_without_admin_is_denied) {
  auto a = applet({});
  const std::string body = "s=a&action=maint&b=%231";
  EXPECT_EQ(respond(*a, "POST /haproxy?stats HTTP/1.1\r\n\r\n", body),
            "HTTP/1.1 303 See Other\r\ncache-control: no-cache\r\ncontent-type: text/plain\r\n"
            "content-length: 0\r\nlocation: /haproxy?stats;st=DENY\r\n\r\n");
  EXPECT_FALSE(srv("a").maintenance_.load());
}

TEST_F(fixture, admin_form_sets_states_with_haproxys_codes) {
  page_settings s;
  s.admin_.push_back(condition({"if", "TRUE"}));
  auto a = applet(std::move(s));
  auto post = [&](std::string_view target, std::string_view body) {
    const std::string r = respond(*a, "POST " + std::string(target) + " HTTP/1.1\r\n\r\n", body);
    const std::size_t at = r.find("location: ");
    return r.substr(at + 10, r.find("\r\n", at) - at - 10);
  };
  EXPECT_EQ(post("/haproxy?stats", "s=a&action=maint&b=%231"), "/haproxy?stats;st=DONE");
  EXPECT_TRUE(srv("a").maintenance_.load());
  ASSERT_FALSE(logged_.empty());
  EXPECT_NE(logged_.back().find("Server web/a is going DOWN for maintenance."), std::string::npos);
  EXPECT_EQ(post("/haproxy?stats;up", "s=a&action=drain&b=web"), "/haproxy?stats;st=DONE;up");
  EXPECT_FALSE(srv("a").maintenance_.load());
  EXPECT_TRUE(srv("a").drain_.load());
  EXPECT_EQ(post("/haproxy?stats", "s=a&s=b&action=ready&b=%231"), "/haproxy?stats;st=DONE");
  EXPECT_FALSE(srv("a").drain_.load());
  EXPECT_EQ(post("/haproxy?stats", "s=a&s=zz&action=maint&b=%231"), "/haproxy?stats;st=PART");
  EXPECT_EQ(post("/haproxy?stats", "s=zz&action=ready&b=%231"), "/haproxy?stats;st=ERRP");
  EXPECT_EQ(post("/haproxy?stats", "s=a&action=ready&b=%239"), "/haproxy?stats;st=ERRP");
  EXPECT_EQ(post("/haproxy?stats", "s=a&action=bogus&b=%231"), "/haproxy?stats;st=ERRP");
  EXPECT_EQ(post("/haproxy?stats", "action=ready&b=%231"), "/haproxy?stats;st=NONE");
  EXPECT_EQ(post("/haproxy?stats", "s=a&b=%231"), "/haproxy?stats;st=NONE");
  // Actions Tandem does not do change nothing, as HAProxy reports that.
  EXPECT_EQ(post("/haproxy?stats", "s=a&action=shutdown&b=%231"), "/haproxy?stats;st=ERRP");
  EXPECT_TRUE(srv("a").maintenance_.load());  // as the PART above left it
}

TEST_F(fixture, admin_condition_is_evaluated_per_request) {
  page_settings s;
  s.admin_.push_back(condition({"if", "{", "hdr(x-admin)", "yes", "}"}));
  auto a = applet(std::move(s));
  EXPECT_NE(respond(*a, "POST /haproxy?stats HTTP/1.1\r\n\r\n", "s=a&action=maint&b=web")
                .find(";st=DENY"),
            std::string::npos);
  EXPECT_NE(
      respond(*a, "POST /haproxy?stats HTTP/1.1\r\nx-admin: yes\r\n\r\n", "s=a&action=maint&b=web")
          .find(";st=DONE"),
      std::string::npos);
  // The page shows the form only to an admin.
  EXPECT_EQ(
      body_of(respond(*a, "GET /haproxy?stats HTTP/1.1\r\n\r\n")).find("<form method=\"post\">"),
      std::string::npos);
  EXPECT_NE(body_of(respond(*a, "GET /haproxy?stats HTTP/1.1\r\nx-admin: yes\r\n\r\n"))
                .find("<form method=\"post\">"),
            std::string::npos);
}

TEST_F(fixture, html_shows_proxies_servers_states_and_options) {
  srv("a").drain_ = true;
  page_settings s;
  s.version_ = "Tandem 0";
  s.node_ = "mynode";
  s.description_ = "my desc";
  s.admin_.push_back(nullptr);
  auto a = applet(std::move(s));
  const std::string html = body_of(respond(*a, "GET /haproxy?stats;st=DONE HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(html.starts_with("<!DOCTYPE HTML PUBLIC"));
  EXPECT_TRUE(html.ends_with("</body></html>\n"));
  EXPECT_NE(html.find("HAProxy version 2.6.12-1+deb12u4, released 2026/10/17 (Tandem 0)"),
            std::string::npos);
  EXPECT_NE(html.find("Statistics Report for pid "), std::string::npos);
  EXPECT_NE(html.find(" on mynode: my desc</h2>"), std::string::npos);
  EXPECT_NE(html.find("<a class=px href=\"#web\">web</a>"), std::string::npos);
  EXPECT_NE(html.find("<a class=px href=\"#fe2\">fe2</a>"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"active_draining\"><td><input class='web-checkbox' "
                      "type=\"checkbox\" name=\"s\" value=\"a\"></td>"),
            std::string::npos);
  EXPECT_NE(html.find("<tr class=\"backup_no_check\">"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"maintain\">"), std::string::npos);
  EXPECT_NE(html.find(" MAINT</td>"), std::string::npos);
  EXPECT_NE(html.find("<input type=\"hidden\" name=\"b\" value=\"#1\">"), std::string::npos);
  EXPECT_NE(html.find("Action processed successfully."), std::string::npos);
  EXPECT_NE(html.find("<li><a href=\"/haproxy?stats;csv\">CSV export</a>"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>Cum. sessions:</th><td>0</td></tr>"), std::string::npos);
}

TEST_F(fixture, hide_version_hides_it) {
  page_settings s;
  s.version_ = "Tandem 0";
  s.hide_version_ = true;
  auto a = applet(std::move(s));
  const std::string html = body_of(respond(*a, "GET /haproxy?stats HTTP/1.1\r\n\r\n"));
  EXPECT_NE(html.find("style=\"text-decoration: none;\">HAProxy</a></h1>"), std::string::npos);
  EXPECT_EQ(html.find("version"), std::string::npos);
}

TEST(stats_page_text, options_from_the_uri) {
  request_options o = parse_options(";up;norefresh;csv;st=DONE;scope=we", true);
  EXPECT_TRUE(o.hide_down_);
  EXPECT_TRUE(o.no_refresh_);
  EXPECT_EQ(o.format_, request_options::format::csv);
  EXPECT_EQ(o.status_, "DONE");
  EXPECT_EQ(o.scope_, "we");
  EXPECT_FALSE(parse_options(";norefresh", false).no_refresh_);  // only with a refresh
  EXPECT_EQ(parse_options(";json-schema", false).format_, request_options::format::json_schema);
  EXPECT_EQ(parse_options(";st=WHAT", false).status_, "UNKN");
  EXPECT_EQ(parse_options(";scope=a<b", false).scope_, "");
}

TEST(stats_page_text, haproxy_number_and_time_formats) {
  EXPECT_EQ(grouped(998), "998");
  EXPECT_EQ(grouped(1998), "<span class=\"rls\">1</span>998");
  EXPECT_EQ(grouped(1234567), "<span class=\"rls\">1</span><span class=\"rls\">234</span>567");
  EXPECT_EQ(human_time(7), "7s");
  EXPECT_EQ(human_time(65), "1m05s");
  EXPECT_EQ(human_time(7380), "2h03m");
  EXPECT_EQ(human_time(93600), "1d02h");
  EXPECT_EQ(server_class("UP", false), "active_up");
  EXPECT_EQ(server_class("UP", true), "backup_up");
  EXPECT_EQ(server_class("UP 1/3", false), "active_going_down");
  EXPECT_EQ(server_class("DOWN 1/2", true), "backup_going_up");
  EXPECT_EQ(server_class("DOWN", false), "active_down");
  EXPECT_EQ(server_class("MAINT", true), "maintain");
  EXPECT_EQ(server_class("DRAIN", false), "active_draining");
  EXPECT_EQ(server_class("no check", false), "active_no_check");
  EXPECT_EQ(escape_html("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
}

}  // namespace
}  // namespace tandem::runtime::proxy::stats
