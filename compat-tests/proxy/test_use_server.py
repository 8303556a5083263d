"""use-server as HAProxy 2.6 runs it: the first matching rule whose server is usable picks the
server, before cookies and the balancer, in mode http and mode tcp; a rule naming a server
that is down is skipped; the name may be a log-format string."""

from __future__ import annotations

from proxy_support import Client, config, get


def test_use_server_by_path_and_weight_zero_servers(proxy, http_server, port):
    a = http_server("a")
    b = http_server("b")
    fp = port()
    proxy.start(config(f"""
        listen app
            bind 127.0.0.1:{fp}
            use-server b if {{ path_beg /b }}
            server a {a.addr}
            server b {b.addr} weight 0
    """))
    assert [get(fp, p).header("x-server") for p in ("/b1", "/x", "/b2", "/y")] == \
        ["b", "a", "b", "a"]


def test_a_rule_naming_a_server_that_is_down_is_skipped(proxy, http_server, port):
    a = http_server("a")
    b = http_server("b")
    c = http_server("c")
    fp = port()
    proxy.start(config(f"""
        listen app
            bind 127.0.0.1:{fp}
            use-server b if {{ path_beg /b }}
            use-server c if {{ path_beg /b }}
            server a {a.addr}
            server b {b.addr} disabled
            server c {c.addr} weight 0
    """))
    assert get(fp, "/b").header("x-server") == "c"
    assert get(fp, "/x").header("x-server") == "a"


def test_use_server_wins_over_the_persistence_cookie(proxy, http_server, port):
    a = http_server("a")
    b = http_server("b")
    fp = port()
    proxy.start(config(f"""
        listen app
            bind 127.0.0.1:{fp}
            cookie SRV insert indirect nocache
            use-server b if {{ hdr(x-force) -m found }}
            server a {a.addr} cookie A
            server b {b.addr} cookie B
    """))
    r = get(fp, "/", headers=[("Cookie", "SRV=A"), ("X-Force", "1")])
    assert r.header("x-server") == "b"
    # The cookie is still processed: indirect mode strips it before the server.
    assert b.requests[-1].header("cookie") is None


def test_dynamic_server_name(proxy, http_server, port):
    a = http_server("a")
    b = http_server("b")
    fp = port()
    proxy.start(config(f"""
        listen app
            bind 127.0.0.1:{fp}
            use-server %[req.hdr(x-server)] if {{ req.hdr(x-server) -m found }}
            server a {a.addr}
            server b {b.addr}
    """))
    assert get(fp, "/", headers=[("X-Server", "b")]).header("x-server") == "b"
    assert get(fp, "/", headers=[("X-Server", "b")]).header("x-server") == "b"
    assert get(fp, "/", headers=[("X-Server", "a")]).header("x-server") == "a"


def test_use_server_in_tcp_mode(proxy, tcp_echo, port):
    e1 = tcp_echo("e1", banner=b"one\n")
    e2 = tcp_echo("e2", banner=b"two\n")
    fp = port()
    proxy.start(config(f"""
        listen relay
            bind 127.0.0.1:{fp}
            use-server two if {{ src 127.0.0.2 }}
            server one {e1.addr}
            server two {e2.addr} weight 0
    """, mode="tcp"))
    for _ in range(2):
        with Client(fp, source="127.0.0.2") as c:
            assert c.sock.recv(10) == b"two\n"
        with Client(fp, source="127.0.0.3") as c:
            assert c.sock.recv(10) == b"one\n"
