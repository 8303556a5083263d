// nq (ip_vs_nq.c), never queue: the first idle destination (no active connection); else as sed.
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

class nq final : public scheduler {
 public:
  std::string_view name() const override { return "nq"; }
  void destinations_changed(std::span<const destination>, const change&) override {}
  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context&) override {
    std::optional<std::size_t> least;
    std::uint64_t loh = 0;
    for (std::size_t i = 0; i < dests.size(); ++i) {
      if (!usable(dests[i])) continue;
      const std::uint64_t doh = std::uint64_t{dests[i].active_} + 1;
      if (dests[i].active_ == 0) return i;
      if (!least || lighter(loh, dests[*least], doh, dests[i])) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }
};

}  // namespace
std::unique_ptr<scheduler> make_nq() { return std::make_unique<nq>(); }
}  // namespace tandem::runtime::lvs::detail
