// Load balancing of one backend: which server takes the next request or connection, with
// HAProxy 2.6's algorithms and their exact order (roundrobin's weighted rotation as its fwrr
// orders it, static-rr, leastconn, first, source, uri, url_param, hdr(NAME), random, rdp-cookie),
// hash-type map-based|consistent, backup servers and option allbackups. One file per
// algorithm behind `algorithm`, found by name in a registry. Thread-safe: the proxy's threads
// share a backend's balancer. Randomness is passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::runtime::proxy::balance {

// A server as the balancer sees it, in the backend's declaration order (`id_` is its index).
struct server_entry {
  std::uint32_t id_ = 0;
  std::uint32_t weight_ = 1;  // user weight, 0..256; 0 takes no new traffic
  bool backup_ = false;
  std::uint32_t maxconn_ = 0;  // connection slots (`first` and skipping full servers); 0: no limit
  // HAProxy's numeric server id (the `id` keyword); 0: the next free one in declaration order,
  // as HAProxy assigns it. `first` orders by it and consistent hashing places servers by it.
  std::uint32_t puid_ = 0;
};

// What hash-based algorithms read from a request; a session fills what it has.
struct request_keys {
  std::span<const std::uint8_t> source_address_;  // 4 (IPv4) or 16 (IPv6) bytes
  std::string_view uri_;  // the request target as received; empty outside HTTP
  // Header value by name (first occurrence; the name as hdr(NAME) wrote it, to be matched
  // without case), nullopt when absent; may be left empty outside HTTP. rdp-cookie reads
  // rdp_cookie_ instead.
  std::function<std::optional<std::string_view>(std::string_view)> header_;
  // Value of the RDP cookie that `balance rdp-cookie(NAME)` names ("mstshash" by default), when
  // the session found one.
  std::string_view rdp_cookie_;
};

// HAProxy's `balance` and `hash-type` lines as written ("roundrobin"; "hdr(host)";
// "url_param userid check_post"; hash-type "consistent" "sdbm" "avalanche").
struct settings {
  std::vector<std::string> balance_;    // empty: roundrobin
  std::vector<std::string> hash_type_;  // empty: map-based
  bool all_backups_ = false;            // option allbackups
};

// A source of random 32-bit numbers (the draws of balance random; nothing else uses it).
using random_source = std::function<std::uint32_t()>;

class balancer {
 public:
  virtual ~balancer() = default;

  // A server enters or leaves the rotation (health checks, maintenance, disabled).
  virtual void set_usable(std::uint32_t id, bool usable) = 0;
  // A new user weight (set weight, or a check's agent); 0 stops new traffic to it. Above 256 is
  // taken as 256. Static algorithms (static-rr, hash-type map-based) only take 0 and the initial
  // weight, as HAProxy's "set weight" (it refuses other values; here they change nothing).
  virtual void set_weight(std::uint32_t id, std::uint32_t weight) = 0;
  // The server for the next request; nullopt when no server is usable (HAProxy's 503), or when
  // the algorithm found its candidates at their maxconn (HAProxy then queues the request in
  // the backend). A hash pick, and the first backup alone, come back even when full: HAProxy
  // queues on that server.
  // Active servers first; when none is usable, the first usable backup (declaration order),
  // or all usable backups balanced when option allbackups. A hashing algorithm whose key is
  // missing from `keys` (no such header, parameter or cookie) takes servers in turn instead.
  virtual std::optional<std::uint32_t> pick(const request_keys& keys) = 0;
  // Connection accounting for leastconn, random and maxconn: a connection to `id` opened, and
  // closed.
  virtual void connection_opened(std::uint32_t id) = 0;
  virtual void connection_closed(std::uint32_t id) = 0;
};

// Builds the balancer for `servers` (all start usable unless set otherwise); nullptr with
// `error` set for an unknown algorithm or bad arguments.
std::unique_ptr<balancer> make_balancer(const settings& s, std::span<const server_entry> servers,
                                        random_source random, std::string& error);

// The algorithm names the registry knows (for tests and the linter).
std::vector<std::string_view> algorithm_names();

}  // namespace tandem::runtime::proxy::balance
