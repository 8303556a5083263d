// One expect step judged against the bytes received so far, pure (HAProxy 2.6's
// tcpcheck_eval_expect, tcpcheck_eval_expect_http and the MySQL/LDAP parsers): more data is
// needed, the step passed, or the check failed with a status, a code and an info text worded
// as HAProxy words them.
#pragma once

#include <string_view>

#include "runtime/checks/regex.hpp"
#include "runtime/checks/spec.hpp"
#include "runtime/checks/status.hpp"

namespace tandem::runtime::checks {

// HAProxy's check buffer (tune.bufsize): a response is judged on at most this much.
inline constexpr std::size_t check_buffer_size = 16384;
// HAProxy keeps at most 127 bytes of a check's info (HCHK_DESC_LEN).
inline constexpr std::size_t info_max = 127;

struct expect_context {
  check_kind kind_ = check_kind::tcp_check;
  int step_id_ = 1;           // HAProxy's step number, for "at step N"
  std::string_view data_;     // everything received since the last send or connect
  bool last_read_ = false;    // the server closed (or the buffer is full): judge now
  bool last_rule_ = false;    // the check's final step
  bool server_down_ = false;  // for disable-on-404, which only drains a server that is up
  bool disable_on_404_ = false;
};

enum class expect_verdict : std::uint8_t { need_more, passed, failed };

struct expect_outcome {
  expect_verdict verdict_ = expect_verdict::need_more;
  // failed: the check's result. passed: the result the check ends with when this is its
  // last step (status, code and the on-success info).
  check_result result_;
  // passed on a 404 with disable-on-404: the check ends "conditionally passed".
  bool conditional_ = false;
};

// `compiled` is the step's regex for the r* kinds (null otherwise).
expect_outcome evaluate_expect(const expect_step& step, const regex* compiled,
                               const expect_context& context);

// HAProxy's " (expect string 'x')" / " (expect regex)" ... describing a step in the info of a
// tcp-check that timed out or lost its connection there.
std::string describe_expect(const expect_step& step);

// An info text as HAProxy keeps it: up to the first NUL, at most info_max bytes.
std::string clip_info(std::string_view info);

}  // namespace tandem::runtime::checks
