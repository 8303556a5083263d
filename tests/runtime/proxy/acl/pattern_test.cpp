// The matching methods (pattern.hpp) one by one, and the pattern and map file readers.
#include "runtime/proxy/acl/pattern.hpp"

#include <gtest/gtest.h>

#include "tests/runtime/proxy/acl/fake_source.hpp"

namespace tandem::runtime::proxy::acl {
namespace {

using testing::temp_dir;

pattern_list make(match_kind k, std::initializer_list<const char*> patterns, bool icase = false) {
  pattern_list l(k);
  for (const char* p : patterns) {
    std::string error;
    EXPECT_TRUE(l.add(p, icase, error)) << p << ": " << error;
  }
  return l;
}

bool matches(const pattern_list& l, sample s) {
  return l.match(s).has_value();
}
bool matches(const pattern_list& l, std::string_view text) {
  return matches(l, sample::owned(std::string(text)));
}

TEST(acl_pattern, str_is_exact_and_case_sensitive_unless_i) {
  const pattern_list l = make(match_kind::str, {"/login", "/a b"});
  EXPECT_TRUE(matches(l, "/login"));
  EXPECT_TRUE(matches(l, "/a b"));
  EXPECT_FALSE(matches(l, "/LOGIN"));
  EXPECT_FALSE(matches(l, "/login/"));
  const pattern_list i = make(match_kind::str, {"/login"}, true);
  EXPECT_TRUE(matches(i, "/LoGiN"));
}

TEST(acl_pattern, str_casts_integers_to_text) {
  const pattern_list l = make(match_kind::str, {"42"});
  EXPECT_TRUE(matches(l, sample::integer(42)));
  EXPECT_FALSE(matches(l, sample::integer(4)));
}

TEST(acl_pattern, beg_end_sub) {
  const pattern_list beg = make(match_kind::beg, {"/static/", "/img"});
  EXPECT_TRUE(matches(beg, "/static/x.css"));
  EXPECT_TRUE(matches(beg, "/img/a.png"));
  EXPECT_FALSE(matches(beg, "/images"));
  EXPECT_FALSE(matches(beg, "/Static/x"));
  EXPECT_FALSE(matches(beg, "/"));
  EXPECT_TRUE(matches(make(match_kind::beg, {"/STATIC"}, true), "/static/x"));
  const pattern_list end = make(match_kind::end, {".jpg", ".png"});
  EXPECT_TRUE(matches(end, "/a/b.png"));
  EXPECT_FALSE(matches(end, "/a/b.png?x"));
  EXPECT_FALSE(matches(end, "jpg"));
  EXPECT_TRUE(matches(make(match_kind::end, {".JPG"}, true), "/x.jpg"));
  const pattern_list sub = make(match_kind::sub, {"admin"});
  EXPECT_TRUE(matches(sub, "/x/admin/y"));
  EXPECT_FALSE(matches(sub, "/x/ADMIN/y"));
  EXPECT_TRUE(matches(make(match_kind::sub, {"ADMIN"}, true), "/x/admin/y"));
}

TEST(acl_pattern, beg_without_i_picks_the_longest_prefix_like_haproxys_tree) {
  pattern_list l(match_kind::beg);
  std::string error;
  ASSERT_TRUE(l.add("/a", false, error, 0));
  ASSERT_TRUE(l.add("/a/b", false, error, 1));
  sample s = sample::view("/a/b/c");
  EXPECT_EQ(l.match(s), 1u);
  // With -i HAProxy keeps a list: the first pattern in order wins.
  pattern_list i(match_kind::beg);
  ASSERT_TRUE(i.add("/a", true, error, 0));
  ASSERT_TRUE(i.add("/a/b", true, error, 1));
  sample t = sample::view("/a/b/c");
  EXPECT_EQ(i.match(t), 0u);
}

TEST(acl_pattern, dir_matches_slash_delimited_words) {
  const pattern_list l = make(match_kind::dir, {"/api/"});
  EXPECT_TRUE(matches(l, "/api"));
  EXPECT_TRUE(matches(l, "/v1/api/x"));
  EXPECT_TRUE(matches(l, "/x/api?y=1"));
  EXPECT_FALSE(matches(l, "/apis"));
  EXPECT_FALSE(matches(l, "/my-api/x"));
  EXPECT_TRUE(matches(make(match_kind::dir, {"a/b"}), "/x/a/b/c"));
}

TEST(acl_pattern, dom_matches_dot_delimited_words) {
  const pattern_list l = make(match_kind::dom, {"example.com"});
  EXPECT_TRUE(matches(l, "www.example.com"));
  EXPECT_TRUE(matches(l, "example.com:8080"));
  EXPECT_TRUE(matches(l, "http://example.com/x"));
  EXPECT_FALSE(matches(l, "example.community"));
  EXPECT_FALSE(matches(l, "myexample.com"));
  EXPECT_FALSE(matches(l, "www.Example.com"));
  EXPECT_TRUE(matches(make(match_kind::dom, {"example.com"}, true), "www.Example.com"));
}

TEST(acl_pattern, reg_uses_pcre_and_i_makes_it_caseless) {
  const pattern_list l = make(match_kind::reg, {"^/api/v[0-9]+/", "\\.php$"});
  EXPECT_TRUE(matches(l, "/api/v2/users"));
  EXPECT_TRUE(matches(l, "/x/index.php"));
  EXPECT_FALSE(matches(l, "/API/v2/"));
  EXPECT_TRUE(matches(make(match_kind::reg, {"^/API"}, true), "/api/x"));
  // Matching runs over the whole value, NUL bytes included.
  EXPECT_TRUE(matches(make(match_kind::reg, {"b$"}), std::string_view("a\0b", 3)));
  pattern_list bad(match_kind::reg);
  std::string error;
  EXPECT_FALSE(bad.add("(unclosed", false, error));
  EXPECT_NE(error.find("(unclosed"), std::string::npos) << error;
}

TEST(acl_pattern, len_and_int_take_ranges) {
  const pattern_list len = make(match_kind::len, {"0:3", "10"});
  EXPECT_TRUE(matches(len, "abc"));
  EXPECT_TRUE(matches(len, "0123456789"));
  EXPECT_FALSE(matches(len, "abcd"));
  const pattern_list i = make(match_kind::int_, {"80", "443", "8000:8999", ":10", "60000-"});
  for (const std::int64_t v : {80, 443, 8000, 8500, 8999, -5, 10, 60000, 65535}) {
    EXPECT_TRUE(matches(i, sample::integer(v))) << v;
  }
  for (const std::int64_t v : {81, 7999, 9000, 11, 59999}) {
    EXPECT_FALSE(matches(i, sample::integer(v))) << v;
  }
  // A string is read as an integer (its leading digits).
  EXPECT_TRUE(matches(i, "443abc"));
  EXPECT_FALSE(matches(i, ""));
  pattern_list bad(match_kind::int_);
  std::string error;
  EXPECT_FALSE(bad.add("ten", false, error));
  EXPECT_EQ(error, "'ten' is not a valid number range");
  EXPECT_FALSE(bad.add("9:1", false, error));
}

TEST(acl_pattern, ip_takes_addresses_networks_and_both_families) {
  const pattern_list l = make(
      match_kind::ip, {"10.0.0.0/8", "192.168.1.1", "2001:db8::/32", "172.16.0.0/255.240.0.0"});
  const auto ip = [&](const char* text) {
    sample s;
    EXPECT_TRUE(parse_address(text, s)) << text;
    return s;
  };
  EXPECT_TRUE(matches(l, ip("10.1.2.3")));
  EXPECT_TRUE(matches(l, ip("192.168.1.1")));
  EXPECT_FALSE(matches(l, ip("192.168.1.2")));
  EXPECT_TRUE(matches(l, ip("2001:db8::1")));
  EXPECT_FALSE(matches(l, ip("2001:db9::1")));
  EXPECT_TRUE(matches(l, ip("172.20.1.1")));
  // An IPv4-mapped IPv6 address matches IPv4 patterns, and the reverse.
  EXPECT_TRUE(matches(l, ip("::ffff:10.9.9.9")));
  EXPECT_TRUE(matches(make(match_kind::ip, {"::ffff:127.0.0.1"}), ip("127.0.0.1")));
  EXPECT_FALSE(matches(make(match_kind::ip, {"::1"}), ip("127.0.0.1")));
  // A string is read as an address, an integer is an IPv4 address in host order.
  EXPECT_TRUE(matches(l, "10.0.0.1"));
  EXPECT_TRUE(matches(l, sample::integer(0x0a000001)));
  EXPECT_FALSE(matches(l, sample::integer(0x0b000001)));
  EXPECT_FALSE(matches(l, "not-an-ip"));
  pattern_list bad(match_kind::ip);
  std::string error;
  EXPECT_FALSE(bad.add("localhostx", false, error));
  EXPECT_EQ(error, "'localhostx' is not a valid IPv4 or IPv6 address");
}

TEST(acl_pattern, ip_maps_prefer_the_longest_network) {
  pattern_list l(match_kind::ip);
  std::string error;
  ASSERT_TRUE(l.add("127.0.0.0/8", false, error, 0));
  ASSERT_TRUE(l.add("127.0.0.1", false, error, 1));
  ASSERT_TRUE(l.add("0.0.0.0/0", false, error, 2));
  sample s;
  ASSERT_TRUE(parse_address("127.0.0.1", s));
  EXPECT_EQ(l.match(s), 1u);
  ASSERT_TRUE(parse_address("127.0.0.2", s));
  EXPECT_EQ(l.match(s), 0u);
  ASSERT_TRUE(parse_address("8.8.8.8", s));
  EXPECT_EQ(l.match(s), 2u);
}

TEST(acl_pattern, bin_compares_bytes_given_in_hex) {
  const pattern_list l = make(match_kind::bin, {"160301", "00ff"});
  EXPECT_TRUE(matches(l, sample::owned(std::string("\x16\x03\x01", 3), smp_type::bin_)));
  EXPECT_TRUE(matches(l, sample::owned(std::string("\x00\xff", 2), smp_type::bin_)));
  EXPECT_FALSE(matches(l, sample::owned(std::string("\x16\x03", 2), smp_type::bin_)));
  pattern_list bad(match_kind::bin);
  std::string error;
  EXPECT_FALSE(bad.add("abc", false, error));
  EXPECT_FALSE(bad.add("zz", false, error));
}

TEST(acl_pattern, bool_and_found) {
  const pattern_list b(match_kind::bool_);
  EXPECT_TRUE(matches(b, sample::boolean(true)));
  EXPECT_FALSE(matches(b, sample::boolean(false)));
  EXPECT_TRUE(matches(b, sample::integer(3)));
  EXPECT_FALSE(matches(b, "0"));
  EXPECT_FALSE(matches(b, ""));  // an empty string cannot be read as an integer
  const pattern_list f(match_kind::found);
  EXPECT_TRUE(matches(f, ""));
  EXPECT_TRUE(matches(f, sample::integer(0)));
}

TEST(acl_pattern, meth_compares_known_methods_by_name_and_others_by_text) {
  const pattern_list l = make(match_kind::meth, {"GET", "PURGE"});
  EXPECT_TRUE(matches(l, sample::view("GET", smp_type::meth_)));
  EXPECT_TRUE(matches(l, sample::view("PURGE", smp_type::meth_)));
  EXPECT_FALSE(matches(l, sample::view("get", smp_type::meth_)));
  EXPECT_FALSE(matches(l, sample::view("POST", smp_type::meth_)));
  // Measured on HAProxy 2.6: "method -i get" does not match GET (GET is known, "get" is not);
  // -i helps only between unknown methods.
  EXPECT_FALSE(
      matches(make(match_kind::meth, {"get"}, true), sample::view("GET", smp_type::meth_)));
  EXPECT_TRUE(
      matches(make(match_kind::meth, {"purge"}, true), sample::view("PURGE", smp_type::meth_)));
}

TEST(acl_pattern, match_kind_names) {
  EXPECT_EQ(match_kind_named("beg"), match_kind::beg);
  EXPECT_EQ(match_kind_named("found"), match_kind::found);
  EXPECT_EQ(match_kind_named("regx"), std::nullopt);
}

TEST(acl_pattern_file, one_pattern_per_line_comments_in_the_first_column) {
  temp_dir d;
  const std::string p =
      d.write("p.lst", "/a\n#comment\n  /indented\n\n/crlf\r\n/trailing  \n #x\n");
  std::vector<std::string> out;
  std::string error;
  ASSERT_TRUE(read_pattern_file(p, out, error)) << error;
  EXPECT_EQ(out, (std::vector<std::string>{"/a", "/indented", "/crlf", "/trailing  ", "#x"}));
}

TEST(acl_pattern_file, missing_files_and_directories_are_errors) {
  temp_dir d;
  std::vector<std::string> out;
  std::string error;
  EXPECT_FALSE(read_pattern_file(d.path() + "/none", out, error));
  EXPECT_EQ(error, "failed to open pattern file <" + d.path() + "/none>");
  EXPECT_FALSE(read_pattern_file(d.path(), out, error));
}

TEST(acl_map_file, key_then_value_to_the_end_of_the_line) {
  temp_dir d;
  const std::string p = d.write("m.map", "# c\n  k1   value one  \nk2\tv2\r\nk3\n\n#k4 v4\n");
  std::vector<std::pair<std::string, std::string>> out;
  std::string error;
  ASSERT_TRUE(read_map_file(p, out, error)) << error;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (std::pair<std::string, std::string>{"k1", "value one"}));
  EXPECT_EQ(out[1], (std::pair<std::string, std::string>{"k2", "v2"}));
  EXPECT_EQ(out[2], (std::pair<std::string, std::string>{"k3", ""}));
}

}  // namespace
}  // namespace tandem::runtime::proxy::acl
