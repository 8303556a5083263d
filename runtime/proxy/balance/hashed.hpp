// What the hashing algorithms (source, uri, url_param, hdr, rdp-cookie) share: a key read from
// the request and hashed, looked up in the map or on the ring as hash-type says; a request
// without the key takes the next server in turn from the same lookup, as in HAProxy.
#pragma once

#include <memory>
#include <optional>

#include "runtime/proxy/balance/algorithm.hpp"
#include "runtime/proxy/balance/lookup.hpp"

namespace tandem::runtime::proxy::balance::detail {

class hashed_algorithm : public algorithm {
 public:
  hashed_algorithm(const options& o, group g);

  void server_up(std::uint32_t id) override { lookup_->members_changed(id); }
  void server_down(std::uint32_t id, std::uint32_t) override { lookup_->members_changed(id); }
  void weight_changed(std::uint32_t id, std::uint32_t) override { lookup_->members_changed(id); }
  std::optional<std::uint32_t> pick(const request_keys& keys) override;

 protected:
  // The request's hash, nullopt when the request lacks the key.
  virtual std::optional<std::uint32_t> key(const request_keys& keys) const = 0;

  const options options_;

 private:
  std::unique_ptr<hash_lookup> lookup_;
};

}  // namespace tandem::runtime::proxy::balance::detail
