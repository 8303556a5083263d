// Small pieces the front-ends share: loading the named files with diagnostics printed, and the
// message for a part that is not written yet.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/source_registry.hpp"
#include "tools/check_cli.hpp"

namespace tandem::tools {

// Loads every file; prints the diagnostics (if any) on `err`; false when one could not be read.
bool load_files(const std::vector<std::string>& files, parsers::source_registry& sources,
                parsers::diagnostics& diags, std::ostream& err,
                check_format format = check_format::text);

// "PROGRAM: loaded 2 configuration files: a.cfg, b.cfg" on `err`.
void report_loaded(std::string_view program, const parsers::source_registry& sources,
                   std::ostream& err);

// Says which part is missing and returns exit_not_implemented.
int not_implemented(std::string_view program, std::string_view what, std::ostream& err);

}  // namespace tandem::tools
