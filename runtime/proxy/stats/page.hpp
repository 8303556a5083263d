// The stats page's HTML, laid out as HAProxy 2.6's (stats_dump_html_*()): the process
// header, the legend of server colours, the display options, then per proxy a table with its
// frontend, servers and backend rows and HAProxy's main columns; with admin rights a checkbox
// per server and the action form. The numbers are the rows of stats/fields.hpp, so the page, the
// CSV and the socket agree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/proxy/objects.hpp"
#include "runtime/proxy/stats/applet.hpp"
#include "runtime/proxy/stats/fields.hpp"

namespace tandem::runtime::proxy::stats {

// The process facts the header shows, from show info's fields (fields.hpp's collect_info).
struct process_facts {
  std::string version_;       // Version
  std::string release_date_;  // Release_date
  std::string pid_;
  std::string uptime_;  // "0d 0h00m11s"
  std::string threads_;
  std::string ulimit_;
  std::string maxsock_;
  std::string maxconn_;
  std::string current_connections_;
  std::string connection_rate_;
};
process_facts facts_of(const proxy_set& proxies);

// `proxies` for what the rows do not carry (descriptions, modes, capabilities).
std::string render_html(const proxy_set& proxies, const std::vector<row>& rows,
                        const process_facts& facts, const page_settings& settings,
                        const request_options& options, bool admin);

// HAProxy's human_time(): "7s", "1m05s", "2h03m", "1d02h".
std::string human_time(std::uint64_t seconds);
// U2H(): digits grouped by three, the leading groups in <span class="rls"> ("1998" ->
// "<span class=\"rls\">1</span>998").
std::string grouped(std::uint64_t n);
// The CSS class of a server row for its `status` column and role, as HAProxy's legend:
// active_up, backup_up, active_going_down, active_down, maintain, active_draining …
std::string server_class(std::string_view status, bool backup);
// Text safe inside HTML.
std::string escape_html(std::string_view text);

}  // namespace tandem::runtime::proxy::stats
