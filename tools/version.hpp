// Version and help texts of the tandem executable and its front-ends. They are part of the
// interface (scripts grep them), so they change only on purpose; tests pin them.
#pragma once

#include <string>
#include <string_view>

namespace tandem::tools {

std::string_view tandem_version();  // "0.1.0", from CMake's project(VERSION)

std::string tandem_version_text();  // tandem --version
std::string tandem_help_text();     // tandem --help
// haproxy -v (build_options false) and -vv (true).
std::string haproxy_version_text(bool build_options);
std::string keepalived_version_text();  // keepalived -v

}  // namespace tandem::tools
