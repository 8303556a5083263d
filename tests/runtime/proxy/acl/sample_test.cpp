// Fetches, converters, maps and log-format strings through compile_sample() and
// compile_format(), against a fake request.
#include <gtest/gtest.h>

#include <string>

#include "runtime/proxy/acl/condition.hpp"
#include "tests/runtime/proxy/acl/fake_source.hpp"

namespace tandem::runtime::proxy::acl {
namespace {

using testing::fake_source;
using testing::temp_dir;

std::optional<std::string> eval(std::string_view expr, const sample_source& src) {
  std::string error;
  const auto e = compile_sample(expr, error);
  EXPECT_NE(e, nullptr) << expr << ": " << error;
  if (e == nullptr) {
    return "<compile error>";
  }
  return e->evaluate(src);
}

std::string compile_error(std::string_view expr) {
  std::string error;
  const auto e = compile_sample(expr, error);
  EXPECT_EQ(e, nullptr) << expr;
  return error;
}

const fake_source req = fake_source::http(
    "GET /shop/cart.php?id=7&lang=fr&id=8 HTTP/1.1\r\n"
    "Host: www.Example.com:8080\r\n"
    "Accept: text/html, application/json;q=0.9\r\n"
    "Accept: */*\r\n"
    "Cookie: sid=abc; theme=dark\r\n"
    "Cookie: sid=def\r\n"
    "X-Forwarded-For: 10.1.1.1, 192.0.2.7\r\n"
    "Content-Length: 12\r\n"
    "\r\n");

TEST(acl_fetch, request_line) {
  EXPECT_EQ(eval("method", req), "GET");
  EXPECT_EQ(eval("path", req), "/shop/cart.php");
  EXPECT_EQ(eval("pathq", req), "/shop/cart.php?id=7&lang=fr&id=8");
  EXPECT_EQ(eval("url", req), "/shop/cart.php?id=7&lang=fr&id=8");
  EXPECT_EQ(eval("query", req), "id=7&lang=fr&id=8");
  EXPECT_EQ(eval("base", req), "www.Example.com:8080/shop/cart.php");
  EXPECT_EQ(eval("baseq", req), "www.Example.com:8080/shop/cart.php?id=7&lang=fr&id=8");
  EXPECT_EQ(eval("req.ver", req), "1.1");
  EXPECT_EQ(eval("urlp(id)", req), "7");
  EXPECT_EQ(eval("url_param(lang)", req), "fr");
  EXPECT_EQ(eval("urlp(none)", req), std::nullopt);
  EXPECT_EQ(eval("urlp_val(id)", req), "7");
}

TEST(acl_fetch, paths_of_other_target_forms) {
  const fake_source connect = fake_source::http("CONNECT host:443 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(eval("path", connect), std::nullopt);
  EXPECT_EQ(eval("url", connect), "host:443");
  const fake_source absolute = fake_source::http("GET https://h/x/y?z HTTP/1.1\r\n\r\n");
  EXPECT_EQ(eval("path", absolute), "/x/y");
  const fake_source bare = fake_source::http("GET http://h HTTP/1.1\r\n\r\n");
  EXPECT_EQ(eval("path", bare), std::nullopt);
}

TEST(acl_fetch, headers) {
  EXPECT_EQ(eval("req.hdr(host)", req), "www.Example.com:8080");
  EXPECT_EQ(eval("hdr(HOST)", req), "www.Example.com:8080");
  EXPECT_EQ(eval("req.hdr(accept)", req), "*/*");
  EXPECT_EQ(eval("req.hdr(accept,1)", req), "text/html");
  EXPECT_EQ(eval("req.hdr(accept,2)", req), "application/json;q=0.9");
  EXPECT_EQ(eval("req.hdr(accept,-3)", req), "text/html");
  EXPECT_EQ(eval("req.hdr(accept,4)", req), std::nullopt);
  EXPECT_EQ(eval("req.fhdr(accept,1)", req), "text/html, application/json;q=0.9");
  EXPECT_EQ(eval("req.hdr_cnt(accept)", req), "3");
  EXPECT_EQ(eval("req.fhdr_cnt(accept)", req), "2");
  EXPECT_EQ(eval("hdr_cnt(x-none)", req), "0");
  EXPECT_EQ(eval("req.hdr_cnt", req), "9");
  EXPECT_EQ(eval("req.hdr_val(content-length)", req), "12");
  EXPECT_EQ(eval("req.hdr_ip(x-forwarded-for)", req), "192.0.2.7");
  EXPECT_EQ(eval("req.hdr_ip(x-forwarded-for,1)", req), "10.1.1.1");
  EXPECT_EQ(eval("req.hdr(x-none)", req), std::nullopt);
}

TEST(acl_fetch, cookies) {
  EXPECT_EQ(eval("req.cook(sid)", req), "def");
  EXPECT_EQ(eval("cook(theme)", req), "dark");
  EXPECT_EQ(eval("req.cook_cnt(sid)", req), "2");
  EXPECT_EQ(eval("req.cook_cnt", req), "3");
  EXPECT_EQ(eval("req.cook(none)", req), std::nullopt);
  const fake_source n = fake_source::http("GET / HTTP/1.1\r\nCookie: n=42x\r\n\r\n");
  EXPECT_EQ(eval("req.cook_val(n)", n), "42");
}

TEST(acl_fetch, response_headers_and_status) {
  fake_source r = req;
  http::response_head head;
  head.status_ = 302;
  head.headers_ = {{"location", "/x"}, {"set-cookie", "SRV=s1; path=/"}, {"x-n", "5"}};
  r.response_ = head;
  EXPECT_EQ(eval("status", r), "302");
  EXPECT_EQ(eval("res.hdr(location)", r), "/x");
  EXPECT_EQ(eval("hdr(location)", r), "/x");  // hdr() reads the response in http-response
  EXPECT_EQ(eval("res.cook(SRV)", r), "s1");
  EXPECT_EQ(eval("res.cook(path)", r), std::nullopt);
  EXPECT_EQ(eval("res.hdr_val(x-n),add(1)", r), "6");
  EXPECT_EQ(eval("status", req), std::nullopt);
}

TEST(acl_fetch, connection_and_tls) {
  fake_source s = req;
  EXPECT_EQ(eval("src", s), "127.0.0.1");
  EXPECT_EQ(eval("src_port", s), "40000");
  EXPECT_EQ(eval("dst_port", s), "8080");
  s.source_ = testing::ipv6("2001:db8::5", 1234);
  EXPECT_EQ(eval("src", s), "2001:db8::5");
  EXPECT_EQ(eval("ssl_fc", s), "0");
  EXPECT_EQ(eval("ssl_fc_sni", s), std::nullopt);
  s.ssl_ = true;
  s.sni_ = "api.example.com";
  EXPECT_EQ(eval("ssl_fc", s), "1");
  EXPECT_EQ(eval("ssl_fc_sni", s), "api.example.com");
}

TEST(acl_fetch, proxy_state_constants_and_variables) {
  fake_source s = req;
  s.variables_["txn.user"] = "bob";
  EXPECT_EQ(eval("nbsrv(bk_down)", s), "0");
  EXPECT_EQ(eval("nbsrv", s), "1");  // the current backend
  EXPECT_EQ(eval("nbsrv(nope)", s), std::nullopt);
  EXPECT_EQ(eval("be_name", s), "bk_up");
  EXPECT_EQ(eval("fe_name", s), "fe");
  EXPECT_EQ(eval("int(-3)", s), "-3");
  EXPECT_EQ(eval("str(abc)", s), "abc");
  EXPECT_EQ(eval("bool(1)", s), "1");
  EXPECT_EQ(eval("always_false", s), "0");
  EXPECT_EQ(eval("ipv4(10.0.0.1)", s), "10.0.0.1");
  EXPECT_EQ(eval("var(txn.user)", s), "bob");
  EXPECT_EQ(eval("var(txn.none)", s), std::nullopt);
  EXPECT_EQ(eval("var(txn.none,anon)", s), "anon");
}

// A TLS 1.2 ClientHello with server_name "example.com".
std::string client_hello(std::string_view sni) {
  std::string ext;
  const auto be16 = [](std::string& out, std::size_t v) {
    out += static_cast<char>((v >> 8) & 0xff);
    out += static_cast<char>(v & 0xff);
  };
  std::string names;
  names += '\0';
  be16(names, sni.size());
  names += sni;
  std::string ext_data;
  be16(ext_data, names.size());
  ext_data += names;
  be16(ext, 0);  // server_name
  be16(ext, ext_data.size());
  ext += ext_data;
  std::string hello;
  hello += "\x03\x03";
  hello += std::string(32, 'r');
  hello += '\0';   // session id
  be16(hello, 2);  // cipher suites
  hello += "\x13\x01";
  hello += '\x01';  // compression methods
  hello += '\0';
  be16(hello, ext.size());
  hello += ext;
  std::string hs;
  hs += '\x01';
  hs += '\0';
  be16(hs, hello.size());
  hs += hello;
  std::string record = "\x16\x03\x01";
  be16(record, hs.size());
  return record + hs;
}

TEST(acl_fetch, tcp_payload) {
  const fake_source tls = fake_source::tcp(client_hello("example.com"));
  EXPECT_EQ(eval("req.ssl_hello_type", tls), "1");
  EXPECT_EQ(eval("req_ssl_sni", tls), "example.com");
  EXPECT_EQ(eval("req.payload(0,3),hex", tls), "160301");
  EXPECT_EQ(eval("req.len", tls), std::to_string(tls.payload_.size()));
  const std::string partial = tls.payload_.substr(0, 20);
  EXPECT_EQ(eval("req.ssl_hello_type", fake_source::tcp(partial)), std::nullopt);
  EXPECT_EQ(eval("req.ssl_sni", fake_source::tcp(partial)), std::nullopt);
  EXPECT_EQ(eval("req.payload(0,3)", fake_source::tcp("ab")), std::nullopt);
  EXPECT_EQ(eval("req.payload(1,0)", fake_source::tcp("abc")), "bc");

  const fake_source rdp =
      fake_source::tcp(std::string("\x03\x00\x00\x2c\x27\xe0\x00\x00\x00\x00\x00", 11) +
                       "Cookie: mstshash=alice\r\n\x01\x00");
  EXPECT_EQ(eval("req.rdp_cookie", rdp), "alice");
  EXPECT_EQ(eval("req.rdp_cookie(MSTSHASH)", rdp), "alice");
  EXPECT_EQ(eval("req.rdp_cookie(msts)", rdp), std::nullopt);
  EXPECT_EQ(eval("req.rdp_cookie_cnt", rdp), "1");

  EXPECT_EQ(eval("req.proto_http", fake_source::tcp("GET / HTTP/1.1\r\nHost: a\r\n\r\n")), "1");
  EXPECT_EQ(eval("req.proto_http", fake_source::tcp("GET / HTTP/1.1\r\nHost: a\r\n")),
            std::nullopt);
  EXPECT_EQ(eval("req.proto_http", tls), std::nullopt);
  EXPECT_EQ(eval("method", tls), std::nullopt);
}

TEST(acl_converter, case_and_encodings) {
  EXPECT_EQ(eval("req.hdr(host),lower", req), "www.example.com:8080");
  EXPECT_EQ(eval("req.hdr(host),upper", req), "WWW.EXAMPLE.COM:8080");
  EXPECT_EQ(eval("str(hello),base64", req), "aGVsbG8=");
  EXPECT_EQ(eval("str(aGVsbG8=),b64dec", req), "hello");
  EXPECT_EQ(eval("str(!!!),b64dec", req), std::nullopt);
  EXPECT_EQ(eval("str(AB),hex", req), "4142");
  EXPECT_EQ(eval("str(ff),hex2i", req), "255");
  EXPECT_EQ(eval("str(hello),length", req), "5");
  EXPECT_EQ(eval("str(a%20b+c),url_dec", req), "a b+c");
  EXPECT_EQ(eval("str(a+b),url_dec(1)", req), "a b");
  EXPECT_EQ(eval("str(a%zz),url_dec", req), std::nullopt);
  const fake_source j = fake_source::http("GET / HTTP/1.1\r\nx-j: tab\tand\"q/\r\n\r\n");
  EXPECT_EQ(eval("req.hdr(x-j),json(ascii)", j), "tab\\tand\\\"q\\/");
  EXPECT_EQ(eval("str(\xc3\xa9),json(ascii)", req), "\\u00c3\\u00a9");
  EXPECT_EQ(eval("str(\xc3\xa9),json(utf8)", req), "\xc3\xa9");
}

TEST(acl_converter, fields_words_bytes_regsub) {
  EXPECT_EQ(eval("str(a:b::c),field(3,:)", req), "");
  EXPECT_EQ(eval("str(a:b:c),field(-2,:)", req), "b");
  EXPECT_EQ(eval("str(a:b:c),field(4,:)", req), std::nullopt);
  EXPECT_EQ(eval("str(a::b::c),word(3,:)", req), "c");
  EXPECT_EQ(eval("str(a::b::c),word(-1,:)", req), "c");
  EXPECT_EQ(eval("str(a::b),word(5,:)", req), "");
  EXPECT_EQ(eval("str(abcdef),bytes(4)", req), "ef");
  EXPECT_EQ(eval("str(abc),bytes(9)", req), "");
  EXPECT_EQ(eval("path,regsub(^/shop,/store)", req), "/store/cart.php");
  EXPECT_EQ(eval("str(a-b-c),regsub(-,+,g)", req), "a+b+c");
  EXPECT_EQ(eval("str(abab),regsub(B,x,ig)", req), "axax");
  EXPECT_EQ(eval("str(ab),regsub(\"(a)(b)\",\\\\2\\\\1)", req), "ba");
  EXPECT_EQ(eval("str(abc),regsub(x*,-,g)", req), "-a-b-c-");
  EXPECT_NE(compile_error("str(a),regsub(a,b,z)").find("invalid regex flag 'z'"),
            std::string::npos);
  EXPECT_NE(compile_error("str(a),regsub(\"(\",b)").find("is invalid"), std::string::npos);
}

TEST(acl_converter, addresses_hosts_and_arithmetic) {
  fake_source s = req;
  s.variables_["txn.n"] = "10";
  EXPECT_EQ(eval("req.hdr_ip(x-forwarded-for,1),ipmask(16)", s), "10.1.0.0");
  EXPECT_EQ(eval("ipv4(10.1.2.3),ipmask(255.255.255.0)", s), "10.1.2.0");
  EXPECT_EQ(eval("ipv6(2001:db8:1:2::1),ipmask(24,48)", s), "2001:db8:1::");
  EXPECT_EQ(eval("ipv6(2001:db8::1),ipmask(24)", s), std::nullopt);
  EXPECT_EQ(eval("req.hdr(host),host_only", s), "www.Example.com");
  EXPECT_EQ(eval("str([::1]:80),host_only", s), "[::1]");
  EXPECT_EQ(eval("str(a.example),port_only", s), "0");
  EXPECT_EQ(eval("int(7),add(txn.n),sub(2),mul(3),div(5),mod(4)", s), "1");
  EXPECT_EQ(eval("int(1),div(0)", s), "9223372036854775807");
  EXPECT_EQ(eval("int(9223372036854775807),add(1)", s), "9223372036854775807");
  EXPECT_EQ(eval("int(6),and(3),or(8),xor(1)", s), "11");
  EXPECT_EQ(eval("int(5),neg", s), "-5");
  EXPECT_EQ(eval("int(0),not", s), "1");
  EXPECT_EQ(eval("int(3),odd", s), "1");
  EXPECT_EQ(eval("int(1),add(txn.none)", s), std::nullopt);
  EXPECT_EQ(eval("str(x),concat(-,txn.n,-)", s), "x-10-");
  EXPECT_EQ(eval("str(xxabcxx),ltrim(x),rtrim(x)", s), "abc");
  EXPECT_EQ(eval("str(10),strcmp(txn.n)", s), "0");
  EXPECT_EQ(eval("bool(1),iif(yes,no)", s), "yes");
  EXPECT_EQ(eval("str(bk_down),nbsrv", s), "0");
  EXPECT_NE(compile_error("int(1),add(x)").find("integer or a variable name"), std::string::npos);
}

TEST(acl_converter, maps_from_files) {
  temp_dir d;
  const std::string hosts =
      d.write("hosts.map", "# hosts\nwww.example.com be_www\napi.example.com be_api\n");
  const std::string beg = d.write("beg.map", "/shop short\n/shop/cart long\n");
  const std::string ip = d.write("ip.map", "10.0.0.0/8 ten\n192.0.2.0/24 doc\n");
  const std::string ints = d.write("int.map", "a 1\nb 2\n");
  const std::string bad = d.write("bad.map", "a one\n");
  const std::string reg = d.write("reg.map", "\\.php$ php\n^/shop shop\n");
  EXPECT_EQ(eval("req.hdr(host),host_only,lower,map(" + hosts + ")", req), "be_www");
  EXPECT_EQ(eval("str(other),map_str(" + hosts + ",be_default)", req), "be_default");
  EXPECT_EQ(eval("str(other),map(" + hosts + ")", req), std::nullopt);
  EXPECT_EQ(eval("path,map_beg(" + beg + ")", req), "long");
  EXPECT_EQ(eval("path,map_reg(" + reg + ")", req), "php");
  EXPECT_EQ(eval("req.hdr_ip(x-forwarded-for),map_ip(" + ip + ")", req), "doc");
  EXPECT_EQ(eval("str(10.2.3.4),map_ip(" + ip + ")", req), "ten");
  EXPECT_EQ(eval("str(b),map_str_int(" + ints + "),add(1)", req), "3");
  EXPECT_EQ(eval("str(z),map_str_int(" + ints + ",7)", req), "7");
  EXPECT_NE(compile_error("str(a),map_str_int(" + bad + ")").find("unable to parse 'one'"),
            std::string::npos);
  EXPECT_NE(compile_error("str(a),map(" + d.path() + "/none.map)").find("failed to open"),
            std::string::npos);
}

TEST(acl_sample, unknown_and_unsupported_keywords_are_compile_errors) {
  EXPECT_EQ(compile_error("nosuch"),
            "failed to parse sample expression <nosuch> : unknown fetch method 'nosuch'");
  EXPECT_EQ(compile_error("http_auth_bearer"), "the fetch 'http_auth_bearer' is not supported yet");
  // The stick-table converters run (runtime/proxy/acl/stick_fetches.cpp); a table is needed.
  EXPECT_EQ(compile_error("src,in_table"), "converter 'in_table' expects a table name");
  EXPECT_EQ(compile_error("str(a),map_regm(/x)"), "the converter 'map_regm' is not supported yet");
  EXPECT_EQ(compile_error("lua.foo"), "the fetch 'lua.foo' is not supported yet");
  EXPECT_EQ(compile_error("src,lua.bar"), "the converter 'lua.bar' is not supported yet");
}

TEST(acl_format, literals_expressions_and_variables) {
  std::string error;
  const auto f = compile_format("%[req.hdr(host),lower]-x 100%% %ci:%cp>%fi:%fp %f/%b", error);
  ASSERT_NE(f, nullptr) << error;
  EXPECT_EQ(f->evaluate(req),
            "www.example.com:8080-x 100% 127.0.0.1:40000>127.0.0.1:8080 fe/bk_up");
  const auto g = compile_format("%{+Q}[path]", error);
  ASSERT_NE(g, nullptr) << error;
  EXPECT_EQ(g->evaluate(req), "/shop/cart.php");
  // Measured on HAProxy 2.6: +Q quotes a log variable, not an expression; a '%' before
  // anything but a variable, '[' or '{' is dropped.
  const auto q = compile_format("%{+Q}ci %{+Q}[fe_name] 50%-x", error);
  ASSERT_NE(q, nullptr) << error;
  EXPECT_EQ(q->evaluate(req), "\"127.0.0.1\" fe 50-x");
  const auto h = compile_format("plain text", error);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->evaluate(req), "plain text");
}

TEST(acl_format, errors) {
  std::string error;
  EXPECT_EQ(compile_format("%[req.hdr(host)", error), nullptr);
  EXPECT_NE(error.find("missing ']'"), std::string::npos) << error;
  EXPECT_EQ(compile_format("%[nosuch]", error), nullptr);
  EXPECT_NE(error.find("unknown fetch method 'nosuch'"), std::string::npos) << error;
  EXPECT_EQ(compile_format("50%", error), nullptr);
  EXPECT_EQ(error, "truncated line after '%'");
  EXPECT_EQ(compile_format("%Tq", error), nullptr);
  EXPECT_EQ(error, "the log-format variable '%Tq' is not supported in rules yet");
}

}  // namespace
}  // namespace tandem::runtime::proxy::acl
