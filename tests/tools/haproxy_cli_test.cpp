// Tests for parsing HAProxy 2.6's command line: every flag, repeatable options, the "--"
// form, HAProxy's prefix rules, and usage errors.
#include "tools/haproxy_cli.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace tandem::tools {
namespace {

haproxy_cli_result parse(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  return parse_haproxy_cli(v);
}

haproxy_options ok(std::initializer_list<std::string_view> args) {
  const haproxy_cli_result r = parse(args);
  EXPECT_FALSE(r.error_) << *r.error_;
  return r.options_;
}

std::string error_of(std::initializer_list<std::string_view> args) {
  const haproxy_cli_result r = parse(args);
  EXPECT_TRUE(r.error_);
  return r.error_.value_or("");
}

using strings = std::vector<std::string>;

TEST(HaproxyCli, Defaults) {
  const haproxy_options o = ok({});
  EXPECT_EQ(o.version_level_, 0);
  EXPECT_FALSE(o.help_);
  EXPECT_TRUE(o.config_paths_.empty());
  EXPECT_FALSE(o.check_);
  EXPECT_FALSE(o.daemon_);
  EXPECT_FALSE(o.debug_);
  EXPECT_EQ(o.old_pids_signal_, haproxy_old_pids_signal::none);
}

TEST(HaproxyCli, ConfigFilesRepeatableAndAfterDoubleDash) {
  const haproxy_options o = ok({"-f", "a.cfg", "-c", "-f", "conf.d", "--", "b.cfg", "-c", "-x"});
  EXPECT_EQ(o.config_paths_, (strings{"a.cfg", "conf.d", "b.cfg", "-c", "-x"}));
  EXPECT_TRUE(o.check_);
}

TEST(HaproxyCli, ValueIsAlwaysTheNextArgument) {
  // As in HAProxy: "-fX" is -f with the next argument, not -f X.
  EXPECT_EQ(ok({"-fignored", "real.cfg"}).config_paths_, strings{"real.cfg"});
  EXPECT_EQ(ok({"-f", "-c"}).config_paths_, strings{"-c"});
}

TEST(HaproxyCli, BooleanFlags) {
  const haproxy_options o = ok({"-c", "-D", "-db", "-W", "-q", "-V", "-dW", "-dD", "-dL", "-de",
                                "-dp", "-dS", "-dG", "-dR", "-dr", "-dV"});
  EXPECT_TRUE(o.check_);
  EXPECT_TRUE(o.daemon_);
  EXPECT_TRUE(o.foreground_);
  EXPECT_TRUE(o.master_worker_);
  EXPECT_FALSE(o.systemd_notify_);
  EXPECT_TRUE(o.quiet_);
  EXPECT_TRUE(o.verbose_);
  EXPECT_TRUE(o.zero_warning_);
  EXPECT_TRUE(o.diagnostic_mode_);
  EXPECT_TRUE(o.dump_libs_);
  EXPECT_TRUE(o.disable_epoll_);
  EXPECT_TRUE(o.disable_poll_);
  EXPECT_TRUE(o.disable_splice_);
  EXPECT_TRUE(o.disable_getaddrinfo_);
  EXPECT_TRUE(o.disable_reuseport_);
  EXPECT_TRUE(o.resolve_dont_fail_);
  EXPECT_TRUE(o.no_server_ssl_verify_);
  EXPECT_FALSE(o.debug_);
}

TEST(HaproxyCli, EachFlagAlone) {
  EXPECT_TRUE(ok({"-d"}).debug_);
  EXPECT_FALSE(ok({"-d"}).foreground_);
  EXPECT_TRUE(ok({"-db"}).foreground_);
  EXPECT_FALSE(ok({"-db"}).debug_);
  EXPECT_TRUE(ok({"-D"}).daemon_);
  EXPECT_TRUE(ok({"-q"}).quiet_);
  EXPECT_TRUE(ok({"-V"}).verbose_);
  EXPECT_TRUE(ok({"-dW"}).zero_warning_);
  EXPECT_FALSE(ok({"-dW"}).master_worker_);
}

TEST(HaproxyCli, SystemdMasterWorker) {
  const haproxy_options o = ok({"-Ws"});
  EXPECT_TRUE(o.master_worker_);
  EXPECT_TRUE(o.systemd_notify_);
  EXPECT_TRUE(o.foreground_);
}

TEST(HaproxyCli, FlagsMatchOnTheirFirstCharactersLikeHaproxy) {
  EXPECT_TRUE(ok({"-dbx"}).foreground_);
  EXPECT_TRUE(ok({"-cfoo"}).check_);
  EXPECT_TRUE(ok({"-qq"}).quiet_);
  // -d followed by a letter HAProxy 2.6 on Linux does not know is plain debug mode.
  for (const std::string_view flag : {"-dk", "-dv", "-dC", "-dF", "-dX"}) {
    const haproxy_options o = ok({flag});
    EXPECT_TRUE(o.debug_) << flag;
  }
}

TEST(HaproxyCli, MemoryDebugAndKeywordDumpKeepTheirSuffix) {
  EXPECT_EQ(ok({"-dM"}).memory_debug_, "");
  EXPECT_EQ(ok({"-dM0x55,no-cache"}).memory_debug_, "0x55,no-cache");
  EXPECT_FALSE(ok({"-d"}).memory_debug_);
  EXPECT_EQ(ok({"-dKacl,cfg"}).dump_keywords_, "acl,cfg");
}

TEST(HaproxyCli, OptionsWithValues) {
  const haproxy_options o =
      ok({"-p", "/run/haproxy.pid", "-C", "/etc/haproxy", "-L", "peer1", "-n", "4096", "-N", "100",
          "-m", "512", "-x", "/run/old.sock", "-cc", "version_atleast(2.4)"});
  EXPECT_EQ(o.pid_file_, "/run/haproxy.pid");
  EXPECT_EQ(o.change_dir_, "/etc/haproxy");
  EXPECT_EQ(o.local_peer_, "peer1");
  EXPECT_EQ(o.max_conn_, 4096);
  EXPECT_EQ(o.max_proxy_conn_, 100);
  EXPECT_EQ(o.memory_limit_mb_, 512);
  EXPECT_EQ(o.old_unix_socket_, "/run/old.sock");
  EXPECT_EQ(o.check_condition_, "version_atleast(2.4)");
  EXPECT_FALSE(o.check_);
}

TEST(HaproxyCli, NumbersAreParsedLikeAtol) {
  EXPECT_EQ(ok({"-n", "12abc"}).max_conn_, 12);
  EXPECT_EQ(ok({"-n", "abc"}).max_conn_, 0);
}

TEST(HaproxyCli, LastValueWins) {
  EXPECT_EQ(ok({"-p", "a", "-p", "b"}).pid_file_, "b");
  const haproxy_cli_result r = parse({"-x", "a", "-x", "b"});
  EXPECT_FALSE(r.error_);
  EXPECT_EQ(r.options_.old_unix_socket_, "b");
  EXPECT_EQ(r.warnings_, strings{"-x option already set, overwriting the value"});
}

TEST(HaproxyCli, MasterCliIsRepeatable) {
  EXPECT_EQ(ok({"-S", "/run/m.sock,level,admin", "-S", "ipv4@127.0.0.1:9999"}).master_cli_,
            (strings{"/run/m.sock,level,admin", "ipv4@127.0.0.1:9999"}));
}

TEST(HaproxyCli, OldPidsTakeEveryFollowingNonOption) {
  const haproxy_options o = ok({"-f", "a.cfg", "-sf", "101", "102", " 103 ", "-D"});
  EXPECT_EQ(o.old_pids_signal_, haproxy_old_pids_signal::finish);
  EXPECT_EQ(o.old_pids_, (std::vector<long>{101, 102, 103}));
  EXPECT_TRUE(o.daemon_);

  const haproxy_options t = ok({"-st", "7", "-sf", "8"});
  EXPECT_EQ(t.old_pids_signal_, haproxy_old_pids_signal::finish);  // the last one
  EXPECT_EQ(t.old_pids_, (std::vector<long>{7, 8}));

  EXPECT_EQ(ok({"-st", "9"}).old_pids_signal_, haproxy_old_pids_signal::terminate);
  // `-sf $(cat missing.pid)` expands to nothing: allowed, as in HAProxy.
  EXPECT_TRUE(ok({"-sf"}).old_pids_.empty());
}

TEST(HaproxyCli, BadOldPids) {
  EXPECT_EQ(error_of({"-sf", "abc"}), "-sf option: some bytes unconsumed in PID list {abc}");
  EXPECT_EQ(error_of({"-st", "12x"}), "-st option: some bytes unconsumed in PID list {x}");
  EXPECT_NE(error_of({"-sf", "0"}).find("must be a positive number"), std::string::npos);
  EXPECT_NE(error_of({"-sf", "99999999999999999999"}).find("failed to parse"), std::string::npos);
}

TEST(HaproxyCli, VersionStopsParsing) {
  EXPECT_EQ(ok({"-v"}).version_level_, 1);
  EXPECT_EQ(ok({"-vv"}).version_level_, 2);
  EXPECT_EQ(ok({"-vvv"}).version_level_, 2);
  EXPECT_EQ(ok({"-version"}).version_level_, 1);
  // HAProxy exits while parsing: later mistakes are never seen.
  EXPECT_EQ(ok({"-v", "--bogus"}).version_level_, 1);
  EXPECT_TRUE(ok({"-h", "--bogus"}).help_);
  EXPECT_TRUE(ok({"--help"}).help_);
}

TEST(HaproxyCli, UsageErrorsNameTheFlag) {
  EXPECT_EQ(error_of({"-z"}), "unknown option '-z'");
  EXPECT_EQ(error_of({"-z", "value"}), "unknown option '-z'");
  EXPECT_EQ(error_of({"--bogus"}), "unknown option '--bogus'");
  EXPECT_EQ(error_of({"-"}), "unknown option '-'");
  EXPECT_EQ(error_of({"-s"}), "unknown option '-s'");
  for (const std::string_view flag : {"-f", "-p", "-C", "-L", "-n", "-N", "-m"}) {
    EXPECT_EQ(error_of({"-c", flag}), "option '" + std::string(flag) + "' requires an argument");
  }
  EXPECT_NE(error_of({"-cc"}).find("-cc requires a condition"), std::string::npos);
  EXPECT_NE(error_of({"-x"}).find("-x requires"), std::string::npos);
  EXPECT_NE(error_of({"-S"}).find("-S requires"), std::string::npos);
  EXPECT_NE(error_of({"haproxy.cfg"}).find("unexpected argument 'haproxy.cfg'"), std::string::npos);
}

TEST(HaproxyCli, UsageNamesTheProgram) {
  const std::string usage = haproxy_usage("tandem haproxy");
  EXPECT_EQ(usage.rfind("Usage : tandem haproxy [-f <cfgfile|cfgdir>]*", 0), 0U);
  EXPECT_NE(usage.find("-sf/-st [pid ]* finishes/terminates old pids."), std::string::npos);
}

}  // namespace
}  // namespace tandem::tools
