// The keepalived keyword table: for every block keepalived 2.2.7 knows, the keywords it
// documents, as data — where each may appear, how many arguments it takes, whether it opens a
// block (and which), its old names with the version that renamed them, and the handler that
// lowers it into the model (model.hpp). The analyser (analyse.hpp) walks the syntax tree with
// this table; the linter's "did you mean", `migrate`'s renames and the supported-keyword list
// come from the same entries.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/keepalived/model.hpp"
#include "parsers/keepalived/syntax.hpp"

namespace tandem::parsers::keepalived {

// The kinds of block a statement can stand in. "List" blocks hold entries, not keywords
// (virtual_ipaddress addresses, track_script names, …): their lines go to the block's entry
// handler.
enum class context : std::uint8_t {
  none,  // "opens no block"
  top,
  global_defs,
  notification_email,  // list
  vrrp_script,
  vrrp_track_process,
  vrrp_track_file,
  vrrp_instance,
  authentication,
  ip_list,              // list: virtual_ipaddress(_excluded), static_ipaddress
  route_list,           // list: virtual_routes, static_routes
  rule_list,            // list: virtual_rules, static_rules
  track_script_list,    // list
  track_interface_list, // list
  track_name_list,      // list: track_file, track_process, track_bfd
  peer_list,            // list: unicast_peer
  sync_group,
  sync_members,         // list: a sync group's `group { … }`
  virtual_server,
  real_server,
  tcp_check,
  http_check,           // HTTP_GET and SSL_GET
  misc_check,
  smtp_check,
  smtp_host,            // SMTP_CHECK's old `host { … }`
  dns_check,
  udp_check,
  ping_check,
  file_check,
  bfd_check,
  url,
  vs_group,             // list: virtual_server_group
  bfd_instance,
  garp_group,
  ssl,
  name_list,            // list kept as words: linkbeat_interfaces, interface_up_down_delays, …
  count_
};

static_assert(static_cast<int>(context::count_) <= 64, "contexts are bits of a mask");

constexpr std::uint64_t in(context c) { return std::uint64_t{1} << static_cast<unsigned>(c); }
template <typename... C>
constexpr std::uint64_t in(context c, C... more) {
  return in(c) | in(more...);
}
constexpr std::uint64_t all_checkers =
    in(context::tcp_check, context::http_check, context::misc_check, context::smtp_check,
       context::dns_check, context::udp_check, context::ping_check, context::file_check,
       context::bfd_check);

std::string_view context_name(context c);
bool is_list_context(context c);

// What a handler lowers into: the model, and the objects of the blocks being read.
struct builder {
  config& model_;
  context current_ = context::top;  // the block the statement being lowered stands in
  vrrp_script* script_ = nullptr;
  vrrp_track_process* track_process_ = nullptr;
  vrrp_track_file* track_file_ = nullptr;
  vrrp_instance* instance_ = nullptr;
  vrrp_sync_group* group_ = nullptr;
  virtual_server* virtual_server_ = nullptr;
  virtual_server_group* vs_group_ = nullptr;
  real_server* real_server_ = nullptr;
  checker* checker_ = nullptr;
  url_check* url_ = nullptr;
  // Where a list block's entries go.
  std::vector<ip_address>* ip_list_ = nullptr;
  std::vector<route>* route_list_ = nullptr;
  std::vector<rule>* rule_list_ = nullptr;
  std::vector<tracked>* tracked_list_ = nullptr;
  std::vector<located>* names_ = nullptr;
};

using handler = void (*)(const node& n, builder& b, diagnostics& diags);

inline constexpr std::uint8_t any_count = 255;

enum class old_name : std::uint8_t {
  alias,       // still accepted silently (lb_algo): a note
  deprecated,  // accepted with keepalived's own deprecation warning (nb_get_retry): a warning
  rejected,    // "Unknown keyword" in keepalived 2.2.7 (lvs_id): a warning, Tandem still reads it
};

struct keyword {
  std::string_view name_;
  std::uint64_t where_;     // mask of contexts it may appear in
  std::uint8_t min_args_;   // words after the keyword
  std::uint8_t max_args_;   // any_count: no limit
  context opens_;           // the block it opens; context::none for a plain statement
  bool block_optional_;     // opens_ may also be written without a block (e.g. `notify X`)
  // An old name: the current one, the keepalived version that renamed or deprecated it, and
  // what keepalived 2.2.7 does with the old name.
  std::string_view current_name_;
  std::string_view renamed_in_;
  old_name old_status_;
  // A keyword keepalived dropped with no replacement (nat_mask): accepted and ignored.
  bool obsolete_;
  handler handler_;
};

// Every keyword, in table order.
std::span<const keyword> keyword_table();

// The entry of `name` valid in `where`, or nullptr.
const keyword* find_keyword(std::string_view name, context where);
// Any entry named `name` (for "it belongs in a … block"), or nullptr.
const keyword* find_keyword_anywhere(std::string_view name);
// The closest keyword valid in `where` (case-insensitive edit distance ≤ 2, or same spelling
// in another case), or "".
std::string_view suggest_keyword(std::string_view name, context where);

// The entry handler of a list context.
handler list_entry_handler(context c);

}  // namespace tandem::parsers::keepalived
