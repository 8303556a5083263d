"""Seed 004 ("Layer 4 load balancing two different web servers with two different
HAProxy servers ... with Keepalived"), run as the post runs it: its haproxy.cfg and
keepalived.conf (PRIORITY 101 on hap1, 100 on hap2) at the post's paths on hap1 and
hap2, two web servers answering with their host name, and a client at the Vagrant
host's address. Each test checks one claim the post makes, in the post's order.
`--impl debian` runs Debian's haproxy and keepalived, `--impl tandem` runs Tandem."""

import re

import pytest

from conftest import seed_dir
from lab import Lab, load_topology

VIP = "192.168.56.10"
UNAVAILABLE = ("<html><body><h1>503 Service Unavailable</h1>\n"
               "No server is available to handle this request.\n</body></html>\n")


@pytest.fixture(scope="module")
def lab(impl, blog_configs, tandem_bin):
    topo = load_topology(seed_dir(blog_configs, "004") / "lab.toml")
    with Lab(topo, impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None) as lab:
        yield lab


def vip_on(lab, machine):
    return lab.has_address(machine, VIP, "eth1")


def wait_vip(lab, owner, other, timeout=30):
    Lab.wait_for(lambda: vip_on(lab, owner) and not vip_on(lab, other), timeout,
                 f"the VIP {VIP} on {owner} only")


def fetch(lab, path="/"):
    """One request from the client to the VIP: (status, body)."""
    r = lab.exec("client", f"curl -s --max-time 15 -o - -w '\\n%{{http_code}}' http://{VIP}{path}")
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def served_by(body):
    m = re.search(r"<h1>(web\d)</h1>", body)
    return m.group(1) if m else None


def test_config_checks_with_the_posts_command(lab):
    r = lab.exec("hap1", "haproxy -f /etc/haproxy/haproxy.cfg -c")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Configuration file is valid" in r.stdout + r.stderr


def test_vip_is_on_hap1_the_master(lab):
    wait_vip(lab, "hap1", "hap2")
    shown = lab.exec("hap1", "ip addr sh eth1").stdout
    assert f"inet {VIP}/32 scope global eth1" in shown
    assert "inet 192.168.56.11/24 brd 192.168.56.255 scope global eth1" in shown
    assert VIP not in lab.exec("hap2", "ip addr sh eth1").stdout


def test_web_servers_answer_with_their_name(lab):
    for name, addr in (("web1", "192.168.56.21"), ("web2", "192.168.56.22")):
        r = lab.exec("client", f"curl -sf --max-time 5 http://{addr}/")
        assert served_by(r.stdout) == name


def test_requests_to_the_vip_alternate_between_the_web_servers(lab):
    wait_vip(lab, "hap1", "hap2")
    # Until both servers have passed their health checks, one of them may be out.
    Lab.wait_for(lambda: {served_by(fetch(lab)[1]) for _ in range(4)} == {"web1", "web2"}, 30,
                 "both web servers to be in rotation")
    names = [served_by(fetch(lab)[1]) for _ in range(6)]
    assert set(names) == {"web1", "web2"}, names
    assert all(a != b for a, b in zip(names, names[1:])), f"not alternating: {names}"


def test_stopping_haproxy_on_hap1_moves_the_vip_to_hap2(lab):
    wait_vip(lab, "hap1", "hap2")
    lab.stop("hap1", "haproxy")
    assert not lab.running("hap1", "haproxy")
    wait_vip(lab, "hap2", "hap1")
    # The backup now carries the traffic, still balanced.
    Lab.wait_for(lambda: fetch(lab)[0] == 200, 20, "hap2 to answer on the VIP")
    names = [served_by(fetch(lab)[1]) for _ in range(4)]
    assert set(names) == {"web1", "web2"}, names


def test_haproxy_back_on_hap1_takes_the_vip_back_and_hap2_may_go(lab):
    lab.start("hap1", "haproxy")
    wait_vip(lab, "hap1", "hap2")
    lab.stop("hap2", "haproxy")
    assert vip_on(lab, "hap1") and not vip_on(lab, "hap2")
    assert fetch(lab)[0] == 200
    lab.start("hap2", "haproxy")


def web_servers(lab, up):
    """Puts each web server in the state the test needs, whatever ran before it."""
    for name in ("web1", "web2"):
        running = lab.running(name, "lab-httpd")
        if name in up and not running:
            lab.start(name, "httpd")
        elif name not in up and running:
            lab.stop(name, "lab-httpd")


def test_one_web_server_down_the_other_serves(lab):
    web_servers(lab, up={"web2"})
    results = [fetch(lab) for _ in range(6)]
    assert [code for code, _ in results] == [200] * 6, results
    assert {served_by(body) for _, body in results} == {"web2"}


def test_both_web_servers_down_the_client_gets_haproxys_503(lab):
    web_servers(lab, up=set())
    code, body = fetch(lab)
    assert code == 503
    assert body == UNAVAILABLE
    r = lab.exec("client", f"curl -si --max-time 5 http://{VIP}/")
    assert r.stdout.startswith("HTTP/1.1 503 Service Unavailable\n")   # CRLF read as text
