// Inside the balancer: the state the common part keeps per server, the interface each balance
// algorithm implements (one .cpp per algorithm), and the registry entry that names it, parses
// its `balance` arguments and builds it. Not for use outside runtime/proxy/balance.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/proxy/balance/balancer.hpp"
#include "runtime/proxy/balance/hash.hpp"

namespace tandem::runtime::proxy::balance::detail {

// HAProxy's BE_WEIGHT_SCALE: the dynamic algorithms work on user weight x 16, which is also the
// number of points a server has on the consistent-hash ring.
inline constexpr std::uint32_t weight_scale = 16;
inline constexpr std::uint32_t max_user_weight = 256;

struct server_state {
  std::uint32_t id_ = 0;
  std::uint32_t puid_ = 0;
  std::uint32_t weight_ = 1;
  std::uint32_t initial_weight_ = 1;
  std::uint32_t maxconn_ = 0;
  std::uint32_t connections_ = 0;
  bool backup_ = false;
  bool usable_ = true;

  // HAProxy counts a server with weight 0 as not usable: it takes no traffic, and when every
  // active server is so, the backups take over.
  bool eligible() const { return usable_ && weight_ > 0; }
  bool full() const { return maxconn_ != 0 && connections_ >= maxconn_; }
};

// The servers one algorithm instance balances: the active ones, or the backup ones. HAProxy
// keeps the two apart in every algorithm, and so do we: one instance per group.
struct group {
  std::span<server_state> servers_;     // all of the backend's servers, indexed by id
  std::vector<std::uint32_t> members_;  // ids of this group's servers, in declaration order
};

class algorithm {
 public:
  virtual ~algorithm() = default;

  // Events about one member; its server_state already holds the new values. The common part
  // calls them under its lock, only when eligibility or an eligible server's weight changed.
  virtual void server_up(std::uint32_t id) = 0;
  virtual void server_down(std::uint32_t id, std::uint32_t old_weight) = 0;
  virtual void weight_changed(std::uint32_t id, std::uint32_t old_weight) = 0;
  virtual void connections_changed(std::uint32_t /*id*/) {}

  // The member for the next request; nullopt when none is eligible or all are full.
  virtual std::optional<std::uint32_t> pick(const request_keys& keys) = 0;
};

// What the `balance` and `hash-type` lines said, parsed once.
struct options {
  std::string param_;  // the header, URL parameter or RDP cookie name
  bool uri_whole_ = false;
  bool uri_path_only_ = false;
  std::uint32_t uri_len_ = 0;    // 0: the whole target
  std::uint32_t uri_depth_ = 0;  // 0: any depth
  bool use_domain_only_ = false;
  std::uint32_t draws_ = 2;
  hash_settings hash_;
};

struct algorithm_entry {
  std::string_view name_;
  // Reads what follows the name: `paren` is the text of "name(...)" when written so (nullopt
  // without parentheses), `args` the further words. False with `error` set when they do not fit.
  bool (*parse_)(std::optional<std::string_view> paren, std::span<const std::string> args,
                 options& out, std::string& error);
  // HAProxy's dynamic algorithms take any run-time weight; the static ones only 0 and the
  // initial weight.
  bool (*dynamic_)(const options& o);
  bool needs_random_;
  std::unique_ptr<algorithm> (*make_)(const options& o, group g, const random_source& random);
};

// The registry, in the order `algorithm_names()` lists them.
std::span<const algorithm_entry* const> registry();
const algorithm_entry* find_algorithm(std::string_view name);

// One entry per algorithm file.
extern const algorithm_entry roundrobin_entry;
extern const algorithm_entry static_rr_entry;
extern const algorithm_entry leastconn_entry;
extern const algorithm_entry first_entry;
extern const algorithm_entry source_entry;
extern const algorithm_entry uri_entry;
extern const algorithm_entry url_param_entry;
extern const algorithm_entry hdr_entry;
extern const algorithm_entry random_entry;
extern const algorithm_entry rdp_cookie_entry;

// Helpers for the parse functions.
bool no_parentheses(std::string_view name, std::optional<std::string_view> paren,
                    std::string& error);
bool parse_positive(std::string_view word, std::uint32_t& out);
bool always_dynamic(const options& o);
bool dynamic_when_consistent(const options& o);

}  // namespace tandem::runtime::proxy::balance::detail
