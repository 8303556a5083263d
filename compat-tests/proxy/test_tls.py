"""TLS as HAProxy 2.6 terminates it and speaks it to servers, against both implementations:
`bind … ssl crt DIR` with SNI choosing the certificate (curl --resolve NAME:PORT:127.0.0.1
--cacert checks it), ssl_fc / ssl_fc_sni in ACLs, `redirect scheme https if !{ ssl_fc }`, ALPN
with h2 offered (HAProxy speaks HTTP/2, Tandem HTTP/1.1: docs/compat.md), `server … ssl`
with verify none and required to a TLS backend, TLS in mode tcp, the error for a missing or
unreadable certificate, and seed 002's OpenStack frontends.

The certificates are made by the test with `openssl req` in a temporary directory: a CA and
certificates for a.test and b.test signed by it (no private key lives in the repository).
"""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import proxy_support as ps
from proxy_support import Client, HttpServer, TcpEcho, config, get

REPO = Path(__file__).resolve().parents[2]
OPENSTACK = REPO / "examples" / "blog-configs" / "002-centos7-openstack" / \
    "openstack.haproxy.reconstructed.cfg"


@dataclass
class Pki:
    dir: Path
    ca: Path  # the CA's certificate (curl --cacert)
    a: Path   # a.test (SANs a.test, alt-a.test), certificate and key in one PEM
    b: Path   # b.test
    certs: Path  # a directory: 1-a.pem, 2-b.pem

    def make(self, name: str, cn: str, sans: str) -> Path:
        d = self.dir
        key, csr, crt, ext = (d / f"{name}.{x}" for x in ("key", "csr", "crt", "ext"))
        run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={cn}"])
        ext.write_text(f"subjectAltName={sans}\n")
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", d / "ca.key",
             "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext])
        pem = d / f"{name}.pem"
        pem.write_bytes(crt.read_bytes() + key.read_bytes())
        return pem


def run(argv) -> None:
    subprocess.run([str(a) for a in argv], check=True, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days", "2",
         "-subj", "/CN=Tandem Test CA"])
    p = Pki(d, d / "ca.pem", Path(), Path(), d / "certs")
    p.a = p.make("a", "a.test", "DNS:a.test,DNS:alt-a.test")
    p.b = p.make("b", "b.test", "DNS:b.test")
    p.certs.mkdir()
    (p.certs / "1-a.pem").write_bytes(p.a.read_bytes())
    (p.certs / "2-b.pem").write_bytes(p.b.read_bytes())
    return p


@dataclass
class CurlResult:
    status: int
    version: str  # "1.1", "2"
    body: str


def curl(port: int, name: str, pki: Pki, path: str = "/", *options: str) -> CurlResult:
    """GET https://NAME:PORT/PATH with NAME resolved to 127.0.0.1 and the test CA trusted:
    curl checks that the certificate names NAME."""
    got = subprocess.run(["curl", "-sS", "--max-time", "5", "--resolve", f"{name}:{port}:127.0.0.1",
                          "--cacert", str(pki.ca), "-w", "\n%{http_code} %{http_version}",
                          *options, f"https://{name}:{port}{path}"],
                         capture_output=True, text=True, timeout=10)
    assert got.returncode == 0, got.stderr
    body, _, tail = got.stdout.rpartition("\n")
    status, version = tail.split(" ")
    return CurlResult(int(status), version, body)


def peer_name(port: int, sni: str | None, pki: Pki) -> str:
    """The CN of the certificate the proxy shows to a client sending `sni` (None: no SNI)."""
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.check_hostname = False
    with socket.create_connection(("127.0.0.1", port), timeout=3) as raw, \
            ctx.wrap_socket(raw, server_hostname=sni) as tls:
        subject = dict(x[0] for x in tls.getpeercert()["subject"])
        return subject["commonName"]


def tls_client(port: int, sni: str = "a.test") -> ssl.SSLSocket:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", port), timeout=3)
    return ctx.wrap_socket(raw, server_hostname=sni)


# --- Termination ----------------------------------------------------------------------------


def test_sni_chooses_the_certificate_of_a_directory(proxy, http_server, port, pki):
    app = http_server("app")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp} ssl crt {pki.certs}/
            http-request set-header X-SNI %[ssl_fc_sni]
            http-request set-header X-Proto %[ssl_fc_protocol]
            default_backend b
        backend b
            server app {app.addr}
    """))
    for name in ("a.test", "alt-a.test", "b.test"):
        r = curl(fp, name, pki, "/x")
        assert r.status == 200 and r.body.startswith("app\n"), r
        assert app.requests[-1].header("x-sni") == name
        assert app.requests[-1].header("x-proto") == "TLSv1.3"
    # No SNI, or a name no certificate has: the first file of the directory.
    assert peer_name(fp, None, pki) == "a.test"
    assert peer_name(fp, "other.test", pki) == "a.test"
    assert peer_name(fp, "b.test", pki) == "b.test"


def test_ssl_fc_routes_and_redirect_scheme_https(proxy, http_server, port, pki):
    a, b = http_server("a"), http_server("b")
    plain, secure = port(), port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{plain}
            bind 127.0.0.1:{secure} ssl crt {pki.a} crt {pki.b}
            http-request redirect scheme https if !{{ ssl_fc }}
            use_backend bb if {{ ssl_fc_sni b.test }}
            default_backend ba
        backend ba
            server a {a.addr}
        backend bb
            server b {b.addr}
    """))
    r = get(plain, "/path?q=1", host="www.test")
    assert r.status == 302
    assert r.header("location") == "https://www.test/path?q=1"
    assert not a.requests and not b.requests
    assert curl(secure, "a.test", pki, "/").body.startswith("a\n")
    assert curl(secure, "b.test", pki, "/").body.startswith("b\n")


def test_alpn_with_h2_offered(proxy, http_server, port, pki):
    """`alpn h2,http/1.1`: HAProxy 2.6 speaks HTTP/2 to a client that offers it; Tandem speaks
    HTTP/1.1 only and chooses http/1.1 (docs/compat.md), so curl --http2 still works."""
    app = http_server("app")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp} ssl crt {pki.a} alpn h2,http/1.1
            http-request set-header X-ALPN %[ssl_fc_alpn]
            default_backend b
        backend b
            server app {app.addr}
    """))
    r = curl(fp, "a.test", pki, "/", "--http2")
    assert r.status == 200 and r.body.startswith("app\n")
    expected = {"haproxy": ("2", "h2"), "tandem": ("1.1", "http/1.1")}[proxy.impl]
    assert (r.version, app.requests[-1].header("x-alpn")) == expected
    r = curl(fp, "a.test", pki, "/", "--http1.1")
    assert (r.status, r.version, app.requests[-1].header("x-alpn")) == (200, "1.1", "http/1.1")


def test_tls_in_mode_tcp(proxy, servers, port, pki):
    """Termination then relay: the server sees the clear bytes; half-closes cross over TLS
    (the server's FIN reaches the client as close_notify, and the client may still send)."""
    echo = TcpEcho("echo").start()
    quiet = TcpEcho("quiet", banner=b"hello\n", close_first=True).start()
    servers.extend([echo, quiet])
    fp, fq = port(), port()
    proxy.start(config(f"""
        listen echo
            bind 127.0.0.1:{fp} ssl crt {pki.a}
            server echo {echo.addr}
        listen quiet
            bind 127.0.0.1:{fq} ssl crt {pki.a}
            server quiet {quiet.addr}
    """, mode="tcp"))
    with tls_client(fp) as t:
        t.sendall(b"ping\n")
        got = b""
        while len(got) < 5:
            got += t.recv(100)
        assert got == b"ping\n"
    with tls_client(fq) as t:
        got = b""
        while chunk := t.recv(100):  # ends at the close_notify
            got += chunk
        assert got == b"hello\n"
        t.sendall(b"late\n")
        assert ps.wait_until(lambda: quiet.received.get(1) == b"late\n"), quiet.received


def test_handshake_bounded_by_timeout_client(proxy, http_server, port, pki):
    """A client that connects and says nothing is closed after `timeout client` (the
    handshake's limit, HAProxy's Th); the next one is served."""
    app = http_server("app")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp} ssl crt {pki.a}
            default_backend b
        backend b
            server app {app.addr}
    """, defaults="timeout client 300ms"))
    with Client(fp, timeout=3) as c:
        started = time.monotonic()
        assert c.rest() == b""  # closed without a byte
        waited = time.monotonic() - started
    assert 0.25 < waited < 1.5, waited
    assert curl(fp, "a.test", pki).status == 200
    assert len(app.requests) == 1


# --- TLS to servers ---------------------------------------------------------------------------


class TlsHttpServer(HttpServer):
    """HttpServer over TLS with one certificate; records the SNI of each handshake."""

    def __init__(self, name: str, pem: Path):
        super().__init__(name)
        self.ctx_ = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx_.load_cert_chain(str(pem))
        self.names: list[str | None] = []
        self.ctx_.sni_callback = lambda sock, name, ctx: self.names.append(name)

    def handle(self, conn, peer, serial):
        try:
            tls = self.ctx_.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().handle(tls, peer, serial)


def test_server_ssl_verify_none_and_required(proxy, servers, port, pki):
    backend = TlsHttpServer("tls-app", pki.a).start()
    servers.append(backend)
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            use_backend checked if {{ path_beg /checked }}
            use_backend wrong if {{ path_beg /wrong }}
            default_backend unchecked
        backend unchecked
            server s {backend.addr} ssl verify none
        backend checked
            server s {backend.addr} ssl verify required ca-file {pki.ca} sni str(a.test)
        backend wrong
            server s {backend.addr} ssl verify required ca-file {pki.ca} sni str(b.test)
    """))
    r = get(fp, "/plain")
    assert r.status == 200 and r.body.startswith(b"tls-app\n"), r.raw
    assert backend.names[-1] is None  # no sni: none sent
    r = get(fp, "/checked")
    assert r.status == 200 and r.body.startswith(b"tls-app\n"), r.raw
    assert backend.names[-1] == "a.test"
    # The certificate does not name b.test: every attempt fails, HAProxy's 503.
    assert get(fp, "/wrong").status == 503
    assert backend.requests[-1].target == "/checked"


def test_health_checks_over_tls(proxy, servers, http_server, port, pki):
    """A server with `ssl` is checked over TLS (httpchk's request goes through it; a connect
    check completes the handshake, HAProxy's Layer6); TLS to a server that does not speak it
    fails the check: Layer6 timeout when it waits for more (an HTTP server reading a head)."""
    tls_app = TlsHttpServer("tls-app", pki.a).start()
    tls_tcp = TlsHttpServer("tls-tcp", pki.a).start()
    servers.extend([tls_app, tls_tcp])
    plain = http_server("plain")
    echo = TcpEcho("echo").start()  # echoes the ClientHello: not a TLS answer
    servers.append(echo)
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            use_backend tcpchk if {{ path_beg /tcp }}
            use_backend wrong if {{ path_beg /wrong }}
            default_backend httpchk
        backend httpchk
            option httpchk GET /health
            server s {tls_app.addr} ssl verify none check inter 200ms
        backend tcpchk
            server s {tls_tcp.addr} ssl verify none check inter 200ms
        backend wrong
            server s {plain.addr} ssl verify none check inter 200ms fall 1
        backend garbled
            server s {echo.addr} ssl verify none check inter 200ms fall 1
    """))
    assert ps.wait_until(lambda: len(tls_app.checks) >= 2, timeout=5), proxy.stderr
    assert tls_app.checks[0].target == "/health"
    proxy.wait_stderr(r"Server wrong/s is DOWN, reason: Layer6 timeout, check duration: "
                      r"2\d\dms\. 0 active", timeout=5)
    proxy.wait_stderr(r"Server garbled/s is DOWN, reason: Layer6 invalid response, info: "
                      r"\"SSL handshake failure\", check duration: \d+ms", timeout=5)
    assert "httpchk/s is DOWN" not in proxy.stderr and "tcpchk/s is DOWN" not in proxy.stderr
    assert get(fp, "/").status == 200
    assert get(fp, "/tcp").status == 200
    assert get(fp, "/wrong").status == 503


class ProxiedTlsHttpServer(TlsHttpServer):
    """TlsHttpServer behind a PROXY v1 line in clear (send-proxy), kept in `proxy_lines`."""

    def __init__(self, name: str, pem: Path):
        super().__init__(name, pem)
        self.proxy_lines: list[bytes] = []

    def handle(self, conn, peer, serial):
        line = b""
        while not line.endswith(b"\r\n") and len(line) < 108:
            byte = conn.recv(1)
            if not byte:
                return
            line += byte
        self.proxy_lines.append(line)
        super().handle(conn, peer, serial)


def test_proxy_protocol_around_tls(proxy, servers, port, pki):
    """`bind … accept-proxy ssl`: the PROXY header comes in clear before the ClientHello;
    `server … send-proxy ssl`: it goes in clear before the handshake."""
    backend = ProxiedTlsHttpServer("behind", pki.a).start()
    servers.append(backend)
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp} accept-proxy ssl crt {pki.a}
            http-request set-header X-Src %[src]
            default_backend b
        backend b
            server s {backend.addr} send-proxy ssl verify none
    """))
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    with socket.create_connection(("127.0.0.1", fp), timeout=3) as raw:
        raw.sendall(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 443\r\n")
        with ctx.wrap_socket(raw, server_hostname="a.test") as tls:
            tls.sendall(b"GET /p HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
            got = b""
            while chunk := tls.recv(65536):
                got += chunk
    assert got.startswith(b"HTTP/1.1 200 "), got
    assert backend.requests[-1].header("x-src") == "192.0.2.7"
    assert re.fullmatch(rb"PROXY TCP4 192\.0\.2\.7 127\.0\.0\.1 40000 443\r\n",
                        backend.proxy_lines[-1]), backend.proxy_lines


# --- Configuration errors ---------------------------------------------------------------------


def start_error(proxy, text: str) -> str:
    with pytest.raises(ps.ProxyFailed) as failed:
        proxy.start(text, ports=[1])
    return str(failed.value)


def bind_line(text: str) -> int:
    return next(n for n, ln in enumerate(text.split("\n"), 1) if ln.strip().startswith("bind"))


def test_a_missing_certificate_file(proxy, port, pki, tmp_path):
    missing = tmp_path / "missing.pem"
    text = config(f"""
        frontend fe
            bind 127.0.0.1:{port()} ssl crt {missing}
    """)
    out = start_error(proxy, text)
    # Both stop with an alert at the bind line naming the file; HAProxy says "unable to stat
    # SSL certificate from file", Tandem's checker "cannot find file".
    line = bind_line(text)
    assert re.search(rf"\[ALERT\].*haproxy\.cfg:{line}\].*'{re.escape(str(missing))}'", out), out


def test_an_unreadable_certificate_or_one_without_its_key(proxy, port, pki, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    text = config(f"""
        frontend fe
            bind 127.0.0.1:{port()} ssl crt {junk}
    """)
    out = start_error(proxy, text)
    assert (f"haproxy.cfg:{bind_line(text)}] : 'bind 127.0.0.1:" in out and
            f"' in section 'frontend' : unable to load certificate from file '{junk}'." in out), out
    nokey = tmp_path / "nokey.pem"
    nokey.write_bytes(pki.dir.joinpath("a.crt").read_bytes())
    proxy.stop()
    out = start_error(proxy, config(f"""
        frontend fe
            bind 127.0.0.1:{port()} ssl crt {nokey}
    """))
    assert f"' in section 'frontend' : No Private Key found in '{nokey}.key'." in out, out


def test_check_mode_loads_the_certificates(impl_name, tandem_bin, tmp_path, pki):
    """`haproxy -c` loads the certificates, as HAProxy's does: a file that is no certificate,
    or one without its key, is an alert at its line, word for word."""
    binary = str(ps.HAPROXY if impl_name == "haproxy" else tandem_bin / "haproxy")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    nokey = tmp_path / "nokey.pem"
    nokey.write_bytes(pki.dir.joinpath("a.crt").read_bytes())
    cfg = tmp_path / "t.cfg"
    for crt, alert in ((junk, f"unable to load certificate from file '{junk}'."),
                       (nokey, f"No Private Key found in '{nokey}.key'."),
                       (pki.a, None)):
        cfg.write_text(config(f"""
            frontend fe
                bind 127.0.0.1:8443 ssl crt {crt}
        """))
        got = subprocess.run([binary, "-c", "-f", "t.cfg"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=10)
        if alert is None:
            assert (got.returncode, got.stdout) == (0, "Configuration file is valid\n"), got
            continue
        alerts = [re.sub(r"^\[ALERT\] +\(\d+\) : ", "", ln) for ln in got.stderr.splitlines()
                  if ln.startswith("[ALERT]")]
        assert got.returncode == 1
        assert alerts == [f"config : parsing [t.cfg:{bind_line(cfg.read_text())}] : 'bind "
                          f"127.0.0.1:8443' in section 'frontend' : {alert}",
                          "config : Error(s) found in configuration file : t.cfg",
                          "config : Fatal errors found in configuration."], got.stderr


def test_server_verify_without_a_ca_file(proxy, port):
    out = start_error(proxy, config(f"""
        frontend fe
            bind 127.0.0.1:{port()}
            default_backend b
        backend b
            server s 127.0.0.1:1 ssl
    """))
    assert "'server b/s' : verify is enabled by default but no CA file specified." in out, out


# --- Seed 002: the OpenStack frontends ------------------------------------------------------


def openstack_twin(text: str) -> str:
    """What HAProxy 2.6 needs changed in the reconstructed OpenStack file (removed keywords):
    the seed tests' modern twin, and reqadd as http-request add-header."""
    from test_seed_configs import modern_twin
    text = modern_twin(text)
    return re.sub(r"^(\s*)reqadd ([^:]+):\\ (.*)$", r"\1http-request add-header \2 \3", text,
                  flags=re.M)


def test_002_openstack_frontends_terminate_tls(proxy, http_server, tmp_path, pki):
    """Seed 002's "example config for openstack" (placeholders filled), verbatim but for its
    addresses: every frontend terminates TLS with /home/app/cert/appcert/app.crt (made here,
    seen only by the proxy's private mount namespace) and passes X-Forwarded-Protocol: https
    (X-Forwarded-Proto for heat) and X-Forwarded-For to the controllers. curl --resolve horizon.app.com:PORT as the
    client."""
    from test_seed_configs import on_loopback
    text = OPENSTACK.read_text()
    names = re.findall(r"^\s*server\s+(\S+)", text, re.M)
    ctl = {1: http_server("ctl1"), 2: http_server("ctl2")}
    servers = {n: ctl[1 if n.endswith("1") else 2].addr for n in names}
    text, ports = on_loopback(text, servers)
    if proxy.impl == "haproxy":
        text = openstack_twin(text)
    cert = pki.make("app", "app.com", "DNS:horizon.app.com,DNS:*.app.com")
    upper, work = tmp_path / "home-upper", tmp_path / "home-work"
    (upper / "app" / "cert" / "appcert").mkdir(parents=True)
    work.mkdir()
    (upper / "app" / "cert" / "appcert" / "app.crt").write_bytes(cert.read_bytes())
    mounts = [f"mount -t overlay overlay -o lowerdir=/home,upperdir={upper},workdir={work} /home",
              "mount -t tmpfs -o mode=0755 tmpfs /run",
              "mount -t tmpfs -o mode=0755 tmpfs /var/lib/haproxy"]
    wrapper = tmp_path / "osha"
    wrapper.write_text(f"#!/bin/sh\nexec unshare --mount --propagation private -- /bin/sh -c "
                       f"'{' && '.join(mounts)} && exec \"$0\" \"$@\"' {proxy.binary_} \"$@\"\n")
    wrapper.chmod(0o755)
    proxy.binary_ = wrapper
    proxy.start(text, ports=ports)
    assert not (Path("/home/app/cert/appcert/app.crt").exists())  # only the proxy sees it
    tls_ports = ports[1:]  # the first is the stats listener
    assert len(tls_ports) == 11
    for p in tls_ports:
        r = curl(p, "horizon.app.com", pki, "/")
        assert r.status == 200 and r.body.split("\n")[0] in ("ctl1", "ctl2"), r
        got = max(ctl[1].requests + ctl[2].requests, key=lambda q: q.at)
        # (the two heat frontends name it X-Forwarded-Proto)
        assert "https" in (got.header("x-forwarded-protocol"), got.header("x-forwarded-proto"))
        assert got.header("x-forwarded-for") == "127.0.0.1"
    # cookie SERVERID insert: the answer pins the client to the controller that served it.
    r = subprocess.run(["curl", "-sS", "-D", "-", "-o", "/dev/null", "--resolve",
                        f"keystone.app.com:{tls_ports[1]}:127.0.0.1", "--cacert", str(pki.ca),
                        f"https://keystone.app.com:{tls_ports[1]}/"],
                       capture_output=True, text=True, timeout=10)
    assert re.search(r"(?im)^set-cookie: SERVERID=keystone[12]; path=/", r.stdout), r.stdout
