"""The keepalived daemon around the VRRP instances, on one lab machine, against Debian's
keepalived and Tandem: notify scripts (notify_master and `notify` with its four arguments),
track_file (weight 0: a non-zero value means FAULT; weighted: the number times the weight
moves the priority, below -253 FAULT), track_interface, SIGHUP reload keeping
an unchanged instance's state, SIGTERM releasing the VIP with notify STOP, and the daemon
mode (no -n) with its pidfiles."""

import time

import pytest

from lab import Lab, load_topology
from vrrp_support import log_lines, vip_on, wait_log, write_topology

VIP = "10.7.0.100"
VIP_2 = "10.7.0.101"
VI_2 = """vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 62
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.7.0.101
  }
}
"""
NOTIFY = "#!/bin/sh\necho \"$@\" >> /var/tmp/notify.log\n"
MASTER = "#!/bin/sh\necho master >> /var/tmp/master.log\n"
CONF = """global_defs {
  enable_script_security
  script_user root
}
vrrp_track_file tf {
  file /var/tmp/tf
  init_file 0
}
vrrp_track_file tw {
  file /var/tmp/tw
  weight 10
  init_file 0
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 61
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.7.0.100
  }
  track_file {
    tf weight 0
    tw
  }
  track_interface {
    eth1
  }
  virtual_rules {
    from 10.7.9.0/24 table 100
  }
  notify_master /etc/keepalived/master.sh
  notify /etc/keepalived/notify.sh
}
"""
RULE = "from 10.7.9.0/24 lookup 100"


@pytest.fixture(scope="module")
def lab(impl, tandem_bin, tmp_path_factory):
    topo = write_topology(tmp_path_factory.mktemp("vdmn"), "vdmn", [
        {"name": "n1", "address": "10.7.0.11/24",
         "files": {"/etc/keepalived/keepalived.conf": CONF,
                   "/etc/keepalived/notify.sh": (NOTIFY, "0755"),
                   "/etc/keepalived/master.sh": (MASTER, "0755")},
         "services": {"keepalived": "keepalived -n -l -D -f /etc/keepalived/keepalived.conf"}}])
    t = load_topology(topo)
    with Lab(t, impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None,
             start_services=False) as lab:
        # eth1: a second link only for track_interface (a veth pair inside the machine).
        lab.exec("n1", "ip link add eth1 type veth peer name eth1p && ip link set eth1p up && ip link set eth1 up", check=True)
        lab.start("n1", "keepalived")
        yield lab


def notified(lab):
    return lab.read_file("n1", "/var/tmp/notify.log").splitlines()


def test_master_notifies(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=15)
    Lab.wait_for(lambda: "INSTANCE VI_1 MASTER 100" in notified(lab), 5, "notify MASTER")
    assert notified(lab)[0] == "INSTANCE VI_1 BACKUP 100", notified(lab)
    Lab.wait_for(lambda: lab.read_file("n1", "/var/tmp/master.log") == "master\n", 5, "notify_master")
    assert vip_on(lab, "n1", VIP)
    Lab.wait_for(lambda: RULE in lab.exec("n1", "ip rule show").stdout, 5, "the virtual rule")


def test_track_file_nonzero_is_fault(lab):
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "echo 1 > /var/tmp/tf", check=True)
    wait_log(lab, "n1", "(VI_1) Entering FAULT STATE", timeout=5, after=n)
    Lab.wait_for(lambda: not vip_on(lab, "n1", VIP), 5, "the VIP to go")
    Lab.wait_for(lambda: "INSTANCE VI_1 FAULT 100" in notified(lab), 5, "notify FAULT")
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "echo 0 > /var/tmp/tf", check=True)
    wait_log(lab, "n1", "(VI_1) Entering BACKUP STATE", timeout=5, after=n)
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=10, after=n)


def test_weighted_track_file_moves_the_priority_and_faults_below_minus_253(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE")
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "echo 3 > /var/tmp/tw", check=True)
    wait_log(lab, "n1", "(VI_1) Changing effective priority from 100 to 130", timeout=5, after=n)
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "echo -26 > /var/tmp/tw", check=True)    # -260
    wait_log(lab, "n1", "(VI_1) Entering FAULT STATE", timeout=5, after=n)
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "echo 0 > /var/tmp/tw", check=True)
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=10, after=n)


def test_track_interface_down_is_fault(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE")
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "ip link set eth1 down", check=True)
    wait_log(lab, "n1", "(VI_1) Entering FAULT STATE", timeout=5, after=n)
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "ip link set eth1 up", check=True)
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=10, after=n)


def test_sighup_keeps_an_unchanged_instance_master(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE")
    Lab.wait_for(lambda: vip_on(lab, "n1", VIP), 5, "the VIP")
    n = len(log_lines(lab, "n1"))
    lab.exec("n1", "killall -HUP keepalived", check=True)
    time.sleep(3)
    after = log_lines(lab, "n1")[n:]
    assert not any(x.startswith("(VI_1) Entering") for x in after), after
    assert vip_on(lab, "n1", VIP)


def test_sighup_starts_an_added_instance_and_keeps_the_first(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE")
    n = len(log_lines(lab, "n1"))
    added = CONF + VI_2
    lab.exec("n1", "cat > /etc/keepalived/keepalived.conf", input=added, check=True)
    lab.exec("n1", "killall -HUP keepalived", check=True)
    wait_log(lab, "n1", "(VI_2) Entering MASTER STATE", timeout=15, after=n)
    Lab.wait_for(lambda: vip_on(lab, "n1", VIP_2), 5, "the second VIP")
    after = log_lines(lab, "n1")[n:]
    assert not any(x.startswith("(VI_1) Entering") for x in after), after
    assert vip_on(lab, "n1", VIP)


def test_sigterm_releases_and_notifies_stop(lab):
    n = len(log_lines(lab, "n1"))
    lab.stop("n1", "keepalived")
    assert lab.service_status("n1", "keepalived")["status"] == 0
    wait_log(lab, "n1", "(VI_1) sent 0 priority", after=n)
    assert not vip_on(lab, "n1", VIP) and not vip_on(lab, "n1", VIP_2)
    assert RULE not in lab.exec("n1", "ip rule show").stdout
    Lab.wait_for(lambda: "INSTANCE VI_1 STOP 100" in notified(lab), 5, "notify STOP")


def test_daemon_mode_writes_pidfiles_and_stops_on_sigterm(lab):
    r = lab.exec("n1", "keepalived -f /etc/keepalived/keepalived.conf -p /run/k.pid -r /run/v.pid")
    assert r.returncode == 0, r.stderr
    Lab.wait_for(lambda: lab.read_file("n1", "/run/k.pid").strip().isdigit(), 5, "the pidfile")
    Lab.wait_for(lambda: lab.read_file("n1", "/run/v.pid").strip().isdigit(), 5, "the VRRP pidfile")
    assert lab.running("n1", "keepalived")
    Lab.wait_for(lambda: vip_on(lab, "n1", VIP), 15, "the VIP")
    lab.exec("n1", "kill $(cat /run/k.pid)", check=True)
    Lab.wait_for(lambda: not lab.running("n1", "keepalived"), 10, "keepalived to stop")
    assert lab.read_file("n1", "/run/k.pid") == ""
    assert not vip_on(lab, "n1", VIP)
