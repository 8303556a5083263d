"""Seed 004 ("Layer 4 load balancing two different web servers with two different HAProxy servers
by providing high-availability with Keepalived in vagrant"), run as the post runs it: its
haproxy.cfg and keepalived.conf (PRIORITY 101 on hap1, 100 on hap2) at the post's paths on hap1
and hap2, /etc/default/haproxy and the ip_nonlocal_bind sysctl, two web servers answering with
their host name, and a client at the Vagrant host's address (192.168.56.1). One test per claim
the post makes (examples/blog-configs/004-*/README.md lists them), in the post's order.

The files are valid for Debian's haproxy 2.6 and keepalived 2.2.7 (the keepalived file once the
shell has put the Vagrantfile's PRIORITY in), so every test runs on Debian's pair and on Tandem
(`impl`: both unless --impl or $TANDEM_IMPL name one): the Debian run proves each assertion
is HAProxy's and keepalived's behaviour.

"Bring ... down" in the post's outage tests: a web server down is its Apache stopped (what
`service apache2 stop` does); a HAProxy server down is the box halted (`vagrant halt`: its
services stop, then its link goes), since stopping HAProxy alone is the post's earlier claim."""

import re
import sys
import time
from pathlib import Path

import pytest

from conftest import seed_dir
from lab import Lab, load_topology

sys.path.insert(0, str(Path(__file__).resolve().parent / "vrrp"))
from vrrp_support import log_lines, wait_log  # noqa: E402

VIP = "192.168.56.10"
UNAVAILABLE = ("<html><body><h1>503 Service Unavailable</h1>\n"
               "No server is available to handle this request.\n</body></html>\n")
WEB = {"web1": "192.168.56.21", "web2": "192.168.56.22"}
HAP = {"hap1": "192.168.56.11", "hap2": "192.168.56.12"}


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


def fetch(lab, path="/", auth=None, via=VIP):
    """One request from the client to the VIP (or a box's own address): (status, body)."""
    user = f"-u {auth} " if auth else ""
    r = lab.exec("client", f"curl -s --max-time 15 {user}-o - -w '\\n%{{http_code}}' "
                           f"'http://{via}{path}'")
    body, _, code = r.stdout.rpartition("\n")
    return int(code or 0), body


def served_by(body):
    m = re.search(r"<h1>(web\d)</h1>", body)
    return m.group(1) if m else None


def both_in_rotation(lab, via=VIP):
    # Until both servers have passed their health checks, one of them may be out; each box's
    # HAProxy checks on its own, so a box about to take over is asked through its address.
    Lab.wait_for(lambda: {served_by(fetch(lab, via=via)[1]) for _ in range(4)} == set(WEB), 30,
                 f"both web servers in rotation at {via}")


def web_servers(lab, up):
    """Puts each web server's Apache in the state the test needs, whatever ran before it: the
    ones to bring up are started and back in rotation (past HAProxy's `rise`) before any other
    goes down, so no request meets a moment with no server."""
    for name in WEB:
        if name in up and not lab.running(name, "lab-httpd"):
            lab.start(name, "httpd")
    if up:
        Lab.wait_for(lambda: set(up) <= {served_by(fetch(lab)[1]) for _ in range(4)}, 30,
                     f"{', '.join(sorted(up))} in rotation")
    for name in WEB:
        if name not in up and lab.running(name, "lab-httpd"):
            lab.stop(name, "lab-httpd")


def halt(lab, box):
    """`vagrant halt BOX`: its services stop (keepalived says goodbye), then its link goes."""
    lab.stop(box, "keepalived")
    lab.stop(box, "haproxy")
    lab.cut(box)


def boot(lab, box):
    lab.restore(box)
    for service in ("haproxy", "keepalived"):
        if not lab.running(box, service):
            lab.start(box, service)


def test_config_checks_with_the_posts_command(lab):
    """haproxy.sh: `haproxy -f /etc/haproxy/haproxy.cfg -c` ("Validating HAProxy
    configuration") passes on the post's file."""
    r = lab.exec("hap1", "haproxy -f /etc/haproxy/haproxy.cfg -c")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Configuration file is valid" in r.stdout + r.stderr


def test_vip_is_on_hap1_the_master(lab):
    """"the virtual IP has been assigned to hap1 which is master. Just pay attention to inet
    192.168.56.10/32 scope global eth1. As you can see, it doesn't appear in hap2 because it
    is backup." (`sudo ip addr sh eth1` on each)."""
    wait_vip(lab, "hap1", "hap2")
    shown = lab.exec("hap1", "ip addr sh eth1").stdout
    assert f"inet {VIP}/32 scope global eth1" in shown
    assert "inet 192.168.56.11/24 brd 192.168.56.255 scope global eth1" in shown
    assert VIP not in lab.exec("hap2", "ip addr sh eth1").stdout


def test_stopping_haproxy_on_hap1_moves_the_vip_to_hap2(lab):
    """"If you stop HAProxy server on hap1, Keepalived will assign virtual IP to hap2 so as a
    result inet 192.168.56.10/32 scope global eth1 will appear in hap2 because it is master
    now. If you use sudo cat /var/log/syslog on both servers, you'll see master and backup
    state changes." The post's hap1 lines (keepalived 1.2) are `VRRP_Script(chk_haproxy)
    failed`, `Received higher prio advert`, `Entering BACKUP STATE`; hap2's `Entering MASTER
    STATE`. keepalived 2.2.7 words them as below (the same events)."""
    wait_vip(lab, "hap1", "hap2")
    n1, n2 = len(log_lines(lab, "hap1")), len(log_lines(lab, "hap2"))
    lab.stop("hap1", "haproxy")
    assert not lab.running("hap1", "haproxy")
    wait_vip(lab, "hap2", "hap1")
    assert f"inet {VIP}/32 scope global eth1" in lab.exec("hap2", "ip addr sh eth1").stdout
    failed = wait_log(lab, "hap1", "VRRP_Script(chk_haproxy) failed (exited with status 1)",
                      after=n1)
    higher = wait_log(lab, "hap1", "(VI_1) Master received advert from 192.168.56.12 with "
                                   "higher priority 102, ours 101", after=n1)
    backup = wait_log(lab, "hap1", "(VI_1) Entering BACKUP STATE", after=n1)
    assert failed < higher < backup
    wait_log(lab, "hap2", "(VI_1) Entering MASTER STATE", after=n2)
    # The backup now carries the traffic, still balanced.
    Lab.wait_for(lambda: fetch(lab)[0] == 200, 20, "hap2 to answer on the VIP")
    names = [served_by(fetch(lab)[1]) for _ in range(4)]
    assert set(names) == {"web1", "web2"}, names


def test_haproxy_back_on_hap1_takes_the_vip_back_and_hap2_may_go(lab):
    """The post's hap2 log goes on "forcing a new MASTER election" when hap1 is whole again:
    hap1 (101+2) takes the VIP back; HAProxy stopped on hap2 then changes nothing."""
    lab.start("hap1", "haproxy")
    wait_vip(lab, "hap1", "hap2")
    lab.stop("hap2", "haproxy")
    assert vip_on(lab, "hap1") and not vip_on(lab, "hap2")
    assert fetch(lab)[0] == 200
    lab.start("hap2", "haproxy")


def test_web_servers_answer_with_their_name(lab):
    """"http://192.168.56.21/ ... Response: web1 / Hi sir, I am going to serve you today!"
    (and web2 at .22): "Response to request below will alway be the same.\""""
    for name, addr in WEB.items():
        for _ in range(2):
            r = lab.exec("client", f"curl -sf --max-time 5 http://{addr}/")
            assert served_by(r.stdout) == name
            assert "<p>Hi sir, I am going to serve you today!</p>" in r.stdout


def test_requests_to_the_vip_alternate_between_the_web_servers(lab):
    """"Response will always change because request is evenly shared between web servers":
    web1, web2, web1 for http://192.168.56.10/."""
    wait_vip(lab, "hap1", "hap2")
    both_in_rotation(lab)
    names = [served_by(fetch(lab)[1]) for _ in range(6)]
    assert set(names) == {"web1", "web2"}, names
    assert all(a != b for a, b in zip(names, names[1:])), f"not alternating: {names}"


def test_web1_down_web2_serves(lab):
    """System outage tests: "Bring only web server 1 down. HAProxy will divert traffic to web2
    so system will still be up and running.\""""
    web_servers(lab, up={"web2"})
    results = [fetch(lab) for _ in range(6)]
    assert [code for code, _ in results] == [200] * 6, results
    assert {served_by(body) for _, body in results} == {"web2"}


def test_web2_down_web1_serves(lab):
    """"Bring only web server 2 down. HAProxy will divert traffic to web1 so system will still
    be up and running.\""""
    web_servers(lab, up={"web1"})
    results = [fetch(lab) for _ in range(6)]
    assert [code for code, _ in results] == [200] * 6, results
    assert {served_by(body) for _, body in results} == {"web1"}


def test_both_web_servers_down_the_client_gets_haproxys_503(lab):
    """"Bring both web server 1 and 2 down. System will go down ... HAProxy will present error
    message below to clients: 503 Service Unavailable / No server is available to handle this
    request.\""""
    web_servers(lab, up=set())
    code, body = fetch(lab)
    assert code == 503
    assert body == UNAVAILABLE
    r = lab.exec("client", f"curl -si --max-time 5 http://{VIP}/")
    assert r.stdout.startswith("HTTP/1.1 503 Service Unavailable\n")   # CRLF read as text


def test_hap1_down_hap2_takes_the_vip_and_serves(lab):
    """"Bring only haproxy 1 down. Keepalived will assign virtual IP to hap2 and traffic will be
    handled by it so system will still be up and running.\""""
    web_servers(lab, up=set(WEB))
    wait_vip(lab, "hap1", "hap2")
    both_in_rotation(lab)
    both_in_rotation(lab, via=HAP["hap2"])
    halt(lab, "hap1")
    wait_vip(lab, "hap2", "hap1", timeout=15)
    Lab.wait_for(lambda: fetch(lab)[0] == 200, 15, "hap2 to answer on the VIP")
    names = [served_by(fetch(lab)[1]) for _ in range(4)]
    assert set(names) == {"web1", "web2"}, names


def test_hap2_down_hap1_takes_the_vip_and_serves(lab):
    """"Bring only haproxy 2 down. Keepalived will assign virtual IP to hap1 and traffic will be
    handled by it so system will still be up and running.\""""
    boot(lab, "hap1")
    wait_vip(lab, "hap1", "hap2")      # 101+2 preempts 100+2 once hap1 is back
    both_in_rotation(lab, via=HAP["hap1"])
    halt(lab, "hap2")
    assert vip_on(lab, "hap1")
    Lab.wait_for(lambda: fetch(lab)[0] == 200, 15, "hap1 to answer on the VIP")
    names = [served_by(fetch(lab)[1]) for _ in range(4)]
    assert set(names) == {"web1", "web2"}, names


def test_both_haproxy_servers_down_the_system_is_down(lab):
    """"Bring both haproxy 1 and 2 down. System will go down because we only have two load
    balancer servers." Nobody holds the VIP, so nothing answers the client at all: its
    connection attempt times out (or, once its ARP entry has failed, finds no route) — not
    even a refusal."""
    halt(lab, "hap1")
    assert not vip_on(lab, "hap1") and not vip_on(lab, "hap2")
    r = lab.exec("client", f"curl -sS --connect-timeout 3 --max-time 5 -o /dev/null "
                           f"-w '%{{http_code}}' http://{VIP}/")
    assert r.stdout == "000", r.stdout
    assert r.returncode in (7, 28), (r.returncode, r.stderr)
    assert "Connection refused" not in r.stderr
    assert re.search(r"Timeout was reached|No route to host", r.stderr), r.stderr
    # And it comes back when the boxes do.
    boot(lab, "hap1")
    boot(lab, "hap2")
    wait_vip(lab, "hap1", "hap2")
    Lab.wait_for(lambda: fetch(lab)[0] == 200, 15, "the VIP to answer again")


def test_stats_page_on_the_vip_with_admin_admin(lab):
    """"Load balancer GUI will be accessible from the host machine to see the health and stats
    about the web servers": `stats uri /haproxy?stats`, `stats auth admin:admin` in backend
    webservers, reached through the frontend on :80."""
    wait_vip(lab, "hap1", "hap2")
    code, _ = fetch(lab, "/haproxy?stats")
    assert code == 401
    r = lab.exec("client", f"curl -s -i --max-time 5 'http://{VIP}/haproxy?stats'")
    assert re.search(r'^www-authenticate: Basic realm="HAProxy Statistics"$', r.stdout,
                     re.M | re.I), r.stdout
    code, page = fetch(lab, "/haproxy?stats", auth="admin:admin")
    assert code == 200
    for name in ("http-in", "webservers", "web1", "web2"):
        assert name in page
    code, csv = fetch(lab, "/haproxy?stats;csv", auth="admin:admin")
    assert code == 200
    rows = {(f[0], f[1]): f for f in (line.split(",") for line in csv.splitlines()[1:]) if len(f) > 17}
    assert rows[("webservers", "web1")][17] == "UP" and rows[("webservers", "web2")][17] == "UP"


CHECK = re.compile(r'^(?:::ffff:)?(192\.168\.56\.1[12]) "OPTIONS / HTTP/1\.0" 200 ')


def test_web_server_logs_show_haproxys_checks_and_the_client_in_x_forwarded_for(lab):
    """Webserver logs: `192.168.56.11 ... "OPTIONS / HTTP/1.0" 200` and the same from .12,
    about every 2 seconds (HAProxy's `option httpchk`; the post thinks it is keepalived
    "pinging"), and with the X-Forwarded-For LogFormat a request through the VIP is logged
    with the client, `192.168.56.1 ... "GET / HTTP/1.1" 200`."""
    wait_vip(lab, "hap1", "hap2")
    read = len(lab.log("web1", "httpd").splitlines())
    seen: dict[str, list[float]] = {"192.168.56.11": [], "192.168.56.12": []}

    def checks():
        nonlocal read
        lines = lab.log("web1", "httpd").splitlines()
        for line in lines[read:]:
            m = CHECK.match(line)
            if m:
                seen[m.group(1)].append(time.monotonic())
        read = len(lines)
        return all(len(v) >= 2 for v in seen.values())
    Lab.wait_for(checks, 10, "two checks from each HAProxy box in web1's log", interval=0.05)
    for box, times in seen.items():
        gap = times[1] - times[0]
        assert 1.0 < gap < 3.5, f"checks from {box} {gap:.1f}s apart"
    before = len(lab.log("web1", "httpd").splitlines())
    for _ in range(2):
        assert fetch(lab)[0] == 200
    new = lab.log("web1", "httpd").splitlines()[before:]
    gets = [line for line in new if '"GET / HTTP/1.1" 200' in line]
    assert gets and all(line.endswith(" X-Forwarded-For=192.168.56.1") for line in gets), new
    assert all(re.match(r"(?:::ffff:)?192\.168\.56\.1[12] ", line) for line in gets), gets
