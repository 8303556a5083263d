// The stats socket's help: HAProxy 2.6.12's command list and its answer to `help [words]` and to
// commands it does not know ("Unknown command, but maybe one of the following ones is a better
// match:" and the closest commands).
#pragma once

#include <string>
#include <vector>

namespace tandem::runtime::proxy::cli {

// The whole reply (ending in "  quit … : disconnect\n") for `args` (the command's words; "help"
// first for the help command).
std::string usage_message(std::vector<std::string> args);

// Whether the words start with one of HAProxy's commands (which Tandem may not run).
bool known_command(const std::vector<std::string>& args);

}  // namespace tandem::runtime::proxy::cli
