// Parsing `tandem check` and `tandem migrate` arguments (see check_cli.hpp).
#include "tools/check_cli.hpp"
#include "tools/text.hpp"

namespace tandem::tools {

check_cli_result parse_check_cli(std::span<const std::string_view> args) {
  check_cli_result result;
  check_options& o = result.options_;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_done || arg == "-" || !arg.starts_with("-")) {
      o.files_.emplace_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (arg == "-h" || arg == "--help") {
      o.help_ = true;
      return result;
    } else if (arg == "--strict") {
      o.strict_ = true;
    } else if (arg == "--cluster") {
      o.cluster_ = true;
    } else if (arg == "--format" || arg.starts_with("--format=")) {
      std::string_view value;
      if (arg == "--format") {
        if (i + 1 >= args.size()) {
          result.error_ = "option '--format' requires an argument: text or json";
          return result;
        }
        value = args[++i];
      } else {
        value = arg.substr(9);
      }
      if (value == "text") {
        o.format_ = check_format::text;
      } else if (value == "json") {
        o.format_ = check_format::json;
      } else {
        result.error_ = "invalid --format " + single_quoted(value) + ": expected text or json";
        return result;
      }
    } else {
      result.error_ = "unknown option " + single_quoted(arg);
      return result;
    }
  }
  if (o.files_.empty()) {
    result.error_ = "no configuration file given";
  }
  return result;
}

std::string check_usage() {
  return "Usage: tandem check [--format text|json] [--strict] [--cluster] FILE...\n"
         "Reports problems in HAProxy and keepalived configuration files (the language is\n"
         "detected from the content), gcc-style or as JSON.\n"
         "  --format text|json  output format (default: text)\n"
         "  --strict            warnings fail the check too\n"
         "  --cluster           the keepalived files are the machines of one cluster: their\n"
         "                      shared VRRP instances must agree\n"
         "  -h, --help          show this help\n";
}

migrate_cli_result parse_migrate_cli(std::span<const std::string_view> args) {
  migrate_cli_result result;
  std::vector<std::string_view> files;
  bool options_done = false;
  for (const std::string_view arg : args) {
    if (options_done || arg == "-" || !arg.starts_with("-")) {
      files.push_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (arg == "-h" || arg == "--help") {
      result.options_.help_ = true;
      return result;
    } else {
      result.error_ = "unknown option " + single_quoted(arg);
      return result;
    }
  }
  if (files.size() != 1) {
    result.error_ = files.empty() ? "no configuration file given"
                                  : "exactly one configuration file expected, got " +
                                        std::to_string(files.size());
    return result;
  }
  result.options_.file_ = std::string(files.front());
  return result;
}

std::string migrate_usage() {
  return "Usage: tandem migrate FILE\n"
         "Prints FILE (HAProxy or keepalived, detected from the content) in today's syntax.\n"
         "  -h, --help  show this help\n";
}

}  // namespace tandem::tools
