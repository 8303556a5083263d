// Small pieces the front-ends share: loading the named files with diagnostics printed, and the
// message for a part that is not written yet.
#pragma once

#include <cstddef>
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

// For `tandem check` only, which exits once it has printed: grows the heap once by
// `text_size * heap_per_byte` (what the analysis of that much text is measured to take) and
// asks for that range to be backed by transparent huge pages, so building the tree and the
// model takes a page fault per 2 MiB instead of one per 4 KiB. The heap is then kept (no
// trimming, no separate mappings for large blocks) for the rest of the run.
void prepare_heap_for(std::size_t text_size, std::size_t heap_per_byte);

// Says which part is missing and returns exit_not_implemented.
int not_implemented(std::string_view program, std::string_view what, std::ostream& err);

}  // namespace tandem::tools
