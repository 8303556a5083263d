"""track_process: an instance with `track_process` (weight 0) is in FAULT while fewer than
`quorum` processes of that name run, and leaves FAULT when one starts again. Tandem scans
/proc of the machine's PID namespace once a second.

Tandem only: keepalived 2.2.7 watches processes through the kernel's proc connector, which
the kernel serves only to the initial PID namespace, and every lab machine has its own PID
namespace. Measured in the lab, keepalived logs "Failed to set/clear process event listen -
errno 111 - Connection refused" and "(VI_1) entering FAULT state (tracked process sleepers
quorum not achieved)" and stays in FAULT with the process running, so its behaviour cannot
be observed here."""

import pytest

from lab import Lab, load_topology
from vrrp_support import log_lines, vip_on, wait_log, write_topology

VIP = "10.5.0.100"
SLEEPER = "/bin/sh -c 'cp /bin/sleep /tmp/sleeper; exec /tmp/sleeper infinity'"
CONF = """vrrp_track_process sleepers {
  process sleeper
  quorum 1
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 71
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.5.0.100
  }
  track_process {
    sleepers weight 0
  }
}
"""


@pytest.fixture(scope="module")
def lab(impl, tandem_bin, tmp_path_factory):
    if impl != "tandem":
        pytest.skip("keepalived's track_process needs the initial PID namespace (see the module)")
    topo = write_topology(tmp_path_factory.mktemp("vtp"), "vtp", [
        {"name": "n1", "address": "10.5.0.11/24",
         "files": {"/etc/keepalived/keepalived.conf": CONF},
         "services": {"sleeper": SLEEPER,
                      "keepalived": "keepalived -n -l -D -f /etc/keepalived/keepalived.conf"}}])
    with Lab(load_topology(topo), impl=impl, tandem_bin=tandem_bin) as lab:
        yield lab


def test_process_gone_is_fault_and_back_is_master(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=15)
    n = len(log_lines(lab, "n1"))
    lab.stop("n1", "sleeper")
    wait_log(lab, "n1", "Quorum lost for tracked process sleepers", timeout=5, after=n)
    wait_log(lab, "n1", "(VI_1) Entering FAULT STATE", timeout=5, after=n)
    assert not vip_on(lab, "n1", VIP)
    n = len(log_lines(lab, "n1"))
    lab.start("n1", "sleeper")
    wait_log(lab, "n1", "Quorum gained for tracked process sleepers", timeout=5, after=n)
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=10, after=n)
    Lab.wait_for(lambda: vip_on(lab, "n1", VIP), 5, "the VIP")
