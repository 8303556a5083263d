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
#include "runtime/core/process_name.hpp"
#include "tools/check_cli.hpp"
#include "tools/front_end_support.hpp"
#include "tools/haproxy_front.hpp"
#include "tools/keepalived_front.hpp"
#include "tools/keyword_list.hpp"
#include "tools/language.hpp"
#include "tools/version.hpp"

namespace tandem::tools {

namespace {

using parsers::diagnostics;
using parsers::file_id;
using parsers::severity;
using parsers::source_registry;

// The language of a loaded file, or an error diagnostic saying it could not be told.
config_language language_of(const source_registry& sources, file_id file, diagnostics& diags) {
  const config_language language = detect_language(sources.file(file).text());
  if (language == config_language::unknown) {
    diags.add(severity::error, "unknown-language", parsers::source_position{file, 0, 0},
              "cannot tell whether this is an HAProxy or a keepalived configuration",
              "an HAProxy file has section lines such as 'global', 'defaults', 'frontend', "
              "'backend' or 'listen'; a keepalived file has blocks such as 'global_defs { … }' "
              "or 'vrrp_instance NAME { … }'");
  }
  return language;
}

}  // namespace

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
  // JSON is the report a program reads: it goes to stdout, whatever it says.
  const bool json = parsed.options_.format_ == check_format::json;
  if (!load_files(parsed.options_.files_, sources, diags, json ? out : err,
                  parsed.options_.format_)) {
    return exit_failure;
  }
  const check_options& o = parsed.options_;
  // Included files are loaded while checking: only the named ones are checked as roots.
  const std::size_t named = sources.size();
  std::vector<file_id> keepalived_files;
  for (std::size_t i = 0; i < named; ++i) {
    const auto file = static_cast<file_id>(i);
    switch (language_of(sources, file, diags)) {
      case config_language::haproxy:
        lint_haproxy(sources, file, diags);
        break;
      case config_language::keepalived:
        lint_keepalived(sources, file, diags);
        keepalived_files.push_back(file);
        break;
      case config_language::unknown:
        break;
    }
  }
  if (o.cluster_) {
    lint_keepalived_cluster(sources, keepalived_files, diags);
  }
  if (o.format_ == check_format::json) {
    out << parsers::render_json(diags, sources);
  } else {
    err << parsers::render_text(diags, sources);
  }
  const bool failed =
      diags.has_errors() || (o.strict_ && diags.count(severity::warning) > 0);
  return failed ? exit_failure : exit_ok;
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
  const file_id file{0};
  bool migrated = false;
  switch (language_of(sources, file, diags)) {
    case config_language::haproxy:
      migrated = migrate_haproxy(sources, file, out, diags);
      break;
    case config_language::keepalived:
      migrated = migrate_keepalived(sources, file, out, diags);
      break;
    case config_language::unknown:
      break;
  }
  // What migrate changed and why goes to stderr, so stdout is the new file alone.
  err << parsers::render_text(diags, sources);
  return migrated ? exit_ok : exit_failure;
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
  if (command == "keywords") {
    return run_keywords(command_args, out, err);
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
      << " (expected haproxy, keepalived, check, migrate, keywords, --help or --version)\n";
  return exit_failure;
}

}  // namespace tandem::tools
