// `tandem migrate` for keepalived.conf: the file rewritten in keepalived 2.x syntax from the
// lossless tree and the analysis — old keyword names replaced by today's, recovered braces
// written in, pasted characters (no-break spaces, curly quotes, CRLF) fixed, a ${NAME} taken
// from the environment defined at the top — and everything else, comments included, kept
// byte for byte.
#pragma once

#include <string>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/keepalived/analyse.hpp"

namespace tandem::parsers::keepalived {

// `diags` are the analysis's diagnostics (migrate reads which ${NAME}s came from the
// environment). Only `file` is rewritten; files it includes are left as they are.
std::string migrate(const analysis& a, const source_registry& sources, file_id file,
                    const diagnostics& diags);

}  // namespace tandem::parsers::keepalived
