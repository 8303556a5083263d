// The command line of HAProxy 2.6 (the options `haproxy -h` lists, with the argument rules of
// haproxy.c's own loop), parsed into a plain struct. Parsing only: main.cpp decides what runs.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::tools {

enum class haproxy_old_pids_signal {
  none,
  finish,     // -sf: SIGUSR1, old processes finish their sessions then exit
  terminate,  // -st: SIGTERM, old processes stop at once
};

struct haproxy_options {
  // -v prints the version (1), -vv also the build options (2); parsing stops there, as in
  // HAProxy (which exits on the spot).
  int version_level_ = 0;
  // -h: HAProxy has no help option (it prints its usage and exits 1); Tandem's prints it and
  // exits 0. Parsing stops there too.
  bool help_ = false;

  // -f FILE|DIR (repeatable) and every argument after "--", in command-line order.
  std::vector<std::string> config_paths_;

  bool check_ = false;                          // -c
  std::optional<std::string> check_condition_;  // -cc EXPR
  bool daemon_ = false;                         // -D
  bool debug_ = false;                        // -d, and any -dX HAProxy 2.6 on Linux does not know
  bool foreground_ = false;                   // -db
  bool master_worker_ = false;                // -W, -Ws
  bool systemd_notify_ = false;               // -Ws (implies master-worker and foreground)
  bool quiet_ = false;                        // -q
  bool verbose_ = false;                      // -V
  bool zero_warning_ = false;                 // -dW
  bool diagnostic_mode_ = false;              // -dD
  bool dump_libs_ = false;                    // -dL
  bool disable_epoll_ = false;                // -de
  bool disable_poll_ = false;                 // -dp
  bool disable_splice_ = false;               // -dS
  bool disable_getaddrinfo_ = false;          // -dG
  bool disable_reuseport_ = false;            // -dR
  bool resolve_dont_fail_ = false;            // -dr
  bool no_server_ssl_verify_ = false;         // -dV
  std::optional<std::string> memory_debug_;   // -dM[<byte>,feature,...]: text after "-dM"
  std::optional<std::string> dump_keywords_;  // -dK[class,...]: text after "-dK"

  std::optional<std::string> pid_file_;         // -p
  std::optional<std::string> change_dir_;       // -C: chdir before loading files
  std::optional<std::string> local_peer_;       // -L
  std::optional<std::string> old_unix_socket_;  // -x: fetch listeners from an old process
  std::vector<std::string> master_cli_;         // -S <bind>[,<bind options>...], repeatable
  std::optional<long> max_conn_;                // -n (atol, as HAProxy)
  std::optional<long> max_proxy_conn_;          // -N
  std::optional<long> memory_limit_mb_;         // -m

  haproxy_old_pids_signal old_pids_signal_ = haproxy_old_pids_signal::none;  // last -sf/-st
  std::vector<long> old_pids_;  // PIDs after -sf/-st (accumulated), each > 0
};

struct haproxy_cli_result {
  haproxy_options options_;
  // Set on a usage error (the caller prints it with the usage and exits 1 as HAProxy does).
  std::optional<std::string> error_;
  std::vector<std::string> warnings_;  // e.g. "-x option already set, overwriting the value"
};

// `args` excludes the program name.
haproxy_cli_result parse_haproxy_cli(std::span<const std::string_view> args);

// HAProxy's usage text with `program` ("haproxy" or "tandem haproxy") as the command.
std::string haproxy_usage(std::string_view program);

}  // namespace tandem::tools
