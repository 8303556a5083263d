"""The HAProxy configs of seed posts 000, 002, 003 and 004 (examples/blog-configs), verbatim
but for their addresses, run on loopback against local backends, and checked against what
each post says they do: round-robin alternation, cookie pinning, X-Forwarded-For, a server
failing its check leaving the rotation and coming back, a backup server, HAProxy's 503 page
when no server is left, the /static ACL routing, SMTP round robin with `smtpchk`.

How a seed file becomes the tested config (`on_loopback`): every listening address (`bind`,
or the old `listen|frontend NAME ADDR` line) becomes 127.0.0.1 with a free port, every
`server` address becomes its local backend's, and a remote syslog address becomes 127.0.0.1
(no packet may leave the machine). Nothing else changes, byte for byte: no-break spaces,
comments, `daemon`, `user`/`group`, `chroot`, `pidfile`, `stats socket` all stay. The proxy
runs as root in a private mount namespace (`seed_machine`) where the paths the posts'
machines have exist: a certificate in /etc/pki/tls/private/ (003), and private, empty /run
and /var/lib/haproxy, so that `chroot`, `pidfile` and `stats socket` work as on the post's
machine without touching this one's (nor another test's).

HAProxy 2.6 refuses seed 000, 002 and 003's ACL example as printed (removed keywords, an
address on the section line, `rspadd`): as in test_legacy_rules.py, the verbatim file runs on
Tandem and its smallest modern twin (`modern_twin`, the edits 2.6's own alerts ask for) runs
on HAProxy with the same assertions; test_haproxy_26_refuses_the_verbatim_file proves the
twin is needed.
"""

from __future__ import annotations

import base64
import grp
import pwd
import re
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

import proxy_support as ps
from proxy_support import HAPROXY, Client, get, wait_until
from test_checks import NO_SERVER_503

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "examples" / "blog-configs"
sys.path.insert(0, str(REPO / "compat-tests"))
from lab.core import self_signed_pem  # noqa: E402

S000 = SEEDS / "000-squeeze-four-machines" / "haproxy.cfg"
S002 = SEEDS / "002-centos7-openstack" / "haproxy.cfg"
S003 = {dc: SEEDS / "003-smtp-cluster-dc" / f"{dc}.haproxy.cfg" for dc in ("dc1", "dc2")}
S003_BASIC = SEEDS / "003-smtp-cluster-dc" / "basic.haproxy.cfg"
S003_ACL = SEEDS / "003-smtp-cluster-dc" / "acl-request.fragment.cfg"
S004 = SEEDS / "004-vagrant-layer4" / "haproxy.cfg"


def acl_example() -> str:
    """Post 003's "ACL Request" example is a fragment (a frontend and two backends); the
    guide's pieces go into its "basic haproxy.cfg", so the example runs after that file's
    global and defaults sections (mode http, timeouts), both verbatim."""
    basic = S003_BASIC.read_text()
    return basic[:basic.index("frontend http-in")] + S003_ACL.read_text()


# seed -> (the file's text, its server names); the servers' addresses come from the test.
SEED_FILES = {"000": (S000.read_text(), ["webA", "webB"]),
              "002": (S002.read_text(), ["static", "app1"]),
              "003-dc1": (S003["dc1"].read_text(), ["dc1server01", "dc1server02"]),
              "003-dc2": (S003["dc2"].read_text(), ["dc2server01", "dc2server02"]),
              "003-acl": (acl_example(), ["appY_01", "appY_02", "appZ_01", "appZ_02"]),
              "004": (S004.read_text(), ["web1", "web2"])}
REFUSED_BY_26 = {"000", "002", "003-acl"}

NBSP = "\u00a0"
LINE_RE = {
    "bind": re.compile(r"^(\s*bind\s+)(\S+)"),
    "section": re.compile(r"^((?:listen|frontend)\s+\S+\s+)([^\s#]+)"),
    "server": re.compile(r"^(\s*server\s+(\S+)\s+)(\S+)"),
    "log": re.compile(r"^(\s*log\s+)(\d+\.\d+\.\d+\.\d+)(?=\s)"),
}


def on_loopback(text: str, servers: dict[str, str]) -> tuple[str, list[int]]:
    """`text` with its addresses moved to loopback: each listening address gets a fresh free
    port (returned in order), each `server NAME ADDR` gets servers[NAME], each syslog address
    127.0.0.1. Every server of the file must be in `servers`."""
    out, ports, seen = [], [], set()
    for line in text.split("\n"):
        m = LINE_RE["bind"].match(line) or LINE_RE["section"].match(line)
        if m:
            ports.append(ps.free_port())
            line = m.group(1) + f"127.0.0.1:{ports[-1]}" + line[m.end(2):]
        elif m := LINE_RE["server"].match(line):
            seen.add(m.group(2))
            line = m.group(1) + servers[m.group(2)] + line[m.end(3):]
        elif m := LINE_RE["log"].match(line):
            line = m.group(1) + "127.0.0.1" + line[m.end(2):]
        out.append(line)
    assert seen == set(servers), (seen, servers)
    return "\n".join(out), ports


def modern_twin(text: str) -> str:
    """The same config in the syntax HAProxy 2.6 accepts, for the seeds it refuses: only
    what its alerts name changes (NBSP indentation, contimeout/clitimeout/srvtimeout, an
    address on the section line, rspadd); test_twins_change_only_what_haproxy_refuses
    bounds it."""
    text = text.replace(NBSP, " ")
    for old, new in (("contimeout", "timeout connect"), ("clitimeout", "timeout client"),
                     ("srvtimeout", "timeout server")):
        text = re.sub(rf"^(\s*){old}\b", rf"\g<1>{new}", text, flags=re.M)
    text = re.sub(r"^((?:listen|frontend)\s+\S+)(\s+)(127\.0\.0\.1:\d+)",
                  r"\1\n    bind \3", text, flags=re.M)
    # rspadd's backslashes escape the next character; today's words unescape the same way.
    return re.sub(r"^(\s*)rspadd ([^:]+):\\ (.*)$", r"\1http-response add-header \2 \3", text,
                  flags=re.M)


def seed_machine(proxy, tmp_path: Path, cert_dir: str | None = None) -> None:
    """Runs `proxy` in a private mount namespace with private, empty /run and
    /var/lib/haproxy, and, with `cert_dir`, /etc seen through an overlay that adds a fresh
    self-signed certificate there. The process keeps its pid (unshare and sh exec), so the
    launcher still finds its sockets and signals it directly."""
    mounts = ["mount -t tmpfs -o mode=0755 tmpfs /run",
              "mount -t tmpfs -o mode=0755 tmpfs /var/lib/haproxy"]
    if cert_dir:
        upper, work = tmp_path / "etc-upper", tmp_path / "etc-work"
        d = upper / cert_dir.removeprefix("/etc/")
        d.mkdir(parents=True)
        work.mkdir()
        (d / "seed.pem").write_bytes(self_signed_pem("seed.test"))
        mounts.insert(0, f"mount -t overlay overlay -o lowerdir=/etc,upperdir={upper},"
                         f"workdir={work} /etc")
    wrapper = tmp_path / "seed-machine"
    wrapper.write_text(f"#!/bin/sh\nexec unshare --mount --propagation private -- /bin/sh -c "
                       f"'{' && '.join(mounts)} && exec \"$0\" \"$@\"' {proxy.binary_} \"$@\"\n")
    wrapper.chmod(0o755)
    proxy.binary_ = wrapper  # where the launcher keeps its binary; nothing else changes


def run_seed(proxy, tmp_path: Path, seed: str, servers: dict[str, str],
             cert_dir: str | None = None) -> list[int]:
    """Starts `seed` on loopback under `proxy` (its modern twin on HAProxy when 2.6 refuses
    the file); the listening ports, in the file's order."""
    text, ports = on_loopback(SEED_FILES[seed][0], servers)
    if proxy.impl == "haproxy" and seed in REFUSED_BY_26:
        text = modern_twin(text)
    seed_machine(proxy, tmp_path, cert_dir)
    proxy.start(text, ports=ports)
    return ports


def served_by(port: int, n: int, target: str = "/", headers=()) -> list[str]:
    return [get(port, target, headers).header("x-server") for _ in range(n)]


def basic_auth(user: str, password: str) -> tuple[str, str]:
    return ("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())


# --- the files themselves -----------------------------------------------------------------

def placeholders(seed: str) -> dict[str, str]:
    return {name: f"127.0.0.1:{n}" for n, name in enumerate(SEED_FILES[seed][1], 1)}


@pytest.mark.parametrize("seed", sorted(SEED_FILES))
def test_rewrite_touches_addresses_only(seed):
    original, servers = SEED_FILES[seed][0], placeholders(seed)
    text, ports = on_loopback(original, servers)
    before, after = original.split("\n"), text.split("\n")
    assert len(before) == len(after)
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    addr = re.compile(r"(\*|\d+\.\d+\.\d+\.\d+|[\w.]+):\d+|\d+\.\d+\.\d+\.\d+")
    for a, b in changed:
        assert addr.sub("ADDR", a, count=1) == addr.sub("ADDR", b, count=1), (a, b)
    assert len(changed) == len(ports) + len(servers) + sum(
        1 for ln in before if LINE_RE["log"].match(ln) and "127.0.0.1" not in ln)
    # Nothing but loopback is left to talk to.
    assert not re.search(r"\b(?!127\.)\d+\.\d+\.\d+\.\d+\b", text)


@pytest.mark.parametrize("seed", sorted(REFUSED_BY_26))
def test_haproxy_26_refuses_the_verbatim_file(seed, tmp_path):
    text, _ = on_loopback(SEED_FILES[seed][0], placeholders(seed))
    verbatim, twin = tmp_path / "verbatim.cfg", tmp_path / "twin.cfg"
    verbatim.write_text(text)
    twin.write_text(modern_twin(text))
    refused = subprocess.run([HAPROXY, "-c", "-f", verbatim], capture_output=True, text=True,
                             timeout=10)
    assert refused.returncode == 1, refused.stderr
    accepted = subprocess.run([HAPROXY, "-c", "-f", twin], capture_output=True, text=True,
                              timeout=10)
    assert accepted.returncode in (0, 2), accepted.stderr  # 2: valid with warnings
    assert accepted.stdout.endswith("Configuration file is valid\n")


@pytest.mark.parametrize("seed", sorted(REFUSED_BY_26))
def test_twins_change_only_what_haproxy_refuses(seed):
    text, _ = on_loopback(SEED_FILES[seed][0], placeholders(seed))
    twin = modern_twin(text)
    removed = {"000": 3 + 1, "002": 1, "003-acl": 1}[seed]  # lines 2.6 rejects
    a = text.replace(NBSP, " ").split("\n")
    b = twin.split("\n")
    assert len(b) == len(a) + (1 if seed != "003-acl" else 0)  # `bind` on a line of its own
    assert len([ln for ln in a if ln not in b]) == removed


# --- 000: Debian Squeeze, two cache servers -----------------------------------------------


def start_000(proxy, http_server, tmp_path):
    a = http_server("webA", check_path="/check.txt")
    b = http_server("webB", check_path="/check.txt")
    (fp,) = run_seed(proxy, tmp_path, "000", {"webA": a.addr, "webB": b.addr})
    return fp, a, b


def test_000_round_robin_cookie_forwardfor(proxy, http_server, port, tmp_path):
    fp, a, b = start_000(proxy, http_server, tmp_path)
    first, second = get(fp), get(fp)
    assert [first.header("x-server"), second.header("x-server")] == ["webA", "webB"]
    # `cookie SERVERID insert`: each visitor is pinned with the server's cookie value...
    assert first.all("set-cookie") == ["SERVERID=A; path=/"]
    assert second.all("set-cookie") == ["SERVERID=B; path=/"]
    # ... and stays there.
    assert served_by(fp, 4, headers=[("Cookie", "SERVERID=B")]) == ["webB"] * 4
    assert served_by(fp, 2, headers=[("Cookie", "SERVERID=A")]) == ["webA"] * 2
    # `option forwardfor`: the cache servers see the visitor's address.
    assert all(r.all("x-forwarded-for") == ["127.0.0.1"] for r in a.requests + b.requests)
    # `option http-server-close`: a keep-alive visitor, but one server connection per request.
    with Client(fp) as c:
        for _ in range(3):
            r = c.request(headers=[("Cookie", "SERVERID=A")]).response()
            assert r.status == 200 and r.header("x-server") == "webA"
    last = a.requests[-3:]
    assert len({r.conn for r in last}) == 3
    # `option httpchk HEAD /check.txt HTTP/1.0` is what the servers are asked.
    assert wait_until(lambda: a.checks, timeout=5)
    assert a.checks[0].head == b"HEAD /check.txt HTTP/1.0\r\n\r\n"


def test_000_failing_check_leaves_rotation_and_returns(proxy, http_server, port, tmp_path):
    a = http_server("webA", check_path="/check.txt")
    b = http_server("webB", check_path="/check.txt")
    a.check_status = 404  # check.txt missing on cache server A
    (fp,) = run_seed(proxy, tmp_path, "000", {"webA": a.addr, "webB": b.addr})
    proxy.wait_stderr(r"Server webfarm/webA is DOWN, reason: Layer7 wrong status, code: 404, "
                      r".* 1 active and 0 backup servers left\.", timeout=8)
    # Even a visitor pinned to A is served by B, and re-pinned there.
    r = get(fp, headers=[("Cookie", "SERVERID=A")])
    assert r.header("x-server") == "webB" and r.all("set-cookie") == ["SERVERID=B; path=/"]
    assert served_by(fp, 4) == ["webB"] * 4
    a.check_status = None
    proxy.wait_stderr(r"Server webfarm/webA is UP, reason: Layer7 check passed, .* "
                      r"2 active and 0 backup servers online\.", timeout=8)
    assert set(served_by(fp, 4)) == {"webA", "webB"}


STATS = {"000": ("webA", "webB", "/check.txt", "user:pass"),
         "004": ("web1", "web2", "/", "admin:admin")}


@pytest.mark.parametrize("seed", sorted(STATS))
def test_stats_page_with_login(seed, proxy, http_server, port, tmp_path):
    """000: `stats enable` + `stats auth user:pass` in `listen webfarm` put the page on the
    proxy's own port at /haproxy?stats (the post's :1936 is not in its file); 004: the
    "Load balancer GUI" at /haproxy?stats, admin/admin, from a backend."""
    n1, n2, check, login = STATS[seed]
    s1, s2 = http_server(n1, check_path=check), http_server(n2, check_path=check)
    (fp,) = run_seed(proxy, tmp_path, seed, {n1: s1.addr, n2: s2.addr})
    r = get(fp, "/haproxy?stats")
    assert r.status == 401
    assert r.header("www-authenticate") == 'Basic realm="HAProxy Statistics"'
    r = get(fp, "/haproxy?stats", headers=[basic_auth(*login.split(":"))])
    assert r.status == 200 and r.header("content-type") == "text/html"
    assert b"Statistics Report" in r.body
    assert not any(q.target.startswith("/haproxy") for q in s1.requests + s2.requests)


# --- 002: CentOS 7, the /static ACL routing ------------------------------------------------


STATIC = ["/static/logo.png", "/images/a", "/javascript/app.js", "/stylesheets/site.css",
          "/STATIC/x", "/Images/b", "/staticfiles", "/page.jpg", "/a/b.GIF", "/x.png",
          "/s/site.css", "/s/app.js", "/q.JS"]
APP = ["/", "/index.html", "/app?x=.jpg", "/app/js", "/x.jsp", "/jpg", "/img/a",
       "/stylesheet"]


def test_002_static_acl_routing(proxy, http_server, port, tmp_path):
    """The post's two backends name one Apache host; here each gets its own local server so
    that the backend a request went to can be seen."""
    static, app = http_server("static"), http_server("app1")
    (fp,) = run_seed(proxy, tmp_path, "002", {"static": static.addr, "app1": app.addr})
    for target in STATIC:
        assert get(fp, target).header("x-server") == "static", target
    for target in APP:
        assert get(fp, target).header("x-server") == "app1", target
    assert static.served() == STATIC and app.served() == APP
    # `option forwardfor except 127.0.0.0/8`: a visitor on loopback gets no header.
    assert all(r.header("x-forwarded-for") is None for r in static.requests + app.requests)
    with Client(fp, source="127.0.0.2") as c:
        assert c.request(target="/").response().header("x-server") == "app1"
    assert app.requests[-1].header("x-forwarded-for") is None


def in_proxy_mounts(proxy, *argv: str) -> subprocess.CompletedProcess:
    """Runs argv in the proxy's mount namespace (the seed machine), as root, unchrooted."""
    pid = proxy.process_.pid
    return subprocess.run(["nsenter", f"--mount=/proc/{pid}/ns/mnt", "--", *argv],
                          capture_output=True, text=True, timeout=5)


def test_002_runs_as_haproxy_user_in_its_chroot(proxy, http_server, port, tmp_path):
    """The CentOS global section (`chroot /var/lib/haproxy`, `user haproxy`, `group haproxy`)
    as root: once listening, the process has given up root and sees only its chroot."""
    static, app = http_server("static"), http_server("app1")
    run_seed(proxy, tmp_path, "002", {"static": static.addr, "app1": app.addr})
    pid = proxy.process_.pid
    status = Path(f"/proc/{pid}/status").read_text()
    ids = {k: v.split() for k, v in re.findall(r"^(Uid|Gid):\s+(.*)$", status, re.M)}
    assert ids["Uid"] == [str(pwd.getpwnam("haproxy").pw_uid)] * 4
    assert ids["Gid"] == [str(grp.getgrnam("haproxy").gr_gid)] * 4
    root = in_proxy_mounts(proxy, "readlink", f"/proc/{pid}/root")
    assert root.stdout.strip() == "/var/lib/haproxy"


def test_002_stats_socket_answers(proxy, http_server, port, tmp_path):
    """`stats socket /var/lib/haproxy/stats`: the runtime API answers `show info`."""
    static, app = http_server("static"), http_server("app1")
    run_seed(proxy, tmp_path, "002", {"static": static.addr, "app1": app.addr})
    ask = ("import socket; s = socket.socket(socket.AF_UNIX); s.settimeout(2);"
           "s.connect('/var/lib/haproxy/stats'); s.sendall(b'show info\\n');"
           "print(b''.join(iter(lambda: s.recv(65536), b'')).decode())")
    got = in_proxy_mounts(proxy, sys.executable, "-c", ask)
    assert got.returncode == 0, got.stderr
    assert re.search(r"^Name: HAProxy$", got.stdout, re.M), got.stdout
    assert re.search(rf"^Pid: {proxy.process_.pid}$", got.stdout, re.M), got.stdout


def test_002_no_pidfile_in_the_foreground(proxy, http_server, port, tmp_path):
    """`pidfile /var/run/haproxy.pid` is for the daemon: started with -db, HAProxy 2.6
    writes none."""
    static, app = http_server("static"), http_server("app1")
    run_seed(proxy, tmp_path, "002", {"static": static.addr, "app1": app.addr})
    got = in_proxy_mounts(proxy, "ls", "-A", "/run")
    assert got.returncode == 0 and "haproxy.pid" not in got.stdout.split(), got.stdout


# --- 003: the SMTP cluster, mode tcp with smtpchk; the ACL/backup example --------------


def banner(port: int) -> str:
    with Client(port) as c:
        line = c.line()
        c.send(b"QUIT\r\n")
        assert c.line() == b"221 smtp.test closing\r\n"
    return line.decode().strip()


@pytest.mark.parametrize("dc", ["dc1", "dc2"])
def test_003_smtp_round_robin_with_helo_check(dc, proxy, smtp_server, port, tmp_path):
    s1 = smtp_server(f"{dc}server01", banner=f"220 {dc}server01 ESMTP Postfix")
    s2 = smtp_server(f"{dc}server02", banner=f"220 {dc}server02 ESMTP Postfix")
    stats_port, smtp_port = run_seed(proxy, tmp_path, f"003-{dc}",
                                     {s1.name: s1.addr, s2.name: s2.addr},
                                     cert_dir="/etc/pki/tls/private")
    got = [banner(smtp_port) for _ in range(4)]
    assert got == [f"220 {dc}server0{n} ESMTP Postfix" for n in (1, 2, 1, 2)]
    # `option smtpchk HELO haproxy` (s1 is checked first, then the check ends with QUIT).
    assert wait_until(lambda: "QUIT" in s1.commands, timeout=5), s1.commands
    assert s1.commands[:2] == ["HELO haproxy", "QUIT"]
    assert "is DOWN" not in proxy.stderr


def test_003_stats_over_tls(proxy, smtp_server, port, tmp_path):
    s1, s2 = smtp_server("dc1server01"), smtp_server("dc1server02")
    stats_port, _ = run_seed(proxy, tmp_path, "003-dc1", {s1.name: s1.addr, s2.name: s2.addr},
                             cert_dir="/etc/pki/tls/private")
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE

    def fetch(headers: str) -> bytes:
        with socket.create_connection(("127.0.0.1", stats_port), timeout=3) as raw, \
                ctx.wrap_socket(raw) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: dc1\r\nConnection: close\r\n{headers}\r\n"
                        .encode())
            data = b""
            while chunk := tls.recv(65536):
                data += chunk
            return data

    assert fetch("").startswith(b"HTTP/1.1 401 Unauthorized\r\n")
    page = fetch(f"{': '.join(basic_auth('admin', 'p@ssw0rd'))}\r\n")
    assert page.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Statistics Report" in page
    assert b"2.6.12" not in page and b"version" not in page  # stats hide-version
    assert b"emailservice" in page
    assert b'<form method="post">' in page  # stats admin if TRUE: drain/maintenance actions


def test_003_acl_routing_and_backup(proxy, http_server, port, tmp_path):
    """The "ACL Request" example: /appY/ to appY-backend (round robin), the rest to
    appZ-backend, where appZ_02 is a backup: serving while appZ_01 is down, idle once it is
    up. `rspadd X-Forwarded-Host` adds its header to every answer."""
    ys = [http_server(f"appY_0{n}") for n in (1, 2)]
    zs = [http_server(f"appZ_0{n}") for n in (1, 2)]
    zs[0].stop()  # down at boot: its first check fails, which is enough to take it out
    (fp,) = run_seed(proxy, tmp_path, "003-acl", {s.name: s.addr for s in ys + zs})
    proxy.wait_stderr(r"Server appZ-backend/appZ_01 is DOWN, .* 0 active and 1 backup servers "
                      r"left\. Running on backup\.", timeout=8)
    assert served_by(fp, 3, "/index.html") == ["appZ_02"] * 3
    assert served_by(fp, 4, "/appY/x") == ["appY_01", "appY_02"] * 2
    assert served_by(fp, 2, "/APPY/x") == ["appY_01", "appY_02"]
    assert get(fp, "/other").all("x-forwarded-host") == ["http:\\\\example.com"]
    zs[0].start()
    proxy.wait_stderr(r"Server appZ-backend/appZ_01 is UP", timeout=8)
    assert served_by(fp, 4, "/index.html") == ["appZ_01"] * 4


# --- 004: Vagrant, two Apache servers --------------------------------------------------------


def test_004_alternation_forwardfor_options_check(proxy, http_server, port, tmp_path):
    # `option httpchk` without arguments asks `OPTIONS /`; the visitors ask other pages here
    # so that the test can tell them apart.
    w1, w2 = http_server("web1", check_path="/"), http_server("web2", check_path="/")
    (fp,) = run_seed(proxy, tmp_path, "004", {"web1": w1.addr, "web2": w2.addr})
    assert served_by(fp, 6, "/index.html") == ["web1", "web2"] * 3
    r = get(fp, "/index.html")
    assert r.body.startswith(b"web1\n")
    assert all(q.all("x-forwarded-for") == ["127.0.0.1"] for q in w1.requests + w2.requests)
    assert wait_until(lambda: w1.checks, timeout=5)
    assert w1.checks[0].head == b"OPTIONS / HTTP/1.0\r\n\r\n"


def test_004_one_server_down(proxy, http_server, port, tmp_path):
    w1, w2 = http_server("web1", check_path="/"), http_server("web2", check_path="/")
    w1.stop()  # web1's Apache is down at boot: its first check takes it out
    (fp,) = run_seed(proxy, tmp_path, "004", {"web1": w1.addr, "web2": w2.addr})
    proxy.wait_stderr(r"Server webservers/web1 is DOWN, reason: Layer4 connection problem, "
                      r"info: \"Connection refused\", .* 1 active and 0 backup servers left\.",
                      timeout=8)
    assert served_by(fp, 4, "/index.html") == ["web2"] * 4


def test_004_both_servers_down_503(proxy, http_server, port, tmp_path):
    w1, w2 = http_server("web1", check_path="/"), http_server("web2", check_path="/")
    w1.stop()
    w2.stop()
    (fp,) = run_seed(proxy, tmp_path, "004", {"web1": w1.addr, "web2": w2.addr})
    proxy.wait_stderr(r"^\[ALERT\] +\(\d+\) : backend 'webservers' has no server available!$",
                      timeout=8)
    assert get(fp, "/index.html").raw == NO_SERVER_503
