// fo (ip_vs_fo.c), weighted fail-over: the usable destination with the highest weight; the
// first of equals.
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

class fo final : public scheduler {
 public:
  std::string_view name() const override { return "fo"; }
  void destinations_changed(std::span<const destination>, const change&) override {}
  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context&) override {
    std::optional<std::size_t> best;
    int hw = 0;
    for (std::size_t i = 0; i < dests.size(); ++i) {
      if (!dests[i].overloaded_ && dests[i].weight_ > hw) {
        best = i;
        hw = dests[i].weight_;
      }
    }
    return best;
  }
};

}  // namespace
std::unique_ptr<scheduler> make_fo() { return std::make_unique<fo>(); }
}  // namespace tandem::runtime::lvs::detail
