// Which configuration language a file is written in, for `tandem check` and `tandem migrate`
// (they take either). Decided from the content, not the name: blog posts save keepalived
// configs as .cfg and haproxy configs as .conf.
#pragma once

#include <string_view>

namespace tandem::tools {

enum class config_language { haproxy, keepalived, unknown };

// keepalived when a line starts with a top-level keyword of keepalived's keyword table
// (global_defs, vrrp_instance, virtual_server, …) or `include`, or opens a '{' block; haproxy when a
// line starts with an HAProxy section keyword (parsers/haproxy/syntax.hpp's list, 1.4 to 3.x);
// the first such line decides. unknown when neither is found.
config_language detect_language(std::string_view text);

std::string_view language_name(config_language language);

}  // namespace tandem::tools
