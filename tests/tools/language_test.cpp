// Tests for telling haproxy.cfg from keepalived.conf by content.
#include "tools/language.hpp"

#include <gtest/gtest.h>

namespace tandem::tools {
namespace {

TEST(Language, HaproxySections) {
  EXPECT_EQ(detect_language("# comment\nglobal\n  daemon\n"), config_language::haproxy);
  EXPECT_EQ(detect_language("\n\nlisten webfarm 0.0.0.0:80\n"), config_language::haproxy);
  // Sections newer than 2.6 count too.
  EXPECT_EQ(detect_language("traces\n  trace h1 sink stderr\n"), config_language::haproxy);
  // HAProxy's own braces do not make it keepalived.
  EXPECT_EQ(detect_language("frontend f\n  bind \"${ADDR}:80\"\n  log-format %{+Q}o\n"),
            config_language::haproxy);
}

TEST(Language, KeepalivedBlocks) {
  EXPECT_EQ(detect_language("! Configuration File for keepalived\nglobal_defs {\n}\n"),
            config_language::keepalived);
  EXPECT_EQ(detect_language("vrrp_script chk {\n  script \"killall -0 haproxy\"\n}\n"),
            config_language::keepalived);
  // Any top-level keyword of keepalived's table, and include, decide it without a brace.
  EXPECT_EQ(detect_language("net_namespace blue\n"), config_language::keepalived);
  EXPECT_EQ(detect_language("include /etc/keepalived/conf.d/*.conf\n"),
            config_language::keepalived);
  // A block of a keyword not in the table still opens with a blank and '{'.
  EXPECT_EQ(detect_language("something_new {\n}\n"), config_language::keepalived);
  // Pasted no-break spaces before the keyword (blog posts).
  EXPECT_EQ(detect_language("\xC2\xA0\xC2\xA0vrrp_instance VI_1 {\n"), config_language::keepalived);
  EXPECT_EQ(detect_language("\xEF\xBB\xBFglobal\n"), config_language::haproxy);
}

TEST(Language, Unknown) {
  EXPECT_EQ(detect_language(""), config_language::unknown);
  EXPECT_EQ(detect_language("hello world\n# global\n"), config_language::unknown);
  EXPECT_EQ(language_name(config_language::unknown), "unknown");
}

}  // namespace
}  // namespace tandem::tools
