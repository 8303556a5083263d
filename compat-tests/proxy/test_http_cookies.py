"""Cookie persistence as HAProxy 2.6 does it (after reg-tests/http-cookies/*.vtc): `cookie
NAME insert indirect nocache`, rewrite, prefix, and what happens to a cookie naming a server
that is down."""

from __future__ import annotations

from proxy_support import config, get


def two_servers(proxy, http_server, port, cookie: str, server_extra: str = "",
                backend_extra: str = ""):
    s1, s2 = http_server("s1"), http_server("s2")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            cookie {cookie}
            {backend_extra}
            server s1 {s1.addr} cookie c1 {server_extra}
            server s2 {s2.addr} cookie c2 {server_extra}
    """))
    return fp, s1, s2


def cookie_headers(r) -> list[tuple[str, str]]:
    return [(n, v) for n, v in r.headers if n.lower() in ("set-cookie", "cache-control")]


def test_insert_sets_the_server_cookie(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect nocache")
    first, second = get(fp), get(fp)
    assert first.header("x-server") == "s1" and second.header("x-server") == "s2"
    assert first.all("set-cookie") == ["SERVERID=c1; path=/"]
    assert second.all("set-cookie") == ["SERVERID=c2; path=/"]
    # The header is written after the server's own, in HAProxy's lower case.
    assert first.headers[-1] == ("set-cookie", "SERVERID=c1; path=/")


def test_a_valid_cookie_sticks_and_is_removed_before_the_backend(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect nocache")
    for _ in range(3):
        r = get(fp, headers=[("Cookie", "SERVERID=c2")])
        assert r.header("x-server") == "s2"
        # indirect: the client has the right cookie, so none is set again.
        assert r.all("set-cookie") == []
    assert s1.requests == []
    # The only cookie was ours: the whole header is gone.
    assert all(r.header("cookie") is None for r in s2.requests)
    assert s2.requests[0].head == b"GET / HTTP/1.1\r\nhost: test\r\n\r\n"


def test_indirect_keeps_the_other_cookies(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect nocache")
    r = get(fp, headers=[("Cookie", "a=1; SERVERID=c2; b=2")])
    assert r.header("x-server") == "s2"
    assert s2.requests[0].all("cookie") == ["a=1; b=2"]


def test_insert_without_indirect_passes_the_cookie_on(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert")
    r = get(fp, headers=[("Cookie", "SERVERID=c2")])
    assert r.header("x-server") == "s2"
    assert s2.requests[0].all("cookie") == ["SERVERID=c2"]
    assert r.all("set-cookie") == []


def test_an_unknown_cookie_value_is_replaced(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect nocache")
    r = get(fp, headers=[("Cookie", "SERVERID=nosuch")])
    assert r.header("x-server") == "s1"
    assert r.all("set-cookie") == ["SERVERID=c1; path=/"]
    # An invalid persistence cookie is removed too (reg-test cookie_insert_indirect).
    assert s1.requests[0].header("cookie") is None


def test_nocache_marks_a_cacheable_answer_private(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect nocache")
    s1.extra_headers = s2.extra_headers = [("Cache-Control", "max-age=60")]
    r = get(fp)
    assert cookie_headers(r) == [("cache-control", "max-age=60"),
                                 ("set-cookie", "SERVERID=c1; path=/"),
                                 ("cache-control", "private")]
    s1.extra_headers = s2.extra_headers = [("Last-Modified", "Tue, 01 Dec 2020 16:00:00 GMT")]
    r = get(fp)
    assert cookie_headers(r) == [("set-cookie", "SERVERID=c2; path=/"),
                                 ("cache-control", "private")]


def test_nocache_leaves_uncacheable_answers_alone(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect nocache")
    # No freshness information and no validator: not cacheable, nothing added.
    assert cookie_headers(get(fp)) == [("set-cookie", "SERVERID=c1; path=/")]
    # A POST answer is never cacheable.
    s1.extra_headers = s2.extra_headers = [("Cache-Control", "max-age=60")]
    r = get(fp, method="POST", body=b"x")
    assert cookie_headers(r) == [("cache-control", "max-age=60"),
                                 ("set-cookie", "SERVERID=c2; path=/")]
    # Already private, or no-cache: left as it is.
    s1.extra_headers = s2.extra_headers = [("Cache-Control", "private")]
    assert cookie_headers(get(fp)) == [("cache-control", "private"),
                                       ("set-cookie", "SERVERID=c1; path=/")]
    s1.extra_headers = s2.extra_headers = [("Cache-Control", "no-cache"), ("Expires", "0")]
    assert cookie_headers(get(fp)) == [("cache-control", "no-cache"),
                                       ("set-cookie", "SERVERID=c2; path=/")]
    s1.extra_headers = s2.extra_headers = [("Pragma", "no-cache"),
                                           ("Last-Modified", "Tue, 01 Dec 2020 16:00:00 GMT")]
    assert cookie_headers(get(fp)) == [("set-cookie", "SERVERID=c1; path=/")]


def test_without_nocache_no_cache_control_is_added(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect")
    s1.extra_headers = [("Cache-Control", "max-age=60")]
    assert cookie_headers(get(fp)) == [("cache-control", "max-age=60"),
                                       ("set-cookie", "SERVERID=c1; path=/")]


def test_cookie_attributes(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port,
                             "SERVERID insert indirect nocache httponly secure "
                             "domain .example.com")
    assert get(fp).all("set-cookie") == [
        "SERVERID=c1; path=/; domain=.example.com; HttpOnly; Secure"]


def test_rewrite_replaces_the_value_the_server_set(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID rewrite")
    s1.extra_headers = s2.extra_headers = [("Set-Cookie", "SERVERID=app; path=/")]
    assert get(fp).all("set-cookie") == ["SERVERID=c1; path=/"]
    assert get(fp).all("set-cookie") == ["SERVERID=c2; path=/"]
    # The client's cookie selects the server and reaches it unchanged.
    r = get(fp, headers=[("Cookie", "SERVERID=c1")])
    assert r.header("x-server") == "s1"
    assert s1.requests[-1].all("cookie") == ["SERVERID=c1"]
    # A server that sets no cookie: nothing is added.
    s1.extra_headers = s2.extra_headers = []
    assert get(fp).all("set-cookie") == []


def test_prefix_adds_and_strips_the_server_name(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "JSESSIONID prefix")
    s1.extra_headers = s2.extra_headers = [("Set-Cookie", "JSESSIONID=abc; path=/")]
    assert get(fp).all("set-cookie") == ["JSESSIONID=c1~abc; path=/"]
    assert get(fp).all("set-cookie") == ["JSESSIONID=c2~abc; path=/"]
    r = get(fp, headers=[("Cookie", "JSESSIONID=c2~xyz; other=1")])
    assert r.header("x-server") == "s2"
    # The backend sees its own session id, without the prefix.
    assert s2.requests[-1].all("cookie") == ["JSESSIONID=xyz; other=1"]


def test_cookie_for_a_down_server_is_redispatched(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect nocache",
                             "check inter 100ms fall 1 rise 1", "option httpchk GET /health")
    s1.stop()
    proxy.wait_stderr(r"Server b/s1 is DOWN")
    r = get(fp, headers=[("Cookie", "SERVERID=c1")])
    assert r.status == 200 and r.header("x-server") == "s2"
    # The client is moved to the live server.
    assert r.all("set-cookie") == ["SERVERID=c2; path=/"]
    assert s2.requests[-1].header("cookie") is None


def test_persist_cookie_survives_while_the_server_is_up(proxy, http_server, port):
    fp, s1, s2 = two_servers(proxy, http_server, port, "SERVERID insert indirect nocache",
                             "check inter 100ms fall 1 rise 1", "option httpchk GET /health")
    assert {get(fp, headers=[("Cookie", "SERVERID=c1")]).header("x-server")
            for _ in range(4)} == {"s1"}
    assert len(s1.requests) == 4 and s2.requests == []
