// `tandem migrate` for haproxy.cfg: the same file in today's syntax, written from the lossless
// syntax tree. Removed keywords become their modern form (or a comment saying what to write when
// there is no exact one), addresses on `listen`/`frontend` lines move to a `bind` line, headers
// hidden in `option httpchk` become `http-check send hdr` lines, pasted characters are fixed,
// CRLF becomes LF and the last line gets its newline. Comments, order and indentation stay.
#pragma once

#include <string>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/haproxy/syntax.hpp"

namespace tandem::parsers::haproxy {

// `file` is the tree of the registered file `sources.file(file.file_)`.
std::string migrate_file(const source_registry& sources, const config_file& file);

}  // namespace tandem::parsers::haproxy
