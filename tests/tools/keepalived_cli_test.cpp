// Tests for parsing keepalived 2.2.7's command line: every option in short and long form,
// GNU getopt_long rules (clusters, attached values, optional values, abbreviations,
// permutation, "--"), immediate options and usage errors.
#include "tools/keepalived_cli.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace tandem::tools {
namespace {

keepalived_cli_result parse(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  return parse_keepalived_cli(v);
}

keepalived_options ok(std::initializer_list<std::string_view> args) {
  const keepalived_cli_result r = parse(args);
  EXPECT_TRUE(r.errors_.empty()) << r.errors_.front();
  return r.options_;
}

using strings = std::vector<std::string>;

strings errors_of(std::initializer_list<std::string_view> args) {
  return parse(args).errors_;
}

TEST(KeepalivedCli, Defaults) {
  const keepalived_options o = ok({});
  EXPECT_EQ(o.config_file_, "/etc/keepalived/keepalived.conf");
  EXPECT_FALSE(o.config_file_given_);
  EXPECT_FALSE(o.config_test_);
  EXPECT_FALSE(o.dont_fork_);
  EXPECT_EQ(o.immediate_, keepalived_immediate::none);
  EXPECT_TRUE(o.unexpected_args_.empty());
}

TEST(KeepalivedCli, UseFileInEveryForm) {
  for (const auto& args : std::vector<std::vector<std::string_view>>{{"-f", "k.conf"},
                                                                     {"-fk.conf"},
                                                                     {"--use-file", "k.conf"},
                                                                     {"--use-file=k.conf"},
                                                                     {"--use", "k.conf"},
                                                                     {"-nf", "k.conf"}}) {
    const keepalived_cli_result r = parse_keepalived_cli(args);
    EXPECT_TRUE(r.errors_.empty()) << args[0];
    EXPECT_EQ(r.options_.config_file_, "k.conf") << args[0];
    EXPECT_TRUE(r.options_.config_file_given_);
  }
  EXPECT_EQ(ok({"-f", "a", "-f", "b"}).config_file_, "b");
  // A required value is the next argument even when it looks like an option.
  EXPECT_EQ(ok({"-f", "-n"}).config_file_, "-n");
}

TEST(KeepalivedCli, FlagsShortAndLong) {
  struct flag_case {
    std::string_view short_form;
    std::string_view long_form;
    bool keepalived_options::*member;
  };
  const flag_case cases[] = {
      {"-P", "--vrrp", &keepalived_options::vrrp_only_},
      {"-C", "--check", &keepalived_options::checker_only_},
      {"-B", "--no_bfd", &keepalived_options::no_bfd_},
      {"-l", "--log-console", &keepalived_options::log_console_},
      {"-D", "--log-detail", &keepalived_options::log_detail_},
      {"-G", "--no-syslog", &keepalived_options::no_syslog_},
      {"-X", "--release-vips", &keepalived_options::release_vips_},
      {"-V", "--dont-release-vrrp", &keepalived_options::dont_release_vrrp_},
      {"-I", "--dont-release-ipvs", &keepalived_options::dont_release_ipvs_},
      {"-R", "--dont-respawn", &keepalived_options::dont_respawn_},
      {"-n", "--dont-fork", &keepalived_options::dont_fork_},
      {"-d", "--dump-conf", &keepalived_options::dump_conf_},
      {"-a", "--address-monitoring", &keepalived_options::address_monitoring_},
      {"-x", "--snmp", &keepalived_options::snmp_},
      {"-m", "--core-dump", &keepalived_options::core_dump_},
      {"-e", "--all-config", &keepalived_options::all_config_},
      {"-t", "--config-test", &keepalived_options::config_test_},
  };
  for (const flag_case& c : cases) {
    EXPECT_FALSE(ok({}).*c.member) << c.short_form;
    EXPECT_TRUE(ok({c.short_form}).*c.member) << c.short_form;
    EXPECT_TRUE(ok({c.long_form}).*c.member) << c.long_form;
  }
  EXPECT_TRUE(ok({"--all"}).all_);
}

TEST(KeepalivedCli, ClustersOfShortFlags) {
  const keepalived_options o = ok({"-nlD", "-P"});
  EXPECT_TRUE(o.dont_fork_);
  EXPECT_TRUE(o.log_console_);
  EXPECT_TRUE(o.log_detail_);
  EXPECT_TRUE(o.vrrp_only_);
}

TEST(KeepalivedCli, OptionsWithValues) {
  const keepalived_options o =
      ok({"-p", "/run/k.pid", "-r", "/run/v.pid", "--checkers_pid=/run/c.pid", "-b", "/run/b.pid",
          "-A", "/run/agentx", "-s", "lab1", "-i", "node1", "-S", "local3", "-u", "022"});
  EXPECT_EQ(o.pid_file_, "/run/k.pid");
  EXPECT_EQ(o.vrrp_pid_file_, "/run/v.pid");
  EXPECT_EQ(o.checkers_pid_file_, "/run/c.pid");
  EXPECT_EQ(o.bfd_pid_file_, "/run/b.pid");
  EXPECT_EQ(o.snmp_agent_socket_, "/run/agentx");
  EXPECT_EQ(o.network_namespace_, "lab1");
  EXPECT_EQ(o.config_id_, "node1");
  EXPECT_EQ(o.log_facility_, "local3");
  EXPECT_EQ(o.umask_, 022U);
  EXPECT_EQ(ok({"--pid", "x"}).pid_file_, "x");
  EXPECT_EQ(ok({"--vrrp_pid=y"}).vrrp_pid_file_, "y");
  EXPECT_EQ(ok({"--config-id", "z"}).config_id_, "z");
  EXPECT_EQ(ok({"--namespace=ns"}).network_namespace_, "ns");
  EXPECT_EQ(ok({"--log-facility", "daemon"}).log_facility_, "daemon");
  EXPECT_EQ(ok({"-S", "7"}).log_facility_, "7");
  EXPECT_EQ(ok({"--umask=0x12"}).umask_, 0x12U);
}

TEST(KeepalivedCli, OptionalValuesOnlyWhenAttached) {
  EXPECT_FALSE(ok({"-t"}).config_test_log_file_);
  EXPECT_EQ(ok({"-t/tmp/t.log"}).config_test_log_file_, "/tmp/t.log");
  EXPECT_EQ(ok({"--config-test=/tmp/t.log"}).config_test_log_file_, "/tmp/t.log");
  // Detached, the word is not the option's value: keepalived calls it unexpected.
  const keepalived_options o = ok({"--config-test", "/tmp/t.log"});
  EXPECT_TRUE(o.config_test_);
  EXPECT_FALSE(o.config_test_log_file_);
  EXPECT_EQ(o.unexpected_args_, strings{"/tmp/t.log"});

  EXPECT_EQ(ok({"-M"}).core_dump_pattern_, "core");
  EXPECT_TRUE(ok({"-M"}).core_dump_);
  EXPECT_EQ(ok({"-Mpat"}).core_dump_pattern_, "pat");
  EXPECT_EQ(ok({"--core-dump-pattern=p2"}).core_dump_pattern_, "p2");
}

TEST(KeepalivedCli, AbbreviatedLongOptions) {
  EXPECT_TRUE(ok({"--dump"}).dump_conf_);
  EXPECT_TRUE(ok({"--dont-f"}).dont_fork_);
  EXPECT_TRUE(ok({"--check"}).checker_only_);  // exact match beats --checkers_pid
  EXPECT_TRUE(ok({"--snmp"}).snmp_);           // exact match beats --snmp-agent-socket
  EXPECT_EQ(ok({"--checkers", "c.pid"}).checkers_pid_file_, "c.pid");
  EXPECT_EQ(errors_of({"--d"}),
            strings{"Unknown option --d (ambiguous: --dont-release-vrrp, --dont-release-ipvs, "
                    "--dont-respawn, --dont-fork, --dump-conf)"});
}

TEST(KeepalivedCli, PermutationAndDoubleDash) {
  const keepalived_options o = ok({"extra", "-n", "more", "--", "-t", "-f", "x"});
  EXPECT_TRUE(o.dont_fork_);
  EXPECT_FALSE(o.config_test_);
  EXPECT_FALSE(o.config_file_given_);
  EXPECT_EQ(o.unexpected_args_, (strings{"extra", "more", "-t", "-f", "x"}));
  EXPECT_EQ(ok({"-"}).unexpected_args_, strings{"-"});
}

TEST(KeepalivedCli, UsageErrorsInKeepalivedsWords) {
  EXPECT_EQ(errors_of({"-z"}), strings{"Unknown option -z"});
  EXPECT_EQ(errors_of({"-nz"}), strings{"Unknown option -z"});
  EXPECT_EQ(errors_of({"--bogus"}), strings{"Unknown option --bogus"});
  EXPECT_EQ(errors_of({"-f"}), strings{"Missing parameter for option -f"});
  EXPECT_EQ(errors_of({"--use-file"}), strings{"Missing parameter for option --use-file"});
  EXPECT_EQ(errors_of({"--use"}), strings{"Missing parameter for option --use-file"});
  for (const std::string_view flag : {"-p", "-r", "-c", "-b", "-A", "-s", "-i", "-S", "-u"}) {
    EXPECT_EQ(errors_of({flag}), strings{"Missing parameter for option " + std::string(flag)});
  }
  EXPECT_EQ(errors_of({"--signum"}), strings{"Missing parameter for option --signum"});
  EXPECT_EQ(errors_of({"--vrrp=1"}),
            strings{"Unknown option --vrrp=1 (--vrrp takes no parameter)"});
  EXPECT_EQ(errors_of({"-z", "-y"}), (strings{"Unknown option -z", "Unknown option -y"}));
  ASSERT_EQ(errors_of({"-g"}).size(), 1U);
  EXPECT_NE(errors_of({"--log-file=x"})[0].find("--log-file is not supported"), std::string::npos);
}

TEST(KeepalivedCli, InvalidValuesThatKeepalivedOnlyWarnsAbout) {
  const keepalived_cli_result facility = parse({"-S", "local8"});
  EXPECT_TRUE(facility.errors_.empty());
  EXPECT_EQ(facility.warnings_, strings{"Invalid log facility 'local8'"});
  EXPECT_FALSE(facility.options_.log_facility_);

  for (const std::string_view bad : {"0999", "abc", "01000", ""}) {
    const keepalived_cli_result r = parse({"-u", bad});
    EXPECT_TRUE(r.errors_.empty());
    EXPECT_EQ(r.warnings_, strings{"Invalid --umask option " + std::string(bad)});
    EXPECT_FALSE(r.options_.umask_);
  }
}

TEST(KeepalivedCli, ImmediateOptionsStopParsing) {
  EXPECT_EQ(ok({"-v", "-z"}).immediate_, keepalived_immediate::version);
  EXPECT_EQ(ok({"--version"}).immediate_, keepalived_immediate::version);
  EXPECT_EQ(ok({"--help"}).immediate_, keepalived_immediate::help);
  EXPECT_EQ(ok({"-h"}).immediate_, keepalived_immediate::help);
  EXPECT_EQ(ok({"-nv"}).immediate_, keepalived_immediate::version);
  // Errors seen before the immediate option are kept (keepalived prints them, then obeys).
  const keepalived_cli_result r = parse({"-z", "-v"});
  EXPECT_EQ(r.errors_, strings{"Unknown option -z"});
  EXPECT_EQ(r.options_.immediate_, keepalived_immediate::version);
}

TEST(KeepalivedCli, Signum) {
  const keepalived_options o = ok({"--signum=RELOAD", "-z"});
  EXPECT_EQ(o.immediate_, keepalived_immediate::signum);
  EXPECT_EQ(o.signum_, 1);
  EXPECT_EQ(ok({"--signum", "STOP"}).signum_, 15);
  EXPECT_EQ(keepalived_signum("DATA"), 10);
  EXPECT_EQ(keepalived_signum("STATS"), 12);
  EXPECT_EQ(keepalived_signum("STATS_CLEAR"), 63);
  EXPECT_EQ(keepalived_signum("JSON"), 36);
  EXPECT_FALSE(keepalived_signum("stop"));
  EXPECT_EQ(errors_of({"--signum=FOO"}), strings{"Unknown sigfunc FOO"});
}

TEST(KeepalivedCli, Genhash) {
  const keepalived_cli_result first = parse({"-T", "-s", "host"});
  EXPECT_EQ(first.options_.immediate_, keepalived_immediate::genhash);
  EXPECT_TRUE(first.warnings_.empty());
  EXPECT_EQ(parse({"--genhash"}).options_.immediate_, keepalived_immediate::genhash);

  const keepalived_cli_result later = parse({"-n", "-T"});
  EXPECT_EQ(later.options_.immediate_, keepalived_immediate::genhash);
  EXPECT_EQ(later.warnings_, strings{"`-T` not used as first option, previous options ignored"});
}

TEST(KeepalivedCli, UsageListsEveryOption) {
  const std::string usage = keepalived_usage("keepalived");
  EXPECT_EQ(usage.rfind("Usage: keepalived [OPTION...]\n", 0), 0U);
  for (const std::string_view option : {"--use-file",
                                        "--vrrp",
                                        "--check",
                                        "--no_bfd",
                                        "--all",
                                        "--log-console",
                                        "--log-detail",
                                        "--log-facility",
                                        "--no-syslog",
                                        "--umask",
                                        "--release-vips",
                                        "--dont-release-vrrp",
                                        "--dont-release-ipvs",
                                        "--dont-respawn",
                                        "--dont-fork",
                                        "--dump-conf",
                                        "--pid",
                                        "--vrrp_pid",
                                        "--genhash",
                                        "--checkers_pid",
                                        "--address-monitoring",
                                        "--bfd_pid",
                                        "--snmp",
                                        "--snmp-agent-socket",
                                        "--namespace",
                                        "--core-dump",
                                        "--core-dump-pattern",
                                        "--all-config",
                                        "--config-id",
                                        "--signum",
                                        "--config-test",
                                        "--version",
                                        "--help"}) {
    EXPECT_NE(usage.find(option), std::string::npos) << option;
  }
}

}  // namespace
}  // namespace tandem::tools
