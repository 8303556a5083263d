// The haproxy front-end: the `haproxy` command line run, and this language's check and migrate
// (see haproxy_front.hpp and front_ends.hpp).
#include "tools/haproxy_front.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "parsers/common/render.hpp"
#include "parsers/haproxy/reader.hpp"
#include "tools/front_end_support.hpp"
#include "tools/front_ends.hpp"
#include "tools/haproxy_cli.hpp"
#include "tools/text.hpp"
#include "tools/version.hpp"

namespace tandem::tools {

using parsers::diagnostics;
using parsers::source_registry;

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

void lint_haproxy(parsers::source_registry& sources, parsers::file_id file,
                  parsers::diagnostics& diags) {
  (void)sources;
  (void)file;
  diags.add(parsers::severity::error, "not-implemented",
            parsers::source_position{file, 0, 0},
            "checking haproxy configurations is not implemented yet (issue 3)");
}

bool migrate_haproxy(parsers::source_registry& sources, parsers::file_id file, std::ostream& out,
                     parsers::diagnostics& diags) {
  (void)sources;
  (void)file;
  (void)out;
  diags.add(parsers::severity::error, "not-implemented",
            parsers::source_position{file, 0, 0},
            "migrating haproxy configurations is not implemented yet (issue 3)");
  return false;
}

}  // namespace tandem::tools
