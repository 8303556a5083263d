"""Seed 000 ("Squeeze: proxy1/proxy2 share 11.22.33.44 via keepalived") on the wire: the post's
proxy1/proxy2 keepalived.conf, VERBATIM (no-break spaces and all), on two machines with the
post's haproxy, a client on the segment. proxy1 is elected and holds the VIP; cutting its link
moves the VIP to proxy2 (the client still reaches it); restoring the link takes it back
(preemption); killing haproxy on proxy1 fails chk_haproxy (`killall -0 haproxy`) and moves the
VIP to proxy2; SIGTERM releases it (priority-0 advert).

--impl tandem runs the post's lab.toml as it is: Tandem's keepalived and haproxy, the post's
files byte for byte. --impl debian proves keepalived 2.2.7's behaviour on the same scenario:
Debian's keepalived rejects the post's no-break spaces and Debian's haproxy the post's
haproxy.cfg, so there the spaces are made plain, a stand-in process is named haproxy and
lab-httpd answers on the VIP. The same log lines are asserted for both."""

import pytest

from conftest import seed_dir
from lab import Lab, load_topology
from vrrp_support import (FAKE_HAPROXY, KEEPALIVED, NBSP, http_ok, log_lines, stats, vip_on,
                          wait_log, wait_reachable, wait_vip, write_topology)

VIP = "11.22.33.44"


@pytest.fixture(scope="module")
def lab(impl, blog_configs, tandem_bin, tmp_path_factory):
    seed = seed_dir(blog_configs, "000")
    if impl == "tandem":
        topo = load_topology(seed / "lab.toml")
        for m in ("proxy1", "proxy2"):   # the files really are the post's, spaces and all
            conf = topo.machine(m).files[0]
            assert conf.path == "/etc/keepalived/keepalived.conf"
            assert NBSP.encode() in conf.content
    else:
        machines = []
        for i, m in enumerate(("proxy1", "proxy2")):
            conf = (seed / f"{m}.keepalived.conf").read_text().replace(NBSP, " ")
            machines.append({
                "name": m, "address": f"11.22.33.4{2 + i}/27",
                "sysctls": {"net.ipv4.ip_nonlocal_bind": "1"},
                "files": {"/etc/keepalived/keepalived.conf": conf},
                "services": {"haproxy": FAKE_HAPROXY,
                             "httpd": f"lab-httpd --port 80 --name {m}",
                             "keepalived": KEEPALIVED}})
        machines.append({"name": "client", "address": "11.22.33.50/27"})
        topo = load_topology(write_topology(tmp_path_factory.mktemp("v000"), "v000", machines))
    with Lab(topo, impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None) as lab:
        yield lab


def test_proxy1_is_elected_and_holds_the_vip(lab):
    wait_vip(lab, "proxy1", "proxy2", VIP, timeout=20)
    for m in ("proxy1", "proxy2"):
        wait_log(lab, m, "(VI_1) Entering BACKUP STATE (init)")
        wait_log(lab, m, "VRRP_Script(chk_haproxy) succeeded")
    wait_log(lab, "proxy1", "(VI_1) Changing effective priority from 101 to 103")
    wait_log(lab, "proxy2", "(VI_1) Changing effective priority from 100 to 102")
    # state MASTER without priority 255: BACKUP first, MASTER after the master-down interval.
    wait_log(lab, "proxy1", "(VI_1) Receive advertisement timeout")
    wait_log(lab, "proxy1", "(VI_1) Entering MASTER STATE")
    wait_log(lab, "proxy1", "(VI_1) setting VIPs.")
    wait_log(lab, "proxy1", "(VI_1) Sending/queueing gratuitous ARPs on eth0 for 11.22.33.44")
    assert "(VI_1) Entering MASTER STATE" not in log_lines(lab, "proxy2")
    assert f"inet {VIP}/32 scope global eth0" in lab.exec("proxy1", "ip addr show eth0").stdout
    wait_reachable(lab, "client", VIP)


def test_cutting_proxy1s_link_moves_the_vip_to_proxy2(lab):
    wait_vip(lab, "proxy1", "proxy2", VIP)
    n2 = len(log_lines(lab, "proxy2"))
    lab.cut("proxy1")
    wait_vip(lab, "proxy2", "proxy1", VIP, timeout=15)
    wait_log(lab, "proxy1", "Netlink reports eth0 down")
    i = wait_log(lab, "proxy1", "(VI_1) Entering FAULT STATE")
    assert log_lines(lab, "proxy1")[i + 1:i + 3] == ["(VI_1) sent 0 priority", "(VI_1) removing VIPs."]
    wait_log(lab, "proxy2", "(VI_1) Entering MASTER STATE", after=n2)
    body = wait_reachable(lab, "client", VIP, timeout=15)
    if lab.impl == "debian":
        assert "<h1>proxy2</h1>" in body


def test_restoring_the_link_gives_the_vip_back_to_proxy1(lab):
    n1, n2 = len(log_lines(lab, "proxy1")), len(log_lines(lab, "proxy2"))
    lab.restore("proxy1")
    wait_vip(lab, "proxy1", "proxy2", VIP, timeout=20)
    wait_log(lab, "proxy1", "Netlink reports eth0 up", after=n1)
    wait_log(lab, "proxy1", "(VI_1) Entering BACKUP STATE", after=n1)
    wait_log(lab, "proxy1", "(VI_1) received lower priority (102) advert from 11.22.33.43 - discarding",
             after=n1)
    wait_log(lab, "proxy1", "(VI_1) Entering MASTER STATE", after=n1)
    wait_log(lab, "proxy2", "(VI_1) Master received advert from 11.22.33.42 with higher priority 103, ours 102",
             after=n2)
    wait_log(lab, "proxy2", "(VI_1) Entering BACKUP STATE", after=n2)
    body = wait_reachable(lab, "client", VIP, timeout=15)
    if lab.impl == "debian":
        Lab.wait_for(lambda: "<h1>proxy1</h1>" in (http_ok(lab, "client", VIP) or ""), 10,
                     "the client to reach proxy1 again")
    assert body


def test_haproxy_dying_on_proxy1_moves_the_vip_to_proxy2(lab):
    wait_vip(lab, "proxy1", "proxy2", VIP)
    n1, n2 = len(log_lines(lab, "proxy1")), len(log_lines(lab, "proxy2"))
    lab.stop("proxy1", "haproxy")
    wait_vip(lab, "proxy2", "proxy1", VIP, timeout=20)
    wait_log(lab, "proxy1", "Script `chk_haproxy` now returning 1", after=n1)
    wait_log(lab, "proxy1", "VRRP_Script(chk_haproxy) failed (exited with status 1)", after=n1)
    wait_log(lab, "proxy1", "(VI_1) Changing effective priority from 103 to 101", after=n1)
    wait_log(lab, "proxy1", "(VI_1) Master received advert from 11.22.33.43 with higher priority 102, ours 101",
             after=n1)
    wait_log(lab, "proxy2", "(VI_1) Entering MASTER STATE", after=n2)
    wait_reachable(lab, "client", VIP, timeout=15)


def test_stats_count_adverts_and_transitions(lab):
    s = stats(lab, "proxy1")["VI_1"]
    assert s["Became master"] == 2 and s["Released master"] == 2, s
    assert s["Advertisements/Received"] > 0 and s["Advertisements/Sent"] > 0, s
    assert s["Priority Zero/Sent"] == 1, s       # entering FAULT when the link was cut
    for k in ("Packet Errors/Length", "Packet Errors/TTL", "Authentication Errors/Failure"):
        assert s[k] == 0, (k, s)


def test_sigterm_on_the_master_releases_the_vip(lab):
    wait_vip(lab, "proxy2", "proxy1", VIP)
    n1, n2 = len(log_lines(lab, "proxy1")), len(log_lines(lab, "proxy2"))
    lab.stop("proxy2", "keepalived")
    assert lab.service_status("proxy2", "keepalived")["status"] == 0
    wait_log(lab, "proxy2", "Stopping", after=n2)
    wait_log(lab, "proxy2", "(VI_1) sent 0 priority", after=n2)
    wait_log(lab, "proxy2", "(VI_1) removing VIPs.", after=n2)
    wait_log(lab, "proxy1", "(VI_1) Backup received priority 0 advertisement", after=n1)
    wait_vip(lab, "proxy1", "proxy2", VIP, timeout=10)
    assert not vip_on(lab, "proxy2", VIP)
