"""Support for the proxy behaviour suite: which implementation runs (Debian's haproxy 2.6 or
Tandem), the list of cases still pending on Tandem, a launcher that runs `haproxy -db -f cfg`
and always stops it, small threaded backends on loopback that record exactly what reached
them, and raw HTTP clients.

Every test in this directory runs against both implementations, so a test proves what
HAProxy does before it is used to judge Tandem.
"""

from __future__ import annotations

import fnmatch
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HAPROXY = Path("/usr/sbin/haproxy")
IMPLS = ("haproxy", "tandem")

# --- The Tandem pending list --------------------------------------------------------------
#
# The one place that says which tests are expected to fail on Tandem for now. A key is
# "file::test" without the implementation parameter, or one case of a parametrised test
# ("test_smuggling.py::test_rejected[cl_overflow]"); `*` and `?` are wildcards. The value is
# the reason, one per feature so that a whole feature can be flipped at once. A Tandem case
# listed here runs as xfail(strict=True): when it starts passing the run fails until its
# entry is narrowed or removed, so the list never claims more than is true.

# What Tandem does not do as HAProxy yet, measured against the runtime (issue 5).
STATS_COUNTERS = ("bin counts the 130 request bytes received where HAProxy counts 174 (the "
                  "size of its internal HTX form of the requests); bout likewise")

TANDEM_PENDING: dict[str, str] = {
    "test_stats_csv.py::test_request_bytes": STATS_COUNTERS,
}


def pending_matches(pattern: str, test_id: str) -> bool:
    # '[' is literal in a test id: only * and ? are wildcards.
    return fnmatch.fnmatchcase(test_id, pattern.replace("[", "[[]"))


def pending_reason(test_id: str) -> str | None:
    """The reason a test ("file::name" or "file::name[case]") is pending on Tandem, or None."""
    for pattern, reason in TANDEM_PENDING.items():
        if pending_matches(pattern, test_id):
            return reason
    return None


# --- Ports and addresses ------------------------------------------------------------------

LOCAL = "127.0.0.1"


def free_port(host: str = LOCAL) -> int:
    """A port the kernel says is free now on loopback (bound to 0, then released)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes in LISTEN state on `port` (IPv4 and IPv6), read from /proc: no probe
    connection, which in mode tcp would reach a backend and spoil what a test counts."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                found.add(target[8:-1])
    except OSError:
        pass
    return found


BIND_RE = re.compile(r"^\s*bind\s+(?:127\.0\.0\.1|0\.0\.0\.0|\*)?:(\d+)", re.M)


# --- The implementation under test --------------------------------------------------------


class Proxy:
    """One implementation's `haproxy` binary, run in the foreground (`-db -f cfg`) with its
    stdout and stderr captured in a file. `start` waits until every `bind` port of the
    config listens (owned by the process); `stop` sends SIGTERM, then SIGKILL."""

    def __init__(self, impl: str, binary: Path, workdir: Path):
        self.impl_ = impl
        self.binary_ = binary
        self.workdir_ = workdir
        self.process_: subprocess.Popen | None = None
        self.log_path_ = workdir / "proxy.stderr"
        self.config_path_ = workdir / "haproxy.cfg"

    @property
    def impl(self) -> str:
        return self.impl_

    def start(self, config: str, ports: list[int] | None = None, wait: float = 5.0) -> "Proxy":
        assert self.process_ is None, "one process per test"
        self.config_path_.write_text(config)
        ports = ports if ports is not None else [int(p) for p in BIND_RE.findall(config)]
        assert ports, "the config binds no port: pass ports="
        log = open(self.log_path_, "wb")
        self.process_ = subprocess.Popen(
            [str(self.binary_), "-db", "-f", str(self.config_path_)], cwd=self.workdir_,
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + wait
        pending = set(ports)
        while pending:
            code = self.process_.poll()
            if code is not None:
                self.process_ = None
                raise ProxyFailed(f"{self.impl_} exited with status {code} at start:\n"
                                  f"{self.stderr}")
            mine = _socket_inodes(self.process_.pid)
            pending = {p for p in pending if not (_listening_inodes(p) & mine)}
            if not pending:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise ProxyFailed(f"{self.impl_} did not listen on {sorted(pending)} within "
                                  f"{wait} s:\n{self.stderr}")
            time.sleep(0.005)
        return self

    def stop(self) -> int | None:
        proc, self.process_ = self.process_, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(2)
        return proc.returncode

    @property
    def running(self) -> bool:
        return self.process_ is not None and self.process_.poll() is None

    @property
    def stderr(self) -> str:
        try:
            return self.log_path_.read_text(errors="replace")
        except OSError:
            return ""

    def wait_stderr(self, pattern: str, timeout: float = 3.0) -> re.Match:
        """The first match of `pattern` in the process's output, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.stderr, re.M)
            if m:
                return m
            if time.monotonic() > deadline:
                raise AssertionError(f"no line matching {pattern!r} in {self.impl_}'s output "
                                     f"within {timeout} s:\n{self.stderr}")
            time.sleep(0.02)


class ProxyFailed(AssertionError):
    pass


def config(body: str, mode: str = "http", defaults: str = "", global_: str = "") -> str:
    """A whole haproxy.cfg: a global section, defaults with short timeouts, then `body`."""
    return (f"global\n{_indent(global_)}\n"
            f"defaults\n    mode {mode}\n    timeout connect 200ms\n"
            f"    timeout client 5s\n    timeout server 5s\n{_indent(defaults)}\n"
            f"{_dedent(body)}\n")


def _indent(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join("    " + ln for ln in lines)


def _dedent(text: str) -> str:
    """Section lines at column 0, keywords indented: tests write configs indented in Python."""
    out = []
    for ln in text.strip("\n").splitlines():
        s = ln.strip()
        if not s:
            continue
        if re.match(r"(frontend|backend|listen|defaults|global|userlist|resolvers)\b", s):
            out.append(s)
        else:
            out.append("    " + s)
    return "\n".join(out)


# --- Backends -------------------------------------------------------------------------------


class _Server:
    """A threaded loopback server: one thread accepts, one thread per connection. `stop`
    closes the listener and every open connection; the port then refuses connections but
    stays reserved (bound, not listening), so that no other process on the machine picks it
    up meanwhile. `start` binds the same port again; `close` stops and frees the port."""

    def __init__(self, name: str, host: str = LOCAL, port: int = 0):
        self.name = name
        self.host = host
        self.port = port
        self.lock_ = threading.Lock()
        self.listener_: socket.socket | None = None
        self.conns_: set[socket.socket] = set()
        self.accepted = 0  # connections accepted since creation
        self.running_ = False
        self.threads_: list[threading.Thread] = []
        self.reserved_: socket.socket | None = None

    @property
    def addr(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> "_Server":
        assert not self.running_
        if self.reserved_:
            self.reserved_.close()
            self.reserved_ = None
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, self.port))
        s.listen(128)
        s.settimeout(0.5)
        self.port = s.getsockname()[1]
        self.listener_ = s
        self.running_ = True
        t = threading.Thread(target=self._accept_loop, args=(s,), daemon=True)
        t.start()
        self.threads_.append(t)
        return self

    def stop(self) -> None:
        if not self.running_:
            return
        self.running_ = False
        listener, self.listener_ = self.listener_, None
        if listener:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept at once
            except OSError:
                pass
            listener.close()
            self.reserved_ = socket.socket()
            self.reserved_.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.reserved_.bind((self.host, self.port))  # refuses, and nobody else takes it
        with self.lock_:
            conns, self.conns_ = list(self.conns_), set()
        for c in conns:
            _hard_close(c)
        for t in self.threads_:
            t.join(1)
        self.threads_ = [t for t in self.threads_ if t.is_alive()]

    def close(self) -> None:
        self.stop()
        if self.reserved_:
            self.reserved_.close()
            self.reserved_ = None

    def _accept_loop(self, listener: socket.socket) -> None:
        while self.running_:
            try:
                conn, peer = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn.settimeout(5)
            with self.lock_:
                self.accepted += 1
                serial = self.accepted
                self.conns_.add(conn)
            threading.Thread(target=self._serve, args=(conn, peer, serial), daemon=True).start()

    def _serve(self, conn: socket.socket, peer, serial: int) -> None:
        try:
            self.handle(conn, peer, serial)
        except OSError:
            pass
        finally:
            with self.lock_:
                self.conns_.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def handle(self, conn: socket.socket, peer, serial: int) -> None:
        raise NotImplementedError


def _hard_close(conn: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0): what a crashing server does."""
    try:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    try:
        conn.close()
    except OSError:
        pass


@dataclass
class Received:
    """One request as it reached a backend."""
    method: str
    target: str
    version: str
    head: bytes  # exact bytes, request line to the empty line included
    headers: list[tuple[str, str]]  # names and values as on the wire, in order
    body: bytes  # decoded (chunked framing removed)
    raw_body: bytes  # as on the wire
    peer: tuple[str, int]
    conn: int  # serial number of the connection it came on (1, 2, ...)
    status: int = 0  # the status the server answered (0: none, closed abruptly)
    at: float = field(default_factory=time.monotonic)  # when it was received

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.headers]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


REASONS = {100: "Continue", 101: "Switching Protocols", 200: "OK", 204: "No Content",
           301: "Moved Permanently", 302: "Found", 304: "Not Modified", 400: "Bad Request",
           401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


class _Reader:
    """Buffered reads from a socket: lines, exact sizes, until close."""

    def __init__(self, sock: socket.socket):
        self.sock_ = sock
        self.buf_ = b""
        self.eof_ = False

    def _fill(self) -> bool:
        if self.eof_:
            return False
        data = self.sock_.recv(65536)
        if not data:
            self.eof_ = True
            return False
        self.buf_ += data
        return True

    def until(self, marker: bytes) -> bytes | None:
        while marker not in self.buf_:
            if not self._fill():
                return None
        i = self.buf_.index(marker) + len(marker)
        out, self.buf_ = self.buf_[:i], self.buf_[i:]
        return out

    def exactly(self, n: int) -> bytes | None:
        while len(self.buf_) < n:
            if not self._fill():
                return None
        out, self.buf_ = self.buf_[:n], self.buf_[n:]
        return out

    def rest(self) -> bytes:
        try:
            while self._fill():
                pass
        except (socket.timeout, OSError):
            pass
        out, self.buf_ = self.buf_, b""
        return out

    def chunked(self) -> tuple[bytes, bytes] | None:
        """(decoded, raw) of a chunked body, trailers included in raw."""
        raw, body = b"", b""
        while True:
            line = self.until(b"\r\n")
            if line is None:
                return None
            raw += line
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:
                    trailer = self.until(b"\r\n")
                    if trailer is None:
                        return None
                    raw += trailer
                    if trailer == b"\r\n":
                        return body, raw
            data = self.exactly(size + 2)
            if data is None:
                return None
            raw += data
            body += data[:-2]


def parse_head(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for ln in lines[1:]:
        if not ln:
            continue
        name, _, value = ln.partition(":")
        headers.append((name, value.strip(" \t")))
    return lines[0], headers


class HttpServer(_Server):
    """An HTTP/1.1 backend that records every request (`requests`; checks to `check_path` go
    to `checks`) and answers with its name: header `X-Server: NAME`, body `NAME\\n` followed by
    the request head it received. Attributes a test may change while it runs: `status`,
    `delay` (seconds before answering), `keep_alive`, `drop` (close abruptly without an
    answer), `extra_headers`, `respond` (a function Received -> bytes, the whole answer, or
    None to close abruptly). A target `/delay/MS...` waits MS milliseconds first, and
    `/status/CODE...` answers CODE. After an answer `HTTP/1.1 101 ...` (from `respond`) the
    connection becomes a tunnel that echoes bytes upper-cased."""

    def __init__(self, name: str, status: int = 200, delay: float = 0.0, keep_alive: bool = True,
                 check_path: str = "/health", host: str = LOCAL, port: int = 0):
        super().__init__(name, host, port)
        self.status = status
        self.check_status: int | None = None  # answer to checks; None: same as `status`
        self.delay = delay
        self.keep_alive = keep_alive
        self.drop = False
        self.send_continue = True  # answer `Expect: 100-continue` before reading the body
        self.extra_headers: list[tuple[str, str]] = []
        self.respond: Callable[[Received], bytes | None] | None = None
        self.check_path = check_path
        self.requests: list[Received] = []
        self.checks: list[Received] = []
        self.tunnelled = b""  # bytes received after a 101 answer
        self.active = 0  # requests being answered now
        self.max_active = 0

    def handle(self, conn, peer, serial):
        reader = _Reader(conn)
        while True:
            head = reader.until(b"\r\n\r\n")
            if head is None:
                return
            line, headers = parse_head(head)
            parts = line.split(" ")
            method, target, version = (parts + ["", "", ""])[:3]
            lower = {n.lower(): v for n, v in headers}
            body, raw_body = b"", b""
            if lower.get("expect", "").lower() == "100-continue" and self.send_continue:
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            if "chunked" in lower.get("transfer-encoding", "").lower():
                got = reader.chunked()
                if got is None:
                    return
                body, raw_body = got
            elif "content-length" in lower:
                body = reader.exactly(int(lower["content-length"])) or b""
                raw_body = body
            req = Received(method, target, version, head, headers, body, raw_body, peer, serial)
            is_check = req.path == self.check_path
            with self.lock_:
                (self.checks if is_check else self.requests).append(req)
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            try:
                answer = self._answer(req, is_check)
            finally:
                with self.lock_:
                    self.active -= 1
            if answer is None:
                _hard_close(conn)
                return
            conn.sendall(answer)
            if answer.startswith(b"HTTP/1.1 101 "):
                self._tunnel(conn, reader)
                return
            conn_hdr = lower.get("connection", "").lower()
            answer_head = answer.split(b"\r\n\r\n", 1)[0].lower()
            if (not self.keep_alive or version == "HTTP/1.0" and "keep-alive" not in conn_hdr
                    or "close" in conn_hdr or b"\r\nconnection: close" in answer_head):
                conn.shutdown(socket.SHUT_WR)
                reader.rest()
                return

    def _tunnel(self, conn: socket.socket, reader: _Reader) -> None:
        """After a 101 answer: echo every byte back, upper-cased so the client can tell the
        echo from its own bytes; half-close when the client does."""
        data = reader.buf_
        reader.buf_ = b""
        while True:
            if data:
                with self.lock_:
                    self.tunnelled += data
                conn.sendall(data.upper())
            data = conn.recv(65536)
            if not data:
                conn.shutdown(socket.SHUT_WR)
                return

    def _answer(self, req: Received, is_check: bool) -> bytes | None:
        m = re.match(r"/delay/(\d+)", req.target)
        delay = int(m.group(1)) / 1000 if m else self.delay
        if delay and not is_check:
            time.sleep(delay)
        if self.drop:
            return None
        if self.respond is not None and not is_check:
            return self.respond(req)
        m = re.match(r"/status/(\d+)", req.target)
        status = int(m.group(1)) if m else self.status
        if is_check and self.check_status is not None:
            status = self.check_status
        req.status = status
        body = self.name.encode() + b"\n" + req.head + req.body
        if req.method == "HEAD":
            body = b""
        lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Other')}",
                 f"X-Server: {self.name}", "Content-Type: text/plain",
                 f"Content-Length: {len(self.name) + 1 + len(req.head) + len(req.body)}"]
        lines += [f"{n}: {v}" for n, v in self.extra_headers]
        if not self.keep_alive:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def served(self) -> list[str]:
        """The targets of the requests received, in order."""
        return [r.target for r in self.requests]


class TcpEcho(_Server):
    """Echoes every byte back. When the client half-closes, sends `farewell` then half-closes
    too. Records each connection's bytes in `received` (serial -> bytes) and whether it saw
    the client's half-close in `half_closed`. `banner` is sent first; with `close_first` the
    server half-closes right after the banner and keeps reading (no echo)."""

    def __init__(self, name: str, banner: bytes = b"", farewell: bytes = b"",
                 close_first: bool = False, host: str = LOCAL, port: int = 0):
        super().__init__(name, host, port)
        self.banner = banner
        self.farewell = farewell
        self.close_first = close_first
        self.received: dict[int, bytes] = {}
        self.half_closed: set[int] = set()
        self.peers: dict[int, tuple[str, int]] = {}

    def handle(self, conn, peer, serial):
        with self.lock_:
            self.received[serial] = b""
            self.peers[serial] = peer
        if self.banner:
            conn.sendall(self.banner)
        if self.close_first:
            conn.shutdown(socket.SHUT_WR)
        while True:
            data = conn.recv(65536)
            if not data:
                with self.lock_:
                    self.half_closed.add(serial)
                if not self.close_first:
                    if self.farewell:
                        conn.sendall(self.farewell)
                    conn.shutdown(socket.SHUT_WR)
                return
            with self.lock_:
                self.received[serial] += data
            if not self.close_first:
                conn.sendall(data)


class SmtpServer(_Server):
    """A tiny SMTP responder: a 220 banner, 250 to HELO/EHLO, 221 to QUIT, 500 otherwise.
    `commands` lists every command line received."""

    def __init__(self, name: str, banner: str = "220 smtp.test ESMTP ready", host: str = LOCAL,
                 port: int = 0):
        super().__init__(name, host, port)
        self.banner = banner  # may be changed while running: read at each connection
        self.commands: list[str] = []

    def handle(self, conn, peer, serial):
        conn.sendall(self.banner.encode() + b"\r\n")
        reader = _Reader(conn)
        while True:
            line = reader.until(b"\r\n")
            if line is None:
                return
            cmd = line.decode("latin-1").strip()
            with self.lock_:
                self.commands.append(cmd)
            verb = cmd.split(" ")[0].upper()
            if verb in ("HELO", "EHLO"):
                conn.sendall(b"250 smtp.test\r\n")
            elif verb == "QUIT":
                conn.sendall(b"221 smtp.test closing\r\n")
                return
            else:
                conn.sendall(b"500 unknown command\r\n")


# --- Clients --------------------------------------------------------------------------------


@dataclass
class Response:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    head: bytes  # exact bytes of the status line and headers
    raw: bytes  # head + body as on the wire
    interim: list["Response"] = field(default_factory=list)  # 1xx answers before this one

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for n, v in self.headers if n.lower() == name.lower()]


class Client:
    """A raw HTTP/1 connection to the proxy: send exact bytes, read answers one by one."""

    def __init__(self, port: int, host: str = LOCAL, source: str | None = None,
                 timeout: float = 3.0):
        self.sock = socket.socket()
        self.sock.settimeout(timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.reader_ = _Reader(self.sock)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data: bytes | str) -> "Client":
        self.sock.sendall(data.encode("latin-1") if isinstance(data, str) else data)
        return self

    def request(self, method: str = "GET", target: str = "/", headers=(), body: bytes = b"",
                host: str = "test") -> "Client":
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"] if host else \
            [f"{method} {target} HTTP/1.1"]
        lines += [f"{n}: {v}" for n, v in headers]
        if body and not any(n.lower() in ("content-length", "transfer-encoding")
                            for n, _ in headers):
            lines.append(f"Content-Length: {len(body)}")
        return self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def response(self, method: str = "GET") -> Response:
        """The next final response (1xx answers collected in `interim`)."""
        interim = []
        while True:
            r = self._one(method)
            if 100 <= r.status < 200 and r.status != 101:
                interim.append(r)
                continue
            r.interim = interim
            return r

    def _one(self, method: str) -> Response:
        head = self.reader_.until(b"\r\n\r\n")
        if head is None:
            raise ConnectionClosed(f"closed before a response; got {self.reader_.buf_!r}")
        line, headers = parse_head(head)
        version, status, reason = (line.split(" ", 2) + ["", ""])[:3]
        status = int(status)
        lower = {n.lower(): v for n, v in headers}
        raw_body = b""
        body = b""
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            pass
        elif "chunked" in lower.get("transfer-encoding", "").lower():
            got = self.reader_.chunked()
            if got is None:
                raise ConnectionClosed("closed inside a chunked body")
            body, raw_body = got
        elif "content-length" in lower:
            body = self.reader_.exactly(int(lower["content-length"]))
            if body is None:
                raise ConnectionClosed("closed inside a body")
            raw_body = body
        else:
            body = raw_body = self.reader_.rest()
        return Response(version, status, reason, headers, body, head, head + raw_body)

    def line(self) -> bytes | None:
        """The next line, CRLF included (None if the peer closed first)."""
        return self.reader_.until(b"\r\n")

    def rest(self) -> bytes:
        """Everything until the peer closes (or the timeout)."""
        return self.reader_.rest()

    @property
    def eof(self) -> bool:
        """The peer closed its side (seen by a read)."""
        return self.reader_.eof_

    def closed(self, timeout: float = 1.0) -> bool:
        """True if the peer closes (or resets) within `timeout` with nothing more to read."""
        self.sock.settimeout(timeout)
        try:
            extra = self.reader_.buf_ or self.sock.recv(1)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        return extra == b""


class ConnectionClosed(AssertionError):
    pass


def get(port: int, target: str = "/", headers=(), method: str = "GET", body: bytes = b"",
        source: str | None = None, host: str = "test") -> Response:
    """One request on a fresh connection, the response, then close."""
    with Client(port, source=source) as c:
        return c.request(method, target, headers, body, host).response(method)


def exchange(port: int, data: bytes, timeout: float = 2.0) -> bytes:
    """Send raw bytes and return everything the proxy answers until it closes."""
    with Client(port, timeout=timeout) as c:
        c.send(data)
        return c.rest()


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
