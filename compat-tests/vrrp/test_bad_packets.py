"""Bad VRRP packets sent from a lab machine (a python raw socket, vrrp_send.py) to a MASTER
with priority 200, each claiming priority 254: wrong TTL, bad checksum, truncated, wrong
password, wrong auth type, wrong version, wrong VRID, wrong interval, a VIP missing. Each is
dropped, logged in keepalived 2.2.7's words and counted where keepalived counts it (the
SIGUSR2 stats file); the master stays master. Then one good advert at priority 254 makes it
step down, so the sender is proven to reach it. Run against Debian's keepalived and Tandem."""

import json
from pathlib import Path

import pytest

from lab import Lab, load_topology
from vrrp_support import KEEPALIVED, log_lines, stats, vip_on, wait_log, wait_vip, write_topology

HERE = Path(__file__).resolve().parent
SENDER = (HERE / "vrrp_send.py").read_text()
VIP = "10.9.0.100"
CONF = """vrrp_instance VI_1 {
  interface eth0
  state MASTER
  virtual_router_id 51
  priority 200
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.9.0.100
  }
}
"""
GOOD = dict(src="10.9.0.66", dst="224.0.0.18", vrid=51, prio=254, vips=[VIP], auth="secret")
# (what is wrong, the packet's difference from a good one, keepalived's log line)
BAD = [
    ("ttl", dict(ttl=64), "(VI_1) invalid TTL/HL. Received 64 and expect 255"),
    ("checksum", dict(bad_checksum=True), "(VI_1) Invalid VRRPv2 checksum"),
    ("truncated", dict(truncate=6), "IPv4 VRRP packet too short - 26 bytes"),
    ("password", dict(auth="wrong"), "(VI_1) received an invalid passwd!"),
    ("auth type", dict(auth_type=0), "(VI_1) received a 0 auth, expecting 1!"),
    ("version", dict(version=3), "(VI_1) wrong version. Received 3 and expect 2"),
    ("vrid", dict(vrid=52), None),      # keepalived: silently not ours
    ("interval", dict(interval=3), "(VI_1) advertisement interval mismatch mine=1 sec rcv'd=3 sec"),
    ("address", dict(vips=["10.9.0.101"]),
     "(VI_1) ip address associated with VRID 51 not present in MASTER advert: 10.9.0.100"),
]


@pytest.fixture(scope="module")
def lab(impl, tandem_bin, tmp_path_factory):
    topo = write_topology(tmp_path_factory.mktemp("vbad"), "vbad", [
        {"name": "n1", "address": "10.9.0.11/24",
         "files": {"/etc/keepalived/keepalived.conf": CONF}, "services": {"keepalived": KEEPALIVED}},
        {"name": "evil", "address": "10.9.0.66/24"}])
    with Lab(load_topology(topo), impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None) as lab:
        yield lab


def send(lab, **over):
    args = dict(GOOD)
    args.update(over)
    r = lab.exec("evil", ["python3", "-c", SENDER, json.dumps(args)])
    assert r.returncode == 0, r.stderr


def test_bad_packets_are_dropped_logged_and_counted(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=15)
    assert vip_on(lab, "n1", VIP)
    start = len(log_lines(lab, "n1"))
    for what, over, line in BAD:
        n = len(log_lines(lab, "n1"))
        send(lab, **over)
        if line:
            wait_log(lab, "n1", line, timeout=5, after=n)
    lines = log_lines(lab, "n1")[start:]
    assert "(VI_1) Entering BACKUP STATE" not in lines, lines
    assert not any("higher priority" in x for x in lines), lines
    assert vip_on(lab, "n1", VIP)
    s = stats(lab, "n1")["VI_1"]
    # What keepalived 2.2.7 counts per instance (measured); the rest it only logs.
    assert s["Packet Errors/TTL"] == 1, s
    assert s["Authentication Errors/Failure"] == 1, s
    assert s["Authentication Errors/Type Mismatch"] == 1, s
    assert s["Packet Errors/Address List"] == 1, s
    assert s["Became master"] == 1 and s["Released master"] == 0, s
    if lab.impl == "tandem":
        # Tandem counts every reason on its own line too.
        t = {k.split("/", 1)[1]: v for k, v in s.items() if k.startswith("Drops by reason")}
        for reason in ("packet too short", "invalid ttl", "auth type mismatch", "authentication failure",
                       "advertisement interval mismatch", "invalid version", "VRID mismatch",
                       "invalid checksum", "ip address not present in advert"):
            assert t[reason] == 1, (reason, t)


def test_a_good_higher_priority_advert_from_the_same_sender_takes_over(lab):
    n = len(log_lines(lab, "n1"))
    send(lab)
    wait_log(lab, "n1", "(VI_1) Master received advert from 10.9.0.66 with higher priority 254, ours 200",
             timeout=5, after=n)
    wait_log(lab, "n1", "(VI_1) Entering BACKUP STATE", timeout=5, after=n)
    Lab.wait_for(lambda: not vip_on(lab, "n1", VIP), 5, "the VIP to leave n1")
    # Nobody keeps advertising: n1 takes the VIP back after the master-down interval.
    wait_vip(lab, "n1", "evil", VIP, timeout=10)
