// HAProxy's consistent-hash lookup (lb_chash.c): the ring behind hash-type consistent and
// balance random.
#include <algorithm>
#include <cassert>

#include "runtime/proxy/balance/lookup.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

// SRV_EWGHT_RANGE: a server's points are numbered from puid x 4096, so that the points of
// servers with different ids never share an input.
constexpr std::uint32_t points_per_id = 4096;

bool before(std::uint32_t key_a, std::uint64_t order_a, std::uint32_t key_b,
            std::uint64_t order_b) {
  return key_a != key_b ? key_a < key_b : order_a < order_b;
}

}  // namespace

chash_ring::chash_ring(group g) : group_(std::move(g)) {
  points_.assign(group_.servers_.size(), 0);
  for (std::uint32_t id : group_.members_) {
    members_changed(id);
  }
}

std::size_t chash_ring::position_of(const point& p) const {
  auto it = std::lower_bound(ring_.begin(), ring_.end(), p, [](const point& a, const point& b) {
    return before(a.key_, a.order_, b.key_, b.order_);
  });
  assert(it != ring_.end() && it->order_ == p.order_);
  return static_cast<std::size_t>(it - ring_.begin());
}

void chash_ring::members_changed(std::uint32_t id) {
  const server_state& s = group_.servers_[id];
  const std::uint32_t target = s.eligible() ? s.weight_ * weight_scale : 0;
  std::uint32_t& now = points_[id];
  if (target < now) {
    // HAProxy deletes the highest-numbered points first; when round_robin stopped on one, the
    // next point still on the ring takes its place.
    for (std::uint32_t j = now; j-- > target;) {
      if (!last_ || last_->id_ != id || last_->index_ != j) {
        continue;
      }
      const std::size_t at = position_of(*last_);
      std::optional<point> next;
      for (std::size_t k = (at + 1) % ring_.size(); k != at; k = (k + 1) % ring_.size()) {
        const point& p = ring_[k];
        if (p.id_ != id || p.index_ < j) {
          next = p;
          break;
        }
      }
      last_ = next;
    }
    std::erase_if(ring_, [&](const point& p) { return p.id_ == id && p.index_ >= target; });
  } else if (target > now) {
    for (std::uint32_t j = now; j < target; ++j) {
      ring_.push_back(point{avalanche(s.puid_ * points_per_id + j), next_order_++, id, j});
    }
    std::sort(ring_.begin(), ring_.end(), [](const point& a, const point& b) {
      return before(a.key_, a.order_, b.key_, b.order_);
    });
  }
  now = target;
}

std::optional<std::uint32_t> chash_ring::by_hash(std::uint32_t hash) const {
  if (ring_.empty()) {
    return std::nullopt;
  }
  auto it = std::lower_bound(ring_.begin(), ring_.end(), hash,
                             [](const point& p, std::uint32_t h) { return p.key_ < h; });
  const point& next = it == ring_.end() ? ring_.front() : *it;
  const point& prev = it == ring_.begin() || it == ring_.end() ? ring_.back() : *(it - 1);
  // Distances around the ring, modulo 2^32; the point before wins a tie.
  const std::uint32_t to_prev = hash - prev.key_;
  const std::uint32_t to_next = next.key_ - hash;
  return to_prev <= to_next ? prev.id_ : next.id_;
}

std::optional<std::uint32_t> chash_ring::round_robin() {
  if (ring_.empty()) {
    last_.reset();
    return std::nullopt;
  }
  // Point after point around the ring, from where the previous call stopped. As in HAProxy,
  // a walk that starts without a previous point checks only the first one.
  std::optional<std::size_t> stop;
  if (last_) {
    stop = position_of(*last_);
  }
  std::optional<std::size_t> at = stop;
  do {
    at = at ? (*at + 1) % ring_.size() : 0;
    last_ = ring_[*at];
    if (!stop) {
      stop = at;
    }
    if (!group_.servers_[ring_[*at].id_].full()) {
      return ring_[*at].id_;
    }
  } while (at != stop);
  return std::nullopt;
}

}  // namespace tandem::runtime::proxy::balance::detail
