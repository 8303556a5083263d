// The environment a configuration is read with: both languages expand variables from it
// (HAProxy's "${VAR}", keepalived's ${NAME} fallback). Injected, so tests are deterministic;
// the tools pass process_environment().
#pragma once

#include <functional>
#include <map>
#include <string>

namespace tandem::parsers {

using environment = std::map<std::string, std::string, std::less<>>;

// This process's environment.
environment process_environment();

}  // namespace tandem::parsers
