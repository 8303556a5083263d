"""Health checks as HAProxy 2.6 does them (after reg-tests/checks/*.vtc): `option httpchk`
takes a server out of rotation after `fall` failed checks and back after `rise` good ones,
says so on stderr, answers 503 when no server is left; `option smtpchk` talks to an SMTP
responder."""

from __future__ import annotations

import time

from proxy_support import Client, config, get, wait_until

CHECK = "check inter 100ms"
NO_SERVER_503 = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n"
                 b"cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
                 b"<html><body><h1>503 Service Unavailable</h1>\n"
                 b"No server is available to handle this request.\n</body></html>\n")


def checked_pair(proxy, http_server, port, opts: str, check_line="option httpchk GET /health"):
    s1, s2 = http_server("s1"), http_server("s2")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            {check_line}
            server s1 {s1.addr} {opts}
            server s2 {s2.addr} {opts}
    """))
    return fp, s1, s2


def answered_since_last_other(server, status: int) -> int:
    """How many checks answered `status` since the last one that answered something else.
    A status is recorded when the answer is chosen, so a check in flight during a switch is
    counted by what it really answered."""
    n = 0
    for c in list(server.checks):
        if c.status:  # 0: still being answered
            n = n + 1 if c.status == status else 0
    return n


def wait_full_health(server, fall: int) -> None:
    """A server starts UP with the least health that is still UP: one failed check takes it
    down whatever `fall` says (see test_a_failing_server_falls_at_the_first_check). Only
    after `fall` good checks does it take `fall` failures to go down."""
    assert wait_until(lambda: answered_since_last_other(server, 200) >= fall), server.checks


def watch_transition(proxy, server, line: str, status: int, count: int, timeout=3.0) -> int:
    """Wait for `line` on stderr; assert it never shows before `count` checks in a row
    answered `status`, and does show soon after. The number answered when it was seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = answered_since_last_other(server, status)  # read before the log: never too low
        if line in proxy.stderr:
            assert done >= count, f"{line!r} after {done} checks answering {status}"
            return done
        assert done <= count + 2, f"{done} checks answered {status}, still no {line!r}:\n" \
                                  f"{proxy.stderr}"
        time.sleep(0.01)
    raise AssertionError(f"no {line!r} within {timeout} s:\n{proxy.stderr}")


def test_httpchk_sends_the_configured_request(proxy, http_server, port):
    fp, s1, s2 = checked_pair(proxy, http_server, port, CHECK)
    assert wait_until(lambda: len(s1.checks) >= 2 and len(s2.checks) >= 2)
    c = s1.checks[0]
    assert (c.method, c.target, c.version) == ("GET", "/health", "HTTP/1.0")
    assert c.head == b"GET /health HTTP/1.0\r\n\r\n"


def test_httpchk_default_request_is_options(proxy, http_server, port):
    fp, s1, s2 = checked_pair(proxy, http_server, port, CHECK, "option httpchk")
    s1.check_path = s2.check_path = "/"
    assert wait_until(lambda: len(s1.checks) >= 1)
    assert s1.checks[0].head == b"OPTIONS / HTTP/1.0\r\n\r\n"


def test_httpchk_with_version_and_host(proxy, http_server, port):
    fp, s1, s2 = checked_pair(proxy, http_server, port, CHECK,
                              "option httpchk GET /health HTTP/1.1\\r\\nHost:\\ app.example")
    assert wait_until(lambda: len(s1.checks) >= 1)
    c = s1.checks[0]
    assert (c.version, c.header("host")) == ("HTTP/1.1", "app.example")


def test_server_answering_500_leaves_after_fall_and_returns_after_rise(proxy, http_server,
                                                                       port):
    fp, s1, s2 = checked_pair(proxy, http_server, port, CHECK + " fall 3 rise 2")
    assert {get(fp).header("x-server") for _ in range(4)} == {"s1", "s2"}
    wait_full_health(s1, 3)
    s1.check_status = 500
    watch_transition(proxy, s1, "Server b/s1 is DOWN", 500, 3)
    proxy.wait_stderr(r'^\[WARNING\] +\(\d+\) : Server b/s1 is DOWN, reason: Layer7 wrong status, '
                      r'code: 500, info: "Internal Server Error", check duration: \d+ms\. '
                      r'1 active and 0 backup servers left\. 0 sessions active, 0 requeued, '
                      r'0 remaining in queue\.$')
    assert [get(fp).header("x-server") for _ in range(4)] == ["s2"] * 4
    s1.check_status = None
    watch_transition(proxy, s1, "Server b/s1 is UP", 200, 2)
    proxy.wait_stderr(r'^\[WARNING\] +\(\d+\) : Server b/s1 is UP, reason: Layer7 check passed, '
                      r'code: 200, check duration: \d+ms\. 2 active and 0 backup servers online\. '
                      r'0 sessions requeued, 0 total in queue\.$')
    assert {get(fp).header("x-server") for _ in range(4)} == {"s1", "s2"}


def test_a_failing_server_falls_at_the_first_check(proxy, http_server, port):
    s1, s2 = http_server("s1"), http_server("s2")
    s1.check_status = 500
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            option httpchk GET /health
            server s1 {s1.addr} {CHECK} fall 3 rise 2
            server s2 {s2.addr} {CHECK} fall 3 rise 2
    """))
    # Servers start UP at the lowest health that is still UP: one failure is enough.
    watch_transition(proxy, s1, "Server b/s1 is DOWN", 500, 1)
    assert answered_since_last_other(s1, 500) <= 2
    s1.check_status = None
    watch_transition(proxy, s1, "Server b/s1 is UP", 200, 2)


def test_refused_connection_takes_the_server_down(proxy, http_server, port):
    # fall 3 from full health: a check caught in flight when the server stops fails
    # otherwise (a reset); the third failure, 200 ms later, is a refusal for sure.
    fp, s1, s2 = checked_pair(proxy, http_server, port, CHECK + " fall 3 rise 1")
    wait_full_health(s1, 3)
    s1.stop()
    proxy.wait_stderr(r'Server b/s1 is DOWN, reason: Layer4 connection problem, '
                      r'info: "Connection refused", check duration: \d+ms\. '
                      r'1 active and 0 backup servers left\.')
    assert [get(fp).header("x-server") for _ in range(3)] == ["s2"] * 3
    s1.start()
    proxy.wait_stderr(r"Server b/s1 is UP, reason: Layer7 check passed")
    assert {get(fp).header("x-server") for _ in range(4)} == {"s1", "s2"}


def test_no_server_left_answers_503(proxy, http_server, port):
    fp, s1, s2 = checked_pair(proxy, http_server, port, CHECK + " fall 1")
    s1.check_status = s2.check_status = 503
    proxy.wait_stderr(r"Server b/s1 is DOWN")
    proxy.wait_stderr(r"Server b/s2 is DOWN")
    proxy.wait_stderr(r"^\[ALERT\] +\(\d+\) : backend 'b' has no server available!$")
    before = len(s1.requests) + len(s2.requests)
    r = get(fp)
    assert r.raw == NO_SERVER_503
    assert len(s1.requests) + len(s2.requests) == before


def test_server_without_check_stays_in_rotation(proxy, http_server, port):
    s1, s2 = http_server("s1"), http_server("s2")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            option httpchk GET /health
            server s1 {s1.addr}
            server s2 {s2.addr} {CHECK}
    """))
    time.sleep(0.3)
    assert s1.checks == [] and len(s2.checks) >= 1
    assert {get(fp).header("x-server") for _ in range(4)} == {"s1", "s2"}


def test_plain_tcp_check_follows_the_port(proxy, http_server, port):
    fp, s1, s2 = checked_pair(proxy, http_server, port, CHECK + " fall 3 rise 1", "")
    # A tcp check aborts the connection as soon as the server's SYN-ACK comes back: the
    # server never accepts it, so full health is waited for by time (3 checks, see
    # wait_full_health).
    time.sleep(0.45)
    assert s1.accepted == 0 and s2.accepted == 0
    s2.stop()
    proxy.wait_stderr(r'Server b/s2 is DOWN, reason: Layer4 connection problem, '
                      r'info: "Connection refused"')
    assert [get(fp).header("x-server") for _ in range(3)] == ["s1"] * 3
    s2.start()
    proxy.wait_stderr(r"Server b/s2 is UP, reason: Layer4 check passed")


def smtp_pair(proxy, smtp_server, port, check_line: str, banner: str | None = None):
    good = smtp_server("mx1")
    other = smtp_server("mx2", **({"banner": banner} if banner else {}))
    fp = port()
    proxy.start(config(f"""
        listen smtp
            bind 127.0.0.1:{fp}
            {check_line}
            server mx1 {good.addr} {CHECK} fall 1 rise 1
            server mx2 {other.addr} {CHECK} fall 1 rise 1
    """, mode="tcp"))
    return fp, good, other


def test_smtpchk_says_helo_and_keeps_the_server(proxy, smtp_server, port):
    fp, mx1, mx2 = smtp_pair(proxy, smtp_server, port, "option smtpchk")
    assert wait_until(lambda: "QUIT" in mx1.commands)
    assert mx1.commands[:2] == ["HELO localhost", "QUIT"]
    time.sleep(0.2)
    assert "is DOWN" not in proxy.stderr


def test_smtpchk_with_ehlo_domain(proxy, smtp_server, port):
    fp, mx1, mx2 = smtp_pair(proxy, smtp_server, port, "option smtpchk EHLO mail.example")
    assert wait_until(lambda: "QUIT" in mx1.commands)
    assert mx1.commands[:2] == ["EHLO mail.example", "QUIT"]


def test_smtpchk_refusing_banner_takes_the_server_down(proxy, smtp_server, port):
    fp, mx1, mx2 = smtp_pair(proxy, smtp_server, port, "option smtpchk",
                             banner="421 Try again later")
    proxy.wait_stderr(r'Server smtp/mx2 is DOWN, reason: Layer7 wrong status, code: 421, '
                      r'info: "Try again later"')
    assert "Server smtp/mx1 is DOWN" not in proxy.stderr
    # Only the healthy relay gets the clients.
    for _ in range(3):
        with Client(fp) as c:
            assert c.line() == b"220 smtp.test ESMTP ready\r\n"
    mx2.banner = "220 back"
    proxy.wait_stderr(r'Server smtp/mx2 is UP, reason: Layer7 check passed, code: 221, '
                      r'info: "smtp.test closing"')
