// libFuzzer target for the keepalived front-end: the fuzzer's bytes are registered as one file
// and go through preprocessing, the grammar, the keyword table, the model, the checks and
// migrate. Nothing outside the bytes is consulted: includes are not followed, interfaces are
// not looked up, the environment is empty and the config id fixed.
#include <cstddef>
#include <cstdint>
#include <string>

#include "parsers/common/source_registry.hpp"
#include "parsers/keepalived/analyse.hpp"
#include "parsers/keepalived/migrate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tandem::parsers;
  source_registry sources;
  const file_id file =
      sources.add("fuzz.conf", std::string(reinterpret_cast<const char*>(data), size));
  keepalived::analyse_options options;
  options.read_.config_id_ = "fuzz";
  options.read_.follow_includes_ = false;
  diagnostics diags;
  const keepalived::analysis a = keepalived::analyse_file(file, sources, options, diags);
  const std::string out = keepalived::migrate(a, sources, file, diags);
  (void)out;
  return 0;
}
