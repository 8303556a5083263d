// Tests for the `tandem check` and `tandem migrate` command lines.
#include "tools/check_cli.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace tandem::tools {
namespace {

check_cli_result check(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  return parse_check_cli(v);
}

migrate_cli_result migrate(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  return parse_migrate_cli(v);
}

using strings = std::vector<std::string>;

TEST(CheckCli, FilesAndDefaults) {
  const check_cli_result r = check({"a.cfg", "b.conf"});
  ASSERT_FALSE(r.error_);
  EXPECT_EQ(r.options_.files_, (strings{"a.cfg", "b.conf"}));
  EXPECT_EQ(r.options_.format_, check_format::text);
  EXPECT_FALSE(r.options_.strict_);
}

TEST(CheckCli, FormatAndStrict) {
  EXPECT_EQ(check({"--format", "json", "a"}).options_.format_, check_format::json);
  EXPECT_EQ(check({"--format=json", "a"}).options_.format_, check_format::json);
  EXPECT_EQ(check({"--format=json", "--format", "text", "a"}).options_.format_, check_format::text);
  EXPECT_TRUE(check({"a", "--strict"}).options_.strict_);
  EXPECT_TRUE(check({"--cluster", "a", "b"}).options_.cluster_);
  EXPECT_FALSE(check({"a", "b"}).options_.cluster_);
  EXPECT_EQ(check({"--", "--cluster"}).options_.files_, strings{"--cluster"});
  EXPECT_EQ(check({"--", "--strict"}).options_.files_, strings{"--strict"});
  EXPECT_TRUE(check({"-h"}).options_.help_);
}

TEST(CheckCli, Errors) {
  EXPECT_EQ(check({}).error_, "no configuration file given");
  EXPECT_EQ(check({"--strict"}).error_, "no configuration file given");
  EXPECT_EQ(check({"--format", "xml", "a"}).error_,
            "invalid --format 'xml': expected text or json");
  EXPECT_EQ(check({"a", "--format"}).error_,
            "option '--format' requires an argument: text or json");
  EXPECT_EQ(check({"-q", "a"}).error_, "unknown option '-q'");
}

TEST(MigrateCli, ExactlyOneFile) {
  EXPECT_EQ(migrate({"a.cfg"}).options_.file_, "a.cfg");
  EXPECT_FALSE(migrate({"a.cfg"}).error_);
  EXPECT_EQ(migrate({}).error_, "no configuration file given");
  EXPECT_EQ(migrate({"a", "b"}).error_, "exactly one configuration file expected, got 2");
  EXPECT_EQ(migrate({"--x", "a"}).error_, "unknown option '--x'");
  EXPECT_EQ(migrate({"--", "-a"}).options_.file_, "-a");
  EXPECT_TRUE(migrate({"--help"}).options_.help_);
}

}  // namespace
}  // namespace tandem::tools
