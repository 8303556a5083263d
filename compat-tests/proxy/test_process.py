"""The proxy process's life as HAProxy 2.6 runs it in the foreground (-db): SIGUSR1 is a soft
stop (listeners close at once, requests in flight finish, then the process exits 0), SIGTERM
a hard one, and a listener that cannot be bound stops the start with an alert."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time

from proxy_support import Client, config, get, wait_until


def front(proxy, http_server, port):
    s = http_server("app")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            server app {s.addr}
    """))
    return fp, s


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # queued as the listener closed: not refused yet
        return False
    return False


def test_soft_stop_finishes_the_request_in_flight_then_exits(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    results = []
    t = threading.Thread(target=lambda: results.append(get(fp, "/delay/500").status))
    t.start()
    try:
        assert wait_until(lambda: s.active == 1)
        proxy.process_.send_signal(signal.SIGUSR1)
        # The listener closes at once: new connections are refused while the request runs.
        assert wait_until(lambda: refused(fp))
        assert proxy.running
    finally:
        t.join(3)
    assert results == [200]
    assert proxy.process_.wait(3) == 0


def test_soft_stop_with_nothing_in_flight_exits_at_once(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    assert get(fp).status == 200
    t0 = time.monotonic()
    proxy.process_.send_signal(signal.SIGUSR1)
    proxy.process_.wait(3)
    assert time.monotonic() - t0 < 1.5


def test_hard_stop_ends_requests_in_flight(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    outcome = []

    def slow():
        try:
            outcome.append(get(fp, "/delay/2000").status)
        except Exception as e:  # the connection is cut: that is the point
            outcome.append(type(e).__name__)

    t = threading.Thread(target=slow)
    t.start()
    assert wait_until(lambda: s.active == 1)
    t0 = time.monotonic()
    proxy.process_.send_signal(signal.SIGTERM)
    proxy.process_.wait(3)
    assert time.monotonic() - t0 < 1.5
    t.join(3)
    assert outcome and outcome[0] != 200


def test_a_port_already_taken_stops_the_start(proxy, http_server, tmp_path):
    s = http_server("app")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    busy = taken.getsockname()[1]
    cfg = tmp_path / "busy.cfg"
    cfg.write_text(config(f"""
        frontend fe
            bind 127.0.0.1:{busy}
            default_backend b
        backend b
            server app {s.addr}
    """))
    try:
        r = subprocess.run([str(proxy.binary_), "-db", "-f", str(cfg)], capture_output=True,
                           text=True, timeout=10, stdin=subprocess.DEVNULL)
    finally:
        taken.close()
    assert r.returncode == 1
    line = next(n for n, text in enumerate(cfg.read_text().splitlines(), 1) if "bind " in text)
    assert (f"[ALERT]    ({r.stderr.split('(')[1].split(')')[0]}) : Binding [{cfg}:{line}] for "
            f"frontend fe: cannot bind socket (Address already in use) for "
            f"[127.0.0.1:{busy}]") in r.stderr, r.stderr
    assert "Some protocols failed to start their listeners! Exiting." in r.stderr


def test_soft_stop_closes_idle_keep_alive_connections(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    with Client(fp) as c:
        assert c.request().response().status == 200
        # The connection now waits for its next request; a soft stop ends it and the process.
        t0 = time.monotonic()
        proxy.process_.send_signal(signal.SIGUSR1)
        assert c.closed(2)
        assert proxy.process_.wait(3) == 0
        assert time.monotonic() - t0 < 2
