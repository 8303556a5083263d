"""appsession (removed in 1.6) runs on Tandem as its nearest modern form: the server's session
cookie is learnt from its Set-Cookie and later requests carrying it go to that server. The
modern form (a string stick-table with stick match / store-response) runs on both, so the
twin proves what the old line is expected to do; HAProxy 2.6 refuses the old line itself."""

from __future__ import annotations

import subprocess

import pytest

from proxy_support import HAPROXY, config, get

MODERN = """stick-table type string len 52 size 1m expire 3h
            stick match req.cook(JSESSIONID)
            stick store-response res.cook(JSESSIONID)"""
LEGACY = "appsession JSESSIONID len 52 timeout 3h"


def sticks(proxy, http_server, port, line: str) -> None:
    a, b = http_server("a"), http_server("b")
    for s in (a, b):
        s.extra_headers = [("Set-Cookie", f"JSESSIONID={s.name}-session; path=/")]
    fp = port()
    proxy.start(config(f"""
        listen app
            bind 127.0.0.1:{fp}
            balance roundrobin
            {line}
            server a {a.addr}
            server b {b.addr}
    """))
    first = get(fp).header("x-server")
    session = f"JSESSIONID={first}-session"
    picks = [get(fp, headers=[("Cookie", session)]).header("x-server") for _ in range(4)]
    assert picks == [first] * 4
    # Without the cookie the balancer still alternates.
    assert {get(fp).header("x-server") for _ in range(2)} == {"a", "b"}


def test_modern_form(proxy, http_server, port):
    sticks(proxy, http_server, port, MODERN)


@pytest.mark.tandem_only
def test_appsession_on_tandem(proxy, http_server, port):
    sticks(proxy, http_server, port, LEGACY)


def test_haproxy_26_refuses_appsession(tmp_path):
    cfg = tmp_path / "a.cfg"
    cfg.write_text(config(f"""
        listen app
            bind 127.0.0.1:1
            {LEGACY}
            server a 127.0.0.1:2
    """))
    r = subprocess.run([HAPROXY, "-c", "-f", cfg], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "appsession" in r.stderr
