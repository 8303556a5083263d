// The keepalived front-end: the `keepalived` command line run, and this language's check and migrate
// (see keepalived_front.hpp and front_ends.hpp).
#include "tools/keepalived_front.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fstream>
#include <set>

#include "parsers/common/environment.hpp"
#include "parsers/common/render.hpp"
#include "parsers/keepalived/analyse.hpp"
#include "parsers/keepalived/cluster.hpp"
#include "parsers/keepalived/codes.hpp"
#include "parsers/keepalived/migrate.hpp"
#include "parsers/keepalived/reader.hpp"
#include "tools/front_end_support.hpp"
#include "tools/front_ends.hpp"
#include "tools/keepalived_cli.hpp"
#include "tools/text.hpp"
#include "tools/version.hpp"

namespace tandem::tools {

using parsers::diagnostics;
using parsers::severity;
using parsers::source_registry;
namespace ka = parsers::keepalived;

namespace {

// keepalived's exit codes for -t, as keepalived 2.2.7 really returns them (its man page is off
// by one): 0 fine, 4 cannot run at all, 5 configuration errors, 6 only script security.
constexpr int exit_config_cannot_run = 4;
constexpr int exit_config_errors = 5;
constexpr int exit_script_security = 6;

ka::analyse_options options_for_this_machine(std::string config_id, bool check_interfaces) {
  ka::analyse_options o;
  o.read_.config_id_ = config_id.empty() ? ka::default_config_id() : std::move(config_id);
  o.read_.environment_ = parsers::process_environment();
  if (check_interfaces) o.interface_exists_ = ka::system_interface_exists;
  return o;
}

// keepalived's message style, "(FILE: Line N) message", but each message once.
void print_keepalived_style(const diagnostics& diags, const source_registry& sources,
                            std::ostream& err) {
  std::set<std::string> printed;
  for (const parsers::diagnostic& d : diags) {
    if (d.severity_ == severity::note) continue;
    std::string line;
    if (d.position_.has_file() && sources.contains(d.position_.file_)) {
      line = "(" + sources.file(d.position_.file_).name();
      if (d.position_.line_ > 0) line += ": Line " + std::to_string(d.position_.line_);
      line += ") ";
    }
    line += d.message_;
    if (d.hint_) line += " (" + *d.hint_ + ")";
    if (printed.insert(line).second) err << line << '\n';
  }
}

}  // namespace

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
  std::ofstream test_log;
  if (o.config_test_ && o.config_test_log_file_) {
    // keepalived -t=FILE writes its messages to FILE instead of stderr.
    test_log.open(*o.config_test_log_file_);
    if (!test_log) {
      err << program << ": cannot write " << single_quoted(*o.config_test_log_file_) << ": "
          << std::strerror(errno) << '\n';
      return exit_failure;
    }
  }
  std::ostream& report = test_log.is_open() ? static_cast<std::ostream&>(test_log) : err;
  if (!load_files({o.config_file_}, sources, diags, report)) {
    return o.config_test_ ? exit_config_cannot_run : exit_failure;
  }
  const ka::analysis a = ka::analyse_file(
      parsers::file_id{0}, sources, options_for_this_machine(o.config_id_.value_or(""), true), diags);
  if (o.config_test_) {
    print_keepalived_style(diags, sources, report);
    const bool missing_interface =
        std::any_of(diags.begin(), diags.end(), [](const parsers::diagnostic& d) {
          return d.code_ == ka::codes::no_interface_here;
        });
    if (missing_interface) {
      report << "Non-existent interface specified in configuration\n";
    }
    if (diags.has_errors() || missing_interface) return exit_config_errors;
    if (a.script_security_violation_) return exit_script_security;
    return exit_ok;
  }
  report_loaded(program, sources, err);
  return not_implemented(program,
                         "running a configuration needs the VRRP runtime (issue 7) and the "
                         "LVS runtime (issue 8)",
                         err);
}

void lint_keepalived(parsers::source_registry& sources, parsers::file_id file,
                     parsers::diagnostics& diags) {
  // `tandem check` prints and exits once the files are linted: their analyses (for a large
  // file a tree node per line, and the model) are left for the end of the process instead of
  // being freed piece by piece, which took a tenth of checking a 100,000-line file. They stay
  // reachable, so leak checkers do not report them.
  static auto* const kept = new std::vector<ka::analysis>();
  constexpr std::size_t heap_per_byte = 24;  // heap bytes per byte of keepalived.conf, measured
  prepare_heap_for(sources.file(file).text().size(), heap_per_byte);
  kept->push_back(ka::analyse_file(file, sources, options_for_this_machine("", true), diags));
}

void lint_keepalived_cluster(parsers::source_registry& sources,
                             std::span<const parsers::file_id> files, parsers::diagnostics& diags) {
  std::vector<ka::analysis> analyses;
  analyses.reserve(files.size());
  for (const parsers::file_id file : files) {
    // Each file's own problems are reported by lint_keepalived; here only the cross-file ones.
    diagnostics own;
    analyses.push_back(ka::analyse_file(file, sources, options_for_this_machine("", false), own));
  }
  std::vector<ka::cluster_member> members;
  for (std::size_t i = 0; i < files.size(); ++i) {
    members.push_back({files[i], &analyses[i].model_});
  }
  ka::check_cluster(members, sources, diags);
}

bool migrate_keepalived(parsers::source_registry& sources, parsers::file_id file,
                        std::ostream& out, parsers::diagnostics& diags) {
  // Another machine's file is migrated here too: its interfaces are not this machine's.
  const ka::analysis a = ka::analyse_file(file, sources, options_for_this_machine("", false), diags);
  out << ka::migrate(a, sources, file, diags);
  return !diags.has_errors();
}

}  // namespace tandem::tools
