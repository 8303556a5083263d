// sed (ip_vs_sed.c), shortest expected delay: (active + 1) / weight, inactive ignored.
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

class sed final : public scheduler {
 public:
  std::string_view name() const override { return "sed"; }
  void destinations_changed(std::span<const destination>, const change&) override {}
  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context&) override {
    std::size_t i = 0;
    while (i < dests.size() && !usable(dests[i])) ++i;
    if (i == dests.size()) return std::nullopt;
    std::size_t least = i;
    std::uint64_t loh = std::uint64_t{dests[i].active_} + 1;
    for (++i; i < dests.size(); ++i) {
      if (dests[i].overloaded_) continue;
      const std::uint64_t doh = std::uint64_t{dests[i].active_} + 1;
      if (lighter(loh, dests[least], doh, dests[i])) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }
};

}  // namespace
std::unique_ptr<scheduler> make_sed() { return std::make_unique<sed>(); }
}  // namespace tandem::runtime::lvs::detail
