// Tests that pin the version and help texts scripts and users see.
#include "tools/version.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace tandem::tools {
namespace {

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

TEST(Version, NumberIsSemantic) {
  EXPECT_TRUE(std::regex_match(std::string(tandem_version()), std::regex(R"(\d+\.\d+\.\d+)")));
}

TEST(Version, HaproxyFrontEnd) {
  const std::string v = std::string(tandem_version());
  EXPECT_EQ(first_line(haproxy_version_text(false)),
            "Tandem " + v +
                " (haproxy front-end; targets the configuration language of HAProxy 1.4 to 3.x)");
  EXPECT_NE(haproxy_version_text(false).find("Command line of HAProxy 2.6;"), std::string::npos);
  EXPECT_EQ(haproxy_version_text(false).find("Build options"), std::string::npos);
  const std::string vv = haproxy_version_text(true);
  EXPECT_EQ(vv.rfind(haproxy_version_text(false), 0), 0U) << "-vv starts with -v's text";
  EXPECT_NE(vv.find("Build options :\n"), std::string::npos);
  EXPECT_NE(vv.find("STANDARD   = C++20"), std::string::npos);
}

TEST(Version, KeepalivedFrontEnd) {
  EXPECT_EQ(first_line(keepalived_version_text()),
            "Tandem " + std::string(tandem_version()) +
                " (keepalived front-end; targets the configuration language of keepalived 1.x "
                "to 2.x)");
  EXPECT_NE(keepalived_version_text().find("Command line of keepalived 2.2.7."), std::string::npos);
}

TEST(Version, TandemItself) {
  EXPECT_EQ(first_line(tandem_version_text()), "Tandem " + std::string(tandem_version()));
  const std::string help = tandem_help_text();
  EXPECT_EQ(first_line(help), "Usage: tandem COMMAND [ARGS...]");
  for (const std::string_view word :
       {"haproxy ARGS", "keepalived ARGS", "check ", "migrate FILE", "--help", "--version"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace tandem::tools
