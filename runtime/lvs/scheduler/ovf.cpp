// ovf (ip_vs_ovf.c), overflow: the highest-weight destination whose active connections do not
// exceed its weight; the first of equals.
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

class ovf final : public scheduler {
 public:
  std::string_view name() const override { return "ovf"; }
  void destinations_changed(std::span<const destination>, const change&) override {}
  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context&) override {
    std::optional<std::size_t> h;
    for (std::size_t i = 0; i < dests.size(); ++i) {
      const auto& d = dests[i];
      if (d.overloaded_ || d.weight_ <= 0 || d.active_ > static_cast<std::uint32_t>(d.weight_))
        continue;
      if (!h || d.weight_ > dests[*h].weight_) h = i;
    }
    return h;
  }
};

}  // namespace
std::unique_ptr<scheduler> make_ovf() { return std::make_unique<ovf>(); }
}  // namespace tandem::runtime::lvs::detail
