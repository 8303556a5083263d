// The stats socket's stick-table commands in HAProxy 2.6's words (management.txt "show
// table", "clear table", "set table"), for the socket (runtime/proxy/cli, another part) to
// call. `tables` are every table of the configuration; `args` the words after the two words
// of the command ("show table" …). The answer is the text HAProxy prints, without the empty
// line the socket ends every answer with.
#pragma once

#include <span>
#include <string>

#include "runtime/proxy/stick/table.hpp"

namespace tandem::runtime::proxy::stick {

// show table                       one header line per table, by name
// show table NAME [data.X OP V]…   its header and entries (filters: eq ne le lt ge gt)
// show table NAME key K            the key's entry
std::string cli_show_table(std::span<table* const> tables, std::span<const std::string> args);
// clear table NAME [data.X OP V]… | [key K]: removes unused entries
std::string cli_clear_table(std::span<table* const> tables, std::span<const std::string> args);
// set table NAME key K [data.X V]…: creates the entry, sets the values
std::string cli_set_table(std::span<table* const> tables, std::span<const std::string> args);

}  // namespace tandem::runtime::proxy::stick
