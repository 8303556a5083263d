// wrr (ip_vs_wrr.c): weighted round robin by stepping a current weight `cw` down from the
// largest weight by the weights' gcd; each pass over the list takes the destinations whose
// weight is at least `cw`. Weights 4, 3, 2 give A A B A B C A B C, then again.
#include <numeric>

#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

class wrr final : public scheduler {
 public:
  std::string_view name() const override { return "wrr"; }

  void destinations_changed(std::span<const destination> dests, const change&) override {
    // IPVS's ip_vs_wrr_dest_changed(): the cursor goes back to the head, gcd and max weight are
    // recomputed, and cw is kept where still meaningful.
    const bool first = !initialised_;
    initialised_ = true;
    cl_ = npos;
    int g = 0, max = 0;
    for (const auto& d : dests) {
      if (d.weight_ > 0) g = g > 0 ? std::gcd(d.weight_, g) : d.weight_;
      max = std::max(max, d.weight_);
    }
    di_ = g ? g : 1;
    mw_ = max - (di_ - 1);
    if (first) {
      cw_ = mw_;  // ip_vs_wrr_init_svc
    } else if (cw_ > mw_ || cw_ == 0) {
      cw_ = mw_;
    } else if (di_ > 1) {
      cw_ = (cw_ / di_) * di_ + 1;
    }
  }

  std::optional<std::size_t> schedule(const connection&, std::span<const destination> dests,
                                      const schedule_context&) override {
    if (mw_ == 0) return std::nullopt;
    const std::size_t n = dests.size();
    const std::size_t last = cl_;
    std::size_t stop = npos;
    bool last_pass = false, restarted = false;
    // `pos` walks like list_for_each_entry_continue from the cursor: entries after it up to the
    // list's end; the next outer turn starts again from the head.
    std::size_t pos = cl_;
    for (;;) {
      for (std::size_t i = pos == npos ? 0 : pos + 1; i < n; ++i) {
        if (!dests[i].overloaded_ && dests[i].weight_ >= cw_) {
          cl_ = i;
          return i;
        }
        if (i == stop) {
          cl_ = i;
          return std::nullopt;  // all destinations are overloaded
        }
      }
      pos = npos;
      cw_ -= di_;
      if (cw_ <= 0) {
        cw_ = mw_;
        if (last_pass || last == npos) {
          cl_ = npos;
          return std::nullopt;
        }
        restarted = true;
      }
      last_pass = cw_ <= di_;
      if (last_pass && restarted && last != npos) stop = last;
    }
  }

 private:
  bool initialised_ = false;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t cl_ = npos;  // the last chosen; npos: the list head
  int cw_ = 0, mw_ = 0, di_ = 1;
};

}  // namespace
std::unique_ptr<scheduler> make_wrr() { return std::make_unique<wrr>(); }
}  // namespace tandem::runtime::lvs::detail
