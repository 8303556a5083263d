// balance url_param, hdr(NAME) and rdp-cookie: the keys real haproxy 2.6 hashed, and the
// requests without one that it sent round robin instead.
#include "tests/runtime/proxy/balance/test_support.hpp"

namespace tandem::runtime::proxy::balance::test {
namespace {

TEST(url_param, picks_as_haproxy) {
  // "/p?userid=" hashes the empty value; "/p?user=ivan" and "/nothing" lack the parameter and
  // go round robin (s1, then s2).
  EXPECT_EQ(test_backend({"url_param", "userid"}, weighted({1, 1, 1})).serve_uris(user_uris),
            "s3 s3 s2 s1 s1 s3 s3 s3 s1 s2 s2");
  EXPECT_EQ(test_backend({"url_param", "userid", "check_post"}, weighted({1, 2, 3}), {"consistent"})
                .serve_uris(user_uris),
            "s3 s1 s2 s3 s1 s3 s3 s3 s3 s3 s3");
}

TEST(hdr, picks_as_haproxy) {
  EXPECT_EQ(test_backend({"hdr(host)"}, weighted({1, 1, 1})).serve_header("Host", hosts),
            "s1 s1 s1 s1 s3 s1 s1 s1 s3 s3 s1 s3 s1");
}

TEST(hdr, use_domain_only_hashes_the_domain_label) {
  EXPECT_EQ(test_backend({"hdr(Host)", "use_domain_only"}, weighted({1, 1, 1}))
                .serve_header("Host", hosts),
            "s2 s2 s2 s1 s2 s2 s2 s2 s1 s3 s1 s1 s1");
  EXPECT_EQ(test_backend({"hdr(host)", "use_domain_only"}, weighted({1, 2, 3}), {"consistent"})
                .serve_header("Host", hosts),
            "s1 s1 s1 s2 s3 s2 s1 s1 s3 s3 s3 s1 s2");
}

TEST(hdr, hashes_the_first_element_and_goes_round_robin_without_the_header) {
  test_backend be({"hdr(X-User)"}, weighted({1, 1, 1}));
  EXPECT_EQ(be.serve_header("X-User", user_header), "s3 s3 s2 s1 s3 s3 s3 s3 s3 s2");
  const std::vector<std::optional<std::string>> absent(4, std::nullopt);
  EXPECT_EQ(be.serve_header("X-User", absent), "s1 s2 s3 s1");
  // An empty value counts as absent.
  EXPECT_EQ(be.serve_header("X-User", {" "}), "s2");
}

TEST(rdp_cookie, picks_as_haproxy) {
  EXPECT_EQ(test_backend({"rdp-cookie"}, weighted({1, 1, 1})).serve_rdp(rdp_cookies),
            "s3 s3 s2 s1 s3 s3 s3");
  EXPECT_EQ(test_backend({"rdp-cookie(mstshash)"}, weighted({1, 2, 3}), {"consistent"})
                .serve_rdp(rdp_cookies),
            "s3 s1 s2 s1 s1 s3 s3");
}

TEST(rdp_cookie, takes_servers_in_turn_without_a_cookie) {
  EXPECT_EQ(test_backend({"rdp-cookie"}, weighted({1, 1, 1})).serve_rdp({"", "", ""}), "s1 s2 s3");
}

}  // namespace
}  // namespace tandem::runtime::proxy::balance::test
