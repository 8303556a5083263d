// The cases of haproxy_oracle.py, measured on Debian's HAProxy 2.6.12 (every expected value
// below is what the real haproxy answered on loopback), run against Tandem's ACL engine with a
// fake request. Keep the two lists in step: the script is the oracle, this is the regression.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/proxy/acl/condition.hpp"
#include "tests/runtime/proxy/acl/fake_source.hpp"

namespace tandem::runtime::proxy::acl {
namespace {

using testing::fake_source;
using testing::temp_dir;
using testing::words;

struct measured {
  const char* name_;
  const char* kind_;  // cond: a condition after `if`; fmt: a log-format string;
                      // acl: "ACL LINES;…|CONDITION"
  const char* text_;
  const char* request_;
  const char* expected_;  // "yes"/"no" for conditions, the text for formats
};

const measured cases[] = {
    // path_dir / path_dom: words between '/' (and '?'); leading/trailing '/' of the pattern
    // dropped.
    {"dir1", "cond", "{ path_dir /api }", "GET /api/v1 HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"dir2", "cond", "{ path_dir /api }", "GET /apiv1 HTTP/1.1\r\nHost: h\r\n", "no"},
    {"dir3", "cond", "{ path_dir api }", "GET /x/api HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"dir4", "cond", "{ path_dir /x/api/ }", "GET /a/x/api/b HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"dir5", "cond", "{ url_dir api }", "GET /x/api?y=1 HTTP/1.1\r\nHost: h\r\n", "yes"},
    // hdr_dom: words between '.', ':', '/', '?'; the Host header keeps its port.
    {"dom1", "cond", "{ hdr_dom(host) -i example.com }",
     "GET / HTTP/1.1\r\nHost: www.Example.com\r\n", "yes"},
    {"dom2", "cond", "{ hdr_dom(host) -i example.com }",
     "GET / HTTP/1.1\r\nHost: example.com:8080\r\n", "yes"},
    {"dom3", "cond", "{ hdr_dom(host) -i example.com }",
     "GET / HTTP/1.1\r\nHost: example.community\r\n", "no"},
    {"dom4", "cond", "{ hdr_dom(host) .example.com }", "GET / HTTP/1.1\r\nHost: a.example.com\r\n",
     "yes"},
    {"host1", "cond", "{ hdr(host) example.com }", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n",
     "no"},
    {"host2", "fmt", "%[hdr(host)]", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n",
     "example.com:8080"},
    {"host3", "cond", "{ hdr_beg(host) -i example.com }",
     "GET / HTTP/1.1\r\nHost: EXAMPLE.com:8080\r\n", "yes"},
    // method: known methods by number, others by text; -i only helps unknown ones.
    {"meth1", "cond", "{ method GET }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"meth2", "cond", "{ method get }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"meth3", "cond", "{ method -i get }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"meth4", "cond", "{ method PURGE }", "PURGE / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"meth5", "cond", "{ method -i purge }", "PURGE / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"meth6", "cond", "METH_GET", "HEAD / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"meth7", "cond", "{ method -m str GET }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"meth8", "cond", "{ method -m beg -i ge }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    // absolute-form targets: path is the path, url the whole target.
    {"abs1", "fmt", "%[path]", "GET http://h.example/p/q?x=1 HTTP/1.1\r\nHost: h.example\r\n",
     "/p/q"},
    {"abs2", "fmt", "%[url]", "GET http://h.example/p?x=1 HTTP/1.1\r\nHost: h.example\r\n",
     "http://h.example/p?x=1"},
    {"abs3", "fmt", "%[base]", "GET /p?x=1 HTTP/1.1\r\nHost: h.example\r\n", "h.example/p"},
    {"abs4", "cond", "HTTP_URL_ABS", "GET http://h.example/ HTTP/1.1\r\nHost: h.example\r\n",
     "yes"},
    {"star1", "cond", "HTTP_URL_STAR", "OPTIONS * HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"star2", "cond", "{ path -m found }", "OPTIONS * HTTP/1.1\r\nHost: h\r\n", "no"},
    {"query1", "cond", "{ query -m found }", "GET /p? HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"query2", "cond", "{ query -m found }", "GET /p HTTP/1.1\r\nHost: h\r\n", "no"},
    {"query3", "fmt", "%[query]", "GET /p?a=1&b HTTP/1.1\r\nHost: h\r\n", "a=1&b"},
    // Missing samples: the ACL is false, its negation true.
    {"miss1", "cond", "{ req.hdr(x-none) -m found }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"miss2", "cond", "!{ req.hdr(x-none) -m found }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"miss3", "cond", "!{ req.hdr(x-none) foo }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    // In a rule's log-format string a missing or empty sample adds nothing (no "-").
    {"miss4", "fmt", "a%[req.hdr(x-none)]b", "GET / HTTP/1.1\r\nHost: h\r\n", "ab"},
    {"miss5", "fmt", "a%[req.hdr(x-e)]b", "GET / HTTP/1.1\r\nHost: h\r\nx-e:\r\n", "ab"},
    {"miss6", "cond", "{ req.hdr(x-e) -m found }", "GET / HTTP/1.1\r\nHost: h\r\nx-e:\r\n", "yes"},
    {"miss7", "fmt", "%[base]", "GET /p?q HTTP/1.0\r\n", "/p"},
    // Header values: commas split req.hdr, not req.fhdr; ACLs try every value.
    {"hv1", "cond", "{ hdr_cnt(x-l) eq 4 }",
     "GET / HTTP/1.1\r\nHost: h\r\nx-l: a, b\r\nx-l: c,d\r\n", "yes"},
    {"hv2", "cond", "{ req.fhdr_cnt(x-l) eq 2 }",
     "GET / HTTP/1.1\r\nHost: h\r\nx-l: a, b\r\nx-l: c,d\r\n", "yes"},
    {"hv3", "fmt", "%[req.hdr(x-l)]", "GET / HTTP/1.1\r\nHost: h\r\nx-l: a, b\r\nx-l: c,d\r\n",
     "d"},
    {"hv4", "fmt", "%[req.fhdr(x-l)]", "GET / HTTP/1.1\r\nHost: h\r\nx-l: a, b\r\nx-l: c,d\r\n",
     "c,d"},
    {"hv5", "fmt", "%[req.hdr(x-l,1)]", "GET / HTTP/1.1\r\nHost: h\r\nx-l: a, b\r\nx-l: c,d\r\n",
     "a"},
    {"hv6", "fmt", "%[req.hdr(x-l,-2)]", "GET / HTTP/1.1\r\nHost: h\r\nx-l: a, b\r\nx-l: c,d\r\n",
     "c"},
    {"hv7", "cond", "{ req.hdr(x-l) b }", "GET / HTTP/1.1\r\nHost: h\r\nx-l: a, b\r\nx-l: c,d\r\n",
     "yes"},
    {"hv8", "cond", "{ req.fhdr(x-l) b }", "GET / HTTP/1.1\r\nHost: h\r\nx-l: a, b\r\nx-l: c,d\r\n",
     "no"},
    {"hv9", "cond", "{ hdr_ip(x-forwarded-for) 10.0.0.0/8 }",
     "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.2.3.4, 10.1.2.3\r\n", "yes"},
    {"hv10", "cond", "{ hdr_val(x-n) gt 5 }", "GET / HTTP/1.1\r\nHost: h\r\nx-n: 7abc\r\n", "yes"},
    {"hv11", "cond", "HTTP_CONTENT", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab",
     "yes"},
    {"hv12", "cond", "{ hdr_sub(x-q) \"a,b\" }", "GET / HTTP/1.1\r\nHost: h\r\nx-q: \"a,b\"\r\n",
     "yes"},
    // Cookies: the last one outside ACLs, every one in ACLs.
    {"ck1", "fmt", "%[req.cook(a)]", "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2; a=3\r\n", "3"},
    {"ck2", "cond", "{ req.cook(a) 1 }", "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2; a=3\r\n",
     "yes"},
    {"ck3", "cond", "{ cook_cnt(a) eq 2 }",
     "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2\r\nCookie: a=3\r\n", "yes"},
    {"ck4", "fmt", "%[req.cook(b)]",
     "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1 ;  b = x y ; c=3\r\n", "x y"},
    {"ck5", "fmt", "%[req.cook]", "GET / HTTP/1.1\r\nHost: h\r\nCookie: a=1; b=2\r\n", "1"},
    // URL parameters: the first outside ACLs.
    {"up1", "fmt", "%[urlp(a)]", "GET /p?a=1&a=2 HTTP/1.1\r\nHost: h\r\n", "1"},
    {"up2", "cond", "{ urlp(a) 2 }", "GET /p?a=1&a=2 HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"up3", "cond", "{ urlp(a) -m found }", "GET /p?a&b=1 HTTP/1.1\r\nHost: h\r\n", "no"},
    {"up4", "fmt", "%[url_param(b,;)]", "GET /p?a=1;b=2 HTTP/1.1\r\nHost: h\r\n", "2"},
    // Converters.
    {"cv1", "cond", "{ str(a.b),field(5,.) -m found }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"cv2", "fmt", "%[str(a.b.c),field(-1,.)]", "GET / HTTP/1.1\r\nHost: h\r\n", "c"},
    {"cv3", "fmt", "%[str(a..b),word(2,.)]", "GET / HTTP/1.1\r\nHost: h\r\n", "b"},
    {"cv4", "fmt", "%[str(a.b.c.d),field(2,.,2)]", "GET / HTTP/1.1\r\nHost: h\r\n", "b.c"},
    {"cv5", "fmt", "%[str(aXbXc),regsub(X,_,g)]", "GET / HTTP/1.1\r\nHost: h\r\n", "a_b_c"},
    {"cv6", "fmt", "%[str(aXbXc),regsub(x,_,i)]", "GET / HTTP/1.1\r\nHost: h\r\n", "a_bXc"},
    {"cv8", "fmt", "%[src,ipmask(24)]", "GET / HTTP/1.1\r\nHost: h\r\n", "127.0.0.0"},
    {"cv9", "fmt", "%[str(Hi),base64]", "GET / HTTP/1.1\r\nHost: h\r\n", "SGk="},
    {"cv10", "fmt", "%[str(a/b),json(utf8s)]", "GET / HTTP/1.1\r\nHost: h\r\n", "a\\/b"},
    {"cv11", "fmt", "%[str(abcdef),bytes(2,3)]", "GET / HTTP/1.1\r\nHost: h\r\n", "cde"},
    {"cv12", "fmt", "%[hdr(host),host_only]", "GET / HTTP/1.1\r\nHost: h.example:81\r\n",
     "h.example"},
    {"cv13", "fmt", "%[hdr(host),port_only]", "GET / HTTP/1.1\r\nHost: h.example:81\r\n", "81"},
    {"cv14", "fmt", "%[int(7),add(3),mul(2)]", "GET / HTTP/1.1\r\nHost: h\r\n", "20"},
    {"cv15", "fmt", "%[str(a%2Bb+c),url_dec]", "GET / HTTP/1.1\r\nHost: h\r\n", "a+b+c"},
    {"cv16", "fmt", "%[str(x),concat(<,,>)]", "GET / HTTP/1.1\r\nHost: h\r\n", "x<>"},
    // A missing field fails the converter; a missing word is an empty string.
    {"cv17", "cond", "{ str(aXbXc),word(5,X) -m found }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"cv18", "cond", "{ str(aXbXc),field(5,X) -m found }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"cv19", "fmt", "%[str(a..b),field(2,.)]x", "GET / HTTP/1.1\r\nHost: h\r\n", "x"},
    // Integer matching: ranges and operators, strings read as integers.
    {"int1", "cond", "{ dst_port 1024:65535 }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"int2", "cond", "{ int(5) lt 5 }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"int3", "cond", "{ int(5) le 5 }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"int4", "cond", "{ req.hdr(x-n) -m int 10:20 }", "GET / HTTP/1.1\r\nHost: h\r\nx-n: 15\r\n",
     "yes"},
    {"int5", "cond", "{ path_len 3 }", "GET /ab HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"int6", "cond", "{ int(0) -m bool }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"int7", "cond", "{ str(abc) -m bool }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"int8", "cond", "{ int(5) eq 3 5 }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    // Addresses and predefined ACLs.
    {"ip1", "cond", "LOCALHOST", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"ip2", "cond", "{ src 127.0.0.1 }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"ip3", "cond", "{ src ::ffff:127.0.0.1 }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"ip4", "cond", "{ src ::1 }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"ip5", "cond", "{ req.hdr(x-ip) -m ip 192.168.0.0/255.255.0.0 }",
     "GET / HTTP/1.1\r\nHost: h\r\nx-ip: 192.168.7.1\r\n", "yes"},
    {"pre1", "cond", "HTTP_1.0", "GET / HTTP/1.0\r\n", "yes"},
    {"pre2", "cond", "HTTP_1.1", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"pre3", "cond", "TRUE !FALSE HTTP", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"pre4", "cond", "HTTP_URL_SLASH", "GET /x HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"pre5", "cond", "METH_POST or METH_PUT", "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n",
     "yes"},
    {"pre6", "cond", "REQ_CONTENT", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"pre7", "cond", "{ ssl_fc }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    {"pre8", "cond", "!{ ssl_fc }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"pre9", "cond", "{ ssl_fc_sni -m found }", "GET / HTTP/1.1\r\nHost: h\r\n", "no"},
    // Proxy state.
    {"px1", "cond", "{ nbsrv(bk_down) lt 1 }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"px2", "cond", "{ nbsrv(bk_up) eq 1 }", "GET / HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"px3", "fmt", "%[fe_name]", "GET / HTTP/1.1\r\nHost: h\r\n", "fe"},
    {"px4", "fmt", "%f", "GET / HTTP/1.1\r\nHost: h\r\n", "fe"},
    {"px5", "fmt", "100%%", "GET / HTTP/1.1\r\nHost: h\r\n", "100%"},
    // +Q quotes log variables, not expressions; a '%' before other characters is dropped.
    {"px6", "fmt", "%{+Q}ci|%{+Q}[fe_name]|50%-x", "GET / HTTP/1.1\r\nHost: h\r\n",
     "\"127.0.0.1\"|fe|50-x"},
    // Condition grammar: named ACLs OR'ed, or/||, !.
    {"g1", "acl", "g1a path /a;g1a path /b|g1a", "GET /b HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"g2", "acl", "g2a path /a;g2b method GET|g2a g2b or !g2b", "GET /a HTTP/1.1\r\nHost: h\r\n",
     "yes"},
    {"g3", "acl", "g3a path /a;g3b method GET|g3a g3b || !g3b", "GET /x HTTP/1.1\r\nHost: h\r\n",
     "no"},
    {"g4", "acl", "g4a path /a|!!g4a", "GET /a HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"g5", "acl", "g5a path /a;g5a path /c|g5a", "GET /c HTTP/1.1\r\nHost: h\r\n", "yes"},
    // A fetch used as an ACL takes converters from the next words, which stay patterns too.
    {"q1", "acl", "q1a req.hdr(x-a) lower foo|q1a", "GET / HTTP/1.1\r\nHost: h\r\nx-a: FOO\r\n",
     "yes"},
    {"q2", "acl", "q2a req.hdr(x-a) lower foo|q2a", "GET / HTTP/1.1\r\nHost: h\r\nx-a: LOWER\r\n",
     "yes"},
    // An ACL keyword with a converter matches with the converter's type (exact string).
    {"q3", "cond", "{ hdr_beg(x-a),lower foo }", "GET / HTTP/1.1\r\nHost: h\r\nx-a: FOObar\r\n",
     "no"},
    {"q4", "cond", "{ hdr_beg(x-a),lower foobar }", "GET / HTTP/1.1\r\nHost: h\r\nx-a: FOObar\r\n",
     "yes"},
    // Flags: -i applies to what follows it; -f files; -M maps as ACL pattern files.
    {"f1", "cond", "{ path -f @DIR@/paths.lst }", "GET /two HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"f2", "cond", "{ path -f @DIR@/paths.lst }", "GET /TWO HTTP/1.1\r\nHost: h\r\n", "no"},
    {"f3", "cond", "{ path -f @DIR@/paths.lst -i }", "GET /TWO HTTP/1.1\r\nHost: h\r\n", "no"},
    {"f4", "cond", "{ path -i -f @DIR@/paths.lst }", "GET /TWO HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"f5", "cond", "{ req.hdr(x-p) -f @DIR@/paths.lst }",
     "GET / HTTP/1.1\r\nHost: h\r\nx-p: #comment\r\n", "no"},
    {"f6", "cond", "{ path -f @DIR@/paths.lst }", "GET /indented HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"f7", "cond", "{ path -M -f @DIR@/keys.map }", "GET /k1 HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"f8", "cond", "{ path -- -x }", "GET /x HTTP/1.1\r\nHost: h\r\n", "no"},
    {"f9", "cond", "{ path_beg -i /A /b }", "GET /a/x HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"f10", "cond", "{ path_reg -i ^/A[0-9]+$ }", "GET /a12 HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"f11", "cond", "{ path_end .jpg .png }", "GET /i.png HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"f12", "cond", "{ path_sub -i ADMIN }", "GET /x/admin/y HTTP/1.1\r\nHost: h\r\n", "yes"},
    {"f13", "cond", "{ req.hdr(x-b) -m bin 414243 }", "GET / HTTP/1.1\r\nHost: h\r\nx-b: ABC\r\n",
     "yes"},
    {"f14", "cond", "{ req.hdr(x-a) -m len 3 }", "GET / HTTP/1.1\r\nHost: h\r\nx-a: abc\r\n",
     "yes"},
    // Maps.
    {"m1", "fmt", "%[path,map_beg(@DIR@/beg.map)]", "GET /a/b/c HTTP/1.1\r\nHost: h\r\n", "long"},
    {"m2", "fmt", "%[path,map_beg(@DIR@/beg.map)]", "GET /a/x HTTP/1.1\r\nHost: h\r\n", "short"},
    {"m3", "fmt", "%[hdr(host),lower,map(@DIR@/hosts.map,def)]",
     "GET / HTTP/1.1\r\nHost: WWW.A.example\r\n", "be_a"},
    {"m4", "fmt", "%[hdr(host),map(@DIR@/hosts.map,def)]", "GET / HTTP/1.1\r\nHost: other\r\n",
     "def"},
    {"m5", "fmt", "%[src,map_ip(@DIR@/ip.map)]", "GET / HTTP/1.1\r\nHost: h\r\n", "loop32"},
    {"m6", "fmt", "%[hdr(host),map_dom(@DIR@/dom.map)]",
     "GET / HTTP/1.1\r\nHost: x.shop.example\r\n", "shop"},
    {"m7", "fmt", "%[hdr(host),map_str_int(@DIR@/int.map,0),add(1)]",
     "GET / HTTP/1.1\r\nHost: b\r\n", "43"},
    {"m8", "fmt", "%[path,map_reg(@DIR@/reg.map)]", "GET /img/x.png HTTP/1.1\r\nHost: h\r\n",
     "static"},
};

struct file {
  const char* name_;
  const char* content_;
};
const file files[] = {
    {"paths.lst", "/one\n/two\n#comment\n   /indented\n\n"},
    {"keys.map", "/k1 v1\n/k2 v2\n"},
    {"beg.map", "/a short\n/a/b long\n"},
    {"hosts.map", "# hosts\nwww.a.example be_a\nwww.b.example be_b\n"},
    {"ip.map", "127.0.0.0/8 loop8\n127.0.0.1 loop32\n"},
    {"dom.map", "shop.example shop\n"},
    {"int.map", "a 1\nb 42\n"},
    {"reg.map", "\\.(png|jpg)$ static\n^/api api\n"},
};

std::string replace_dir(std::string text, const std::string& dir) {
  for (std::size_t at = text.find("@DIR@"); at != std::string::npos; at = text.find("@DIR@")) {
    text.replace(at, 5, dir);
  }
  return text;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (true) {
    const std::size_t end = text.find(sep, at);
    out.push_back(text.substr(at, end - at));
    if (end == std::string::npos) {
      return out;
    }
    at = end + 1;
  }
}

class acl_haproxy_measured : public ::testing::TestWithParam<measured> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    for (const file& f : files) {
      dir_->write(f.name_, f.content_);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static temp_dir* dir_;
};

temp_dir* acl_haproxy_measured::dir_ = nullptr;

TEST_P(acl_haproxy_measured, same_answer_as_haproxy) {
  const measured& m = GetParam();
  const std::string text = replace_dir(m.text_, dir_->path());
  fake_source src = fake_source::http(std::string(m.request_) + "\r\n");
  // Loopback ports like the oracle's: a high destination port.
  src.destination_ = testing::ipv4("127.0.0.1", 40123);
  std::string error;
  if (std::string(m.kind_) == "fmt") {
    const auto f = compile_format(text, error);
    ASSERT_NE(f, nullptr) << error;
    EXPECT_EQ(f->evaluate(src), m.expected_);
    return;
  }
  acl_set acls;
  std::string cond = text;
  if (std::string(m.kind_) == "acl") {
    const std::size_t bar = text.find('|');
    for (const std::string& line : split(text.substr(0, bar), ';')) {
      std::vector<std::string> w = words(line);
      const std::string name = w.front();
      w.erase(w.begin());
      ASSERT_TRUE(acls.add(name, w, error)) << error;
    }
    cond = text.substr(bar + 1);
  }
  std::vector<std::string> w = words(cond);
  w.insert(w.begin(), "if");
  const auto c = compile_condition(w, acls, error);
  ASSERT_NE(c, nullptr) << error;
  EXPECT_EQ(c->evaluate(src) ? "yes" : "no", std::string(m.expected_));
}

INSTANTIATE_TEST_SUITE_P(measured, acl_haproxy_measured, ::testing::ValuesIn(cases),
                         [](const ::testing::TestParamInfo<measured>& i) {
                           return std::string(i.param.name_);
                         });

}  // namespace
}  // namespace tandem::runtime::proxy::acl
