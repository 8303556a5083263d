// See haproxy_stats_page.hpp. HAProxy 2.6's rules (cfgparse.c, uri_auth.c): `stats auth`
// becomes "auth [realm R] unless { http_auth(internal list) }" unless `stats http-request`
// rules decide, and the two cannot be mixed; `stats scope .` is the section itself;
// `stats show-node`/`show-desc` without argument show the global node/description.
#include "runtime/assemble/haproxy_stats_page.hpp"

#include <unistd.h>

#include <memory>

#include "runtime/proxy/stats/applet.hpp"

namespace tandem::runtime::assemble {

namespace model = parsers::haproxy;
using namespace tandem::runtime::proxy;

namespace {

#ifndef TANDEM_STATS_VERSION
#define TANDEM_STATS_VERSION "0"
#endif

std::string global_word(const model::config_model& m, std::string_view keyword) {
  for (const model::words_at& w : m.global_.other_) {
    if (w.words_.empty() || w.words_[0] != keyword)
      continue;
    std::string text;
    for (std::size_t i = 1; i < w.words_.size(); ++i) {
      text += (i > 1 ? " " : "") + w.words_[i];
    }
    return text;
  }
  return {};
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return {};
  return buf;
}

std::unique_ptr<acl::condition> compile(const std::vector<std::string>& words,
                                        const acl::acl_set& acls,
                                        const parsers::source_position& at,
                                        std::vector<problem>& problems) {
  if (words.empty())
    return nullptr;
  std::string error;
  std::unique_ptr<acl::condition> c = acl::compile_condition(words, acls, error);
  if (!c)
    problems.push_back({at, error, true});
  return c;
}

struct built {
  stats::page_settings settings_;
  bool ok_ = true;
};

built settings_of(const model::config_model& m, const model::proxy& p, const acl::acl_set& acls,
                  std::vector<problem>& problems) {
  built out;
  stats::page_settings& s = out.settings_;
  const model::stats_settings& ms = p.stats_;
  if (ms.uri_)
    s.uri_ = *ms.uri_;
  s.realm_ = ms.realm_;
  s.users_ = ms.auth_;
  s.refresh_seconds_ = ms.refresh_ ? static_cast<unsigned>(*ms.refresh_ / 1000) : 0;
  s.hide_version_ = ms.hide_version_;
  s.show_legends_ = ms.show_legends_;
  if (ms.show_node_) {
    std::string node = *ms.show_node_;
    if (node.empty())
      node = global_word(m, "node");
    if (node.empty())
      node = host_name();
    s.node_ = node;
  }
  if (ms.show_desc_) {
    std::string desc = *ms.show_desc_;
    if (desc.empty())
      desc = global_word(m, "description");
    s.description_ = desc;
  }
  for (const std::string& scope : ms.scope_) {
    s.scope_.push_back(scope == "." ? p.name_ : scope);
  }
  s.version_ = "Tandem " TANDEM_STATS_VERSION;
  for (std::size_t i = 0; i < ms.admin_.size(); ++i) {
    const parsers::source_position at =
        i < ms.admin_positions_.size() ? ms.admin_positions_[i] : ms.position_;
    const std::vector<std::string>& words = ms.admin_[i];
    if (words.empty() || (words[0] != "if" && words[0] != "unless")) {
      problems.push_back({at,
                          "'stats admin' requires either 'if' or 'unless' followed by a "
                          "condition.",
                          true});
      out.ok_ = false;
      continue;
    }
    auto c = compile(words, acls, at, problems);
    if (!c) {
      out.ok_ = false;
      continue;
    }
    s.admin_.push_back(std::move(c));
  }
  if (!ms.http_request_.empty() && (!ms.auth_.empty() || ms.realm_)) {
    // HAProxy names no line here (it finds the clash after reading the file).
    problems.push_back({parsers::source_position{},
                        "proxy '" + p.name_ +
                            "': stats 'auth'/'realm' and 'http-request' can't be used at the "
                            "same time.",
                        true});
    out.ok_ = false;
  }
  for (const model::rule& r : ms.http_request_) {
    std::vector<std::string> action;
    std::vector<std::string> condition;
    bool in_condition = false;
    for (const std::string& w : r.words_) {
      if (!in_condition && (w == "if" || w == "unless"))
        in_condition = true;
      (in_condition ? condition : action).push_back(w);
    }
    stats::access_rule rule;
    const std::string verb = action.empty() ? std::string() : action[0];
    if (verb == "allow" && action.size() == 1) {
      rule.kind_ = stats::access_rule::kind::allow;
    } else if (verb == "deny" && action.size() == 1) {
      rule.kind_ = stats::access_rule::kind::deny;
    } else if (verb == "auth" &&
               (action.size() == 1 || (action.size() == 3 && action[1] == "realm"))) {
      rule.kind_ = stats::access_rule::kind::auth;
      if (action.size() == 3)
        rule.realm_ = action[2];
    } else {
      problems.push_back({r.position_,
                          "'stats http-request " + verb +
                              "' is not supported by Tandem's stats page (it runs "
                              "allow, deny and auth [realm R], as HAProxy 2.6 "
                              "does)",
                          true});
      out.ok_ = false;
      continue;
    }
    if (!condition.empty()) {
      rule.condition_ = compile(condition, acls, r.position_, problems);
      if (!rule.condition_) {
        out.ok_ = false;
        continue;
      }
    }
    s.access_.push_back(std::move(rule));
  }
  return out;
}

}  // namespace

bool wants_stats_page(const model::proxy& p) {
  return p.stats_.enabled_;
}

void build_stats_page(const model::config_model& m, const model::proxy& p, proxy_set& set,
                      const acl::acl_set& acls, frontend* fe, backend* be,
                      std::vector<problem>& problems) {
  if (!wants_stats_page(p))
    return;
  if (p.mode_ != model::proxy_mode::http) {
    // HAProxy 2.6 warns and serves nothing: the stats page needs HTTP.
    problems.push_back({parsers::source_position{},
                        "'stats' statement ignored for " +
                            std::string(fe != nullptr && be != nullptr ? "proxy"
                                        : fe != nullptr                ? "frontend"
                                                                       : "backend") +
                            " '" + p.name_ + "' as it requires HTTP mode.",
                        false});
    return;
  }
  // Each object gets its own applet (conditions are compiled per applet).
  if (fe != nullptr) {
    built b = settings_of(m, p, acls, problems);
    if (!b.ok_)
      return;
    fe->stats_ = std::make_unique<stats::stats_applet>(set, std::move(b.settings_));
  }
  if (be != nullptr) {
    std::vector<problem> again;  // the same problems were reported for the frontend
    built b = settings_of(m, p, acls, fe != nullptr ? again : problems);
    if (!b.ok_)
      return;
    be->stats_ = std::make_unique<stats::stats_applet>(set, std::move(b.settings_));
  }
}

}  // namespace tandem::runtime::assemble
