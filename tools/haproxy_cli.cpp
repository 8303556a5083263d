// Parsing HAProxy 2.6's command line (see haproxy_cli.hpp). The rules mirror haproxy.c's
// argument loop as built for Linux by Debian: a flag is recognised by its first one or two
// characters ("-dbx" is -db), options taking a value always take the NEXT argument ("-fX"
// does not mean -f X), -sf/-st take every following argument that does not start with '-',
// and everything after "--" is a configuration file.
#include "tools/haproxy_cli.hpp"
#include "tools/text.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tandem::tools {

namespace {

// HAProxy parses -n/-N/-m with atol(): leading digits, anything else ignored.
long haproxy_atol(std::string_view text) {
  return std::strtol(std::string(text).c_str(), nullptr, 10);
}

}  // namespace

haproxy_cli_result parse_haproxy_cli(std::span<const std::string_view> args) {
  haproxy_cli_result result;
  haproxy_options& o = result.options_;
  const auto fail = [&](std::string message) {
    result.error_ = std::move(message);
    return result;
  };

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg.empty() || arg[0] != '-') {
      return fail("unexpected argument " + single_quoted(arg) +
                  " (configuration files are given with -f FILE, or after --)");
    }
    const std::string_view flag = arg.substr(1);
    const char f0 = flag.empty() ? '\0' : flag[0];
    const char f1 = flag.size() > 1 ? flag[1] : '\0';
    const bool has_next = i + 1 < args.size();

    if (f0 == 'v') {
      o.version_level_ = f1 == 'v' ? 2 : 1;
      return result;
    }
    if (arg == "-h" || arg == "--help") {
      o.help_ = true;
      return result;
    }
    if (f0 == 'd' && f1 == 'e') {
      o.disable_epoll_ = true;
    } else if (f0 == 'd' && f1 == 'p') {
      o.disable_poll_ = true;
    } else if (f0 == 'd' && f1 == 'S') {
      o.disable_splice_ = true;
    } else if (f0 == 'd' && f1 == 'G') {
      o.disable_getaddrinfo_ = true;
    } else if (f0 == 'd' && f1 == 'R') {
      o.disable_reuseport_ = true;
    } else if (f0 == 'd' && f1 == 'V') {
      o.no_server_ssl_verify_ = true;
    } else if (f0 == 'V') {
      o.verbose_ = true;
    } else if (f0 == 'd' && f1 == 'b') {
      o.foreground_ = true;
    } else if (f0 == 'd' && f1 == 'D') {
      o.diagnostic_mode_ = true;
    } else if (f0 == 'd' && f1 == 'W') {
      o.zero_warning_ = true;
    } else if (f0 == 'd' && f1 == 'M') {
      o.memory_debug_ = std::string(flag.substr(2));
    } else if (f0 == 'd' && f1 == 'r') {
      o.resolve_dont_fail_ = true;
    } else if (f0 == 'd' && f1 == 'L') {
      o.dump_libs_ = true;
    } else if (f0 == 'd' && f1 == 'K') {
      o.dump_keywords_ = std::string(flag.substr(2));
    } else if (f0 == 'd') {
      o.debug_ = true;
    } else if (f0 == 'c' && f1 == 'c') {
      if (!has_next) {
        return fail("option -cc requires a condition (for example: -cc 'version_atleast(2.4)')");
      }
      o.check_condition_ = std::string(args[++i]);
    } else if (f0 == 'c') {
      o.check_ = true;
    } else if (f0 == 'D') {
      o.daemon_ = true;
    } else if (f0 == 'W' && f1 == 's') {
      o.master_worker_ = o.foreground_ = o.systemd_notify_ = true;
    } else if (f0 == 'W') {
      o.master_worker_ = true;
    } else if (f0 == 'q') {
      o.quiet_ = true;
    } else if (f0 == 'x') {
      if (!has_next) {
        return fail("option -x requires a UNIX socket path");
      }
      if (o.old_unix_socket_) {
        result.warnings_.push_back("-x option already set, overwriting the value");
      }
      o.old_unix_socket_ = std::string(args[++i]);
    } else if (f0 == 'S') {
      if (!has_next) {
        return fail(
            "option -S requires a socket and optional bind parameters (<bind>[,<opts>...])");
      }
      o.master_cli_.emplace_back(args[++i]);
    } else if (f0 == 's' && (f1 == 'f' || f1 == 't')) {
      o.old_pids_signal_ =
          f1 == 'f' ? haproxy_old_pids_signal::finish : haproxy_old_pids_signal::terminate;
      const std::string option = "-s" + std::string(1, f1);
      while (i + 1 < args.size() && (args[i + 1].empty() || args[i + 1][0] != '-')) {
        const std::string text(args[++i]);
        char* end = nullptr;
        errno = 0;
        const long pid = std::strtol(text.c_str(), &end, 10);
        if (errno != 0) {
          return fail(option + " option: failed to parse {" + text + "}: " + std::strerror(errno));
        }
        while (*end == ' ' || *end == '\t' || *end == '\n') {
          ++end;
        }
        if (*end != '\0') {
          return fail(option + " option: some bytes unconsumed in PID list {" + std::string(end) +
                      "}");
        }
        if (pid <= 0) {
          return fail(option + " option: PID " + single_quoted(text) +
                      " must be a positive number");
        }
        o.old_pids_.push_back(pid);
      }
    } else if (flag == "-") {
      for (++i; i < args.size(); ++i) {
        o.config_paths_.emplace_back(args[i]);
      }
      break;
    } else {
      // Every other flag takes the next argument, known or not (as in HAProxy).
      static constexpr std::string_view with_value = "CnmNLfp";
      const bool known = f0 != '\0' && with_value.find(f0) != std::string_view::npos;
      if (!known) {
        return fail("unknown option " + single_quoted(arg));
      }
      if (!has_next) {
        return fail("option " + single_quoted(arg) + " requires an argument");
      }
      const std::string value(args[++i]);
      switch (f0) {
        case 'C':
          o.change_dir_ = value;
          break;
        case 'n':
          o.max_conn_ = haproxy_atol(value);
          break;
        case 'm':
          o.memory_limit_mb_ = haproxy_atol(value);
          break;
        case 'N':
          o.max_proxy_conn_ = haproxy_atol(value);
          break;
        case 'L':
          o.local_peer_ = value;
          break;
        case 'f':
          o.config_paths_.push_back(value);
          break;
        case 'p':
          o.pid_file_ = value;
          break;
        default:
          break;
      }
    }
  }
  return result;
}

std::string haproxy_usage(std::string_view program) {
  const std::string p(program);
  const std::string pad(p.size(), ' ');
  return "Usage : " + p +
         " [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]\n"
         "        " +
         pad +
         "[ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]\n"
         "        -v displays version ; -vv shows known build options.\n"
         "        -h displays this help (Tandem only).\n"
         "        -d enters debug mode ; -db only disables background mode.\n"
         "        -dM[<byte>,help,...] debug memory (default: poison with <byte>/0x50)\n"
         "        -V enters verbose mode (disables quiet mode)\n"
         "        -D goes daemon ; -C changes to <dir> before loading files.\n"
         "        -W master-worker mode.\n"
         "        -Ws master-worker mode with systemd notify support.\n"
         "        -q quiet mode : don't display messages\n"
         "        -c check mode : only check config files and exit\n"
         "        -cc check condition : evaluate a condition and exit\n"
         "        -n sets the maximum total # of connections (uses ulimit -n)\n"
         "        -m limits the usable amount of memory (in MB)\n"
         "        -N sets the default, per-proxy maximum # of connections (0)\n"
         "        -L set local peer name (default to hostname)\n"
         "        -p writes pids of all children to this file\n"
         "        -de disables epoll() usage even when available\n"
         "        -dp disables poll() usage even when available\n"
         "        -dS disables splice usage (broken on old kernels)\n"
         "        -dG disables getaddrinfo() usage\n"
         "        -dR disables SO_REUSEPORT usage\n"
         "        -dL dumps loaded object files after config checks\n"
         "        -dK{class[,...]} dump registered keywords (use 'help' for list)\n"
         "        -dr ignores server address resolution failures\n"
         "        -dV disables SSL verify on servers side\n"
         "        -dW fails if any warning is emitted\n"
         "        -dD diagnostic mode : warn about suspicious configuration statements\n"
         "        -sf/-st [pid ]* finishes/terminates old pids.\n"
         "        -x <unix_socket> get listening sockets from a unix socket\n"
         "        -S <bind>[,<bind options>...] new master CLI\n";
}

}  // namespace tandem::tools
