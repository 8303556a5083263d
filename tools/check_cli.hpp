// Command lines of `tandem check` and `tandem migrate`, parsed into plain structs.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::tools {

enum class check_format { text, json };

struct check_options {
  bool help_ = false;
  check_format format_ = check_format::text;  // --format text|json, --format=json
  bool strict_ = false;                       // --strict: warnings fail too
  bool cluster_ = false;  // --cluster: the keepalived files are machines of one cluster
  std::vector<std::string> files_;            // at least one; "--" ends the options
};

struct check_cli_result {
  check_options options_;
  std::optional<std::string> error_;  // usage error: exit 1
};

check_cli_result parse_check_cli(std::span<const std::string_view> args);
std::string check_usage();

struct migrate_options {
  bool help_ = false;
  std::string file_;  // exactly one
};

struct migrate_cli_result {
  migrate_options options_;
  std::optional<std::string> error_;
};

migrate_cli_result parse_migrate_cli(std::span<const std::string_view> args);
std::string migrate_usage();

}  // namespace tandem::tools
