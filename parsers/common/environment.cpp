// Reads this process's environment into an `environment` (see environment.hpp).
#include "parsers/common/environment.hpp"

#include <string_view>

extern char** environ;

namespace tandem::parsers {

environment process_environment() {
  environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::size_t eq = entry.find('=');
    if (eq != std::string_view::npos) {
      env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
  }
  return env;
}

}  // namespace tandem::parsers
