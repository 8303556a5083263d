// The shared part of the hashing balance algorithms.
#include "runtime/proxy/balance/hashed.hpp"

namespace tandem::runtime::proxy::balance::detail {

hashed_algorithm::hashed_algorithm(const options& o, group g) : options_(o) {
  if (o.hash_.method_ == hash_method::consistent) {
    lookup_ = std::make_unique<chash_ring>(std::move(g));
  } else {
    lookup_ = std::make_unique<server_map>(std::move(g));
  }
}

std::optional<std::uint32_t> hashed_algorithm::pick(const request_keys& keys) {
  if (const std::optional<std::uint32_t> hash = key(keys)) {
    return lookup_->by_hash(*hash);
  }
  return lookup_->round_robin();
}

bool dynamic_when_consistent(const options& o) {
  return o.hash_.method_ == hash_method::consistent;
}

}  // namespace tandem::runtime::proxy::balance::detail
