"""VRRPv3 over IPv6 (ff02::12, link-local sources, the kernel's checksum, hop limit 255):
node `ta` (Tandem's keepalived with --impl tandem, Debian's with --impl debian) and node `kb`
(Debian's keepalived 2.2.7) elect `ta` for one IPv6 VIP (added with NODAD) and `kb` for
another; SIGTERM on `ta` hands its VIP to `kb` (unsolicited NA) and a restart takes it back."""

import pytest

from lab import Lab, load_topology
from vrrp_support import log_lines, wait_log, write_topology

VIP = {"V6A": "fd00:8::100", "V6B": "fd00:8::200"}
MASTER = {"V6A": "ta", "V6B": "kb"}
OTHER = {"ta": "kb", "kb": "ta"}


def config(node):
    out = []
    for name, vrid in (("V6A", 41), ("V6B", 42)):
        out.append(f"""vrrp_instance {name} {{
  interface eth0
  state BACKUP
  version 3
  virtual_router_id {vrid}
  priority {150 if MASTER[name] == node else 100}
  advert_int 1
  virtual_ipaddress {{
    {VIP[name]}/64 -nodad
  }}
}}""")
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def lab(impl, tandem_bin, tmp_path_factory):
    flags = "--dont-fork --log-console --log-detail -f /etc/keepalived/keepalived.conf"
    topo = write_topology(tmp_path_factory.mktemp("vip6"), "vip6", [
        {"name": "ta", "address": "10.6.0.11/24",
         "files": {"/etc/keepalived/keepalived.conf": config("ta")},
         "services": {"keepalived": f"keepalived {flags}"}},
        {"name": "kb", "address": "10.6.0.12/24",
         "files": {"/etc/keepalived/keepalived.conf": config("kb")},
         "services": {"keepalived": f"/usr/sbin/keepalived {flags}"}}])
    t = load_topology(topo)
    with Lab(t, impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None,
             start_services=False) as lab:
        # Wait for the link-local addresses (DAD) before keepalived looks for its source.
        for n in ("ta", "kb"):
            Lab.wait_for(lambda: "scope link" in lab.exec(n, "ip -6 addr show dev eth0 scope link -tentative").stdout,
                         10, f"{n}'s link-local address")
        for n in ("ta", "kb"):
            lab.start(n, "keepalived")
        yield lab


def holders(lab, name):
    return {n for n in ("ta", "kb") if VIP[name] in lab.exec(n, "ip -6 addr show dev eth0").stdout}


def wait_holders(lab, want, timeout=20):
    Lab.wait_for(lambda: all(holders(lab, k) == v for k, v in want.items()), timeout,
                 f"VIP holders {want}")


def test_ipv6_election(lab):
    wait_holders(lab, {"V6A": {"ta"}, "V6B": {"kb"}})
    wait_log(lab, "ta", "(V6A) Entering MASTER STATE")
    wait_log(lab, "kb", "(V6B) Entering MASTER STATE")
    states = [x for x in log_lines(lab, "kb") if x.startswith("(V6A) Entering ")]
    assert states[-1].startswith("(V6A) Entering BACKUP STATE"), states


def test_ipv6_failover_and_back(lab):
    n = len(log_lines(lab, "kb"))
    lab.stop("ta", "keepalived")
    wait_log(lab, "kb", "(V6A) Backup received priority 0 advertisement", after=n)
    wait_holders(lab, {"V6A": {"kb"}, "V6B": {"kb"}}, timeout=10)
    n = len(log_lines(lab, "kb"))
    lab.start("ta", "keepalived")
    wait_log(lab, "kb", "(V6A) Entering BACKUP STATE", after=n, timeout=20)
    wait_holders(lab, {"V6A": {"ta"}, "V6B": {"kb"}})
