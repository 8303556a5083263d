// Internal to runtime/proxy: HAProxy 1.x's req*/rsp* filters with their 1.8 meaning, for the
// configurations HAProxy 2.1+ refuses (reqrep, reqdel, reqdeny, reqallow, reqtarpit, reqsetbe,
// rsprep, rspdel, rspdeny, and reqadd/rspadd lines add-header cannot say). A filter's regex is
// tried on the start line, then, unless that matched, on each header line "Name: value"; a
// replacement rewrites the whole line it matched (text outside the match is dropped), with \0 …
// \9 for the groups. Assemble lowers the lines into http_rule; rules.cpp runs them in order.
//
// Tandem's HTTP layer keeps header names in lower case, as HAProxy 2.x does, so the name a
// client sent is not known any more: a header line is offered as "Title-Case-Name: value" (what
// clients send and 1.x configurations were written against) and, when that does not match, as
// "lower-case-name: value".
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "runtime/proxy/acl/condition.hpp"
#include "runtime/proxy/acl/regex.hpp"
#include "runtime/proxy/http/message.hpp"
#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy {

enum class legacy_verdict : std::uint8_t {
  none,         // nothing matched, or a rewrite was done
  allow,        // reqallow matched: later reqallow/reqdeny/reqtarpit lines are skipped
  deny,         // reqdeny (403) or rspdeny (502)
  tarpit,       // reqtarpit (500 after timeout tarpit)
  bad_message,  // a rewritten start line that no longer parses (400 / 502, as 1.8)
};

// Runs one legacy rule (action legacy_*) on a request or a response.
legacy_verdict apply_legacy_rule(const http_rule& rule, http::request_head& request);
legacy_verdict apply_legacy_rule(const http_rule& rule, http::response_head& response);

// reqsetbe/reqisetbe as a use_backend condition: the regex matches the request line or a header
// line, and `also` (its `if`/`unless`, may be null) holds.
std::unique_ptr<acl::condition> legacy_line_condition(std::shared_ptr<const acl::regex> regex,
                                                      std::unique_ptr<acl::condition> also);

// exp_replace(): `replacement` with \0 … \9 replaced by the groups of `subject` (nothing for a
// group that did not take part) and \c by c.
std::string expand_legacy_replacement(std::string_view replacement, std::string_view subject,
                                      const acl::regex::groups& g);

// "X-Forwarded-For" for "x-forwarded-for".
std::string title_case(std::string_view name);

}  // namespace tandem::runtime::proxy
