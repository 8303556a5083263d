// HAProxy's map-based lookup (lb_map.c): the weighted slot array behind static-rr and
// hash-type map-based.
#include <algorithm>
#include <cassert>
#include <numeric>

#include "runtime/proxy/balance/lookup.hpp"

namespace tandem::runtime::proxy::balance::detail {

server_map::server_map(group g) : group_(std::move(g)) {
  // HAProxy divides every weight by the gcd of all the backend's configured weights (actives
  // and backups, zeros skipped) to keep the map small; the modulo of a hash depends on it.
  std::uint32_t gcd = 0;
  for (const server_state& s : group_.servers_) {
    gcd = std::gcd(gcd, s.initial_weight_);
  }
  gcd_ = gcd == 0 ? 1 : gcd;
  std::uint32_t largest = 0;
  for (std::uint32_t id : group_.members_) {
    const server_state& s = group_.servers_[id];
    largest += (std::max(s.initial_weight_, s.weight_) + gcd_ - 1) / gcd_;
  }
  slots_.reserve(std::max<std::uint32_t>(largest, 1));
  score_.assign(group_.servers_.size(), 0);
  rebuild();
}

std::uint32_t server_map::map_weight(const server_state& s) const {
  return (s.weight_ + gcd_ - 1) / gcd_;
}

void server_map::members_changed(std::uint32_t /*id*/) {
  rebuild();
}

void server_map::rebuild() {
  std::int64_t total = 0;
  for (std::uint32_t id : group_.members_) {
    const server_state& s = group_.servers_[id];
    if (s.eligible()) {
      total += map_weight(s);
    }
  }
  slots_.resize(static_cast<std::size_t>(total));
  std::fill(score_.begin(), score_.end(), 0);
  // Each slot goes to the server whose running score crosses the total first; declaration order
  // wins ties, so the first server always takes slot 0.
  for (std::int64_t slot = 0; slot < total; ++slot) {
    std::optional<std::uint32_t> best;
    std::int64_t best_value = 0;
    for (std::uint32_t id : group_.members_) {
      const server_state& s = group_.servers_[id];
      if (!s.eligible()) {
        continue;
      }
      if (total == 1) {
        best = id;
        break;
      }
      score_[id] += map_weight(s);
      const std::int64_t value = (score_[id] + total) / total;
      if (!best || value > best_value) {
        best_value = value;
        best = id;
      }
    }
    assert(best);
    slots_[static_cast<std::size_t>(slot)] = *best;
    score_[*best] -= total;
  }
}

std::optional<std::uint32_t> server_map::by_hash(std::uint32_t hash) const {
  if (slots_.empty()) {
    return std::nullopt;
  }
  return slots_[hash % slots_.size()];
}

std::optional<std::uint32_t> server_map::round_robin() {
  const std::uint32_t total = static_cast<std::uint32_t>(slots_.size());
  if (total == 0) {
    return std::nullopt;
  }
  if (next_slot_ >= total) {
    next_slot_ = 0;
  }
  std::uint32_t slot = next_slot_;
  do {
    const std::uint32_t id = slots_[slot++];
    if (!group_.servers_[id].full()) {
      next_slot_ = slot;
      return id;
    }
    if (slot == total) {
      slot = 0;
    }
  } while (slot != next_slot_);
  return std::nullopt;
}

}  // namespace tandem::runtime::proxy::balance::detail
