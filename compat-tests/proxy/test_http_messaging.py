"""HTTP/1 messaging as HAProxy 2.6 does it (after reg-tests/http-messaging/*.vtc): connection
modes (keep-alive, http-server-close, httpclose), pipelining, chunked bodies, Expect:
100-continue, HTTP/1.0 clients, big heads, the header names written to the server, option
forwardfor, WebSocket tunnelling."""

from __future__ import annotations

import base64
import hashlib
import socket

from proxy_support import Client, config, get

BAD_REQUEST_400 = (b"HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\n"
                   b"Connection: close\r\nContent-Type: text/html\r\n\r\n"
                   b"<html><body><h1>400 Bad request</h1>\n"
                   b"Your browser sent an invalid request.\n</body></html>\n")
BAD_GATEWAY_502 = (b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\ncache-control: no-cache\r\n"
                   b"content-type: text/html\r\n\r\n<html><body><h1>502 Bad Gateway</h1>\n"
                   b"The server returned an invalid or incomplete response.\n</body></html>\n")


def simple(proxy, http_server, port, frontend: str = "", backend: str = "", global_: str = ""):
    s = http_server("app")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            {frontend}
            default_backend b
        backend b
            {backend}
            server app {s.addr}
    """, global_=global_))
    return fp, s


def test_keep_alive_is_the_default(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    with Client(fp) as c:
        for target in ("/1", "/2", "/3"):
            r = c.request("GET", target).response()
            assert r.status == 200 and r.header("connection") is None
        assert not c.closed(0.2)
    assert [r.target for r in s.requests] == ["/1", "/2", "/3"]
    # The server connection is kept too: one connection, no Connection header added.
    assert {r.conn for r in s.requests} == {1}
    assert all(r.header("connection") is None for r in s.requests)


def test_http_server_close_closes_only_the_server_side(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port, "option http-server-close")
    with Client(fp) as c:
        for target in ("/1", "/2"):
            r = c.request("GET", target).response()
            assert r.status == 200 and r.header("connection") is None
        assert not c.closed(0.2)
    assert [r.all("connection") for r in s.requests] == [["close"], ["close"]]
    assert len({r.conn for r in s.requests}) == 2


def test_httpclose_closes_both_sides(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port, "option httpclose")
    with Client(fp) as c:
        r = c.request("GET", "/1").response()
        assert r.all("connection") == ["close"]
        assert c.closed(1)
    assert s.requests[0].all("connection") == ["close"]


def test_client_connection_close_is_honoured(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    with Client(fp) as c:
        r = c.request("GET", "/", headers=[("Connection", "close")]).response()
        assert r.status == 200 and r.all("connection") == ["close"]
        assert c.closed(1)


def test_pipelined_requests_are_answered_in_order(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    with Client(fp) as c:
        c.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
        bodies = [c.response().body.split(b"\r\n")[0] for _ in range(3)]
    assert bodies == [b"app\nGET /a HTTP/1.1", b"app\nGET /b HTTP/1.1", b"app\nGET /c HTTP/1.1"]
    assert [r.target for r in s.requests] == ["/a", "/b", "/c"]


def test_chunked_request_body_is_forwarded_chunked(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    with Client(fp) as c:
        c.send(b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        assert c.response().status == 200
    got = s.requests[0]
    assert got.head == b"POST /up HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
    assert got.body == b"hello world"
    # HAProxy re-frames the chunks it forwards (here: one chunk of what had arrived).
    assert got.raw_body == b"B\r\nhello world\r\n0\r\n\r\n"


def test_chunked_response_reaches_the_client_chunked(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    s.respond = lambda req: (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    with Client(fp) as c:
        r = c.request().response()
        assert r.raw == (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                         b"5\r\nabcde\r\n0\r\n\r\n")
        # Still keep-alive after a chunked answer.
        assert c.request().response().status == 200


def test_close_delimited_response_is_relayed_until_close(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    s.respond = lambda req: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close"
    with Client(fp) as c:
        c.request()
        assert c.rest() == b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil-close"


def test_expect_100_continue_relays_the_servers_interim(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    with Client(fp) as c:
        c.send(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        assert c.line() == b"HTTP/1.1 100 Continue\r\n"
        assert c.line() == b"\r\n"
        r = c.send(b"hello").response()
        assert r.status == 200
    assert s.requests[0].header("expect") == "100-continue"
    assert s.requests[0].body == b"hello"


def test_expect_100_continue_answered_by_haproxy_when_buffering(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port, "option http-buffer-request")
    s.send_continue = False
    with Client(fp) as c:
        c.send(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        assert c.line() == b"HTTP/1.1 100 Continue\r\n"
        assert c.line() == b"\r\n"
        assert c.send(b"hello").response().status == 200
    # The expectation was met by the proxy: the header is not forwarded.
    assert s.requests[0].head == b"POST /e HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\n"


def test_http10_client_gets_close(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    with Client(fp) as c:
        r = c.send(b"GET /old HTTP/1.0\r\n\r\n").response()
        assert (r.version, r.status) == ("HTTP/1.1", 200)
        assert r.all("connection") == ["close"]
        assert c.closed(1)
    # The server side stays HTTP/1.0 but is kept alive.
    assert s.requests[0].head == b"GET /old HTTP/1.0\r\nconnection: keep-alive\r\n\r\n"


def test_http10_client_asking_keep_alive(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    with Client(fp) as c:
        r = c.send(b"GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").response()
        assert r.all("connection") == ["keep-alive"]
        r = c.send(b"GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").response()
        assert r.status == 200
        assert not c.closed(0.2)


def test_big_header_near_bufsize_passes_whole(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    value = "v" * 15000
    assert get(fp, headers=[("X-Big", value)]).status == 200
    assert s.requests[0].header("x-big") == value


def test_head_larger_than_the_buffer_is_400(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    with Client(fp) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 16500 + b"\r\n\r\n")
        assert c.rest() == BAD_REQUEST_400
    assert s.requests == []


def test_bufsize_is_tunable(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port, global_="tune.bufsize 4096")
    assert get(fp, headers=[("X-Big", "v" * 2000)]).status == 200
    assert get(fp, headers=[("X-Big", "v" * 5000)]).raw == BAD_REQUEST_400
    assert len(s.requests) == 1


def test_header_names_are_written_in_lower_case(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    get(fp, "/", headers=[("X-Custom-Header", "Value Kept"), ("ACCEPT", "*/*"),
                          ("Content-Type", "text/plain")], body=b"x", method="PUT")
    assert s.requests[0].head == (b"PUT / HTTP/1.1\r\nhost: test\r\nx-custom-header: Value Kept\r\n"
                                  b"accept: */*\r\ncontent-type: text/plain\r\n"
                                  b"content-length: 1\r\n\r\n")


def test_h1_case_adjust_restores_names_for_a_bogus_server(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port, backend="option h1-case-adjust-bogus-server",
                   global_="h1-case-adjust x-custom-header X-Custom-Header")
    get(fp, "/", headers=[("x-custom-header", "1"), ("X-Other", "2")])
    assert s.requests[0].head == (b"GET / HTTP/1.1\r\nhost: test\r\nX-Custom-Header: 1\r\n"
                                  b"x-other: 2\r\n\r\n")


def test_forwardfor_appends_the_client_address(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port, "option forwardfor")
    get(fp)
    get(fp, headers=[("X-Forwarded-For", "192.0.2.7")], source="127.0.0.3")
    assert s.requests[0].all("x-forwarded-for") == ["127.0.0.1"]
    # An existing header is kept; HAProxy adds its own line after it.
    assert s.requests[1].all("x-forwarded-for") == ["192.0.2.7", "127.0.0.3"]
    assert s.requests[1].head.endswith(
        b"x-forwarded-for: 192.0.2.7\r\nx-forwarded-for: 127.0.0.3\r\n\r\n")


def test_forwardfor_except(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port, "option forwardfor except 127.0.0.2")
    get(fp, source="127.0.0.2")
    get(fp, source="127.0.0.4")
    assert s.requests[0].all("x-forwarded-for") == []
    assert s.requests[1].all("x-forwarded-for") == ["127.0.0.4"]


def test_forwardfor_header_and_if_none(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port, "option forwardfor header X-Client if-none")
    get(fp)
    get(fp, headers=[("X-Client", "192.0.2.9")])
    get(fp, headers=[("X-Forwarded-For", "192.0.2.9")])
    assert s.requests[0].all("x-client") == ["127.0.0.1"]
    assert s.requests[1].all("x-client") == ["192.0.2.9"]  # present: left alone
    # if-none looks at its own header name only.
    assert s.requests[2].all("x-client") == ["127.0.0.1"]
    assert s.requests[2].all("x-forwarded-for") == ["192.0.2.9"]


def websocket_answer(req) -> bytes:
    key = req.header("sec-websocket-key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    accept = base64.b64encode(hashlib.sha1(key.encode()).digest()).decode()
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept.encode() + b"\r\n\r\n")


WS_REQUEST = (b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")


def test_websocket_upgrade_is_tunnelled(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    s.respond = websocket_answer
    with Client(fp) as c:
        r = c.send(WS_REQUEST).response()
        assert r.raw == (b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n"
                         b"connection: Upgrade\r\n"
                         b"sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
        c.send(b"frame one")
        assert c.sock.recv(100) == b"FRAME ONE"
        c.send(b"GET / HTTP/1.1\r\n\r\n")  # no longer HTTP: relayed as bytes
        assert c.sock.recv(100) == b"GET / HTTP/1.1\r\n\r\n".upper()
        c.sock.shutdown(socket.SHUT_WR)
        assert c.rest() == b""
    assert s.requests[0].head == (b"GET /ws HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\n"
                                  b"upgrade: websocket\r\n"
                                  b"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                  b"sec-websocket-version: 13\r\n\r\n")
    assert s.tunnelled == b"frame oneGET / HTTP/1.1\r\n\r\n"
    assert len(s.requests) == 1


def test_websocket_answer_without_a_valid_accept_is_502(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    s.respond = lambda req: (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                             b"Connection: Upgrade\r\n\r\n")
    with Client(fp) as c:
        assert c.send(WS_REQUEST).response().raw == BAD_GATEWAY_502


def test_invalid_response_from_the_server_is_502(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    s.respond = lambda req: b"HTTP/1.1 abc Nonsense\r\n\r\n"
    assert get(fp).raw == BAD_GATEWAY_502


def test_server_closing_without_an_answer_is_502(proxy, http_server, port):
    fp, s = simple(proxy, http_server, port)
    s.drop = True
    assert get(fp).raw == BAD_GATEWAY_502
    assert len(s.requests) == 1


def test_response_without_length_ends_the_client_connection(proxy, port):
    """A server answer delimited by the server's close reaches an HTTP/1.1 client as it is,
    with "connection: close" (2.6 does not re-chunk it), and the client connection ends."""
    import threading
    import time as _time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    more = conn.recv(4096)
                    if not more:
                        break
                    data += more
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ")
                _time.sleep(0.05)
                conn.sendall(b"world")

    threading.Thread(target=serve, daemon=True).start()
    try:
        fp = port()
        proxy.start(config(f"""
            listen app
                bind 127.0.0.1:{fp}
                server s 127.0.0.1:{listener.getsockname()[1]}
        """))
        with Client(fp) as c:
            c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            assert c.rest() == (b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n"
                                b"connection: close\r\n\r\nhello world")
    finally:
        listener.close()
