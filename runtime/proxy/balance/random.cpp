// balance random[(DRAWS)]: random numbers looked up on the consistent-hash ring (whatever
// hash-type says), keeping of DRAWS picks (2 by default, the "power of two choices") the one
// with the fewest connections per weight (get_server_rnd).
#include <charconv>

#include "runtime/proxy/balance/algorithm.hpp"
#include "runtime/proxy/balance/lookup.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

class random_algorithm final : public algorithm {
 public:
  random_algorithm(std::uint32_t draws, group g, const random_source& random)
      : draws_(draws), servers_(g.servers_), ring_(std::move(g)), random_(random) {}

  void server_up(std::uint32_t id) override { ring_.members_changed(id); }
  void server_down(std::uint32_t id, std::uint32_t) override { ring_.members_changed(id); }
  void weight_changed(std::uint32_t id, std::uint32_t) override { ring_.members_changed(id); }

  std::optional<std::uint32_t> pick(const request_keys&) override {
    std::optional<std::uint32_t> best;
    for (std::uint32_t draw = 0; draw < draws_; ++draw) {
      const std::optional<std::uint32_t> drawn = ring_.by_hash(random_());
      if (!drawn) {
        break;
      }
      // Keep the earlier pick when the new one is more loaded relative to its weight.
      if (best && *best != *drawn && load_above(*drawn, *best)) {
        continue;
      }
      best = drawn;
    }
    // A full server means none: the request waits in the backend's queue in HAProxy.
    if (best && servers_[*best].full()) {
      return std::nullopt;
    }
    return best;
  }

 private:
  bool load_above(std::uint32_t a, std::uint32_t b) const {
    const server_state& x = servers_[a];
    const server_state& y = servers_[b];
    return std::uint64_t{x.connections_} * y.weight_ > std::uint64_t{y.connections_} * x.weight_;
  }

  std::uint32_t draws_;
  std::span<server_state> servers_;
  chash_ring ring_;
  const random_source& random_;
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string>, options& o,
           std::string& error) {
  if (!paren || paren->empty()) {
    return true;
  }
  std::uint32_t draws = 0;
  const auto [end, ec] = std::from_chars(paren->data(), paren->data() + paren->size(), draws);
  if (ec != std::errc{} || end != paren->data() + paren->size()) {
    error = "balance random: the number of draws must be an integer (got '" + std::string(*paren) +
            "')";
    return false;
  }
  if (draws < 1) {
    error = "balance random: the number of draws must be at least 1";
    return false;
  }
  o.draws_ = draws;
  return true;
}

std::unique_ptr<algorithm> make(const options& o, group g, const random_source& random) {
  return std::make_unique<random_algorithm>(o.draws_, std::move(g), random);
}

}  // namespace

const algorithm_entry random_entry{"random", parse, always_dynamic, true, make};

}  // namespace tandem::runtime::proxy::balance::detail
