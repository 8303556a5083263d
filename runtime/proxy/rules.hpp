// Internal to runtime/proxy: http-request and http-response rules run against one message,
// in order, as HAProxy 2.6 runs them. A rule either lets processing go on or ends it with a
// response (deny, redirect, auth, return, tarpit).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/proxy/objects.hpp"
#include "runtime/proxy/session_source.hpp"

namespace tandem::runtime::proxy {

struct rule_outcome {
  bool stop_ = false;          // allow: no further rules of this list
  std::optional<std::string> response_;  // a whole response to send instead (then close)
  bool tarpit_ = false;        // wait timeout tarpit, then send response_
  bool denied_ = false;        // deny/tarpit (the stats' dreq/dresp); else intercepted
  bool auth_ = false;          // an auth answer (a client error for stick counters)
  bool close_ = false;         // reject: close the connection, answer nothing
};

// The response HAProxy sends for an error status, with the proxy's errorfile overrides.
// `origin`: HAProxy's HTTP/1 connection layer (requests it cannot read) words its answers
// differently from its stream layer.
std::string error_response(unsigned status, const std::map<unsigned, std::string>* first,
                           const std::map<unsigned, std::string>* second,
                           http::error_origin origin = http::error_origin::stream);

rule_outcome run_request_rules(const std::vector<http_rule>& rules, http::request_head& request,
                               session_source& source,
                               const std::map<unsigned, std::string>& error_pages);
rule_outcome run_response_rules(const std::vector<http_rule>& rules,
                                http::response_head& response, session_source& source,
                                const std::map<unsigned, std::string>& error_pages);
// http-after-response rules (header, status and variable actions only) on any response.
void run_after_response_rules(const std::vector<http_rule>& rules, http::response_head& response,
                              session_source& source);

// A rule's regex (PCRE2 through the ACL engine), compiled once and matched by any thread.
std::shared_ptr<const acl::regex> compile_regex(std::string_view pattern, bool ignore_case,
                                           std::string& error);

}  // namespace tandem::runtime::proxy
