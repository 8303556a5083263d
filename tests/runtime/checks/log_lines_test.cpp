// HAProxy 2.6's wording, checked against lines captured from Debian's haproxy 2.6.12 run
// with `haproxy -db` (log to stderr, raw format) against loopback servers that refused,
// answered 200/404/500, timed out, or spoke SMTP.
#include "runtime/checks/log_lines.hpp"

#include <gtest/gtest.h>

namespace tandem::runtime::checks {
namespace {

using namespace std::chrono_literals;

const server_ref web1{"app", "web1", false};

TEST(checks_log_lines_test, DownWithReason) {
  const check_result r{check_status::l4con, 0, "Connection refused", 0ms};
  EXPECT_EQ(server_state_line(web1, server_health::down, &r, backend_counts{}),
            "Server app/web1 is DOWN, reason: Layer4 connection problem, info: \"Connection "
            "refused\", check duration: 0ms. 0 active and 0 backup servers left. 0 sessions "
            "active, 0 requeued, 0 remaining in queue.");
}

TEST(checks_log_lines_test, DownRunningOnBackupAndBackupServerDown) {
  const check_result reset{check_status::sockerr, 0, "Connection reset by peer", 100ms};
  EXPECT_EQ(server_state_line(web1, server_health::down, &reset, backend_counts{0, 1, 0, 0, 0}),
            "Server app/web1 is DOWN, reason: Socket error, info: \"Connection reset by peer\", "
            "check duration: 100ms. 0 active and 1 backup servers left. Running on backup. 0 "
            "sessions active, 0 requeued, 0 remaining in queue.");
  const check_result refused{check_status::l4con, 0, "Connection refused", 0ms};
  EXPECT_EQ(server_state_line(server_ref{"app", "web2", true}, server_health::down, &refused,
                              backend_counts{}),
            "Backup Server app/web2 is DOWN, reason: Layer4 connection problem, info: "
            "\"Connection refused\", check duration: 0ms. 0 active and 0 backup servers left. 0 "
            "sessions active, 0 requeued, 0 remaining in queue.");
}

TEST(checks_log_lines_test, UpLines) {
  const check_result l4{check_status::l4ok, 0, "", 0ms};
  EXPECT_EQ(server_state_line(web1, server_health::up, &l4, backend_counts{1, 0, 0, 0, 0}),
            "Server app/web1 is UP, reason: Layer4 check passed, check duration: 0ms. 1 active and "
            "0 backup servers online. 0 sessions requeued, 0 total in queue.");
  const check_result l7{check_status::l7ok, 200, "", 0ms};
  EXPECT_EQ(server_state_line(web1, server_health::up, &l7, backend_counts{1, 0, 0, 0, 0}),
            "Server app/web1 is UP, reason: Layer7 check passed, code: 200, check duration: 0ms. 1 "
            "active and 0 backup servers online. 0 sessions requeued, 0 total in queue.");
}

TEST(checks_log_lines_test, StoppingAfterA404WithDisableOn404) {
  const check_result r{check_status::l7okc, 404, "", 1ms};
  EXPECT_EQ(server_state_line(web1, server_health::stopping, &r, backend_counts{}),
            "Server app/web1 is stopping, reason: Layer7 check conditionally passed, code: 404, "
            "check duration: 1ms. 0 active and 0 backup servers online. 0 sessions requeued, 0 "
            "total in queue.");
}

TEST(checks_log_lines_test, WithoutReasonWhenLogHealthChecksLoggedIt) {
  EXPECT_EQ(server_state_line(web1, server_health::down, nullptr, backend_counts{}),
            "Server app/web1 is DOWN. 0 active and 0 backup servers left. 0 sessions active, 0 "
            "requeued, 0 remaining in queue.");
  EXPECT_EQ(server_state_line(web1, server_health::up, nullptr, backend_counts{1, 0, 0, 0, 0}),
            "Server app/web1 is UP. 1 active and 0 backup servers online. 0 sessions requeued, 0 "
            "total in queue.");
}

TEST(checks_log_lines_test, HealthCheckLines) {
  health_tracker t(health_settings{});
  const check_result http500{check_status::l7sts, 500, "Internal Server Error", 0ms};
  t.record(http500);
  EXPECT_EQ(health_check_line(web1, http500, t),
            "Health check for server app/web1 failed, reason: Layer7 wrong status, code: 500, "
            "info: \"Internal Server Error\", check duration: 0ms, status: 0/2 DOWN.");

  health_tracker u(health_settings{});
  const check_result smtp{check_status::l7ok, 221, "bye", 0ms};
  u.record(smtp);
  EXPECT_EQ(health_check_line(web1, smtp, u),
            "Health check for server app/web1 succeeded, reason: Layer7 check passed, code: 221, "
            "info: \"bye\", check duration: 0ms, status: 3/3 UP.");

  const check_result timeout{check_status::l7tout, 0, "", 201ms};
  health_tracker v(health_settings{});
  v.record(timeout);
  EXPECT_EQ(health_check_line(web1, timeout, v),
            "Health check for server app/web1 failed, reason: Layer7 timeout, check duration: "
            "201ms, status: 0/2 DOWN.");

  const check_result okc{check_status::l7okc, 404, "", 1ms};
  health_tracker w(health_settings{});
  w.record(check_result{check_status::l7ok, 200, "", 0ms});
  w.record(okc);
  EXPECT_EQ(health_check_line(web1, okc, w),
            "Health check for server app/web1 conditionally succeeded, reason: Layer7 check "
            "conditionally passed, code: 404, check duration: 1ms, status: 3/3 UP.");

  const check_result tcp_timeout{check_status::l7tout, 0,
                                 " at step 2 of tcp-check (expect string '+PONG')", 301ms};
  health_tracker x(health_settings{});
  x.record(tcp_timeout);
  EXPECT_EQ(health_check_line(web1, tcp_timeout, x),
            "Health check for server app/web1 failed, reason: Layer7 timeout, info: \" at step 2 "
            "of tcp-check (expect string '+PONG')\", check duration: 301ms, status: 0/2 DOWN.");
}

TEST(checks_log_lines_test, InfoIsAsciiEncoded) {
  const check_result r{check_status::l7rsp, 0, "a\"b<c>\x01\xff", 0ms};
  EXPECT_EQ(reason_text(r),
            ", reason: Layer7 invalid response, info: \"a<22>b<3C>c<3E><01><FF>\", check "
            "duration: 0ms");
}

TEST(checks_log_lines_test, NoServerAvailable) {
  EXPECT_EQ(no_server_alert("backend", "app"), "backend 'app' has no server available!");
  EXPECT_EQ(no_server_log_line("backend", "app"), "backend app has no server available!");
  EXPECT_EQ(no_server_alert("proxy", "app"), "proxy 'app' has no server available!");
}

}  // namespace
}  // namespace tandem::runtime::checks
