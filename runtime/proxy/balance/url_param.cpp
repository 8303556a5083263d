// balance url_param NAME [check_post [max_wait]]: the value of a query-string parameter, hashed
// (get_server_ph). A parameter present with an empty value is hashed too; only an absent one
// sends the request to the next server in turn.
#include <cstring>

#include "runtime/proxy/balance/hashed.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

class url_param final : public hashed_algorithm {
 public:
  using hashed_algorithm::hashed_algorithm;

 private:
  std::optional<std::uint32_t> key(const request_keys& keys) const override {
    const std::string_view name = options_.param_;
    const std::size_t question = keys.uri_.find('?');
    if (question == std::string_view::npos) {
      return std::nullopt;
    }
    std::string_view rest = keys.uri_.substr(question + 1);
    // Parameter by parameter: NAME must be followed by '=' at the start of one.
    while (rest.size() > name.size()) {
      if (rest[name.size()] == '=' && rest.starts_with(name)) {
        const std::string_view value = rest.substr(name.size() + 1);
        return hash_key(options_.hash_, value.substr(0, value.find('&')));
      }
      const std::size_t amp = rest.find('&');
      if (amp == std::string_view::npos) {
        return std::nullopt;
      }
      rest.remove_prefix(amp + 1);
    }
    return std::nullopt;
  }
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string> args, options& o,
           std::string& error) {
  if (!no_parentheses("url_param", paren, error)) {
    return false;
  }
  if (args.empty() || args[0].empty()) {
    error = "balance url_param requires a URL parameter name";
    return false;
  }
  o.param_ = args[0];
  // check_post would also look for the parameter in a POST body; Tandem hashes the query
  // string only, so a POST whose parameter is in its body goes to the next server in turn.
  // HAProxy ignores the old <max_wait> after it, and so do we.
  if (args.size() >= 2 && args[1] != "check_post") {
    error = "balance url_param only accepts the 'check_post' modifier (got '" + args[1] + "')";
    return false;
  }
  return true;
}

std::unique_ptr<algorithm> make(const options& o, group g, const random_source&) {
  return std::make_unique<url_param>(o, std::move(g));
}

}  // namespace

const algorithm_entry url_param_entry{"url_param", parse, dynamic_when_consistent, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
