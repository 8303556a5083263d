// sh (ip_vs_sh.c), source hashing: 256 buckets dealt in list order, `weight` consecutive
// buckets per destination (one for weight 0); the bucket is hash_32(source port + source
// address, 8), the port only with sh-port. sh-fallback: when the bucket's owner is unavailable,
// try (offset + hash) for offsets from the original bucket on, as IPVS does.
#include <array>

#include "runtime/lvs/scheduler/hash.hpp"
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

constexpr unsigned tab_bits = 8;
constexpr std::size_t tab_size = 1u << tab_bits;
constexpr std::uint32_t tab_mask = tab_size - 1;

class sh final : public scheduler {
 public:
  sh(bool port, bool fallback) : port_(port), fallback_(fallback) {}
  std::string_view name() const override { return "sh"; }

  void destinations_changed(std::span<const destination> dests, const change&) override {
    std::size_t p = 0;
    int count = 0;
    for (std::size_t i = 0; i < tab_size; ++i) {
      if (dests.empty()) {
        buckets_[i].reset();
        continue;
      }
      if (p == dests.size()) p = 0;
      buckets_[i] = p;
      if (++count >= dests[p].weight_) {
        ++p;
        count = 0;
      }
    }
  }

  std::optional<std::size_t> schedule(const connection& c, std::span<const destination> dests,
                                      const schedule_context&) override {
    const std::uint32_t key =
        (port_ && c.protocol_ != protocol{0} ? c.source_port_ : 0u) + fold_address(c.source_);
    const auto bucket = [&](std::uint32_t offset) {
      return (offset + hash_32(key, tab_bits)) & tab_mask;
    };
    const auto ok = [&](std::optional<std::size_t> b) {
      return b && *b < dests.size() && usable(dests[*b]);
    };
    const std::uint32_t ihash = bucket(0);
    auto b = buckets_[ihash];
    if (ok(b)) return b;
    if (!fallback_ || !b) return std::nullopt;
    for (std::uint32_t offset = 0; offset < tab_size; ++offset) {
      const std::uint32_t roffset = (offset + ihash) % tab_size;
      b = buckets_[bucket(roffset)];
      if (!b) break;
      if (ok(b)) return b;
    }
    return std::nullopt;
  }

 private:
  bool port_, fallback_;
  std::array<std::optional<std::size_t>, tab_size> buckets_{};
};

}  // namespace
std::unique_ptr<scheduler> make_sh(bool port, bool fallback) {
  return std::make_unique<sh>(port, fallback);
}
}  // namespace tandem::runtime::lvs::detail
