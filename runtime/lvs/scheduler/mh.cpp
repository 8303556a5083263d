// mh (ip_vs_mh.c), Maglev hashing: a lookup table of 4093 entries (IPVS's default
// CONFIG_IP_VS_MH_TAB_INDEX 12) filled by each destination's permutation (offset and skip from
// hsiphash of its address and port), destinations taking turns in proportion to weight/gcd
// (shifted down past 64 turns). The table uses each destination's last non-zero weight, so
// setting a weight to 0 leaves the table alone and only makes that destination unavailable.
// The key is the source address (plus the source port with mh-port); mh-fallback retries with
// hash(offset + key) as IPVS does.
#include <bit>
#include <map>
#include <numeric>
#include <vector>

#include "runtime/lvs/scheduler/hash.hpp"
#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {
namespace {

constexpr std::uint32_t tab_size = 4093;
constexpr int tab_bits = 6;  // CONFIG_IP_VS_MH_TAB_INDEX / 2
constexpr std::uint64_t k1 = 2654435761ULL, k2 = 2654446892ULL;

std::uint32_t mh_hash(const boost::asio::ip::address& a, std::uint16_t port, std::uint64_t key,
                      std::uint32_t offset) {
  return hsiphash_u32(offset + port + fold_address(a), key, key);
}

class mh final : public scheduler {
 public:
  mh(bool port, bool fallback) : port_(port), fallback_(fallback), lookup_(tab_size) {}
  std::string_view name() const override { return "mh"; }

  void destinations_changed(std::span<const destination> dests, const change&) override {
    std::vector<int> lw(dests.size());
    for (std::size_t i = 0; i < dests.size(); ++i) {
      const auto id = std::make_pair(dests[i].address_, dests[i].port_);
      if (dests[i].weight_ > 0) last_weight_[id] = dests[i].weight_;
      auto it = last_weight_.find(id);
      lw[i] = it == last_weight_.end() ? 0 : it->second;
    }
    int g = 0, max = 0;
    for (int w : lw) {
      if (w > 0) g = g > 0 ? std::gcd(w, g) : w;
      max = std::max(max, w);
    }
    if (g < 1 || dests.size() > tab_size) {
      std::fill(lookup_.begin(), lookup_.end(), std::nullopt);
      return;
    }
    const int shift = std::max(0, static_cast<int>(std::bit_width(static_cast<unsigned>(max / g))) - tab_bits);
    struct setup { std::uint32_t perm, skip; int turns; };
    std::vector<setup> ds(dests.size());
    for (std::size_t i = 0; i < dests.size(); ++i) {
      ds[i].perm = mh_hash(dests[i].address_, dests[i].port_, k1, 0) % tab_size;
      ds[i].skip = mh_hash(dests[i].address_, dests[i].port_, k2, 0) % (tab_size - 1) + 1;
      const int t = (lw[i] / g) >> shift;
      ds[i].turns = t ? t : (lw[i] != 0);
    }
    std::vector<bool> taken(tab_size);
    std::uint32_t n = 0;
    std::size_t p = 0;
    int dt_count = 0;
    while (n < tab_size) {
      if (p == dests.size()) p = 0;
      while (p < dests.size()) {
        if (ds[p].turns < 1) {
          ++p;
          continue;
        }
        std::uint32_t c = ds[p].perm;
        while (taken[c]) {
          ds[p].perm += ds[p].skip;
          if (ds[p].perm >= tab_size) ds[p].perm -= tab_size;
          c = ds[p].perm;
        }
        taken[c] = true;
        lookup_[c] = p;
        if (++n == tab_size) return;
        if (++dt_count >= ds[p].turns) {
          dt_count = 0;
          ++p;
        }
      }
    }
  }

  std::optional<std::size_t> schedule(const connection& c, std::span<const destination> dests,
                                      const schedule_context&) override {
    const std::uint16_t port = port_ ? c.source_port_ : 0;
    const auto ok = [&](std::optional<std::size_t> b) {
      return b && *b < dests.size() && usable(dests[*b]);
    };
    const std::uint32_t ihash = mh_hash(c.source_, port, k1, 0) % tab_size;
    auto d = lookup_[ihash];
    if (ok(d)) return d;
    if (!fallback_ || !d) return std::nullopt;
    for (std::uint32_t offset = 0; offset < tab_size; ++offset) {
      const std::uint32_t roffset = (offset + ihash) % tab_size;
      d = lookup_[mh_hash(c.source_, port, k1, roffset) % tab_size];
      if (!d) break;
      if (ok(d)) return d;
    }
    return std::nullopt;
  }

  // For tests: the lookup table's owner of one entry.
  std::optional<std::size_t> entry(std::uint32_t i) const { return lookup_[i]; }

 private:
  bool port_, fallback_;
  std::vector<std::optional<std::size_t>> lookup_;
  std::map<std::pair<boost::asio::ip::address, std::uint16_t>, int> last_weight_;
};

}  // namespace
std::unique_ptr<scheduler> make_mh(bool port, bool fallback) {
  return std::make_unique<mh>(port, fallback);
}
}  // namespace tandem::runtime::lvs::detail
