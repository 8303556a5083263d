// Userlists and the http_auth fetches: the Authorization header as HAProxy 2.6 reads it, crypt(3)
// hashes, groups from both sides, and the fetches and the http_auth_group ACL through conditions
// and sample expressions. Every expectation was measured on Debian's HAProxy 2.6.12 (a
// `http-request return` echoing the fetches, curl as the client).
#include <gtest/gtest.h>

#include <string>

#include "runtime/proxy/acl/condition.hpp"
#include "runtime/proxy/acl/userlist.hpp"
#include "tests/runtime/proxy/acl/fake_source.hpp"

namespace tandem::runtime::proxy::acl {
namespace {

using testing::fake_source;
using testing::words;

// openssl passwd -6/-5/-1 -salt abcdefgh secret6/secret5/secret1.
constexpr const char* sha512 =
    "$6$abcdefgh$xCmU6eXePqd8uT3.jYlk3Fgv/roflqiCi/twHrvHhPTT4qT0rTqu/3ZTFEf6uqFcl7eKyk81ngZEadU/"
    "ehEy51";
constexpr const char* sha256 = "$5$abcdefgh$AVKsPBNtNFkXXKvvkrPMobKUZbm0i7P2XfVbwGW9BS/";
constexpr const char* md5 = "$1$abcdefgh$ywpTNDTYPzAT3Ohgseebp/";

std::string basic(std::string_view user_colon_password) {
  // A small encoder for the tests (the code under test only decodes).
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  const auto byte = [&](std::size_t k) {
    return static_cast<unsigned>(static_cast<unsigned char>(user_colon_password[k]));
  };
  for (; i + 2 < user_colon_password.size(); i += 3) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6)
      out += alphabet[(v >> s) & 63];
  }
  const std::size_t rest = user_colon_password.size() - i;
  if (rest == 1) {
    const unsigned v = byte(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    const unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += '=';
  }
  return "Basic " + out;
}

TEST(base64, strict_as_haproxy) {
  EXPECT_EQ(decode_base64("YWxpY2U6c2VjcmV0"), "alice:secret");
  EXPECT_EQ(decode_base64("YWxpY2U6c2VjcmU="), "alice:secre");
  EXPECT_EQ(decode_base64("YWxpY2U6c2Vjcg=="), "alice:secr");
  EXPECT_EQ(decode_base64(""), "");
  // Measured: unpadded, a stray character, a pad too early.
  EXPECT_FALSE(decode_base64("YWxpY2U6c2VjcmU"));
  EXPECT_FALSE(decode_base64("YWxp*2U6c2VjcmV0"));
  EXPECT_FALSE(decode_base64("YWxpY2U6c2VjcmV0="));
  EXPECT_FALSE(decode_base64("Y==="));
  EXPECT_FALSE(decode_base64("YW=x"));
}

TEST(authorization, basic_and_its_abbreviations) {
  const auto c = parse_authorization("Basic YWxpY2U6c2VjcmV0");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme_, auth_scheme::basic);
  EXPECT_EQ(c->user_, "alice");
  EXPECT_EQ(c->password_, "secret");
  // strncasecmp() on the scheme's own length: any case, cut short.
  for (const char* scheme : {"basic", "BASIC", "Bas", "B"}) {
    const auto a = parse_authorization(std::string(scheme) + " YWxpY2U6c2VjcmV0");
    ASSERT_TRUE(a) << scheme;
    EXPECT_EQ(a->scheme_, auth_scheme::basic) << scheme;
  }
  EXPECT_FALSE(parse_authorization("Basicx YWxpY2U6c2VjcmV0"));
  // Several spaces before the data are skipped; a tab is not a separator.
  EXPECT_TRUE(parse_authorization("Basic   YWxpY2U6c2VjcmV0"));
  EXPECT_FALSE(parse_authorization("Basic\tYWxpY2U6c2VjcmV0"));
  EXPECT_FALSE(parse_authorization("Basic"));
}

TEST(authorization, what_basic_credentials_hold) {
  // No colon: nothing. An empty user is a user. The password keeps its colons.
  EXPECT_FALSE(parse_authorization(basic("alice")));
  EXPECT_EQ(parse_authorization(basic(":secret"))->user_, "");
  EXPECT_EQ(parse_authorization(basic("alice:sec:ret"))->password_, "sec:ret");
  // C strings: a NUL ends the text (a NUL before the colon leaves no colon).
  EXPECT_EQ(parse_authorization(basic(std::string("alice:secret\0x", 14)))->password_, "secret");
  EXPECT_FALSE(parse_authorization(basic(std::string("alice\0:secret", 13))));
}

TEST(authorization, bearer_and_others) {
  const auto b = parse_authorization("Bearer abc");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->scheme_, auth_scheme::bearer);
  EXPECT_EQ(parse_authorization("Be abc")->scheme_, auth_scheme::bearer);
  EXPECT_FALSE(parse_authorization("Digest abc"));
  EXPECT_FALSE(parse_authorization("Negotiate abc"));
}

TEST(crypt, hashes_libxcrypt_knows) {
  EXPECT_TRUE(password_matches("secret6", sha512));
  EXPECT_FALSE(password_matches("secret5", sha512));
  EXPECT_TRUE(password_matches("secret5", sha256));
  EXPECT_TRUE(password_matches("secret1", md5));
  EXPECT_FALSE(password_matches("", md5));
  // A clear-text "hash" is a DES setting: crypt gives something else, so it never matches.
  EXPECT_FALSE(password_matches("secret", "secret"));
  EXPECT_FALSE(password_matches("", ""));
  EXPECT_FALSE(password_matches("x", "$9$unknown$algorithm"));
}

userlist make_list() {
  userlist l("L");
  EXPECT_TRUE(l.add_group("admins"));
  EXPECT_TRUE(l.add_group("ops"));
  EXPECT_FALSE(l.add_group("ops"));
  EXPECT_TRUE(l.add_user("alice", "secret", true));
  EXPECT_TRUE(l.add_user("bob", sha512, false));
  EXPECT_TRUE(l.add_user("carol", sha256, false));
  EXPECT_TRUE(l.add_user("dave", std::nullopt, false));
  EXPECT_FALSE(l.add_user("alice", "other", true));  // the first one is kept
  EXPECT_TRUE(l.join("alice", "ops"));
  EXPECT_TRUE(l.join("bob", "admins"));
  EXPECT_TRUE(l.join("carol", "ops"));
  EXPECT_TRUE(l.join("carol", "admins"));
  EXPECT_FALSE(l.join("nobody", "ops"));
  EXPECT_FALSE(l.join("alice", "nogroup"));
  return l;
}

TEST(userlist, check_and_groups) {
  const userlist l = make_list();
  EXPECT_TRUE(l.check("alice", "secret"));
  EXPECT_FALSE(l.check("alice", "other"));
  EXPECT_TRUE(l.check("bob", "secret6"));
  EXPECT_FALSE(l.check("bob", sha512));  // the hash itself is not the password
  EXPECT_TRUE(l.check("carol", "secret5"));
  EXPECT_FALSE(l.check("dave", ""));  // no password: HAProxy 2.6 crashes, Tandem refuses
  EXPECT_FALSE(l.check("zed", "x"));
  EXPECT_TRUE(l.in_group("alice", "ops"));
  EXPECT_FALSE(l.in_group("alice", "admins"));
  EXPECT_TRUE(l.in_group("carol", "admins"));
  EXPECT_FALSE(l.in_group("zed", "ops"));
  EXPECT_TRUE(l.has_group("admins"));
  EXPECT_TRUE(l.has_user("dave"));
}

TEST(userlist, insecure_empty_password) {
  userlist l("L");
  l.add_user("e", "", true);
  EXPECT_TRUE(l.check("e", ""));
  EXPECT_FALSE(l.check("e", "x"));
}

TEST(userlist_set, first_of_a_name_wins) {
  userlist_set set;
  EXPECT_TRUE(set.add(std::make_shared<userlist>(make_list())));
  EXPECT_FALSE(set.add(std::make_shared<userlist>("L")));
  ASSERT_NE(set.find("L"), nullptr);
  EXPECT_TRUE(set.find("L")->has_user("bob"));
  EXPECT_EQ(set.find("M"), nullptr);
}

class auth_fetches : public ::testing::Test {
 protected:
  auth_fetches() {
    users_.add(std::make_shared<userlist>(make_list()));
    acls_.use_userlists(&users_);
  }

  fake_source with(std::string_view authorization) {
    return fake_source::http(
        "GET / HTTP/1.1\r\nHost: h\r\nAuthorization: " + std::string(authorization) + "\r\n\r\n");
  }

  bool holds(std::string_view cond, const sample_source& s) {
    std::string error;
    const auto c = compile_condition(words(cond), acls_, error);
    EXPECT_NE(c, nullptr) << cond << ": " << error;
    return c != nullptr && c->evaluate(s);
  }

  std::optional<std::string> value(std::string_view expr, const sample_source& s) {
    std::string error;
    const auto e = compile_sample(expr, error, &users_);
    EXPECT_NE(e, nullptr) << expr << ": " << error;
    return e == nullptr ? std::nullopt : e->evaluate(s);
  }

  userlist_set users_;
  acl_set acls_;
};

TEST_F(auth_fetches, http_auth) {
  EXPECT_TRUE(holds("if { http_auth(L) }", with(basic("alice:secret"))));
  EXPECT_TRUE(holds("if { http_auth(L) }", with(basic("bob:secret6"))));
  EXPECT_FALSE(holds("if { http_auth(L) }", with(basic("bob:nope"))));
  EXPECT_FALSE(holds("if { http_auth(L) }", with(basic("zed:x"))));
  EXPECT_FALSE(holds("if { http_auth(L) }", with("Bearer abc")));
  EXPECT_FALSE(holds("if { http_auth(L) }", fake_source::http("GET / HTTP/1.1\r\n\r\n")));
  EXPECT_TRUE(holds("unless { http_auth(L) }", fake_source::http("GET / HTTP/1.1\r\n\r\n")));
  // The sample: a boolean when the header is Basic, nothing otherwise.
  EXPECT_EQ(value("http_auth(L)", with(basic("alice:secret"))), "1");
  EXPECT_EQ(value("http_auth(L)", with(basic("alice:nope"))), "0");
  EXPECT_EQ(value("http_auth(L)", with("Digest x")), std::nullopt);
}

TEST_F(auth_fetches, only_the_first_header_and_value) {
  const fake_source two =
      fake_source::http("GET / HTTP/1.1\r\nAuthorization: " + basic("alice:nope") +
                        "\r\nAuthorization: " + basic("alice:secret") + "\r\n\r\n");
  EXPECT_FALSE(holds("if { http_auth(L) }", two));
  EXPECT_TRUE(holds("if { http_auth(L) }", with(basic("alice:secret") + ", Basic x")));
}

TEST_F(auth_fetches, user_pass_type) {
  const fake_source wrong = with(basic("alice:other"));
  EXPECT_EQ(value("http_auth_user", wrong), "alice");
  EXPECT_EQ(value("http_auth_pass", wrong), "other");
  EXPECT_EQ(value("http_auth_type", wrong), "Basic");
  EXPECT_EQ(value("http_auth_group(L)", wrong), std::nullopt);
  EXPECT_EQ(value("http_auth_group(L)", with(basic("alice:secret"))), "alice");
  const fake_source bearer = with("Bearer abc");
  EXPECT_EQ(value("http_auth_type", bearer), "Bearer");
  EXPECT_EQ(value("http_auth_user", bearer), std::nullopt);
}

TEST_F(auth_fetches, http_auth_group_acl) {
  std::string error;
  ASSERT_TRUE(acls_.add("adm", words("http_auth_group(L) admins"), error)) << error;
  ASSERT_TRUE(acls_.add("ops_or_adm", words("http_auth_group(L) ops admins"), error)) << error;
  EXPECT_TRUE(holds("if adm", with(basic("bob:secret6"))));
  EXPECT_FALSE(holds("if adm", with(basic("bob:nope"))));
  EXPECT_FALSE(holds("if adm", with(basic("alice:secret"))));
  EXPECT_TRUE(holds("if ops_or_adm", with(basic("alice:secret"))));
  EXPECT_TRUE(holds("if { http_auth_group(L) ops }", with(basic("carol:secret5"))));
}

TEST_F(auth_fetches, configuration_errors) {
  std::string error;
  EXPECT_FALSE(acls_.add("a", words("http_auth(nosuch)"), error));
  EXPECT_EQ(error, "unable to find userlist 'nosuch' referenced in arg 1 of 'http_auth'");
  EXPECT_FALSE(acls_.add("a", words("http_auth_group(L) nogroup"), error));
  EXPECT_EQ(error, "http_auth_group(): invalid group 'nogroup'");
  EXPECT_FALSE(acls_.add("a", words("http_auth_group(L)"), error));
  EXPECT_EQ(error, "http_auth_group(): no groups specified");
  EXPECT_FALSE(acls_.add("a", words("http_auth_group(L) -m str alice"), error));
  EXPECT_EQ(error, "http_auth_group(): no groups specified");
  // Without userlists (a set that was given none), nothing resolves.
  acl_set bare;
  EXPECT_FALSE(bare.add("a", words("http_auth(L)"), error));
  EXPECT_FALSE(compile_format("%[http_auth(L)]", error));
  EXPECT_TRUE(compile_format("%[http_auth(L)]", error, &users_));
}

}  // namespace
}  // namespace tandem::runtime::proxy::acl
