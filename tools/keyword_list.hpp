// `tandem keywords haproxy|keepalived`: the keywords Tandem knows, printed as Markdown from the
// languages' keyword tables (the same tables the checker, "did you mean" and migrate use), so
// docs/keywords/*.md are generated and a test keeps them current.
#pragma once

#include <ostream>
#include <span>
#include <string_view>

namespace tandem::tools {

std::string haproxy_keyword_list();
std::string keepalived_keyword_list();

int run_keywords(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace tandem::tools
