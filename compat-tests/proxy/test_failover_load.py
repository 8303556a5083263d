"""Killing one of two backends in the middle of a bounded load run (issue 5): with `option
httpchk`, `inter 100ms fall 2 rise 2`, `retries 3` and `option redispatch`, the proxy fails no
more requests than Debian's HAProxy 2.6 does in the same test with the same config, and none
once its checks have said the server is DOWN.

Each case runs the load twice, back to back: first against HAProxy (the baseline), then
against the implementation under test. The Tandem case compares Tandem with HAProxy measured
a moment before; the HAProxy case compares HAProxy with itself, which proves the tolerance
covers HAProxy's own run-to-run spread.

Load: CLIENTS threads, each sending one request at a time on a fresh connection (so a
failure cannot hide behind a client-side connection reuse), for DURATION seconds on
loopback; at KILL_AT the server s1 dies (`HttpServer.stop`: listener closed, every open
connection reset, its port refusing from then on).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import proxy_support as ps
from proxy_support import HAPROXY, Client, config

CLIENTS = 4
DURATION = 2.4  # seconds of load per run (about 3,000 to 7,000 requests)
KILL_AT = 0.8  # seconds into the load

# What may fail is a request the proxy had already handed to s1 when it died: the server
# had it in a socket buffer, its accept queue or its handler, and answers nothing. HAProxy
# does not resend it (the default `retry-on` is `conn-failure` only) and answers 502. A
# request sent later meets a refused connection, which is retried and redispatched. Each
# client thread has at most one request in flight, so a run fails at most CLIENTS requests;
# how many of them sit at s1 at that instant is chance, for both implementations alike.
# Measured over 16 runs each: HAProxy 2.6 failed 0-3 requests per run, Tandem 0-4, always
# requests sent before the kill, never one after. An exact `<=` fails on that chance alone
# (HAProxy 0, Tandem 1 happens), so the tolerance is the bound: CLIENTS. What the test is
# there to catch fails far more: a proxy that does not retry a refused connection fails
# every request it sends to s1 until DOWN (HAProxy with `retries 0`: 260 in one run); one
# that writes to pooled connections of the dead server without retrying fails some after
# the kill.
TOLERANCE = CLIENTS

CONFIG = """
    frontend fe
        bind 127.0.0.1:{fp}
        default_backend b
    backend b
        option httpchk GET /health
        retries 3
        option redispatch
        server s1 {s1} check inter 100ms fall 2 rise 2
        server s2 {s2} check inter 100ms fall 2 rise 2
"""
DOWN_LINE = "Server b/s1 is DOWN"


@dataclass
class Outcome:
    target: str  # unique per request: /load/CLIENT/N
    started: float  # monotonic time the request was sent
    ok: bool
    what: str  # the status line, or the error


@dataclass
class Run:
    impl: str
    outcomes: list[Outcome] = field(default_factory=list)
    killed_at: float = 0.0  # s1.stop() called
    kill_done: float = 0.0  # s1.stop() returned: s1 refuses and holds no connection
    down_seen_at: float | None = None  # the DOWN line first seen in the proxy's output
    stderr: str = ""
    at_s1: set[str] = field(default_factory=set)  # targets s1 received

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def failed_since(self, moment: float) -> list[Outcome]:
        return [o for o in self.failures if o.started >= moment]

    def summary(self) -> str:
        def rel(t: float | None) -> str:
            return "never" if t is None else f"{t - self.killed_at:+.4f} s"
        failed = [(rel(o.started), o.what, "s1 had read it" if o.target in self.at_s1 else
                   "s1 had not read it") for o in self.failures]
        return (f"{self.impl}: {len(self.outcomes)} requests, {len(self.failures)} failed "
                f"(sent at, relative to the kill: {failed}); DOWN seen {rel(self.down_seen_at)}"
                f"\n{self.stderr}")


def one_request(port: int, target: str) -> tuple[bool, str]:
    """One request on a fresh connection; success is a 200 from one of the servers."""
    try:
        with Client(port, timeout=5) as c:
            r = c.request(target=target).response()
    except (OSError, AssertionError) as e:  # refused, reset, closed without an answer
        return False, repr(e)
    return r.status == 200 and r.header("x-server") in ("s1", "s2"), f"{r.status} {r.reason}"


def load_run(proxy: ps.Proxy, http_server) -> Run:
    s1, s2 = http_server("s1"), http_server("s2")
    fp = ps.free_port()
    proxy.start(config(CONFIG.format(fp=fp, s1=s1.addr, s2=s2.addr)))
    assert ps.wait_until(lambda: len(s1.checks) >= 2 and len(s2.checks) >= 2)
    run = Run(proxy.impl)
    lock = threading.Lock()
    deadline = time.monotonic() + DURATION

    def client(n: int) -> None:
        sent = 0
        while time.monotonic() < deadline:
            sent += 1
            target = f"/load/{n}/{sent}"
            started = time.monotonic()
            ok, what = one_request(fp, target)
            with lock:
                run.outcomes.append(Outcome(target, started, ok, what))

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(KILL_AT)
    served_before = len(s1.requests)
    run.killed_at = time.monotonic()
    s1.stop()
    run.kill_done = time.monotonic()
    while time.monotonic() < deadline and run.down_seen_at is None:
        if DOWN_LINE in proxy.stderr:
            run.down_seen_at = time.monotonic()
        time.sleep(0.005)
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    run.stderr = proxy.stderr
    run.at_s1 = set(s1.served())
    proxy.stop()
    assert served_before > 0 and s2.requests, "both servers had a share before the kill"
    return run


def check_run(run: Run) -> None:
    assert len(run.outcomes) > 500, run.summary()
    assert run.down_seen_at is not None, run.summary()
    assert run.failed_since(run.down_seen_at) == [], run.summary()
    # Stronger: retries and redispatch cover the time between the kill and DOWN too.
    assert run.failed_since(run.kill_done) == [], run.summary()
    assert len(run.failures) <= CLIENTS, run.summary()


def test_killing_a_backend_under_load(proxy, http_server, tmp_path):
    (tmp_path / "baseline").mkdir()
    baseline_proxy = ps.Proxy("haproxy", HAPROXY, tmp_path / "baseline")
    try:
        baseline = load_run(baseline_proxy, http_server)
    finally:
        baseline_proxy.stop()
    measured = load_run(proxy, http_server)
    check_run(baseline)
    check_run(measured)
    assert len(measured.failures) <= len(baseline.failures) + TOLERANCE, \
        f"{measured.summary()}\n--- baseline ---\n{baseline.summary()}"
