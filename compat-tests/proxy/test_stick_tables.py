"""Stick tables as HAProxy 2.6 runs them (after reg-tests/stick-table/*.vtc and
reg-tests/stickiness/*.vtc): `stick on src` persistence across connections and when the server
goes DOWN, `stick match` + `stick store-request`, `stick store-response`, rate limits with
`http-request track-sc0 src` and sc_http_req_rate, `tcp-request connection` tracking with
src_conn_cur, sc_http_err_rate, gpc0 through sc-inc-gpc0, a table declared in another backend,
expiry, mode tcp; and corpus configs that use them starting as they are but for addresses."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

import proxy_support as ps
from proxy_support import Client, config, get, wait_until


def sticky_backend(proxy, http_server, port, stick: str, table: str = "type ip size 100 expire 30s",
                   server_extra: str = "", frontend_extra: str = ""):
    s1, s2 = http_server("s1"), http_server("s2")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            {frontend_extra}
            default_backend b
        backend b
            balance roundrobin
            stick-table {table}
            {stick}
            server s1 {s1.addr} {server_extra}
            server s2 {s2.addr} {server_extra}
    """))
    return fp, s1, s2


def served_by(fp: int, source: str, n: int = 4, target: str = "/", headers=()) -> list[str]:
    return [get(fp, target, headers=headers, source=source).header("x-server") for _ in range(n)]


def test_stick_on_src_keeps_each_client_on_one_server(proxy, http_server, port):
    fp, s1, s2 = sticky_backend(proxy, http_server, port, "stick on src")
    assert served_by(fp, "127.0.0.2") == ["s1"] * 4
    # Another client takes the balancer's next server and keeps it.
    assert served_by(fp, "127.0.0.3") == ["s2"] * 4
    assert served_by(fp, "127.0.0.2", 2) == ["s1"] * 2


def test_stick_on_src_moves_a_client_off_a_down_server(proxy, http_server, port):
    fp, s1, s2 = sticky_backend(proxy, http_server, port, "stick on src",
                                server_extra="check inter 100 fall 1 rise 1")
    assert served_by(fp, "127.0.0.2", 2) == ["s1"] * 2
    s1.stop()
    proxy.wait_stderr(r"Server b/s1 is DOWN")
    assert served_by(fp, "127.0.0.2", 2) == ["s2"] * 2
    # Back up, s1 does not get the client back: the table now names s2.
    s1.start()
    proxy.wait_stderr(r"Server b/s1 is UP")
    assert served_by(fp, "127.0.0.2", 3) == ["s2"] * 3


def test_stick_match_and_store_request_on_a_url_parameter(proxy, http_server, port):
    fp, s1, s2 = sticky_backend(proxy, http_server, port,
                                "stick match urlp(client)\n    stick store-request urlp(client)",
                                table="type string len 32 size 100 expire 30s")
    assert get(fp, "/?client=a").header("x-server") == "s1"
    assert get(fp, "/?client=b").header("x-server") == "s2"
    for _ in range(3):
        assert get(fp, "/?client=a").header("x-server") == "s1"
        assert get(fp, "/?client=b").header("x-server") == "s2"
    # Without the parameter the balancer decides.
    assert [get(fp, "/").header("x-server") for _ in range(2)] == ["s1", "s2"]


def test_stick_store_response_then_match_on_the_request(proxy, http_server, port):
    # The server names itself in X-Server; a client that sends it back in X-Want sticks.
    fp, s1, s2 = sticky_backend(proxy, http_server, port,
                                "stick store-response res.hdr(x-server)\n"
                                "    stick match req.hdr(x-want)",
                                table="type string size 100 expire 30s")
    assert get(fp).header("x-server") == "s1"
    assert get(fp).header("x-server") == "s2"
    for _ in range(3):
        assert get(fp, headers=[("X-Want", "s1")]).header("x-server") == "s1"
    for _ in range(3):
        assert get(fp, headers=[("X-Want", "s2")]).header("x-server") == "s2"


def test_track_sc0_rate_limit_answers_429_then_lets_the_client_back(proxy, http_server, port):
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 30s store http_req_rate(1s)
            http-request track-sc0 src
            http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt 3 }}
            default_backend b
        backend b
            server s1 {s1.addr}
    """))
    statuses = [get(fp).status for _ in range(5)]
    # The request being handled counts: the 4th within the period is refused.
    assert statuses == [200, 200, 200, 429, 429]
    assert len(s1.requests) == 3
    time.sleep(2.1)  # two periods: the old events no longer count
    assert [get(fp).status for _ in range(3)] == [200, 200, 200]
    # Another client has its own entry.
    assert get(fp, source="127.0.0.2").status == 200


def rejected(fp: int) -> bool:
    """The proxy closes a new connection at once (a reset may come during the connect)."""
    try:
        c = Client(fp)
    except ConnectionResetError:
        return True
    with c:
        return c.closed()


def test_tcp_request_connection_reject_on_src_conn_cur(proxy, http_server, port):
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 30s store conn_cur
            tcp-request connection track-sc0 src
            tcp-request connection reject if {{ src_conn_cur ge 3 }}
            default_backend b
        backend b
            server s1 {s1.addr}
    """))
    held = [Client(fp), Client(fp)]
    try:
        for c in held:
            assert c.request().response().status == 200
        assert rejected(fp)
        held.pop().close()
        time.sleep(0.2)
        with Client(fp) as again:
            assert again.request().response().status == 200
        # Another address is counted apart.
        with Client(fp, source="127.0.0.2") as other:
            assert other.request().response().status == 200
    finally:
        for c in held:
            c.close()


def test_sc_http_err_rate_counts_4xx(proxy, http_server, port):
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 30s store http_err_rate(10s),http_err_cnt
            http-request track-sc0 src
            http-request deny if {{ sc_http_err_rate(0) gt 2 }}
            http-request set-header X-Errors %[sc_http_err_cnt(0)]
            default_backend b
        backend b
            server s1 {s1.addr}
    """))
    assert get(fp, "/status/404").status == 404
    assert get(fp, "/status/500").status == 500  # not an error of the client's
    assert get(fp, "/status/404").status == 404
    assert get(fp).status == 200
    assert s1.requests[-1].header("x-errors") == "2"
    assert get(fp, "/status/410").status == 410
    assert get(fp).status == 403
    assert get(fp).status == 403


def test_gpc0_through_sc_inc_gpc0(proxy, http_server, port):
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 30s store gpc0
            http-request track-sc0 src
            http-request sc-inc-gpc0(0) if {{ path_beg /bad }}
            http-request deny if {{ sc_get_gpc0(0) gt 1 }}
            http-request set-header X-Gpc0 %[sc_get_gpc0(0)]
            default_backend b
        backend b
            server s1 {s1.addr}
    """))
    assert get(fp).status == 200
    assert s1.requests[-1].header("x-gpc0") == "0"
    assert get(fp, "/bad").status == 200
    assert s1.requests[-1].header("x-gpc0") == "1"
    assert get(fp, "/bad").status == 403
    assert get(fp).status == 403
    assert get(fp, source="127.0.0.2").status == 200


def test_a_table_declared_in_another_backend(proxy, http_server, port):
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            http-request track-sc1 src table counts
            http-request set-header X-Count %[sc1_http_req_cnt]
            http-request set-header X-Src-Count %[src_http_req_cnt(counts)]
            default_backend b
        backend counts
            stick-table type ip size 100 expire 30s store http_req_cnt
        backend b
            server s1 {s1.addr}
    """))
    for _ in range(3):
        assert get(fp).status == 200
    assert [r.header("x-count") for r in s1.requests] == ["1", "2", "3"]
    assert [r.header("x-src-count") for r in s1.requests] == ["1", "2", "3"]


def test_entries_expire(proxy, http_server, port):
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 1s store http_req_cnt
            http-request track-sc0 src
            http-request set-header X-Count %[sc0_http_req_cnt]
            default_backend b
        backend b
            server s1 {s1.addr}
    """))
    get(fp)
    get(fp)
    time.sleep(1.5)
    get(fp)
    assert [r.header("x-count") for r in s1.requests] == ["1", "2", "1"]


def test_stick_on_src_in_mode_tcp(proxy, tcp_echo, port):
    e1, e2 = tcp_echo("e1", banner=b"e1\r\n"), tcp_echo("e2", banner=b"e2\r\n")
    fp = port()
    proxy.start(config(f"""
        listen l
            bind 127.0.0.1:{fp}
            balance roundrobin
            stick-table type ip size 100 expire 30s
            stick on src
            server e1 {e1.addr}
            server e2 {e2.addr}
    """, mode="tcp"))

    def banner(source: str) -> bytes:
        with Client(fp, source=source) as c:
            return c.line()

    assert [banner("127.0.0.2") for _ in range(3)] == [b"e1\r\n"] * 3
    assert [banner("127.0.0.3") for _ in range(3)] == [b"e2\r\n"] * 3


# --- Corpus configs that use stick tables -------------------------------------------------

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "haproxy"


def corpus_on_loopback(name: str, drop: tuple[str, ...] = ()) -> tuple[str, list[int]]:
    """The corpus file with each `bind` on a free loopback port, the process-wide lines a test
    cannot use (daemon, user, group, chroot, stats socket, pidfile) and `drop` patterns
    removed."""
    out, ports = [], []
    for line in (CORPUS / name).read_text().split("\n"):
        if re.match(r"\s*(daemon|user|group|chroot|stats socket|pidfile|log)\b", line) or \
                any(re.search(d, line) for d in drop):
            continue
        m = re.match(r"(\s*bind\s+)(\S+)", line)
        if m:
            ports.append(ps.free_port())
            line = m.group(1) + f"127.0.0.1:{ports[-1]}" + line[m.end(2):]
        out.append(line)
    return "\n".join(out) + "\n", ports


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no corpus in ../shared")
def test_corpus_rate_limit_by_path_runs(proxy, port):
    # MillsyBot/HAProxy-stick-tables-exporter: tcp-request content track-sc0/sc1 path in a
    # frontend and its backend, deny by path, a return answer.
    text, ports = corpus_on_loopback(
        "MillsyBot__HAProxy-stick-tables-exporter__conf_haproxy.cfg", drop=(r"stats (enable|uri|refresh)",))
    proxy.start(text, ports=ports)
    fp = ports[1]
    assert get(fp, "/front").status == 403
    assert get(fp, "/back").status == 403
    r = get(fp, "/x")
    assert r.status == 200 and r.body == b"Ok"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no corpus in ../shared")
def test_corpus_tables_with_peers_start(proxy, port):
    # Aidaho12/haproxy_configs: two backends with stick tables shared with a peers section.
    text, ports = corpus_on_loopback(
        "Aidaho12__haproxy_configs__haproxy.cfg",
        drop=(r"use-service prometheus-exporter", r"server-state-file", r"^\s*peer demo2",
              r"stats (enable|uri|realm|auth|admin)"))
    text = text.replace("peer demo 127.0.0.1:10000", f"peer {proxy_host()} 127.0.0.1:{port()}")
    proxy.start(text, ports=ports)
    if proxy.impl == "tandem":
        assert "not shared with peers by Tandem" in proxy.stderr
    assert proxy.running


def proxy_host() -> str:
    # A peer named after the local host is this process (HAProxy's default localpeer).
    import socket
    return socket.gethostname()


def test_what_the_counters_hold_during_requests(proxy, http_server, port):
    # One table tracked from the connection (sc1), one from each request (sc0): what a request
    # sees on two keep-alive requests, then on a second connection.
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 30s store conn_cur,conn_cnt,sess_cnt,http_req_cnt,bytes_in_cnt
            tcp-request connection track-sc1 src table conns
            http-request track-sc0 src
            http-request set-header X-Fe %[sc0_conn_cur]/%[sc0_conn_cnt]/%[sc0_sess_cnt]/%[sc0_http_req_cnt]/%[sc0_trackers]
            http-request set-header X-Conn %[sc1_conn_cur]/%[sc1_conn_cnt]/%[sc1_sess_cnt]/%[sc1_http_req_cnt]/%[sc1_trackers]
            http-request set-header X-Src %[src_conn_cur(conns)]/%[src_http_req_cnt]/%[sc_tracked(2)]
            default_backend b
        backend conns
            stick-table type ip size 100 expire 30s store conn_cur,conn_cnt,sess_cnt,http_req_cnt
        backend b
            server s1 {s1.addr}
    """))
    with Client(fp) as c:
        for _ in range(2):
            assert c.request().response().status == 200
    with Client(fp) as c:
        assert c.request().response().status == 200
    seen = [(r.header("x-fe"), r.header("x-conn"), r.header("x-src")) for r in s1.requests]
    assert seen == [
        ("1/1/0/1/1", "1/1/1/1/1", "1/1/0"),
        ("1/2/0/2/1", "1/1/1/2/1", "1/2/0"),
        ("1/3/0/3/1", "1/2/2/3/1", "1/3/0"),
    ]


def test_denials_count_as_errors_and_server_5xx_as_failures(proxy, http_server, port):
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 30s store http_err_cnt,http_fail_cnt
            http-request track-sc0 src
            http-request deny if {{ path /deny }}
            http-request deny deny_status 401 if {{ path /d401 }}
            http-request deny deny_status 503 if {{ path /d503 }}
            http-request set-header X-Errors %[sc0_http_err_cnt]/%[sc0_http_fail_cnt]
            default_backend b
        backend b
            server s1 {s1.addr}
    """))
    assert [get(fp, p).status for p in ("/deny", "/d401", "/d503", "/status/502", "/")] == \
        [403, 401, 503, 502, 200]
    # Every denial is the client's error, whatever its status (the 503 too); the server's 502
    # is a failure.
    assert s1.requests[-1].header("x-errors") == "3/1"


def test_connection_rate_limit_in_mode_tcp(proxy, tcp_echo, port):
    e1 = tcp_echo("e1", banner=b"e1\r\n")
    fp = port()
    proxy.start(config(f"""
        listen l
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 30s store conn_rate(2s),conn_cnt
            tcp-request connection track-sc0 src
            tcp-request connection reject if {{ sc0_conn_rate gt 2 }}
            server e1 {e1.addr}
    """, mode="tcp"))

    def banner() -> bytes | None:
        try:
            with Client(fp) as c:
                return c.line()
        except (ConnectionResetError, BrokenPipeError):
            return None

    assert [banner() for _ in range(4)] == [b"e1\r\n", b"e1\r\n", None, None]
    time.sleep(4.1)  # two periods
    assert banner() == b"e1\r\n"


def test_tcp_request_content_tracking_in_a_backend(proxy, http_server, port):
    # As the MillsyBot config does: the backend tracks the path once it is chosen.
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type string len 32 size 10 expire 30s store http_req_cnt
            tcp-request content track-sc0 path
            default_backend b
        backend b
            stick-table type string len 32 size 10 expire 30s store http_req_cnt,conn_cnt
            tcp-request content track-sc1 path
            http-request set-header X-Fe %[sc0_http_req_cnt]
            tcp-request content reject if {{ path /nope }}
            http-request set-header X-Count %[sc1_http_req_cnt]/%[sc1_conn_cnt]
            server s1 {s1.addr}
    """))
    for p in ("/a", "/a", "/b", "/a"):
        assert get(fp, p).status == 200
    with Client(fp) as c:
        assert c.request(target="/nope").closed()
    # The request being handled counts in the tracker it starts.
    assert [r.header("x-count") for r in s1.requests] == ["1/1", "2/2", "1/1", "3/3"]
    assert [r.header("x-fe") for r in s1.requests] == ["1", "2", "1", "3"]


@pytest.mark.parametrize("case,line", [
    # (the lines, the line number of the one refused)
    ("frontend fe\n    bind 127.0.0.1:{fp}\n    http-request track-sc0 src table nosuch\n", 11),
    ("frontend fe\n    bind 127.0.0.1:{fp}\n    stick-table type ip size 10 store gpc9\n", 11),
    ("frontend fe\n    bind 127.0.0.1:{fp}\n    stick-table type ip size 10 store conn_rate\n", 11),
])
def test_what_cannot_run_is_refused_with_its_line(proxy, port, case, line):
    fp = port()
    text = config(case.format(fp=fp))
    assert text.split("\n")[line - 1].strip() == case.split("\n")[2].strip()
    with pytest.raises(ps.ProxyFailed):
        proxy.start(text)
    if proxy.impl == "tandem":
        assert re.search(rf"\[\S+:{line}\]", proxy.stderr), proxy.stderr


def test_in_table_and_table_converters(proxy, http_server, port):
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 10 expire 30s store http_req_cnt,gpc0
            http-request track-sc0 src
            http-request set-header X-In %[src,in_table(fe)]/%[str(10.9.9.9),in_table(fe)]
            http-request set-header X-Cnt %[src,table_http_req_cnt(fe)]/%[str(10.9.9.9),table_http_req_cnt(fe)]/%[src,table_gpc0(fe)]
            default_backend b
        backend b
            server s1 {s1.addr}
    """))
    get(fp)
    get(fp)
    assert [(r.header("x-in"), r.header("x-cnt")) for r in s1.requests] == \
        [("1/0", "1/0/0"), ("1/0", "2/0/0")]


def test_stick_on_a_length_prefixed_payload_in_mode_tcp(proxy, tcp_echo, port):
    # The form SSL session-id stickiness takes (payload_lv(43,1)), on a simpler protocol: one
    # length byte, then the key.
    e1, e2 = tcp_echo("e1", banner=b"e1\r\n"), tcp_echo("e2", banner=b"e2\r\n")
    fp = port()
    proxy.start(config(f"""
        listen l
            bind 127.0.0.1:{fp}
            balance roundrobin
            stick-table type binary len 2 size 10 expire 30s
            tcp-request inspect-delay 2s
            tcp-request content accept if {{ req.payload_lv(0,1) -m found }}
            stick on req.payload_lv(0,1)
            server e1 {e1.addr}
            server e2 {e2.addr}
    """, mode="tcp"))

    def banner(key: bytes) -> bytes:
        with Client(fp) as c:
            c.send(bytes([len(key)]) + key)
            return c.line()

    got = [banner(k) for k in (b"ab", b"ab", b"ab", b"cd", b"cd")]
    assert got == [b"e1\r\n"] * 3 + [b"e2\r\n"] * 2


def test_a_persistence_cookie_wins_over_the_table_and_is_stored(proxy, http_server, port):
    s1, s2 = http_server("s1"), http_server("s2")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            balance roundrobin
            cookie SERVERID insert indirect nocache
            stick-table type ip size 100 expire 30s
            stick on src
            server s1 {s1.addr} cookie c1
            server s2 {s2.addr} cookie c2
    """))
    src = "127.0.0.2"
    assert get(fp, source=src).header("x-server") == "s1"
    assert get(fp, source=src).header("x-server") == "s1"
    assert get(fp, headers=[("Cookie", "SERVERID=c2")], source=src).header("x-server") == "s2"
    # The server the cookie chose is what the table holds now.
    assert get(fp, source=src).header("x-server") == "s2"
