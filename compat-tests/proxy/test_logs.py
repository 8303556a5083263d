"""Logs as HAProxy 2.6 sends them (issue 6 item 3): the same config and the same requests
under Debian's haproxy and Tandem, with a UDP syslog receiver on 127.0.0.1 (and a unix
datagram one in the test's directory). Each line is compared byte for byte with the line
HAProxy was measured to send, after normalising what differs between runs: the pid, dates,
ephemeral ports and the timers' values (a timer that is -1 stays -1). The sizes (%B, %U) are
normalised too; test_sizes_are_counted_as_haproxy checks them on their own."""

from __future__ import annotations

import os
import re
import socket
import threading
import time

import pytest

from proxy_support import Client, LOCAL, config, get, wait_until
from test_tls import pki, tls_client  # noqa: F401 (pki is a fixture)


class Receiver:
    """Collects the datagrams a syslog target receives, on a thread, until closed."""

    def __init__(self, family: int = socket.AF_INET, path: str | None = None):
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.path = path
        if family == socket.AF_UNIX:
            self.sock.bind(path)
            self.address = path
        elif family == socket.AF_INET6:
            self.sock.bind(("::1", 0))
            self.address = f"::1:{self.sock.getsockname()[1]}"
        else:
            self.sock.bind((LOCAL, 0))
            self.address = f"{LOCAL}:{self.sock.getsockname()[1]}"
        self.sock.settimeout(0.1)
        self.lines: list[bytes] = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data = self.sock.recv(70000)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.lines.append(data)

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()
        if self.path:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def got(self) -> list[bytes]:
        with self.lock:
            return list(self.lines)

    def wait(self, count: int, timeout: float = 3.0) -> list[bytes]:
        """At least `count` datagrams, waiting for them; then a short grace for extra ones."""
        assert wait_until(lambda: len(self.got()) >= count, timeout), self.got()
        time.sleep(0.1)
        return self.got()

    def matching(self, text: str, timeout: float = 5.0) -> bytes:
        assert wait_until(lambda: any(text.encode() in ln for ln in self.got()), timeout), \
            f"no datagram with {text!r}: {self.got()}"
        return next(ln for ln in self.got() if text.encode() in ln)


@pytest.fixture
def syslog():
    made: list[Receiver] = []

    def make(family: int = socket.AF_INET, path: str | None = None) -> Receiver:
        r = Receiver(family, path)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()


def one(log: Receiver) -> bytes:
    """The one datagram a request gives (waiting for it, and a little more for a second)."""
    lines = log.wait(1)
    time.sleep(0.2)
    lines = log.got()
    assert len(lines) == 1, lines
    return lines[0]


MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"


def normalised(line: bytes, ports: dict[int, str] | None = None) -> str:
    """The line with its run-dependent parts replaced: pid, dates, the given ports by name,
    every other port of 127.0.0.1 by PORT, timers' values (not -1) by T and sizes by B."""
    s = line.decode("latin-1")
    s = re.sub(rf"^(<\d+>){MONTH} [ \d]\d \d\d:\d\d:\d\d ", r"\1DATE ", s)
    s = re.sub(r"^(<\d+>1 )\S+ ", r"\1ISO ", s)
    s = re.sub(r"^(<\d+>)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d ", r"\1ISO ", s)
    s = re.sub(r"(\w+)\[\d+\]: ", r"\1[PID]: ", s)
    s = re.sub(r"^(<\d+>1 ISO \S+ \S+) \d+ ", r"\1 PID ", s)
    s = re.sub(rf"\d\d/{MONTH}/\d{{4}}:\d\d:\d\d:\d\d\.\d\d\d", "DATE.MS", s)
    s = re.sub(rf"\d\d/{MONTH}/\d{{4}}:\d\d:\d\d:\d\d [+-]\d{{4}}", "DATE +ZONE", s)
    for port, name in (ports or {}).items():
        s = re.sub(rf"(?<=[:\s]){port}\b", name, s)
    s = re.sub(r"(?<=127\.0\.0\.1:)\d+", "PORT", s)
    # httplog "TR/Tw/Tc/Tr/Ta status bytes", tcplog "Tw/Tc/Tt bytes": timers, then the size.
    s = re.sub(r" (-?\d+(?:/-?\d+){2,4}) (\d{3} )?(\d+) ",
               lambda m: " " + re.sub(r"(?<![-\d])\d+", "T", m.group(1)) + " " +
               (m.group(2) or "") + "B ", s)
    s = re.sub(r"check duration: \d+ms", "check duration: Tms", s)
    return s


def fixed_response(body: bytes = b"ok\n", extra: str = "") -> callable:
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return lambda req: head.encode() + body


def logging_config(target: str, body: str, mode: str = "http", global_extra: str = "",
                   defaults_extra: str = "") -> str:
    return config(body, mode=mode, global_=f"log {target} local0\n{global_extra}",
                  defaults=f"log global\n{defaults_extra}")


def test_httplog_line_with_captures(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response(extra="Set-Cookie: SID=abc123; path=/\r\nX-Server: s1\r\n")
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe
            bind 127.0.0.1:{fp}
            option httplog
            capture request header Host len 20
            capture request header User-Agent len 10
            capture response header X-Server len 8
            capture cookie SID len 12
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    r = get(fp, "/a?b=c", headers=[("User-Agent", "curl/7.88.1-long"), ("Cookie", "SID=xyz")],
            host="example.org")
    assert r.status == 200
    line = one(log)
    assert normalised(line) == (
        "<134>DATE haproxy[PID]: 127.0.0.1:PORT [DATE.MS] fe be/s1 T/T/T/T/T 200 B SID=xyz "
        "SID=abc123 ---- 1/1/0/0/0 0/0 {example.org|curl/7.88.} {s1} \"GET /a?b=c HTTP/1.1\"\n")


def test_clf_line(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe_clf
            bind 127.0.0.1:{fp}
            option httplog clf
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    assert get(fp, "/a?b=c").status == 200
    line = normalised(one(log))
    # The client port and the accept date's milliseconds are fields of their own in clf.
    line = re.sub(r"\" (200) \d+ \"\" \"\" \d+ \d{3} \"fe_clf\"",
                  "\" 200 B \"\" \"\" CPORT MS \"fe_clf\"", line)
    line = re.sub(r"\"s1\"( \d+){5} ", "\"s1\" T T T T T ", line)
    assert line == (
        "<134>DATE haproxy[PID]: 127.0.0.1 - - [DATE +ZONE] \"GET /a?b=c HTTP/1.1\" 200 B \"\" "
        "\"\" CPORT MS \"fe_clf\" \"be\" \"s1\" T T T T T ---- 1 1 0 0 0 0 0 \"\" \"\" \n")


def test_tcplog_line(proxy, tcp_echo, port, syslog):
    log = syslog()
    echo = tcp_echo("e")
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe_tcp
            bind 127.0.0.1:{fp}
            option tcplog
            default_backend be_tcp
        backend be_tcp
            server s1 {echo.addr}
    """, mode="tcp"))
    with Client(fp) as c:
        c.send(b"hello")
        c.sock.shutdown(socket.SHUT_WR)
        assert c.rest() == b"hello"
    line = one(log)
    assert normalised(line) == (
        "<134>DATE haproxy[PID]: 127.0.0.1:PORT [DATE.MS] fe_tcp be_tcp/s1 T/T/T B -- "
        "1/1/0/0/0 0/0\n")


def test_custom_log_format(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe_fmt
            bind 127.0.0.1:{fp}
            log-format "%ci %fi:%fp %b %s %ST %HM %HU %HP %HQ %HV %{{+Q}}r %hrl %hsl [%[src]] %[fe_name] %ID %tsc %rc %sq %ft %f %si:%sp %{{+Q}}HU %{{Q}}ST %% %{{+Q}}o %b %{{-Q}}s %ts"
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    assert get(fp, "/a?b=c").status == 200
    line = one(log)
    assert normalised(line, {fp: "FP", s1.port: "SP"}) == (
        "<134>DATE haproxy[PID]: 127.0.0.1 127.0.0.1:FP be s1 200 GET /a?b=c /a ?b=c HTTP/1.1 "
        "\"GET /a?b=c HTTP/1.1\" [127.0.0.1] fe_fmt - ---- 0 0 fe_fmt fe_fmt 127.0.0.1:SP "
        "\"/a?b=c\" 200 % \"be\" s1 --\n")


def test_dontlognull_drops_empty_connections(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe
            bind 127.0.0.1:{fp}
            option httplog
            option dontlognull
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    with Client(fp):
        pass  # connects and closes without a byte
    time.sleep(0.2)
    assert get(fp, "/after").status == 200
    lines = log.wait(1)
    assert [normalised(ln) for ln in lines] == [
        "<134>DATE haproxy[PID]: 127.0.0.1:PORT [DATE.MS] fe be/s1 T/T/T/T/T 200 B - - ---- "
        "1/1/0/0/0 0/0 \"GET /after HTTP/1.1\"\n"]


def test_an_empty_connection_is_a_badreq_line_without_dontlognull(proxy, http_server, port,
                                                                  syslog):
    log = syslog()
    s1 = http_server("s1")
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe
            bind 127.0.0.1:{fp}
            option httplog
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    with Client(fp):
        pass
    line = one(log)
    assert normalised(line) == (
        "<134>DATE haproxy[PID]: 127.0.0.1:PORT [DATE.MS] fe fe/<NOSRV> -1/-1/-1/-1/T 400 B - - "
        "CR-- 1/1/0/0/0 0/0 \"<BADREQ>\"\n")


def test_503_without_server_is_nosrv_sc_and_separate_errors_level(proxy, port, syslog):
    log = syslog()
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe
            bind 127.0.0.1:{fp}
            option httplog
            option log-separate-errors
            default_backend nosrv
        backend nosrv
    """))
    assert get(fp, "/").status == 503
    line = one(log)
    # <131>: local0 at err, as log-separate-errors sends a 5xx.
    assert normalised(line) == (
        "<131>DATE haproxy[PID]: 127.0.0.1:PORT [DATE.MS] fe nosrv/<NOSRV> T/-1/-1/-1/T 503 B - - "
        "SC-- 1/1/0/0/0 0/0 \"GET / HTTP/1.1\"\n")


def test_connect_from_line_without_a_log_format(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe_def
            bind 127.0.0.1:{fp}
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    assert get(fp, "/").status == 200
    lines = log.wait(1)
    assert [normalised(ln, {fp: "FP"}) for ln in lines] == [
        "<134>DATE haproxy[PID]: Connect from 127.0.0.1:PORT to 127.0.0.1:FP (fe_def/HTTP)\n"]


def test_server_down_and_up_lines(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend be
        backend be
            server s1 {s1.addr} check inter 100ms fall 1 rise 1
    """))
    s1.stop()
    down = log.matching("is DOWN")
    assert normalised(down) == (
        "<129>DATE haproxy[PID]: Server be/s1 is DOWN, reason: Layer4 connection problem, info: "
        "\"Connection refused\", check duration: Tms. 0 active and 0 backup servers left. 0 "
        "sessions active, 0 requeued, 0 remaining in queue.\n")
    alert = log.matching("has no server available")
    assert normalised(alert) == "<128>DATE haproxy[PID]: backend be has no server available!\n"


def test_each_syslog_format(proxy, http_server, port, syslog):
    formats = ["local", "rfc3164", "rfc5424", "priority", "short", "timed", "iso", "raw"]
    logs = {f: syslog() for f in formats}
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    targets = "\n".join(f"log {logs[f].address} format {f} local2" for f in formats)
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log-format "%ST %s"
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=targets, defaults="log global"))
    assert get(fp, "/").status == 200
    got = {f: normalised(one(logs[f])) for f in formats}
    host = socket.gethostname()
    assert got == {
        "local": "<150>DATE haproxy[PID]: 200 s1\n",
        "rfc3164": "<150>DATE localhost haproxy[PID]: 200 s1\n",
        "rfc5424": "<150>1 ISO - haproxy PID - - 200 s1\n",
        "priority": "<150>200 s1\n",
        "short": "<6>200 s1\n",
        "timed": "<6>ISO 200 s1\n",
        "iso": "ISO 200 s1\n",
        "raw": "200 s1\n",
    }, host


def test_len_truncates_and_levels_filter(proxy, http_server, port, syslog):
    short, alerts = syslog(), syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log-format "%ST {'x' * 200}"
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=f"log {short.address} len 80 format raw local0\n"
                 f"log {alerts.address} local0 notice", defaults="log global"))
    assert get(fp, "/").status == 200
    got = short.wait(1)
    assert got == [b"200 " + b"x" * 76 + b"\n"]
    time.sleep(0.3)
    assert alerts.got() == []  # info lines are above `notice`


def test_unix_socket_target_with_min_level(proxy, http_server, port, syslog, tmp_path):
    log = syslog(socket.AF_UNIX, str(tmp_path / "log.sock"))
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log-format "%ST"
            default_backend be
        backend be
            server s1 {s1.addr} check inter 100ms fall 1
    """, global_=f"log {log.address} local3 info err", defaults="log global"))
    assert get(fp, "/").status == 200
    assert normalised(log.matching("200")) == "<158>DATE haproxy[PID]: 200\n"
    s1.stop()
    # An alert (1) more severe than the minimum level `err` goes out at err: <155>.
    assert normalised(log.matching("is DOWN")).startswith("<155>DATE haproxy[PID]: Server be/s1")


def test_stdout_target(proxy, http_server, port):
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log stdout format raw daemon
            log-format "logged %ST %HU"
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    assert get(fp, "/p").status == 200
    proxy.wait_stderr(r"^logged 200 /p$")


def test_sizes_are_counted_as_haproxy(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response(extra="X-A: b\r\n")  # 49 bytes on the wire
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log-format "%ST %B"
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    assert get(fp, "/").status == 200
    # Measured: HAProxy counts the response as its HTX holds it: the start line's three
    # parts plus 21, each header's name and value, the body's data: 13+21 + 15+4 + 3 = 56.
    assert one(log).endswith(b": 200 56\n")


def test_log_tag_hostname_and_alerts_follow_the_backend_log_lines(proxy, http_server, port,
                                                                 syslog):
    log = syslog()
    s1, s2 = http_server("s1"), http_server("s2")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend f
            bind 127.0.0.1:{fp}
            log-format "%ST x"
            log-tag ptag
            default_backend b
        frontend quiet
            bind 127.0.0.1:{port()}
            no log
            option httplog
            default_backend b
        backend b
            server s1 {s1.addr} check inter 100ms fall 1
        backend b2
            no log
            server s2 {s2.addr} check inter 100ms fall 1
    """, global_=f"log {log.address} local0\nlog-tag gtag\nlog-send-hostname",
        defaults="log global"))
    assert get(fp, "/").status == 200
    host = socket.gethostname()
    assert normalised(log.matching("200 x")) == f"<134>DATE {host} ptag[PID]: 200 x\n"
    s2.stop()
    s1.stop()
    down = log.matching("Server b/s1 is DOWN")
    assert normalised(down).startswith(f"<129>DATE {host} gtag[PID]: Server b/s1 is DOWN")
    time.sleep(0.5)
    # b2 has `no log`: its server's fall is on stderr only.
    assert not any(b"b2/s2" in ln for ln in log.got())
    assert "Server b2/s2 is DOWN" in proxy.stderr


def test_connect_from_line_in_mode_tcp(proxy, tcp_echo, port, syslog):
    log = syslog()
    echo = tcp_echo("e")
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe_tcp
            bind 127.0.0.1:{fp}
            default_backend be_tcp
        backend be_tcp
            server s1 {echo.addr}
    """, mode="tcp"))
    with Client(fp) as c:
        c.send(b"x")
        c.sock.shutdown(socket.SHUT_WR)
        assert c.rest() == b"x"
    lines = log.wait(1)
    assert [normalised(ln, {fp: "FP"}) for ln in lines] == [
        "<134>DATE haproxy[PID]: Connect from 127.0.0.1:PORT to 127.0.0.1:FP (fe_tcp/TCP)\n"]


def test_rfc5424_with_structured_data_over_ipv6(proxy, http_server, port, syslog):
    log = syslog(socket.AF_INET6)
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log-format "%ST %HM"
            log-format-sd "[req@1 status=\\"%ST\\" be=\\"%b\\"]"
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=f"log {log.address} format rfc5424 local1", defaults="log global"))
    assert get(fp, "/").status == 200
    assert normalised(one(log)) == (
        "<142>1 ISO - haproxy PID - [req@1 status=\"200\" be=\"be\"] 200 GET\n")


def test_logurilen_cuts_the_request_line(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log-format "%{{+Q}}r|%HU|%HV|%ST"
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=f"log {log.address} len 65535 format raw local0\ntune.http.logurilen 100",
        defaults="log global"))
    assert get(fp, "/" + "a" * 150).status == 200
    assert get(fp, "/" + "b" * 87).status == 200
    # Measured: 100 characters kept; the parts are read from the cut line, a line cut before
    # its version is HTTP/0.9. (%ST is there because 2.6 logs a line twice when its format
    # names request variables only: see test_request_only_format_is_logged_twice.)
    assert log.wait(2) == [
        b'"GET /' + b"a" * 95 + b'"|/' + b"a" * 95 + b"|HTTP/0.9|200\n",
        b'"GET /' + b"b" * 87 + b' HTTP/1."|/' + b"b" * 87 + b"|HTTP/1.|200\n"]


def test_request_only_format_is_logged_twice(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log-format "%r"
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    assert get(fp, "/x").status == 200
    # Measured on 2.6.12: a format of request variables only (%r, %HU, %HM, %HV) is logged
    # once the request is in and again at its end; with %ST, %ci or %B in it, once.
    lines = log.wait(2)
    assert [normalised(ln) for ln in lines] == ["<134>DATE haproxy[PID]: GET /x HTTP/1.1\n"] * 2


def test_stats_page_request_is_logged_as_stats(proxy, port, syslog):
    log = syslog()
    fp = port()
    proxy.start(logging_config(log.address, f"""
        listen st
            bind 127.0.0.1:{fp}
            option httplog
            stats enable
            stats uri /s
    """))
    assert get(fp, "/s").status == 200
    # Measured: the applet is the server, "<STATS>", its timers 0, the state LR--.
    assert normalised(one(log)) == (
        "<134>DATE haproxy[PID]: 127.0.0.1:PORT [DATE.MS] st st/<STATS> T/T/T/T/T 200 B - - LR-- "
        "1/1/0/0/0 0/0 \"GET /s HTTP/1.1\"\n")


@pytest.mark.parametrize("mode", ["http", "tcp"])
def test_log_lines_use_the_proxy_protocol_addresses(proxy, http_server, port, syslog, mode):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp, fp2 = port(), port()
    proxy.start(logging_config(log.address, f"""
        frontend fe_def
            bind 127.0.0.1:{fp} accept-proxy
            default_backend be
        frontend fe_log
            bind 127.0.0.1:{fp2} accept-proxy
            log-format "%ci:%cp %fi:%fp %ST"
            default_backend be
        backend be
            server s1 {s1.addr}
    """, mode=mode))
    for p in (fp, fp2):
        with Client(p) as c:
            c.send(b"PROXY TCP4 192.0.2.7 198.51.100.9 4321 8080\r\n"
                   b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            c.rest()
        log.wait(1)
    lines = log.wait(2)
    status = "200" if mode == "http" else "0"  # measured: %ST is 0 without HTTP
    assert [normalised(ln) for ln in lines] == [
        f"<134>DATE haproxy[PID]: Connect from 192.0.2.7:4321 to 198.51.100.9:8080 "
        f"(fe_def/{mode.upper()})\n",
        f"<134>DATE haproxy[PID]: 192.0.2.7:4321 198.51.100.9:8080 {status}\n"]


def test_stderr_target_uses_the_local_format(proxy, http_server, port):
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            log stderr local0
            log-format "%ST %HM"
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    assert get(fp, "/").status == 200
    proxy.wait_stderr(rf"^<134>{MONTH} [ \d]\d \d\d:\d\d:\d\d haproxy\[{proxy.process_.pid}\]: "
                      r"200 GET$")


def test_bad_request_line_has_no_capture_block(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    fp = port()
    proxy.start(logging_config(log.address, f"""
        frontend fe
            bind 127.0.0.1:{fp}
            option httplog
            capture request header Host len 20
            default_backend be
        backend be
            server s1 {s1.addr}
    """))
    with Client(fp) as c:
        c.send(b"GARBAGE\r\n\r\n")
        c.rest()
    assert normalised(one(log)) == (
        "<134>DATE haproxy[PID]: 127.0.0.1:PORT [DATE.MS] fe fe/<NOSRV> -1/-1/-1/-1/T 400 B - - "
        "PR-- 1/1/0/0/0 0/0 \"<BADREQ>\"\n")


def test_capture_fetches_in_a_log_format(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response(extra="X-Srv: s\"1\r\n")
    fp = port()
    proxy.start(config(f"""
        frontend f
            bind 127.0.0.1:{fp}
            capture request header Host len 5
            capture request header X-None len 10
            capture response header X-Srv len 10
            log-format "%[capture.req.hdr(0)]|%[capture.req.hdr(1)]|%[capture.res.hdr(0)]|%[capture.req.method]|%[capture.req.uri]|%[capture.req.ver]|%{{+Q}}[capture.req.hdr(1)]|%[capture.req.hdr(0),upper] %ST"
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=f"log {log.address} format raw local0", defaults="log global"))
    assert get(fp, "/p?q=1", host="example.org").status == 200
    assert one(log) == b'examp|-|s"1|GET|/p?q=1|HTTP/1.1|""|EXAMP 200\n'


def test_request_parts(proxy, http_server, port, syslog):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend f
            bind 127.0.0.1:{fp}
            log-format "%HM|%HP|%HPO|%HU|%HQ|%HV|%{{+Q}}HQ %ST"
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=f"log {log.address} format raw local0", defaults="log global"))
    for raw in (b"GET http://h/p/q?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                b"GET /a/b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                b"OPTIONS * HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                b"GARBAGE\r\n\r\n"):
        with Client(fp) as c:
            c.send(raw)
            c.rest()
        time.sleep(0.1)
    assert log.wait(4) == [
        b'GET|http://h/p/q|/p/q|http://h/p/q?x=1|?x=1|HTTP/1.1|"?x=1" 200\n',
        b'GET|/a/b|/a/b|/a/b||HTTP/1.1|"" 200\n',
        b'OPTIONS|*||*||HTTP/1.1|"" 200\n',
        b'<BADREQ>|<BADREQ>|<BADREQ>|<BADREQ>|<BADREQ>|<BADREQ>|"<BADREQ>" 400\n']


def test_admin_actions_in_syslog(proxy, http_server, port, syslog, tmp_path):
    from stats_lab import ask
    log = syslog()
    s1, s2 = http_server("s1"), http_server("s2")
    fp = port()
    sock = tmp_path / "admin.sock"
    proxy.start(config(f"""
        listen l
            bind 127.0.0.1:{fp}
            server s1 {s1.addr}
            server s2 {s2.addr}
    """, global_=f"log {log.address} local0\nstats socket {sock} level admin",
        defaults="log global"))
    assert wait_until(lambda: sock.exists(), 3.0)
    for command in ("set server l/s1 state maint", "set server l/s1 state drain",
                    "set server l/s1 state ready", "set server l/s2 state drain",
                    "set server l/s2 state maint", "set server l/s1 state maint"):
        assert ask(str(sock), command) == "\n"
        time.sleep(0.05)
    lines = [normalised(ln) for ln in log.wait(8)]
    # Measured: DOWN for maintenance is an alert, a notice when the server was draining; the
    # rest are notices; the last server leaving is an emergency.
    assert lines == [
        "<129>DATE haproxy[PID]: Server l/s1 is going DOWN for maintenance. 1 active and 0 backup "
        "servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n",
        "<133>DATE haproxy[PID]: Server l/s1 is UP/DRAIN (leaving forced maintenance).\n",
        "<133>DATE haproxy[PID]: Server l/s1 remains in forced drain mode.\n",
        "<133>DATE haproxy[PID]: Server l/s1 is UP (leaving forced drain).\n",
        "<133>DATE haproxy[PID]: Server l/s2 enters drain state. 1 active and 0 backup servers "
        "online. 0 sessions requeued, 0 total in queue.\n",
        "<133>DATE haproxy[PID]: Server l/s2 is going DOWN for maintenance. 1 active and 0 backup "
        "servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n",
        "<129>DATE haproxy[PID]: Server l/s1 is going DOWN for maintenance. 0 active and 0 backup "
        "servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n",
        "<128>DATE haproxy[PID]: proxy l has no server available!\n",
    ]


def test_tls_frontend_line(proxy, http_server, port, syslog, pki):
    log = syslog()
    s1 = http_server("s1")
    s1.respond = fixed_response()
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp} ssl crt {pki.a}
            log-format "%ft %f %sslv %sslc %[ssl_fc] %ST"
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=f"log {log.address} format raw local0", defaults="log global"))
    with tls_client(fp) as c:
        c.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
        while c.recv(4096):
            pass
        cipher = c.cipher()[0]
    # Measured: "~" after the frontend's name in %ft, OpenSSL's version and cipher names.
    assert one(log) == f"fe~ fe TLSv1.3 {cipher} 1 200\n".encode()
