// HAProxy 2.6's statistics as data: one row per frontend, server and backend (and listener when
// asked), each a list of fields in `show stat`'s column order, with HAProxy's names, types and
// values; and `show info`'s process fields. The CSV, typed and JSON renderings, the stats page
// and the stats socket all read these, so every surface shows the same numbers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy::stats {

// HAProxy's typed-output tags (FO_*, FN_*, FS_*): origin, nature, scope, and the value's type.
enum class origin : std::uint8_t { metric, status, key, config, product };   // M S K C P
enum class nature : std::uint8_t { age, avg, counter, duration, gauge, limit, max, output,
                                   rate, time, name };  // typed: A a C D G L M O R T N
enum class scope : std::uint8_t { process, service, system, cluster };          // P S s C

struct field {
  // Empty: the column has no value for this row (an empty CSV cell).
  std::variant<std::monostate, std::int32_t, std::uint32_t, std::int64_t, std::uint64_t,
               std::string>
      value_;
  origin origin_ = origin::metric;
  nature nature_ = nature::gauge;
  scope scope_ = scope::process;
};

// HAProxy's row types (the `type` column): 0 frontend, 1 backend, 2 server, 3 listener.
enum class row_type : std::uint8_t { frontend = 0, backend = 1, server = 2, listener = 3 };

struct row {
  row_type type_ = row_type::frontend;
  std::uint32_t proxy_id_ = 0;   // iid
  std::uint32_t object_id_ = 0;  // sid (servers), 0 else
  std::vector<field> fields_;    // in column order; as many as column_names()
};

// show stat's columns in HAProxy 2.6's order ("pxname", "svname", "qcur", …): the 103 stats
// fields then the 24 of the ssl, h2 and h1 modules (127; a row's fields_ are these). The CSV
// puts a "-" column between the two groups, as HAProxy; render_csv writes it.
const std::vector<std::string_view>& column_names();
// How many of column_names() are HAProxy's own stats fields (ST_F_TOTAL_FIELDS): 103.
inline constexpr std::size_t stats_field_count = 103;

// Which rows: every proxy, or those `scope` names (stats scope; empty: all); one proxy id
// and/or one row type as "show stat [IID] [TYPE] [SID]" asks (-1: any).
struct selection {
  std::vector<std::string> proxies_;
  int proxy_id_ = -1;
  int type_mask_ = -1;  // HAProxy's 1 frontends, 2 backends, 4 servers
  int server_id_ = -1;
  // HAProxy's STAT_SHLGNDS: the addr, cookie and algo columns are filled only with it (a
  // socket at level operator or admin; the page with `stats show-legends`).
  bool show_legends_ = false;
  // show stat's "up" and "no-maint": only servers UP, or not in maintenance.
  bool only_up_ = false;
  bool no_maint_ = false;
};

// The rows in HAProxy's order: per proxy (configuration order), FRONTEND, then its servers,
// then BACKEND.
std::vector<row> collect(const proxy_set& proxies, const selection& which = {});

// "# pxname,svname,…\n" then a line per row, exactly as HAProxy's CSV.
std::string render_csv(const std::vector<row>& rows);
// show stat typed ("F.2.0.0.pxname.1:KNS:str:front" …).
std::string render_typed(const std::vector<row>& rows);
// show stat json / the page's ;json.
std::string render_json(const std::vector<row>& rows);

// show info's fields in HAProxy 2.6's order ("Name: HAProxy", "Version: …", "Uptime_sec: …").
struct info_field {
  std::string_view name_;
  field value_;
  std::size_t position_ = 0;  // HAProxy's INF_* index (typed and JSON print it)
};
// What the stats socket adds to show info (HAProxy counts its CLI like any frontend): its
// listening sockets (Listeners), its sessions now (Jobs) and accepted so far (CumConns).
struct info_context {
  std::uint32_t cli_listeners_ = 0;
  std::uint32_t cli_sessions_ = 0;
  std::uint64_t cli_connections_ = 0;
};
std::vector<info_field> collect_info(const proxy_set& proxies, const info_context& extra = {});
std::string render_info(const std::vector<info_field>& info);  // "Name: HAProxy\n…"
// show info typed ("0.Name.1:POS:str:HAProxy" …) and show info json.
std::string render_info_typed(const std::vector<info_field>& info);
std::string render_info_json(const std::vector<info_field>& info);

// A server's status as the stats show it: "UP", "DOWN", "MAINT", "DRAIN", "no check",
// "UP 1/3", "DOWN 1/2", "NOLB" …
std::string server_status(const server& s);

}  // namespace tandem::runtime::proxy::stats
