// HAProxy's stats page as an applet on a frontend, backend or listen section (`stats enable`,
// `stats uri`, `stats auth` …): which requests are its own (the URI prefix, GET/HEAD/POST), who
// may see it (`stats auth`, `stats http-request allow|deny|auth`), who may act on it (`stats
// admin if …`), and the answer: the HTML report, `;csv`, `;json`, or the admin form's 303, with
// HAProxy 2.6's status lines and headers. What the page shows comes from stats/fields.hpp, what
// the form changes goes through admin.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/proxy/objects.hpp"
#include "runtime/proxy/service.hpp"

namespace tandem::runtime::proxy::stats {

// `stats http-request allow|deny|auth [realm R] [if|unless COND]`: the first rule whose
// condition holds decides.
struct access_rule {
  enum class kind : std::uint8_t { allow, deny, auth };
  kind kind_ = kind::allow;
  std::string realm_;                          // auth; "" : HAProxy's default realm
  std::unique_ptr<acl::condition> condition_;  // nullptr: always
};

// One section's stats settings, resolved by assemble (defaults inherited, `stats scope .`
// replaced by the section's name, show-node/show-desc without argument by the global ones).
struct page_settings {
  std::string uri_ = "/haproxy?stats";
  std::optional<std::string> realm_;  // stats realm
  std::vector<std::string> users_;    // stats auth "user:password", compared as written
  unsigned refresh_seconds_ = 0;      // stats refresh; 0: none
  bool hide_version_ = false;
  bool show_legends_ = false;
  std::optional<std::string> node_;         // stats show-node (resolved)
  std::optional<std::string> description_;  // stats show-desc (resolved)
  std::vector<std::string> scope_;          // stats scope names; empty: every proxy
  // `stats admin if|unless COND`, in order; a null condition is always true.
  std::vector<std::unique_ptr<acl::condition>> admin_;
  std::vector<access_rule> access_;  // stats http-request; empty: stats auth decides
  std::string version_;              // "Tandem 0.1.0", after HAProxy's version unless hide_version_
};

// HAProxy's realm when none is given ("stats realm", "stats http-request auth").
inline constexpr std::string_view default_realm = "HAProxy Statistics";

// What the part of the URI after the prefix asks for (http_handle_stats()).
struct request_options {
  enum class format : std::uint8_t { html, csv, json, json_schema, typed };
  format format_ = format::html;
  bool hide_down_ = false;   // ;up
  bool hide_maint_ = false;  // ;no-maint
  bool no_refresh_ = false;  // ;norefresh (only when a refresh is configured)
  std::string status_;       // ;st=XXXX: DONE, NONE, PART, ERRP, EXCD, DENY, UNKN …
  std::string scope_;        // ;scope=NAME (the search box), "" when none or invalid
};
request_options parse_options(std::string_view after_prefix, bool refresh_configured);

// The admin form's POST body, as stats_process_http_post() reads it: the status code it
// leads to ("DONE", "NONE", "PART", "ERRP", "EXCD").
std::string apply_admin_form(proxy_set& proxies, std::string_view body, const log_sink& log);

class stats_applet final : public http_applet {
 public:
  // The session counts the page's requests (intercepted) and its responses.
  stats_applet(proxy_set& proxies, page_settings settings);

  bool wants(const http::request_head& request) const override;
  std::string respond(const http::request_head& request, std::string_view body,
                      const acl::sample_source& source) override;

  // Where admin actions are logged ("Server b/s is going DOWN for maintenance."); until set,
  // nowhere.
  void set_log(log_sink log) { log_ = std::move(log); }
  const page_settings& settings() const { return settings_; }

 private:
  proxy_set& proxies_;
  page_settings settings_;
  log_sink log_;
};

// Gives every stats applet of `proxies` the proxy's log (the service's alerts and notices).
void attach_log(proxy_set& proxies, const log_sink& log);

}  // namespace tandem::runtime::proxy::stats
