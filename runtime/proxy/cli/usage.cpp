// The stats socket's command words and their help lines as HAProxy 2.6.12 lists them (`help` on
// a socket of Debian's haproxy), and its usage message for `help [words]` and unknown commands
// (src/cli.c, cli_gen_usage_msg: words matched exactly, then the rest fuzzy-matched by letter-pair
// fingerprints, the five closest proposed).
#include "runtime/proxy/cli/usage.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace tandem::runtime::proxy::cli {

namespace {

struct keyword {
  std::vector<std::string_view> words_;
  std::string_view usage_;
};

// Sorted as HAProxy prints them (by usage text). The words are the command's keywords; HAProxy
// registers "new ssl crl-file" with the help text "new ssl crlfile".
const std::vector<keyword>& keywords() {
  static const std::vector<keyword> table = {
    {{"abort", "ssl", "ca-file"}, "abort ssl ca-file <cafile>              : abort a transaction for a CA file"},
    {{"abort", "ssl", "cert"}, "abort ssl cert <certfile>               : abort a transaction for a certificate file"},
    {{"abort", "ssl", "crl-file"}, "abort ssl crl-file <crlfile>            : abort a transaction for a CRL file"},
    {{"add", "acl"}, "add acl [@<ver>] <acl> <pattern>        : add an acl entry"},
    {{"add", "map"}, "add map [@<ver>] <map> <key> <val>      : add a map entry (payload supported instead of key/val)"},
    {{"add", "server"}, "add server <bk>/<srv>                   : create a new server"},
    {{"add", "ssl", "crt-list"}, "add ssl crt-list <list> <cert> [opts]*  : add to crt-list file <list> a line <cert> or a payload"},
    {{"clear", "acl"}, "clear acl [@<ver>] <acl>                : clear the contents of this acl"},
    {{"clear", "counters"}, "clear counters [all]                    : clear max statistics counters (or all counters)"},
    {{"clear", "map"}, "clear map [@<ver>] <map>                : clear the contents of this map"},
    {{"clear", "table"}, "clear table <table> [<filter>]*         : remove an entry from a table (filter: data/key)"},
    {{"commit", "acl"}, "commit acl @<ver> <acl>                 : commit the ACL at this version"},
    {{"commit", "map"}, "commit map @<ver> <map>                 : commit the map at this version"},
    {{"commit", "ssl", "ca-file"}, "commit ssl ca-file <cafile>             : commit a CA file"},
    {{"commit", "ssl", "cert"}, "commit ssl cert <certfile>              : commit a certificate file"},
    {{"commit", "ssl", "crl-file"}, "commit ssl crl-file <crlfile>           : commit a CRL file"},
    {{"del", "acl"}, "del acl <acl> [<key>|#<ref>]            : delete acl entries matching <key>"},
    {{"del", "map"}, "del map <map> [<key>|#<ref>]            : delete map entries matching <key>"},
    {{"del", "server"}, "del server <bk>/<srv>                   : remove a dynamically added server"},
    {{"del", "ssl", "ca-file"}, "del ssl ca-file <cafile>                : delete an unused CA file"},
    {{"del", "ssl", "cert"}, "del ssl cert <certfile>                 : delete an unused certificate file"},
    {{"del", "ssl", "crl-file"}, "del ssl crl-file <crlfile>              : delete an unused CRL file"},
    {{"del", "ssl", "crt-list"}, "del ssl crt-list <list> <cert[:line]>   : delete a line <cert> from crt-list file <list>"},
    {{"disable", "agent"}, "disable agent                           : disable agent checks"},
    {{"disable", "dynamic-cookie", "backend"}, "disable dynamic-cookie backend <bk>     : disable dynamic cookies on a specific backend"},
    {{"disable", "frontend"}, "disable frontend <frontend>             : temporarily disable specific frontend"},
    {{"disable", "health"}, "disable health                          : disable health checks"},
    {{"disable", "server"}, "disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)"},
    {{"enable", "agent"}, "enable agent                            : enable agent checks"},
    {{"enable", "dynamic-cookie", "backend"}, "enable dynamic-cookie backend <bk>      : enable dynamic cookies on a specific backend"},
    {{"enable", "frontend"}, "enable frontend <frontend>              : re-enable specific frontend"},
    {{"enable", "health"}, "enable health                           : enable health checks"},
    {{"enable", "server"}, "enable server  (DEPRECATED)             : enable a disabled server (use 'set server' instead)"},
    {{"get", "acl"}, "get acl <acl> <value>                   : report the patterns matching a sample for an ACL"},
    {{"get", "map"}, "get map <acl> <value>                   : report the keys and values matching a sample for a map"},
    {{"get", "var"}, "get var <name>                          : retrieve contents of a process-wide variable"},
    {{"get", "weight"}, "get weight <bk>/<srv>                   : report a server's current weight"},
    {{"new", "ssl", "ca-file"}, "new ssl ca-file <cafile>                : create a new CA file to be used in a crt-list"},
    {{"new", "ssl", "cert"}, "new ssl cert <certfile>                 : create a new certificate file to be used in a crt-list or a directory"},
    {{"new", "ssl", "crl-file"}, "new ssl crlfile <crlfile>               : create a new CRL file to be used in a crt-list"},
    {{"operator"}, "operator                                : lower the level of the current CLI session to operator"},
    {{"prepare", "acl"}, "prepare acl <acl>                       : prepare a new version for atomic ACL replacement"},
    {{"prepare", "map"}, "prepare map <acl>                       : prepare a new version for atomic map replacement"},
    {{"set", "dynamic-cookie-key", "backend"}, "set dynamic-cookie-key backend <bk> <k> : change a backend secret key for dynamic cookies"},
    {{"set", "map"}, "set map <map> [<key>|#<ref>] <value>    : modify a map entry"},
    {{"set", "maxconn", "frontend"}, "set maxconn frontend <frontend> <value> : change a frontend's maxconn setting"},
    {{"set", "maxconn", "global"}, "set maxconn global <value>              : change the per-process maxconn setting"},
    {{"set", "maxconn", "server"}, "set maxconn server <bk>/<srv>           : change a server's maxconn setting"},
    {{"set", "profiling"}, "set profiling <what> {auto|on|off}      : enable/disable resource profiling (tasks,memory)"},
    {{"set", "rate-limit"}, "set rate-limit <setting> <value>        : change a rate limiting value"},
    {{"set", "server"}, "set server <bk>/<srv> [opts]            : change a server's state, weight, address or ssl"},
    {{"set", "severity-output"}, "set severity-output [none|number|string]: set presence of severity level in feedback information"},
    {{"set", "ssl", "ca-file"}, "set ssl ca-file <cafile> <payload>      : replace a CA file"},
    {{"set", "ssl", "cert"}, "set ssl cert <certfile> <payload>       : replace a certificate file"},
    {{"set", "ssl", "crl-file"}, "set ssl crl-file <crlfile> <payload>    : replace a CRL file"},
    {{"set", "ssl", "ocsp-response"}, "set ssl ocsp-response <resp|payload>    : update a certificate's OCSP Response from a base64-encode DER"},
    {{"set", "ssl", "tls-key"}, "set ssl tls-key [id|file] <key>         : set the next TLS key for the <id> or <file> listener to <key>"},
    {{"set", "table"}, "set table <table> key <k> [data.* <v>]* : update or create a table entry's data"},
    {{"set", "timeout"}, "set timeout [cli] <delay>               : change a timeout setting"},
    {{"set", "weight"}, "set weight <bk>/<srv>  (DEPRECATED)     : change a server's weight (use 'set server' instead)"},
    {{"show", "acl"}, "show acl [@<ver>] <acl>]                : report available acls or dump an acl's contents"},
    {{"show", "activity"}, "show activity                           : show per-thread activity stats (for support/developers)"},
    {{"show", "backend"}, "show backend                            : list backends in the current running config"},
    {{"show", "cache"}, "show cache                              : show cache status"},
    {{"show", "cli", "level"}, "show cli level                          : display the level of the current CLI session"},
    {{"show", "cli", "sockets"}, "show cli sockets                        : dump list of cli sockets"},
    {{"show", "env"}, "show env [var]                          : dump environment variables known to the process"},
    {{"show", "errors"}, "show errors [<px>] [request|response]   : report last request and/or response errors for each proxy"},
    {{"show", "events"}, "show events [<sink>] [-w] [-n]          : show event sink state"},
    {{"show", "fd"}, "show fd [num]                           : dump list of file descriptors in use or a specific one"},
    {{"show", "info"}, "show info [desc|json|typed|float]*      : report information about the running process"},
    {{"show", "libs"}, "show libs                               : show loaded object files and libraries"},
    {{"show", "map"}, "show map [@ver] [map]                   : report available maps or dump a map's contents"},
    {{"show", "peers"}, "show peers [dict|-] [section]           : dump some information about all the peers or this peers section"},
    {{"show", "pools"}, "show pools                              : report information about the memory pools usage"},
    {{"show", "profiling"}, "show profiling [<what>|<#lines>|byaddr]*: show profiling state (all,status,tasks,memory)"},
    {{"show", "resolvers"}, "show resolvers [id]                     : dumps counters from all resolvers section and associated name servers"},
    {{"show", "schema", "json"}, "show schema json                        : report schema used for stats"},
    {{"show", "servers", "conn"}, "show servers conn [<backend>]           : dump server connections status (all or for a single backend)"},
    {{"show", "servers", "state"}, "show servers state [<backend>]          : dump volatile server information (all or for a single backend)"},
    {{"show", "sess"}, "show sess [id]                          : report the list of current sessions or dump this exact session"},
    {{"show", "ssl", "ca-file"}, "show ssl ca-file [<cafile>[:<index>]]   : display the SSL CA files used in memory, or the details of a <cafile>, or a single certificate of index <index> of a CA file <cafile>"},
    {{"show", "ssl", "cert"}, "show ssl cert [<certfile>]              : display the SSL certificates used in memory, or the details of a file"},
    {{"show", "ssl", "crl-file"}, "show ssl crl-file [<crlfile[:<index>>]] : display the SSL CRL files used in memory, or the details of a <crlfile>, or a single CRL of index <index> of CRL file <crlfile>"},
    {{"show", "ssl", "crt-list"}, "show ssl crt-list [-n] [<list>]         : show the list of crt-lists or the content of a crt-list file <list>"},
    {{"show", "ssl", "ocsp-response"}, "show ssl ocsp-response [id]             : display the IDs of the OCSP responses used in memory, or the details of a single OCSP response"},
    {{"show", "ssl", "providers"}, "show ssl providers                      : show loaded SSL providers"},
    {{"show", "startup-logs"}, "show startup-logs                       : report logs emitted during HAProxy startup"},
    {{"show", "stat"}, "show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server"},
    {{"show", "table"}, "show table <table> [<filter>]*          : report table usage stats or dump this table's contents (filter: data/key)"},
    {{"show", "tasks"}, "show tasks                              : show running tasks"},
    {{"show", "threads"}, "show threads                            : show some threads debugging information"},
    {{"show", "tls-keys"}, "show tls-keys [id|*]                    : show tls keys references or dump tls ticket keys when id specified"},
    {{"show", "trace"}, "show trace [<module>]                   : show live tracing state"},
    {{"show", "version"}, "show version                            : show version of the current process"},
    {{"shutdown", "frontend"}, "shutdown frontend <frontend>            : stop a specific frontend"},
    {{"shutdown", "session"}, "shutdown session [id]                   : kill a specific session"},
    {{"shutdown", "sessions", "server"}, "shutdown sessions server <bk>/<srv>     : kill sessions on a server"},
    {{"trace"}, "trace [<module>|0] [cmd [args...]]      : manage live tracing (empty to list, 0 to stop all)"},
    {{"user"}, "user                                    : lower the level of the current CLI session to user"},
  };
  return table;
}

constexpr std::string_view always =
    "  help [<command>]                        : list matching or all commands\n"
    "  prompt                                  : toggle interactive mode with prompt\n"
    "  quit                                    : disconnect\n";

constexpr int max_matches = 5;  // CLI_MAX_MATCHES
constexpr std::size_t prefix_words = 5;  // CLI_PREFIX_KW_NB

// tools.c's update_word_fingerprint(): counts of letter pairs (a-z, digits as one, the rest as
// one, begin and end of word).
void add_fingerprint(std::array<std::uint8_t, 1024>& fp, std::string_view word) {
  int from = 28;
  for (const char ch : word) {
    const int c = static_cast<unsigned char>(ch);
    int to = 28;
    if (c >= 'a' && c <= 'z') to = c - 'a' + 1;
    else if (c >= 'A' && c <= 'Z') to = c - 'A' + 1;
    else if (c >= '0' && c <= '9') to = 27;
    ++fp[static_cast<std::size_t>(32 * from + to)];
    from = to;
  }
  ++fp[static_cast<std::size_t>(32 * from + 28)];
}

int distance(const std::array<std::uint8_t, 1024>& a, const std::array<std::uint8_t, 1024>& b) {
  int d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d += std::abs(int(a[i]) - int(b[i]));
  return d;
}

std::string_view arg(const std::vector<std::string>& args, std::size_t i) {
  return i < args.size() ? std::string_view(args[i]) : std::string_view();
}

}  // namespace

std::string usage_message(std::vector<std::string> args) {
  bool help = false;
  if (!args.empty() && args[0] == "help") {
    args.erase(args.begin());
    help = true;
  }
  // The number of leading words some command matches exactly.
  std::size_t length = 0;
  for (const keyword& kw : keywords()) {
    for (std::size_t i = 0; i < prefix_words && i < kw.words_.size(); ++i) {
      if (arg(args, i).empty() || kw.words_[i] != arg(args, i)) break;
      length = std::max(length, i + 1);
    }
  }
  std::string out;
  if (help) out = "The following commands are valid at this level:\n";
  else if (length == 0 && arg(args, 0).empty())
    out = "Unknown command. Please enter one of the following commands only:\n";
  else out = "Unknown command, but maybe one of the following ones is a better match:\n";

  auto prefix_matches = [&](const keyword& kw) {
    std::size_t i = 0;
    for (; i < length; ++i) {
      if (i >= kw.words_.size() || arg(args, i).empty() || kw.words_[i] != arg(args, i)) break;
    }
    return i == length;
  };
  struct match {
    const keyword* kw_ = nullptr;
    int dist_ = INT_MAX;
  };
  std::array<match, max_matches> matches{};
  if (!arg(args, length).empty()) {
    for (const keyword& kw : keywords()) {
      if (!prefix_matches(kw)) continue;
      std::array<std::uint8_t, 1024> word_sig{};
      std::array<std::uint8_t, 1024> list_sig{};
      int total = 0;
      for (std::size_t i = length; i < prefix_words && !arg(args, i).empty(); ++i) {
        add_fingerprint(word_sig, args[i]);
        total += static_cast<int>(args[i].size());
      }
      for (std::size_t i = length; i < prefix_words && i < kw.words_.size(); ++i) {
        add_fingerprint(list_sig, kw.words_[i]);
        total += static_cast<int>(kw.words_[i].size());
      }
      const int dist = distance(word_sig, list_sig);
      if (dist < 5 * total / 2 && dist < matches[max_matches - 1].dist_) {
        matches[max_matches - 1] = {&kw, dist};
        for (int idx = max_matches - 1; --idx >= 0;) {
          if (matches[idx + 1].dist_ >= matches[idx].dist_) break;
          std::swap(matches[idx], matches[idx + 1]);
        }
      }
    }
  }
  std::vector<const keyword*> entries;
  if (matches[0].kw_ != nullptr) {
    for (const match& m : matches) {
      if (m.kw_ == nullptr || m.dist_ > 5 * matches[0].dist_ / 2) break;
      entries.push_back(m.kw_);
    }
  } else {
    for (const keyword& kw : keywords()) {
      if (prefix_matches(kw)) entries.push_back(&kw);
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const keyword* a, const keyword* b) { return a->usage_ < b->usage_; });
  for (const keyword* kw : entries) {
    out += "  ";
    out += kw->usage_;
    out += '\n';
  }
  out += always;
  return out;
}

bool known_command(const std::vector<std::string>& args) {
  for (const keyword& kw : keywords()) {
    bool all = true;
    for (std::size_t i = 0; i < kw.words_.size(); ++i) {
      if (kw.words_[i] != arg(args, i)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace tandem::runtime::proxy::cli
