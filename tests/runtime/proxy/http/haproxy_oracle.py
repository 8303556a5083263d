#!/usr/bin/python3
"""Runs Debian's real haproxy on loopback between a raw client and a recording backend, so the
HTTP/1 message layer's choices (what is rejected, what is written onwards, the built-in error
pages) can be re-checked against it. Standard library only; every process it starts it stops.

Used by replay_haproxy.py; not part of ctest (it needs haproxy and takes a few seconds).
"""

import os
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def read_response(sock, timeout, head_request=False):
    """Bytes of one response (head, then Content-Length or chunked body, or up to close)."""
    data = b''
    deadline = time.monotonic() + timeout
    def more():
        nonlocal data
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return False
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return False
        if not chunk:
            return False
        data += chunk
        return True
    while b'\r\n\r\n' not in data:
        if not more():
            return data
    head, _, body = data.partition(b'\r\n\r\n')
    lines = head.split(b'\r\n')
    status = int(lines[0].split()[1]) if len(lines[0].split()) > 1 else 0
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(b':')
        fields[name.strip().lower()] = value.strip()
    if head_request or status in (204, 304) or 100 <= status < 200:
        return data
    if b'content-length' in fields:
        want = len(head) + 4 + int(fields[b'content-length'])
        while len(data) < want and more():
            pass
        return data
    if fields.get(b'transfer-encoding', b'').lower() == b'chunked':
        while not data.endswith(b'0\r\n\r\n') and more():
            pass
        return data
    while more():
        pass
    return data


class backend:
    """A loopback server recording the bytes of each connection. `respond(bytes_so_far)` gives
    the bytes to answer once the request looks complete (None: wait for more)."""

    def __init__(self, respond=None, idle=0.15):
        self.port_ = free_port()
        self.received_ = []  # one bytes object per connection
        self.respond_ = respond or (lambda data: b'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')
        self.idle_ = idle
        self.sock_ = socket.socket()
        self.sock_.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock_.bind(('127.0.0.1', self.port_))
        self.sock_.listen(64)
        self.stop_ = False
        self.lock_ = threading.Lock()
        self.thread_ = threading.Thread(target=self.serve, daemon=True)
        self.thread_.start()

    def serve(self):
        while not self.stop_:
            r, _, _ = select.select([self.sock_], [], [], 0.1)
            if not r:
                continue
            try:
                conn, _ = self.sock_.accept()
            except OSError:
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        with self.lock_:
            index = len(self.received_)
            self.received_.append(b'')
        with conn:
            while True:
                # A request is taken as complete when nothing more arrives for `idle` seconds.
                r, _, _ = select.select([conn], [], [], self.idle_)
                if r:
                    try:
                        chunk = conn.recv(65536)
                    except ConnectionResetError:
                        return
                    if not chunk:
                        return
                    with self.lock_:
                        self.received_[index] += chunk
                    continue
                with self.lock_:
                    data = self.received_[index]
                if not data:
                    continue
                answer = self.respond_(data)
                if answer is None:
                    continue
                try:
                    conn.sendall(answer)
                except OSError:
                    return
                # One exchange per connection keeps the records simple.
                time.sleep(0.05)
                return

    def take(self):
        with self.lock_:
            got, self.received_ = self.received_, []
        return got

    def close(self):
        self.stop_ = True
        self.sock_.close()
        self.thread_.join(1)


DEFAULTS = """
defaults
  mode http
  timeout connect 1s
  timeout client 3s
  timeout server 3s
  timeout http-request 1s
"""


class haproxy:
    """`haproxy -db -f cfg` with a frontend on a free loopback port. `frontend_extra` and
    `backend_lines` are spliced into the frontend and the backend sections."""

    def __init__(self, backend_port, frontend_extra='', backend_lines=None, defaults=DEFAULTS,
                 global_extra=''):
        if shutil.which('haproxy') is None:
            raise RuntimeError('haproxy is not installed')
        self.port_ = free_port()
        self.dir_ = tempfile.mkdtemp(prefix='tandem-oracle-')
        if backend_lines is None:
            backend_lines = f'  server s1 127.0.0.1:{backend_port}\n'
        cfg = (f'global\n  maxconn 100\n{global_extra}\n{defaults}\n'
               f'frontend fe\n  bind 127.0.0.1:{self.port_}\n{frontend_extra}\n'
               f'  default_backend be\n'
               f'backend be\n{backend_lines}\n')
        self.cfg_ = os.path.join(self.dir_, 'haproxy.cfg')
        with open(self.cfg_, 'w') as f:
            f.write(cfg)
        self.log_ = open(os.path.join(self.dir_, 'haproxy.log'), 'w+')
        self.proc_ = subprocess.Popen(['haproxy', '-db', '-f', self.cfg_], stdout=self.log_,
                                      stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.proc_.poll() is not None:
                self.log_.seek(0)
                log = self.log_.read()
                self.close()
                raise RuntimeError('haproxy exited: ' + log)
            try:
                socket.create_connection(('127.0.0.1', self.port_), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError('haproxy did not listen')

    def exchange(self, data, timeout=2.0, head_request=False, pause=0.0):
        """Sends `data` (bytes, or a list of bytes sent `pause` seconds apart) on a new
        connection and returns the bytes of the first response (b'' if none)."""
        with socket.create_connection(('127.0.0.1', self.port_), 2) as s:
            for part in data if isinstance(data, list) else [data]:
                s.sendall(part)
                if pause:
                    time.sleep(pause)
            return read_response(s, timeout, head_request)

    def close(self):
        if self.proc_.poll() is None:
            self.proc_.terminate()
            try:
                self.proc_.wait(3)
            except subprocess.TimeoutExpired:
                self.proc_.kill()
                self.proc_.wait()
        self.log_.close()
        shutil.rmtree(self.dir_, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def status_of(response):
    """The status code of a response's first line, or 0 if there is none."""
    parts = response.split(b'\r\n', 1)[0].split()
    if len(parts) >= 2 and parts[0].startswith(b'HTTP/') and parts[1].isdigit():
        return int(parts[1])
    return 0
