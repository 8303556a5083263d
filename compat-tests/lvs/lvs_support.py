"""Small real servers on loopback for the LVS checker compat tests (HTTP, HTTPS with a
self-signed certificate, TCP, SMTP, DNS and UDP echo), each in a thread of the test process
and closed by its fixture, and the runner of tests/runtime/lvs/lvs_driver (see its first
lines): `check`, `run CONFIG SECONDS`, `once`, `schedule`."""

import http.server
import os
import socket
import socketserver
import ssl
import subprocess
import threading
from pathlib import Path

LOOPBACK = "127.0.0.1"


def driver_path(build_dir: Path) -> Path:
    return Path(build_dir) / "tests" / "runtime" / "lvs" / "lvs_driver"


def run_driver(build_dir, *args, timeout=30):
    return subprocess.run([str(driver_path(build_dir)), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class web_server:
    """Serves `root` over HTTP (or HTTPS with `cert`), HTTP/1.0 with Content-Length."""

    def __init__(self, root, cert=None):
        handler = lambda *a, **k: _Quiet(*a, directory=str(root), **k)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert[0], cert[1])
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220-mail.test\r\n220 mail.test ESMTP\r\n")
        line = self.rfile.readline()
        self.server.helo.append(line.decode(errors="replace"))
        self.wfile.write(b"250 mail.test\r\n")
        self.rfile.readline()
        self.wfile.write(b"221 bye\r\n")


class _TcpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        pass


class tcp_server:
    def __init__(self, handler=_TcpHandler):
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.srv = socketserver.ThreadingTCPServer((LOOPBACK, 0), handler)
        self.srv.daemon_threads = True
        self.srv.helo = []
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def smtp_server():
    return tcp_server(_SmtpHandler)


class udp_server:
    """Echo (or, with dns=True, the query back as an answer: QR set, RCODE 0)."""

    def __init__(self, dns=False):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self.dns = dns
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if self.dns and len(data) >= 12:
                data = data[:2] + bytes([data[2] | 0x80, data[3] & 0xf0]) + data[4:]
            self.sock.sendto(data, peer)

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()


def self_signed(tmp: Path):
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                    "/CN=localhost", "-days", "1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return str(cert), str(key)


def free_port():
    s = socket.socket()
    s.bind((LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def keepalived_accepts(conf: Path):
    """Debian's keepalived 2.2.7 config test (-t) on the same file: (ok, output)."""
    r = subprocess.run(["/usr/sbin/keepalived", "-t", "-f", str(conf), "-l", "-n"],
                       capture_output=True, text=True, timeout=20)
    return r.returncode == 0, r.stdout + r.stderr


def genhash(port, path, use_ssl=False):
    args = ["/usr/bin/genhash", "-s", LOOPBACK, "-p", str(port), "-u", path]
    if use_ssl:
        args.insert(1, "-S")
    r = subprocess.run(args, capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout.strip()


def lines_of(output: str):
    """The driver's log lines without their time stamps."""
    out = []
    for line in output.splitlines():
        parts = line.split(" ", 1)
        out.append(parts[1] if len(parts) == 2 and parts[0].count(":") == 2 else line)
    return out


def kill_quietly(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def env_without_tz():
    e = dict(os.environ)
    e.pop("TZ", None)
    return e


def held_request(vip, seconds):
    """argv for a client that opens a connection to vip:80, sends half an HTTP request, waits
    `seconds` (the test changes the director meanwhile), sends the rest and prints the answer:
    the connection must survive what happened in between."""
    return ["python3", "-c", f"""
import socket, sys, time
s = socket.create_connection(({vip!r}, 80), timeout=20)
s.sendall(b"GET / HTTP/1.1\\r\\nHost: vip\\r\\n")
time.sleep({seconds})
s.sendall(b"Connection: close\\r\\n\\r\\n")
sys.stdout.write(s.makefile("rb").read().decode(errors="replace"))
"""]
