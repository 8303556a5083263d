// balance hdr(NAME) [use_domain_only]: the first value of a request header, hashed
// (get_server_hh); with use_domain_only, only the domain label before the last dot of a
// Host-like value ("1wt" of "haproxy.1wt.eu"). No header, or an empty value: next in turn.
#include "runtime/proxy/balance/hashed.hpp"
#include "runtime/proxy/http/message.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

// A header's first comma-separated element, as HAProxy's http_find_header gives it: commas
// inside double quotes do not count, surrounding blanks are dropped.
std::string_view first_element(std::string_view v) {
  v = v.substr(0, http::list_element_end(v, 0));
  const auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!v.empty() && blank(v.front())) {
    v.remove_prefix(1);
  }
  while (!v.empty() && blank(v.back())) {
    v.remove_suffix(1);
  }
  return v;
}

// From the end: the last dot closes the domain and the dot before it opens it; without a
// dot, the whole value. A dot in the first character never opens nor closes it.
std::string_view domain_of(std::string_view v) {
  std::size_t end = v.size();
  bool in_domain = false;
  std::size_t at = v.size();
  for (; at > 0; --at) {
    if (in_domain) {
      if (v[at - 1] == '.') {
        break;
      }
    } else if (at < v.size() && v[at] == '.') {
      end = at;
      in_domain = true;
    }
  }
  return v.substr(at, end - at);
}

class hdr final : public hashed_algorithm {
 public:
  using hashed_algorithm::hashed_algorithm;

 private:
  std::optional<std::uint32_t> key(const request_keys& keys) const override {
    if (!keys.header_) {
      return std::nullopt;
    }
    const std::optional<std::string_view> value = keys.header_(options_.param_);
    if (!value) {
      return std::nullopt;
    }
    const std::string_view first = first_element(*value);
    if (first.empty()) {
      return std::nullopt;
    }
    return hash_key(options_.hash_, options_.use_domain_only_ ? domain_of(first) : first);
  }
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string> args, options& o,
           std::string& error) {
  if (!paren || paren->empty()) {
    error = "balance hdr requires an HTTP header field name: hdr(NAME)";
    return false;
  }
  o.param_ = std::string(*paren);
  for (const std::string& a : args) {
    if (a != "use_domain_only") {
      error = "balance hdr(" + o.param_ + ") only accepts the 'use_domain_only' modifier (got '" +
              a + "')";
      return false;
    }
    o.use_domain_only_ = true;
  }
  return true;
}

std::unique_ptr<algorithm> make(const options& o, group g, const random_source&) {
  return std::make_unique<hdr>(o, std::move(g));
}

}  // namespace

const algorithm_entry hdr_entry{"hdr", parse, dynamic_when_consistent, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
