// The front-ends of the tandem executable (see front_ends.hpp).
#include "tools/front_ends.hpp"
#include "tools/text.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/render.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/haproxy/reader.hpp"
#include "runtime/core/process_name.hpp"
#include "tools/check_cli.hpp"
#include "tools/haproxy_cli.hpp"
#include "tools/keepalived_cli.hpp"
#include "tools/version.hpp"

namespace tandem::tools {

namespace {

using parsers::diagnostics;
using parsers::severity;
using parsers::source_registry;

// Loads every file; on failure prints the diagnostics and returns false.
bool load_files(const std::vector<std::string>& files, source_registry& sources, diagnostics& diags,
                std::ostream& err, check_format format = check_format::text) {
  for (const std::string& file : files) {
    sources.load(file, diags);
  }
  if (diags.empty()) {
    return true;
  }
  err << (format == check_format::json ? parsers::render_json(diags, sources)
                                       : parsers::render_text(diags, sources));
  return !diags.has_errors();
}

void report_loaded(std::string_view program, const source_registry& sources, std::ostream& err) {
  err << program << ": loaded " << sources.size() << " configuration file"
      << (sources.size() == 1 ? "" : "s") << ":";
  for (std::size_t i = 0; i < sources.size(); ++i) {
    err << (i == 0 ? " " : ", ") << sources.file(static_cast<parsers::file_id>(i)).name();
  }
  err << '\n';
}

int not_implemented(std::string_view program, std::string_view what, std::ostream& err) {
  err << program << ": not implemented yet: " << what << '\n';
  return exit_not_implemented;
}

}  // namespace

int run_haproxy(std::string_view program, std::span<const std::string_view> args, std::ostream& out,
                std::ostream& err) {
  const haproxy_cli_result parsed = parse_haproxy_cli(args);
  for (const std::string& warning : parsed.warnings_) {
    err << program << ": warning: " << warning << '\n';
  }
  if (parsed.error_) {
    err << program << ": " << *parsed.error_ << '\n'
        << "Run '" << program << " -h' for the list of options.\n";
    return exit_failure;
  }
  const haproxy_options& o = parsed.options_;
  if (o.version_level_ > 0) {
    out << haproxy_version_text(o.version_level_ > 1);
    return exit_ok;
  }
  if (o.help_) {
    out << haproxy_version_text(false) << haproxy_usage(program);
    return exit_ok;
  }
  if (o.check_condition_) {
    return not_implemented(
        program, "evaluating -cc conditions needs the HAProxy configuration reader (issue 3)", err);
  }
  if (o.config_paths_.empty()) {
    err << program << ": no configuration file given (use -f FILE, -f DIR or -- FILE...)\n"
        << "Run '" << program << " -h' for the list of options.\n";
    return exit_failure;
  }
  if (o.change_dir_ && ::chdir(o.change_dir_->c_str()) != 0) {
    err << program << ": cannot change to directory " << single_quoted(*o.change_dir_) << ": "
        << std::strerror(errno) << '\n';
    return exit_failure;
  }
  source_registry sources;
  diagnostics diags;
  const std::vector<std::string> files =
      parsers::haproxy::expand_haproxy_paths(o.config_paths_, diags);
  if (!load_files(files, sources, diags, err)) {
    return exit_failure;
  }
  report_loaded(program, sources, err);
  if (o.check_) {
    return not_implemented(
        program, "checking a configuration (-c) needs the HAProxy configuration reader (issue 3)",
        err);
  }
  return not_implemented(program,
                         "running a configuration needs the HAProxy configuration reader "
                         "(issue 3) and the proxy runtime (issue 5)",
                         err);
}

int run_keepalived(std::string_view program, std::span<const std::string_view> args,
                   std::ostream& out, std::ostream& err) {
  const keepalived_cli_result parsed = parse_keepalived_cli(args);
  for (const std::string& error : parsed.errors_) {
    err << error << '\n';
  }
  for (const std::string& warning : parsed.warnings_) {
    err << warning << '\n';
  }
  const keepalived_options& o = parsed.options_;
  switch (o.immediate_) {
    case keepalived_immediate::version:
      err << keepalived_version_text();  // keepalived prints its version on stderr
      return exit_ok;
    case keepalived_immediate::help:
      err << keepalived_usage(program);  // and its help too
      return exit_ok;
    case keepalived_immediate::signum:
      out << o.signum_ << '\n';
      return exit_ok;
    case keepalived_immediate::genhash:
      return not_implemented(program,
                             "the genhash utility mode (-T/--genhash) is not part of any "
                             "planned issue yet",
                             err);
    case keepalived_immediate::none:
      break;
  }
  if (!parsed.errors_.empty()) {
    err << "Run '" << program << " --help' for the list of options.\n";
    return exit_failure;
  }
  if (!o.unexpected_args_.empty()) {
    err << "Unexpected argument(s):";
    for (const std::string& arg : o.unexpected_args_) {
      err << ' ' << arg;
    }
    err << '\n';
  }
  source_registry sources;
  diagnostics diags;
  if (!load_files({o.config_file_}, sources, diags, err)) {
    return exit_failure;
  }
  report_loaded(program, sources, err);
  if (o.config_test_) {
    return not_implemented(
        program,
        "checking a configuration (-t) needs the keepalived configuration reader (issue 4)", err);
  }
  return not_implemented(program,
                         "running a configuration needs the keepalived configuration reader "
                         "(issue 4) and the VRRP runtime (issue 7)",
                         err);
}

int run_check(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  const check_cli_result parsed = parse_check_cli(args);
  if (parsed.error_) {
    err << "tandem check: " << *parsed.error_ << '\n' << check_usage();
    return exit_failure;
  }
  if (parsed.options_.help_) {
    out << check_usage();
    return exit_ok;
  }
  source_registry sources;
  diagnostics diags;
  if (!load_files(parsed.options_.files_, sources, diags, err, parsed.options_.format_)) {
    return exit_failure;
  }
  report_loaded("tandem check", sources, err);
  return not_implemented("tandem check",
                         "checking needs the HAProxy and keepalived configuration readers "
                         "(issues 3 and 4)",
                         err);
}

int run_migrate(std::span<const std::string_view> args, std::ostream& out, std::ostream& err) {
  const migrate_cli_result parsed = parse_migrate_cli(args);
  if (parsed.error_) {
    err << "tandem migrate: " << *parsed.error_ << '\n' << migrate_usage();
    return exit_failure;
  }
  if (parsed.options_.help_) {
    out << migrate_usage();
    return exit_ok;
  }
  source_registry sources;
  diagnostics diags;
  if (!load_files({parsed.options_.file_}, sources, diags, err)) {
    return exit_failure;
  }
  report_loaded("tandem migrate", sources, err);
  return not_implemented("tandem migrate",
                         "migrating needs the HAProxy and keepalived configuration readers "
                         "(issues 3 and 4)",
                         err);
}

int run_tandem(std::span<const std::string_view> argv, std::ostream& out, std::ostream& err) {
  const std::string_view argv0 = argv.empty() ? std::string_view("tandem") : argv[0];
  const std::string_view base = argv0.substr(argv0.rfind('/') + 1);
  const auto rest = argv.empty() ? argv : argv.subspan(1);
  if (base == "haproxy") {
    return run_haproxy("haproxy", rest, out, err);
  }
  if (base == "keepalived") {
    return run_keepalived("keepalived", rest, out, err);
  }
  if (rest.empty()) {
    err << tandem_help_text();
    return exit_failure;
  }
  const std::string_view command = rest[0];
  const auto command_args = rest.subspan(1);
  if (command == "haproxy" || command == "keepalived") {
    // Liveness checks in tutorials (`killall -0 haproxy`, `pkill -0 keepalived`) look up
    // processes by this name. Failure only affects those checks, so it is a warning.
    if (const std::error_code ec = runtime::set_process_name(command)) {
      err << "tandem: warning: cannot set the process name to " << single_quoted(command) << ": "
          << ec.message() << '\n';
    }
    const std::string program = "tandem " + std::string(command);
    return command == "haproxy" ? run_haproxy(program, command_args, out, err)
                                : run_keepalived(program, command_args, out, err);
  }
  if (command == "check") {
    return run_check(command_args, out, err);
  }
  if (command == "migrate") {
    return run_migrate(command_args, out, err);
  }
  if (command == "-h" || command == "--help") {
    out << tandem_help_text();
    return exit_ok;
  }
  if (command == "--version" || command == "-v") {
    out << tandem_version_text();
    return exit_ok;
  }
  err << "tandem: unknown command " << single_quoted(command)
      << " (expected haproxy, keepalived, check, migrate, --help or --version)\n";
  return exit_failure;
}

}  // namespace tandem::tools
