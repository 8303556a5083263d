// Tests the pure parts of a daemon's self-restriction: name and number resolution, HAProxy's
// time values and its file-descriptor need, and that a limit already high enough is kept.
#include "runtime/core/process_privileges.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace tandem::runtime {
namespace {

TEST(process_privileges, root_resolves_by_name_and_numbers_pass_through) {
  identity id;
  std::string error;
  ASSERT_TRUE(resolve_identity("root", "root", id, error)) << error;
  EXPECT_EQ(id.uid_, 0u);
  EXPECT_EQ(id.gid_, 0u);
  identity numeric;
  ASSERT_TRUE(resolve_identity("4242", "4343", numeric, error)) << error;
  EXPECT_EQ(numeric.uid_, 4242u);
  EXPECT_EQ(numeric.gid_, 4343u);
}

TEST(process_privileges, nothing_asked_changes_nothing) {
  identity id;
  std::string error;
  ASSERT_TRUE(resolve_identity("", "", id, error));
  EXPECT_FALSE(id.uid_);
  EXPECT_FALSE(id.gid_);
  EXPECT_TRUE(drop_privileges(id, error));
}

TEST(process_privileges, unknown_names_are_haproxys_errors) {
  identity id;
  std::string error;
  EXPECT_FALSE(resolve_identity("no-such-user-anywhere", "", id, error));
  EXPECT_EQ(error, "cannot find user id for 'no-such-user-anywhere' (0:Success)");
  EXPECT_FALSE(resolve_identity("", "no-such-group-anywhere", id, error));
  EXPECT_EQ(error, "cannot find group id for 'no-such-group-anywhere' (0:Success)");
}

TEST(process_privileges, time_values_in_haproxys_units) {
  EXPECT_EQ(parse_milliseconds("500"), 500);
  EXPECT_EQ(parse_milliseconds("500ms"), 500);
  EXPECT_EQ(parse_milliseconds("3s"), 3000);
  EXPECT_EQ(parse_milliseconds("2m"), 120'000);
  EXPECT_EQ(parse_milliseconds("1h"), 3'600'000);
  EXPECT_EQ(parse_milliseconds("1d"), 86'400'000);
  EXPECT_EQ(parse_milliseconds("1500us"), 1);
  EXPECT_FALSE(parse_milliseconds("s"));
  EXPECT_FALSE(parse_milliseconds("3x"));
}

TEST(process_privileges, fd_need_matches_haproxys_for_maxconn_100) {
  // HAProxy 2.6: maxconn 100, one listener and a stats socket -> Maxsock 228.
  EXPECT_EQ(fd_need(100, 2), 228u);
}

TEST(process_privileges, a_limit_already_high_enough_is_kept) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  std::string error;
  EXPECT_TRUE(raise_fd_limit(16, error)) << error;
  rlimit after{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &after), 0);
  EXPECT_EQ(after.rlim_cur, before.rlim_cur);
}

}  // namespace
}  // namespace tandem::runtime
