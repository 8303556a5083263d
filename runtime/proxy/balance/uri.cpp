// balance uri [whole] [len N] [depth N] [path-only]: the request target up to its '?' (all of
// it with whole), at most len characters and depth directories, hashed (get_server_uh).
#include "runtime/proxy/balance/hashed.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

// The path of a request target (HAProxy's http_get_path): from the first '/' after an
// optional scheme:// and authority; empty for "*" or a target without a path.
std::string_view path_of(std::string_view target) {
  std::size_t at = 0;
  const auto is_alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (target.empty() || target[0] == '*') {
    return {};
  }
  if (is_alpha(target[0])) {
    at = 1;
    while (at < target.size() && (is_alpha(target[at]) || is_digit(target[at]) ||
                                  target[at] == '+' || target[at] == '-' || target[at] == '.')) {
      ++at;
    }
    if (target.substr(at, 3) != "://") {
      return {};
    }
    at += 3;
  }
  const std::size_t slash = target.find('/', at);
  return slash == std::string_view::npos ? std::string_view{} : target.substr(slash);
}

class uri final : public hashed_algorithm {
 public:
  using hashed_algorithm::hashed_algorithm;

 private:
  std::optional<std::uint32_t> key(const request_keys& keys) const override {
    if (keys.uri_.empty()) {
      return std::nullopt;  // not an HTTP request
    }
    std::string_view target = options_.uri_path_only_ ? path_of(keys.uri_) : keys.uri_;
    if (options_.uri_len_ != 0 && target.size() > options_.uri_len_) {
      target = target.substr(0, options_.uri_len_);
    }
    // Stops before the '?' (unless whole) or before the slash that opens directory depth + 1.
    std::uint32_t slashes = 0;
    std::size_t end = 0;
    for (; end < target.size(); ++end) {
      if (target[end] == '/') {
        if (++slashes == options_.uri_depth_ + 1 && options_.uri_depth_ != 0) {
          break;
        }
      } else if (target[end] == '?' && !options_.uri_whole_) {
        break;
      }
    }
    return hash_key(options_.hash_, target.substr(0, end));
  }
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string> args, options& o,
           std::string& error) {
  if (!no_parentheses("uri", paren, error)) {
    return false;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "len" || a == "depth") {
      std::uint32_t n = 0;
      const std::string value = i + 1 < args.size() ? args[i + 1] : std::string{};
      if (!parse_positive(value, n)) {
        error = "balance uri: '" + a + "' expects a positive integer (got '" + value + "')";
        return false;
      }
      (a == "len" ? o.uri_len_ : o.uri_depth_) = n;
      ++i;
    } else if (a == "whole") {
      o.uri_whole_ = true;
    } else if (a == "path-only") {
      o.uri_path_only_ = true;
    } else {
      error = "balance uri only accepts 'len', 'depth', 'path-only' and 'whole' (got '" + a + "')";
      return false;
    }
  }
  return true;
}

std::unique_ptr<algorithm> make(const options& o, group g, const random_source&) {
  return std::make_unique<uri>(o, std::move(g));
}

}  // namespace

const algorithm_entry uri_entry{"uri", parse, dynamic_when_consistent, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
