// The keepalived front-end: the `keepalived` command line run, and this language's check and migrate
// (see keepalived_front.hpp and front_ends.hpp).
#include "tools/keepalived_front.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "parsers/common/render.hpp"
#include "parsers/keepalived/reader.hpp"
#include "tools/front_end_support.hpp"
#include "tools/front_ends.hpp"
#include "tools/keepalived_cli.hpp"
#include "tools/text.hpp"
#include "tools/version.hpp"

namespace tandem::tools {

using parsers::diagnostics;
using parsers::source_registry;

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

void lint_keepalived(parsers::source_registry& sources, parsers::file_id file,
                  parsers::diagnostics& diags) {
  (void)sources;
  (void)file;
  diags.add(parsers::severity::error, "not-implemented",
            parsers::source_position{file, 0, 0},
            "checking keepalived configurations is not implemented yet (issue 4)");
}

bool migrate_keepalived(parsers::source_registry& sources, parsers::file_id file, std::ostream& out,
                     parsers::diagnostics& diags) {
  (void)sources;
  (void)file;
  (void)out;
  diags.add(parsers::severity::error, "not-implemented",
            parsers::source_position{file, 0, 0},
            "migrating keepalived configurations is not implemented yet (issue 4)");
  return false;
}

}  // namespace tandem::tools
