// Internal to runtime/proxy: what the sessions do with stick tables, kept out of the session
// files — track-sc and sc-* actions, `stick match|on|store-request|store-response` (HAProxy
// 2.6's process_sticking_rules() and process_store_rules()), each a call at one point of a
// session.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy {

// track-scN KEY [table T]: the key's entry is tracked by sc<N> unless sc<N> already tracks
// one. `session_level`: tcp-request connection (lasts the connection). `request`: an
// http-request rule (counts this request).
void run_track(const track_action& a, const acl::sample_source& source, bool session_level,
               bool request);
// sc-inc-gpc0/1(N), sc-set-gpt0(N) V on what sc<N> tracks.
void run_counter_action(http_action action, const track_action& a,
                        const acl::sample_source& source);

// A tcp-request rule's track-scN or sc-* action.
// `request`: the HTTP request being handled counts in a new tracker.
void run_tcp_track(const track_action& a, const acl::sample_source& source, bool session_level,
                   bool request);

// The keys a stream will store once its server is known (at most 8, one per table).
struct pending_stores {
  std::vector<std::pair<stick::table*, std::string>> keys_;
};

// The request-side stick rules of `be`: the server a `stick match|on` entry names, when it is
// not DOWN (nullptr otherwise), and the store-request/stick-on keys to store later.
server* stick_request(const backend& be, const acl::sample_source& source, pending_stores& stores);
// The response-side rules (store-response keys), then every pending store records `chosen`.
void stick_response(const backend& be, const acl::sample_source& source, pending_stores& stores,
                    const server* chosen);

}  // namespace tandem::runtime::proxy
