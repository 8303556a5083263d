// Part of runtime/assemble: a section's `stats …` lines (model::stats_settings, defaults
// already inherited by the parser) become the stats page applet of its frontend and/or backend
// objects (runtime/proxy/stats/applet.hpp).
#pragma once

#include <vector>

#include "parsers/haproxy/model.hpp"
#include "runtime/assemble/haproxy.hpp"
#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::assemble {

// Whether the section serves a stats page (any stats keyword but `stats scope` enables it).
bool wants_stats_page(const parsers::haproxy::proxy& p);

// Builds the applet(s) of section `p`: on its frontend object (`fe`) and on its backend object
// (`be`, reached from other frontends), whichever exist, as
// HAProxy checks the stats URI of the frontend and then of the backend of a request.
// Conditions compile against `acls` (the section's ACLs). Problems go to `problems`.
void build_stats_page(const parsers::haproxy::config_model& m, const parsers::haproxy::proxy& p,
                      proxy::proxy_set& set, const proxy::acl::acl_set& acls, proxy::frontend* fe,
                      proxy::backend* be, std::vector<problem>& problems);

}  // namespace tandem::runtime::assemble
