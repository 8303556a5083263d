"""Connections as HAProxy 2.6 handles them (after reg-tests/connection/*.vtc and
reg-tests/http-messaging/*.vtc): the mode tcp relay and half-closes, timeouts (server,
http-request, connect, client), maxconn with its queue and queue timeout, retries and option
redispatch."""

from __future__ import annotations

import socket
import threading
import time

from proxy_support import Client, config, get, wait_until

GATEWAY_TIMEOUT_504 = (b"HTTP/1.1 504 Gateway Time-out\r\ncontent-length: 92\r\n"
                       b"cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
                       b"<html><body><h1>504 Gateway Time-out</h1>\n"
                       b"The server didn't respond in time.\n</body></html>\n")
REQUEST_TIMEOUT_408 = (b"HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\n"
                       b"Cache-Control: no-cache\r\nConnection: close\r\n"
                       b"Content-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\n"
                       b"Your browser didn't send a complete request in time.\n</body></html>\n")
NO_SERVER_503 = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\n"
                 b"cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
                 b"<html><body><h1>503 Service Unavailable</h1>\n"
                 b"No server is available to handle this request.\n</body></html>\n")


def tcp_listen(proxy, port, server_addr: str, extra: str = "") -> int:
    fp = port()
    proxy.start(config(f"""
        listen relay
            bind 127.0.0.1:{fp}
            {extra}
            server s {server_addr}
    """, mode="tcp"))
    return fp


def test_tcp_relays_both_ways_and_the_client_half_close(proxy, tcp_echo, port):
    echo = tcp_echo("echo", farewell=b"bye")
    fp = tcp_listen(proxy, port, echo.addr)
    with Client(fp) as c:
        c.send(b"abc")
        assert c.sock.recv(100) == b"abc"
        c.send(b"\x00\xffbinary\r\n")
        assert c.sock.recv(100) == b"\x00\xffbinary\r\n"
        c.sock.shutdown(socket.SHUT_WR)
        # The server saw our half-close and could still answer.
        assert c.rest() == b"bye"
    assert echo.received == {1: b"abc\x00\xffbinary\r\n"}
    assert echo.half_closed == {1}


def test_tcp_server_half_close_leaves_the_client_side_open(proxy, tcp_echo, port):
    server = tcp_echo("greeter", banner=b"hello\n", close_first=True)
    fp = tcp_listen(proxy, port, server.addr)
    with Client(fp) as c:
        assert c.sock.recv(100) == b"hello\n"
        assert c.sock.recv(100) == b""  # the server's FIN came through
        c.send(b"late data")
        assert wait_until(lambda: server.received.get(1) == b"late data")


def test_tcp_does_not_parse_http(proxy, tcp_echo, port):
    echo = tcp_echo("echo")
    fp = tcp_listen(proxy, port, echo.addr)
    junk = b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
    with Client(fp) as c:
        c.send(junk)
        got = b""
        while len(got) < len(junk):
            got += c.sock.recv(1000)
    assert got == junk


def test_tcp_large_transfer(proxy, tcp_echo, port):
    echo = tcp_echo("echo")
    fp = tcp_listen(proxy, port, echo.addr)
    payload = bytes(range(256)) * 4096  # 1 MiB
    with Client(fp, timeout=5) as c:
        sender = threading.Thread(target=lambda: (c.send(payload),
                                                  c.sock.shutdown(socket.SHUT_WR)))
        sender.start()
        got = c.rest()
        sender.join(5)
    assert got == payload


def test_tcp_refused_server_closes_the_client(proxy, tcp_echo, port):
    echo = tcp_echo("gone")
    echo.stop()
    fp = tcp_listen(proxy, port, echo.addr, "retries 0")
    with Client(fp) as c:
        assert c.rest() == b""


def test_timeout_client_closes_an_idle_tcp_session(proxy, tcp_echo, port):
    echo = tcp_echo("echo")
    fp = tcp_listen(proxy, port, echo.addr, "timeout client 300ms")
    with Client(fp) as c:
        t0 = time.monotonic()
        c.send(b"x")
        assert c.sock.recv(10) == b"x"
        assert c.rest() == b""
        assert 0.25 <= time.monotonic() - t0 < 2
    assert wait_until(lambda: echo.half_closed == {1})


def http_front(proxy, http_server, port, frontend: str = "", backend: str = "",
               server_opts: str = ""):
    s = http_server("app")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            {frontend}
            default_backend b
        backend b
            {backend}
            server app {s.addr} {server_opts}
    """))
    return fp, s


def test_timeout_server_gives_504(proxy, http_server, port):
    fp, s = http_front(proxy, http_server, port, backend="timeout server 200ms")
    t0 = time.monotonic()
    assert get(fp, "/delay/600").raw == GATEWAY_TIMEOUT_504
    assert 0.18 <= time.monotonic() - t0 < 0.55
    assert get(fp, "/fast").status == 200


def test_timeout_http_request_gives_408(proxy, http_server, port):
    fp, s = http_front(proxy, http_server, port, frontend="timeout http-request 200ms")
    with Client(fp) as c:
        t0 = time.monotonic()
        c.send(b"GET / HTTP/1.1\r\nHo")
        assert c.rest() == REQUEST_TIMEOUT_408
        assert 0.18 <= time.monotonic() - t0 < 1
    # Also on a connection that never sends a byte.
    with Client(fp) as c:
        assert c.rest() == REQUEST_TIMEOUT_408
    assert s.requests == []


def test_timeout_http_request_counts_from_the_first_byte_of_the_head(proxy, http_server, port):
    fp, s = http_front(proxy, http_server, port, frontend="timeout http-request 300ms")
    with Client(fp) as c:
        for piece in (b"GET / HT", b"TP/1.1\r\n", b"Host: x\r\n"):
            c.send(piece)
            time.sleep(0.12)
        assert c.rest() == REQUEST_TIMEOUT_408


def test_timeout_connect_then_503(proxy, port):
    # A listener whose accept queue is full drops new SYNs: the connect never completes.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    fillers = []
    try:
        for _ in range(3):
            f = socket.socket()
            f.setblocking(False)
            try:
                f.connect(hole.getsockname())
            except BlockingIOError:
                pass
            fillers.append(f)
        fp = port()
        proxy.start(config(f"""
            listen li
                bind 127.0.0.1:{fp}
                retries 0
                timeout connect 200ms
                server hole 127.0.0.1:{hole.getsockname()[1]}
        """))
        t0 = time.monotonic()
        assert get(fp).raw == NO_SERVER_503
        assert 0.18 <= time.monotonic() - t0 < 0.6
    finally:
        for f in fillers:
            f.close()
        hole.close()


def test_maxconn_queues_then_serves_in_turn(proxy, http_server, port):
    fp, s = http_front(proxy, http_server, port, backend="timeout queue 2s",
                       server_opts="maxconn 1")
    results = []
    threads = [threading.Thread(target=lambda t=t: results.append(get(fp, t).status))
               for t in ("/delay/300", "/delay/100", "/delay/100")]
    for t in threads:
        t.start()
        time.sleep(0.03)
    for t in threads:
        t.join(3)
    assert results == [200, 200, 200]
    assert s.max_active == 1
    assert len(s.requests) == 3


def test_queue_timeout_gives_503(proxy, http_server, port):
    fp, s = http_front(proxy, http_server, port, backend="timeout queue 200ms",
                       server_opts="maxconn 1")
    held = []
    t = threading.Thread(target=lambda: held.append(get(fp, "/delay/700").status))
    t.start()
    try:
        assert wait_until(lambda: s.active == 1)
        t0 = time.monotonic()
        assert get(fp, "/queued").raw == NO_SERVER_503
        assert 0.18 <= time.monotonic() - t0 < 0.6
    finally:
        t.join(3)
    assert held == [200]
    assert [r.target for r in s.requests] == ["/delay/700"]


def test_retries_then_503_without_redispatch(proxy, http_server, port):
    gone = http_server("gone")
    gone.stop()
    fp = port()
    proxy.start(config(f"""
        listen li
            bind 127.0.0.1:{fp}
            retries 2
            server gone {gone.addr}
    """))
    t0 = time.monotonic()
    assert get(fp).raw == NO_SERVER_503
    # Each retry after a refusal waits min(timeout connect, 1s): 2 x 200ms.
    assert 0.35 <= time.monotonic() - t0 < 1


def test_redispatch_moves_a_refused_request_to_another_server(proxy, http_server, port):
    gone, live = http_server("gone"), http_server("live")
    gone.stop()
    fp = port()
    proxy.start(config(f"""
        listen li
            bind 127.0.0.1:{fp}
            retries 2
            option redispatch
            server gone {gone.addr}
            server live {live.addr}
    """))
    answers = [get(fp) for _ in range(4)]
    assert [(r.status, r.header("x-server")) for r in answers] == [(200, "live")] * 4
    assert len(live.requests) == 4


def test_round_robin_redispatches_a_refusal_at_once(proxy, http_server, port):
    """HAProxy's stream_choose_redispatch: a request without persistence, round robin and more
    than one active server goes to another server at once after a refusal, without the
    turn-around pause a retry to the same server takes."""
    gone, live = http_server("gone"), http_server("live")
    gone.stop()
    fp = port()
    proxy.start(config(f"""
        listen li
            bind 127.0.0.1:{fp}
            timeout connect 500ms
            retries 3
            option redispatch
            server gone {gone.addr}
            server live {live.addr}
    """))
    for _ in range(4):
        t0 = time.monotonic()
        r = get(fp)
        assert (r.status, r.header("x-server")) == (200, "live")
        assert time.monotonic() - t0 < 0.3


def test_server_maxconn_spills_to_the_next_server(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp = port()
    proxy.start(config(f"""
        listen li
            bind 127.0.0.1:{fp}
            balance first
            server a {a.addr} maxconn 1
            server b {b.addr} maxconn 1
    """))
    held = []
    t = threading.Thread(target=lambda: held.append(get(fp, "/delay/400").header("x-server")))
    t.start()
    try:
        assert wait_until(lambda: a.active == 1)
        assert get(fp).header("x-server") == "b"
    finally:
        t.join(3)
    assert held == ["a"]


def test_bind_tuning_options_are_taken(proxy, http_server, port):
    """name, id, defer-accept, tfo, mss and tcp-ut on a bind line: the listener works with
    them on both implementations (Tandem sets the same socket options)."""
    web = http_server("web")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp} name main id 7 defer-accept tfo mss 1400 tcp-ut 30s
            default_backend be
        backend be
            server s {web.addr}
    """))
    assert get(fp).status == 200


def test_source_address_of_server_connections(proxy, http_server, port):
    """`source` on the proxy and on a server: where connections to the servers come from."""
    a = http_server("a")
    b = http_server("b")
    fp = port()
    proxy.start(config(f"""
        listen app
            bind 127.0.0.1:{fp}
            balance roundrobin
            source 127.0.0.2
            server a {a.addr} source 127.0.0.3
            server b {b.addr}
    """))
    for _ in range(2):
        assert get(fp).status == 200
    assert [r.peer[0] for r in a.requests] == ["127.0.0.3"]
    assert [r.peer[0] for r in b.requests] == ["127.0.0.2"]


def test_half_closed_timeouts_client_fin_and_server_fin(proxy, port):
    """Once the relay has passed a FIN to one side, reads from that side wait its half-closed
    timeout (client-fin, server-fin) instead of timeout client/server."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    closed_after: list[float] = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            first = conn.recv(10)
            if first == b"fin-me":  # the server closes its side at once, then waits
                conn.shutdown(socket.SHUT_WR)
                start = time.monotonic()
                try:
                    while conn.recv(100):
                        pass
                except OSError:
                    pass
                closed_after.append(time.monotonic() - start)
            else:  # reads to the client's FIN, then stays silent with its side open
                try:
                    while conn.recv(100):
                        pass
                except OSError:
                    pass
                time.sleep(5)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        fp = port()
        proxy.start(config(f"""
            listen relay
                bind 127.0.0.1:{fp}
                timeout client 8s
                timeout server 8s
                timeout client-fin 1s
                timeout server-fin 1s
                server s 127.0.0.1:{listener.getsockname()[1]}
        """, mode="tcp"))
        # client-fin: the server's FIN reaches the client, which stays silent: the proxy
        # gives up on it after 1 s (and closes the server side too).
        with Client(fp, timeout=10) as c:
            c.send(b"fin-me")
            assert c.sock.recv(10) == b""
            assert wait_until(lambda: len(closed_after) == 1, 6.0)
        assert 0.7 <= closed_after[0] <= 4.0, closed_after
        # server-fin: the client's FIN reaches the server, which stays silent: the client
        # sees the end after 1 s, not 8 s.
        with Client(fp, timeout=10) as c:
            c.send(b"quiet")
            c.sock.shutdown(socket.SHUT_WR)
            start = time.monotonic()
            assert c.rest() == b""
            assert 0.7 <= time.monotonic() - start <= 4.0
    finally:
        listener.close()
