// Version and help texts (see version.hpp). TANDEM_VERSION, TANDEM_BUILD_TYPE and
// TANDEM_SANITIZERS come from tools/CMakeLists.txt.
#include "tools/version.hpp"

namespace tandem::tools {

std::string_view tandem_version() {
  return TANDEM_VERSION;
}

std::string tandem_version_text() {
  return "Tandem " + std::string(tandem_version()) +
         "\n"
         "Runs HAProxy and keepalived configurations unchanged.\n"
         "Front-ends: haproxy (command line of HAProxy 2.6), keepalived (command line of "
         "keepalived 2.2.7), check, migrate.\n"
         "Runs haproxy.cfg (HTTP/1.1 and TCP proxy, TLS, stats, logs, reloads) and keepalived.conf "
         "(VRRP); keepalived's virtual_server data path (issue 8) is not implemented yet.\n";
}

std::string tandem_help_text() {
  return "Usage: tandem COMMAND [ARGS...]\n"
         "\n"
         "Runs existing haproxy.cfg and keepalived.conf files unchanged.\n"
         "\n"
         "Commands:\n"
         "  haproxy ARGS...     behave as haproxy (HAProxy 2.6 command line; see 'tandem haproxy "
         "-h')\n"
         "  keepalived ARGS...  behave as keepalived (keepalived 2.2.7 command line; see 'tandem "
         "keepalived -h')\n"
         "  check [--format text|json] [--strict] FILE...\n"
         "                      report problems in HAProxy and keepalived configuration files\n"
         "  migrate FILE        print FILE rewritten in today's syntax\n"
         "  keywords haproxy|keepalived\n"
         "                      list the keywords Tandem knows (Markdown, from its tables)\n"
         "  -h, --help          show this help\n"
         "  --version           show the version\n"
         "\n"
         "Invoked through a link named 'haproxy' or 'keepalived', tandem behaves as that command.\n"
         "What is not built yet (keepalived's virtual_server data path) is said at start;\n"
         "docs/compat.md lists where Tandem differs from HAProxy and keepalived.\n";
}

std::string haproxy_version_text(bool build_options) {
  std::string text = "Tandem " + std::string(tandem_version()) +
                     " (haproxy front-end; targets the configuration language of HAProxy 1.4 to "
                     "3.x)\n"
                     "Command line of HAProxy 2.6; runs HTTP/1.1 and TCP proxies (no HTTP/2, "
                     "no QUIC).\n";
  if (build_options) {
    text += "Build options :\n";
    text += "  COMPILER   = g++ " __VERSION__ "\n";
    text += "  STANDARD   = C++20\n";
    text += "  BUILD_TYPE = " TANDEM_BUILD_TYPE "\n";
    text += "  SANITIZERS = " TANDEM_SANITIZERS "\n";
  }
  return text;
}

std::string keepalived_version_text() {
  return "Tandem " + std::string(tandem_version()) +
         " (keepalived front-end; targets the configuration language of keepalived 1.x to "
         "2.x)\n"
         "Command line of keepalived 2.2.7. -t checks a configuration; VRRP instances run "
         "(issue 7); virtual_server (LVS, issue 8) does not run yet.\n";
}

}  // namespace tandem::tools
