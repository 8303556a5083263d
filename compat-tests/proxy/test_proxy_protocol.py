"""The PROXY protocol as HAProxy 2.6 speaks it (after reg-tests/connection/proxy_protocol*.vtc):
`server … send-proxy[-v2]` puts the client's addresses first on each server connection, and
`bind … accept-proxy` takes them from the header a load balancer in front sends."""

from __future__ import annotations

import socket
import struct

from proxy_support import Client, config, get, wait_until

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def relay(proxy, port, server_addr: str, server_options: str, mode: str = "tcp") -> int:
    fp = port()
    proxy.start(config(f"""
        listen relay
            bind 127.0.0.1:{fp}
            server s {server_addr} {server_options}
    """, mode=mode))
    return fp


def echo_back(c: Client, data: bytes) -> None:
    """Sends `data` through the relay and reads until the echo of it has come back (the proxy
    may pass its header and the data in separate segments)."""
    c.send(data)
    echoed = b""
    while not echoed.endswith(data):
        more = c.sock.recv(100)
        assert more, echoed
        echoed += more


def test_send_proxy_v1_line_before_the_client_bytes(proxy, tcp_echo, port):
    echo = tcp_echo("echo")
    fp = relay(proxy, port, echo.addr, "send-proxy")
    with Client(fp) as c:
        cport = c.sock.getsockname()[1]
        echo_back(c, b"hello")
    expected = f"PROXY TCP4 127.0.0.1 127.0.0.1 {cport} {fp}\r\n".encode() + b"hello"
    assert wait_until(lambda: echo.received.get(1) == expected), echo.received


def test_send_proxy_v2_header(proxy, tcp_echo, port):
    echo = tcp_echo("echo")
    fp = relay(proxy, port, echo.addr, "send-proxy-v2")
    with Client(fp) as c:
        cport = c.sock.getsockname()[1]
        echo_back(c, b"hi")
    addresses = socket.inet_aton("127.0.0.1") * 2 + struct.pack("!HH", cport, fp)
    expected = V2_SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", 12) + addresses + b"hi"
    assert wait_until(lambda: echo.received.get(1) == expected), echo.received


def test_send_proxy_in_http_mode_goes_first_on_the_server_connection(proxy, tcp_echo, port):
    echo = tcp_echo("echo")
    fp = relay(proxy, port, echo.addr, "send-proxy", mode="http")
    with Client(fp) as c:
        cport = c.sock.getsockname()[1]
        c.request("GET", "/x")
        assert wait_until(lambda: b"\r\n\r\n" in echo.received.get(1, b""))
    got = echo.received[1]
    assert got.startswith(f"PROXY TCP4 127.0.0.1 127.0.0.1 {cport} {fp}\r\nGET /x HTTP/1.1\r\n"
                          .encode()), got


def front_accepting(proxy, port, web_addr: str, extra: str = "") -> int:
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp} accept-proxy
            option forwardfor
            {extra}
            default_backend be
        backend be
            server s {web_addr}
    """))
    return fp


def test_accept_proxy_v1_names_the_client(proxy, http_server, port):
    web = http_server("web")
    fp = front_accepting(proxy, port, web.addr)
    with Client(fp) as c:
        c.send(b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n")
        r = c.request("GET", "/").response()
    assert r.status == 200
    assert web.requests[0].header("x-forwarded-for") == "192.0.2.7"


def test_accept_proxy_v2_names_the_client(proxy, http_server, port):
    web = http_server("web")
    fp = front_accepting(proxy, port, web.addr)
    header = (V2_SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", 12) +
              socket.inet_aton("203.0.113.9") + socket.inet_aton("198.51.100.1") +
              struct.pack("!HH", 5555, 80))
    with Client(fp) as c:
        c.send(header)
        r = c.request("GET", "/").response()
    assert r.status == 200
    assert web.requests[0].header("x-forwarded-for") == "203.0.113.9"


def test_accept_proxy_v6_and_acls_see_the_named_client(proxy, http_server, port):
    web = http_server("web")
    fp = front_accepting(proxy, port, web.addr,
                         "http-request deny if { src 2001:db8::1 }")
    with Client(fp) as c:
        c.send(b"PROXY TCP6 2001:db8::1 2001:db8::2 1000 80\r\n")
        assert c.request("GET", "/").response().status == 403
    with Client(fp) as c:
        c.send(b"PROXY TCP6 2001:db8::5 2001:db8::2 1000 80\r\n")
        assert c.request("GET", "/").response().status == 200
    assert web.requests[0].header("x-forwarded-for") == "2001:db8::5"


def test_accept_proxy_without_a_header_closes(proxy, http_server, port):
    web = http_server("web")
    fp = front_accepting(proxy, port, web.addr)
    with Client(fp) as c:
        c.request("GET", "/")
        try:
            assert c.rest() == b""
        except OSError:
            pass
    assert web.requests == []


def test_accept_proxy_unknown_keeps_the_real_address(proxy, http_server, port):
    web = http_server("web")
    fp = front_accepting(proxy, port, web.addr)
    with Client(fp) as c:
        c.send(b"PROXY UNKNOWN\r\n")
        assert c.request("GET", "/").response().status == 200
    assert web.requests[0].header("x-forwarded-for") == "127.0.0.1"


def test_connection_rules_see_the_real_address(proxy, http_server, port):
    web = http_server("web")
    fp = front_accepting(proxy, port, web.addr,
                         "tcp-request connection reject if { src 192.0.2.7 }")
    with Client(fp) as c:
        c.send(b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 80\r\n")
        assert c.request("GET", "/").response().status == 200
