// ACLs and conditions: the grammar (if/unless, AND by juxtaposition, or/||, !, { … }, several
// `acl` lines of one name), predefined ACLs, missing samples, the flags, compile errors, and
// evaluation from several threads.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "runtime/proxy/acl/condition.hpp"
#include "tests/runtime/proxy/acl/fake_source.hpp"

namespace tandem::runtime::proxy::acl {
namespace {

using testing::fake_source;
using testing::temp_dir;
using testing::words;

class acl_conditions : public ::testing::Test {
 protected:
  void acl(std::string_view line) {
    std::vector<std::string> w = words(line);
    const std::string name = w.front();
    w.erase(w.begin());
    std::string error;
    ASSERT_TRUE(acls_.add(name, w, error)) << line << ": " << error;
  }

  std::string acl_error(std::string_view line) {
    std::vector<std::string> w = words(line);
    const std::string name = w.front();
    w.erase(w.begin());
    std::string error;
    EXPECT_FALSE(acls_.add(name, w, error)) << line;
    return error;
  }

  bool holds(std::string_view cond, const sample_source& s) {
    std::string error;
    const auto c = compile_condition(words(cond), acls_, error);
    EXPECT_NE(c, nullptr) << cond << ": " << error;
    return c != nullptr && c->evaluate(s);
  }

  std::string cond_error(std::string_view cond) {
    std::string error;
    const auto c = compile_condition(words(cond), acls_, error);
    EXPECT_EQ(c, nullptr) << cond;
    return error;
  }

  acl_set acls_;
};

fake_source get(std::string_view path, std::string_view headers = "Host: www.example.com\r\n") {
  return fake_source::http("GET " + std::string(path) + " HTTP/1.1\r\n" + std::string(headers) +
                           "\r\n");
}

TEST_F(acl_conditions, if_unless_and_juxtaposition) {
  acl("is_api path_beg /api");
  acl("is_www hdr(host) -i www.example.com");
  EXPECT_TRUE(holds("if is_api is_www", get("/api/x")));
  EXPECT_FALSE(holds("if is_api is_www", get("/x")));
  EXPECT_FALSE(holds("unless is_api is_www", get("/api/x")));
  EXPECT_TRUE(holds("unless is_api", get("/x")));
}

TEST_F(acl_conditions, or_and_negation) {
  acl("a path /a");
  acl("b path /b");
  EXPECT_TRUE(holds("if a or b", get("/b")));
  EXPECT_TRUE(holds("if a || b", get("/a")));
  EXPECT_TRUE(holds("if a OR b", get("/a")));
  EXPECT_FALSE(holds("if a or b", get("/c")));
  EXPECT_TRUE(holds("if !a !b", get("/c")));
  EXPECT_FALSE(holds("if !a", get("/a")));
  EXPECT_TRUE(holds("if !!a", get("/a")));
  EXPECT_TRUE(holds("if ! a", get("/b")));  // a lone '!' negates the next term
  // AND binds tighter than OR: "a b or c" is (a and b) or c.
  acl("c path_beg /");
  EXPECT_TRUE(holds("if a b or c", get("/z")));
  EXPECT_FALSE(holds("if a b or !c", get("/z")));
  // A trailing or leading "or" leaves no empty alternative that would hold.
  EXPECT_FALSE(holds("if a or", get("/z")));
}

TEST_F(acl_conditions, anonymous_acls) {
  EXPECT_TRUE(holds("if { path_beg /static } { method GET }", get("/static/a.css")));
  EXPECT_FALSE(holds("if !{ path_beg /static }", get("/static/a.css")));
  EXPECT_TRUE(holds("if { path /x } || { path /y }", get("/y")));
  EXPECT_EQ(cond_error("if { path /x"), "missing closing '}' in condition");
}

TEST_F(acl_conditions, acl_lines_with_one_name_are_ored_also_after_use) {
  acl("static path_end .css");
  std::string error;
  const auto c = compile_condition(words("if static"), acls_, error);
  ASSERT_NE(c, nullptr) << error;
  EXPECT_FALSE(c->evaluate(get("/a.js")));
  // A later `acl static …` line extends conditions written before it, as in HAProxy.
  acl("static path_end .js");
  EXPECT_TRUE(c->evaluate(get("/a.js")));
  EXPECT_TRUE(c->evaluate(get("/a.css")));
}

TEST_F(acl_conditions, missing_samples_are_false_and_their_negation_true) {
  EXPECT_FALSE(holds("if { req.hdr(x-none) foo }", get("/")));
  EXPECT_TRUE(holds("if !{ req.hdr(x-none) foo }", get("/")));
  EXPECT_FALSE(holds("if { req.hdr(x-none) -m found }", get("/")));
  EXPECT_TRUE(holds("if { req.hdr(x-e) -m found }", get("/", "x-e:\r\n")));
  // Mode tcp before any HTTP: HTTP fetches find nothing.
  const fake_source tcp = fake_source::tcp("\x16\x03\x01");
  EXPECT_FALSE(holds("if { path_beg / }", tcp));
  EXPECT_TRUE(holds("unless { method GET }", tcp));
}

TEST_F(acl_conditions, predefined_acls) {
  const fake_source head = fake_source::http("HEAD / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(holds("if TRUE", head));
  EXPECT_FALSE(holds("if FALSE", head));
  EXPECT_TRUE(holds("if METH_GET", head));  // GET or HEAD
  EXPECT_TRUE(holds("if METH_HEAD HTTP_1.0 HTTP", head));
  EXPECT_FALSE(holds("if HTTP_1.1", head));
  EXPECT_TRUE(holds("if LOCALHOST", head));
  fake_source remote = head;
  remote.source_ = testing::ipv4("192.0.2.1", 1);
  EXPECT_FALSE(holds("if LOCALHOST", remote));
  remote.source_ = testing::ipv6("::1", 1);
  EXPECT_TRUE(holds("if LOCALHOST", remote));
  EXPECT_TRUE(holds("if HTTP_URL_SLASH", head));
  EXPECT_FALSE(holds("if HTTP_URL_ABS", head));
  EXPECT_TRUE(holds("if HTTP_URL_ABS", fake_source::http("GET http://h/ HTTP/1.1\r\n\r\n")));
  EXPECT_TRUE(
      holds("if HTTP_URL_STAR METH_OPTIONS", fake_source::http("OPTIONS * HTTP/1.1\r\n\r\n")));
  for (const char* m : {"CONNECT", "DELETE", "POST", "PUT", "TRACE"}) {
    const fake_source r = fake_source::http(std::string(m) + " / HTTP/1.1\r\n\r\n");
    EXPECT_TRUE(holds(std::string("if METH_") + m, r)) << m;
    EXPECT_FALSE(holds("if METH_GET", r)) << m;
  }
  EXPECT_TRUE(
      holds("if HTTP_CONTENT", fake_source::http("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n")));
  EXPECT_FALSE(
      holds("if HTTP_CONTENT", fake_source::http("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")));
  EXPECT_TRUE(holds("if REQ_CONTENT WAIT_END", fake_source::tcp("x")));
  EXPECT_FALSE(holds("if REQ_CONTENT", fake_source::tcp("")));
  const fake_source rdp = fake_source::tcp(
      std::string("\x03\x00\x00\x2c\x27\xe0\x00\x00\x00\x00\x00", 11) + "Cookie: mstshash=a\r\n");
  EXPECT_TRUE(holds("if RDP_COOKIE", rdp));
  EXPECT_FALSE(holds("if RDP_COOKIE", fake_source::tcp("GET / HTTP/1.1\r\n\r\n")));
  // A proxy's own ACL of the same name wins over the predefined one.
  acl("TRUE always_false");
  EXPECT_FALSE(holds("if TRUE", head));
}

TEST_F(acl_conditions, acl_keywords_imply_their_match) {
  const fake_source r =
      get("/img/Logo.PNG?v=2", "Host: static.example.com:81\r\nCookie: lang=fr\r\n");
  EXPECT_TRUE(holds("if { path_beg /img/ }", r));
  EXPECT_TRUE(holds("if { path_end -i .png }", r));
  EXPECT_TRUE(holds("if { path_sub Logo }", r));
  EXPECT_TRUE(holds("if { path_dir img }", r));
  EXPECT_TRUE(holds("if { path_reg ^/img/.*\\.PNG$ }", r));
  EXPECT_TRUE(holds("if { path_len 13 }", r));
  EXPECT_TRUE(holds("if { url_sub v=2 }", r));
  EXPECT_TRUE(holds("if { url_end v=2 }", r));
  EXPECT_TRUE(holds("if { hdr_dom(host) example.com }", r));
  EXPECT_TRUE(holds("if { hdr_end(host) :81 }", r));
  EXPECT_TRUE(holds("if { hdr_len(host) 21 }", r));
  EXPECT_TRUE(holds("if { hdr_cnt(host) 1 }", r));
  EXPECT_TRUE(holds("if { cook(lang) fr }", r));
  EXPECT_TRUE(holds("if { cook_beg(lang) f }", r));
  EXPECT_TRUE(holds("if { base_beg static.example.com:81/img }", r));
  EXPECT_TRUE(holds("if { urlp(v) 2 }", r));
  EXPECT_TRUE(holds("if { urlp_reg(v) ^[0-9]$ }", r));
  EXPECT_TRUE(holds("if { query v=2 }", r));
  EXPECT_TRUE(holds("if { dst_port 8080 }", r));
  EXPECT_TRUE(holds("if { dst_port 80:90 8000:9000 }", r));
  EXPECT_TRUE(holds("if { dst_port gt 5 }", r));
  EXPECT_FALSE(holds("if { dst_port lt 8080 }", r));
  EXPECT_TRUE(holds("if { dst_port ge 8080 }", r));
  EXPECT_TRUE(holds("if { src 127.0.0.0/8 }", r));
  EXPECT_TRUE(holds("if { method GET HEAD }", r));
  EXPECT_FALSE(holds("if { ssl_fc }", r));
}

TEST_F(acl_conditions, nbsrv_and_proxy_names) {
  fake_source r = get("/");
  EXPECT_TRUE(holds("if { nbsrv(bk_down) lt 1 }", r));
  EXPECT_FALSE(holds("if { nbsrv(bk_up) lt 1 }", r));
  EXPECT_FALSE(holds("if { nbsrv(unknown) lt 1 }", r));
  EXPECT_TRUE(holds("if { be_name bk_up } { fe_name fe }", r));
}

TEST_F(acl_conditions, ssl_and_tcp_content) {
  fake_source r = get("/");
  r.ssl_ = true;
  r.sni_ = "Shop.Example.com";
  EXPECT_TRUE(holds("if { ssl_fc } { ssl_fc_sni -i shop.example.com }", r));
  EXPECT_TRUE(holds("if { ssl_fc_sni_end -i .example.com }", r));
  const fake_source tcp = fake_source::tcp("SSH-2.0-OpenSSH_9.2\r\n");
  EXPECT_TRUE(holds("if { req.payload(0,3) -m bin 535348 }", tcp));
  EXPECT_TRUE(holds("if { req.len gt 10 }", tcp));
  EXPECT_FALSE(holds("if { req.ssl_hello_type 1 }", tcp));
  EXPECT_FALSE(holds("if HTTP", tcp));
}

// A TLS record header and the start of a ClientHello announcing TLS 1.2, complete.
std::string tls12_hello() {
  std::string body = "\x01";
  body += std::string("\x00\x00\x26", 3);
  body += "\x03\x03";
  body += std::string(36, 'r');
  return std::string("\x16\x03\x01\x00", 4) + static_cast<char>(body.size()) + body;
}

TEST_F(acl_conditions, ssl_versions_are_dotted) {
  const fake_source tls = fake_source::tcp(tls12_hello());
  EXPECT_TRUE(holds("if { req.ssl_ver 3.3 }", tls));
  EXPECT_TRUE(holds("if { req_ssl_ver 3.1:3.3 }", tls));
  EXPECT_TRUE(holds("if { req.ssl_ver gt 3.1 }", tls));
  EXPECT_FALSE(holds("if { req.ssl_ver lt 3.3 }", tls));
  EXPECT_TRUE(holds("if { req.ssl_hello_type 1 }", tls));
  EXPECT_FALSE(holds("if { req.ssl_ver 3.3 }", fake_source::tcp(tls12_hello().substr(0, 12))));
  EXPECT_EQ(acl_error("x req.ssl_ver 3.x"), "'3.x' is not a valid dotted number range");
}

TEST_F(acl_conditions, match_flags) {
  const fake_source r = get("/Admin/x", "Host: www.example.com\r\nx-n: 42\r\nx-ip: 10.1.2.3\r\n");
  EXPECT_FALSE(holds("if { path_beg /admin }", r));
  EXPECT_TRUE(holds("if { path_beg -i /admin }", r));
  EXPECT_TRUE(holds("if { path -m beg /Ad }", r));
  EXPECT_TRUE(holds("if { path -m sub -i min }", r));
  EXPECT_TRUE(holds("if { path -m end /x }", r));
  EXPECT_TRUE(holds("if { path -m reg ^/[A-Z] }", r));
  EXPECT_TRUE(holds("if { path -m dir x }", r));
  EXPECT_TRUE(holds("if { hdr(host) -m dom example }", r));
  EXPECT_TRUE(holds("if { path -m len 8 }", r));
  EXPECT_TRUE(holds("if { req.hdr(x-n) -m int 40:50 }", r));
  EXPECT_TRUE(holds("if { req.hdr(x-ip) -m ip 10.0.0.0/8 }", r));
  EXPECT_TRUE(holds("if { req.hdr(x-n) -m found }", r));
  EXPECT_TRUE(holds("if { req.hdr(x-n) -m bool }", r));
  EXPECT_TRUE(holds("if { req.hdr(x-n) -m str 42 }", r));
  EXPECT_TRUE(holds("if { path -n -u 7 /Admin/x }", r));
  EXPECT_TRUE(holds("if { str(-x) -- -x }", r));
  EXPECT_EQ(acl_error("x path -x"),
            "'-x' is not a valid ACL option. Please use '--' before any pattern beginning with a "
            "'-'");
  EXPECT_EQ(acl_error("x path -m nope /"),
            "unknown matching method 'nope' when parsing ACL expression");
  EXPECT_EQ(acl_error("x path -u seven /"), "the argument of -u must be an integer");
}

TEST_F(acl_conditions, pattern_files_and_the_order_of_i) {
  temp_dir d;
  const std::string paths = d.write("paths.lst", "/one\n# comment\n  /two\n");
  const std::string map = d.write("keys.map", "/k1 v1\n/k2 v2\n");
  acl("listed path -f " + paths);
  acl("listed_i path -i -f " + paths);
  acl("listed_after path -f " + paths + " -i /THREE");
  acl("keys path -M -f " + map);
  acl("two_files path -f " + paths + " -f " + map + " /inline");
  EXPECT_TRUE(holds("if listed", get("/two")));
  EXPECT_FALSE(holds("if listed", get("/TWO")));
  EXPECT_TRUE(holds("if listed_i", get("/TWO")));
  // -i applies to what follows it: the file before it stays case-sensitive.
  EXPECT_FALSE(holds("if listed_after", get("/TWO")));
  EXPECT_TRUE(holds("if listed_after", get("/three")));
  EXPECT_TRUE(holds("if keys", get("/k2")));
  EXPECT_FALSE(holds("if keys", get("/v2")));
  EXPECT_TRUE(holds("if two_files", get("/inline")));
  EXPECT_FALSE(holds("if two_files", get("/k1")));  // read without -M: "/k1 v1" is one pattern
  EXPECT_EQ(acl_error("x path -f " + d.path() + "/none"),
            "failed to open pattern file <" + d.path() + "/none>");
  EXPECT_EQ(acl_error("x path -f " + paths + " -m beg"),
            "'-m' must only be specified before patterns and files in parsing ACL expression");
  EXPECT_EQ(acl_error("x src -f " + paths), "failed to add pattern from file '" + paths +
                                                "': '/one' is not a valid IPv4 or IPv6 address");
}

TEST_F(acl_conditions, converters_in_acls) {
  const fake_source r = get("/", "Host: WWW.Example.COM\r\nx-a: FOObar\r\n");
  EXPECT_TRUE(holds("if { hdr(host),lower www.example.com }", r));
  // An ACL keyword with a converter matches with the converter's type: exact string.
  EXPECT_FALSE(holds("if { hdr_beg(x-a),lower foo }", r));
  EXPECT_TRUE(holds("if { hdr_beg(x-a),lower foobar }", r));
  // A fetch used as an ACL takes converters from the next words; HAProxy 2.6 still reads
  // those words as patterns (measured).
  acl("q req.hdr(x-a) lower foo");
  EXPECT_TRUE(holds("if q", get("/", "x-a: FOO\r\n")));
  EXPECT_TRUE(holds("if q", get("/", "x-a: LOWER\r\n")));
  EXPECT_FALSE(holds("if q", get("/", "x-a: bar\r\n")));
}

TEST_F(acl_conditions, every_value_of_a_header_is_tried) {
  const fake_source r =
      get("/", "X-Forwarded-For: 192.0.2.1, 10.0.0.7\r\nX-Forwarded-For: 198.51.100.2\r\n");
  EXPECT_TRUE(holds("if { hdr_ip(x-forwarded-for) 10.0.0.0/8 }", r));
  EXPECT_TRUE(holds("if { hdr(x-forwarded-for) 198.51.100.2 }", r));
  EXPECT_FALSE(holds("if { hdr(x-forwarded-for,1) 10.0.0.7 }", r));
  EXPECT_TRUE(holds("if { hdr(x-forwarded-for,2) 10.0.0.7 }", r));
  EXPECT_FALSE(holds("if { req.fhdr(x-forwarded-for) 10.0.0.7 }", r));
  EXPECT_TRUE(holds("if { hdr_cnt(x-forwarded-for) eq 3 }", r));
}

TEST_F(acl_conditions, compile_errors) {
  EXPECT_EQ(cond_error("when a"), "conditions must start with either 'if' or 'unless'");
  EXPECT_EQ(cond_error("if nosuch"), "no such ACL : 'nosuch'");
  EXPECT_EQ(cond_error("if { }"), "missing fetch method");
  EXPECT_EQ(acl_error("x nosuch_fetch foo"),
            "unknown fetch method 'nosuch_fetch' in ACL expression 'nosuch_fetch'");
  EXPECT_EQ(acl_error("x var(txn.a) foo"),
            "matching method must be specified first (using '-m') when using a sample fetch of "
            "this type ('var')");
  EXPECT_EQ(acl_error("x req.payload(0,3) abc"),
            "matching method must be specified first (using '-m') when using a sample fetch of "
            "this type ('req.payload')");
  EXPECT_EQ(acl_error("x src not-an-ip"), "'not-an-ip' is not a valid IPv4 or IPv6 address");
  EXPECT_EQ(acl_error("x dst_port lots"), "'lots' is not a valid number range");
  EXPECT_EQ(acl_error("x dst_port gt lots"), "'lots' is neither a number nor a supported operator");
  EXPECT_NE(acl_error("x path_reg (").find("is invalid"), std::string::npos);
  EXPECT_EQ(acl_error("x http_auth(users)"),
            "unable to find userlist 'users' referenced in arg 1 of 'http_auth'");
  EXPECT_EQ(acl_error("bad/name path /"), "invalid character in ACL name : '/'");
  // An ACL without patterns compiles and never matches (HAProxy only warns).
  acl("empty path");
  EXPECT_FALSE(holds("if empty", get("/")));
  // A condition with no terms holds for `unless` only, as HAProxy's.
  EXPECT_FALSE(holds("if", get("/")));
  EXPECT_TRUE(holds("unless", get("/")));
}

TEST_F(acl_conditions, var_with_a_match) {
  fake_source r = get("/");
  r.variables_["txn.role"] = "admin";
  EXPECT_TRUE(holds("if { var(txn.role) -m str admin }", r));
  EXPECT_FALSE(holds("if { var(txn.other) -m found }", r));
}

TEST_F(acl_conditions, evaluation_is_thread_safe) {
  temp_dir d;
  const std::string map = d.write("m.map", "/a A\n/b B\n");
  acl("api path_reg -i ^/API/[0-9]+$");
  acl("mapped path,map(" + map + ") -m found");
  std::string error;
  const auto c = compile_condition(words("if api or mapped"), acls_, error);
  ASSERT_NE(c, nullptr) << error;
  const auto f = compile_format("%[path,regsub(^/,x,g)]", error);
  ASSERT_NE(f, nullptr) << error;
  const fake_source yes = get("/api/12");
  const fake_source no = get("/api/x");
  const fake_source mapped = get("/b");
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        wrong += !c->evaluate(yes);
        wrong += c->evaluate(no);
        wrong += !c->evaluate(mapped);
        wrong += f->evaluate(yes) != "xapi/12";
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace tandem::runtime::proxy::acl
