"""Fail-over under load, Tandem vs Debian's HAProxy 2.6 + keepalived 2.2.7, in the lab (issue
9): seed 000's whole setup (proxy1/proxy2 with haproxy and keepalived sharing 11.22.33.44,
cache1/cache2, the client) twice, side by side on two separate bridges: lab `flt` runs the
post's files byte for byte with Tandem, lab `fld` runs bench/data/seed000 (the same files
as `tandem migrate` writes them, which Debian's tools accept) with Debian's haproxy and
keepalived. A trial, on one lab: the client runs `ab -r -k -c C -t T` through the VIP;
AT seconds in, proxy1's link is cut (carrier down, a pulled cable) and proxy2 takes over
(phase "cut"); then, with the VIP on proxy2, a second ab run during which proxy1's link
comes back and proxy1 takes the VIP back by preemption (phase "restore").

Each phase counts the requests that failed, three ways:
- reset: ab's receive and connect errors. A request whose bytes the cut machine had not
  acknowledged is retransmitted to the new master once the VIP moved, and reset there.
  (ab's own "Failed requests" counts such a request three times, as a receive, a length
  and an exception error; its total is reported beside.)
- hung: a request the cut machine had acknowledged gets no answer and no reset: its answer
  is on the other side of the cut, the client has nothing to retransmit, and ab (which has
  no per-request timeout) waits for it until it stops. These are counted from the client's
  kernel 2 s before ab stops: its established connections to the VIP that have received
  nothing for more than HUNG_AFTER seconds (a live connection receives every few ms).
- non-2xx: answers such as a 503 from a proxy whose servers are not (yet) up.
Trials alternate between the labs. A benchmark never fails on a count.

Usage: bench_failover_load.py [--trials N] [--concurrency C] [--seconds T] [--at AT]
       [--impls tandem,debian]   (TANDEM_BUILD: the build folder; default build/)"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "compat-tests"))

from lab import Lab, LabError, load_topology  # noqa: E402
from lab.topology import Topology  # noqa: E402

SEED = REPO / "examples" / "blog-configs" / "000-squeeze-four-machines"
MODERN = HERE / "data" / "seed000"
VIP = "11.22.33.44"
LAB_NAMES = {"tandem": "flt", "debian": "fld"}
HUNG_AFTER = 5.0      # seconds without a byte received: the request on it is not answered
# Where each file of bench/data/seed000 goes on the Debian side.
MODERN_FILES = {"/etc/haproxy/haproxy.cfg": "haproxy.cfg",
                "/etc/keepalived/keepalived.conf": "{machine}.keepalived.conf"}


def topology(impl: str) -> Topology:
    """Seed 000's lab.toml; for Debian, the proxies' files replaced by the modernised ones."""
    topo = load_topology(SEED / "lab.toml")
    topo.name = LAB_NAMES[impl]
    if impl == "debian":
        for name in ("proxy1", "proxy2"):
            for f in topo.machine(name).files:
                if f.path in MODERN_FILES:
                    f.source = MODERN / MODERN_FILES[f.path].format(machine=name)
                    f.content = f.source.read_bytes()
    return topo


@contextlib.contextmanager
def labs(impls: list[str], build: Path):
    """The labs, up together; removed in the reverse order (the first one made the host's
    mount-point folders, if any were missing, and removes them last)."""
    with contextlib.ExitStack() as stack:
        out = {}
        for impl in impls:
            out[impl] = stack.enter_context(
                Lab(topology(impl), impl=impl, tandem_bin=build / "bin" if impl == "tandem" else None))
        yield out


def vip_only_on(lab: Lab, owner: str) -> bool:
    other = "proxy2" if owner == "proxy1" else "proxy1"
    return lab.has_address(owner, VIP) and not lab.has_address(other, VIP)


def served_by(lab: Lab) -> str | None:
    r = lab.exec("client", f"curl -s --max-time 2 http://{VIP}/")
    m = re.search(r"<h1>(cache\d)</h1>", r.stdout)
    return m.group(1) if m else None


def settled(lab: Lab, owner: str, timeout: float = 40) -> None:
    """The VIP on `owner` only and both caches answering through it."""
    Lab.wait_for(lambda: vip_only_on(lab, owner), timeout, f"{lab.name}: the VIP on {owner}")
    Lab.wait_for(lambda: {served_by(lab) for _ in range(4)} == {"cache1", "cache2"}, timeout,
                 f"{lab.name}: both caches through {owner}")


@dataclass
class Phase:
    impl: str
    name: str              # "cut" or "restore"
    complete: int = 0
    ab_failed: int = 0     # ab's "Failed requests": connect + receive + length + exceptions
    connect: int = 0
    receive: int = 0
    length: int = 0
    exceptions: int = 0
    non2xx: int = 0
    hung: int = 0          # connections silent for HUNG_AFTER s near the end of the run
    rps: float = 0.0
    aborted: str = ""      # ab's error when it gave up

    @property
    def lost(self) -> int:
        """Requests that failed: reset (one receive or connect error each), hung, non-2xx."""
        return self.receive + self.connect + self.hung + self.non2xx

    def line(self) -> str:
        what = f"aborted: {self.aborted}" if self.aborted else f"{self.rps:.0f} req/s"
        return (f"{self.impl:<6} {self.name:<7} failed {self.lost:>4}: reset "
                f"{self.receive + self.connect}, hung {self.hung}, non-2xx {self.non2xx}; "
                f"{self.complete} complete, {what} (ab's failed: {self.ab_failed} = connect "
                f"{self.connect} + receive {self.receive} + length {self.length} + exceptions "
                f"{self.exceptions})")


def parse_ab(impl: str, name: str, code: int, out: str) -> Phase:
    p = Phase(impl, name)
    def num(pattern: str) -> int:
        m = re.search(pattern, out, re.M)
        return int(m.group(1)) if m else 0
    p.complete = num(r"^Complete requests:\s+(\d+)")
    p.ab_failed = num(r"^Failed requests:\s+(\d+)")
    p.non2xx = num(r"^Non-2xx responses:\s+(\d+)")
    m = re.search(r"\(Connect: (\d+), Receive: (\d+), Length: (\d+), Exceptions: (\d+)\)", out)
    if m:
        p.connect, p.receive, p.length, p.exceptions = map(int, m.groups())
    m = re.search(r"^Requests per second:\s+([\d.]+)", out, re.M)
    p.rps = float(m.group(1)) if m else 0.0
    if code != 0 or "Complete requests" not in out:
        p.aborted = (out.strip().splitlines() or ["no output"])[-1]
    return p


def phase(lab: Lab, impl: str, name: str, action, concurrency: int, seconds: float,
          at: float) -> Phase:
    """ab through the VIP for `seconds`; `action` runs `at` seconds in."""
    result: dict = {}

    def load():
        # -t before -n: ab's -t sets -n to 50,000, a later -n lifts that cap. -s: a request
        # stuck on the cut machine waits for the VIP to move rather than time out.
        r = lab.exec("client", f"ab -r -k -s 30 -c {concurrency} -t {seconds:g} -n 100000000 "
                               f"http://{VIP}/", timeout=seconds + 60)
        result["code"], result["out"] = r.returncode, r.stdout + r.stderr

    t0 = time.monotonic()
    t = threading.Thread(target=load)
    t.start()
    time.sleep(at)
    action()
    time.sleep(max(0.0, t0 + seconds - 2 - time.monotonic()))
    hung = silent_connections(lab)
    t.join()
    p = parse_ab(impl, name, result["code"], result["out"])
    p.hung = hung
    return p


def silent_connections(lab: Lab) -> int:
    """The client's established connections to the VIP's port 80 that have received nothing
    for HUNG_AFTER seconds: ab's requests still waiting for an answer that will not come."""
    out = lab.exec("client", f"ss -Htin state established '( dst {VIP} and dport = :80 )'").stdout
    silent = [int(ms) for ms in re.findall(r"\blastrcv:(\d+)", out) if int(ms) > HUNG_AFTER * 1000]
    return len(silent)


def trial(lab: Lab, impl: str, concurrency: int, seconds: float, at: float) -> tuple[Phase, Phase]:
    settled(lab, "proxy1")
    cut = phase(lab, impl, "cut", lambda: lab.cut("proxy1"), concurrency, seconds, at)
    settled(lab, "proxy2")
    back = phase(lab, impl, "restore", lambda: lab.restore("proxy1"), concurrency, seconds, at)
    settled(lab, "proxy1")
    return cut, back


def summary(results: dict[tuple[str, str], list[Phase]], impls: list[str]) -> str:
    rows = ["| phase | " + " | ".join(f"{i}: failed median (min–max)" for i in impls) +
            " | " + " | ".join(f"{i}: complete median" for i in impls) + " |",
            "|---|" + "---|" * (2 * len(impls))]
    for name in ("cut", "restore"):
        cells, complete = [], []
        for impl in impls:
            ps = results.get((impl, name), [])
            lost = [p.lost for p in ps]
            cells.append(f"{statistics.median(lost):g} ({min(lost)}–{max(lost)}), n={len(lost)}"
                         if lost else "-")
            complete.append(f"{statistics.median([p.complete for p in ps]):g}" if ps else "-")
        rows.append(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(complete) + " |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--at", type=float, default=2)
    ap.add_argument("--impls", default="tandem,debian")
    args = ap.parse_args()
    build = Path(os.environ.get("TANDEM_BUILD", REPO / "build"))
    impls = args.impls.split(",")
    print(f"ab -r -k -c {args.concurrency} -t {args.seconds:g} through {VIP}; proxy1's link cut "
          f"{args.at:g} s in (then restored {args.at:g} s into a second run); "
          f"{args.trials} trials each, alternating", flush=True)
    results: dict[tuple[str, str], list[Phase]] = {}
    try:
        with labs(impls, build) as up:
            for i in range(args.trials):
                for impl in impls:
                    for p in trial(up[impl], impl, args.concurrency, args.seconds, args.at):
                        results.setdefault((impl, p.name), []).append(p)
                        print(f"  trial {i + 1}: {p.line()}", flush=True)
    except LabError as e:
        print(f"lab failed: {e}", file=sys.stderr)
        return 1
    print()
    print(summary(results, impls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
