"""VRRP fail-over time, Tandem vs Debian's keepalived 2.2.7, in the lab: two nodes and a
client on one segment; the client pings the VIP every 5 ms from a raw ICMP socket; the
master's link is cut (carrier down, as a pulled cable) and the time until the first echo
reply from the VIP that comes from the backup's MAC (the VIP now on the backup, announced by
its gratuitous ARPs) is one trial. The
master gets the VIP back (preemption) between trials. Two configurations: seed 000's
proxy1/proxy2 keepalived.conf (VRRPv2, advert_int 1; the post's files verbatim for Tandem,
with the no-break spaces made plain for keepalived, which rejects them) and a VRRPv3 pair
with advert_int 0.1. Reports medians and Tandem/keepalived ratios (target <= 1.05x); a
benchmark never fails on a time.

Usage: bench_failover.py [--trials N] [--configs seed000,v3fast] [--impls tandem,debian]
       [--budget SECONDS]   (TANDEM_BUILD: the build folder; default build/)"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "compat-tests"))
sys.path.insert(0, str(REPO / "compat-tests" / "vrrp"))

from lab import Lab, LabError, load_topology  # noqa: E402
from vrrp_support import FAKE_HAPROXY, NBSP, vip_on, write_topology  # noqa: E402

SEED = REPO / "examples" / "blog-configs" / "000-squeeze-four-machines"
VIP = "11.22.33.44"
KEEPALIVED = "keepalived --dont-fork --log-console --log-detail -f /etc/keepalived/keepalived.conf"

V3_FAST = """vrrp_instance VI_1 {
  interface eth0
  state %s
  virtual_router_id 51
  version 3
  priority %d
  advert_int 0.1
  virtual_ipaddress {
    11.22.33.44
  }
}
"""

# Runs in the client: echo requests to the VIP every 5 ms; one line per reply, CLOCK_MONOTONIC
# (shared by every namespace) so the host can compare it with the moment it cut the link.
PINGER = r"""
import os, select, socket, struct, sys, time
vip = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
# Replies are read on a packet socket, so each one says which machine (MAC) answered.
r = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
r.bind(("eth0", 0))
r.setblocking(False)
out = open("/var/tmp/ping.log", "w", buffering=1)
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
ident = os.getpid() & 0xffff
vip_b = socket.inet_aton(vip)
seq = 0
nxt = time.monotonic()
while True:
    now = time.monotonic()
    if now >= nxt:
        seq = (seq + 1) & 0xffff
        h = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"tandem-bench"
        h = h[:2] + struct.pack("!H", csum(h)) + h[4:]
        try: s.sendto(h, (vip, 0))
        except OSError: pass
        nxt = now + 0.005
    ready, _, _ = select.select([r], [], [], max(0.0, nxt - time.monotonic()))
    while ready:
        try: frame = r.recv(2048)
        except OSError: break
        ip = frame[14:]
        if len(ip) < 28 or ip[9] != 1 or ip[12:16] != vip_b: continue
        ihl = (ip[0] & 15) * 4
        if ip[ihl] == 0 and struct.unpack("!H", ip[ihl + 4:ihl + 6])[0] == ident:
            out.write("%.6f %s\n" % (time.monotonic(), frame[6:12].hex(":")))
"""


def topology(folder: Path, config: str, impl: str) -> Path:
    name = f"bf{config[0]}{impl[0]}"
    machines = []
    for i, node in enumerate(("proxy1", "proxy2")):
        if config == "seed000":
            conf = (SEED / f"{node}.keepalived.conf").read_bytes()
            if impl == "debian":
                conf = conf.decode().replace(NBSP, " ").encode()
        else:
            conf = (V3_FAST % ("MASTER" if i == 0 else "BACKUP", 101 - i)).encode()
        machines.append({"name": node, "address": f"11.22.33.4{2 + i}/27",
                         "files": {"/etc/keepalived/keepalived.conf": conf},
                         "services": {"haproxy": FAKE_HAPROXY, "keepalived": KEEPALIVED}})
    machines.append({"name": "client", "address": "11.22.33.50/27",
                     "files": {"/var/lib/bench/pinger.py": PINGER},
                     "services": {"pinger": f"python3 /var/lib/bench/pinger.py {VIP}"}})
    return write_topology(folder / name, name, machines)


def replies(lab: Lab, mac: str | None = None) -> list[float]:
    """Reply times (CLOCK_MONOTONIC), only those from `mac` when given."""
    out = []
    for line in lab.read_file("client", "/var/tmp/ping.log").splitlines():
        parts = line.split()
        if len(parts) == 2 and (mac is None or parts[1] == mac):
            out.append(float(parts[0]))
    return out


def trial(lab: Lab, master_mac: str, backup_mac: str, timeout: float) -> float | None:
    # The master holds the VIP and the client is being answered.
    Lab.wait_for(lambda: vip_on(lab, "proxy1", VIP) and not vip_on(lab, "proxy2", VIP), 30,
                 "the VIP on proxy1")
    Lab.wait_for(lambda: (r := replies(lab, master_mac)) and r[-1] > time.monotonic() - 0.2, 15,
                 "the client to be answered by the master")
    time.sleep(0.2 + (time.monotonic() % 1.0))   # a random phase against the advert timer
    t_cut = time.monotonic()
    lab.cut("proxy1")
    deadline = t_cut + timeout
    result = None
    while time.monotonic() < deadline:
        after = [t for t in replies(lab, backup_mac) if t > t_cut]
        if after:
            result = after[0] - t_cut
            break
        time.sleep(0.01)
    lab.restore("proxy1")
    return result


def run(config: str, impl: str, trials: int, build: Path, budget_end: float) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-failover-") as tmp:
        topo = load_topology(topology(Path(tmp), config, impl))
        times = []
        with Lab(topo, impl=impl, tandem_bin=build / "bin" if impl == "tandem" else None) as lab:
            mac = lambda m: lab.exec(m, "cat /sys/class/net/eth0/address").stdout.strip()  # noqa: E731
            master_mac, backup_mac = mac("proxy1"), mac("proxy2")
            for i in range(trials):
                if time.monotonic() > budget_end:
                    print(f"  time budget reached after {i} trials", flush=True)
                    break
                t = trial(lab, master_mac, backup_mac, timeout=15)
                if t is None:
                    print(f"  {config} {impl} trial {i + 1}: no answer within 15 s", flush=True)
                    continue
                times.append(t)
                print(f"  {config} {impl} trial {i + 1}: {t * 1000:.0f} ms", flush=True)
        return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--configs", default="seed000,v3fast")
    ap.add_argument("--impls", default="tandem,debian")
    ap.add_argument("--budget", type=float, default=900, help="seconds for the whole run")
    args = ap.parse_args()
    build = Path(os.environ.get("TANDEM_BUILD", REPO / "build"))
    end = time.monotonic() + args.budget
    results = {}
    for config in args.configs.split(","):
        for impl in args.impls.split(","):
            try:
                results[config, impl] = run(config, impl, args.trials, build, end)
            except LabError as e:
                print(f"  {config} {impl}: lab failed: {e}", flush=True)
                results[config, impl] = []
    print()
    print("| config | Tandem median (n) | keepalived median (n) | ratio |")
    print("|---|---|---|---|")
    for config in args.configs.split(","):
        t, k = results.get((config, "tandem"), []), results.get((config, "debian"), [])
        mt = statistics.median(t) if t else None
        mk = statistics.median(k) if k else None
        ratio = f"{mt / mk:.3f}x" if mt and mk else "-"
        fmt = lambda m, xs: f"{m * 1000:.0f} ms ({len(xs)})" if m else "-"  # noqa: E731
        print(f"| {config} | {fmt(mt, t)} | {fmt(mk, k)} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
