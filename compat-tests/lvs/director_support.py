"""A throw-away network namespace for the LVS director's compat tests, with small real servers
and clients living in it, and `tandem keepalived` (build/bin/keepalived) run inside it.

The test process stays in its own namespace: one worker thread enters the test namespace
(setns), and every socket the tests need there (servers' listeners, clients) is created by that
thread; sockets keep their namespace, so any thread may use them afterwards. Processes in the
namespace (keepalived) are started with `ip netns exec`. Everything is removed on close():
processes killed, the namespace deleted; the namespace's name starts with the lab's prefix, so
the session guard (compat-tests/conftest.py) sees one left behind."""

from __future__ import annotations

import concurrent.futures
import ctypes
import http.server
import os
import signal
import socket
import socketserver
import subprocess
import threading
import time
from pathlib import Path

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def wait_for(pred, timeout: float, what: str, interval: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class netns:
    """`ip netns add NAME`, lo up with `addresses` on it; run(fn) calls fn inside."""

    def __init__(self, name: str, addresses: list[str]):
        self.name = name
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        subprocess.run(["ip", "netns", "add", name], check=True)
        try:
            self.ip("link", "set", "lo", "up")
            for a in addresses:
                self.ip("addr", "add", a, "dev", "lo")
            self._pool = concurrent.futures.ThreadPoolExecutor(1, initializer=self._enter)
            self.run(lambda: None)
        except BaseException:
            self.close()
            raise
        self.procs: list[subprocess.Popen] = []

    def _enter(self):
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
        finally:
            os.close(fd)

    def ip(self, *args):
        subprocess.run(["ip", "-n", self.name, *args], check=True, capture_output=True)

    def run(self, fn, *args):
        return self._pool.submit(fn, *args).result(timeout=30)

    def popen(self, argv: list[str], **kw) -> subprocess.Popen:
        p = subprocess.Popen(["ip", "netns", "exec", self.name, *argv], **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in getattr(self, "procs", []):
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        pool = getattr(self, "_pool", None)
        if pool:
            pool.shutdown(wait=True)
        pids = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True,
                              text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


# ---- small real servers --------------------------------------------------------------------

class _NameHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections: long-lived clients for wlc

    def do_GET(self):
        body = self.server.name.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class name_server:
    """HTTP on ADDRESS:PORT inside `ns`, answering every GET with its name."""

    def __init__(self, ns: netns, address: str, port: int, name: str):
        self.ns, self.address, self.port, self.name = ns, address, port, name
        self.httpd = None
        self.start()

    def start(self):
        self.httpd = self.ns.run(lambda: _Server((self.address, self.port), _NameHandler))
        self.httpd.name = self.name
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


class udp_echo:
    """UDP on ADDRESS:PORT inside `ns`, answering NAME:payload."""

    def __init__(self, ns: netns, address: str, port: int, name: str):
        self.sock = ns.run(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        self.sock.bind((address, port))
        self.name = name.encode()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(2048)
            except OSError:
                return
            if peer is None:  # shut down
                return
            self.sock.sendto(self.name + b":" + data, peer)

    def stop(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class _SmtpV6(socketserver.ThreadingMixIn, socketserver.TCPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


class smtp_server_v6:
    """SMTP on [ADDRESS]:PORT inside `ns`: a 220 greeting, 250 to HELO, 221 to QUIT (what
    keepalived's SMTP_CHECK and a client reading the greeting need)."""

    def __init__(self, ns: netns, address: str, port: int, name: str):
        greeting = f"220 {name} ESMTP\r\n".encode()

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(greeting)
                for line in self.rfile:
                    word = line.split(b" ")[0].strip().upper()
                    if word == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    self.wfile.write(b"250 ok\r\n")

        self.srv = ns.run(lambda: _SmtpV6((address, port), Handler))
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def greeting(ns: netns, address: str, port: int) -> str:
    """The first line a TCP server sends (IPv4 or IPv6)."""
    def make():
        s = socket.create_connection((address, port), timeout=5)
        try:
            return s.makefile("rb").readline().decode().strip()
        finally:
            s.close()
    return ns.run(make)


# ---- clients -------------------------------------------------------------------------------

def open_client(ns: netns, vip: str, port: int, source: str | None = None,
                timeout: float = 5) -> socket.socket:
    def make():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect((vip, port))
        return s
    return ns.run(make)


def ask(s: socket.socket) -> str:
    """One HTTP/1.1 request on an open connection: the server's name."""
    s.sendall(b"GET / HTTP/1.1\r\nHost: vip\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            break
        body += chunk
    return body.decode()


def get(ns: netns, vip: str, port: int, source: str | None = None) -> str:
    s = open_client(ns, vip, port, source)
    try:
        return ask(s)
    finally:
        s.close()


def udp_ask(ns: netns, vip: str, port: int, payload: bytes,
            sock: socket.socket | None = None) -> tuple[str, socket.socket]:
    if sock is None:
        sock = ns.run(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        sock.settimeout(3)
    sock.sendto(payload, (vip, port))
    data, peer = sock.recvfrom(2048)
    assert peer == (vip, port), peer
    return data.decode(), sock


# ---- keepalived ----------------------------------------------------------------------------

class keepalived_run:
    """`keepalived -n -l -f CONF` inside `ns`, its console log collected."""

    def __init__(self, ns: netns, binary: Path, conf: Path, workdir: Path,
                 env: dict[str, str] | None = None, extra_args: list[str] | None = None):
        self.ns, self.conf, self.workdir = ns, conf, workdir
        self.lines: list[str] = []
        self.pidfiles = [workdir / "keepalived.pid", workdir / "vrrp.pid", workdir / "checkers.pid"]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = ns.popen([str(binary), "-n", "-l", "-G", "-f", str(conf),
                              "-p", str(self.pidfiles[0]), "-r", str(self.pidfiles[1]),
                              "-c", str(self.pidfiles[2]), *(extra_args or [])],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=full_env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            # "Sat Nov 21 07:48:43 2026: message" -> "message"
            self.lines.append(line.rstrip("\n").split(": ", 1)[-1])

    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_log(self, text: str, timeout: float = 10) -> None:
        wait_for(lambda: any(text in l for l in self.lines), timeout,
                 f"{text!r} in the log:\n{self.log()}")

    def signal(self, sig: int) -> None:
        # ip netns exec execs the program: the child is keepalived itself.
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        return self.proc.returncode
