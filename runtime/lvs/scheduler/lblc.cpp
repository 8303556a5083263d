// lblc (ip_vs_lblc.c), locality-based least connection: each destination address (a cache
// server's client target) keeps the real server it was last given, while that server is
// usable and not overloaded in IPVS's lblc sense (more active connections than its weight while
// another server runs below half its weight); else wlc picks a new one. Entries unused for
// 24 hours (sysctl lblc_expiration) are forgotten.
#include <map>

#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs::detail {

// Shared with lblcr.
bool locality_overloaded(const destination& d, std::span<const destination> dests) {
  if (d.active_ <= static_cast<std::uint32_t>(std::max(d.weight_, 0))) return false;
  for (const auto& o : dests)
    if (static_cast<std::int64_t>(o.active_) * 2 < o.weight_) return true;
  return false;
}

std::optional<std::size_t> find_destination(
    std::span<const destination> dests, const std::pair<boost::asio::ip::address, std::uint16_t>& id) {
  for (std::size_t i = 0; i < dests.size(); ++i)
    if (dests[i].address_ == id.first && dests[i].port_ == id.second) return i;
  return std::nullopt;
}

namespace {

constexpr auto expiration = std::chrono::hours(24);

class lblc final : public scheduler {
 public:
  std::string_view name() const override { return "lblc"; }
  void destinations_changed(std::span<const destination>, const change&) override {}
  std::optional<std::size_t> schedule(const connection& c, std::span<const destination> dests,
                                      const schedule_context& ctx) override {
    auto it = table_.find(c.destination_);
    if (it != table_.end() && ctx.now_ - it->second.last_use_ > expiration) {
      table_.erase(it);
      it = table_.end();
    }
    if (it != table_.end()) {
      if (auto i = find_destination(dests, it->second.dest_);
          i && dests[*i].weight_ > 0 && !locality_overloaded(dests[*i], dests)) {
        it->second.last_use_ = ctx.now_;
        return i;
      }
    }
    auto i = weighted_least_connection(dests);
    if (!i) return std::nullopt;
    table_[c.destination_] = entry{{dests[*i].address_, dests[*i].port_}, ctx.now_};
    return i;
  }

 private:
  struct entry {
    std::pair<boost::asio::ip::address, std::uint16_t> dest_;
    clock::time_point last_use_;
  };
  std::map<boost::asio::ip::address, entry> table_;
};

}  // namespace
std::unique_ptr<scheduler> make_lblc() { return std::make_unique<lblc>(); }
}  // namespace tandem::runtime::lvs::detail
