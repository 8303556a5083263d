// balance static-rr: servers in turn through HAProxy's weighted map (lb_map.c); weights are
// static (only 0 and the initial weight), a state change rebuilds the map at once.
#include "runtime/proxy/balance/algorithm.hpp"
#include "runtime/proxy/balance/lookup.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

class static_rr final : public algorithm {
 public:
  explicit static_rr(group g) : map_(std::move(g)) {}

  void server_up(std::uint32_t id) override { map_.members_changed(id); }
  void server_down(std::uint32_t id, std::uint32_t) override { map_.members_changed(id); }
  void weight_changed(std::uint32_t id, std::uint32_t) override { map_.members_changed(id); }
  std::optional<std::uint32_t> pick(const request_keys&) override { return map_.round_robin(); }

 private:
  server_map map_;
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string>, options&,
           std::string& error) {
  return no_parentheses("static-rr", paren, error);
}

bool never_dynamic(const options&) {
  return false;
}

std::unique_ptr<algorithm> make(const options&, group g, const random_source&) {
  return std::make_unique<static_rr>(std::move(g));
}

}  // namespace

const algorithm_entry static_rr_entry{"static-rr", parse, never_dynamic, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
