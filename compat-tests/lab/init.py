"""PID 1 of a lab machine: sets up the machine's private files and name, then
supervises its services and reaps every process that ends in its PID namespace
(a zombie would still answer `killall -0`). Runs inside the machine's network,
PID, mount, UTS and IPC namespaces; talks to the lab over a unix socket with one
JSON object per line. Standard library only: it is started as a plain script.

Inside the machine the same requests are answered on INNER_SOCKET (/run/lab/init.sock),
where the machine's `systemctl` and `service` stand-ins (lab/bin) ask for the unit table
(op "units": the topology's services by name), a service's state and a new start. Every
process a service starts carries LAB_SERVICE=<name> in its environment, as systemd keeps a
unit's processes in its cgroup: the stand-ins find a unit's processes (a daemon that forked
away included) by that mark."""

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

services = {}        # name -> {"pid": int, "status": None | int, "log": str}
units = {}           # the topology's services: name -> command (spec "units")
INNER_SOCKET = "/run/lab/init.sock"


def decode(status):
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return -os.WTERMSIG(status)


def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for s in services.values():
            if s["pid"] == pid and s["status"] is None:   # a recycled pid is not the service
                s["status"] = decode(status)


def setup(spec):
    for src, dst in spec.get("binds", []):
        subprocess.run(["mount", "--bind", src, dst], check=True)
    # /run first, then the lab's tools are bound under it while their real paths are still
    # visible (a checkout under /tmp would be hidden by the machine's private /tmp).
    tmpfs = spec.get("tmpfs", [])
    for i, d in enumerate(tmpfs):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d], check=True)
        if i == 0:
            for src, dst in spec.get("tool_binds", []):
                os.makedirs(dst, exist_ok=True)
                subprocess.run(["mount", "--bind", src, dst], check=True)
    for d in spec.get("mkdirs_after", []):
        os.makedirs(d, exist_ok=True)
    socket.sethostname(spec["hostname"])


def spawn(req, env):
    name = req["name"]
    log = req.get("log") or f"/var/log/lab/{name}.log"
    os.makedirs(os.path.dirname(log), exist_ok=True)
    run_env = dict(env)
    run_env.update(req.get("env", {}))
    run_env["LAB_SERVICE"] = name        # the unit's mark, inherited by every process it starts
    defaults = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP)]
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    pid = os.posix_spawn(
        "/bin/sh", ["/bin/sh", "-c", "exec " + req["command"]], run_env,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, log, flags, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
        setsid=True, setsigdef=defaults, setsigmask=[])
    services[name] = {"pid": pid, "status": None, "log": log}
    return {"ok": True, "pid": pid, "log": log}


def handle(req, env):
    op = req.get("op")
    if op == "ping":
        return {"ok": True, "pid": os.getpid()}
    if op == "spawn":
        return spawn(req, env)
    if op == "status":
        reap()
        return {"ok": True, "services": services}
    if op == "units":
        return {"ok": True, "units": units}
    return {"ok": False, "error": f"unknown op {op!r}"}


def shutdown(grace):
    # As PID 1 of the namespace, kill(-1) reaches every other process in it.
    try:
        os.kill(-1, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        reap()
        try:
            os.kill(-1, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass


def answer(listener, env, stop, may_stop):
    conn, _ = listener.accept()
    # A client that stalls, leaves early or sends junk must never take PID 1
    # (and with it the whole machine) down.
    try:
        with conn:
            conn.settimeout(5)
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            try:
                req = json.loads(data)
                if req.get("op") == "shutdown" and may_stop:
                    stop.append(1)
                    reply = {"ok": True}
                else:
                    reply = handle(req, env)
            except Exception as e:
                reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            conn.sendall(json.dumps(reply).encode() + b"\n")
    except OSError:
        pass


def main():
    if os.getpid() != 1:
        sys.exit("init.py is PID 1 of a lab machine; the lab starts it (it would remount /run here)")
    spec = json.load(open(sys.argv[1]))
    # A machine's processes start in "/", as a booted machine's do; the caller's folder may
    # be hidden from them (HAProxy fails when it cannot get back to its starting folder).
    os.chdir("/")
    env = spec["env"]
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ctl.bind(spec["ctl"])          # bound before /run is replaced: the lab reaches it by host path
    ctl.listen(8)
    setup(spec)
    units.update(spec.get("units", {}))
    # The machine's own tools (systemctl) reach init here: the lab's ctl path is hidden
    # from them under the machine's private /run.
    os.makedirs(os.path.dirname(INNER_SOCKET), exist_ok=True)
    inner = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    inner.bind(INNER_SOCKET)
    os.chmod(INNER_SOCKET, 0o600)
    inner.listen(8)
    listeners = (ctl, inner)

    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    signal.set_wakeup_fd(wfd)
    stop = []
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    sel = selectors.DefaultSelector()
    for listener in listeners:
        sel.register(listener, selectors.EVENT_READ)
    sel.register(rfd, selectors.EVENT_READ)
    print("ready", flush=True)
    while not stop:
        for key, _ in sel.select(timeout=1.0):
            if key.fileobj in listeners:
                answer(key.fileobj, env, stop, may_stop=key.fileobj is ctl)
            else:
                os.read(rfd, 4096)
        reap()
    shutdown(float(spec.get("grace", 3)))
    reap()


if __name__ == "__main__":
    main()
