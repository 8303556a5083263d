"""tcp-request connection and content rules as HAProxy 2.6 runs them, in mode tcp and in
mode http, with and without inspect-delay (after reg-tests/tcp-rules/*.vtc): a rejected
connection is closed without a byte, the others are served."""

from __future__ import annotations

from proxy_support import Client, config, get


def http_front(proxy, port, server_addr: str, rules: str) -> int:
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            {rules}
            default_backend be
        backend be
            server s {server_addr}
    """))
    return fp


def tcp_front(proxy, port, server_addr: str, rules: str) -> int:
    fp = port()
    proxy.start(config(f"""
        listen relay
            bind 127.0.0.1:{fp}
            {rules}
            server s {server_addr}
    """, mode="tcp"))
    return fp


def refused(fp: int, source: str, data: bytes) -> bool:
    """The proxy closed the connection without answering anything (a reset, even during the
    connect on loopback, counts)."""
    try:
        with Client(fp, source=source) as c:
            c.send(data)
            return c.rest() == b""
    except OSError:
        return True


REQUEST = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"


def test_http_connection_reject_by_source(proxy, http_server, port):
    web = http_server("web")
    fp = http_front(proxy, port, web.addr,
                    "tcp-request connection reject if { src 127.0.0.2 }")
    assert refused(fp, "127.0.0.2", REQUEST)
    assert get(fp, source="127.0.0.3").status == 200
    assert len(web.requests) == 1


def test_http_content_reject_without_inspect_delay(proxy, http_server, port):
    web = http_server("web")
    fp = http_front(proxy, port, web.addr, "tcp-request content reject if { src 127.0.0.4 }")
    assert refused(fp, "127.0.0.4", REQUEST)
    assert get(fp, source="127.0.0.5").status == 200
    assert len(web.requests) == 1


def test_http_content_reject_reads_the_request(proxy, http_server, port):
    web = http_server("web")
    fp = http_front(proxy, port, web.addr,
                    "tcp-request inspect-delay 2s\n"
                    "tcp-request content reject if { req.hdr(x-block) -m found }")
    assert refused(fp, "127.0.0.1", b"GET / HTTP/1.1\r\nHost: a\r\nX-Block: 1\r\n\r\n")
    assert get(fp).status == 200
    assert len(web.requests) == 1


def test_tcp_content_reject_without_inspect_delay(proxy, tcp_echo, port):
    echo = tcp_echo("echo")
    fp = tcp_front(proxy, port, echo.addr, "tcp-request content reject if { src 127.0.0.6 }")
    assert refused(fp, "127.0.0.6", b"hello")
    with Client(fp, source="127.0.0.7") as c:
        c.send(b"hello")
        assert c.sock.recv(100) == b"hello"


def test_tcp_content_accept_stops_the_rules(proxy, tcp_echo, port):
    echo = tcp_echo("echo")
    fp = tcp_front(proxy, port, echo.addr,
                   "tcp-request content accept if { src 127.0.0.8 }\n"
                   "tcp-request content reject")
    with Client(fp, source="127.0.0.8") as c:
        c.send(b"ping")
        assert c.sock.recv(100) == b"ping"
    assert refused(fp, "127.0.0.9", b"ping")
