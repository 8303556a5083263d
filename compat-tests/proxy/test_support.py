"""The suite's own machinery: the pending list names tests that exist, the launcher fails
fast and says why, and the backends record what they received."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

import proxy_support as ps

HERE = Path(__file__).resolve().parent


def collected_ids(session) -> dict[str, set[str]]:
    """file -> {"file::test", "file::test[case]"} for the Tandem items collected here."""
    ids: dict[str, set[str]] = {}
    for item in session.items:
        spec = getattr(item, "callspec", None)
        if spec is None or spec.params.get("impl_name") != "tandem":
            continue
        if item.path.parent != HERE:
            continue
        base = f"{item.path.name}::{item.originalname}"
        parts = item.name[len(item.originalname) + 1:-1].split("-")
        parts.remove("tandem")
        found = ids.setdefault(item.path.name, set())
        found.add(base)
        if parts:
            found.add(f"{base}[{'-'.join(parts)}]")
    return ids


def test_every_pending_entry_names_a_collected_test(request):
    ids = collected_ids(request.session)
    for pattern in ps.TANDEM_PENDING:
        file = pattern.split("::", 1)[0]
        if file not in ids:
            continue  # that file was not collected in this run
        assert any(ps.pending_matches(pattern, i) for i in ids[file]), \
            f"TANDEM_PENDING entry {pattern!r} matches no test: stale after a rename?"


def test_pending_patterns():
    assert ps.pending_matches("f.py::t[a-b]", "f.py::t[a-b]")
    assert not ps.pending_matches("f.py::t[a-b]", "f.py::t[c]")
    assert ps.pending_matches("f.py::*", "f.py::t[c]")
    assert not ps.pending_matches("f.py::t", "f.py::t[c]")


def test_launcher_fails_fast_with_the_output(tmp_path):
    fake = tmp_path / "fake-haproxy"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stderr.write('no runtime\\n')\n"
                    "sys.exit(2)\n")
    fake.chmod(0o755)
    p = ps.Proxy("fake", fake, tmp_path)
    t0 = time.monotonic()
    with pytest.raises(ps.ProxyFailed, match=r"exited with status 2 at start:\nno runtime"):
        p.start(ps.config(f"listen li\n bind 127.0.0.1:{ps.free_port()}\n"))
    assert time.monotonic() - t0 < 2
    assert not p.running


def test_launcher_stops_a_process_that_never_listens(tmp_path):
    fake = tmp_path / "sleeper"
    fake.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    fake.chmod(0o755)
    p = ps.Proxy("sleeper", fake, tmp_path)
    with pytest.raises(ps.ProxyFailed, match="did not listen"):
        p.start(ps.config(f"listen li\n bind 127.0.0.1:{ps.free_port()}\n"), wait=0.3)
    assert not p.running


def test_real_haproxy_starts_and_stops(tmp_path, http_server):
    s = http_server("app")
    fp = ps.free_port()
    p = ps.Proxy("haproxy", ps.HAPROXY, tmp_path)
    p.start(ps.config(f"listen li\n bind 127.0.0.1:{fp}\n server app {s.addr}\n"))
    try:
        assert p.running
        assert ps.get(fp).header("x-server") == "app"
    finally:
        p.stop()
    assert not p.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", fp), timeout=1)


def test_http_server_records_the_wire_and_restarts_on_its_port(http_server):
    s = http_server("one")
    with ps.Client(s.port) as c:
        r = c.send(b"POST /x HTTP/1.1\r\nHost: h\r\nX-Case: Kept\r\nTransfer-Encoding: chunked"
                   b"\r\n\r\n3\r\nabc\r\n0\r\n\r\n").response()
    assert r.status == 200 and r.header("x-server") == "one"
    got = s.requests[0]
    assert got.head.startswith(b"POST /x HTTP/1.1\r\nHost: h\r\nX-Case: Kept\r\n")
    assert (got.body, got.raw_body) == (b"abc", b"3\r\nabc\r\n0\r\n\r\n")
    assert got.names == ["Host", "X-Case", "Transfer-Encoding"]
    port = s.port
    s.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    s.start()
    assert s.port == port and ps.get(port, "/status/404").status == 404


def test_tcp_echo_and_smtp(tcp_echo, smtp_server):
    e = tcp_echo("e", farewell=b"bye")
    with ps.Client(e.port) as c:
        c.send(b"ping")
        assert c.sock.recv(10) == b"ping"
        c.sock.shutdown(socket.SHUT_WR)
        assert c.rest() == b"bye"
    m = smtp_server("mx")
    with ps.Client(m.port) as c:
        assert c.line() == b"220 smtp.test ESMTP ready\r\n"
        assert c.send(b"EHLO me\r\n").line() == b"250 smtp.test\r\n"
        assert c.send(b"QUIT\r\n").line() == b"221 smtp.test closing\r\n"
    assert m.commands == ["EHLO me", "QUIT"]
