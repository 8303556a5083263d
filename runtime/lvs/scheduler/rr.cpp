// rr (ip_vs_rr.c): the next usable destination after the last one chosen, in list order.
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

class rr final : public scheduler {
 public:
  std::string_view name() const override { return "rr"; }
  void destinations_changed(std::span<const destination> dests, const change& c) override {
    // The cursor is a list node in IPVS: it stays on its destination when another is added at
    // the head, and moves to the previous node when its own destination is removed.
    using k = change::kind;
    if (last_) {
      if (c.kind_ == k::added) ++*last_;
      else if (c.kind_ == k::removed && c.index_ <= *last_) {
        if (*last_ == 0) last_.reset();
        else --*last_;
      } else if (c.kind_ == k::reset) last_.reset();
    }
    if (last_ && *last_ >= dests.size()) last_.reset();
  }
  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context&) override {
    const std::size_t n = dests.size();
    if (n == 0) return std::nullopt;
    // From the entry after the cursor round to the cursor itself (one whole turn).
    const std::size_t start = last_ ? *last_ + 1 : 0;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (start + k) % n;
      if (usable(dests[i])) {
        last_ = i;
        return i;
      }
    }
    return std::nullopt;
  }

 private:
  std::optional<std::size_t> last_;  // nullopt: the list head
};

}  // namespace
std::unique_ptr<scheduler> make_rr() { return std::make_unique<rr>(); }
}  // namespace tandem::runtime::lvs::detail
