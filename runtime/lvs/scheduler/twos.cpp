// twos (ip_vs_twos.c), weighted random twos choice: two destinations drawn with probability
// proportional to weight, the one with less overhead per weight taken.
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

class twos final : public scheduler {
 public:
  std::string_view name() const override { return "twos"; }
  void destinations_changed(std::span<const destination>, const change&) override {}
  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context& ctx) override {
    std::uint64_t total = 0;
    for (const auto& d : dests)
      if (usable(d)) total += static_cast<std::uint64_t>(d.weight_);
    if (total == 0) return std::nullopt;
    // As IPVS: draws in [0, total] (total + 1 values), so a draw of 0 and of 1 both land on
    // the first destination.
    const auto bound = static_cast<std::uint32_t>(std::min<std::uint64_t>(total + 1, UINT32_MAX));
    std::int64_t r1 = ctx.random_below_ ? ctx.random_below_(bound) : 0;
    std::int64_t r2 = ctx.random_below_ ? ctx.random_below_(bound) : 0;
    std::optional<std::size_t> c1, c2;
    for (std::size_t i = 0; i < dests.size(); ++i) {
      if (!usable(dests[i])) continue;
      r1 -= dests[i].weight_;
      r2 -= dests[i].weight_;
      if (r1 <= 0 && !c1) c1 = i;
      if (r2 <= 0 && !c2) c2 = i;
      if (c1 && c2) break;
    }
    if (!c1) return c2;
    if (c2) {
      const auto& a = dests[*c1];
      const auto& b = dests[*c2];
      if (static_cast<__int128>(b.weight_) * conn_overhead(a) >
          static_cast<__int128>(a.weight_) * conn_overhead(b))
        return c2;
    }
    return c1;
  }
};

}  // namespace
std::unique_ptr<scheduler> make_twos() { return std::make_unique<twos>(); }
}  // namespace tandem::runtime::lvs::detail
