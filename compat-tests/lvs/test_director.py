"""`tandem keepalived` serving virtual_server in a throw-away network namespace, with small
real servers (Python HTTP and UDP) and clients in it, through the user-space data plane
(TANDEM_LVS_PLANE=user-space, so the figures do not depend on the kernel's nftables): rr
alternates, wlc weighs long-lived connections exactly, persistence keeps a client on its
server, a stopped real server leaves the pool within delay_loop + connect_timeout with
keepalived's log lines (and comes back), quorum loss brings the sorry server in, UDP flows are
balanced, SIGHUP keeps established connections of unchanged services, SIGTERM leaves nothing
behind.

Debian's keepalived 2.2.7 is the oracle where it can be: `keepalived -t` accepts every config
here, and run, it exits FATAL on this kernel ("IPVS: Can't initialize ipvs") — the test that
shows it is what Tandem is for. Its checker log lines are compared in test_lvs_checkers.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from director_support import (ask, get, keepalived_run, name_server, netns, open_client,
                              udp_ask, udp_echo, wait_for)

VIP = "10.77.0.1"
RS = ["10.77.1.1", "10.77.1.2", "10.77.1.3"]
SORRY = "10.77.1.9"
CLIENTS = ["10.77.2.1", "10.77.2.2"]
DEBIAN_KEEPALIVED = "/usr/sbin/keepalived"


@pytest.fixture(scope="module")
def ns():
    n = netns(f"tdm-lvsdir-{os.getpid()}",
              [f"{a}/32" for a in [VIP, *RS, SORRY, *CLIENTS]])
    try:
        yield n
    finally:
        n.close()


@pytest.fixture(scope="module")
def servers(ns):
    s = {name: name_server(ns, addr, 80, name) for name, addr in
         [("rs1", RS[0]), ("rs2", RS[1]), ("rs3", RS[2]), ("sorry", SORRY)]}
    yield s
    for srv in s.values():
        srv.stop()


@pytest.fixture
def run(ns, tandem_bin, tmp_path):
    """Starts Tandem's keepalived on a config text; stops it after the test."""
    started = []

    def start(text: str, env: dict[str, str] | None = None, binary: Path | None = None,
              plane: str | None = "user-space", extra_args: list[str] | None = None):
        conf = tmp_path / f"keepalived{len(started)}.conf"
        conf.write_text(text)
        env = dict(env or {})
        if plane:
            env["TANDEM_LVS_PLANE"] = plane
        k = keepalived_run(ns, binary or tandem_bin / "keepalived", conf, tmp_path, env,
                           extra_args)
        started.append(k)
        return k

    yield start
    for k in started:
        k.stop()


def config(body: str, sched: str = "rr", extra: str = "", servers: str | None = None) -> str:
    if servers is None:
        servers = "".join(f"""
  real_server {a} 80 {{
    weight 1
    TCP_CHECK {{
      connect_timeout 1
    }}
  }}""" for a in RS[:2])
    return f"""virtual_server {VIP} 80 {{
  delay_loop 1
  lb_algo {sched}
  lb_kind NAT
  protocol TCP
  retry 1
  delay_before_retry 1
{extra}{servers}
}}
{body}"""


def serving(k, ns, port=80):
    """Waits until the VIP answers."""
    def up():
        try:
            return get(ns, VIP, port)
        except OSError:
            return None
    return wait_for(up, 10, f"the VIP to answer\n{k.log()}")


def debian_accepts(path: Path) -> None:
    r = subprocess.run([DEBIAN_KEEPALIVED, "-t", "-f", str(path)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def test_debian_keepalived_accepts_but_cannot_run_on_this_kernel(ns, run, tmp_path, servers):
    text = config("")
    (tmp_path / "d.conf").write_text(text)
    debian_accepts(tmp_path / "d.conf")
    k = run(text, binary=Path(DEBIAN_KEEPALIVED))
    assert k.proc.wait(timeout=10) == 1  # measured: the checker child's FATAL ends it all
    k.reader.join(timeout=5)
    assert "IPVS: Can't initialize ipvs" in k.log(), k.log()
    assert "exited with permanent error FATAL" in k.log(), k.log()
    # The same file, Tandem: serves.
    t = run(text)
    assert serving(t, ns) in ("rs1", "rs2")


def test_the_chooser_picks_a_plane_per_service(ns, servers, run):
    # No TANDEM_LVS_PLANE: rr under NAT goes to nftables where the kernel has it; wlc (a
    # connection-count scheduler) goes to user space with a warning at the service's line.
    text = config("", sched="rr") + config("", sched="wlc").replace(f"{VIP} 80", f"{VIP} 81")
    k = run(text, plane=None)
    k.wait_log(f"VS [{VIP}]:tcp:81 served by the user-space data plane")
    assert f"keepalived0.conf: Line 22) VS [{VIP}]:tcp:81: served in user space" in k.log(), k.log()
    k.wait_log(f"VS [{VIP}]:tcp:80 served by the ")
    rr = [get(ns, VIP, 80) for _ in range(4)]
    assert set(rr) == {"rs1", "rs2"}, (rr, k.log())
    wlc = [get(ns, VIP, 81) for _ in range(4)]
    assert set(wlc) <= {"rs1", "rs2"} and wlc, wlc


def test_rr_alternates(ns, servers, run):
    k = run(config(""))
    k.wait_log(f"Activating healthchecker for service [{RS[0]}]:tcp:80 for VS [{VIP}]:tcp:80")
    serving(k, ns)
    names = [get(ns, VIP, 80) for _ in range(6)]
    assert set(names) == {"rs1", "rs2"}, names
    assert all(a != b for a, b in zip(names, names[1:])), names


def test_wlc_weighs_long_lived_connections_exactly(ns, servers, run):
    heavy = "".join(f"""
  real_server {a} 80 {{
    weight {w}
  }}""" for a, w in [(RS[0], 1), (RS[1], 2)])
    k = run(config("", sched="wlc", servers=heavy))
    serving(k, ns)
    held = []
    try:
        counts = {"rs1": 0, "rs2": 0}
        for _ in range(6):
            s = open_client(ns, VIP, 80)
            held.append(s)
            counts[ask(s)] += 1
        # IPVS's wlc: overhead (active * 256 + inactive) / weight, lowest first.
        assert counts == {"rs1": 2, "rs2": 4}, counts
        # One more goes where overhead/weight is lowest: 2/1 vs 4/2 ties, and IPVS keeps the
        # first of the list at a tie; both are fine to IPVS's rule, so only the total moves.
        s = open_client(ns, VIP, 80)
        held.append(s)
        assert ask(s) in ("rs1", "rs2")
    finally:
        for s in held:
            s.close()


def test_persistence_keeps_a_client_on_its_server(ns, servers, run):
    k = run(config("", extra="  persistence_timeout 50\n"))
    serving(k, ns)
    first = [get(ns, VIP, 80, source=c) for c in CLIENTS]
    for _ in range(3):
        assert [get(ns, VIP, 80, source=c) for c in CLIENTS] == first
    # The serving() probe came from another address (the VIP's own): the two clients took
    # the next two turns of rr, so they differ.
    assert first[0] != first[1], first


def test_stopped_real_server_is_removed_and_comes_back(ns, servers, run):
    k = run(config(""))
    serving(k, ns)
    servers["rs2"].stop()
    t0 = time.monotonic()
    try:
        k.wait_log(f"Removing service [{RS[1]}]:tcp:80 from VS [{VIP}]:tcp:80", timeout=8)
        took = time.monotonic() - t0
        # keepalived's bound: delay_loop, then the failed attempt (connect_timeout at most) and
        # `retry` more after delay_before_retry each (retry 0 is refused by keepalived -t).
        assert took < 1 + 1 + (1 + 1) + 1, took
        assert f"TCP_CHECK on service [{RS[1]}]:tcp:80 failed after 1 retries." in k.log()
        assert {get(ns, VIP, 80) for _ in range(4)} == {"rs1"}
    finally:
        servers["rs2"].start()
    k.wait_log(f"Adding service [{RS[1]}]:tcp:80 to VS [{VIP}]:tcp:80", timeout=6)
    assert f"TCP connection to [{RS[1]}]:tcp:80 success." in k.log()
    assert {get(ns, VIP, 80) for _ in range(4)} == {"rs1", "rs2"}


def test_quorum_loss_brings_the_sorry_server(ns, servers, run):
    k = run(config("", extra=f"  quorum 2\n  sorry_server {SORRY} 80\n"))
    serving(k, ns)
    servers["rs1"].stop()
    try:
        k.wait_log(f"Lost quorum 2-0=2 > 1 for VS [{VIP}]:tcp:80", timeout=6)
        k.wait_log(f"Adding sorry server [{SORRY}]:tcp:80 to VS [{VIP}]:tcp:80")
        assert {get(ns, VIP, 80) for _ in range(3)} == {"sorry"}
    finally:
        servers["rs1"].start()
    k.wait_log(f"Gained quorum 2+0=2 <= 2 for VS [{VIP}]:tcp:80", timeout=6)
    k.wait_log(f"Removing sorry server [{SORRY}]:tcp:80 from VS [{VIP}]:tcp:80")
    assert {get(ns, VIP, 80) for _ in range(4)} == {"rs1", "rs2"}


def test_udp_flows_are_balanced(ns, run):
    echoes = [udp_echo(ns, RS[0], 53, "u1"), udp_echo(ns, RS[1], 53, "u2")]
    try:
        k = run(f"""virtual_server {VIP} 53 {{
  lb_algo rr
  lb_kind NAT
  protocol UDP
  real_server {RS[0]} 53 {{
  }}
  real_server {RS[1]} 53 {{
  }}
}}
""")
        def first():
            try:
                return udp_ask(ns, VIP, 53, b"x")
            except OSError:
                return None
        got, s0 = wait_for(first, 10, f"a UDP answer\n{k.log()}")
        a, s1 = udp_ask(ns, VIP, 53, b"a")
        b, s2 = udp_ask(ns, VIP, 53, b"b")
        assert {a.split(":")[0], b.split(":")[0]} == {"u1", "u2"}, (a, b)
        # A flow stays on its server.
        again, _ = udp_ask(ns, VIP, 53, b"c", s1)
        assert again == a.split(":")[0] + ":c"
        for s in (s0, s1, s2):
            s.close()
    finally:
        for e in echoes:
            e.stop()


def test_sighup_keeps_established_connections(ns, servers, run, tmp_path):
    # keepalived+IPVS keeps connections across a reload; Tandem keeps an unchanged service as
    # it was, and lets a rebuilt one's old plane finish its connections.
    text = config("")
    k = run(text)
    serving(k, ns)
    held = open_client(ns, VIP, 80)
    try:
        name = ask(held)
        # The same service (a comment added): kept, with its plane and its connection.
        k.conf.write_text("# reloaded\n" + text)
        k.signal(signal.SIGHUP)
        k.wait_log("Reloading")
        time.sleep(0.3)
        assert ask(held) == name
        assert "Removing Virtual Server" not in k.log()
        # A third real server: the service is rebuilt; new connections reach rs3.
        k.conf.write_text(config("", servers="".join(f"""
  real_server {a} 80 {{
  }}""" for a in RS)))
        k.signal(signal.SIGHUP)
        k.wait_log(f"Removing Virtual Server [{VIP}]:tcp:80")
        wait_for(lambda: "rs3" in {get(ns, VIP, 80) for _ in range(3)}, 5, "rs3 serving")
        # The rebuilt service's old plane drains: the established connection goes on.
        assert ask(held) == name
    finally:
        held.close()


def test_sigterm_leaves_nothing_behind(ns, servers, run, tmp_path):
    k = run(config(""))
    serving(k, ns)
    held = open_client(ns, VIP, 80)
    ask(held)
    assert all(p.exists() for p in (k.pidfiles[0], k.pidfiles[2]))
    assert not k.pidfiles[1].exists()  # no vrrp_instance: no VRRP process
    t0 = time.monotonic()
    assert k.stop() == 0
    assert time.monotonic() - t0 < 3
    assert "Shutting down service" in k.log()
    assert not any(p.exists() for p in k.pidfiles)
    # The established connection was closed, and the VIP's port is free and silent.
    held.settimeout(2)
    try:
        assert held.recv(10) == b""
    except ConnectionResetError:
        pass
    held.close()
    with pytest.raises(ConnectionRefusedError):
        open_client(ns, VIP, 80, timeout=2)
    ss = subprocess.run(["ip", "netns", "exec", ns.name, "ss", "-Hltnu"], capture_output=True,
                        text=True).stdout
    assert f"{VIP}:80 " not in ss.replace("\t", " "), ss


def test_vrrp_only_option_runs_no_checker(ns, servers, tandem_bin, tmp_path):
    # -P: only VRRP; with no vrrp_instance nothing serves the VIP.
    conf = tmp_path / "p.conf"
    conf.write_text(config(""))
    p = ns.popen([str(tandem_bin / "keepalived"), "-n", "-l", "-G", "-P", "-f", str(conf),
                  "-p", str(tmp_path / "p.pid"), "-r", str(tmp_path / "r.pid"),
                  "-c", str(tmp_path / "c.pid")],
                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                 env={**os.environ, "TANDEM_LVS_PLANE": "user-space"})
    try:
        time.sleep(0.5)
        with pytest.raises(ConnectionRefusedError):
            open_client(ns, VIP, 80, timeout=2)
    finally:
        p.send_signal(signal.SIGTERM)
        out = p.communicate(timeout=10)[0]
    assert "Starting Keepalived" in out and ", VRRP)" in out, out
    assert not (tmp_path / "c.pid").exists()


def with_veth(ns):
    """eth0 (10.78.0.1/24, a veth whose peer eth1 is in the namespace too) for a vrrp_instance."""
    ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
    ns.ip("addr", "add", "10.78.0.1/24", "dev", "eth0")
    ns.ip("link", "set", "eth0", "up")
    ns.ip("link", "set", "eth1", "up")


def vrrp_and_vs(vip: str, ha_suspend: bool) -> str:
    servers_text = "".join(f"""
  real_server {a} 80 {{
    TCP_CHECK {{
      connect_timeout 1
    }}
  }}""" for a in RS[:2])
    return f"""vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {{
    {vip}/32 dev lo
  }}
}}
virtual_server {vip} 80 {{
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
{"  ha_suspend" if ha_suspend else ""}
{servers_text}
}}
"""


def test_check_only_option_runs_no_vrrp(ns, servers, run):
    # -C: the checker alone, though the file has a vrrp_instance: the VIP is never added by
    # VRRP, the VS is served on an address that is here.
    with_veth(ns)
    try:
        k = run(vrrp_and_vs(VIP, False).replace("dev lo", "dev eth0"), extra_args=["-C"])
        k.wait_log("Starting Keepalived (Tandem")
        assert serving(k, ns) in ("rs1", "rs2")
        assert ", checker)" in k.log(), k.log()
        # VRRP logs its netlink channels at once when it runs (and the instance soon after).
        time.sleep(0.5)
        assert "Registering Kernel netlink" not in k.log() and "VI_1" not in k.log(), k.log()
    finally:
        subprocess.run(["ip", "-n", ns.name, "link", "del", "eth0"], capture_output=True)


def test_ha_suspend_follows_vrrp_and_the_vip_is_served_when_it_arrives(ns, servers, run):
    # A VRRP instance (on a veth inside the namespace) holds a second VIP, absent at start:
    # the service's checkers start deactivated, the VIP is not served; once the instance is
    # MASTER and has added the VIP, the checkers are activated and the plane (bound with
    # IP_FREEBIND beforehand) serves it.
    vip2 = "10.77.0.2"
    with_veth(ns)
    try:
        k = run(vrrp_and_vs(vip2, True))
        k.wait_log(f"Deactivating healthchecker for service [{RS[0]}]:tcp:80 for VS [{vip2}]:tcp:80")
        assert "Starting Keepalived (Tandem" in k.log() and "VRRP and checker)" in k.log()
        with pytest.raises(OSError):
            open_client(ns, vip2, 80, timeout=1)
        k.wait_log("(VI_1) Entering MASTER STATE", timeout=10)
        k.wait_log(f"Activating healthchecker for service [{RS[0]}]:tcp:80 for VS [{vip2}]:tcp:80")
        assert wait_for(lambda: get(ns, vip2, 80), 5, "the VIP served") in ("rs1", "rs2")
        k.stop()
        assert f"Shutting down service [{RS[0]}]:tcp:80 from VS [{vip2}]:tcp:80" in k.log()
    finally:
        subprocess.run(["ip", "-n", ns.name, "link", "del", "eth0"], capture_output=True)
