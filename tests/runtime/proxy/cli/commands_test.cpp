// The stats socket's interpreter without a socket: framing, levels, replies and the admin
// changes' log lines, as measured on HAProxy 2.6.12 (compat-tests/proxy/test_stats_socket.py
// compares the same through real sockets against Debian's haproxy).
#include "runtime/proxy/cli/commands.hpp"

#include <gtest/gtest.h>

#include "runtime/proxy/cli/usage.hpp"

namespace tandem::runtime::proxy::cli {
namespace {

struct lab {
  proxy_set set_;
  std::vector<std::string> log_;
  environment env_;

  lab() {
    auto be = std::make_unique<backend>();
    be->name_ = "be";
    be->uid_ = 3;
    be->mode_ = mode::http;
    be->algorithm_ = "roundrobin";
    for (int i = 1; i <= 3; ++i) {
      auto s = std::make_unique<server>();
      s->name_ = "s" + std::to_string(i);
      s->puid_ = static_cast<std::uint32_t>(i);
      s->id_ = static_cast<std::uint32_t>(i - 1);
      s->backup_ = i == 3;
      be->servers_.push_back(std::move(s));
    }
    set_.backends_.push_back(std::move(be));
    env_.proxies_ = &set_;
    env_.log_ = [this](std::string_view level, std::string_view m) {
      log_.push_back("[" + std::string(level) + "] " + std::string(m));
    };
  }
  std::string ask(access_level level, std::string_view input) {
    session s(env_, level);
    std::string out = s.receive(input);
    out += s.end_of_input();
    return out;
  }
};

TEST(cli_session, framing) {
  lab l;
  EXPECT_EQ(l.ask(access_level::admin, "show cli level;show cli level\n"), "admin\n\nadmin\n\n");
  EXPECT_EQ(l.ask(access_level::admin, "show cli level\r\n"), "admin\n\n");
  EXPECT_EQ(l.ask(access_level::admin, "show cli level"), "admin\n\n");
  EXPECT_EQ(l.ask(access_level::admin, "quit\nshow cli level\n"), "");
  EXPECT_EQ(l.ask(access_level::admin, "prompt\nshow cli level\nquit\n"), "\n> admin\n\n> ");
  session s(l.env_, access_level::user);
  EXPECT_EQ(s.receive("show cli "), "");
  EXPECT_FALSE(s.finished());
  EXPECT_EQ(s.receive("level\n"), "user\n\n");
  EXPECT_TRUE(s.finished());
}

TEST(cli_session, levels) {
  lab l;
  EXPECT_EQ(l.ask(access_level::user, "set server be/s1 state maint\n"), "Permission denied\n\n");
  EXPECT_EQ(l.ask(access_level::operator_, "disable server be/s1\n"), "Permission denied\n\n");
  EXPECT_EQ(l.ask(access_level::user, "show sess\n"), "Permission denied\n\n");
  EXPECT_EQ(l.ask(access_level::user, "operator\n"), "Permission denied\n\n");
  EXPECT_EQ(l.ask(access_level::admin, "user;show cli level\n"), "\nuser\n\n");
  EXPECT_FALSE(l.set_.backends_[0]->servers_[0]->maintenance_.load());
  EXPECT_TRUE(l.log_.empty());
}

TEST(cli_session, admin_changes_log_as_haproxy) {
  lab l;
  EXPECT_EQ(l.ask(access_level::admin, "set server be/s2 state maint\n"), "\n");
  EXPECT_EQ(l.ask(access_level::admin, "set server be/s2 state drain\n"), "\n");
  EXPECT_EQ(l.ask(access_level::admin, "set server be/s2 state ready\n"), "\n");
  EXPECT_EQ(l.ask(access_level::admin, "set server be/s2 state ready\n"), "\n");
  EXPECT_EQ(l.ask(access_level::admin, "set server be/s3 state drain\n"), "\n");
  const std::vector<std::string> want = {
      "[WARNING] Server be/s2 is going DOWN for maintenance. 1 active and 1 backup servers "
      "left. 0 sessions active, 0 requeued, 0 remaining in queue.",
      "[WARNING] Server be/s2 is UP/DRAIN (leaving forced maintenance).",
      "[WARNING] Server be/s2 remains in forced drain mode.",
      "[WARNING] Server be/s2 is UP (leaving forced drain).",
      "[WARNING] Backup Server be/s3 enters drain state. 2 active and 0 backup servers online. 0 "
      "sessions requeued, 0 total in queue.",
  };
  EXPECT_EQ(l.log_, want);
  l.log_.clear();
  for (const char* name : {"s1", "s2"}) {
    EXPECT_EQ(l.ask(access_level::admin, std::string("disable server be/") + name + "\n"), "\n");
  }
  ASSERT_EQ(l.log_.size(), 3u);
  EXPECT_EQ(l.log_[2], "[ALERT] backend 'be' has no server available!");
}

TEST(cli_session, weights) {
  lab l;
  EXPECT_EQ(l.ask(access_level::admin, "set weight be/s1 300\n"),
            "Absolute weight can only be between 0 and 256 inclusive.\n\n");
  EXPECT_EQ(l.ask(access_level::admin, "set weight be/s1 abc\n"),
            "Empty weight string empty or preceded by garbage\n");
  EXPECT_EQ(l.ask(access_level::admin, "set weight be/s1 12x\n"),
            "Trailing garbage in weight string\n");
  EXPECT_EQ(l.ask(access_level::admin, "set weight be/s1 200%\n"), "\n");
  EXPECT_EQ(l.ask(access_level::user, "get weight be/s1\n"), "2 (initial 1)\n\n");
  EXPECT_EQ(l.ask(access_level::user, "get weight be/nope\n"), "No such server.\n\n");
  EXPECT_EQ(l.ask(access_level::user, "get weight nope/s1\n"), "No such backend.\n\n");
  EXPECT_EQ(l.ask(access_level::user, "get weight #3/#2\n"), "1 (initial 1)\n\n");
  l.set_.backends_[0]->algorithm_ = "static-rr";
  EXPECT_EQ(l.ask(access_level::admin, "set weight be/s1 7\n"),
            "Backend is using a static LB algorithm and only accepts weights '0%' and "
            "'100%'.\n\n");
}

TEST(cli_session, show_stat_and_servers_state) {
  lab l;
  const std::string csv = l.ask(access_level::admin, "show stat\n");
  EXPECT_EQ(csv.substr(0, 16), "# pxname,svname,");
  EXPECT_NE(csv.find("\nbe,s1,"), std::string::npos);
  EXPECT_NE(csv.find("\nbe,BACKEND,"), std::string::npos);
  EXPECT_EQ(l.ask(access_level::admin, "show stat nope 1 1\n"), "No such proxy.\n\n");
  const std::string typed = l.ask(access_level::admin, "show stat 3 4 2 typed\n");
  EXPECT_EQ(typed.substr(0, 28), "S.3.2.0.pxname.1:KNS:str:be\n");
  const std::string state = l.ask(access_level::user, "show servers state be\n");
  EXPECT_EQ(state.substr(0, 2), "1\n");
  EXPECT_NE(state.find("\n3 be 3 s3 - 2 0 1 1 "), std::string::npos) << state;
  EXPECT_EQ(l.ask(access_level::user, "show servers state nope\n"), "Can't find backend.\n\n");
}

TEST(cli_usage, unknown_and_help) {
  // Measured: "foo" proposes these five.
  const std::string foo = usage_message({"foo"});
  EXPECT_EQ(foo.substr(0, 72),
            "Unknown command, but maybe one of the following ones is a better match:\n");
  for (const char* line : {"\n  add acl ", "\n  show fd ", "\n  show info ", "\n  trace ",
                           "\n  user "}) {
    EXPECT_NE(foo.find(line), std::string::npos) << line;
  }
  const std::string help = usage_message({"help", "show", "cli"});
  EXPECT_EQ(help,
            "The following commands are valid at this level:\n"
            "  show cli level                          : display the level of the current CLI "
            "session\n"
            "  show cli sockets                        : dump list of cli sockets\n"
            "  help [<command>]                        : list matching or all commands\n"
            "  prompt                                  : toggle interactive mode with prompt\n"
            "  quit                                    : disconnect\n");
  EXPECT_EQ(usage_message({}).substr(0, 66),
            "Unknown command. Please enter one of the following commands only:\n");
}

}  // namespace
}  // namespace tandem::runtime::proxy::cli
