// Parsing keepalived 2.2.7's command line (see keepalived_cli.hpp) with GNU getopt_long's
// rules, reimplemented so parsing is pure and testable: options and other arguments may be
// mixed, "--" ends the options, short options cluster ("-nld"), a required value is the rest
// of the cluster or the next argument ("-ffile", "-f file", "--use-file=x", "--use-file x"),
// an optional value only ever comes attached ("-tLOG", "--config-test=LOG"), and a long name
// may be abbreviated to any unambiguous prefix ("--dump" is --dump-conf).
#include "tools/keepalived_cli.hpp"

#include <csignal>
#include <cstdlib>
#include <string>

namespace tandem::tools {

namespace {

enum class arg_kind { none, required, optional };

enum class option_id {
  use_file,
  vrrp,
  check,
  no_bfd,
  all,
  log_console,
  log_detail,
  log_facility,
  log_file,
  no_syslog,
  umask,
  release_vips,
  dont_release_vrrp,
  dont_release_ipvs,
  dont_respawn,
  dont_fork,
  dump_conf,
  pid,
  vrrp_pid,
  genhash,
  checkers_pid,
  address_monitoring,
  bfd_pid,
  snmp,
  snmp_agent_socket,
  name_space,
  core_dump,
  core_dump_pattern,
  all_config,
  config_id,
  signum,
  config_test,
  version,
  help,
};

struct option_spec {
  std::string_view long_name_;
  char short_name_;  // '\0': long only
  arg_kind arg_;
  option_id id_;
};

// keepalived 2.2.7 as built by Debian 12 (VRRP, LVS, BFD, SNMP, namespaces; no log file).
constexpr option_spec option_table[] = {
    {"use-file", 'f', arg_kind::required, option_id::use_file},
    {"vrrp", 'P', arg_kind::none, option_id::vrrp},
    {"check", 'C', arg_kind::none, option_id::check},
    {"no_bfd", 'B', arg_kind::none, option_id::no_bfd},
    {"all", '\0', arg_kind::none, option_id::all},
    {"log-console", 'l', arg_kind::none, option_id::log_console},
    {"log-detail", 'D', arg_kind::none, option_id::log_detail},
    {"log-facility", 'S', arg_kind::required, option_id::log_facility},
    {"log-file", 'g', arg_kind::optional, option_id::log_file},
    {"no-syslog", 'G', arg_kind::none, option_id::no_syslog},
    {"umask", 'u', arg_kind::required, option_id::umask},
    {"release-vips", 'X', arg_kind::none, option_id::release_vips},
    {"dont-release-vrrp", 'V', arg_kind::none, option_id::dont_release_vrrp},
    {"dont-release-ipvs", 'I', arg_kind::none, option_id::dont_release_ipvs},
    {"dont-respawn", 'R', arg_kind::none, option_id::dont_respawn},
    {"dont-fork", 'n', arg_kind::none, option_id::dont_fork},
    {"dump-conf", 'd', arg_kind::none, option_id::dump_conf},
    {"pid", 'p', arg_kind::required, option_id::pid},
    {"vrrp_pid", 'r', arg_kind::required, option_id::vrrp_pid},
    {"genhash", 'T', arg_kind::none, option_id::genhash},
    {"checkers_pid", 'c', arg_kind::required, option_id::checkers_pid},
    {"address-monitoring", 'a', arg_kind::none, option_id::address_monitoring},
    {"bfd_pid", 'b', arg_kind::required, option_id::bfd_pid},
    {"snmp", 'x', arg_kind::none, option_id::snmp},
    {"snmp-agent-socket", 'A', arg_kind::required, option_id::snmp_agent_socket},
    {"namespace", 's', arg_kind::required, option_id::name_space},
    {"core-dump", 'm', arg_kind::none, option_id::core_dump},
    {"core-dump-pattern", 'M', arg_kind::optional, option_id::core_dump_pattern},
    {"all-config", 'e', arg_kind::none, option_id::all_config},
    {"config-id", 'i', arg_kind::required, option_id::config_id},
    {"signum", '\0', arg_kind::required, option_id::signum},
    {"config-test", 't', arg_kind::optional, option_id::config_test},
    {"version", 'v', arg_kind::none, option_id::version},
    {"help", 'h', arg_kind::none, option_id::help},
};

const option_spec* find_short(char c) {
  for (const auto& spec : option_table) {
    if (spec.short_name_ != '\0' && spec.short_name_ == c) {
      return &spec;
    }
  }
  return nullptr;
}

bool valid_log_facility(std::string_view f) {
  if (f == "user" || f == "daemon") {
    return true;
  }
  if (f.starts_with("local")) {
    f.remove_prefix(5);
  }
  return f.size() == 1 && f[0] >= '0' && f[0] <= '7';
}

class parser {
 public:
  explicit parser(std::span<const std::string_view> args) : args_(args) {}

  keepalived_cli_result run() {
    for (index_ = 0; index_ < args_.size() && !stop_; ++index_) {
      const std::string_view arg = args_[index_];
      if (arg == "--") {
        for (++index_; index_ < args_.size(); ++index_) {
          result_.options_.unexpected_args_.emplace_back(args_[index_]);
        }
        break;
      }
      if (arg.starts_with("--")) {
        parse_long(arg);
      } else if (arg.size() > 1 && arg[0] == '-') {
        parse_short_cluster(arg);
      } else {
        result_.options_.unexpected_args_.emplace_back(arg);
      }
    }
    return std::move(result_);
  }

 private:
  void parse_long(std::string_view arg) {
    const std::string_view body = arg.substr(2);
    const std::size_t eq = body.find('=');
    const std::string_view name = body.substr(0, eq);
    const option_spec* match = nullptr;
    std::size_t prefix_matches = 0;
    std::string candidates;
    for (const auto& spec : option_table) {
      if (spec.long_name_ == name) {
        match = &spec;
        prefix_matches = 1;
        break;
      }
    }
    for (const auto& spec : option_table) {
      if (match) {
        break;
      }
      if (spec.long_name_.starts_with(name)) {
        candidates += candidates.empty() ? "--" : ", --";
        candidates += spec.long_name_;
        ++prefix_matches;
      }
    }
    if (!match && prefix_matches == 1) {
      for (const auto& spec : option_table) {
        if (spec.long_name_.starts_with(name)) {
          match = &spec;
        }
      }
    }
    if (prefix_matches > 1) {
      error("Unknown option " + std::string(arg) + " (ambiguous: " + candidates + ")");
      return;
    }
    if (!match) {
      error("Unknown option " + std::string(arg));
      return;
    }
    const std::string display = "--" + std::string(match->long_name_);
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      if (match->arg_ == arg_kind::none) {
        error("Unknown option " + std::string(arg) + " (" + display + " takes no parameter)");
        return;
      }
      value = std::string(body.substr(eq + 1));
    } else if (match->arg_ == arg_kind::required) {
      if (index_ + 1 >= args_.size()) {
        error("Missing parameter for option " + display);
        return;
      }
      value = std::string(args_[++index_]);
    }
    apply(*match, display, std::move(value));
  }

  void parse_short_cluster(std::string_view arg) {
    for (std::size_t pos = 1; pos < arg.size() && !stop_; ++pos) {
      const char c = arg[pos];
      const option_spec* spec = find_short(c);
      const std::string display = std::string("-") + c;
      if (!spec) {
        error("Unknown option " + display);
        continue;
      }
      const std::string_view rest = arg.substr(pos + 1);
      std::optional<std::string> value;
      if (spec->arg_ != arg_kind::none) {
        if (!rest.empty()) {
          value = std::string(rest);
        } else if (spec->arg_ == arg_kind::required) {
          if (index_ + 1 >= args_.size()) {
            error("Missing parameter for option " + display);
            return;
          }
          value = std::string(args_[++index_]);
        }
        apply(*spec, display, std::move(value));
        return;  // the value used up the rest of the cluster
      }
      apply(*spec, display, std::nullopt);
    }
  }

  void error(std::string message) { result_.errors_.push_back(std::move(message)); }
  void warning(std::string message) { result_.warnings_.push_back(std::move(message)); }

  void apply(const option_spec& spec, const std::string& display,
             std::optional<std::string> value) {
    keepalived_options& o = result_.options_;
    const std::string v = value.value_or("");
    switch (spec.id_) {
      case option_id::use_file:
        o.config_file_ = v;
        o.config_file_given_ = true;
        break;
      case option_id::vrrp:
        o.vrrp_only_ = true;
        break;
      case option_id::check:
        o.checker_only_ = true;
        break;
      case option_id::no_bfd:
        o.no_bfd_ = true;
        break;
      case option_id::all:
        o.all_ = true;
        break;
      case option_id::log_console:
        o.log_console_ = true;
        break;
      case option_id::log_detail:
        o.log_detail_ = true;
        break;
      case option_id::log_facility:
        if (valid_log_facility(v)) {
          o.log_facility_ = v;
        } else {
          warning("Invalid log facility '" + v + "'");
        }
        break;
      case option_id::log_file:
        error("Option " + display +
              " is not supported (keepalived 2.2.7 as built by Debian rejects it too: it needs "
              "configure option --enable-log-file)");
        break;
      case option_id::no_syslog:
        o.no_syslog_ = true;
        break;
      case option_id::umask: {
        char* end = nullptr;
        const unsigned long mask = std::strtoul(v.c_str(), &end, 0);
        if (v.empty() || *end != '\0' || mask > 0777) {
          warning("Invalid --umask option " + v);
        } else {
          o.umask_ = static_cast<unsigned>(mask);
        }
        break;
      }
      case option_id::release_vips:
        o.release_vips_ = true;
        break;
      case option_id::dont_release_vrrp:
        o.dont_release_vrrp_ = true;
        break;
      case option_id::dont_release_ipvs:
        o.dont_release_ipvs_ = true;
        break;
      case option_id::dont_respawn:
        o.dont_respawn_ = true;
        break;
      case option_id::dont_fork:
        o.dont_fork_ = true;
        break;
      case option_id::dump_conf:
        o.dump_conf_ = true;
        break;
      case option_id::pid:
        o.pid_file_ = v;
        break;
      case option_id::vrrp_pid:
        o.vrrp_pid_file_ = v;
        break;
      case option_id::genhash:
        if (index_ != 0 || (args_[0] != "-T" && args_[0] != "--genhash")) {
          warning("`" + display + "` not used as first option, previous options ignored");
        }
        o.immediate_ = keepalived_immediate::genhash;
        stop_ = true;
        break;
      case option_id::checkers_pid:
        o.checkers_pid_file_ = v;
        break;
      case option_id::address_monitoring:
        o.address_monitoring_ = true;
        break;
      case option_id::bfd_pid:
        o.bfd_pid_file_ = v;
        break;
      case option_id::snmp:
        o.snmp_ = true;
        break;
      case option_id::snmp_agent_socket:
        o.snmp_agent_socket_ = v;
        break;
      case option_id::name_space:
        o.network_namespace_ = v;
        break;
      case option_id::core_dump:
        o.core_dump_ = true;
        break;
      case option_id::core_dump_pattern:
        o.core_dump_ = true;
        o.core_dump_pattern_ = value.value_or("core");
        break;
      case option_id::all_config:
        o.all_config_ = true;
        break;
      case option_id::config_id:
        o.config_id_ = v;
        break;
      case option_id::signum:
        if (const auto number = keepalived_signum(v)) {
          o.immediate_ = keepalived_immediate::signum;
          o.signum_ = *number;
        } else {
          error("Unknown sigfunc " + v);
        }
        stop_ = true;
        break;
      case option_id::config_test:
        o.config_test_ = true;
        if (value) {
          o.config_test_log_file_ = std::move(value);
        }
        break;
      case option_id::version:
        o.immediate_ = keepalived_immediate::version;
        stop_ = true;
        break;
      case option_id::help:
        o.immediate_ = keepalived_immediate::help;
        stop_ = true;
        break;
    }
  }

  std::span<const std::string_view> args_;
  std::size_t index_ = 0;
  bool stop_ = false;
  keepalived_cli_result result_;
};

}  // namespace

keepalived_cli_result parse_keepalived_cli(std::span<const std::string_view> args) {
  return parser(args).run();
}

std::optional<int> keepalived_signum(std::string_view function) {
  // keepalived's signal assignments; on Linux/glibc JSON is 36 and STATS_CLEAR 63.
  if (function == "STOP")
    return SIGTERM;
  if (function == "RELOAD")
    return SIGHUP;
  if (function == "DATA")
    return SIGUSR1;
  if (function == "STATS")
    return SIGUSR2;
  if (function == "STATS_CLEAR")
    return SIGRTMAX - 1;
  if (function == "JSON")
    return SIGRTMIN + 2;
  return std::nullopt;
}

std::string keepalived_usage(std::string_view program) {
  return "Usage: " + std::string(program) +
         " [OPTION...]\n"
         "  -f, --use-file=FILE          Use the specified configuration file\n"
         "                                default '/etc/keepalived/keepalived.conf'\n"
         "  -P, --vrrp                   Only run with VRRP subsystem\n"
         "  -C, --check                  Only run with Health-checker subsystem\n"
         "  -B, --no_bfd                 Don't run BFD subsystem\n"
         "      --all                    Force all child processes to run, even if have no "
         "configuration\n"
         "  -l, --log-console            Log messages to local console\n"
         "  -D, --log-detail             Detailed log messages\n"
         "  -S, --log-facility=([0-7]|local[0-7]|user|daemon)\n"
         "                               Set syslog facility to LOG_LOCAL[0-7], user or daemon "
         "(default)\n"
         "  -G, --no-syslog              Don't log via syslog\n"
         "  -u, --umask=MASK             umask for file creation (in numeric form)\n"
         "  -X, --release-vips           Drop VIP on transition from signal.\n"
         "  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop\n"
         "  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop\n"
         "  -R, --dont-respawn           Don't respawn child processes\n"
         "  -n, --dont-fork              Don't fork the daemon process\n"
         "  -d, --dump-conf              Dump the configuration data\n"
         "  -p, --pid=FILE               Use specified pidfile for parent process\n"
         "  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process\n"
         "  -T, --genhash                Enter into genhash utility mode (this should be the "
         "first option used).\n"
         "  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process\n"
         "  -a, --address-monitoring     Report all address additions/deletions notified via "
         "netlink\n"
         "  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process\n"
         "  -x, --snmp                   Enable SNMP subsystem\n"
         "  -A, --snmp-agent-socket=FILE Use the specified socket for master agent\n"
         "  -s, --namespace=NAME         Run in network namespace NAME (overrides config)\n"
         "  -m, --core-dump              Produce core dump if terminate abnormally\n"
         "  -M, --core-dump-pattern=PATN Also set /proc/sys/kernel/core_pattern to PATN "
         "(default 'core')\n"
         "  -e, --all-config             Error if any configuration file missing (same as "
         "includet)\n"
         "  -i, --config-id id           Skip any configuration lines beginning '@' that don't "
         "match id\n"
         "                                or any lines beginning @^ that do match.\n"
         "                                The config-id defaults to the node name if option not "
         "used\n"
         "      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, "
         "STATS_CLEAR, JSON\n"
         "  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to\n"
         "                                stderr by default\n"
         "  -v, --version                Display the version number\n"
         "  -h, --help                   Display this help message\n";
}

}  // namespace tandem::tools
