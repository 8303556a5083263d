// Shared pieces of the front-ends (see front_end_support.hpp).
#include "tools/front_end_support.hpp"

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

int not_implemented(std::string_view program, std::string_view what, std::ostream& err) {
  err << program << ": not implemented yet: " << what << '\n';
  return exit_not_implemented;
}

}  // namespace tandem::tools
