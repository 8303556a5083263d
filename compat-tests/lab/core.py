"""The one-machine lab: each machine of a topology becomes a network namespace with
its own PID, mount, UTS and IPC namespaces (PID 1 is init.py), wired to one bridge
that lives in a namespace of its own. Nothing is created in the root network
namespace, no namespace gets a route out, and everything made is removed again by
down() — on failure, Ctrl-C and SIGTERM too. docs/lab.md is the user's guide."""

from __future__ import annotations

import ctypes
import json
import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

from .topology import Machine, Topology, load_topology

STATE_ROOT = Path(os.environ.get("TANDEM_LAB_STATE", "/run/tandem-lab"))
PREFIX = "tdm-"
LAB_DIR = Path(__file__).resolve().parent
INIT = LAB_DIR / "init.py"
PYTHON = "/usr/bin/python3"
STD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# A machine's private, empty directories: its pidfiles, sockets, logs and temp files.
PRIVATE_DIRS = ["/run", "/tmp", "/var/tmp", "/var/log"]    # /run first: see init.py
# Where a machine sees the lab's helpers and Tandem's bin folder, wherever the checkout is.
TOOLS = "/run/lab-tools"
AFTER_DIRS = ["/run/haproxy", "/run/lock", "/var/log/lab", "/run/keepalived"]
# The lab's `systemctl` and `service` (lab/bin) answer for the machine's services; a host's
# own copies (systemd's, Debian's init-system-helpers) would find no systemd in a machine,
# so the stand-ins are bound over them.
STAND_INS = {"systemctl": ["/usr/bin/systemctl", "/bin/systemctl"],
             "service": ["/usr/sbin/service", "/sbin/service"]}


class LabError(Exception):
    """Something in the lab did not come up or go down as asked; says what and where."""


def sh(argv: list[str], check: bool = True, timeout: float = 30, **kw) -> subprocess.CompletedProcess:
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        raise LabError(f"timed out after {timeout}s: {shlex.join(argv)}") from None
    if check and r.returncode != 0:
        raise LabError(f"failed ({r.returncode}): {shlex.join(argv)}\n{r.stderr.strip()}")
    return r


def list_netns() -> list[str]:
    out = sh(["ip", "netns", "list"], check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _kill_netns_processes(ns: str) -> None:
    for _ in range(100):
        pids = sh(["ip", "netns", "pids", ns], check=False).stdout.split()
        if not pids:
            return
        for p in pids:
            try:
                os.kill(int(p), signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    raise LabError(f"processes in namespace {ns} would not die: {pids}")


def sweep(lab: str | None = None) -> list[str]:
    """Removes every namespace (and its processes) of `lab`, or of every lab."""
    prefix = f"{PREFIX}{lab}-" if lab else PREFIX
    removed = []
    errors = []
    for ns in list_netns():
        if ns.startswith(prefix):
            try:
                _kill_netns_processes(ns)
            except LabError as e:
                errors.append(str(e))
            sh(["ip", "netns", "del", ns], check=False)
            removed.append(ns)
    for state in ([STATE_ROOT / lab] if lab else list(STATE_ROOT.glob("*"))):
        _remove_state(state)
    if errors:
        raise LabError("; ".join(errors))
    return removed


def _remove_state(state: Path) -> None:
    info = state / "state.json"
    if info.exists():
        try:
            created = json.loads(info.read_text()).get("created_dirs", [])
        except ValueError:
            created = []
        for d in sorted(created, key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass
    shutil.rmtree(state, ignore_errors=True)


def _set_pdeathsig() -> None:
    # The machine dies with the process that made it (unless detached): no orphans.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)   # PR_SET_PDEATHSIG


class Lab:
    def __init__(self, topology: Topology | str | Path, impl: str = "debian",
                 tandem_bin: str | Path | None = None, detach: bool = False,
                 start_services: bool = True):
        self.topo = topology if isinstance(topology, Topology) else load_topology(topology)
        if impl not in ("debian", "tandem"):
            raise LabError(f"impl must be 'debian' or 'tandem', not {impl!r}")
        if impl == "tandem" and not tandem_bin:
            raise LabError("impl 'tandem' needs tandem_bin (the folder with the haproxy/keepalived links)")
        self.impl = impl
        self.tandem_bin = str(Path(tandem_bin).resolve()) if tandem_bin else None
        if impl == "tandem" and not (Path(self.tandem_bin) / "haproxy").exists():
            raise LabError(f"no Tandem build in {self.tandem_bin} (run ./run build first)")
        self.detach = detach
        self.start_services = start_services
        self.state = STATE_ROOT / self.topo.name
        self.inits: dict[str, int] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self._created_dirs: list[str] = []
        self._owner = True

    # ---- names -------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.topo.name

    def ns(self, machine: str) -> str:
        return f"{PREFIX}{self.name}-{machine}"

    @property
    def switch_ns(self) -> str:
        return f"{PREFIX}{self.name}-br-{self.topo.segment}"

    def tool_binds(self) -> list[list[str]]:
        binds = [[str(LAB_DIR / "bin"), f"{TOOLS}/lab"]]
        if self.impl == "tandem":
            binds.append([self.tandem_bin, f"{TOOLS}/tandem"])
        return binds

    def path_env(self) -> str:
        parts = [f"{TOOLS}/tandem"] if self.impl == "tandem" else []
        return ":".join(parts + [STD_PATH, f"{TOOLS}/lab"])

    def machine_env(self, m: Machine) -> dict[str, str]:
        return {"PATH": self.path_env(), "HOME": "/root", "LANG": "C.UTF-8",
                "HOSTNAME": m.hostname, "TERM": "dumb", "LAB_MACHINE": m.name}

    # ---- life --------------------------------------------------------------
    def __enter__(self) -> "Lab":
        # SIGTERM and SIGHUP (a closed terminal) unwind like Ctrl-C, so __exit__ removes the lab.
        self._old_handlers = {sig: signal.signal(sig, _raise_interrupt)
                              for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            self.up()
        except BaseException:
            try:
                self.down()
            finally:
                self._restore_handlers()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.down()
        finally:
            self._restore_handlers()

    def _restore_handlers(self) -> None:
        for sig, handler in self._old_handlers.items():
            signal.signal(sig, handler)

    def _save(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        data = {"topology": str(self.topo.path) if self.topo.path else None, "impl": self.impl,
                "tandem_bin": self.tandem_bin, "inits": self.inits,
                "created_dirs": self._created_dirs}
        (self.state / "state.json").write_text(json.dumps(data, indent=1))

    def in_use(self) -> list[str]:
        """Machines of a lab of this name that are up now (in this or another process)."""
        info = self.state / "state.json"
        if not info.exists():
            return []
        try:
            inits = json.loads(info.read_text()).get("inits", {})
        except ValueError:
            return []
        return [m for m, pid in inits.items() if self._is_machine_init(m, int(pid))]

    def up(self) -> None:
        busy = self.in_use()
        if busy:
            self._owner = False     # so the down() that follows a failed up() leaves it alone
            raise LabError(f"lab {self.name} is already up (machines {', '.join(busy)}); "
                           f"remove it first: ./run lab down {self.name}")
        sweep(self.name)            # what a killed earlier run of this lab left behind
        self._save()
        sw = self.switch_ns
        sh(["ip", "netns", "add", sw])
        sh(["ip", "-n", sw, "link", "set", "lo", "up"])
        # Snooping off: VRRP's 224.0.0.18 / ff02::12 must reach every port, as on a hub.
        sh(["ip", "-n", sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0",
            "stp_state", "0", "forward_delay", "0"])
        sh(["ip", "-n", sw, "link", "set", "br0", "up"])
        for m in self.topo.machines:
            self._make_machine_net(m)
        for m in self.topo.machines:
            self._start_init(m)
        if self.start_services:
            for m in self.topo.machines:
                for s in m.services:
                    if s.autostart:
                        self.start(m.name, s.name)

    def _make_machine_net(self, m: Machine) -> None:
        ns, sw = self.ns(m.name), self.switch_ns
        sh(["ip", "netns", "add", ns])
        sh(["ip", "-n", ns, "link", "set", "lo", "up"])
        for itf in m.interfaces:
            port = f"{m.name}-{itf.name}"
            # Made inside the switch namespace, the peer moved straight into the machine:
            # no end ever exists in the root namespace.
            sh(["ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", itf.name,
                "netns", ns])
            sh(["ip", "-n", sw, "link", "set", port, "master", "br0", "up"])
            sh(["ip", "-n", ns, "link", "set", itf.name, "up"])
            for a in itf.addresses:
                extra = ["nodad"] if ":" in a else ["brd", "+"]
                sh(["ip", "-n", ns, "addr", "add", a, "dev", itf.name] + extra)
        for k, v in m.sysctls.items():
            sh(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{k}={v}"])

    def _prepare_files(self, m: Machine) -> list[list[str]]:
        """Writes the machine's files under its state folder and returns the binds that put
        them at their paths: a file that exists on the host is covered by itself; a file that
        does not is written into a private copy of its folder, which covers the host's."""
        root = self.state / m.name / "fs"
        for f in m.files:
            d = os.path.realpath(os.path.dirname(f.path))     # /var/run is /run
            if any(d == p or d.startswith(p + "/") for p in PRIVATE_DIRS + ["/proc", "/sys", "/dev"]):
                raise LabError(f"machine {m.name}: files under {d} are not supported "
                               f"({', '.join(PRIVATE_DIRS)} are private and empty in each machine)")
            if not os.path.isfile(f.path) and d.count("/") < 2:
                # A new file needs a private copy of its folder; "/" or "/etc" is too much.
                raise LabError(f"machine {m.name}: {f.path}: a file that does not exist on the "
                               f"host must be in a folder at least two levels deep")
        new_dirs = sorted({os.path.dirname(f.path) for f in m.files if not os.path.isfile(f.path)},
                          key=lambda d: d.count("/"))
        binds = []
        for d in new_dirs:
            overlay = root / d.lstrip("/")
            if os.path.isdir(d):
                shutil.copytree(d, overlay, symlinks=True, dirs_exist_ok=True)
            else:
                made, parent = [], d
                while not os.path.exists(parent):
                    made.append(parent)
                    parent = os.path.dirname(parent)
                self._created_dirs.extend(made)
                self._save()          # recorded first, so a crash still knows what to remove
                os.makedirs(d)
                overlay.mkdir(parents=True, exist_ok=True)
            binds.append([str(overlay), d])
        for f in m.files:
            in_overlay = os.path.dirname(f.path) in new_dirs
            target = root / f.path.lstrip("/") if in_overlay else root / "files" / f.path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                target.unlink()
            target.write_bytes(f.content if not f.generate else self_signed_pem(m.hostname))
            target.chmod(f.mode)
            if not in_overlay:
                binds.append([str(target), f.path])
        return binds

    def _start_init(self, m: Machine) -> None:
        mdir = self.state / m.name
        mdir.mkdir(parents=True, exist_ok=True)
        spec = {"hostname": m.hostname, "binds": self._prepare_files(m) + stand_in_binds(),
                "tmpfs": PRIVATE_DIRS, "tool_binds": self.tool_binds(),
                "units": {s.name: s.command for s in m.services},
                "mkdirs_after": AFTER_DIRS, "ctl": str(mdir / "ctl.sock"),
                "env": self.machine_env(m)}
        (mdir / "init.json").write_text(json.dumps(spec))
        log = open(mdir / "init.log", "wb")
        argv = ["ip", "netns", "exec", self.ns(m.name),
                "unshare", "--pid", "--fork", "--kill-child", "--mount", "--uts", "--ipc",
                "--propagation", "private", "--mount-proc",
                PYTHON, str(INIT), str(mdir / "init.json")]
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                             preexec_fn=None if self.detach else _set_pdeathsig,
                             start_new_session=self.detach)
        log.close()
        self._procs[m.name] = p
        deadline = time.monotonic() + 10
        while b"ready" not in (mdir / "init.log").read_bytes().splitlines():
            if p.poll() is not None or time.monotonic() > deadline:
                raise LabError(f"machine {m.name} did not start:\n"
                               f"{(mdir / 'init.log').read_text(errors='replace')}")
            time.sleep(0.02)
        children = Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split()
        self.inits[m.name] = int(children[0])
        self._save()

    def down(self) -> None:
        """Removes every namespace, process, veth, file and directory the lab made. A second
        Ctrl-C or SIGTERM waits until it is done rather than leave half a lab behind."""
        if not self._owner:
            return                  # up() refused: the lab of this name belongs to someone else
        blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            try:
                for name in list(self.inits):
                    try:
                        self._ctl(name, {"op": "shutdown"}, timeout=2)
                    except (LabError, ValueError):
                        pass
                for name, p in self._procs.items():
                    try:
                        p.wait(timeout=6)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
                self._procs.clear()
            finally:
                sweep(self.name)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        left = [n for n in list_netns() if n.startswith(f"{PREFIX}{self.name}-")]
        self.inits.clear()
        if left:
            raise LabError(f"could not remove namespaces: {left}")

    # ---- control -----------------------------------------------------------
    def _ctl(self, machine: str, req: dict, timeout: float = 5) -> dict:
        import socket
        path = self.state / machine / "ctl.sock"
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                s.connect(str(path))
                s.sendall(json.dumps(req).encode() + b"\n")
                data = b""
                while not data.endswith(b"\n"):
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except OSError as e:
            raise LabError(f"machine {machine}: no answer from its init ({e})") from None
        reply = json.loads(data or b"{}")
        if not reply.get("ok"):
            raise LabError(f"machine {machine}: {req.get('op')}: {reply.get('error')}")
        return reply

    def _init_pid(self, machine: str) -> int:
        """The machine's init, verified: a dead init's pid may belong to a host process by
        now, and entering its namespaces would run the command on the host."""
        self.topo.machine(machine)
        if machine not in self.inits:
            raise LabError(f"machine {machine} is not up")
        pid = self.inits[machine]
        if not self._is_machine_init(machine, pid):
            raise LabError(f"machine {machine} is gone (its init, pid {pid}, is no longer "
                           f"running in {self.ns(machine)}); bring the lab up again")
        return pid

    def _is_machine_init(self, machine: str, pid: int) -> bool:
        try:
            net = os.stat(f"/proc/{pid}/ns/net")
            want = os.stat(f"/run/netns/{self.ns(machine)}")
            other_pidns = os.stat(f"/proc/{pid}/ns/pid").st_ino != os.stat("/proc/self/ns/pid").st_ino
            other_mntns = os.stat(f"/proc/{pid}/ns/mnt").st_ino != os.stat("/proc/self/ns/mnt").st_ino
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return False
        alive = "\nState:\tZ" not in status and "\nState:\tX" not in status
        return ((net.st_dev, net.st_ino) == (want.st_dev, want.st_ino) and other_pidns
                and other_mntns and alive)

    def exec(self, machine: str, cmd: str | list[str], check: bool = False, timeout: float = 30,
             input: str | None = None) -> subprocess.CompletedProcess:
        """Runs a command on a machine (a string goes through sh -c), as its root user."""
        pid = self._init_pid(machine)
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        env = self.machine_env(self.topo.machine(machine))
        full = ["nsenter", "-t", str(pid), "-n", "-m", "-p", "-u", "-i", "--wd=/", "--"] + argv
        try:
            r = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env,
                               input=input, stdin=None if input is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise LabError(f"{machine}: timed out after {timeout}s: {argv}") from None
        if r.returncode != 0 and r.stderr.startswith("nsenter:"):
            # The command never ran: its failure must not read as the command's answer.
            raise LabError(f"{machine}: could not enter the machine: {r.stderr.strip()}")
        if check and r.returncode != 0:
            raise LabError(f"{machine}: failed ({r.returncode}): {argv}\n{r.stdout}{r.stderr}")
        return r

    def start(self, machine: str, service: str, settle: float = 0.3) -> int:
        """Starts a service of the topology by its command; fails with its log if it exits non-zero."""
        s = self.topo.machine(machine).service(service)
        reply = self._ctl(machine, {"op": "spawn", "name": s.name, "command": s.command})
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            st = self.service_status(machine, service)
            if st["status"] is not None and st["status"] != 0:
                raise LabError(f"{machine}: service {service} ({s.command}) exited with "
                               f"{st['status']}:\n{self.log(machine, service)}")
            time.sleep(0.05)
        return reply["pid"]

    def service_status(self, machine: str, service: str) -> dict:
        return self._ctl(machine, {"op": "status"})["services"][service]

    def running(self, machine: str, process: str) -> bool:
        """As `killall -0 PROCESS` on that machine answers."""
        return self.exec(machine, ["killall", "-q", "-0", process]).returncode == 0

    def stop(self, machine: str, process: str, timeout: float = 10) -> None:
        """Stops every process named `process` on a machine, as `killall` would, and waits."""
        self.exec(machine, ["killall", "-q", "-TERM", process])
        try:
            self.wait_for(lambda: not self.running(machine, process), timeout,
                          f"{process} on {machine} to stop")
        except LabError:
            self.exec(machine, ["killall", "-q", "-KILL", process])
            self.wait_for(lambda: not self.running(machine, process), 5,
                          f"{process} on {machine} to die")

    def log(self, machine: str, service: str) -> str:
        return self.read_file(machine, f"/var/log/lab/{service}.log")

    def read_file(self, machine: str, path: str) -> str:
        p = Path(f"/proc/{self._init_pid(machine)}/root") / path.lstrip("/")
        try:
            return p.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _iface(self, machine: str, iface: str | None) -> str:
        m = self.topo.machine(machine)
        if iface is None:
            return m.interfaces[0].name
        if iface not in [i.name for i in m.interfaces]:
            raise LabError(f"machine {machine} has no interface {iface}")
        return iface

    def cut(self, machine: str, iface: str | None = None, how: str = "carrier") -> None:
        """Cuts a machine off the segment. carrier: its link goes down (as a pulled cable);
        unplug: its link stays up but nothing passes; ifdown: the machine downs its interface."""
        iface = self._iface(machine, iface)
        port = f"{machine}-{iface}"
        if how == "carrier":
            sh(["ip", "-n", self.switch_ns, "link", "set", port, "down"])
        elif how == "unplug":
            sh(["ip", "-n", self.switch_ns, "link", "set", port, "nomaster"])
        elif how == "ifdown":
            sh(["ip", "-n", self.ns(machine), "link", "set", iface, "down"])
        else:
            raise LabError(f"cut: how must be carrier, unplug or ifdown, not {how!r}")

    def restore(self, machine: str, iface: str | None = None) -> None:
        iface = self._iface(machine, iface)
        port = f"{machine}-{iface}"
        sh(["ip", "-n", self.switch_ns, "link", "set", port, "master", "br0", "up"])
        sh(["ip", "-n", self.ns(machine), "link", "set", iface, "up"])

    def addresses(self, machine: str, iface: str | None = None) -> list[str]:
        """The machine's addresses on an interface, as ADDRESS/PREFIX."""
        iface = self._iface(machine, iface)
        out = sh(["ip", "-n", self.ns(machine), "-j", "addr", "show", "dev", iface]).stdout
        return [f"{a['local']}/{a['prefixlen']}" for link in json.loads(out)
                for a in link.get("addr_info", [])]

    def has_address(self, machine: str, address: str, iface: str | None = None) -> bool:
        return any(a.split("/")[0] == address for a in self.addresses(machine, iface))

    @staticmethod
    def wait_for(pred: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if pred():
                return
            if time.monotonic() > deadline:
                raise LabError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(interval)

    # ---- reattaching from another process (./run lab exec ...) ------------
    @classmethod
    def attach(cls, name: str) -> "Lab":
        info = STATE_ROOT / name / "state.json"
        if not info.exists():
            raise LabError(f"lab {name} is not up (no {info})")
        data = json.loads(info.read_text())
        lab = cls(data["topology"], data["impl"], data.get("tandem_bin"))
        lab.inits = {k: int(v) for k, v in data["inits"].items()}
        lab._created_dirs = data.get("created_dirs", [])
        return lab

    @staticmethod
    def running_labs() -> list[str]:
        return sorted(p.name for p in STATE_ROOT.glob("*") if (p / "state.json").exists())


def stand_in_binds() -> list[list[str]]:
    """Binds that put the lab's systemctl/service over the host's (where the host has them;
    elsewhere the lab's bin folder on PATH provides them)."""
    binds, seen = [], set()
    for tool, paths in STAND_INS.items():
        for p in paths:
            real = os.path.realpath(p)
            if os.path.isfile(real) and real not in seen:
                seen.add(real)
                binds.append([str(LAB_DIR / "bin" / tool), real])
    return binds


def self_signed_pem(hostname: str) -> bytes:
    """A certificate and its key in one PEM, as HAProxy's `crt` takes them; made fresh for
    each lab so no private key lives in the repository."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        key, crt = Path(tmp) / "key.pem", Path(tmp) / "crt.pem"
        sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "30", "-subj", f"/CN={hostname}",
            "-addext", f"subjectAltName=DNS:{hostname}", "-keyout", str(key), "-out", str(crt)])
        return crt.read_bytes() + key.read_bytes()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")
