"""LVS data planes under load, in the lab: HTTP requests/s through a VIP for Tandem's
keepalived with the nftables NAT plane, the nftables DR plane and the user-space plane
(TANDEM_LVS_PLANE=user-space), and for Debian's HAProxy 2.6 in `mode tcp` — the same two nginx
backends, the same client (wrk, 2 threads), the same run. A director, two web servers and a
client on one bridge, each a namespace (compat-tests/lab). Two loads: keep-alive (100
connections, many requests each: forwarding) and one request per connection (`Connection:
close`: connection setup through the director). The planes alternate round by round, so a
change in the machine's load hits all of them. Issue 8's target: nftables NAT at least 3x
HAProxy's mode tcp. A benchmark never fails on a time.

Usage: bench_lvs.py [--seconds S] [--rounds N] [--connections C]
       (TANDEM_BUILD: the build folder; default build/)"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "compat-tests"))

from lab import Lab, LabError  # noqa: E402
from lab.topology import parse_topology  # noqa: E402

VIP_DR = "172.16.0.125"
VIP_NAT = "172.16.0.126"
PAGE = "<html><body>tandem bench: a tiny static page</body></html>\n"

NGINX = """worker_processes 1;
pid /run/nginx-bench.pid;
error_log /var/log/nginx-bench.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    server {
        listen 80 backlog=4096;
        root /var/www;
        location / { }
    }
}
"""


def keepalived_conf(vip, kind):
    return f"""global_defs {{
    router_id BENCH
}}
virtual_server {vip} 80 {{
    delay_loop 5
    lb_algo rr
    lb_kind {kind}
    protocol TCP
    real_server 172.16.0.101 80 {{
        TCP_CHECK {{
            connect_timeout 2
        }}
    }}
    real_server 172.16.0.102 80 {{
        TCP_CHECK {{
            connect_timeout 2
        }}
    }}
}}
"""


HAPROXY = f"""global
    maxconn 8000
    nbthread 2
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
listen vip
    bind {VIP_NAT}:80
    balance roundrobin
    server web1 172.16.0.101:80
    server web2 172.16.0.102:80
"""

KEEPALIVED = "keepalived --dont-fork --log-console -f /etc/keepalived/{}.conf"
# name: (service on the director, VIP, the plane's mark on the director: an nftables table or
# a listener of the process)
PLANES = {
    "nftables NAT": ("ka-nat", VIP_NAT, "table inet tandem_keepalived"),
    "nftables DR": ("ka-dr", VIP_DR, "table netdev tandem_keepalived"),
    "user space": ("ka-user", VIP_NAT, "keepalived"),
    "HAProxy mode tcp": ("haproxy", VIP_NAT, "haproxy"),
}


def plane_mark(lab):
    return (lab.exec("director", "nft list tables").stdout +
            lab.exec("director", "ss -Htlnp 'sport = :80'").stdout)


# One request per connection from one client address: without these the proxies (HAProxy,
# the user-space plane) run out of source ports to the backends within seconds (TIME_WAIT),
# and the figure measures that instead of the data path.
PORTS = {"net.ipv4.tcp_tw_reuse": "1", "net.ipv4.ip_local_port_range": "1024 65535"}


def web(name, address):
    return {
        "name": name,
        "sysctls": {"net.ipv4.conf.all.arp_ignore": "1", "net.ipv4.conf.all.arp_announce": "2"},
        "interfaces": [{"name": "eth0", "addresses": [f"{address}/25"]}],
        "files": [{"path": "/etc/nginx/bench.conf", "content": NGINX},
                  {"path": "/var/www/index.html", "content": PAGE}],
        "services": [
            {"name": "vip-on-lo", "command": f"ip addr add {VIP_DR}/32 dev lo"},
            {"name": "nginx", "command": "nginx -c /etc/nginx/bench.conf -g 'daemon off;'"},
        ],
    }


def topology():
    return parse_topology({
        "name": "lvsbn",
        "machines": [
            {"name": "director",
             "sysctls": {"net.ipv4.ip_forward": "1", **PORTS},
             "interfaces": [{"name": "eth0", "addresses": [
                 "172.16.0.121/25", f"{VIP_DR}/25", f"{VIP_NAT}/25"]}],
             "files": [
                 {"path": "/etc/keepalived/nat.conf", "content": keepalived_conf(VIP_NAT, "NAT")},
                 {"path": "/etc/keepalived/dr.conf", "content": keepalived_conf(VIP_DR, "DR")},
                 {"path": "/etc/haproxy/tcp.cfg", "content": HAPROXY}],
             "services": [
                 {"name": "ka-nat", "autostart": False, "command": KEEPALIVED.format("nat")},
                 {"name": "ka-dr", "autostart": False, "command": KEEPALIVED.format("dr")},
                 {"name": "ka-user", "autostart": False,
                  "command": "env TANDEM_LVS_PLANE=user-space " + KEEPALIVED.format("nat")},
                 {"name": "haproxy", "autostart": False,
                  "command": "/usr/sbin/haproxy -db -f /etc/haproxy/tcp.cfg"}]},
            web("web1", "172.16.0.101"),
            web("web2", "172.16.0.102"),
            {"name": "client", "sysctls": PORTS,
             "interfaces": [{"name": "eth0", "addresses": ["172.16.0.44/25"]}]},
        ],
    }, "bench_lvs", None)


def serving(lab, vip):
    """Both backends answer through the VIP (two new connections, rr)."""
    seen = set()
    for _ in range(4):
        r = lab.exec("client", f"curl -s -o /dev/null -w '%{{remote_ip}} %{{http_code}}' "
                               f"--max-time 2 http://{vip}/")
        if r.stdout.endswith(" 200"):
            seen.add(r.stdout)
    return bool(seen)


def wrk(lab, vip, connections, seconds, close):
    header = "-H 'Connection: close' " if close else ""
    r = lab.exec("client", f"wrk -t2 -c{connections} -d{seconds}s {header}http://{vip}/",
                 timeout=seconds + 60)
    m = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    errors = re.search(r"Socket errors: (.*)", r.stdout)
    return (float(m.group(1)) if m else 0.0), (errors.group(1) if errors else ""), r.stdout


def run_plane(lab, name, connections, seconds):
    service, vip, mark = PLANES[name]
    process = "haproxy" if service == "haproxy" else "keepalived"
    lab.start("director", service)
    try:
        Lab.wait_for(lambda: serving(lab, vip), 20, f"{name} serving {vip}")
        if mark not in plane_mark(lab):
            raise LabError(f"{name}: the director shows no '{mark}':\n{plane_mark(lab)}\n"
                           f"{lab.log('director', service)[-2000:]}")
        out = {}
        for close in (False, True):
            wrk(lab, vip, connections, 2, close)  # warm-up
            out[close] = wrk(lab, vip, connections, seconds, close)
        return out
    finally:
        lab.stop("director", process)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=100)
    args = ap.parse_args()
    build = Path(os.environ.get("TANDEM_BUILD", REPO / "build"))
    if not (build / "bin" / "keepalived").exists():
        print(f"bench_lvs: no Tandem build in {build}", file=sys.stderr)
        return 1
    results = {name: {False: [], True: []} for name in PLANES}
    with Lab(topology(), impl="tandem", tandem_bin=build / "bin") as lab:
        for rnd in range(args.rounds):
            order = list(PLANES) if rnd % 2 == 0 else list(reversed(PLANES))
            for name in order:
                got = run_plane(lab, name, args.connections, args.seconds)
                for close, (rps, errors, text) in got.items():
                    results[name][close].append(rps)
                    mode = "close" if close else "keep-alive"
                    print(f"round {rnd + 1} {name:18} {mode:10} {rps:10.0f} req/s"
                          + (f"  socket errors: {errors}" if errors else ""), flush=True)
                    if not rps:
                        print(text, flush=True)
    print()
    print(f"{'plane':18} {'keep-alive req/s':>18} {'x HAProxy':>10} {'close req/s':>14} {'x HAProxy':>10}")
    base = {close: statistics.median(results["HAProxy mode tcp"][close]) or 1 for close in (False, True)}
    for name in PLANES:
        ka = statistics.median(results[name][False])
        cl = statistics.median(results[name][True])
        print(f"{name:18} {ka:18.0f} {ka / base[False]:9.2f}x {cl:14.0f} {cl / base[True]:9.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
