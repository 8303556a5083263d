// The single entry of the HAProxy front-end below the tools: read the files, lower every
// keyword line through the keyword table into the typed model (defaults inheritance applied),
// then run the semantic checks — everything reported at once, nothing thrown. `tandem check`,
// `haproxy -c` and the fuzz target all call this.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/haproxy/model.hpp"
#include "parsers/haproxy/reader.hpp"
#include "parsers/haproxy/syntax.hpp"

namespace tandem::parsers::haproxy {

// Diagnostic codes of the keyword table, the model and the checks (stable).
namespace codes {
inline constexpr std::string_view out_of_section = "hap-out-of-section";
inline constexpr std::string_view unknown_keyword = "hap-unknown-keyword";
inline constexpr std::string_view removed_keyword = "hap-removed-keyword";
inline constexpr std::string_view newer_keyword = "hap-newer-keyword";
inline constexpr std::string_view old_listen_address = "hap-listen-address";
inline constexpr std::string_view hidden_check_headers = "hap-httpchk-headers";
inline constexpr std::string_view arguments = "hap-arguments";
inline constexpr std::string_view not_allowed = "hap-not-allowed";
inline constexpr std::string_view ignored = "hap-ignored";
inline constexpr std::string_view bad_number = "hap-bad-number";
inline constexpr std::string_view bad_name = "hap-bad-name";
inline constexpr std::string_view unknown_option = "hap-unknown-option";
inline constexpr std::string_view unknown_backend = "hap-unknown-backend";
inline constexpr std::string_view duplicate_proxy = "hap-duplicate-proxy";
inline constexpr std::string_view duplicate_server = "hap-duplicate-server";
inline constexpr std::string_view missing_timeouts = "hap-missing-timeouts";
inline constexpr std::string_view bad_address = "hap-bad-address";
inline constexpr std::string_view unresolved = "hap-unresolved";
inline constexpr std::string_view missing_file = "hap-missing-file";
inline constexpr std::string_view placeholder = "hap-placeholder";
inline constexpr std::string_view rule_order = "hap-rule-order";
inline constexpr std::string_view missing_newline = "hap-missing-newline";
inline constexpr std::string_view unknown_defaults = "hap-unknown-defaults";
inline constexpr std::string_view unsupported = "hap-unsupported";
inline constexpr std::string_view openssl_profile = "hap-openssl-profile";
}  // namespace codes

struct analysis_options {
  reader_options reader_;
  // Whether a host name resolves; empty: names are not looked up (tests, the fuzzer).
  std::function<bool(const std::string&)> resolves_;
  // Whether a referenced file (or certificate directory) exists; empty: not checked.
  std::function<bool(const std::string&)> file_exists_;
  // The content of a referenced file that exists and is read to be checked (errorfiles);
  // nullopt when it cannot be read; empty: such files are not read.
  std::function<std::optional<std::string>(const std::string&)> read_file_;
  // Missing files and names that do not resolve are facts about this machine, not the file:
  // the linter warns (the file may be meant for another host); `haproxy -c` makes them errors
  // as HAProxy does, since the proxy could not start here.
  severity environment_severity_ = severity::warning;
  // analyse_haproxy_file keeps every line in analysis::tree_ (migrate reprints them); the
  // linter, which only reports, sets it false and the tree then holds each file's id only,
  // so a large file's words are never all in memory at once.
  bool keep_tree_ = true;
};

struct analysis {
  syntax_tree tree_;
  config_model model_;
  // Some frontend or listen has a bind (HAProxy's -c exits 2 without one).
  bool has_listener_ = false;
};

// Reads `paths` (files or directories, as `haproxy -f`) and analyses them together.
analysis analyse_haproxy(source_registry& sources, std::span<const std::string> paths,
                         const analysis_options& options, diagnostics& diags);

// Analyses one file already in `sources`.
analysis analyse_haproxy_file(const source_registry& sources, file_id file,
                              const analysis_options& options, diagnostics& diags);

// The model and checks for a tree already read.
analysis analyse_tree(syntax_tree tree, const analysis_options& options, diagnostics& diags);

// getaddrinfo(), each name asked once per process.
std::function<bool(const std::string&)> system_resolver();
// stat() on the path.
std::function<bool(const std::string&)> system_file_exists();
// Reads a regular file whole; nullopt for anything else (a directory, no permission).
std::function<std::optional<std::string>(const std::string&)> system_file_reader();

}  // namespace tandem::parsers::haproxy
