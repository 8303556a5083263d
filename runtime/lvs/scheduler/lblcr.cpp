// lblcr (ip_vs_lblcr.c), locality-based least connection with replication: each destination
// address keeps a set of real servers; the least loaded member (per weight) serves unless it is
// overloaded in lblc's sense, when wlc's pick over all servers joins the set. A set that has
// not grown for 24 hours (sysctl lblcr_expiration) sheds its most loaded member.
#include <map>
#include <vector>

#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {

bool locality_overloaded(const destination& d, std::span<const destination> dests);
std::optional<std::size_t> find_destination(
    std::span<const destination> dests, const std::pair<boost::asio::ip::address, std::uint16_t>& id);

namespace {

constexpr auto expiration = std::chrono::hours(24);
using dest_id = std::pair<boost::asio::ip::address, std::uint16_t>;

class lblcr final : public scheduler {
 public:
  std::string_view name() const override { return "lblcr"; }
  void destinations_changed(std::span<const destination>, const change&) override {}

  std::optional<std::size_t> schedule(const connection& c, std::span<const destination> dests,
                                      const schedule_context& ctx) override {
    auto it = table_.find(c.destination_);
    if (it == table_.end()) {
      auto i = weighted_least_connection(dests);
      if (!i) return std::nullopt;
      table_[c.destination_] = entry{{{dests[*i].address_, dests[*i].port_}}, ctx.now_, ctx.now_};
      return i;
    }
    entry& en = it->second;
    en.last_use_ = ctx.now_;
    const auto least = set_min(en, dests);
    if (en.set_.size() > 1 && ctx.now_ - en.last_mod_ > expiration) {
      if (auto m = set_max(en, dests)) en.set_.erase(en.set_.begin() + static_cast<std::ptrdiff_t>(*m));
    }
    if (least && !locality_overloaded(dests[*least], dests)) return least;
    auto i = weighted_least_connection(dests);
    if (!i) return std::nullopt;
    const dest_id id{dests[*i].address_, dests[*i].port_};
    if (std::find(en.set_.begin(), en.set_.end(), id) == en.set_.end()) {
      en.set_.insert(en.set_.begin(), id);  // IPVS adds at the set's head
      en.last_mod_ = ctx.now_;
    }
    return i;
  }

 private:
  struct entry {
    std::vector<dest_id> set_;
    clock::time_point last_use_, last_mod_;
  };

  // The member with the least overhead per weight (an index into dests).
  static std::optional<std::size_t> set_min(const entry& en, std::span<const destination> dests) {
    std::optional<std::size_t> least;
    std::uint64_t loh = 0;
    for (const auto& id : en.set_) {
      auto i = find_destination(dests, id);
      if (!i || dests[*i].overloaded_) continue;
      if (!least) {
        if (dests[*i].weight_ > 0) {
          least = i;
          loh = conn_overhead(dests[*i]);
        }
        continue;
      }
      const std::uint64_t doh = conn_overhead(dests[*i]);
      if (lighter(loh, dests[*least], doh, dests[*i])) {
        least = i;
        loh = doh;
      }
    }
    return least;
  }
  // The member with the most overhead per weight (an index into en.set_).
  static std::optional<std::size_t> set_max(const entry& en, std::span<const destination> dests) {
    std::optional<std::size_t> most;
    const destination* md = nullptr;
    std::uint64_t moh = 0;
    for (std::size_t k = 0; k < en.set_.size(); ++k) {
      auto i = find_destination(dests, en.set_[k]);
      if (!i) {
        if (!most) return k;  // a server no longer in the service goes first
        continue;
      }
      const auto& d = dests[*i];
      const std::uint64_t doh = conn_overhead(d);
      if (!most) {
        if (d.weight_ > 0) {
          most = k;
          md = &d;
          moh = doh;
        }
        continue;
      }
      if (d.weight_ > 0 &&
          static_cast<__int128>(moh) * d.weight_ < static_cast<__int128>(doh) * md->weight_) {
        most = k;
        md = &d;
        moh = doh;
      }
    }
    return most;
  }

  std::map<boost::asio::ip::address, entry> table_;
};

}  // namespace
std::unique_ptr<scheduler> make_lblcr() { return std::make_unique<lblcr>(); }
}  // namespace tandem::runtime::lvs::detail
