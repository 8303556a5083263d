// The command line of keepalived 2.2.7 as Debian builds it (the options `keepalived -h`
// lists, GNU getopt_long rules), parsed into a plain struct. Parsing only: main.cpp decides
// what runs.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::tools {

// Options that end the command line on the spot, as keepalived exits while parsing.
enum class keepalived_immediate {
  none,
  version,  // -v, --version
  help,     // -h, --help
  signum,   // --signum=SIGFUNC: print the signal number
  genhash,  // -T, --genhash: keepalived's genhash utility mode
};

inline constexpr std::string_view keepalived_default_config = "/etc/keepalived/keepalived.conf";

struct keepalived_options {
  keepalived_immediate immediate_ = keepalived_immediate::none;
  int signum_ = 0;  // the answer to --signum, when immediate_ == signum

  std::string config_file_{keepalived_default_config};  // -f, --use-file (last one wins)
  bool config_file_given_ = false;
  bool config_test_ = false;  // -t, --config-test[=LOG_FILE]
  std::optional<std::string> config_test_log_file_;
  bool vrrp_only_ = false;                    // -P, --vrrp
  bool checker_only_ = false;                 // -C, --check
  bool no_bfd_ = false;                       // -B, --no_bfd
  bool all_ = false;                          // --all
  bool log_console_ = false;                  // -l, --log-console
  bool log_detail_ = false;                   // -D, --log-detail
  std::optional<std::string> log_facility_;   // -S, --log-facility (validated: 0-7, local0-7,
                                              // user, daemon; an invalid one is a warning)
  bool no_syslog_ = false;                    // -G, --no-syslog
  std::optional<unsigned> umask_;             // -u, --umask (numeric, C base rules: 022 is octal)
  bool release_vips_ = false;                 // -X, --release-vips
  bool dont_release_vrrp_ = false;            // -V, --dont-release-vrrp
  bool dont_release_ipvs_ = false;            // -I, --dont-release-ipvs
  bool dont_respawn_ = false;                 // -R, --dont-respawn
  bool dont_fork_ = false;                    // -n, --dont-fork
  bool dump_conf_ = false;                    // -d, --dump-conf
  std::optional<std::string> pid_file_;       // -p, --pid
  std::optional<std::string> vrrp_pid_file_;  // -r, --vrrp_pid
  std::optional<std::string> checkers_pid_file_;  // -c, --checkers_pid
  std::optional<std::string> bfd_pid_file_;       // -b, --bfd_pid
  bool address_monitoring_ = false;               // -a, --address-monitoring
  bool snmp_ = false;                             // -x, --snmp
  std::optional<std::string> snmp_agent_socket_;  // -A, --snmp-agent-socket
  std::optional<std::string> network_namespace_;  // -s, --namespace
  bool core_dump_ = false;                        // -m, --core-dump
  std::optional<std::string> core_dump_pattern_;  // -M, --core-dump-pattern[=PATN] ("core")
  bool all_config_ = false;                       // -e, --all-config
  std::optional<std::string> config_id_;          // -i, --config-id

  // Non-option arguments: keepalived prints "Unexpected argument(s)" and carries on.
  std::vector<std::string> unexpected_args_;
};

struct keepalived_cli_result {
  keepalived_options options_;
  // Usage errors in keepalived's words ("Unknown option -z", "Missing parameter for option
  // -f"); any of them means exit 1, unless an immediate option came after them.
  std::vector<std::string> errors_;
  std::vector<std::string> warnings_;  // e.g. "Invalid log facility 'local8'"
};

// `args` excludes the program name.
keepalived_cli_result parse_keepalived_cli(std::span<const std::string_view> args);

// keepalived's --help text with `program` as the command.
std::string keepalived_usage(std::string_view program);

// keepalived's --signum table: STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON; nullopt otherwise.
std::optional<int> keepalived_signum(std::string_view function);

}  // namespace tandem::tools
