// See page.hpp. The markup follows HAProxy 2.6's stats.c (class names, column order, the
// legend, the admin form's fields) so that a person who knows HAProxy's page reads this one,
// and scripts that post its form work; the tooltips are fewer.
#include "runtime/proxy/stats/page.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <variant>

namespace tandem::runtime::proxy::stats {

namespace {

// HAProxy's page style (colours of the legend and the tables), verbatim in substance.
constexpr std::string_view style_sheet = R"(<style type="text/css"><!--
body { font-family: arial, helvetica, sans-serif; font-size: 12px; font-weight: normal; color: black; background: white;}
th,td { font-size: 10px;}
h1 { font-size: x-large; margin-bottom: 0.5em;}
h2 { font-family: helvetica, arial; font-size: x-large; font-weight: bold; font-style: italic; color: #6020a0; margin-top: 0em; margin-bottom: 0em;}
h3 { font-family: helvetica, arial; font-size: 16px; font-weight: bold; color: #b00040; background: #e8e8d0; margin-top: 0em; margin-bottom: 0em;}
li { margin-top: 0.25em; margin-right: 2em;}
.hr {margin-top: 0.25em; border-color: black; border-bottom-style: solid;}
.titre	{background: #20D0D0;color: #000000; font-weight: bold; text-align: center;}
.total	{background: #20D0D0;color: #ffff80;}
.frontend	{background: #e8e8d0;}
.socket	{background: #d0d0d0;}
.backend	{background: #e8e8d0;}
.active_down		{background: #ff9090;}
.active_going_up		{background: #ffd020;}
.active_going_down	{background: #ffffa0;}
.active_up		{background: #c0ffc0;}
.active_nolb		{background: #20a0ff;}
.active_draining		{background: #20a0FF;}
.active_no_check		{background: #e0e0e0;}
.backup_down		{background: #ff9090;}
.backup_going_up		{background: #ff80ff;}
.backup_going_down	{background: #c060ff;}
.backup_up		{background: #b0d0ff;}
.backup_nolb		{background: #90b0e0;}
.backup_draining		{background: #cc9900;}
.backup_no_check		{background: #e0e0e0;}
.maintain	{background: #c07820;}
.rls      {letter-spacing: 0.2em; margin-right: 1px;}

a.px:link {color: #ffff40; text-decoration: none;}a.px:visited {color: #ffff40; text-decoration: none;}a.px:hover {color: #ffffff; text-decoration: none;}a.lfsb:link {color: #000000; text-decoration: none;}a.lfsb:visited {color: #000000; text-decoration: none;}a.lfsb:hover {color: #505050; text-decoration: none;}
table.tbl { border-collapse: collapse; border-style: none;}
table.tbl td { text-align: right; border-width: 1px 1px 1px 1px; border-style: solid solid solid solid; padding: 2px 3px; border-color: gray; white-space: nowrap;}
table.tbl td.ac { text-align: center;}
table.tbl th { border-width: 1px; border-style: solid solid solid solid; border-color: gray;}
table.tbl th.pxname { background: #b00040; color: #ffff40; font-weight: bold; border-style: solid solid none solid; padding: 2px 3px; white-space: nowrap;}
table.tbl th.empty { border-style: none; empty-cells: hide; background: white;}
table.tbl th.desc { background: white; border-style: solid solid none solid; text-align: left; padding: 2px 3px;}

table.lgd { border-collapse: collapse; border-width: 1px; border-style: none none none solid; border-color: black;}
table.lgd td { border-width: 1px; border-style: solid solid solid solid; border-color: gray; padding: 2px;}
table.lgd td.noborder { border-style: none; padding: 2px; white-space: nowrap;}
u {text-decoration:none; border-bottom: 1px dotted black;}
div.tips {
 display:block;
 visibility:hidden;
 z-index:2147483647;
 position:absolute;
 padding:2px 4px 3px;
 background:#f0f060; color:#000000;
 border:1px solid #7040c0;
 white-space:nowrap;
 font-style:normal;font-size:11px;font-weight:normal;
 -moz-border-radius:3px;-webkit-border-radius:3px;border-radius:3px;
 -moz-box-shadow:gray 2px 2px 3px;-webkit-box-shadow:gray 2px 2px 3px;box-shadow:gray 2px 2px 3px;
}
u:hover div.tips {visibility:visible;}
-->
</style>)";

constexpr std::string_view legend = R"(<table class="lgd"><tr>
<td class="active_up">&nbsp;</td><td class="noborder">active UP </td><td class="backup_up">&nbsp;</td><td class="noborder">backup UP </td></tr><tr>
<td class="active_going_down"></td><td class="noborder">active UP, going down </td><td class="backup_going_down"></td><td class="noborder">backup UP, going down </td></tr><tr>
<td class="active_going_up"></td><td class="noborder">active DOWN, going up </td><td class="backup_going_up"></td><td class="noborder">backup DOWN, going up </td></tr><tr>
<td class="active_down"></td><td class="noborder">active or backup DOWN &nbsp;</td><td class="active_no_check"></td><td class="noborder">not checked </td></tr><tr>
<td class="maintain"></td><td class="noborder" colspan="3">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>
<td class="active_draining"></td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>
Note: "NOLB"/"DRAIN" = UP with load-balancing disabled.)";

constexpr std::string_view column_titles =
    "<th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>"
    "<th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th>"
    "<th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n"
    "<tr class=\"titre\"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>"
    "<th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th>"
    "<th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th>"
    "<th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th>"
    "<th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>\n</tr>";

constexpr std::string_view admin_actions =
    "Choose the action to perform on the checked servers : <select name=action>"
    "<option value=\"\"></option>"
    "<option value=\"ready\">Set state to READY</option>"
    "<option value=\"drain\">Set state to DRAIN</option>"
    "<option value=\"maint\">Set state to MAINT</option>"
    "<option value=\"dhlth\">Health: disable checks</option>"
    "<option value=\"ehlth\">Health: enable checks</option>"
    "<option value=\"hrunn\">Health: force UP</option>"
    "<option value=\"hnolb\">Health: force NOLB</option>"
    "<option value=\"hdown\">Health: force DOWN</option>"
    "<option value=\"dagent\">Agent: disable checks</option>"
    "<option value=\"eagent\">Agent: enable checks</option>"
    "<option value=\"arunn\">Agent: force UP</option>"
    "<option value=\"adown\">Agent: force DOWN</option>"
    "<option value=\"shutdown\">Kill Sessions</option>"
    "</select>";

// The rows' columns by name, looked up once.
class columns {
 public:
  columns() {
    const auto& names = column_names();
    for (std::size_t i = 0; i < names.size(); ++i)
      index_.emplace(names[i], i);
  }
  // The field as the CSV writes it ("" when empty).
  std::string text(const row& r, std::string_view name) const {
    const field* f = find(r, name);
    if (f == nullptr)
      return {};
    return std::visit(
        [](const auto& v) -> std::string {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return {};
          } else if constexpr (std::is_same_v<T, std::string>) {
            return v;
          } else {
            return std::to_string(v);
          }
        },
        f->value_);
  }
  bool empty(const row& r, std::string_view name) const {
    const field* f = find(r, name);
    return f == nullptr || std::holds_alternative<std::monostate>(f->value_);
  }
  // A number (0 when empty or text); -1 stays -1 (HAProxy's "never" for lastsess).
  std::int64_t number(const row& r, std::string_view name) const {
    const field* f = find(r, name);
    if (f == nullptr)
      return 0;
    return std::visit(
        [](const auto& v) -> std::int64_t {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate> || std::is_same_v<T, std::string>) {
            return 0;
          } else {
            return static_cast<std::int64_t>(v);
          }
        },
        f->value_);
  }

 private:
  const field* find(const row& r, std::string_view name) const {
    const auto it = index_.find(name);
    if (it == index_.end() || it->second >= r.fields_.size())
      return nullptr;
    return &r.fields_[it->second];
  }
  std::map<std::string_view, std::size_t, std::less<>> index_;
};

const columns& cols() {
  static const columns c;
  return c;
}

std::string td(std::string_view content) {
  return "<td>" + std::string(content) + "</td>";
}
std::string td_ac(std::string_view content) {
  return "<td class=ac>" + std::string(content) + "</td>";
}

// A number cell: grouped digits; "" stays an empty cell.
std::string num(const row& r, std::string_view name) {
  if (cols().empty(r, name))
    return "<td></td>";
  return td(grouped(static_cast<std::uint64_t>(std::max<std::int64_t>(0, cols().number(r, name)))));
}
// A limit cell: "-" when there is none.
std::string limit(const row& r, std::string_view name, std::string_view none = "-") {
  if (cols().empty(r, name) || cols().number(r, name) == 0)
    return td(none);
  return num(r, name);
}

// The links keep the options the page was asked with (HAProxy's "%s%s%s%s" suffixes).
std::string link(const page_settings& s, const request_options& o, bool up, bool norefresh) {
  std::string out = s.uri_;
  if (up)
    out += ";up";
  if (norefresh)
    out += ";norefresh";
  if (!o.scope_.empty())
    out += ";scope=" + o.scope_;
  return out;
}

std::string status_message(const page_settings& s, const request_options& o) {
  if (o.status_.empty())
    return {};
  const std::string remove = "<a class=lfsb href=\"" + link(s, o, o.hide_down_, o.no_refresh_) +
                             "\" title=\"Remove this message\">[X]</a> ";
  std::string cls;
  std::string text;
  if (o.status_ == "DONE") {
    cls = "active_up";
    text = "Action processed successfully.";
  } else if (o.status_ == "NONE") {
    cls = "active_going_down";
    text = "Nothing has changed.";
  } else if (o.status_ == "PART") {
    cls = "active_going_down";
    text =
        "Action partially processed.<br>Some server names are probably unknown or ambiguous "
        "(duplicated names in the backend).";
  } else if (o.status_ == "ERRP") {
    cls = "active_down";
    text =
        "Action not processed because of invalid parameters.<ul><li>The action is maybe "
        "unknown.</li><li>The backend name is probably unknown or ambiguous (duplicated "
        "names).</li><li>Some server names are probably unknown or ambiguous (duplicated "
        "names in the backend).</li></ul>";
  } else if (o.status_ == "EXCD") {
    cls = "active_down";
    text =
        "<b>Action not processed : the buffer couldn't store all the data.<br>You should "
        "retry with less servers at a time.</b>";
  } else if (o.status_ == "DENY") {
    cls = "active_down";
    text = "<b>Action denied.</b>";
  } else if (o.status_ == "IVAL") {
    cls = "active_down";
    text = "<b>Invalid requests (unsupported method or chunked encoded request).</b>";
  } else {
    cls = "active_no_check";
    text = "Unexpected result.";
  }
  return "<p><div class=" + cls + ">" + remove + text + "</div>\n<p>\n";
}

void header(std::string& out, const proxy_set& proxies, const process_facts& f,
            const page_settings& s, const request_options& o) {
  out += "<body><h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy";
  if (!s.hide_version_) {
    out += " version " + escape_html(f.version_) + ", released " + escape_html(f.release_date_);
    if (!s.version_.empty())
      out += " (" + escape_html(s.version_) + ")";
  }
  out += "</a></h1>\n<h2>Statistics Report for pid " + f.pid_;
  if (s.node_)
    out += " on " + escape_html(*s.node_);
  if (s.description_)
    out += (s.node_ ? ": " : " : ") + escape_html(*s.description_);
  out += "</h2>\n<hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n";
  out += "<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n";
  out += "<p><b>pid = </b> " + f.pid_ + " (process #1, nbproc = 1, nbthread = " + f.threads_ +
         ")<br>\n";
  out += "<b>uptime = </b> " + f.uptime_ + "<br>\n";
  out += "<b>system limits:</b> memmax = unlimited; ulimit-n = " + f.ulimit_ + "<br>\n";
  out += "<b>maxsock = </b> " + f.maxsock_ + "; <b>maxconn = </b> " + f.maxconn_ +
         "; <b>maxpipes = </b> 0<br>\n";
  out += "current conns = " + f.current_connections_ +
         "; current pipes = 0/0; conn rate = " + f.connection_rate_ + "/sec<br>\n";
  out += "</td><td align=\"center\" nowrap>\n";
  out += legend;
  out +=
      "</td><td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b>"
      "<ul style=\"margin-top: 0.25em;\">";
  out += "<li><form method=\"GET\">Scope : <input value=\"" + escape_html(o.scope_) +
         "\" name=\"scope\" size=\"8\" maxlength=\"20\" tabindex=\"1\"/></form>\n";
  out += "<li><a href=\"" + link(s, o, !o.hide_down_, o.no_refresh_) + "\">" +
         (o.hide_down_ ? "Show all servers" : "Hide 'DOWN' servers") + "</a><br>\n";
  if (s.refresh_seconds_ > 0) {
    out += "<li><a href=\"" + link(s, o, o.hide_down_, !o.no_refresh_) + "\">" +
           (o.no_refresh_ ? "Enable refresh" : "Disable refresh") + "</a><br>\n";
  }
  out += "<li><a href=\"" + link(s, o, o.hide_down_, o.no_refresh_) + "\">Refresh now</a><br>\n";
  const std::string norefresh = s.refresh_seconds_ > 0 ? ";norefresh" : "";
  const std::string scope = o.scope_.empty() ? "" : ";scope=" + o.scope_;
  out += "<li><a href=\"" + s.uri_ + ";csv" + norefresh + scope + "\">CSV export</a><br>\n";
  out += "<li><a href=\"" + s.uri_ + ";json" + norefresh + scope +
         "\">JSON export</a> (<a href=\"" + s.uri_ + ";json-schema\">schema</a>)<br>\n";
  out +=
      "</ul></td><td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>External "
      "resources:</b><ul style=\"margin-top: 0.25em;\">\n"
      "<li><a href=\"http://www.haproxy.org/\">Primary site</a><br>\n"
      "<li><a href=\"http://www.haproxy.org/#down\">Updates (v2.6)</a><br>\n"
      "<li><a href=\"http://www.haproxy.org/#docs\">Online manual</a><br>\n"
      "</ul></td></tr></table>\n";
  out += status_message(s, o);
  (void)proxies;
}

struct proxy_facts {
  std::string description_;
  std::string mode_;
  std::string cap_;
  bool backend_ = false;
  bool servers_ = false;
};

proxy_facts facts_of(const proxy_set& proxies, std::uint32_t iid) {
  proxy_facts out;
  bool fe = false;
  for (const auto& f : proxies.frontends_) {
    if (f->uid_ != iid)
      continue;
    fe = true;
    out.description_ = f->description_;
    out.mode_ = f->mode_ == mode::http ? "http" : "tcp";
  }
  for (const auto& b : proxies.backends_) {
    if (b->uid_ != iid)
      continue;
    out.backend_ = true;
    out.servers_ = !b->servers_.empty();
    if (out.description_.empty())
      out.description_ = b->description_;
    out.mode_ = b->mode_ == mode::http ? "http" : "tcp";
  }
  out.cap_ = fe && out.backend_ ? "proxy" : fe ? "frontend" : "backend";
  return out;
}

void proxy_header(std::string& out, const std::string& name, const proxy_facts& px,
                  const page_settings& s, bool admin) {
  if (admin && px.servers_)
    out += "<form method=\"post\">";
  out +=
      "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" "
      "width=\"10%\"><a name=\"" +
      name + "\"></a>";
  if (s.show_legends_) {
    out += "<u><a class=px href=\"#" + name + "\">" + name + "</a><div class=tips>cap: " + px.cap_ +
           ", mode: " + px.mode_ + "</div></u>";
  } else {
    out += "<a class=px href=\"#" + name + "\">" + name + "</a>";
  }
  out += "</th>";
  if (s.description_ && !px.description_.empty()) {
    out += "<th class=\"desc\" width=\"90%\">" + escape_html(px.description_) + "</th>";
  } else {
    out += "<th class=\"empty\" width=\"90%\"></th>";
  }
  out += "</tr>\n</table>\n<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\">";
  if (admin) {
    if (px.servers_) {
      out +=
          "<th rowspan=2 width=1><input type=\"checkbox\" onclick=\"for(c in "
          "document.getElementsByClassName('" +
          name +
          "-checkbox')) "
          "document.getElementsByClassName('" +
          name + "-checkbox').item(c).checked = this.checked\"></th>";
    } else {
      out += "<th rowspan=2></th>";
    }
  }
  out += "<th rowspan=2></th>";
  out += column_titles;
}

// A number with HAProxy's hover details: <u>N<div class=tips><table class=det>…</table></div></u>.
using detail = std::pair<std::string, std::string>;  // label (with its colon), value
std::string with_tips(const row& r, std::string_view name, const std::vector<detail>& details) {
  std::string out =
      "<td><u>" +
      grouped(static_cast<std::uint64_t>(std::max<std::int64_t>(0, cols().number(r, name)))) +
      "<div class=tips><table class=det>";
  for (const detail& d : details) {
    out += "<tr><th>" + d.first + "</th><td>" + d.second + "</td></tr>";
  }
  out += "</table></div></u></td>";
  return out;
}

bool http_row(const row& r) {
  return cols().text(r, "mode") == "http";
}

// HTTP responses by class, as the tooltips list them.
void add_responses(const row& r, std::vector<detail>& d) {
  const columns& c = cols();
  d.push_back({"- HTTP 1xx responses:", c.text(r, "hrsp_1xx")});
  d.push_back({"- HTTP 2xx responses:", c.text(r, "hrsp_2xx")});
  d.push_back({"- HTTP 3xx responses:", c.text(r, "hrsp_3xx")});
  d.push_back({"- HTTP 4xx responses:", c.text(r, "hrsp_4xx")});
  d.push_back({"- HTTP 5xx responses:", c.text(r, "hrsp_5xx")});
  d.push_back({"- other responses:", c.text(r, "hrsp_other")});
}

// Cum. sessions and the rest for a server or backend row.
std::string sessions_tips(const row& r, bool server) {
  const columns& c = cols();
  std::vector<detail> d;
  d.push_back({"Cum. sessions:", c.text(r, "stot")});
  d.push_back({"New connections:", c.text(r, "connect")});
  d.push_back({"Reused connections:", c.text(r, "reuse")});
  if (http_row(r)) {
    d.push_back({server ? "Cum. HTTP responses:" : "Cum. HTTP requests:",
                 c.text(r, server ? "hrsp_2xx" : "req_tot")});
    if (server) {
      std::int64_t total = 0;
      for (const char* k :
           {"hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"}) {
        total += c.number(r, k);
      }
      d.back().second = std::to_string(total);
    }
    add_responses(r, d);
    d.push_back({"Failed hdr rewrites:", c.text(r, "wrew")});
  }
  d.push_back({"Max / Avg over last 1024 success. conn.", ""});
  for (const auto& [label, key] :
       {std::pair{"- Queue time:", "qtime"}, std::pair{"- Connect time:", "ctime"},
        std::pair{"- Responses time:", "rtime"}, std::pair{"- Total time:", "ttime"}}) {
    d.push_back({label, c.text(r, std::string(key) + "_max") + " / " + c.text(r, key) + " ms"});
  }
  return with_tips(r, "stot", d);
}

void frontend_row(std::string& out, const row& r, const std::string& name, bool admin) {
  const columns& c = cols();
  out += "<tr class=\"frontend\">";
  if (admin)
    out += "<td></td>";
  out += "<td class=ac><a name=\"" + name + "/Frontend\"></a><a class=lfsb href=\"#" + name +
         "/Frontend\">Frontend</a></td>";
  out += "<td colspan=3></td>";
  const bool http = http_row(r);
  std::vector<detail> now{{"Current connection rate:", c.text(r, "conn_rate") + "/s"},
                          {"Current session rate:", c.text(r, "rate") + "/s"}};
  std::vector<detail> max{{"Max connection rate:", c.text(r, "conn_rate_max") + "/s"},
                          {"Max session rate:", c.text(r, "rate_max") + "/s"}};
  std::vector<detail> total{{"Cum. connections:", c.text(r, "conn_tot")},
                            {"Cum. sessions:", c.text(r, "stot")}};
  if (http) {
    now.push_back({"Current request rate:", c.text(r, "req_rate") + "/s"});
    max.push_back({"Max request rate:", c.text(r, "req_rate_max") + "/s"});
    total.push_back({"Cum. HTTP requests:", c.text(r, "req_tot")});
    add_responses(r, total);
    total.push_back({"Intercepted requests:", c.text(r, "intercepted")});
  }
  out += with_tips(r, "rate", now) + with_tips(r, "rate_max", max) + limit(r, "rate_lim");
  out += num(r, "scur") + num(r, "smax") + limit(r, "slim") + with_tips(r, "stot", total) +
         "<td></td><td></td>";
  out += num(r, "bin") + num(r, "bout");
  out += num(r, "dreq") + num(r, "dresp");
  out += num(r, "ereq") + "<td></td><td></td>";
  out += "<td></td><td></td>";
  out += td_ac(c.text(r, "status")) + "<td class=ac colspan=8></td></tr>";
}

std::string since(const row& r, std::string_view name) {
  const std::int64_t v = cols().number(r, name);
  if (cols().empty(r, name) || v < 0)
    return "?";
  return human_time(static_cast<std::uint64_t>(v));
}

void server_row(std::string& out, const row& r, const std::string& name, const proxy_set& proxies,
                const page_settings& s, bool admin) {
  const columns& c = cols();
  const std::string sv = c.text(r, "svname");
  const std::string status = c.text(r, "status");
  const bool backup = c.number(r, "bck") != 0;
  const std::string cls = server_class(status, backup);
  out += "<tr class=\"" + cls + "\">";
  if (admin) {
    out += "<td><input class='" + name + "-checkbox' type=\"checkbox\" name=\"s\" value=\"" + sv +
           "\"></td>";
  }
  out += "<td class=ac><a name=\"" + name + "/" + sv + "\"></a>";
  if (s.show_legends_) {
    std::string addr = c.text(r, "addr");
    for (const auto& b : proxies.backends_) {
      if (b->name_ != c.text(r, "pxname"))
        continue;
      if (const server* srv = b->find_server(sv); srv != nullptr && addr.empty()) {
        addr = srv->address_text_;
      }
    }
    out += "<u><a class=lfsb href=\"#" + name + "/" + sv + "\">" + sv + "</a><div class=tips>" +
           (addr.empty() ? "" : "IPv4: " + escape_html(addr) + ", ") + "id: " + c.text(r, "sid") +
           "</div></u>";
  } else {
    out += "<a class=lfsb href=\"#" + name + "/" + sv + "\">" + sv + "</a>";
  }
  out += "</td>";
  out += num(r, "qcur") + num(r, "qmax") + limit(r, "qlimit");
  out += num(r, "rate") + num(r, "rate_max") + "<td></td>";
  out += num(r, "scur") + num(r, "smax") + limit(r, "slim") + sessions_tips(r, true) +
         num(r, "lbtot") + td(since(r, "lastsess"));
  out += num(r, "bin") + num(r, "bout");
  out += "<td></td>" + num(r, "dresp");
  out += "<td></td>" + num(r, "econ") + num(r, "eresp");
  out += num(r, "wretr") + num(r, "wredis");
  const bool checked = !c.empty(r, "check_status");
  if (status == "no check") {
    out += td_ac("<i>no check</i>");
  } else {
    out += td_ac(since(r, "lastchg") + " " + escape_html(status));
  }
  if (checked) {
    std::string chk = " " + escape_html(c.text(r, "check_status"));
    if (!c.empty(r, "check_code"))
      chk += "/" + c.text(r, "check_code");
    if (!c.empty(r, "check_duration"))
      chk += " in " + c.text(r, "check_duration") + "ms";
    const std::string desc = c.text(r, "check_desc");
    out += td_ac("<u>" + chk +
                 (desc.empty() ? "" : "<div class=tips>" + escape_html(desc) + "</div>") + "</u>");
  } else {
    out += "<td></td>";
  }
  out += td_ac(c.text(r, "weight") + "/" + c.text(r, "uweight"));
  out += td_ac(backup ? "-" : "Y") + td_ac(backup ? "Y" : "-");
  if (checked) {
    out += "<td><u>" + c.text(r, "chkfail") +
           "<div class=tips>Failed Health Checks</div></u></td>" + num(r, "chkdown") +
           td(since(r, "downtime"));
  } else {
    out += "<td colspan=3></td>";
  }
  out += td_ac("-") + "</tr>\n";
}

void backend_row(std::string& out, const row& r, const std::string& name, bool admin) {
  const columns& c = cols();
  out += "<tr class=\"backend\">";
  if (admin)
    out += "<td></td>";
  out += "<td class=ac><a name=\"" + name + "/Backend\"></a><a class=lfsb href=\"#" + name +
         "/Backend\">Backend</a></td>";
  out += num(r, "qcur") + num(r, "qmax") + "<td></td>";
  out += num(r, "rate") + num(r, "rate_max") + "<td></td>";
  out += num(r, "scur") + num(r, "smax") + num(r, "slim") + sessions_tips(r, false) +
         num(r, "lbtot") + td(since(r, "lastsess"));
  out += num(r, "bin") + num(r, "bout");
  out += num(r, "dreq") + num(r, "dresp");
  out += "<td></td>" + num(r, "econ") + num(r, "eresp");
  out += num(r, "wretr") + num(r, "wredis");
  out += td_ac(since(r, "lastchg") + " " + escape_html(c.text(r, "status")));
  out += td_ac("&nbsp;");
  out += td_ac(c.text(r, "weight") + "/" + c.text(r, "uweight"));
  out += td_ac(c.text(r, "act")) + td_ac(c.text(r, "bck"));
  out += td_ac("&nbsp;") + num(r, "chkdown") + td(since(r, "downtime")) + "<td></td></tr>";
}

}  // namespace

process_facts facts_of(const proxy_set& proxies) {
  process_facts f;
  for (const info_field& i : collect_info(proxies)) {
    std::string text = std::visit(
        [](const auto& v) -> std::string {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            return {};
          } else if constexpr (std::is_same_v<T, std::string>) {
            return v;
          } else {
            return std::to_string(v);
          }
        },
        i.value_.value_);
    if (i.name_ == "Version")
      f.version_ = std::move(text);
    else if (i.name_ == "Release_date")
      f.release_date_ = std::move(text);
    else if (i.name_ == "Pid")
      f.pid_ = std::move(text);
    else if (i.name_ == "Uptime")
      f.uptime_ = std::move(text);
    else if (i.name_ == "Nbthread")
      f.threads_ = std::move(text);
    else if (i.name_ == "Ulimit-n")
      f.ulimit_ = std::move(text);
    else if (i.name_ == "Maxsock")
      f.maxsock_ = std::move(text);
    else if (i.name_ == "Maxconn")
      f.maxconn_ = std::move(text);
    else if (i.name_ == "CurrConns")
      f.current_connections_ = std::move(text);
    else if (i.name_ == "ConnRate")
      f.connection_rate_ = std::move(text);
  }
  return f;
}

std::string human_time(std::uint64_t t) {
  char buf[64];
  if (t < 60) {
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(t));
  } else if (t < 3600) {
    std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(t / 60),
                  static_cast<unsigned long long>(t % 60));
  } else if (t < 86400) {
    std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(t / 3600),
                  static_cast<unsigned long long>((t % 3600) / 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llud%02lluh", static_cast<unsigned long long>(t / 86400),
                  static_cast<unsigned long long>((t % 86400) / 3600));
  }
  return buf;
}

std::string grouped(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  if (digits.size() <= 3)
    return digits;
  std::size_t first = digits.size() % 3;
  if (first == 0)
    first = 3;
  std::string out = "<span class=\"rls\">" + digits.substr(0, first) + "</span>";
  std::size_t at = first;
  while (digits.size() - at > 3) {
    out += "<span class=\"rls\">" + digits.substr(at, 3) + "</span>";
    at += 3;
  }
  out += digits.substr(at);
  return out;
}

std::string server_class(std::string_view status, bool backup) {
  if (status.starts_with("MAINT"))
    return "maintain";
  std::string_view style = "up";
  if (status == "DOWN" || status == "DOWN (agent)")
    style = "down";
  else if (status.starts_with("DOWN "))
    style = "going_up";
  else if (status.starts_with("DRAIN"))
    style = "draining";
  else if (status.starts_with("NOLB "))
    style = "going_down";
  else if (status == "NOLB")
    style = "nolb";
  else if (status == "no check")
    style = "no_check";
  else if (status.starts_with("UP "))
    style = "going_down";
  return std::string(backup ? "backup_" : "active_") + std::string(style);
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string render_html(const proxy_set& proxies, const std::vector<row>& rows,
                        const process_facts& facts, const page_settings& settings,
                        const request_options& options, bool admin) {
  std::string out =
      "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"\n"
      "\"http://www.w3.org/TR/html4/loose.dtd\">\n"
      "<html><head><title>Statistics Report for HAProxy";
  if (settings.node_)
    out += " on " + escape_html(*settings.node_);
  out +=
      "</title>\n<link rel=\"icon\" href=\"data:,\">\n"
      "<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n";
  out += style_sheet;
  out += "</head>\n";
  header(out, proxies, facts, settings, options);
  // Rows come grouped by proxy (FRONTEND, servers, BACKEND): one table per group.
  std::size_t i = 0;
  while (i < rows.size()) {
    const std::uint32_t iid = rows[i].proxy_id_;
    std::size_t end = i;
    while (end < rows.size() && rows[end].proxy_id_ == iid)
      ++end;
    const std::string name = escape_html(cols().text(rows[i], "pxname"));
    const proxy_facts px = facts_of(proxies, iid);
    proxy_header(out, name, px, settings, admin);
    for (std::size_t k = i; k < end; ++k) {
      const row& r = rows[k];
      switch (r.type_) {
        case row_type::frontend:
          frontend_row(out, r, name, admin);
          break;
        case row_type::server:
          server_row(out, r, name, proxies, settings, admin);
          break;
        case row_type::backend:
          backend_row(out, r, name, admin);
          break;
        case row_type::listener:
          break;
      }
    }
    out += "</table>";
    if (admin && px.servers_) {
      out += admin_actions;
      out += "<input type=\"hidden\" name=\"b\" value=\"#" + std::to_string(iid) +
             "\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>";
    }
    out += "<p>\n";
    i = end;
  }
  out += "</body></html>\n";
  return out;
}

}  // namespace tandem::runtime::proxy::stats
