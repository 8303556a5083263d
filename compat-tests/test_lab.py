"""The lab itself: machines are isolated from each other and from the host, reachable
only on their segment, and everything the lab makes is gone after it, also when a
test fails or the run is interrupted."""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import Lab, LabError, TopologyError, list_netns, load_topology, parse_topology

HERE = Path(__file__).resolve().parent
PAIR = HERE / "topologies" / "pair.toml"
SELFTEST_DIR = "/etc/tandem-lab-selftest"


def host_links() -> set[str]:
    out = subprocess.run(["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout
    return {link["ifname"] for link in json.loads(out)}


def sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if os.path.exists(path) else "-"


def lab_processes(name: str) -> list[str]:
    """Live (non-zombie) processes that belong to lab `name` on the host."""
    out = subprocess.run(["ps", "-eo", "pid=,stat=,args="], capture_output=True, text=True).stdout
    return [line for line in out.splitlines()
            if f"tandem-lab/{name}/" in line and " Z" not in line[:12]]


def assert_nothing_left(name: str, links_before: set[str]) -> None:
    assert [n for n in list_netns() if n.startswith(f"tdm-{name}-")] == []
    assert lab_processes(name) == []
    assert host_links() == links_before, "a veth or bridge appeared in the root namespace"
    assert not Path(f"/run/tandem-lab/{name}").exists()
    assert not Path(SELFTEST_DIR).exists(), "a mount point the lab made on the host is still there"


@pytest.fixture
def pair():
    before = host_links()
    cfg = sha("/etc/haproxy/haproxy.cfg")
    lab = Lab(PAIR)
    with lab:
        assert host_links() == before, "the lab must not add links to the root namespace"
        yield lab
    assert_nothing_left("lt", before)
    assert sha("/etc/haproxy/haproxy.cfg") == cfg, "the host's own file was changed"


def test_machines_have_their_own_names_files_and_processes(pair):
    assert pair.exec("alpha", "hostname").stdout.strip() == "alpha"
    assert pair.exec("beta", "hostname").stdout.strip() == "beta"
    assert pair.exec("alpha", "cat /etc/haproxy/haproxy.cfg").stdout == "# alpha's own file\n"
    assert pair.exec("beta", "cat /etc/haproxy/haproxy.cfg").stdout == "# beta's own file\n"
    assert pair.exec("alpha", "cat /etc/tandem-lab-selftest/deep/x.conf").stdout == "made by the lab\n"
    # PID namespaces: the init is PID 1 and killall on one machine sees only its own.
    assert pair.exec("alpha", "cat /proc/1/cmdline").stdout.startswith("/usr/bin/python3")
    assert pair.running("alpha", "lab-httpd")
    assert not pair.running("client", "lab-httpd")
    # Private /run: a pidfile on one machine is not on another.
    pair.exec("alpha", "echo 1 > /run/x.pid", check=True)
    assert pair.exec("beta", "test -e /run/x.pid").returncode != 0
    assert not Path("/run/x.pid").exists()
    # Private /tmp, and the lab's tools reachable however the checkout's path is hidden.
    probe = Path("/tmp/tandem-lab-probe")
    probe.write_text("host")
    try:
        assert pair.exec("alpha", f"test -e {probe}").returncode != 0
    finally:
        probe.unlink()
    assert pair.exec("alpha", "command -v lab-httpd").stdout.strip() == "/run/lab-tools/lab/lab-httpd"
    assert pair.exec("alpha", "sysctl -n net.ipv4.ip_nonlocal_bind").stdout.strip() == "1"
    assert pair.exec("beta", "sysctl -n net.ipv4.ip_nonlocal_bind").stdout.strip() == "0"


def test_init_reaps_orphans_so_killall_stops_answering(pair):
    # The shell exits at once; its background `sleep` is orphaned to the machine's init.
    pair.exec("alpha", "sleep 3 >/dev/null 2>&1 & exit 0", check=True)
    assert pair.running("alpha", "sleep")
    Lab.wait_for(lambda: not pair.running("alpha", "sleep"), 10, "the orphan to be reaped")
    zombies = pair.exec("alpha", "ps -eo stat= | grep -c '^Z'").stdout.strip()
    assert zombies == "0"


def test_segment_connects_machines_and_nothing_else(pair):
    r = pair.exec("client", "curl -sf --max-time 5 http://10.99.0.1/ http://10.99.0.2/")
    assert r.returncode == 0 and "<h1>alpha</h1>" in r.stdout and "<h1>beta</h1>" in r.stdout
    assert "10.99.0.1/24" in pair.addresses("alpha")
    assert "fd00:99::1/64" in pair.addresses("alpha")
    for m in ("alpha", "beta", "client"):
        routes = pair.exec(m, "ip -4 route show default; ip -6 route show default").stdout
        assert routes.strip() == "", f"{m} has a default route: {routes}"
        r = pair.exec(m, "ip route get 192.0.2.1")
        assert (r.returncode, "unreachable" in r.stderr) == (2, True), r


def test_cut_and_restore_a_link(pair):
    url = "http://10.99.0.2/"
    assert pair.exec("client", f"curl -sf --max-time 3 {url}").returncode == 0
    for how in ("carrier", "unplug"):
        pair.cut("beta", how=how)
        assert pair.exec("client", f"curl -sf --max-time 2 {url}").returncode != 0
        carrier = pair.exec("beta", "cat /sys/class/net/eth1/carrier").stdout.strip()
        assert carrier == ("0" if how == "carrier" else "1")
        pair.restore("beta")
        Lab.wait_for(lambda: pair.exec("client", f"curl -sf --max-time 2 {url}").returncode == 0,
                     10, "beta to answer again")


def test_stop_and_start_a_service(pair):
    pair.stop("beta", "lab-httpd")
    assert not pair.running("beta", "lab-httpd")
    assert pair.exec("client", "curl -sf --max-time 2 http://10.99.0.2/").returncode != 0
    pair.start("beta", "httpd")
    Lab.wait_for(lambda: pair.exec("client", "curl -sf --max-time 2 http://10.99.0.2/").returncode == 0,
                 10, "beta's httpd")


def test_failure_inside_the_lab_still_removes_it():
    before = host_links()
    with pytest.raises(RuntimeError):
        with Lab(PAIR):
            raise RuntimeError("a test failed")
    assert_nothing_left("lt", before)


def test_a_service_that_fails_to_start_fails_up_and_is_cleaned():
    before = host_links()
    topo = load_topology(PAIR)
    topo.machine("beta").services[0].command = "sh -c 'echo bad config >&2; exit 3'"
    with pytest.raises(LabError, match="exited with 3"):
        with Lab(topo):
            pass
    assert_nothing_left("lt", before)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_cli_up_is_removed_on_ctrl_c_sigterm_and_hangup(sig, repo):
    before = host_links()
    up = subprocess.Popen([str(repo / "run"), "lab", "up", str(PAIR), "--impl", "debian"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while not any("is up" in line for line in lines):
            assert time.monotonic() < deadline and up.poll() is None, "".join(lines)
            lines.append(up.stdout.readline())
        run = lambda *a: subprocess.run([str(repo / "run"), "lab", *a], capture_output=True, text=True)
        st = run("status")
        assert st.returncode == 0 and "alpha" in st.stdout and "10.99.0.1/24" in st.stdout, st
        r = run("exec", "alpha", "hostname")
        assert (r.returncode, r.stdout) == (0, "alpha\n"), r
        assert run("exec", "lt/beta", "exit 7").returncode == 7
        assert "10.99.0.2/24" in run("addr", "beta").stdout
        assert run("exec", "nosuch", "true").returncode == 1
        up.send_signal(sig)
        out = up.communicate(timeout=30)[0]
        assert up.returncode == 0, out
        assert "lab lt removed" in out
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
            subprocess.run([str(repo / "run"), "lab", "down", "lt"])
    assert_nothing_left("lt", before)


@pytest.mark.parametrize("bad, message", [
    ({"name": "Has-Caps", "machines": []}, "'name' must be"),
    ({"name": "x", "machines": [{"name": "m", "interfaces": [{"name": "eth0", "addresses": ["10.0.0.1"]}]}]},
     "needs a prefix length"),
    ({"name": "x", "machines": [{"name": "m", "interfaces": []}]}, "at least one interface"),
    ({"name": "x", "machines": [{"name": "m", "colour": "red", "interfaces": []}]}, "unknown key"),
    ({"name": "x", "machines": [{"name": "m", "sysctls": {"kernel.panic": 1},
                                 "interfaces": [{"name": "eth0"}]}]}, "only net"),
    ({"name": "x", "machines": [{"name": "m", "interfaces": [{"name": "eth0"}],
                                 "files": [{"path": "etc/x", "content": ""}]}]}, "absolute"),
    ({"name": "x", "machines": [{"name": "m", "interfaces": [{"name": "eth0"}],
                                 "private": ["/var"]}]}, "two levels deep"),
])
def test_topology_errors_are_explained(bad, message):
    with pytest.raises(TopologyError, match=message):
        parse_topology(bad, "t.toml", None)


def test_files_under_private_dirs_are_refused():
    topo = parse_topology({"name": "lt", "machines": [
        {"name": "m", "interfaces": [{"name": "eth0"}],
         "files": [{"path": "/run/x.pid", "content": "1"}]}]}, "t.toml", None)
    with pytest.raises(LabError, match="private and empty"):
        with Lab(topo):
            pass
    assert [n for n in list_netns() if n.startswith("tdm-lt-")] == []


def test_every_blog_topology_is_valid(blog_configs):
    topologies = sorted(blog_configs.glob("*/lab.toml"))
    assert len(topologies) == 5
    names = set()
    for t in topologies:
        topo = load_topology(t)
        names.add(topo.name)
        assert topo.machines
    assert len(names) == 5


def test_a_lab_that_is_up_is_not_taken_over(pair):
    """A second run of the same lab refuses, and its clean-up leaves the first one alone."""
    with pytest.raises(LabError, match="already up"):
        with Lab(PAIR):
            pass
    assert pair.exec("alpha", "hostname").stdout.strip() == "alpha"


def test_a_dead_machine_is_never_entered():
    """Once a machine's init is gone its pid may be a host process's: refuse, never run there."""
    before = host_links()
    with Lab(PAIR) as lab:
        pid = lab.inits["beta"]
        os.kill(pid, signal.SIGKILL)
        Lab.wait_for(lambda: not lab._is_machine_init("beta", pid), 10, "beta's init to die")
        with pytest.raises(LabError, match="is gone"):
            lab.exec("beta", "hostname")
        with pytest.raises(LabError, match="is gone"):
            lab.running("beta", "lab-httpd")
        assert lab.exec("alpha", "hostname").stdout.strip() == "alpha"
    assert_nothing_left("lt", before)


def test_every_service_command_of_the_blog_labs_exists(blog_configs):
    lab_bin = HERE / "lab" / "bin"
    for t in sorted(blog_configs.glob("*/lab.toml")):
        for m in load_topology(t).machines:
            for s in m.services:
                program = s.command.split()[0]
                found = (lab_bin / program).exists() or shutil.which(program, path="/usr/sbin:/usr/bin:/sbin:/bin")
                assert found, f"{t}: machine {m.name}: service {s.name}: no program {program!r}"


def test_lab_smtpd_really_accepts_mail(tmp_path):
    """The SMTP stand-in for the posts' postfix: a message sent to it lands in its spool."""
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    spool = tmp_path / "spool"
    smtpd = subprocess.Popen([str(HERE / "lab" / "bin" / "lab-smtpd"), "--port", str(port),
                              "--bind", "127.0.0.1", "--name", "mx1", "--spool", str(spool)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "lab-smtpd did not listen"
                time.sleep(0.05)
        with conn:
            f = conn.makefile("rwb")
            def say(line):
                f.write(line.encode() + b"\r\n")
                f.flush()
                return f.readline().decode()
            assert f.readline().decode().startswith("220 mx1")
            assert say("HELO client").startswith("250")
            assert say("RCPT TO:<b@example.org>").startswith("503")   # MAIL comes first
            assert say("MAIL FROM:<a@example.org>").startswith("250")
            assert say("RCPT TO:<b@example.org>").startswith("250")
            assert say("DATA").startswith("354")
            assert say("Subject: lab\r\n\r\n..dot-stuffed\r\n.").startswith("250 OK queued")
            assert say("QUIT").startswith("221")
        mails = list(spool.glob("*.eml"))
        assert len(mails) == 1
        text = mails[0].read_bytes().decode()     # bytes: the CRLFs are what was sent
        assert "X-Lab-From: <a@example.org>" in text and "X-Lab-To: <b@example.org>" in text
        assert text.endswith("Subject: lab\r\n\r\n.dot-stuffed\r\n")
    finally:
        smtpd.terminate()
        smtpd.wait(timeout=10)


def test_private_folders_are_each_machines_own():
    """`private = [...]`: a host folder each machine sees empty and its own (seed 002/003's
    `chroot /var/lib/haproxy` and `stats socket /var/lib/haproxy/stats` on two machines)."""
    folder = "/var/lib/haproxy" if os.path.isdir("/var/lib/haproxy") else "/var/cache/apt"
    host = sorted(os.listdir(folder))
    topo = parse_topology({"name": "lt", "machines": [
        {"name": m, "interfaces": [{"name": "eth0", "addresses": [f"10.9.0.{i}/24"]}],
         "private": [folder]} for i, m in ((1, "a"), (2, "b"))]}, "t.toml", None)
    with Lab(topo) as lab:
        assert lab.exec("a", f"ls -A {folder}").stdout == ""
        lab.exec("a", f"echo a > {folder}/mine", check=True)
        assert lab.exec("b", f"ls -A {folder}").stdout == ""
        assert lab.read_file("a", f"{folder}/mine") == "a\n"
    assert sorted(os.listdir(folder)) == host
