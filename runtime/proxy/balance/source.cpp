// balance source: the client address, as HAProxy hashes it (get_server_sh): the XOR of its
// 32-bit big-endian words, then avalanche when hash-type asks; the hash function is not used.
#include "runtime/proxy/balance/hashed.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

class source final : public hashed_algorithm {
 public:
  using hashed_algorithm::hashed_algorithm;

 private:
  std::optional<std::uint32_t> key(const request_keys& keys) const override {
    const std::span<const std::uint8_t> a = keys.source_address_;
    if (a.size() < 4) {
      return std::nullopt;  // not an IP client (a UNIX socket): servers in turn
    }
    std::uint32_t h = 0;
    for (std::size_t i = 0; i + 4 <= a.size(); i += 4) {
      h ^= std::uint32_t{a[i]} << 24 | std::uint32_t{a[i + 1]} << 16 |
           std::uint32_t{a[i + 2]} << 8 | std::uint32_t{a[i + 3]};
    }
    return options_.hash_.avalanche_ ? avalanche(h) : h;
  }
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string>, options&,
           std::string& error) {
  return no_parentheses("source", paren, error);
}

std::unique_ptr<algorithm> make(const options& o, group g, const random_source&) {
  return std::make_unique<source>(o, std::move(g));
}

}  // namespace

const algorithm_entry source_entry{"source", parse, dynamic_when_consistent, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
