// The table of balance algorithms by name (HAProxy's `balance` keywords), and the small parsing
// helpers their entries share.
#include <array>
#include <charconv>

#include "runtime/proxy/balance/algorithm.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

// Listed here rather than registered from static constructors: in a static library, an object
// file nothing refers to is left out of the link, and its registration with it.
constexpr std::array<const algorithm_entry*, 10> table{
    &roundrobin_entry, &static_rr_entry, &leastconn_entry, &first_entry,  &source_entry,
    &uri_entry,        &url_param_entry, &hdr_entry,       &random_entry, &rdp_cookie_entry,
};

}  // namespace

std::span<const algorithm_entry* const> registry() {
  return table;
}

const algorithm_entry* find_algorithm(std::string_view name) {
  for (const algorithm_entry* e : table) {
    if (e->name_ == name) {
      return e;
    }
  }
  return nullptr;
}

bool no_parentheses(std::string_view name, std::optional<std::string_view> paren,
                    std::string& error) {
  if (paren) {
    error = "balance " + std::string(name) + " takes no argument in parentheses";
    return false;
  }
  return true;
}

bool parse_positive(std::string_view word, std::uint32_t& out) {
  const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
  return ec == std::errc{} && end == word.data() + word.size() && out > 0;
}

bool always_dynamic(const options&) {
  return true;
}

}  // namespace tandem::runtime::proxy::balance::detail
