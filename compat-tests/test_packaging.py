"""`./run install` (scripts/install): what it puts where, that it never overwrites a machine's
/etc files, and that what it installs runs: the init script's start/reload/status/stop (this
sandbox has no systemd, as the posts' `service haproxy start` machines) and the systemd unit's
ExecStart and ExecReload command lines run directly with a notify socket standing in for
systemd. The unit's command line is first run with Debian's haproxy, to show what systemd
gets from HAProxy itself."""

from __future__ import annotations

import http.server
import os
import re
import signal
import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEBIAN_HAPROXY = Path("/usr/sbin/haproxy")


def install(build_dir: Path, destdir: Path, prefix: str = "/usr/local") -> str:
    r = subprocess.run(["bash", str(REPO / "scripts" / "install"), prefix], capture_output=True,
                       text=True, timeout=60, env=dict(os.environ, DESTDIR=str(destdir),
                                                        BUILD=str(build_dir)))
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def unit(path: Path) -> dict[str, list[str]]:
    """A unit file's [Service] settings: key -> values in order."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def test_install_lays_out_debians_files(build_dir, tmp_path):
    dest = tmp_path / "root"
    install(build_dir, dest)
    local = dest / "usr/local"
    assert os.access(local / "bin/tandem", os.X_OK)
    for name in ("haproxy", "keepalived"):
        link = local / "sbin" / name
        assert link.is_symlink() and os.readlink(link) == "../bin/tandem"
    version = subprocess.run([str(local / "sbin/haproxy"), "-v"], capture_output=True, text=True)
    assert version.returncode == 0 and "Tandem" in version.stdout
    ours = unit(local / "lib/systemd/system/haproxy.service")
    debian = unit(Path("/lib/systemd/system/haproxy.service"))
    # Debian's unit, with Tandem's executable and without the master CLI (-S) it does not run.
    assert ours["ExecStart"] == ["/usr/local/sbin/haproxy -Ws -f $CONFIG -p $PIDFILE $EXTRAOPTS"]
    assert debian["ExecStart"] == ["/usr/sbin/haproxy -Ws -f $CONFIG -p $PIDFILE $EXTRAOPTS"]
    assert ours["ExecReload"] == ["/usr/local/sbin/haproxy -Ws -f $CONFIG -c -q $EXTRAOPTS",
                                  "/bin/kill -USR2 $MAINPID"]
    for key in ("Type", "KillMode", "Restart", "SuccessExitStatus", "EnvironmentFile"):
        assert ours[key] == debian[key], key
    k = unit(local / "lib/systemd/system/keepalived.service")
    assert k["ExecStart"] == ["/usr/local/sbin/keepalived --dont-fork $DAEMON_ARGS"]
    assert k["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert k["EnvironmentFile"] == ["-/etc/default/keepalived"]
    for script in ("haproxy", "keepalived"):
        path = dest / "etc/init.d" / script
        assert os.access(path, os.X_OK)
        assert "@SBINDIR@" not in path.read_text()
        assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
    assert "HAPROXY=/usr/local/sbin/haproxy" in (dest / "etc/init.d/haproxy").read_text()
    assert re.search(r"^#EXTRAOPTS=", (dest / "etc/default/haproxy").read_text(), re.M)
    assert 'DAEMON_ARGS=""' in (dest / "etc/default/keepalived").read_text()
    # The default configuration is one both haproxys accept (no listener yet: exit 2).
    cfg = dest / "etc/haproxy/haproxy.cfg"
    for binary in (DEBIAN_HAPROXY, local / "sbin/haproxy"):
        r = subprocess.run([str(binary), "-c", "-f", str(cfg)], capture_output=True, text=True)
        assert r.returncode == 2, (binary, r.stdout, r.stderr)
    assert (dest / "var/lib/haproxy").is_dir()


def test_install_never_overwrites_the_machines_files(build_dir, tmp_path):
    dest = tmp_path / "root"
    mine = {"etc/haproxy/haproxy.cfg": "# my config\n",
            "etc/default/haproxy": "EXTRAOPTS=-q\n",
            "etc/init.d/haproxy": "#!/bin/sh\n# Debian's\n"}
    for rel, text in mine.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)
    out = install(build_dir, dest)
    for rel, text in mine.items():
        assert (dest / rel).read_text() == text, rel
        assert f"{dest}/{rel} exists: kept as it is" in out
    assert "HAPROXY=/usr/local/sbin/haproxy in /etc/default/haproxy" in out
    # Tandem's own init script is updated by a later install (here: another PREFIX, whose
    # units go to /etc/systemd/system, where systemd looks).
    out = install(build_dir, dest, "/opt/tandem")
    assert "DAEMON=/opt/tandem/sbin/keepalived" in (dest / "etc/init.d/keepalived").read_text()
    assert "ExecStart=/opt/tandem/sbin/haproxy -Ws" in \
        (dest / "etc/systemd/system/haproxy.service").read_text()
    # A program that is not Tandem's link is not replaced.
    (dest / "usr/sbin").mkdir(parents=True)
    (dest / "usr/sbin/haproxy").write_text("#!/bin/sh\n")
    out = install(build_dir, dest, "/usr")
    assert (dest / "usr/sbin/haproxy").read_text() == "#!/bin/sh\n"
    assert f"{dest}/usr/sbin/haproxy is another program: kept" in out
    assert os.readlink(dest / "usr/sbin/keepalived") == "../bin/tandem"


# --- Running what was installed -----------------------------------------------------------


class Backend:
    """A one-line HTTP backend on loopback."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"backend\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int) -> int | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return int(data.split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        return None


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def proxy_config(frontend_port: int, backend_port: int) -> str:
    return f"""global
    daemon
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{frontend_port}
    default_backend b
backend b
    server s 127.0.0.1:{backend_port}
"""


@contextmanager
def machine(dest: Path):
    """A private mount namespace where the installed tree is the machine's: DESTDIR's
    /usr/local, /etc/haproxy, /etc/default and an empty /run bind-mounted over the real ones.
    Yields a function running a command in it. Every process left there is killed at the end."""
    holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sleep", "600"])
    ns = f"/proc/{holder.pid}/ns/mnt"
    assert wait_until(lambda: os.readlink(ns) != os.readlink("/proc/self/ns/mnt"), 5)
    (dest / "run").mkdir(exist_ok=True)

    def run(*argv: str, env: dict | None = None, timeout: float = 20) -> subprocess.CompletedProcess:
        return subprocess.run(["nsenter", f"--mount={ns}", "--", *argv], capture_output=True,
                              text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL)

    try:
        for inside in ("/usr/local", "/etc/haproxy", "/etc/default", "/run"):
            r = run("mount", "--bind", str(dest / inside.lstrip("/")), inside)
            assert r.returncode == 0, r.stderr
        yield run
    finally:
        r = run("sh", "-c", "cat /run/haproxy.pid 2>/dev/null")
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        holder.kill()
        holder.wait()


def pids_of(run) -> list[int]:
    r = run("sh", "-c", "cat /run/haproxy.pid 2>/dev/null")
    return [int(p) for p in r.stdout.split()]


def test_init_script_starts_reloads_and_stops_the_proxy(build_dir, tmp_path):
    dest = tmp_path / "root"
    install(build_dir, dest)
    backend = Backend()
    fp = free_port()
    (dest / "etc/haproxy/haproxy.cfg").write_text(proxy_config(fp, backend.port))
    script = str(dest / "etc/init.d/haproxy")
    try:
        with machine(dest) as run:
            r = run(script, "start")
            assert r.returncode == 0, r.stdout + r.stderr
            assert wait_until(lambda: fetch(fp) == 200)
            (first,) = pids_of(run)
            assert Path(f"/proc/{first}/comm").read_text().strip() == "haproxy"
            # The installed executable, seen from inside the namespace.
            assert os.readlink(f"/proc/{first}/exe") == "/usr/local/bin/tandem"
            r = run(script, "status")
            assert r.returncode == 0 and "haproxy is running." in r.stdout
            # start again: refused, the running one stays
            r = run(script, "start")
            assert r.returncode == 1 and "not started" in r.stdout
            r = run(script, "reload")
            assert r.returncode == 0, r.stdout + r.stderr
            assert wait_until(lambda: pids_of(run) and pids_of(run)[0] != first)
            assert wait_until(lambda: not Path(f"/proc/{first}").exists())
            assert fetch(fp) == 200
            r = run(script, "stop")
            assert r.returncode == 0, r.stdout + r.stderr
            assert wait_until(lambda: fetch(fp) is None)
            r = run(script, "status")
            assert r.returncode == 3 and "haproxy not running." in r.stdout
            # ENABLED=0 (the old Debian switch) keeps it from starting.
            (dest / "etc/default/haproxy").write_text("ENABLED=0\n")
            r = run(script, "start")
            assert r.returncode == 0 and "disabled" in r.stdout
            assert fetch(fp) is None
    finally:
        backend.close()


class Notify:
    """systemd's side of sd_notify: a datagram socket collecting what the service says."""

    def __init__(self, path: Path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[str] = []

    def wait_for(self, text: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in m for m in self.messages):
                return True
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except socket.timeout:
                pass
        return any(text in m for m in self.messages)

    def close(self):
        self.sock.close()
        self.path.unlink(missing_ok=True)


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.parametrize("which", ["haproxy", "tandem"])
def test_the_units_command_lines_run_as_systemd_runs_them(which, build_dir, tmp_path):
    """ExecStart with CONFIG and PIDFILE as the unit sets them, NOTIFY_SOCKET as systemd sets
    it: READY=1 once the worker serves; ExecReload (the check, then SIGUSR2 to the main PID):
    RELOADING=1 then READY=1 again with a new worker; SIGTERM (KillMode=mixed stops the main
    process with it) ends it with a status in SuccessExitStatus."""
    dest = tmp_path / "root"
    install(build_dir, dest)
    binary = str(DEBIAN_HAPROXY if which == "haproxy" else dest / "usr/local/sbin/haproxy")
    settings = unit(dest / "usr/local/lib/systemd/system/haproxy.service")
    backend = Backend()
    fp = free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(proxy_config(fp, backend.port))
    pid_file = tmp_path / "haproxy.pid"
    values = {"$CONFIG": str(cfg), "$PIDFILE": str(pid_file), "$EXTRAOPTS": ""}

    def command(line: str) -> list[str]:
        words = [values.get(w, w) for w in line.split()]
        return [binary, *[w for w in words[1:] if w]]

    notify = Notify(tmp_path / "notify")
    log = open(tmp_path / "main.log", "wb")
    main = subprocess.Popen(command(settings["ExecStart"][0]), stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, env=dict(os.environ,
                                                               NOTIFY_SOCKET=str(notify.path)))
    log.close()
    try:
        assert notify.wait_for("READY=1"), (tmp_path / "main.log").read_text()
        assert fetch(fp) == 200
        assert pid_file.read_text().strip() == str(main.pid)
        first = children(main.pid)
        check = subprocess.run(command(settings["ExecReload"][0]), capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        assert settings["ExecReload"][1] == "/bin/kill -USR2 $MAINPID"
        notify.messages.clear()
        # HAProxy's master sometimes loses a signal sent just after it starts or reloads: it
        # gets a moment first (compat-tests/proxy/test_process.py, signal_master).
        time.sleep(0.5)
        os.kill(main.pid, signal.SIGUSR2)
        assert notify.wait_for("RELOADING=1") and notify.wait_for("READY=1"), notify.messages
        assert wait_until(lambda: children(main.pid) and children(main.pid) != first)
        assert fetch(fp) == 200
        time.sleep(0.5)
        main.send_signal(signal.SIGTERM)
        status = main.wait(5)
        # systemd counts an end by SIGTERM as clean, and the unit adds exit status 143.
        clean = settings["SuccessExitStatus"][0].split()
        assert status in (0, -signal.SIGTERM) or str(status) in clean
    finally:
        if main.poll() is None:
            main.kill()
            main.wait()
        for pid in children(main.pid):
            os.kill(pid, signal.SIGKILL)
        notify.close()
        backend.close()
