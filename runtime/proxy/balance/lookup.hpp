// Where the hashing algorithms find the server for a hash: HAProxy's weighted server map
// (hash-type map-based, also the whole of static-rr) or its consistent-hash ring (hash-type
// consistent, also the draws of random). Both also hand out servers in turn, for requests that
// lack the hashed key.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "runtime/proxy/balance/algorithm.hpp"

namespace tandem::runtime::proxy::balance::detail {

class hash_lookup {
 public:
  virtual ~hash_lookup() = default;
  // The group changed: a member came up, went down or has a new weight.
  virtual void members_changed(std::uint32_t id) = 0;
  virtual std::optional<std::uint32_t> by_hash(std::uint32_t hash) const = 0;
  // The next server in turn that has a free slot.
  virtual std::optional<std::uint32_t> round_robin() = 0;
};

// HAProxy's lb_map: an array of tot_weight slots in which each server appears weight/gcd times,
// spread by a running score; a hash takes slot hash % tot_weight. Weights are static.
class server_map final : public hash_lookup {
 public:
  explicit server_map(group g);
  void members_changed(std::uint32_t id) override;
  std::optional<std::uint32_t> by_hash(std::uint32_t hash) const override;
  std::optional<std::uint32_t> round_robin() override;

 private:
  void rebuild();
  std::uint32_t map_weight(const server_state& s) const;

  group group_;
  std::uint32_t gcd_ = 1;
  std::vector<std::uint32_t> slots_;  // reserved once for the largest map
  std::vector<std::int64_t> score_;   // by id, only while rebuilding
  std::uint32_t next_slot_ = 0;
};

// HAProxy's lb_chash: each eligible server has weight x 16 points on a 32-bit ring, point j at
// avalanche(puid * 4096 + j); a hash goes to the closest point, the one before it on a tie.
class chash_ring final : public hash_lookup {
 public:
  explicit chash_ring(group g);
  void members_changed(std::uint32_t id) override;
  std::optional<std::uint32_t> by_hash(std::uint32_t hash) const override;
  std::optional<std::uint32_t> round_robin() override;

 private:
  struct point {
    std::uint32_t key_;
    std::uint64_t order_;  // insertion order: equal keys keep it, as HAProxy's ebtree does
    std::uint32_t id_;
    std::uint32_t index_;  // j, the point's number for its server
  };
  std::size_t position_of(const point& p) const;

  group group_;
  std::vector<point> ring_;            // sorted by (key, order)
  std::vector<std::uint32_t> points_;  // by id: how many points the server has on the ring
  std::uint64_t next_order_ = 0;
  std::optional<point> last_;  // where round_robin stopped
};

}  // namespace tandem::runtime::proxy::balance::detail
