// Internal to runtime/assemble: stick tables and the lines that use them — `stick-table` in
// any proxy (the table is named after it), `table NAME …` in a `peers` section (named
// PEERS/NAME, as HAProxy names it), `stick on|match|store-request|store-response`,
// `track-scN KEY [table T]`, `sc-inc-gpc0/1(N)`, `sc-set-gpt0(N) V`. Called from haproxy.cpp.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/haproxy/model.hpp"
#include "runtime/assemble/haproxy.hpp"

namespace tandem::runtime::assemble {

// Every table of the configuration, in set.tables_ (errors and the peers warning go in
// result). Run before any rule is assembled.
void assemble_stick_tables(const parsers::haproxy::config_model& m, proxy::proxy_set& set,
                           haproxy_result& result);
// Points each frontend and backend at its own table (after they are built).
void link_stick_tables(proxy::proxy_set& set);

// A `track-scN KEY [table T]` or `sc-inc-gpc0(N)`/`sc-inc-gpc1(N)`/`sc-set-gpt0(N) V` action
// (its words, without the condition); `proxy` names the table by default. False with `error`
// set.
bool track_action_of(std::span<const std::string> words, std::string_view proxy,
                     const proxy::proxy_set& set, const proxy::acl::userlist_set* users,
                     proxy::track_action& out, std::string& error);
// Whether `word` starts one of those actions.
bool is_track_action(std::string_view word);

// HAProxy 1.x's `appsession COOKIE len N timeout T [request-learn] [prefix] [mode M]` run as
// its nearest modern form: the backend's own string table (len N, expire T) learning the
// cookie from the server's Set-Cookie (and, with request-learn, from requests), and matching
// it in requests' cookies (and in the URL with mode path-parameters / query-string).
void assemble_appsession(const parsers::haproxy::proxy& p, proxy::proxy_set& set,
                         proxy::backend& be, haproxy_result& result);

// A `stick …` line of backend `be` (its condition compiled against `acls`).
void assemble_stick_rule(const parsers::haproxy::rule& r, const proxy::acl::acl_set& acls,
                         proxy::proxy_set& set, proxy::backend& be, haproxy_result& result);

}  // namespace tandem::runtime::assemble
