"""keepalived's real-server checkers run by Tandem's LVS runtime (through the internal
tests/runtime/lvs/lvs_driver) against small real servers on loopback: every config is first
accepted by Debian's keepalived 2.2.7 (`keepalived -t`), which cannot run virtual_server on this
kernel (no IPVS: its checker process exits FATAL), so the wording compared is keepalived's
source's (check_tcp.c, check_http.c, check_misc.c, check_smtp.c, ipwrapper.c). genhash, the
digest tool Debian ships with keepalived, is the oracle for HTTP_GET/SSL_GET digests."""

import hashlib
import subprocess
import threading
import time

import pytest

from lvs_support import (LOOPBACK, driver_path, free_port, genhash, keepalived_accepts,
                         kill_quietly, lines_of, run_driver, self_signed, smtp_server, tcp_server,
                         udp_server, web_server)

BODY = b"hello from a real server\n"


@pytest.fixture
def driver(build_dir):
    if not driver_path(build_dir).exists():
        pytest.fail(f"{driver_path(build_dir)} is not built (ninja lvs_driver)")
    return build_dir


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_bytes(BODY)
    (root / "health").write_bytes(b"OK\n")
    return root


@pytest.fixture
def servers(tmp_path, site):
    made = {}
    made["http"] = web_server(site)
    made["https"] = web_server(site, cert=self_signed(tmp_path))
    made["tcp"] = tcp_server()
    made["smtp"] = smtp_server()
    made["dns"] = udp_server(dns=True)
    made["udp"] = udp_server()
    yield made
    for s in made.values():
        s.close()


def write_conf(tmp_path, text):
    conf = tmp_path / "keepalived.conf"
    conf.write_text(text)
    ok, out = keepalived_accepts(conf)
    assert ok, f"Debian's keepalived -t refuses the test's config:\n{out}"
    return conf


def test_every_checker_kind_brings_its_real_server_up(tmp_path, driver, servers):
    s = servers
    digest = hashlib.md5(BODY).hexdigest()
    flag = tmp_path / "weight"
    flag.write_text("0\n")
    vport = free_port()
    conf = write_conf(tmp_path, f"""
global_defs {{
  enable_script_security
  script_user root
}}
track_file tf {{
  file {flag}
  weight 0
}}
virtual_server {LOOPBACK} {vport} {{
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  alpha
  real_server {LOOPBACK} {s['tcp'].port} {{
    TCP_CHECK {{
      connect_timeout 1
      warmup 0
    }}
  }}
  real_server {LOOPBACK} {s['http'].port} {{
    HTTP_GET {{
      url {{
        path /index.html
        digest {digest}
        status_code 200
      }}
      url {{
        path /health
        status_code 200-299
      }}
      connect_timeout 1
      warmup 0
    }}
  }}
  real_server {LOOPBACK} {s['https'].port} {{
    SSL_GET {{
      url {{
        path /health
        status_code 200
      }}
      connect_timeout 2
      warmup 0
    }}
  }}
  real_server {LOOPBACK} {s['smtp'].port} {{
    SMTP_CHECK {{
      helo_name checker.test
      connect_timeout 1
      warmup 0
    }}
  }}
  real_server {LOOPBACK} {s['dns'].port} {{
    DNS_CHECK {{
      type A
      name example.com
      connect_timeout 1
      warmup 0
    }}
  }}
  real_server {LOOPBACK} {s['udp'].port} {{
    UDP_CHECK {{
      payload 0a0b0c
      require_reply 0a0b
      connect_timeout 1
      warmup 0
    }}
  }}
  real_server {LOOPBACK} 7001 {{
    MISC_CHECK {{
      misc_path "/bin/sh -c 'exit 12'"
      misc_dynamic
      warmup 0
    }}
  }}
  real_server {LOOPBACK} 7002 {{
    PING_CHECK {{
      connect_timeout 1
      warmup 0
    }}
  }}
  real_server {LOOPBACK} 7003 {{
    FILE_CHECK {{
      track_file tf
    }}
  }}
}}
""")
    r = run_driver(driver, "run", conf, 2.5)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = lines_of(r.stdout)
    vs = f"[{LOOPBACK}]:tcp:{vport}"

    def rs(port):
        return f"[{LOOPBACK}]:tcp:{port}"

    expected = [
        f"TCP connection to {rs(s['tcp'].port)} success.",
        f"MD5 digest success to {rs(s['http'].port)} url(1).",
        f"HTTP status code success to {rs(s['http'].port)} url(2).",
        f"Remote Web server {rs(s['http'].port)} succeed on service.",
        f"HTTP status code success to {rs(s['https'].port)} url(1).",
        f"Remote Web server {rs(s['https'].port)} succeed on service.",
        f"Remote SMTP server {rs(s['smtp'].port)} succeed on service.",
        f"Misc check to [{LOOPBACK}] for [/bin/sh -c 'exit 12'] succeeded.",
        f"Changing weight from 1 to 10 for inactive service {rs(7001)} of VS {vs}",
    ]
    for line in expected:
        assert line in lines, f"missing {line!r} in:\n{r.stdout}"
    for port in (s['tcp'].port, s['http'].port, s['https'].port, s['smtp'].port, s['dns'].port,
                 s['udp'].port, 7001, 7002, 7003):
        assert f"Adding service {rs(port)} to VS {vs}" in lines, f"{port} not added:\n{r.stdout}"
    assert lines[0] == f"Starting with quorum down 1+0=1 > 0 for VS {vs}" or \
        f"Gained quorum 1+0=1 <= 1 for VS {vs}" in lines
    pool = [l for l in lines if l.startswith("POOL ")]
    assert pool and f"{LOOPBACK}:7001=10" in pool[0], r.stdout
    assert s['smtp'].srv.helo and s['smtp'].srv.helo[0] == "HELO checker.test\r\n"


def test_failing_checks_keep_alpha_servers_out(tmp_path, driver):
    closed = free_port()
    vport = free_port()
    conf = write_conf(tmp_path, f"""
virtual_server {LOOPBACK} {vport} {{
  protocol TCP
  lvs_method NAT
  delay_loop 1
  lvs_sched wlc
  alpha
  real_server {LOOPBACK} {closed} {{
    TCP_CHECK {{
      connect_timeout 1
      warmup 0
    }}
  }}
}}
""")
    r = run_driver(driver, "run", conf, 1.5)
    lines = lines_of(r.stdout)
    assert not any(l.startswith("Adding service") for l in lines), r.stdout
    assert f"POOL [{LOOPBACK}]:tcp:{vport}" in lines, r.stdout


def test_a_stopped_server_is_removed_within_delay_loop_plus_connect_timeout(tmp_path, driver,
                                                                            site):
    web = web_server(site)
    vport = free_port()
    conf = write_conf(tmp_path, f"""
virtual_server {LOOPBACK} {vport} {{
  protocol TCP
  lvs_method NAT
  delay_loop 1
  lvs_sched rr
  real_server {LOOPBACK} {web.port} {{
    HTTP_GET {{
      url {{
        path /index.html
        status_code 200
      }}
      connect_timeout 1
      retry 0
      warmup 0
    }}
  }}
}}
""")
    proc = subprocess.Popen([str(driver_path(driver)), "run", str(conf), "6"],
                            stdout=subprocess.PIPE, text=True)
    seen = []

    def read():
        for line in proc.stdout:
            seen.append((time.monotonic(), line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        time.sleep(1.5)
        stopped = time.monotonic()
        web.close()
        deadline = stopped + 4
        removed = None
        while time.monotonic() < deadline and removed is None:
            for t, line in list(seen):
                if "Removing service" in line:
                    removed = t
            time.sleep(0.05)
        text = "\n".join(l for _, l in seen)
        assert removed is not None, text
        # delay_loop (1 s) + connect_timeout (1 s), plus scheduling slack.
        assert removed - stopped <= 2.5, text
        body = lines_of(text)
        rs = f"[{LOOPBACK}]:tcp:{web.port}"
        assert f"Error connecting server {rs}." in body, text
        assert f"HTTP_CHECK on service {rs} failed." in body, text
        assert f"Removing service {rs} from VS [{LOOPBACK}]:tcp:{vport}" in body, text
    finally:
        kill_quietly(proc)
        reader.join(timeout=5)


@pytest.mark.parametrize("use_ssl", [False, True])
def test_digest_is_what_genhash_computes(tmp_path, driver, site, use_ssl):
    web = web_server(site, cert=self_signed(tmp_path) if use_ssl else None)
    try:
        rc, out = genhash(web.port, "/index.html", use_ssl)
        assert rc == 0, out
        digest = out.split()[-1]
        assert digest == hashlib.md5(BODY).hexdigest()
        kind = "SSL_GET" if use_ssl else "HTTP_GET"
        conf = write_conf(tmp_path, f"""
virtual_server {LOOPBACK} 80 {{
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server {LOOPBACK} {web.port} {{
    {kind} {{
      url {{
        path /index.html
        digest {digest}
      }}
    }}
  }}
}}
""")
        r = run_driver(driver, "once", conf)
        assert r.stdout.strip() == (f"[{LOOPBACK}]:tcp:{web.port} up MD5 digest success to "
                                    f"[{LOOPBACK}]:tcp:{web.port} url(1)."), r.stdout + r.stderr
    finally:
        web.close()


def test_misc_check_exit_codes(tmp_path, driver):
    conf = write_conf(tmp_path, f"""
global_defs {{
  enable_script_security
  script_user root
}}
virtual_server {LOOPBACK} 80 {{
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server {LOOPBACK} 1 {{
    MISC_CHECK {{
      misc_path "/bin/sh -c 'exit 0'"
    }}
    MISC_CHECK {{
      misc_path "/bin/sh -c 'exit 1'"
    }}
    MISC_CHECK {{
      misc_path "/bin/sh -c 'exit 7'"
    }}
    MISC_CHECK {{
      misc_path "/bin/sh -c 'exit 7'"
      misc_dynamic
    }}
  }}
}}
""")
    r = run_driver(driver, "once", conf)
    assert r.stdout.splitlines() == [
        f"[{LOOPBACK}]:tcp:1 up ",
        f"[{LOOPBACK}]:tcp:1 down ",
        f"[{LOOPBACK}]:tcp:1 down ",
        f"[{LOOPBACK}]:tcp:1 up  weight=5",
    ], r.stdout


def test_config_problems_are_reported_at_their_lines(tmp_path, driver):
    conf = tmp_path / "keepalived.conf"
    conf.write_text(f"""virtual_server {LOOPBACK} 80 {{
  protocol SCTP
  real_server {LOOPBACK} 81 {{
  }}
}}
""")
    r = run_driver(driver, "check", conf)
    assert r.returncode == 1
    assert "1: error: protocol SCTP" in r.stdout, r.stdout


class _capture_server:
    """Accepts connections, records each request head, answers a tiny HTTP/1.0 200."""

    def __init__(self):
        import socket as _socket
        self.sock = _socket.socket()
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            data = b""
            c.settimeout(5)
            try:
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data.decode(errors="replace"))
                c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
            finally:
                c.close()

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("protocol", [None, "1.0C", "1.1"])
def test_http_request_is_byte_for_byte_genhash_s(tmp_path, driver, protocol):
    cap = _capture_server()
    try:
        args = ["/usr/bin/genhash", "-s", LOOPBACK, "-p", str(cap.port), "-u", "/probe"]
        if protocol:
            args += ["-P", protocol.lower()]
        subprocess.run(args, capture_output=True, timeout=20, check=True)
        line = f"      http_protocol {protocol}\n" if protocol else ""
        conf = write_conf(tmp_path, f"""
virtual_server {LOOPBACK} 80 {{
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server {LOOPBACK} {cap.port} {{
    HTTP_GET {{
      url {{
        path /probe
      }}
{line}    }}
  }}
}}
""")
        r = run_driver(driver, "once", conf)
        assert " up " in r.stdout, r.stdout + r.stderr
        assert len(cap.requests) == 2, cap.requests
        assert cap.requests[1] == cap.requests[0]
    finally:
        cap.close()


class _raw_server(_capture_server):
    """Answers every request with the same raw bytes."""

    def __init__(self, raw):
        self.raw = raw
        super().__init__()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.settimeout(5)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                c.sendall(self.raw)
            finally:
                c.close()


@pytest.mark.parametrize("raw", [
    b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nhello",  # cut at Content-Length
    b"HTTP/1.0 200 OK\r\n\r\nhello",  # to the end of the connection
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",  # not de-chunked
], ids=["content-length", "until-close", "chunked"])
def test_digest_of_odd_bodies_is_genhash_s(tmp_path, driver, raw):
    srv = _raw_server(raw)
    try:
        rc, out = genhash(srv.port, "/x")
        assert rc == 0, out
        digest = out.split()[-1]
        conf = write_conf(tmp_path, f"""
virtual_server {LOOPBACK} 80 {{
  protocol TCP
  lvs_sched rr
  lvs_method NAT
  real_server {LOOPBACK} {srv.port} {{
    HTTP_GET {{
      url {{
        path /x
        digest {digest}
      }}
    }}
  }}
}}
""")
        r = run_driver(driver, "once", conf)
        assert f" up MD5 digest success to [{LOOPBACK}]:tcp:{srv.port} url(1)." in r.stdout, \
            r.stdout + r.stderr
    finally:
        srv.close()
