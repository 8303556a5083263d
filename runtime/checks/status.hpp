// The result of one health check as HAProxy 2.6 names and words it (src/check.c's table of
// check statuses): the short code ("L4CON") shown by the stats page, the description
// ("Layer4 connection problem") used in logs, whether it counts as a pass, and whether the
// log line carries the response code.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::runtime::checks {

// In HAProxy's order: the statuses after l7rsp carry a response code (its HCHK_STATUS_L57DATA
// boundary), the ones before do not.
enum class check_status : std::uint8_t {
  unknown,
  sockerr,  // an I/O error once connected, or no socket at all
  l4ok,
  l4tout,
  l4con,
  l6ok,
  l6tout,
  l6rsp,
  l7tout,
  l7rsp,
  l7ok,
  l7okc,  // conditionally passed: the server is UP but drained (http-check disable-on-404)
  l7sts,
};

// How a status moves the rise/fall counter.
enum class check_outcome : std::uint8_t { neutral, passed, conditionally_passed, failed };

std::string_view status_name(check_status s);         // "L4CON"
std::string_view status_description(check_status s);  // "Layer4 connection problem"
check_outcome outcome_of(check_status s);
// Whether HAProxy prints ", code: N" for this status (the layer-7 verdicts).
bool reports_code(check_status s);

struct check_result {
  check_status status_ = check_status::unknown;
  int code_ = 0;      // HTTP status, SMTP reply code, MySQL/LDAP error; 0 when none
  std::string info_;  // "Connection refused", an HTTP reason phrase, "" when none
  std::chrono::milliseconds duration_{0};

  friend bool operator==(const check_result&, const check_result&) = default;
};

}  // namespace tandem::runtime::checks
