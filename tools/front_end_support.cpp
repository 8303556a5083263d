// Shared pieces of the front-ends (see front_end_support.hpp).
#include "tools/front_end_support.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "parsers/common/render.hpp"
#include "tools/front_ends.hpp"

namespace tandem::tools {

bool load_files(const std::vector<std::string>& files, parsers::source_registry& sources,
                parsers::diagnostics& diags, std::ostream& err, check_format format) {
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

void report_loaded(std::string_view program, const parsers::source_registry& sources,
                   std::ostream& err) {
  err << program << ": loaded " << sources.size() << " configuration file"
      << (sources.size() == 1 ? "" : "s") << ":";
  for (std::size_t i = 0; i < sources.size(); ++i) {
    err << (i == 0 ? " " : ", ") << sources.file(static_cast<parsers::file_id>(i)).name();
  }
  err << '\n';
}

// Checking a file builds a tree and a model many times its size, and each 4 KiB page of that
// is a page fault when first touched: a quarter of checking a 100,000-line keepalived.conf.
// Where huge pages are off, this changes nothing but the number of brk calls.
void prepare_heap_for(std::size_t text_size, std::size_t heap_per_byte) {
  constexpr std::size_t huge_page = std::size_t{2} << 20;
  if (text_size * heap_per_byte < huge_page) return;  // too small for a huge page to matter
  const std::size_t want =
      std::min<std::size_t>((text_size * heap_per_byte + huge_page - 1) / huge_page * huge_page,
                            std::size_t{1} << 30);
  ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(want + huge_page));
  ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(want * 2));
  ::mallopt(M_TOP_PAD, static_cast<int>(huge_page));
  void* const block = std::malloc(want);
  if (block == nullptr) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const std::uintptr_t from = (reinterpret_cast<std::uintptr_t>(block) + page - 1) / page * page;
  const std::uintptr_t to = (reinterpret_cast<std::uintptr_t>(block) + want) / page * page;
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_HUGEPAGE);
  std::free(block);  // back to the top of the heap, where the next allocations come from
}

int not_implemented(std::string_view program, std::string_view what, std::ostream& err) {
  err << program << ": not implemented yet: " << what << '\n';
  return exit_not_implemented;
}

}  // namespace tandem::tools
