"""use_vmac: the master puts its VIP on a macvlan `vrrp.VRID` (private mode, on eth0) with the
VRRP MAC 00:00:5e:00:01:VRID, and a client on the segment reaches the VIP; at stop the
macvlan is removed. Against Debian's keepalived and Tandem."""

import pytest

from lab import Lab, load_topology
from vrrp_support import wait_log, write_topology

VIP = "10.2.0.100"
MAC = "00:00:5e:00:01:33"    # VRID 51
CONF = """vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  use_vmac
  virtual_ipaddress {
    10.2.0.100
  }
}
"""


@pytest.fixture(scope="module")
def lab(impl, tandem_bin, tmp_path_factory):
    topo = write_topology(tmp_path_factory.mktemp("vmac"), "vmac", [
        {"name": "n1", "address": "10.2.0.11/24",
         "files": {"/etc/keepalived/keepalived.conf": CONF},
         "services": {"httpd": "lab-httpd --port 80 --name n1",
                      "keepalived": "keepalived -n -l -D -f /etc/keepalived/keepalived.conf"}},
        {"name": "client", "address": "10.2.0.50/24"}])
    with Lab(load_topology(topo), impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None) as lab:
        yield lab


def test_the_vip_lives_on_the_vmac_and_answers_with_the_vrrp_mac(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=15)
    Lab.wait_for(lambda: f"inet {VIP}/32" in lab.exec("n1", "ip addr show dev vrrp.51").stdout, 5,
                 "the VIP on vrrp.51")
    link = lab.exec("n1", "ip -d link show dev vrrp.51").stdout
    assert f"link/ether {MAC}" in link, link
    assert "macvlan mode private" in link, link
    assert "@eth0" in link, link
    r = lab.exec("client", f"curl -sf --max-time 5 http://{VIP}/")
    assert r.returncode == 0 and "<h1>n1</h1>" in r.stdout, r.stderr
    # Which MAC the client then holds for the VIP is the kernel's choice: measured, with
    # keepalived as with Tandem, the parent's own MAC answers the client's ARP in the lab.


def test_stop_removes_the_vmac(lab):
    lab.stop("n1", "keepalived")
    assert lab.service_status("n1", "keepalived")["status"] == 0
    Lab.wait_for(lambda: lab.exec("n1", "ip link show dev vrrp.51").returncode != 0, 5,
                 "vrrp.51 to go")
