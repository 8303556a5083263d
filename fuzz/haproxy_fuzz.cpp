// libFuzzer target for the haproxy.cfg front-end: the bytes as one registered file through the
// normaliser, grammar, keyword table, model, checks and migrate. No network, no real files:
// name resolution and file checks are injected (names "resolve", files "exist" by a pure rule).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/haproxy/analyse.hpp"
#include "parsers/haproxy/migrate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tandem::parsers;
  source_registry sources;
  const file_id id = sources.add("fuzz.cfg", std::string(reinterpret_cast<const char*>(data), size));
  haproxy::analysis_options options;
  options.reader_.environment_ = {{"A", "1"}, {"B", "x y"}};
  options.resolves_ = [](const std::string& name) { return name.size() % 2 == 0; };
  options.file_exists_ = [](const std::string& path) { return path.size() % 3 == 0; };
  // An "existing" file's content, without touching the disk: valid, invalid or unreadable.
  options.read_file_ = [](const std::string& path) -> std::optional<std::string> {
    switch (path.size() % 4) {
      case 0: return std::nullopt;
      case 1: return std::string("HTTP/1.0 503 x\r\nContent-Length: 2\r\n\r\nok");
      case 2: return std::string("not a response");
      default: return std::string();
    }
  };
  diagnostics diags;
  const haproxy::analysis a = haproxy::analyse_haproxy_file(sources, id, options, diags);
  if (!a.tree_.files_.empty()) {
    (void)haproxy::migrate_file(sources, a.tree_.files_.front());
  }
  return 0;
}
