// The HAProxy reader: loads haproxy.cfg files (a directory as `haproxy -f DIR` does),
// normalises their text, tokenises every line with HAProxy's quoting, escaping and
// environment rules, applies the .if/.elif/.else/.endif blocks and the .diag/.notice/
// .warning/.alert directives, and returns the lossless syntax tree. Everything it finds wrong
// is a diagnostic; no exception leaves it.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/environment.hpp"
#include "parsers/common/position.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/haproxy/syntax.hpp"

namespace tandem::parsers::haproxy {

// The HAProxy version Tandem answers to version_atleast()/version_before(): the anchor
// version whose language Tandem is checked against (Debian 12's HAProxy).
inline constexpr std::string_view claimed_version = "2.6.12";

// The features feature() finds (as "haproxy -vv" lists them after a '+').
inline constexpr std::string_view claimed_features[] = {
    "EPOLL", "GETADDRINFO", "LINUX_TPROXY", "OPENSSL", "PCRE2", "TPROXY",
};

// Diagnostic codes of the reader.
namespace codes {
inline constexpr std::string_view unterminated_quote = "hap-unterminated-quote";
inline constexpr std::string_view bad_escape = "hap-bad-escape";
inline constexpr std::string_view bad_variable = "hap-bad-variable";
inline constexpr std::string_view unmatched_brace = "hap-unmatched-brace";
inline constexpr std::string_view bad_expansion = "hap-bad-expansion";
inline constexpr std::string_view lone_conditional = "hap-lone-conditional";  // .elif/.else/.endif
inline constexpr std::string_view misplaced_conditional = "hap-misplaced-conditional";
inline constexpr std::string_view unclosed_if = "hap-unclosed-if";
inline constexpr std::string_view too_deep = "hap-too-deep";
inline constexpr std::string_view bad_condition = "hap-bad-condition";
inline constexpr std::string_view unknown_directive = "hap-unknown-directive";
inline constexpr std::string_view message_arguments = "hap-message-arguments";
inline constexpr std::string_view directive_alert = "hap-alert";
inline constexpr std::string_view directive_warning = "hap-warning";
inline constexpr std::string_view directive_notice = "hap-notice";
inline constexpr std::string_view directive_diag = "hap-diag";
}  // namespace codes

// Environment variables, injected (the tool passes the process environment; tests pass their
// own, so they are deterministic).
using parsers::environment;

struct reader_options {
  environment environment_;
  std::string version_ = std::string(claimed_version);
  std::vector<std::string> features_{std::begin(claimed_features), std::end(claimed_features)};
};

// Reads `paths` in order: a file is loaded into `sources`, a directory contributes its regular
// files whose names end in ".cfg" and do not start with '.', in byte order of their names.
// A file that cannot be read is an error diagnostic and is skipped.
syntax_tree read_haproxy(source_registry& sources, std::span<const std::string> paths,
                         const reader_options& options, diagnostics& diags);

// Reads one file already in `sources` (tests, generated configs, `check` on a detected file).
config_file read_haproxy_file(const source_registry& sources, file_id file,
                              const reader_options& options, diagnostics& diags);

// Called with every line as soon as it is read (kind_ and active_ set), in file order.
using line_sink = std::function<void(const line&)>;

// The same, handing each line to `sink` once it is read. With `keep_lines` false the lines are
// not kept: the result has file_ only (no lines_, no sections_), so a caller that needs each
// line once (the linter) never holds the whole file's words at the same time.
config_file read_haproxy_file(const source_registry& sources, file_id file,
                              const reader_options& options, diagnostics& diags,
                              const line_sink& sink, bool keep_lines);

// The files `paths` stand for, as `haproxy -f` expands them (directories listed, files kept).
std::vector<std::string> expand_haproxy_paths(std::span<const std::string> paths,
                                              diagnostics& diags);

// Evaluates a .if condition (the words after ".if" joined with single spaces, as HAProxy
// does) exactly as HAProxy's cfgcond.c: returns 1 or 0, or -1 with `error` set and
// `error_offset` at the first bad character of `expression`. Also behind `haproxy -cc`.
int evaluate_condition(std::string_view expression, const reader_options& options,
                       std::string& error, std::size_t& error_offset);

// HAProxy's compare_current_version(): -1 when `version` is older than `current`, 0 when the
// same, 1 when newer; -2 when `current` and -3 when `version` cannot be parsed.
int compare_versions(std::string_view current, std::string_view version);

}  // namespace tandem::parsers::haproxy
