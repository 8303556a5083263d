// What each front-end of the tandem executable does with its parsed command line: print
// version/help, report usage errors, load the named configuration files, and (until the
// readers and runtimes exist) say exactly which part is not implemented yet.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

namespace tandem::tools {

// Exit statuses shared by all front-ends.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;          // usage error, unreadable file (as the anchors)
inline constexpr int exit_not_implemented = 2;  // the request needs a part not written yet

// `program` is how the front-end names itself in messages: "haproxy" when invoked through a
// link of that name, "tandem haproxy" otherwise. `args` excludes the program and subcommand.
int run_haproxy(std::string_view program, std::span<const std::string_view> args, std::ostream& out,
                std::ostream& err);
int run_keepalived(std::string_view program, std::span<const std::string_view> args,
                   std::ostream& out, std::ostream& err);
int run_check(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);
int run_migrate(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

// The whole executable: `argv` includes argv[0], whose basename selects the front-end
// ("haproxy", "keepalived"; anything else is the tandem multi-call command). Sets the
// process name for `tandem haproxy` / `tandem keepalived`.
int run_tandem(std::span<const std::string_view> argv, std::ostream& out, std::ostream& err);

}  // namespace tandem::tools
