"""The proxy process's life as HAProxy 2.6 runs it in the foreground (-db): SIGUSR1 is a soft
stop (listeners close at once, requests in flight finish, then the process exits 0), SIGTERM
a hard one, and a listener that cannot be bound stops the start with an alert. Then the rest of
a process's life as operators use it (issue 6): user/group/chroot and the file-descriptor limit
applied once bound, SIGTTOU/SIGTTIN, hard-stop-after, -sf/-st reloads that take the listening
sockets over, master-worker (-W) with its SIGUSR2 reload, daemons and their PID files."""

from __future__ import annotations

import grp
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from proxy_support import (Client, _listening_inodes, _socket_inodes, config, get,
                           wait_until)


def front(proxy, http_server, port):
    s = http_server("app")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            server app {s.addr}
    """))
    return fp, s


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # queued as the listener closed: not refused yet
        return False
    return False


def test_soft_stop_finishes_the_request_in_flight_then_exits(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    results = []
    t = threading.Thread(target=lambda: results.append(get(fp, "/delay/500").status))
    t.start()
    try:
        assert wait_until(lambda: s.active == 1)
        proxy.process_.send_signal(signal.SIGUSR1)
        # The listener closes at once: new connections are refused while the request runs.
        assert wait_until(lambda: refused(fp))
        assert proxy.running
    finally:
        t.join(3)
    assert results == [200]
    assert proxy.process_.wait(3) == 0


def test_soft_stop_with_nothing_in_flight_exits_at_once(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    assert get(fp).status == 200
    t0 = time.monotonic()
    proxy.process_.send_signal(signal.SIGUSR1)
    proxy.process_.wait(3)
    assert time.monotonic() - t0 < 1.5


def test_soft_stop_says_each_proxy_stopped(proxy, http_server, port):
    """HAProxy's "Proxy X stopped (cumulated conns: FE: n, BE: m)." for every proxy: those with
    listeners first, then the backends, then its internal HTTP client."""
    web = http_server("web")
    f1, f2 = port(), port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{f1}
            default_backend be
        backend be
            server s {web.addr}
        listen both
            bind 127.0.0.1:{f2}
            server s {web.addr}
    """))
    get(f1)
    get(f2)
    get(f2)
    proxy.process_.send_signal(signal.SIGUSR1)
    proxy.process_.wait(3)
    lines = [ln.split(" : ", 1)[1] for ln in proxy.stderr.splitlines() if "stopped" in ln]
    assert lines == ["Proxy fe stopped (cumulated conns: FE: 1, BE: 0).",
                     "Proxy both stopped (cumulated conns: FE: 2, BE: 2).",
                     "Proxy be stopped (cumulated conns: FE: 0, BE: 1).",
                     "Proxy <HTTPCLIENT> stopped (cumulated conns: FE: 0, BE: 0)."]


def test_hard_stop_ends_requests_in_flight(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    outcome = []

    def slow():
        try:
            outcome.append(get(fp, "/delay/2000").status)
        except Exception as e:  # the connection is cut: that is the point
            outcome.append(type(e).__name__)

    t = threading.Thread(target=slow)
    t.start()
    assert wait_until(lambda: s.active == 1)
    t0 = time.monotonic()
    proxy.process_.send_signal(signal.SIGTERM)
    proxy.process_.wait(3)
    assert time.monotonic() - t0 < 1.5
    t.join(3)
    assert outcome and outcome[0] != 200


def test_a_port_already_taken_stops_the_start(proxy, http_server, tmp_path):
    s = http_server("app")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    busy = taken.getsockname()[1]
    cfg = tmp_path / "busy.cfg"
    cfg.write_text(config(f"""
        frontend fe
            bind 127.0.0.1:{busy}
            default_backend b
        backend b
            server app {s.addr}
    """))
    try:
        r = subprocess.run([str(proxy.binary_), "-db", "-f", str(cfg)], capture_output=True,
                           text=True, timeout=10, stdin=subprocess.DEVNULL)
    finally:
        taken.close()
    assert r.returncode == 1
    line = next(n for n, text in enumerate(cfg.read_text().splitlines(), 1) if "bind " in text)
    assert (f"[ALERT]    ({r.stderr.split('(')[1].split(')')[0]}) : Binding [{cfg}:{line}] for "
            f"frontend fe: cannot bind socket (Address already in use) for "
            f"[127.0.0.1:{busy}]") in r.stderr, r.stderr
    assert "Some protocols failed to start their listeners! Exiting." in r.stderr


def test_soft_stop_closes_idle_keep_alive_connections(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    with Client(fp) as c:
        assert c.request().response().status == 200
        # The connection now waits for its next request; a soft stop ends it and the process.
        t0 = time.monotonic()
        proxy.process_.send_signal(signal.SIGUSR1)
        assert c.closed(2)
        assert proxy.process_.wait(3) == 0
        assert time.monotonic() - t0 < 2


# --- Process life beyond one foreground process (issue 6): privileges, limits, pause,
# reloads, master-worker, daemon. Each test proves HAProxy 2.6's behaviour first.



@contextmanager
def processes():
    """Processes a test starts beyond the fixture's (reloads, masters, daemons): every PID
    registered here that is still alive at the end gets SIGTERM, then SIGKILL."""
    started: list = []  # Popen objects and bare PIDs (daemons)
    try:
        yield started
    finally:
        for p in reversed(started):
            pid = p if isinstance(p, int) else p.pid
            if isinstance(p, int):
                alive = Path(f"/proc/{pid}").exists()
            else:
                alive = p.poll() is None
            if not alive:
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                if not isinstance(p, int) and p.poll() is not None:
                    break
                time.sleep(0.02)
            else:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if not isinstance(p, int):
                try:
                    p.wait(2)
                except subprocess.TimeoutExpired:
                    pass


def launch(proxy, argv: list[str], log: Path, **kw) -> subprocess.Popen:
    out = open(log, "wb")
    try:
        return subprocess.Popen([str(proxy.binary_), *argv], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, cwd=proxy.workdir_, **kw)
    finally:
        out.close()


def owned_listeners(pid: int, port: int) -> set[str]:
    return _listening_inodes(port) & _socket_inodes(pid)


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def comm(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def simple(server, fp: int, global_: str = "") -> str:
    return config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            server app {server.addr}
    """, global_=global_)


def test_user_group_and_chroot_apply_once_listening(proxy, http_server, port, tmp_path):
    """`user`/`group` by name and `chroot DIR`: the process binds as root, then lives in DIR
    as that user; the port it bound before still serves."""
    root = tmp_path / "jail"
    root.mkdir()
    s = http_server("app")
    fp = port()
    proxy.start(simple(s, fp, global_=f"user nobody\ngroup nogroup\nchroot {root}"))
    status = Path(f"/proc/{proxy.process_.pid}/status").read_text()
    ids = {k: v.split() for k, v in re.findall(r"^(Uid|Gid|Groups):[ \t]*(.*)$", status, re.M)}
    assert ids["Uid"] == [str(pwd.getpwnam("nobody").pw_uid)] * 4
    assert ids["Gid"] == [str(grp.getgrnam("nogroup").gr_gid)] * 4
    assert ids.get("Groups", []) == []
    assert os.readlink(f"/proc/{proxy.process_.pid}/root") == str(root)
    assert get(fp).status == 200


def test_numeric_uid_and_gid(proxy, http_server, port, tmp_path):
    s = http_server("app")
    fp = port()
    proxy.start(simple(s, fp, global_="uid 65534\ngid 65533"))
    status = Path(f"/proc/{proxy.process_.pid}/status").read_text()
    assert re.search(r"^Uid:\s+65534\s+65534\s+65534\s+65534$", status, re.M), status
    assert re.search(r"^Gid:\s+65533\s+65533\s+65533\s+65533$", status, re.M), status
    assert get(fp).status == 200


@pytest.mark.parametrize("mode", ["-c", "-db"])
@pytest.mark.parametrize("keyword", ["user", "group"])
def test_an_unknown_user_or_group_is_an_error_at_its_line(keyword, mode, proxy, http_server, port,
                                                          tmp_path):
    """Resolved while parsing, as HAProxy does: `haproxy -c` fails too."""
    s = http_server("app")
    cfg = tmp_path / "user.cfg"
    cfg.write_text(simple(s, port(), global_=f"{keyword} no-such-name-here"))
    line = next(n for n, text in enumerate(cfg.read_text().splitlines(), 1)
                if "no-such-name-here" in text)
    r = subprocess.run([str(proxy.binary_), mode, "-f", str(cfg)], capture_output=True,
                       text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert re.search(rf"^\[ALERT\]    \(\d+\) : config : parsing \[{re.escape(str(cfg))}:{line}\] : "
                     rf"cannot find {keyword} id for 'no-such-name-here' \(0:Success\)$",
                     r.stderr, re.M), r.stderr
    assert "Fatal errors found in configuration." in r.stderr


def test_a_missing_chroot_stops_the_start(proxy, http_server, port, tmp_path):
    s = http_server("app")
    cfg = tmp_path / "chroot.cfg"
    missing = tmp_path / "no-such-dir"
    cfg.write_text(simple(s, port(), global_=f"chroot {missing}"))
    r = subprocess.run([str(proxy.binary_), "-db", "-f", str(cfg)], capture_output=True,
                       text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert f"Cannot chroot({missing})." in r.stderr, r.stderr


def soft_limit(pid: int) -> int:
    text = Path(f"/proc/{pid}/limits").read_text()
    return int(re.search(r"^Max open files\s+(\d+)", text, re.M).group(1))


def low_fd_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))


@pytest.mark.parametrize("setting", ["maxconn 1000\nulimit-n 4000", "maxconn 3000"])
def test_the_fd_limit_is_raised_for_what_the_config_needs(setting, proxy, http_server, port,
                                                          tmp_path):
    """Started with a soft limit of 1024: `ulimit-n N` raises it to N; without it, maxconn
    asks for two descriptors per connection and a few more."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 7000:
        pytest.skip(f"the hard limit ({hard}) leaves no room above 1024")
    s = http_server("app")
    fp = port()
    cfg = tmp_path / "limits.cfg"
    cfg.write_text(simple(s, fp, global_=setting))
    with processes() as started:
        p = launch(proxy, ["-db", "-f", str(cfg)], tmp_path / "limits.log",
                   preexec_fn=low_fd_limit)
        started.append(p)
        assert wait_until(lambda: owned_listeners(p.pid, fp), timeout=5), \
            (tmp_path / "limits.log").read_text()
        got = soft_limit(p.pid)
    if "ulimit-n" in setting:
        assert got == 4000
    else:
        assert 6000 < got < 6100, got


def test_a_limit_above_the_hard_limit_stops_the_start(proxy, http_server, port, tmp_path):
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or os.geteuid() == 0 and _can_raise_hard_limit():
        pytest.skip("this process may raise its hard limit: nothing to refuse")
    s = http_server("app")
    cfg = tmp_path / "limits.cfg"
    cfg.write_text(simple(s, port(), global_=f"ulimit-n {hard + 10000}"))
    r = subprocess.run([str(proxy.binary_), "-db", "-f", str(cfg)], capture_output=True,
                       text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert f"Cannot raise FD limit to {hard + 10000}, limit is {hard}." in r.stderr, r.stderr


def _can_raise_hard_limit() -> bool:
    r = subprocess.run([sys.executable, "-c", "import resource as r; s, h = r.getrlimit("
                        "r.RLIMIT_NOFILE); r.setrlimit(r.RLIMIT_NOFILE, (h + 1, h + 1))"],
                       capture_output=True)
    return r.returncode == 0


def test_sigttou_pauses_the_listeners_and_sigttin_resumes_them(proxy, http_server, port):
    """SIGTTOU: the listener leaves the kernel's table (connections refused) but keeps its
    port (another process cannot bind it); SIGTTIN listens again."""
    fp, s = front(proxy, http_server, port)
    proxy.process_.send_signal(signal.SIGTTOU)
    proxy.wait_stderr(r"^\[WARNING\]  \(\d+\) : Paused frontend fe\.$")
    assert wait_until(lambda: refused(fp))
    other = socket.socket()
    try:
        with pytest.raises(OSError):
            other.bind(("127.0.0.1", fp))
    finally:
        other.close()
    proxy.process_.send_signal(signal.SIGTTIN)
    proxy.wait_stderr(r"^\[WARNING\]  \(\d+\) : Resumed frontend fe\.$")
    assert wait_until(lambda: not refused(fp))
    assert get(fp).status == 200
    assert proxy.running


def test_hard_stop_after_cuts_what_the_soft_stop_has_not_finished(proxy, http_server, port):
    s = http_server("app")
    fp = port()
    proxy.start(simple(s, fp, global_="hard-stop-after 500ms"))
    outcome = []

    def slow():
        try:
            outcome.append(get(fp, "/delay/4000").status)
        except Exception as e:
            outcome.append(type(e).__name__)

    t = threading.Thread(target=slow)
    t.start()
    assert wait_until(lambda: s.active == 1)
    t0 = time.monotonic()
    proxy.process_.send_signal(signal.SIGUSR1)
    assert proxy.process_.wait(3) == 0
    took = time.monotonic() - t0
    t.join(6)
    assert 0.4 < took < 1.5, took
    assert outcome and outcome[0] != 200  # HAProxy answers 502, Tandem closes the connection
    proxy.wait_stderr(r"soft-stop running for too long, performing a hard-stop\.")


def test_sigterm_ends_the_process_by_that_signal(proxy, http_server, port):
    fp, s = front(proxy, http_server, port)
    proxy.process_.send_signal(signal.SIGTERM)
    assert proxy.process_.wait(3) == -signal.SIGTERM


def reload_argv(proxy, cfg: Path, sock: Path | None, flag: str, pid: int) -> list[str]:
    """HAProxy takes the old sockets only with -x and a stats socket exposing them; Tandem's
    old process offers them on its own, so `-sf PID` alone is enough."""
    argv = ["-db", "-f", str(cfg)]
    if proxy.impl == "haproxy":
        argv += ["-x", str(sock)]
    return argv + [flag, str(pid)]


def reload_config(proxy, server, fp: int, sock: Path) -> str:
    stats = (f"stats socket {sock} level admin expose-fd listeners"
             if proxy.impl == "haproxy" else "")
    return simple(server, fp, global_=stats)


def test_sf_reload_takes_over_the_listening_socket(proxy, http_server, port, tmp_path):
    """-sf: the new process serves on the old process's very socket (same inode), the old
    one finishes the request in flight, then exits 0."""
    s = http_server("app")
    fp = port()
    sock = tmp_path / "stats.sock"
    proxy.start(reload_config(proxy, s, fp, sock))
    old = proxy.process_
    before = owned_listeners(old.pid, fp)
    assert before
    results = []
    t = threading.Thread(target=lambda: results.append(get(fp, "/delay/700").status))
    t.start()
    with processes() as started:
        try:
            assert wait_until(lambda: s.active == 1)
            new = launch(proxy, reload_argv(proxy, proxy.config_path_, sock, "-sf", old.pid),
                         tmp_path / "new.log")
            started.append(new)
            assert wait_until(lambda: owned_listeners(new.pid, fp), timeout=5), \
                (tmp_path / "new.log").read_text()
            assert before <= owned_listeners(new.pid, fp)
            assert old.wait(5) == 0
        finally:
            t.join(5)
        assert results == [200]
        assert get(fp).status == 200
        assert new.poll() is None


def test_st_reload_terminates_the_old_process(proxy, http_server, port, tmp_path):
    s = http_server("app")
    fp = port()
    sock = tmp_path / "stats.sock"
    proxy.start(reload_config(proxy, s, fp, sock))
    old = proxy.process_
    outcome = []

    def slow():
        try:
            outcome.append(get(fp, "/delay/3000").status)
        except Exception as e:
            outcome.append(type(e).__name__)

    t = threading.Thread(target=slow)
    t.start()
    with processes() as started:
        try:
            assert wait_until(lambda: s.active == 1)
            new = launch(proxy, reload_argv(proxy, proxy.config_path_, sock, "-st", old.pid),
                         tmp_path / "new.log")
            started.append(new)
            assert old.wait(5) == -signal.SIGTERM
        finally:
            t.join(5)
        assert outcome and outcome[0] != 200
        assert wait_until(lambda: owned_listeners(new.pid, fp), timeout=5)
        assert get(fp).status == 200


def test_a_reload_binds_a_new_listener_and_closes_a_removed_one(proxy, http_server, port,
                                                               tmp_path):
    s = http_server("app")
    kept, removed, added = port(), port(), port()
    sock = tmp_path / "stats.sock"
    stats = (f"stats socket {sock} level admin expose-fd listeners"
             if proxy.impl == "haproxy" else "")
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{kept}
            bind 127.0.0.1:{removed}
            default_backend b
        backend b
            server app {s.addr}
    """, global_=stats))
    old = proxy.process_
    before = owned_listeners(old.pid, kept)
    cfg = tmp_path / "second.cfg"
    cfg.write_text(config(f"""
        frontend fe
            bind 127.0.0.1:{kept}
            bind 127.0.0.1:{added}
            default_backend b
        backend b
            server app {s.addr}
    """, global_=stats))
    with processes() as started:
        new = launch(proxy, reload_argv(proxy, cfg, sock, "-sf", old.pid), tmp_path / "new.log")
        started.append(new)
        assert wait_until(lambda: owned_listeners(new.pid, added), timeout=5), \
            (tmp_path / "new.log").read_text()
        assert old.wait(5) == 0
        assert before <= owned_listeners(new.pid, kept)
        assert get(kept).status == 200 and get(added).status == 200
        assert wait_until(lambda: refused(removed))


def signal_master(proxy, master, number: int) -> None:
    """A signal sent to HAProxy 2.6's master just after it starts or reloads (it re-executes
    itself to reload) is sometimes lost (SIGUSR2) or ends it (SIGTERM): measured once in a few
    dozen runs. It gets a moment first; Tandem's master blocks its signals before starting a
    worker, so it gets none."""
    if proxy.impl == "haproxy":
        time.sleep(0.5)
    master.send_signal(number)


def test_master_worker_reloads_on_sigusr2(proxy, http_server, port, tmp_path):
    """-W: a master (the PID file's PID) and one worker, both named haproxy; SIGUSR2 starts a
    new worker that takes the listening socket over, the old one exits; SIGTERM to the master
    ends both, the master with status 0."""
    s = http_server("app")
    fp = port()
    cfg = tmp_path / "mw.cfg"
    cfg.write_text(simple(s, fp))
    pid_file = tmp_path / "haproxy.pid"
    log = tmp_path / "mw.log"
    with processes() as started:
        master = launch(proxy, ["-W", "-db", "-f", str(cfg), "-p", str(pid_file)], log)
        started.append(master)
        assert wait_until(lambda: len(children(master.pid)) == 1 and
                          owned_listeners(children(master.pid)[0], fp), timeout=5), log.read_text()
        first = children(master.pid)[0]
        started.append(first)
        assert pid_file.read_text().strip() == str(master.pid)
        assert comm(master.pid) == "haproxy" and comm(first) == "haproxy"
        before = owned_listeners(first, fp)
        assert get(fp).status == 200
        signal_master(proxy, master, signal.SIGUSR2)
        newer = lambda: [c for c in children(master.pid) if c != first]  # noqa: E731
        assert wait_until(newer, timeout=5), log.read_text()
        second = newer()[0]
        started.append(second)
        assert wait_until(lambda: gone(first), timeout=5), log.read_text()
        assert comm(second) == "haproxy"
        assert wait_until(lambda: owned_listeners(second, fp), timeout=5)
        assert before <= owned_listeners(second, fp)
        assert get(fp).status == 200
        signal_master(proxy, master, signal.SIGTERM)
        assert master.wait(5) == 0
    text = log.read_text()
    for line in (rf"\[NOTICE\]   \({master.pid}\) : New worker \({first}\) forked",
                 rf"\[NOTICE\]   \({master.pid}\) : Loading success\.",
                 rf"\[NOTICE\]   \({master.pid}\) : Reloading HAProxy",
                 rf"\[NOTICE\]   \({master.pid}\) : New worker \({second}\) forked",
                 rf"\[WARNING\]  \({master.pid}\) : Former worker \({first}\) exited with code 0 "
                 r"\(Exit\)",
                 rf"\[WARNING\]  \({master.pid}\) : Exiting Master process\.\.\.",
                 rf"\[WARNING\]  \({master.pid}\) : All workers exited\. Exiting\.\.\. \(0\)"):
        assert re.search(line, text), (line, text)


def test_master_exits_with_its_worker(proxy, http_server, port, tmp_path):
    """The worker killed from outside: the master reports it and exits (status 0 after
    SIGTERM, HAProxy's "normal" end)."""
    s = http_server("app")
    fp = port()
    cfg = tmp_path / "mw.cfg"
    cfg.write_text(simple(s, fp))
    log = tmp_path / "mw.log"
    with processes() as started:
        master = launch(proxy, ["-W", "-db", "-f", str(cfg)], log)
        started.append(master)
        assert wait_until(lambda: len(children(master.pid)) == 1 and
                          owned_listeners(children(master.pid)[0], fp), timeout=5), log.read_text()
        worker = children(master.pid)[0]
        os.kill(worker, signal.SIGTERM)
        assert master.wait(5) == 0
    assert re.search(rf"Current worker \({worker}\) exited with code 143 \(Terminated\)",
                     log.read_text()), log.read_text()


def test_daemon_writes_its_pid_file(proxy, http_server, port, tmp_path):
    """-D -p FILE: the command returns 0 at once; the PID in FILE is the daemon, which
    serves, has left the terminal's session and is named haproxy."""
    s = http_server("app")
    fp = port()
    cfg = tmp_path / "d.cfg"
    cfg.write_text(simple(s, fp))
    pid_file = tmp_path / "d.pid"
    with processes() as started:
        r = subprocess.run([str(proxy.binary_), "-D", "-f", str(cfg), "-p", str(pid_file)],
                           capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr
        assert wait_until(lambda: pid_file.exists() and pid_file.read_text().strip())
        pid = int(pid_file.read_text())
        started.append(pid)
        assert wait_until(lambda: owned_listeners(pid, fp), timeout=5)
        assert comm(pid) == "haproxy"
        # HAProxy's parent writes the file; the child may not have called setsid() yet.
        assert wait_until(lambda: os.getsid(pid) == pid)
        assert get(fp).status == 200
        os.kill(pid, signal.SIGUSR1)
        assert wait_until(lambda: not Path(f"/proc/{pid}").exists(), timeout=5)


def test_master_worker_daemon(proxy, http_server, port, tmp_path):
    """-W -D -p FILE: FILE holds the master, a daemon whose worker serves."""
    s = http_server("app")
    fp = port()
    cfg = tmp_path / "mwd.cfg"
    cfg.write_text(simple(s, fp))
    pid_file = tmp_path / "mwd.pid"
    with processes() as started:
        r = subprocess.run([str(proxy.binary_), "-W", "-D", "-f", str(cfg), "-p", str(pid_file)],
                           capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        assert r.returncode == 0, r.stderr
        assert wait_until(lambda: pid_file.exists() and pid_file.read_text().strip())
        master = int(pid_file.read_text())
        started.append(master)
        assert wait_until(lambda: len(children(master)) == 1, timeout=5)
        worker = children(master)[0]
        started.append(worker)
        assert wait_until(lambda: owned_listeners(worker, fp), timeout=5)
        assert comm(master) == "haproxy" and comm(worker) == "haproxy"
        assert get(fp).status == 200
        if proxy.impl == "haproxy":
            time.sleep(0.5)  # see signal_master
        os.kill(master, signal.SIGTERM)
        assert wait_until(lambda: not Path(f"/proc/{master}").exists(), timeout=5)
        assert wait_until(lambda: not Path(f"/proc/{worker}").exists(), timeout=5)


def test_reloads_under_load_lose_nothing(proxy, http_server, port, tmp_path):
    """wrk on 20 connections for 5 s while the proxy is reloaded 3 times with -sf: zero
    socket errors, zero non-2xx (bench/bench_reload.py runs the long version beside HAProxy,
    which closes idle keep-alive connections at once on a soft stop and loses requests)."""
    if proxy.impl == "haproxy":
        pytest.skip("HAProxy 2.6 loses the requests of keep-alive connections closed by a "
                    "soft stop (bench/README.md: read errors at each reload, with -x too)")
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed")
    s = http_server("app")
    fp = port()
    proxy.start(simple(s, fp))
    with processes() as started:
        client = subprocess.Popen(["wrk", "-t2", "-c20", "-d5s", f"http://127.0.0.1:{fp}/"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started.append(client)
        current = proxy.process_
        for n in range(3):
            time.sleep(1.2)
            new = launch(proxy, ["-db", "-f", str(proxy.config_path_), "-sf", str(current.pid)],
                         tmp_path / f"reload{n}.log")
            started.append(new)
            assert wait_until(lambda: owned_listeners(new.pid, fp), timeout=5)
            assert current.wait(5) == 0
            current = new
        out, _ = client.communicate(timeout=30)
    m = re.search(r"(\d+) requests in", out)
    assert m and int(m.group(1)) > 100, out
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out


@pytest.mark.parametrize("how", ["-dW", "zero-warning"])
def test_zero_warning_stops_a_start_with_warnings(how, proxy, http_server, port, tmp_path):
    """A frontend without timeouts is a warning; -dW (or global `zero-warning`) makes it
    fatal."""
    s = http_server("app")
    cfg = tmp_path / "zw.cfg"
    head = "global\n    zero-warning\n" if how == "zero-warning" else ""
    cfg.write_text(f"{head}defaults\n    mode http\nfrontend fe\n    bind 127.0.0.1:{port()}\n"
                   f"    default_backend b\nbackend b\n    server app {s.addr}\n")
    argv = [str(proxy.binary_), "-db", "-f", str(cfg)] + (["-dW"] if how == "-dW" else [])
    r = subprocess.run(argv, capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert re.search(r"^\[ALERT\]    \(\d+\) : config : Some warnings were found and "
                     r"'zero-warning' is set\. Aborting\.$", r.stderr, re.M), r.stderr


def test_sighup_dumps_the_servers_states_and_keeps_running(proxy, http_server, port):
    """Without a master, SIGHUP is no reload: HAProxy prints each proxy's servers and goes
    on (and SIGQUIT, which dumps its memory pools, does not stop it either)."""
    fp, s = front(proxy, http_server, port)
    proxy.process_.send_signal(signal.SIGHUP)
    pid = proxy.process_.pid
    for line in (r"SIGHUP received, dumping servers states\.",
                 r"SIGHUP: Proxy fe has no servers\. Conn: act\(FE\+BE\): 0\+0, 0 pend "
                 r"\(0 unass\), tot\(FE\+BE\): 0\+0\.",
                 r"SIGHUP: Server b/app is UP\. Conn: 0 act, 0 pend, 0 tot\.",
                 r"SIGHUP: Proxy b has 1 active servers and 0 backup servers available\. Conn: "
                 r"act\(FE\+BE\): 0\+0, 0 pend \(0 unass\), tot\(FE\+BE\): 0\+0\."):
        proxy.wait_stderr(rf"^\[WARNING\]  \({pid}\) : {line}$")
    proxy.process_.send_signal(signal.SIGQUIT)
    time.sleep(0.3)
    assert proxy.running
    assert get(fp).status == 200


def test_master_worker_reload_with_a_broken_config_keeps_the_worker(proxy, http_server, port,
                                                                     tmp_path):
    """A reload whose configuration does not load: `Loading failure!`, the running worker
    keeps serving; once the file is fixed, the next SIGUSR2 replaces it."""
    s = http_server("app")
    fp = port()
    cfg = tmp_path / "mw.cfg"
    good = simple(s, fp)
    cfg.write_text(good)
    log = tmp_path / "mw.log"
    with processes() as started:
        master = launch(proxy, ["-W", "-db", "-f", str(cfg)], log)
        started.append(master)
        assert wait_until(lambda: len(children(master.pid)) == 1 and
                          owned_listeners(children(master.pid)[0], fp), timeout=5), log.read_text()
        first = children(master.pid)[0]
        started.append(first)
        cfg.write_text(good + "    bogus keyword\n")
        signal_master(proxy, master, signal.SIGUSR2)
        assert wait_until(lambda: "Loading failure!" in log.read_text(), timeout=5), \
            log.read_text()
        assert re.search(rf"^\[WARNING\]  \({master.pid}\) : Loading failure!$", log.read_text(),
                         re.M), log.read_text()
        assert wait_until(lambda: children(master.pid) == [first])
        assert get(fp).status == 200
        cfg.write_text(good)
        signal_master(proxy, master, signal.SIGUSR2)
        assert wait_until(lambda: gone(first), timeout=5), log.read_text()
        assert get(fp).status == 200
        signal_master(proxy, master, signal.SIGTERM)
        assert master.wait(5) == 0


def test_tandem_takes_over_a_running_haproxys_listening_sockets(http_server, tmp_path,
                                                                tandem_bin):
    """Moving from HAProxy to Tandem without closing the port: Debian's haproxy runs with a
    stats socket exposing its listeners; `tandem haproxy -x SOCKET -sf PID` takes its
    listening socket (same inode, over HAProxy's own `_getsocks` exchange) and HAProxy, told to
    finish, exits."""
    from proxy_support import HAPROXY, free_port
    s = http_server("app")
    fp = free_port()
    sock = tmp_path / "haproxy.sock"
    body = f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            server app {s.addr}
    """
    theirs, ours = tmp_path / "haproxy.cfg", tmp_path / "tandem.cfg"
    theirs.write_text(config(body, global_=f"stats socket {sock} level admin expose-fd listeners"))
    ours.write_text(config(body))
    with processes() as started:
        log = open(tmp_path / "haproxy.log", "wb")
        old = subprocess.Popen([str(HAPROXY), "-db", "-f", str(theirs)], stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        started.append(old)
        assert wait_until(lambda: owned_listeners(old.pid, fp) and sock.exists(), timeout=5)
        before = owned_listeners(old.pid, fp)
        log = open(tmp_path / "tandem.log", "wb")
        new = subprocess.Popen([str(tandem_bin / "haproxy"), "-db", "-f", str(ours), "-x",
                                str(sock), "-sf", str(old.pid)], stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        started.append(new)
        assert wait_until(lambda: owned_listeners(new.pid, fp), timeout=5), \
            (tmp_path / "tandem.log").read_text()
        assert before <= owned_listeners(new.pid, fp)
        assert old.wait(5) == 0
        assert get(fp).status == 200
