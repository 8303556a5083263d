// Sample expressions (fetch, parenthesised arguments, `,`-chained converters) and ACL
// expressions and conditions, parsed as HAProxy 2.6 parses them (sample.c's
// sample_parse_expr(), arg.c's make_arg_list(), acl.c's parse_acl_expr() and
// build_acl_cond()), against a table of 2.6's fetches, converters and ACL keywords (data:
// sample_table.inc, generated from `haproxy -dK`). HAProxy rejects a configuration whose
// expressions it cannot parse, so Tandem reports the same lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/haproxy/syntax.hpp"

namespace tandem::parsers::haproxy {

// Diagnostic codes of these checks (stable; see analyse.hpp for the others).
namespace codes {
inline constexpr std::string_view bad_expression = "hap-expression";
}  // namespace codes

class builder;
struct directive;
struct proxy;

// HAProxy's SMP_T_* (what a fetch returns and a converter takes/returns).
enum class sample_type : std::uint8_t { any_, bool_, sint_, addr_, ipv4_, ipv6_, str_, bin_, meth_ };

struct sample_keyword {
  std::string_view name_;
  // The arguments as `haproxy -dK` prints them: "string[,integer]" (brackets: optional).
  std::string_view arguments_;
  sample_type output_;
  sample_type input_;  // converters only
  std::string_view added_in_;  // the version when newer than the 2.6 anchor, else ""
};

// An ACL keyword ("hdr_beg") and the fetch it applies its match to ("req.hdr").
struct acl_keyword {
  std::string_view name_;
  std::string_view fetch_;
};

const sample_keyword* find_fetch(std::string_view name);
const sample_keyword* find_converter(std::string_view name);
const acl_keyword* find_acl_keyword(std::string_view name);
// HAProxy 2.6's predefined ACLs (TRUE, HTTP, METH_GET …).
bool predefined_acl(std::string_view name);

// A file named inside an expression (map(FILE), -f FILE), for the missing-file check.
struct named_file {
  std::string path_;
  std::string what_;  // "map file", "acl pattern file"
};

// What parsing one expression found.
struct sample_result {
  std::string error_;                    // empty: parsed
  std::optional<std::string> hint_;      // "did you mean 'req.hdr'?"
  std::vector<named_file> files_;
  std::vector<std::string> newer_;       // "the 'acl' fetch needs HAProxy 2.9"
  std::size_t end_ = 0;                  // offset in the text where the expression ended
};

// A keyword of a parsed expression and its arguments (quotes and escapes removed), for the run
// time, which compiles what the checks accepted (runtime/proxy/acl).
struct sample_call {
  std::string name_;
  std::vector<std::string> arguments_;
};
struct sample_parts {
  sample_call fetch_;  // as written: an ACL keyword ("hdr_beg") when one was used
  const sample_keyword* fetch_keyword_ = nullptr;  // the fetch it runs ("req.hdr"); none for Lua
  bool acl_keyword_ = false;
  std::vector<sample_call> converters_;
};

// Parses the sample expression starting at `text`. `closing`: the expression ends at the first
// character that cannot continue it (a log-format `%[…]`, which the caller checks for `]`);
// otherwise the whole text must be the expression. `acl`: ACL keywords are tried first.
// `parts`, when given, receives the keywords and arguments of an expression that parsed.
sample_result parse_sample(std::string_view text, bool closing, bool acl,
                           sample_parts* parts = nullptr);

// The ACL names of the proxy being read, so conditions can check theirs (an ACL must be
// declared above the line that uses it).
struct acl_names {
  const proxy* proxy_ = nullptr;
  std::unordered_set<std::string> names_;
};

// Checks the expressions of one proxy keyword line (acl, the rule keywords, use_backend …):
// ACL criteria and flags, conditions, `%[…]` in log-format arguments, actions that take a
// sample expression; and records the files they name in b.files_.
void check_expressions(const directive& d, builder& b, diagnostics& diags);

}  // namespace tandem::parsers::haproxy
