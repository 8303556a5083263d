// wlc (ip_vs_wlc.c), IPVS's default: the least overhead per weight; the first of equals.
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {

std::optional<std::size_t> weighted_least_connection(std::span<const destination> dests) {
  std::size_t i = 0;
  while (i < dests.size() && !usable(dests[i])) ++i;
  if (i == dests.size()) return std::nullopt;
  std::size_t least = i;
  std::uint64_t loh = conn_overhead(dests[i]);
  for (++i; i < dests.size(); ++i) {
    if (dests[i].overloaded_) continue;
    const std::uint64_t doh = conn_overhead(dests[i]);
    if (lighter(loh, dests[least], doh, dests[i])) {
      least = i;
      loh = doh;
    }
  }
  return least;
}

namespace {
class wlc final : public scheduler {
 public:
  std::string_view name() const override { return "wlc"; }
  void destinations_changed(std::span<const destination>, const change&) override {}
  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context&) override {
    return weighted_least_connection(dests);
  }
};
}  // namespace
std::unique_ptr<scheduler> make_wlc() { return std::make_unique<wlc>(); }
}  // namespace tandem::runtime::lvs::detail
