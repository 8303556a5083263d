// balance rdp-cookie[(NAME)]: the RDP cookie of the connection request (mstshash unless named),
// hashed (get_server_rch). The session reads the cookie; without one, next server in turn.
#include "runtime/proxy/balance/hashed.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

class rdp_cookie final : public hashed_algorithm {
 public:
  using hashed_algorithm::hashed_algorithm;

 private:
  std::optional<std::uint32_t> key(const request_keys& keys) const override {
    if (keys.rdp_cookie_.empty()) {
      return std::nullopt;
    }
    return hash_key(options_.hash_, keys.rdp_cookie_);
  }
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string>, options& o,
           std::string& error) {
  if (!paren) {
    o.param_ = "mstshash";
    return true;
  }
  if (paren->empty()) {
    error = "balance rdp-cookie: missing cookie name";
    return false;
  }
  o.param_ = std::string(*paren);
  return true;
}

std::unique_ptr<algorithm> make(const options& o, group g, const random_source&) {
  return std::make_unique<rdp_cookie>(o, std::move(g));
}

}  // namespace

const algorithm_entry rdp_cookie_entry{"rdp-cookie", parse, dynamic_when_consistent, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
