"""Seed 001 ("keepalived as an F5 LTM replacement: VRRP + LVS direct routing") in the lab, run
by Tandem's keepalived: the post's two load balancers (the reconstructions, lb02 with `state
SLAVE` and priority 100 as the post instructs), two web servers holding the VIP on lo with ARP
suppressed, and clients on the segment. The kernel here has no IPVS, so Debian's keepalived
cannot serve the virtual_server at all (compat-tests/lvs/test_director.py shows it exit); the
claims are the post's and issue 8's, checked one by one:

  DR (examples/blog-configs/001-*/lab.toml): rr over client addresses, one client on one
  server (persistence_timeout 9600), replies straight from the web servers (a capture on the
  director sees none), a stopped web server removed within delay_loop + connect_timeout
  (keepalived's log line), the service moving to lb02 when lb01's link is cut.

  NAT (compat-tests/topologies/s001-nat: the post's "NAT Forwarding in Action"): the client
  at 10.0.0.44 reaches 10.0.0.125, the web servers see the client's own address and answer
  through their default gateway, the floating 172.16.0.125; rr over clients, persistence,
  and the same move to lb02."""

import re
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import seed_dir
from lab import Lab, load_topology

sys.path.insert(0, str(Path(__file__).resolve().parent / "lvs"))
from lvs_support import held_request  # noqa: E402

HERE = Path(__file__).resolve().parent
VIP = "172.16.0.125"
NAT_VIP = "10.0.0.125"
DR_CLIENTS = ["172.16.0.44", "172.16.0.45", "172.16.0.46", "172.16.0.47"]
NAT_CLIENTS = ["10.0.0.44", "10.0.0.45", "10.0.0.46", "10.0.0.47"]
WEB = {"Test Web 1": ("web1", "172.16.0.101"), "Test Web 2": ("web2", "172.16.0.102")}


def start_lab(topology, tandem_bin):
    if not (Path(tandem_bin) / "keepalived").exists():
        pytest.skip(f"no Tandem build in {tandem_bin}")
    return Lab(load_topology(topology), impl="tandem", tandem_bin=tandem_bin)


@pytest.fixture(scope="module")
def dr(blog_configs, tandem_bin):
    with start_lab(seed_dir(blog_configs, "001") / "lab.toml", tandem_bin) as lab:
        wait_master(lab, VIP)
        wait_pools(lab, VIP)
        yield lab


@pytest.fixture(scope="module")
def nat(tandem_bin):
    with start_lab(HERE / "topologies" / "s001-nat" / "lab.toml", tandem_bin) as lab:
        wait_master(lab, NAT_VIP)
        wait_pools(lab, NAT_VIP)
        yield lab


def in_pool(lab, machine, address, vip):
    """keepalived's log on `machine` last said `address` is in the VS (or never removed it):
    the lab starts the web servers after the load balancers, so a first check may fail."""
    events = re.findall(rf"(Adding|Removing) service \[{re.escape(address)}\]:tcp:80 (?:to|from) "
                        rf"VS \[{re.escape(vip)}\]:tcp:80", keepalived_log(lab, machine))
    return not events or events[-1] == "Adding"


def wait_pools(lab, vip):
    Lab.wait_for(lambda: all(in_pool(lab, m, a, vip) for m in ("lb01", "lb02")
                             for _, a in WEB.values()), 25, "both web servers in both pools")


def vip_on(lab, machine, vip):
    return lab.has_address(machine, vip, "eth0")


def wait_master(lab, vip, master="lb01", backup="lb02", timeout=30):
    Lab.wait_for(lambda: vip_on(lab, master, vip) and not vip_on(lab, backup, vip), timeout,
                 f"{vip} on {master} only")


def fetch(lab, vip, source, max_time=5):
    """One new connection from `source`: the page's name ("Test Web 1"), or None."""
    r = lab.exec("client", f"curl -s --max-time {max_time} --interface {source} http://{vip}/")
    m = re.search(r"<h1>(Test Web \d)</h1>", r.stdout)
    return m.group(1) if m else None


def rr_with_persistence(lab, vip, clients):
    """Each client three times: it must stay on one server; consecutive clients alternate."""
    got = []
    for source in clients:
        names = [fetch(lab, vip, source) for _ in range(3)]
        assert names[0] in WEB, (source, names)
        assert len(set(names)) == 1, f"{source} moved between servers: {names}"
        got.append(names[0])
    assert set(got) == set(WEB), got
    assert all(a != b for a, b in zip(got, got[1:])), f"clients not spread round-robin: {got}"
    return dict(zip(clients, got))


def keepalived_log(lab, machine="lb01"):
    return lab.log(machine, "keepalived")


# ---- DR ------------------------------------------------------------------------------------

def test_dr_the_master_serves_the_vip_with_the_netdev_plane(dr):
    ruleset = dr.exec("lb01", "nft list table netdev tandem_keepalived").stdout
    assert f"ip daddr {VIP} tcp dport 80 jump" in ruleset, ruleset
    assert 'fwd to "eth0"' in ruleset


def test_dr_rr_over_clients_and_persistence(dr):
    rr_with_persistence(dr, VIP, DR_CLIENTS)


def test_dr_replies_go_straight_from_the_web_servers(dr):
    out = {}
    t = threading.Thread(target=lambda: out.update(r=dr.exec(
        "lb01", "timeout 4 tcpdump -l -nn -i eth0 'tcp port 80' 2>/dev/null", timeout=15)))
    t.start()
    time.sleep(1)
    names = [fetch(dr, VIP, s) for s in DR_CLIENTS]
    t.join(15)
    lines = out["r"].stdout.splitlines()
    replies = [line for line in lines if f" {VIP}.80 > " in line]
    requests = [line for line in lines if f" > {VIP}.80:" in line]
    assert all(names), names
    assert requests, "the capture on lb01 saw no request: it proves nothing"
    assert not replies, "lb01 saw replies:\n" + "\n".join(replies[:5])
    # and the web servers did answer: each saw requests addressed to the VIP on its lo
    assert any("GET / " in dr.log(m, "httpd") for m in ("web1", "web2"))


def test_dr_stopped_web_server_leaves_within_delay_loop_plus_connect_timeout(dr):
    client = DR_CLIENTS[0]
    name = fetch(dr, VIP, client)
    machine, address = WEB[name]
    line = f"Removing service [{address}]:tcp:80 from VS [{VIP}]:tcp:80"
    before = keepalived_log(dr).count(line)
    dr.stop(machine, "lab-httpd")
    stopped = time.monotonic()
    try:
        # delay_loop 10 + connect_timeout 3
        Lab.wait_for(lambda: keepalived_log(dr).count(line) > before, 13 + 1,
                     f"'{line}' in lb01's log")
        took = time.monotonic() - stopped
        assert took <= 14, took
        # the client's persistence entry pointed at the removed server: it moves
        other = fetch(dr, VIP, client)
        assert other in WEB and other != name, (name, other)
    finally:
        dr.start(machine, "httpd")
    Lab.wait_for(lambda: f"Adding service [{address}]:tcp:80 to VS [{VIP}]:tcp:80"
                 in keepalived_log(dr), 15, f"{machine} back in the pool")


def test_dr_cutting_lb01s_link_moves_the_service_to_lb02(dr):
    dr.cut("lb01")
    try:
        Lab.wait_for(lambda: vip_on(dr, "lb02", VIP), 10, f"{VIP} on lb02")
        names = [fetch(dr, VIP, s) for s in DR_CLIENTS]
        assert all(n in WEB for n in names), names
        ruleset = dr.exec("lb02", "nft list map netdev tandem_keepalived vs1_flows").stdout
        assert "172.16.0.44" in ruleset, "lb02's plane did not carry the flows"
    finally:
        dr.restore("lb01")




def test_dr_reload_keeps_an_established_connection(dr):
    """SIGHUP with the virtual_server changed: the service is rebuilt on a new generation of
    rules; a connection open across the reload keeps its web server (DR has no conntrack: the
    old generation forwards the flows it knows)."""
    wait_master(dr, VIP)
    # Tandem's VRRP leaves MASTER on a reload ("sent 0 priority", then BACKUP (init)): with lb02
    # running, the VIP and the connection would move there. That is VRRP's part, not the data
    # plane's: lb02 stays out while lb01 reloads (lb01's netdev chain forwards whether or not
    # it holds the VIP at that moment).
    dr.stop("lb02", "keepalived")
    served = "served by the nftables-dr data plane"
    before = keepalived_log(dr).count(served)
    out = {}
    t = threading.Thread(target=lambda: out.update(r=dr.exec(
        "client", held_request(VIP, 4.0), timeout=30)))
    t.start()
    try:
        time.sleep(1)
        conf = "/etc/keepalived/keepalived.conf"
        dr.exec("lb01", f"sed 's/delay_loop 10/delay_loop 11/' {conf} > /tmp/ka.conf && "
                        f"cat /tmp/ka.conf > {conf} && killall -HUP keepalived", check=True)
        Lab.wait_for(lambda: keepalived_log(dr).count(served) > before, 5, "the rebuilt service")
        # two generations: the new one decides, the old one (drained) only forwards its flows
        rules = dr.exec("lb01", "nft list table netdev tandem_keepalived").stdout
        assert rules.count("hook ingress") == 2, rules
        assert len(re.findall(r"numgen inc mod \d+ map @", rules)) == 1, rules
    finally:
        t.join(30)
        dr.start("lb02", "keepalived")
    assert re.search(r"<h1>Test Web \d</h1>", out["r"].stdout), out["r"].stdout + out["r"].stderr
    wait_master(dr, VIP)
    names = {fetch(dr, VIP, s) for s in DR_CLIENTS}
    assert names <= set(WEB) and None not in names, names


# ---- NAT -----------------------------------------------------------------------------------

def test_nat_rr_over_clients_and_persistence(nat):
    rr_with_persistence(nat, NAT_VIP, NAT_CLIENTS)


def test_nat_web_servers_see_the_client_and_answer_through_the_floating_gateway(nat):
    name = fetch(nat, NAT_VIP, NAT_CLIENTS[0])
    machine, _ = WEB[name]
    assert re.search(r"^(::ffff:)?10\.0\.0\.44 .*GET / ", nat.log(machine, "httpd"), re.M), \
        "the web server did not see the client's own address"
    route = nat.exec(machine, "ip route get 10.0.0.44").stdout
    assert f"via {VIP}" in route, route
    # no masquerade: the clients are not on the web servers' segment
    ruleset = nat.exec("lb01", "nft list table inet tandem_keepalived").stdout
    assert "dnat ip to" in ruleset
    assert "10.0.0.0/24" not in ruleset


def test_nat_cutting_lb01s_link_moves_the_service_to_lb02(nat):
    nat.cut("lb01")
    try:
        Lab.wait_for(lambda: vip_on(nat, "lb02", NAT_VIP) and vip_on(nat, "lb02", VIP), 10,
                     "both floating IPs on lb02")
        names = [fetch(nat, NAT_VIP, s) for s in NAT_CLIENTS]
        assert all(n in WEB for n in names), names
    finally:
        nat.restore("lb01")
