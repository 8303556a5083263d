#!/usr/bin/env python3
"""Measures which server Debian's real HAProxy picks, request after request, for the balance
algorithms runtime/proxy/balance reimplements; the unit tests next to this script hold what it
printed as their expectations.

Run: python3 tests/runtime/proxy/balance/measure_haproxy_order.py [--only NAME...] [--out FILE]
It prints JSON: {scenario: [[picks of step 1], [picks of step 2], ...]} (a CLI step gives []).

Everything stays on loopback: small backends in this process answer their own name, `haproxy -db`
listens on a free 127.0.0.1 port, each request is its own connection (`Connection: close`),
source hashing binds the client to other 127.0.0.0/8 addresses, and run-time changes go
through haproxy's stats socket (a file in a temporary directory). haproxy is stopped in a
`finally`, also when a step fails.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

LOOPBACK = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class named_backend:
    """A TCP server that answers every connection with its name (as an HTTP response, which
    a TCP-mode client reads just as well) once it has read a blank line."""

    def __init__(self, name):
        self.name_ = name
        self.sock_ = socket.socket()
        self.sock_.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock_.bind((LOOPBACK, 0))
        self.sock_.listen(64)
        self.port_ = self.sock_.getsockname()[1]
        self.thread_ = threading.Thread(target=self.serve, daemon=True)
        self.thread_.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock_.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        with conn:
            conn.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                body = self.name_.encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                             % (len(body), body))
            except OSError:
                pass

    def close(self):
        self.sock_.close()


def ask(port, payload, source=LOOPBACK, timeout=5.0):
    """Sends one request on a new connection from `source`; returns the server's name or the
    HTTP status line haproxy answered with (e.g. "503")."""
    with socket.socket() as s:
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect((LOOPBACK, port))
        s.sendall(payload)
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split(b" ")
    if len(status) < 2 or status[1] != b"200":
        return status[1].decode() if len(status) > 1 else "closed"
    return body.decode()


def http_get(uri, headers=None):
    # haproxy refuses an absolute URI whose authority differs from the Host header.
    host = uri.split("://", 1)[1].split("/", 1)[0] if "://" in uri else "tandem.test"
    lines = [f"GET {uri} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines = [line for line in lines if not line.lower().startswith(name.lower() + ":")]
        if value is not None:
            lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode()


def rdp_request(cookie):
    # An X.224 connection request as mstsc sends it: 11 bytes of TPKT/X.224 header, then the
    # cookie line. haproxy only reads the cookie line; the blank line ends it for our backend.
    head = bytes([3, 0, 0, 0, 0, 0xE0, 0, 0, 0, 0, 0])
    line = f"Cookie: mstshash={cookie}\r\n" if cookie is not None else "no cookie\r\n"
    return head + line.encode() + b"\r\n"


def cli(sock_path, command):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(sock_path)
        s.sendall(command.encode() + b"\n")
        out = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    return out.decode().strip()


def run_scenario(scenario, workdir):
    servers = scenario["servers"]
    backends = {name: named_backend(name) for name, *_ in servers}
    port = free_port()
    sock_path = os.path.join(workdir, "admin.sock")
    mode = scenario.get("mode", "http")
    server_lines = "\n".join(
        f"  server {name} {LOOPBACK}:{backends[name].port_} weight {weight} {' '.join(extra)}"
        for name, weight, *extra in servers)
    backend_extra = "\n".join("  " + line for line in scenario.get("backend", []))
    frontend_extra = "\n".join("  " + line for line in scenario.get("frontend", []))
    cfg = f"""global
  nbthread 1
  stats socket {sock_path} level admin
defaults
  mode {mode}
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend f
  bind {LOOPBACK}:{port}
{frontend_extra}
  default_backend b
backend b
  balance {scenario['balance']}
{backend_extra}
{server_lines}
"""
    cfg_path = os.path.join(workdir, "haproxy.cfg")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    proc = subprocess.Popen(["haproxy", "-db", "-f", cfg_path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 5
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"haproxy exited: {proc.stderr.read().decode()}\n{cfg}")
            try:
                socket.create_connection((LOOPBACK, port), timeout=0.2).close()
                if os.path.exists(sock_path):
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("haproxy did not start listening")
            time.sleep(0.05)
        results = []
        for step in scenario["steps"]:
            kind = step[0]
            if kind == "get":
                results.append([ask(port, http_get("/")) for _ in range(step[1])])
            elif kind == "uris":
                results.append([ask(port, http_get(uri)) for uri in step[1]])
            elif kind == "sources":
                results.append([ask(port, http_get("/"), source=src) for src in step[1]])
            elif kind == "header":
                results.append([ask(port, http_get("/", {step[1]: v})) for v in step[2]])
            elif kind == "rdp":
                results.append([ask(port, rdp_request(c)) for c in step[1]])
            elif kind == "cli":
                out = cli(sock_path, step[1])
                if out:
                    raise RuntimeError(f"{step[1]!r} answered {out!r}")
                results.append([])
            else:
                raise ValueError(kind)
        return results
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for b in backends.values():
            b.close()


def three(w1=1, w2=1, w3=1, extra=((), (), ())):
    return [("s1", w1, *extra[0]), ("s2", w2, *extra[1]), ("s3", w3, *extra[2])]


URIS = ["/", "/index.html", "/a", "/b", "/c", "/img/logo.png", "/api/v1/users?id=42",
        "/api/v1/users?id=43", "/static/css/site.css", "/search?q=tandem", "/x/y/z",
        "/foo/bar/baz?x=1", "/UPPER/case", "/a/b/c/d/e/f", "/" + "long" * 20, "/%C3%A9t%C3%A9",
        "/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8"]
ABSOLUTE_URIS = ["http://example.com/a", "http://example.com/b?x=1", "http://other.test/a",
                 "https://example.com:8443/img/logo.png", "/a", "/b?x=1", "/img/logo.png"]
SOURCES = [f"127.0.0.{i}" for i in range(1, 25)] + [
    "127.1.2.3", "127.200.100.50", "127.255.255.254", "127.10.0.1", "127.0.1.0", "127.128.0.7"]
HOSTS = ["www.example.com", "example.com", "a.b.c.example.org", "localhost", "haproxy.1wt.eu",
         "api.tandem.test:8080", "www.example.net", "shop.example.com", "x.y", "single", ".lead",
         "trail.", "www.Example.COM"]
USERS = ["/?userid=alice", "/p?x=1&userid=bob", "/p?userid=carol&x=2", "/p?userid=",
         "/p?userid=dave", "/p?myuserid=erin&userid=frank", "/p?userid=alice",
         "/p?userid=grace&userid=heidi", "/p?user=ivan", "/nothing", "/p?userid=judy"]
USER_HEADER = ["alice", "bob", "carol", "dave", "erin", "frank", "alice", "grace, heidi",
               "  ivan  ", "\"judy,x\", y"]

SCENARIOS = []


def scenario(name, balance, servers, steps, **kw):
    SCENARIOS.append(dict(name=name, balance=balance, servers=servers, steps=steps, **kw))


# roundrobin: the order of fwrr for a few weight sets, then run-time weight and state changes.
for ws in [(1, 1, 1), (3, 1), (3, 2, 1), (5, 1, 2, 7), (2, 3), (1, 2)]:
    names = [f"s{i + 1}" for i in range(len(ws))]
    scenario("roundrobin_w" + "_".join(map(str, ws)), "roundrobin",
             [(n, w) for n, w in zip(names, ws)], [("get", 3 * sum(ws))])
scenario("roundrobin_set_weight", "roundrobin", three(),
         [("get", 5), ("cli", "set weight b/s1 3"), ("get", 15), ("cli", "set weight b/s2 0"),
          ("get", 8), ("cli", "set weight b/s2 2"), ("get", 14), ("cli", "set weight b/s3 5"),
          ("get", 16)])
scenario("roundrobin_state", "roundrobin", three(),
         [("get", 4), ("cli", "set server b/s2 state maint"), ("get", 4),
          ("cli", "set server b/s2 state ready"), ("get", 9), ("cli", "set server b/s1 state maint"),
          ("cli", "set server b/s3 state maint"), ("get", 3), ("cli", "set server b/s3 state ready"),
          ("get", 6)])
scenario("roundrobin_backup_first", "roundrobin",
         [("s1", 1, "disabled"), ("b1", 1, "backup"), ("b2", 1, "backup")], [("get", 4)])
scenario("roundrobin_allbackups", "roundrobin",
         [("s1", 1, "disabled"), ("b1", 1, "backup"), ("b2", 2, "backup"), ("b3", 1, "backup")],
         [("get", 12)], backend=["option allbackups"])
scenario("roundrobin_failover", "roundrobin",
         [("s1", 1), ("s2", 1), ("b1", 1, "backup"), ("b2", 1, "backup")],
         [("get", 3), ("cli", "set server b/s1 state maint"), ("cli", "set server b/s2 state maint"),
          ("get", 3), ("cli", "set server b/b1 state maint"), ("get", 2),
          ("cli", "set server b/b1 state ready"), ("get", 2), ("cli", "set server b/s2 state ready"),
          ("get", 3), ("cli", "set server b/s1 state maint"), ("cli", "set server b/s2 state maint"),
          ("cli", "set server b/s1 state ready"), ("get", 2), ("cli", "set weight b/s1 0"), ("get", 2)])

# static-rr: the weighted map, and a map rebuilt after a state change.
for ws in [(1, 1, 1), (3, 1), (3, 2, 1), (5, 1, 2, 7), (2, 4, 6)]:
    names = [f"s{i + 1}" for i in range(len(ws))]
    scenario("static_rr_w" + "_".join(map(str, ws)), "static-rr",
             [(n, w) for n, w in zip(names, ws)], [("get", 2 * sum(ws))])
scenario("static_rr_state", "static-rr", three(1, 2, 1),
         [("get", 5), ("cli", "set server b/s2 state maint"), ("get", 5),
          ("cli", "set server b/s2 state ready"), ("get", 9), ("cli", "set weight b/s3 0"),
          ("get", 4)])
# The first backup alone takes the traffic, whatever weights the other backups have.
scenario("static_rr_backup_weights", "static-rr",
         [("s1", 1, "disabled"), ("b1", 2, "backup"), ("b2", 2, "backup")], [("get", 6)])
scenario("static_rr_allbackups", "static-rr",
         [("s1", 1, "disabled"), ("b1", 2, "backup"), ("b2", 1, "backup")], [("get", 6)],
         backend=["option allbackups"])

# leastconn: sequential requests leave every server idle, so the tie-break order shows.
scenario("leastconn_w1_1_1", "leastconn", three(), [("get", 9)])
scenario("leastconn_w3_1", "leastconn", [("s1", 3), ("s2", 1)], [("get", 6)])
scenario("leastconn_state", "leastconn", three(),
         [("get", 4), ("cli", "set server b/s2 state maint"), ("get", 4),
          ("cli", "set server b/s2 state ready"), ("get", 6)])

# first: the lowest id (the "id" keyword, else the position) with a free slot.
scenario("first_ids", "first",
         [("s1", 1, "id", "3", "maxconn", "10"), ("s2", 1, "maxconn", "10"),
          ("s3", 1, "id", "1", "maxconn", "10")],
         [("get", 3), ("cli", "set server b/s3 state maint"), ("get", 2)])

# source: map-based and consistent, several weights, explicit ids, hash functions.
for ht, ht_name in [(None, "map"), ("consistent", "consistent"),
                    ("map-based sdbm avalanche", "map_avalanche"), ("consistent djb2", "consistent_djb2")]:
    for ws in [(1, 1, 1), (1, 2, 3)]:
        scenario(f"source_{ht_name}_w" + "_".join(map(str, ws)), "source", three(*ws),
                 [("sources", SOURCES)], backend=[f"hash-type {ht}"] if ht else [])
scenario("source_consistent_ids", "source",
         three(extra=(("id", "7"), (), ("id", "3"))), [("sources", SOURCES)],
         backend=["hash-type consistent"])
scenario("source_consistent_down", "source", three(),
         [("sources", SOURCES), ("cli", "set server b/s2 state maint"), ("sources", SOURCES)],
         backend=["hash-type consistent"])
scenario("source_consistent_set_weight", "source", three(),
         [("cli", "set weight b/s1 3"), ("sources", SOURCES), ("cli", "set weight b/s1 1"),
          ("cli", "set weight b/s2 0"), ("sources", SOURCES)],
         backend=["hash-type consistent"])

# uri and its options, over the hash types and functions.
for ht, ht_name in [(None, "map"), ("consistent", "consistent"), ("consistent sdbm", "consistent_sdbm"),
                    ("consistent djb2", "consistent_djb2"), ("consistent wt6", "consistent_wt6"),
                    ("consistent crc32 avalanche", "consistent_crc32_avalanche"),
                    ("map-based crc32", "map_crc32"), ("map-based djb2 avalanche", "map_djb2_avalanche"),
                    ("map-based wt6", "map_wt6")]:
    for ws in [(1, 1, 1), (1, 2, 3)]:
        scenario(f"uri_{ht_name}_w" + "_".join(map(str, ws)), "uri", three(*ws),
                 [("uris", URIS)], backend=[f"hash-type {ht}"] if ht else [])
for opt, opt_name in [("whole", "whole"), ("len 5", "len5"), ("depth 2", "depth2"),
                      ("depth 1 whole", "depth1_whole"), ("len 9 depth 3", "len9_depth3")]:
    scenario(f"uri_{opt_name}_map", f"uri {opt}", three(), [("uris", URIS)])
scenario("uri_absolute_map", "uri", three(), [("uris", ABSOLUTE_URIS)])
scenario("uri_path_only_map", "uri path-only", three(), [("uris", ABSOLUTE_URIS)])
scenario("uri_path_only_whole_consistent", "uri path-only whole", three(),
         [("uris", ABSOLUTE_URIS)], backend=["hash-type consistent"])

# url_param: found, empty, absent (round robin), repeated.
scenario("url_param_map", "url_param userid", three(), [("uris", USERS)])
scenario("url_param_consistent", "url_param userid check_post", three(1, 2, 3),
         [("uris", USERS)], backend=["hash-type consistent"])

# hdr(name): plain, use_domain_only, absent header (round robin), lists in one header.
scenario("hdr_host_map", "hdr(host)", three(), [("header", "Host", HOSTS)])
scenario("hdr_host_domain_map", "hdr(Host) use_domain_only", three(), [("header", "Host", HOSTS)])
scenario("hdr_host_domain_consistent", "hdr(host) use_domain_only", three(1, 2, 3),
         [("header", "Host", HOSTS)], backend=["hash-type consistent"])
scenario("hdr_user_map", "hdr(X-User)", three(),
         [("header", "X-User", USER_HEADER), ("header", "X-User", [None] * 4)])

# rdp-cookie, in TCP mode as its users run it.
scenario("rdp_cookie_map", "rdp-cookie", three(),
         [("rdp", ["alice", "bob", "carol", "dave", "erin", "alice", "frank"])],
         mode="tcp", frontend=["tcp-request inspect-delay 2s",
                               "tcp-request content accept if RDP_COOKIE"])
scenario("rdp_cookie_consistent", "rdp-cookie(mstshash)", three(1, 2, 3),
         [("rdp", ["alice", "bob", "carol", "dave", "erin", "alice", "frank"])],
         mode="tcp", backend=["hash-type consistent"],
         frontend=["tcp-request inspect-delay 2s", "tcp-request content accept if RDP_COOKIE"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="scenario names to run (default: all)")
    parser.add_argument("--out", help="write the JSON there instead of stdout")
    args = parser.parse_args()
    version = subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    results = {"haproxy": version}
    for sc in SCENARIOS:
        if args.only and sc["name"] not in args.only:
            continue
        with tempfile.TemporaryDirectory(prefix="tandem-balance-") as workdir:
            results[sc["name"]] = run_scenario(sc, workdir)
        print(sc["name"], file=sys.stderr)
    # One scenario per line: easy to diff against a later run and to copy into a test.
    text = "{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in results.items()) + "\n}"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
