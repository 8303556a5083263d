"""keepalived's own samples with virtual_server (../shared/corpus/keepalived/acassen__keepalived__*),
run verbatim by `tandem keepalived` in a throw-away network namespace against small real
servers, with the user-space plane and with the plane the chooser picks.

Address mapping: none is rewritten. The namespace is the mapping: every address a sample names
(its VIPs, real servers, sorry server) is put on the namespace's `lo` (and `eth0` is a veth
inside it, with 10.99.0.1/24, where a vrrp_instance asks for one), so the sample's own addresses are served there
and nothing leaves the namespace (it has no route out). Per sample, what the small servers
answer and what keepalived would decide with them:

- samples_quorum.conf: alpha mode, wrr, persistence 900, quorum 7 + hysteresis 2 over ten
  servers (TCP_CHECK on port 80, traffic on 8080). Nine run: the quorum is gained at nine
  ("Gained quorum 7+2=9 <= 9"), the tenth stays down, and a client sticks to one server.
- samples_sample.conf: a vrrp_instance on eth0 and a VS with a sorry server; the real server's
  HTTP_GET wants an MD5 digest that our server's page does not have, so after keepalived's
  retries it is removed, the quorum is lost and the sorry server serves.
- samples_virtual_server_group.conf: a group of addresses, a range and two fwmarks; the
  address entries are served (fwmark entries need a mark nobody sets here). Under the
  user-space plane the fwmark entries are refused at the service's line (user space cannot
  see marks), so that run checks the refusal instead.
- samples_UDP_CHECK.conf and samples_PING_CHECK.conf: UDP services whose real server answers
  (UDP echo; ICMP to an address on lo): served.
- samples_IPv6.conf: an IPv6 VS ([ae00::1]:80) over a real server's SMTP port, checked by
  SMTP_CHECK with its helo_name: a client on the VIP reads the real server's greeting.
- samples_misc_check.conf: MISC_CHECK's /usr/local/bin/script.sh does not exist here; a script
  that cannot start is no server failure (keepalived's rule), so the server serves.

Every sample is first accepted by Debian's `keepalived -t`."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from director_support import (get, greeting, keepalived_run, name_server, netns,
                              smtp_server_v6, udp_ask, udp_echo, wait_for)

DEBIAN_KEEPALIVED = "/usr/sbin/keepalived"
PREFIX = "acassen__keepalived__"
PLANES = ["user-space", "auto"]


@pytest.fixture
def corpus(shared) -> Path:
    d = Path(shared) / "corpus" / "keepalived"
    if not d.is_dir():
        pytest.skip(f"no corpus at {d}")
    return d


@pytest.fixture
def sample(corpus, tandem_bin, tmp_path, request):
    """start(name, addresses, plane, veth=False) -> (ns, env, conf), then
    run(ns, env, conf, *servers) -> keepalived_run; all stopped and removed at the end."""
    made = []

    def start(name: str, addresses: list[str], plane: str, veth: bool = False):
        conf = corpus / f"{PREFIX}{name}"
        r = subprocess.run([DEBIAN_KEEPALIVED, "-t", "-f", str(conf)], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        ns = netns(f"tdm-lvssmp-{os.getpid()}", addresses)
        made.append(ns)
        if veth:
            ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
            ns.ip("addr", "add", "10.99.0.1/24", "dev", "eth0")  # VRRP needs an IPv4 address
            ns.ip("link", "set", "eth0", "up")
            ns.ip("link", "set", "eth1", "up")
        env = {} if plane == "auto" else {"TANDEM_LVS_PLANE": plane}
        return ns, env, conf

    def run(ns, env, conf, *servers):
        """Starts keepalived; `servers` (already serving) are stopped with it."""
        made.extend(servers)
        k = keepalived_run(ns, tandem_bin / "keepalived", conf, tmp_path, env)
        made.append(k)
        return k

    yield start, run
    for x in reversed(made):
        if isinstance(x, netns):
            x.close()
        else:
            x.stop()


def served(ns, k, vip, port, timeout=10.0):
    def once():
        try:
            return get(ns, vip, port)
        except OSError:
            return None
    try:
        return wait_for(once, timeout, f"{vip}:{port} to answer")
    except AssertionError as e:
        raise AssertionError(f"{e}\n{k.log()}") from None


@pytest.mark.parametrize("plane", PLANES)
def test_quorum_sample(sample, plane):
    start, run = sample
    rs = [f"10.0.0.{i}" for i in range(1, 11)]
    ns, env, conf = start("samples_quorum.conf", ["10.0.1.1/32"] + [f"{a}/32" for a in rs], plane)
    k = run(ns, env, conf, *[name_server(ns, a, p, a) for a in rs[:9] for p in (80, 8080)])
    # alpha: every server starts down and joins on its first good check (warmup <= 6 s).
    k.wait_log("Gained quorum 7+2=9 <= 9 for VS [10.0.1.1]:tcp:80", timeout=15)
    first = served(ns, k, "10.0.1.1", 80)
    assert first in rs[:9]
    # persistence_timeout 900: the client stays on its server.
    assert {get(ns, "10.0.1.1", 80) for _ in range(4)} == {first}
    assert "Adding service [10.0.0.10]:tcp:8080" not in k.log()


@pytest.mark.parametrize("plane", PLANES)
def test_sample_sorry_server_after_digest_failure(sample, plane):
    start, run = sample
    ns, env, conf = start("samples_sample.conf",
                          ["10.10.10.2/32", "192.168.200.2/32", "192.168.200.200/32"], plane,
                          veth=True)
    k = run(ns, env, conf, name_server(ns, "192.168.200.2", 1358, "rs"),
            name_server(ns, "192.168.200.200", 1358, "sorry"))
    assert served(ns, k, "10.10.10.2", 1358) == "rs"
    # HTTP_GET: the page's digest is not 640205b7…; 1 + retry 3 attempts,
    # delay_before_retry 3, the first within delay_loop 6.
    k.wait_log("Removing service [192.168.200.2]:tcp:1358 from VS [10.10.10.2]:tcp:1358",
               timeout=25)
    k.wait_log("Adding sorry server [192.168.200.200]:tcp:1358 to VS [10.10.10.2]:tcp:1358")
    # keepalived logs before it changes IPVS, and so does Tandem before its nftables
    # transaction (an `nft -f` of some milliseconds): the next connection is the sorry
    # server's once that is in, the client's persistence entry to the removed server gone.
    wait_for(lambda: get(ns, "10.10.10.2", 1358) == "sorry", 3, "the sorry server to answer")
    k.wait_log("(VI_1) Entering MASTER STATE", timeout=10)


@pytest.mark.parametrize("plane", PLANES)
def test_virtual_server_group_sample(sample, plane):
    start, run = sample
    vips = ["10.0.0.1", "10.0.0.2", "192.168.200.1"] + [f"192.168.200.{i}" for i in range(3, 11)]
    ns, env, conf = start("samples_virtual_server_group.conf",
                          [f"{a}/32" for a in vips + ["192.168.200.2"]], plane)
    k = run(ns, env, conf, name_server(ns, "192.168.200.1", 1358, "rs1"),
            name_server(ns, "192.168.200.2", 1358, "rs2"))
    if plane == "user-space":
        # fwmark 1 and 2 are entries of the group: user space cannot serve them (checked
        # before any address is bound: the sample also names 192.168.200.1:1358 as both a
        # VIP entry and a real server, which our real server holds).
        assert k.proc.wait(timeout=10) == 1
        k.reader.join(timeout=5)
        assert "fwmark 1: the user-space plane listens on addresses" in k.log(), k.log()
        return
    k.wait_log("VS [VSG_1]:0 served by the ")
    names = {served(ns, k, a, p) for a, p in
             [("10.0.0.1", 8080), ("10.0.0.2", 80), ("192.168.200.1", 1358),
              ("192.168.200.3", 80), ("192.168.200.10", 80)]}
    assert names <= {"rs1", "rs2"} and names, names


@pytest.mark.parametrize("plane", PLANES)
@pytest.mark.parametrize("name", ["samples_UDP_CHECK.conf", "samples_PING_CHECK.conf"])
def test_udp_samples(sample, plane, name):
    start, run = sample
    ns, env, conf = start(name, ["10.10.10.2/32", "192.168.200.6/32"], plane)
    k = run(ns, env, conf, udp_echo(ns, "192.168.200.6", 1358, "rs"))

    def once():
        try:
            return udp_ask(ns, "10.10.10.2", 1358, b"hello")
        except OSError:
            return None
    got, sock = wait_for(once, 10, "a UDP answer")
    sock.close()
    assert got == "rs:hello"
    assert "Removing service" not in k.log()


@pytest.mark.parametrize("plane", PLANES)
def test_misc_check_sample(sample, plane):
    start, run = sample
    ns, env, conf = start("samples_misc_check.conf", ["10.10.10.2/32", "192.168.200.6/32"], plane)
    k = run(ns, env, conf, name_server(ns, "192.168.200.6", 1358, "rs"))
    assert served(ns, k, "10.10.10.2", 1358) == "rs"
    time.sleep(1)
    assert "Removing service" not in k.log()


@pytest.mark.parametrize("plane", PLANES)
def test_ipv6_smtp_sample(sample, plane):
    start, run = sample
    ns, env, conf = start("samples_IPv6.conf", [], plane)
    for a in ("ae00::1/128", "ae00::10/128"):
        ns.ip("-6", "addr", "add", a, "dev", "lo", "nodad")
    k = run(ns, env, conf, smtp_server_v6(ns, "ae00::10", 25, "rs6"))

    def once():
        try:
            return greeting(ns, "ae00::1", 80)
        except OSError:
            return None
    assert wait_for(once, 10, "the IPv6 VIP to answer") == "220 rs6 ESMTP", k.log()
    time.sleep(1)
    assert "Removing service" not in k.log()
