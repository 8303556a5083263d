"""vrrp_sync_group: two instances in group G on one node; a FAULT of one (its
track_interface goes down) takes the other into FAULT with it, and both come back together;
the group's notify runs with "GROUP G <state>"; a tracker on the group (track_file) faults
every member. Against Debian's keepalived and Tandem."""

import time

import pytest

from lab import Lab, load_topology
from vrrp_support import log_lines, vip_on, wait_log, write_topology

NOTIFY = "#!/bin/sh\necho \"$@\" >> /var/tmp/notify.log\n"
CONF = """vrrp_track_file gf {
  file /var/tmp/gf
  weight 0
  init_file 0
}
vrrp_sync_group G {
  group {
    VI_A
    VI_B
  }
  track_file {
    gf
  }
  notify /etc/keepalived/notify.sh
}
vrrp_instance VI_A {
  interface eth0
  virtual_router_id 81
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.4.0.100
  }
  track_interface {
    eth1
  }
}
vrrp_instance VI_B {
  interface eth0
  virtual_router_id 82
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.4.0.101
  }
}
"""


@pytest.fixture(scope="module")
def lab(impl, tandem_bin, tmp_path_factory):
    topo = write_topology(tmp_path_factory.mktemp("vsg"), "vsg", [
        {"name": "n1", "address": "10.4.0.11/24",
         "files": {"/etc/keepalived/keepalived.conf": CONF,
                   "/etc/keepalived/notify.sh": (NOTIFY, "0755")},
         "services": {"keepalived": "keepalived -n -l -D -f /etc/keepalived/keepalived.conf"}}])
    with Lab(load_topology(topo), impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None,
             start_services=False) as lab:
        lab.exec("n1", "ip link add eth1 type veth peer name eth1p && ip link set eth1p up "
                       "&& ip link set eth1 up", check=True)
        lab.start("n1", "keepalived")
        yield lab


def notified(lab):
    return lab.read_file("n1", "/var/tmp/notify.log").splitlines()


def test_group_faults_and_recovers_together(lab):
    wait_log(lab, "n1", "(VI_A) Entering MASTER STATE", timeout=15)
    wait_log(lab, "n1", "(VI_B) Entering MASTER STATE", timeout=5)
    Lab.wait_for(lambda: notified(lab) == ["GROUP G BACKUP 0", "GROUP G MASTER 0"], 5,
                 "group notifies BACKUP, MASTER")
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "ip link set eth1 down", check=True)
    wait_log(lab, "n1", "(VI_A) Entering FAULT STATE", timeout=5, after=n)
    wait_log(lab, "n1", "(VI_B) Entering FAULT STATE", timeout=5, after=n)
    Lab.wait_for(lambda: not vip_on(lab, "n1", "10.4.0.100") and not vip_on(lab, "n1", "10.4.0.101"),
                 5, "both VIPs to go")
    Lab.wait_for(lambda: notified(lab)[2:] == ["GROUP G FAULT 0"], 5, "group notify FAULT")
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "ip link set eth1 up", check=True)
    wait_log(lab, "n1", "(VI_A) Entering MASTER STATE", timeout=10, after=n)
    wait_log(lab, "n1", "(VI_B) Entering MASTER STATE", timeout=10, after=n)
    Lab.wait_for(lambda: notified(lab)[3:] == ["GROUP G BACKUP 0", "GROUP G MASTER 0"], 5,
                 "group notifies BACKUP, MASTER after the fault")


def test_a_group_tracker_faults_every_member(lab):
    wait_log(lab, "n1", "(VI_B) Entering MASTER STATE")
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "echo 1 > /var/tmp/gf", check=True)
    wait_log(lab, "n1", "(VI_A) Entering FAULT STATE", timeout=5, after=n)
    wait_log(lab, "n1", "(VI_B) Entering FAULT STATE", timeout=5, after=n)
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "echo 0 > /var/tmp/gf", check=True)
    wait_log(lab, "n1", "(VI_A) Entering MASTER STATE", timeout=10, after=n)
    wait_log(lab, "n1", "(VI_B) Entering MASTER STATE", timeout=10, after=n)


def test_sighup_keeps_an_unchanged_group_master(lab):
    """keepalived's reload keeps the state of instances whose configuration did not change,
    sync group members included: no new transition, no notify, the VIPs stay."""
    wait_log(lab, "n1", "(VI_A) Entering MASTER STATE")
    wait_log(lab, "n1", "(VI_B) Entering MASTER STATE")
    Lab.wait_for(lambda: vip_on(lab, "n1", "10.4.0.100") and vip_on(lab, "n1", "10.4.0.101"),
                 10, "both VIPs")
    n, notes = len(log_lines(lab, "n1")), len(notified(lab))
    lab.exec("n1", "killall -HUP keepalived", check=True)
    # Long enough for a restarted member to have gone through BACKUP and its master-down
    # interval (3 x advert_int + skew) back to MASTER.
    time.sleep(4.5)
    after = log_lines(lab, "n1")[n:]
    assert not any(x.startswith(("(VI_A) Entering", "(VI_B) Entering")) for x in after), after
    assert not any("sent 0 priority" in x for x in after), after
    assert notified(lab)[notes:] == []
    assert vip_on(lab, "n1", "10.4.0.100") and vip_on(lab, "n1", "10.4.0.101")
