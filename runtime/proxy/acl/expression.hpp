// A compiled sample expression: one fetch and its converters (HAProxy's struct sample_expr),
// built from what the config front-end parsed (parsers/haproxy/samples.hpp). In ACLs a fetch
// may give several values (every occurrence of a header, every cookie of a name); elsewhere it
// gives one (the last occurrence, as HAProxy does).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parsers/haproxy/samples.hpp"
#include "runtime/proxy/acl/condition.hpp"
#include "runtime/proxy/acl/pattern.hpp"
#include "runtime/proxy/acl/sample.hpp"
#include "runtime/proxy/acl/userlist.hpp"

namespace tandem::runtime::proxy::acl {

using parsers::haproxy::sample_type;

// Receives the values of a fetch; returns true to stop the walk.
class sample_sink {
 public:
  virtual bool take(sample& s) = 0;

 protected:
  ~sample_sink() = default;
};

struct fetch_step;
struct converter_step;
using fetch_fn = void (*)(const fetch_step&, const sample_source&, bool iterate, sample_sink&);
using converter_fn = bool (*)(const converter_step&, const sample_source&, sample&);

// A map converter's table: keys matched with one method, values of one type.
struct map_table {
  explicit map_table(match_kind k) : keys_(k) {}
  pattern_list keys_;
  std::vector<sample> values_;
};

struct fetch_step {
  fetch_fn fn_ = nullptr;
  std::vector<std::string> args_;
  std::int64_t n_[3] = {0, 0, 0};  // integer arguments, once parsed
  bool has_n_[3] = {false, false, false};
  sample constant_;  // int(), str(), bool() … and var()'s default
  bool has_constant_ = false;
  // http_auth(L), http_auth_group(L): the userlist its first argument names, resolved when
  // the expression is compiled (as HAProxy resolves it when reading the configuration).
  bool wants_userlist_ = false;
  std::shared_ptr<const userlist> userlist_;
};

struct converter_step {
  converter_fn fn_ = nullptr;
  smp_type input_ = smp_type::str_;
  bool any_input_ = false;   // SMP_T_ANY: no cast
  bool addr_input_ = false;  // SMP_T_ADDR: IPv4 or IPv6, as the value has it
  std::vector<std::string> args_;
  std::int64_t n_[3] = {0, 0, 0};
  bool has_n_[3] = {false, false, false};
  std::optional<regex> re_;
  bool global_ = false;  // regsub's "g"
  std::shared_ptr<const map_table> map_;
  std::optional<sample> default_;  // a map's default value
  std::array<std::uint8_t, 16> mask4_{}, mask6_{};
  bool has_mask6_ = false;
};

class expression {
 public:
  // Compiles what parse_sample() accepted. False with `error` set for what Tandem cannot run
  // ("… is not supported yet") or what fails to load (a map file, a regex).
  // `users` resolves the userlists that http_auth(L) and http_auth_group(L) name.
  static std::unique_ptr<expression> compile(const parsers::haproxy::sample_parts& parts,
                                             std::string& error,
                                             const userlist_set* users = nullptr);

  // The type HAProxy infers from the keywords (it picks an ACL's default match from it).
  sample_type output() const { return output_; }

  // Gives each value to `sink` (only the first unless `iterate`). A converter that fails ends
  // the walk, as in HAProxy's ACL loop.
  void run(const sample_source& s, bool iterate, sample_sink& sink) const;
  std::optional<sample> first(const sample_source& s) const;

  // The userlist of http_auth(L) / http_auth_group(L); nullptr for other fetches.
  const std::shared_ptr<const userlist>& fetch_userlist() const { return fetch_.userlist_; }

 private:
  fetch_step fetch_;
  std::vector<converter_step> converters_;
  sample_type output_ = sample_type::str_;
};

// Compile-time helpers of the fetch and converter tables (fetches.cpp, converters.cpp).
// False with `error` set when the keyword is not one Tandem runs.
bool setup_fetch(std::string_view name, fetch_step& f, std::string& error);
// sc_*, sc0_* … sc2_*, src_* (stick_fetches.cpp); nullopt when `name` is not one of them.
std::optional<bool> setup_stick_fetch(std::string_view name, fetch_step& f, std::string& error);
// in_table(T), table_*(T) (stick_fetches.cpp); nullopt when `name` is not one of them.
std::optional<bool> setup_stick_converter(std::string_view name, converter_step& c,
                                          std::string& error);
bool setup_converter(std::string_view name, converter_step& c, std::string& error);

// A socket address's IP and port as samples (src, dst, %ci, %fp …); nullopt for other families.
std::optional<sample> address_sample(const sockaddr_storage& a);
std::optional<sample> port_sample(const sockaddr_storage& a);

}  // namespace tandem::runtime::proxy::acl
