// lc (ip_vs_lc.c): the usable destination with the least overhead (active*256 + inactive);
// the first of equals.
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

class lc final : public scheduler {
 public:
  std::string_view name() const override { return "lc"; }
  void destinations_changed(std::span<const destination>, const change&) override {}
  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context&) override {
    std::optional<std::size_t> least;
    std::uint64_t loh = 0;
    for (std::size_t i = 0; i < dests.size(); ++i) {
      if (!usable(dests[i])) continue;
      const std::uint64_t doh = conn_overhead(dests[i]);
      if (!least || doh < loh) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }
};

}  // namespace
std::unique_ptr<scheduler> make_lc() { return std::make_unique<lc>(); }
}  // namespace tandem::runtime::lvs::detail
