"""Interop: node `ta` and node `kb` in the same VRRP groups. --impl tandem runs Tandem's
keepalived on `ta` beside Debian's keepalived 2.2.7 on `kb`; --impl debian runs Debian's on
both (the reference the same assertions are first proven on). One configuration per node holds
every case at once, each its own VRID and VIP:

  V2A / V2B   VRRPv2, multicast, PASS auth      ta master / kb master
  V3A / V3B   VRRPv3, multicast                  ta master / kb master
  U2A / U3B   v2 unicast (PASS) / v3 unicast     ta master / kb master
  AHA         VRRPv2 with AH authentication      ta master
  AUTH        PASS with different passwords      both reject the other: both master, counted
  VRID        ta says VRID 28, kb VRID 29        neither hears the other: both master

Fail-over both ways: SIGTERM on a node (priority-0 adverts) moves its masters to the other;
starting it again takes them back (preemption). Elections are read from both daemons' logs."""

from pathlib import Path

import pytest

from lab import Lab, load_topology
from vrrp_support import log_lines, stats, vip_on, wait_log, write_topology

ADDR = {"ta": "10.8.0.11", "kb": "10.8.0.12"}
OTHER = {"ta": "kb", "kb": "ta"}
# name: (vrid, version, unicast, auth, master node)
CASES = {
    "V2A": (21, 2, False, "pw21", "ta"),
    "V2B": (22, 2, False, "pw22", "kb"),
    "V3A": (23, 3, False, None, "ta"),
    "V3B": (24, 3, False, None, "kb"),
    "U2A": (25, 2, True, "pw25", "ta"),
    "U3B": (26, 3, True, None, "kb"),
    "AHA": (30, 2, False, "AH:ahpass", "ta"),
}
VIP = {name: f"10.8.0.{100 + vrid}" for name, (vrid, *_rest) in CASES.items()}
VIP.update({"AUTH": "10.8.0.127", "VRID": "10.8.0.128"})


def instance(name, node, vrid, version, unicast, auth, priority, vip):
    lines = [f"vrrp_instance {name} {{", "  interface eth0", "  state BACKUP",
             f"  virtual_router_id {vrid}", f"  version {version}", f"  priority {priority}",
             "  advert_int 1"]
    if unicast:
        lines += [f"  unicast_src_ip {ADDR[node]}", "  unicast_peer {", f"    {ADDR[OTHER[node]]}", "  }"]
    if auth:
        kind, _, secret = auth.rpartition(":")
        lines += ["  authentication {", f"    auth_type {kind or 'PASS'}", f"    auth_pass {secret}", "  }"]
    lines += ["  virtual_ipaddress {", f"    {vip}", "  }", "}"]
    return "\n".join(lines)


def config(node):
    parts = []
    for name, (vrid, version, unicast, auth, master) in CASES.items():
        parts.append(instance(name, node, vrid, version, unicast, auth, 150 if master == node else 100,
                              VIP[name]))
    parts.append(instance("AUTH", node, 27, 2, False, "right" if node == "ta" else "wrong",
                          150 if node == "ta" else 100, VIP["AUTH"]))
    parts.append(instance("VRID", node, 28 if node == "ta" else 29, 2, False, None,
                          150 if node == "ta" else 100, VIP["VRID"]))
    return "\n".join(parts) + "\n"


@pytest.fixture(scope="module")
def lab(impl, tandem_bin, tmp_path_factory):
    flags = "--dont-fork --log-console --log-detail -f /etc/keepalived/keepalived.conf"
    machines = [
        # `keepalived` is Tandem's with --impl tandem (first on PATH), Debian's otherwise.
        {"name": "ta", "address": f"{ADDR['ta']}/24",
         "files": {"/etc/keepalived/keepalived.conf": config("ta")},
         "services": {"keepalived": f"keepalived {flags}"}},
        {"name": "kb", "address": f"{ADDR['kb']}/24",
         "files": {"/etc/keepalived/keepalived.conf": config("kb")},
         "services": {"keepalived": f"/usr/sbin/keepalived {flags}"}},
    ]
    topo = write_topology(tmp_path_factory.mktemp("vint"), "vint", machines)
    with Lab(load_topology(topo), impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None) as lab:
        yield lab


def holders(lab, name):
    return {n for n in ("ta", "kb") if vip_on(lab, n, VIP[name])}


def wait_masters(lab, expected: dict, timeout=20):
    def ok():
        return all(holders(lab, name) == want for name, want in expected.items())
    try:
        Lab.wait_for(ok, timeout, "the expected masters")
    except Exception:
        raise AssertionError({name: holders(lab, name) for name in expected}) from None


def normal():
    want = {name: {case[4]} for name, case in CASES.items()}
    want.update({"AUTH": {"ta", "kb"}, "VRID": {"ta", "kb"}})
    return want


def test_elections_agree(lab):
    wait_masters(lab, normal())
    for name, (*_, master) in CASES.items():
        wait_log(lab, master, f"({name}) Entering MASTER STATE")
        # The node started first may be master for a moment before the other's first advert;
        # if so, it stepped down to BACKUP (keepalived does the same: both impls run this).
        states = [x for x in log_lines(lab, OTHER[master]) if x.startswith(f"({name}) Entering ")]
        assert states and states[-1].startswith(f"({name}) Entering BACKUP STATE"), (name, states)
    # The backups hear their master: a v2/v3 master's adverts, multicast and unicast, accepted.
    s = {n: stats(lab, n) for n in ("ta", "kb")}
    for name, (*_, master) in CASES.items():
        backup = OTHER[master]
        assert s[backup][name]["Advertisements/Received"] > 0, (name, s[backup][name])
        assert s[backup][name]["Authentication Errors/Failure"] == 0, (name, s[backup][name])


def test_wrong_password_is_rejected_and_counted_by_both(lab):
    wait_masters(lab, {"AUTH": {"ta", "kb"}})
    for n in ("ta", "kb"):
        wait_log(lab, n, "(AUTH) received an invalid passwd!")
        assert stats(lab, n)["AUTH"]["Authentication Errors/Failure"] > 0


def test_another_vrid_is_not_heard(lab):
    wait_masters(lab, {"VRID": {"ta", "kb"}})
    for n in ("ta", "kb"):
        wait_log(lab, n, "(VRID) Entering MASTER STATE")
    if lab.impl == "tandem":
        # keepalived drops another VRID silently and counts nothing; Tandem counts it.
        t = stats(lab, "ta")["V2A"]
        assert t["Drops by reason (Tandem)/VRID mismatch"] > 0, t


@pytest.mark.parametrize("node", ["ta", "kb"])
def test_failover_on_sigterm_and_preemption_back(lab, node):
    other = OTHER[node]
    wait_masters(lab, normal())
    mine = [name for name, case in CASES.items() if case[4] == node]
    n_other = len(log_lines(lab, other))
    lab.stop(node, "keepalived")
    assert lab.service_status(node, "keepalived")["status"] == 0
    for name in mine:
        wait_log(lab, node, f"({name}) sent 0 priority")
        wait_log(lab, other, f"({name}) Backup received priority 0 advertisement", after=n_other)
        wait_log(lab, other, f"({name}) Entering MASTER STATE", after=n_other)
    wait_masters(lab, {name: {other} for name in CASES}, timeout=10)
    n_other = len(log_lines(lab, other))
    lab.start(node, "keepalived")
    for name in mine:
        wait_log(lab, other, f"({name}) Master received advert from {ADDR[node]} with higher priority 150, "
                             "ours 100", after=n_other, timeout=20)
        wait_log(lab, other, f"({name}) Entering BACKUP STATE", after=n_other)
    wait_masters(lab, normal())
