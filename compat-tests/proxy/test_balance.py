"""Load balancing as HAProxy 2.6 does it (after reg-tests/balance/*.vtc): roundrobin and its
weights, static-rr, leastconn, first, the hashes (source, uri, hdr), backup servers and
option allbackups. Each request goes on a fresh client connection, so the choice is the
balancer's, not connection reuse."""

from __future__ import annotations

import threading

from proxy_support import Client, config, get, wait_until


def who(port: int, target: str = "/", **kw) -> str:
    r = get(port, target, **kw)
    assert r.status == 200, r.raw
    return r.header("x-server")


def start_lb(proxy, port, servers, balance: str, server_opts=None, extra: str = "") -> int:
    fp = port()
    opts = server_opts or {}
    lines = "\n".join(f"server {s.name} {s.addr} {opts.get(s.name, '')}" for s in servers)
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            balance {balance}
            {extra}
            {lines}
    """))
    return fp


def test_roundrobin_alternates_over_three_servers(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2, 3)]
    fp = start_lb(proxy, port, servers, "roundrobin")
    assert [who(fp) for _ in range(7)] == ["s1", "s2", "s3", "s1", "s2", "s3", "s1"]
    assert [len(s.requests) for s in servers] == [3, 2, 2]


def test_roundrobin_is_the_default(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2)]
    fp = port()
    proxy.start(config(f"""
        listen li
            bind 127.0.0.1:{fp}
            server s1 {servers[0].addr}
            server s2 {servers[1].addr}
    """))
    assert [who(fp) for _ in range(4)] == ["s1", "s2", "s1", "s2"]


def test_roundrobin_weights_three_to_one(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp = start_lb(proxy, port, [a, b], "roundrobin", {"a": "weight 3", "b": "weight 1"})
    seen = [who(fp) for _ in range(8)]
    assert seen.count("a") == 6 and seen.count("b") == 2
    # The order HAProxy 2.6 gives: the heavy server's turns first, then the light one's.
    assert seen == ["a", "a", "a", "b", "a", "a", "a", "b"]


def test_static_rr_weights(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp = start_lb(proxy, port, [a, b], "static-rr", {"a": "weight 3", "b": "weight 1"})
    seen = [who(fp) for _ in range(8)]
    assert seen.count("a") == 6 and seen.count("b") == 2
    assert seen == ["a", "a", "a", "b", "a", "a", "a", "b"]


def test_weight_zero_server_gets_nothing(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp = start_lb(proxy, port, [a, b], "roundrobin", {"b": "weight 0"})
    assert {who(fp) for _ in range(5)} == {"a"}
    assert b.requests == []


def test_leastconn_avoids_the_busy_server(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp = start_lb(proxy, port, [a, b], "leastconn")
    slow: list[str] = []
    t = threading.Thread(target=lambda: slow.append(who(fp, "/delay/700")))
    t.start()
    try:
        assert _wait_active([a, b])
        busy = a if a.active else b
        idle = b if busy is a else a
        # While one server holds a request, every new one goes to the other. One client
        # connection: each request ends before the next is balanced (on fresh connections
        # the previous stream may not be released yet, and the counts tie).
        assert keep_alive_who(fp, 4) == [idle.name] * 4
    finally:
        t.join(3)
    assert slow == [busy.name]


def keep_alive_who(port: int, n: int) -> list[str]:
    with Client(port) as c:
        return [c.request().response().header("x-server") for _ in range(n)]


def _wait_active(servers) -> bool:
    return wait_until(lambda: any(s.active for s in servers), 2)


def test_first_fills_the_first_server_up_to_maxconn(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp = start_lb(proxy, port, [a, b], "first", {"a": "maxconn 1", "b": "maxconn 1"})
    assert keep_alive_who(fp, 3) == ["a", "a", "a"]
    held = []
    t = threading.Thread(target=lambda: held.append(who(fp, "/delay/500")))
    t.start()
    try:
        assert _wait_active([a])
        assert who(fp) == "b"
    finally:
        t.join(3)
    assert held == ["a"]
    # Once the held request is over, a is the first choice again.
    assert wait_until(lambda: who(fp) == "a", 1)


def test_source_hash_is_stable_per_client_address(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2, 3)]
    fp = start_lb(proxy, port, servers, "source")
    chosen = {}
    for n in range(2, 10):
        src = f"127.0.0.{n}"
        picks = {who(fp, source=src) for _ in range(3)}
        assert len(picks) == 1, (src, picks)
        chosen[src] = picks.pop()
    assert len(set(chosen.values())) >= 2, chosen
    # The backend sees each client's own address.
    assert {r.peer[0] for s in servers for r in s.requests} == {"127.0.0.1"}


def test_uri_hash_is_stable_per_uri(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2, 3)]
    fp = start_lb(proxy, port, servers, "uri")
    chosen = {}
    for n in range(12):
        uri = f"/item/{n}"
        picks = {who(fp, uri) for _ in range(3)}
        assert len(picks) == 1, (uri, picks)
        chosen[uri] = picks.pop()
    assert len(set(chosen.values())) >= 2, chosen
    # By default only the part before '?' is hashed.
    assert {who(fp, f"/item/0?v={n}") for n in range(8)} == {chosen["/item/0"]}


def test_uri_whole_hashes_the_query_too(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2, 3)]
    fp = start_lb(proxy, port, servers, "uri whole")
    base = who(fp, "/page?v=0")
    assert all(who(fp, "/page?v=0") == base for _ in range(3))
    assert len({who(fp, f"/page?v={n}") for n in range(12)}) >= 2


def test_uri_path_only_ignores_the_authority(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2, 3)]
    fp = start_lb(proxy, port, servers, "uri path-only")
    picks = {who(fp, f"http://host{n}.example/page", host=f"host{n}.example") for n in range(12)}
    assert len(picks) == 1, picks
    assert picks == {who(fp, "/page")}


def test_uri_without_path_only_hashes_the_authority(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2, 3)]
    fp = start_lb(proxy, port, servers, "uri")
    picks = {who(fp, f"http://host{n}.example/page", host=f"host{n}.example") for n in range(12)}
    assert len(picks) >= 2, picks


def test_hdr_host_hash_is_stable_per_host(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2, 3)]
    fp = start_lb(proxy, port, servers, "hdr(host)")
    chosen = {}
    for n in range(12):
        host = f"site{n}.example"
        picks = {who(fp, host=host) for _ in range(3)}
        assert len(picks) == 1, (host, picks)
        chosen[host] = picks.pop()
    assert len(set(chosen.values())) >= 2, chosen


def test_hdr_hash_without_the_header_falls_back_to_roundrobin(proxy, http_server, port):
    servers = [http_server(f"s{i}") for i in (1, 2, 3)]
    fp = start_lb(proxy, port, servers, "hdr(x-user)")
    assert len({who(fp) for _ in range(6)}) == 3


def test_backup_is_used_only_when_all_others_are_down(proxy, http_server, port):
    a, b, spare = http_server("a"), http_server("b"), http_server("spare")
    fp = start_lb(proxy, port, [a, b, spare], "roundrobin",
                  {"a": "check inter 100ms fall 1 rise 1", "b": "check inter 100ms fall 1 rise 1",
                   "spare": "backup"}, "option httpchk GET /health")
    assert {who(fp) for _ in range(6)} == {"a", "b"}
    a.stop()
    b.stop()
    proxy.wait_stderr(r"Server b/a is DOWN")
    proxy.wait_stderr(r"Server b/b is DOWN")
    assert [who(fp) for _ in range(3)] == ["spare"] * 3
    a.start()
    proxy.wait_stderr(r"Server b/a is UP")
    assert {who(fp) for _ in range(3)} == {"a"}
    assert len(spare.requests) == 3


def test_only_the_first_backup_without_allbackups(proxy, http_server, port):
    a, k1, k2 = http_server("a"), http_server("k1"), http_server("k2")
    fp = start_lb(proxy, port, [a, k1, k2], "roundrobin",
                  {"a": "check inter 100ms fall 1", "k1": "backup", "k2": "backup"})
    a.stop()
    proxy.wait_stderr(r"Server b/a is DOWN")
    assert [who(fp) for _ in range(4)] == ["k1"] * 4


def test_allbackups_balances_over_every_backup(proxy, http_server, port):
    a, k1, k2 = http_server("a"), http_server("k1"), http_server("k2")
    fp = start_lb(proxy, port, [a, k1, k2], "roundrobin",
                  {"a": "check inter 100ms fall 1", "k1": "backup", "k2": "backup"},
                  "option allbackups")
    a.stop()
    proxy.wait_stderr(r"Server b/a is DOWN")
    assert sorted(who(fp) for _ in range(4)) == ["k1", "k1", "k2", "k2"]
