// dh (ip_vs_dh.c), destination hashing: 256 buckets dealt to the destinations in list order,
// one each in turn (weights play no part but 0 = unavailable); the bucket is
// hash_32(destination address, 8). No fallback: an unavailable bucket owner refuses.
#include <array>

#include "runtime/lvs/scheduler/hash.hpp"
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

constexpr unsigned tab_bits = 8;
constexpr std::size_t tab_size = 1u << tab_bits;

class dh final : public scheduler {
 public:
  std::string_view name() const override { return "dh"; }
  void destinations_changed(std::span<const destination> dests, const change&) override {
    for (std::size_t i = 0; i < tab_size; ++i) {
      if (dests.empty()) buckets_[i].reset();
      else buckets_[i] = i % dests.size();
    }
  }
  std::optional<std::size_t> schedule(const connection& c, std::span<const destination> dests,
                                      const schedule_context&) override {
    const auto b = buckets_[hash_32(fold_address(c.destination_), tab_bits)];
    if (!b || *b >= dests.size() || !usable(dests[*b])) return std::nullopt;
    return b;
  }

 private:
  std::array<std::optional<std::size_t>, tab_size> buckets_{};
};

}  // namespace
std::unique_ptr<scheduler> make_dh() { return std::make_unique<dh>(); }
}  // namespace tandem::runtime::lvs::detail
