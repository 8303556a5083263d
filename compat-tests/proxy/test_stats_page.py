"""The stats page (`stats enable|uri|auth|realm|scope|hide-version|admin`), against both
implementations on the same config: the 401 byte for byte with its realm, the page's headers
and what it shows (each proxy, each server and the colour of its state), the ;csv header and
states, the admin form putting a server in maintenance (the CSV says MAINT, traffic avoids
it), `stats scope`, `stats hide-version`, and a headless Chromium opening seed 000's page
through its login (a screenshot, and the DOM showing both servers and their states).

Measured on Debian's haproxy 2.6.12: a 401 keeps a keep-alive connection open (no
`connection` header), the page and the CSV are chunked with `cache-control: no-cache`, the
form's answer is a 303 to `<uri>;st=DONE` (`DENY` without admin rights).
"""

from __future__ import annotations

import base64
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

import proxy_support as ps
from proxy_support import Client, get, wait_until
from stats_lab import CSV_HEADER

AUTH_401 = (b"HTTP/1.1 401 Unauthorized\r\n"
            b"content-length: 112\r\n"
            b"cache-control: no-cache\r\n"
            b"content-type: text/html\r\n"
            b"www-authenticate: Basic realm=\"%s\"\r\n"
            b"\r\n"
            b"<html><body><h1>401 Unauthorized</h1>\n"
            b"You need a valid user and password to access this content.\n"
            b"</body></html>\n")



def login(user: str = "user", password: str = "pass") -> tuple[str, str]:
    return ("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())


def csv_rows(port: int, uri: str = "/haproxy?stats", headers=()) -> list[dict[str, str]]:
    r = get(port, uri + ";csv", headers=headers)
    assert r.status == 200, r.raw
    lines = r.body.decode().splitlines()
    names = lines[0][2:].split(",")
    return [dict(zip(names, ln.split(","))) for ln in lines[1:]]


def status_of(rows, proxy: str, server: str) -> str:
    return next(r["status"] for r in rows if r["pxname"] == proxy and r["svname"] == server)


def row_class(html: str, proxy: str, server: str) -> str:
    """The class of the table row whose anchor is proxy/server (HAProxy's colour)."""
    for part in html.split("<tr class=")[1:]:
        if f'href="#{proxy}/{server}"' in part.split("</tr>")[0]:
            return part.split('"')[1]
    raise AssertionError(f"no row for {proxy}/{server}")


def web(stats: str, servers: str, port: int) -> str:
    return ps.config(f"""
        listen web
            bind 127.0.0.1:{port}
            {stats}
            {servers}
        """)


def test_401_with_realm_is_haproxys_bytes(proxy, http_server, port):
    a = http_server("a")
    fp, fp2 = port(), port()
    proxy.start(ps.config(f"""
        listen web
            bind 127.0.0.1:{fp}
            stats enable
            stats auth user:pass
            server a {a.addr}
        listen other
            bind 127.0.0.1:{fp2}
            stats uri /
            stats realm Dc1\\ Statistics
            stats auth admin:p@ssw0rd
            server a {a.addr}
        """))
    assert get(fp, "/haproxy?stats").raw == AUTH_401 % b"HAProxy Statistics"
    r = get(fp, "/haproxy?stats", headers=[login("user", "wrong")])
    assert r.raw == AUTH_401 % b"HAProxy Statistics"
    assert get(fp, "/haproxy?stats", headers=[login()]).status == 200
    assert get(fp2, "/anything").raw == AUTH_401 % b"Dc1 Statistics"
    assert get(fp2, "/", headers=[login("admin", "p@ssw0rd")]).status == 200
    # Outside the URI prefix the request goes on to the server.
    assert get(fp, "/haproxy").header("x-server") == "a"
    assert not any(q.target.startswith("/haproxy?stats") for q in a.requests)


def test_401_and_403_end_the_connection(proxy, http_server, port):
    """HAProxy closes a keep-alive connection after the page's 401 or 403 (`stats auth`,
    `stats http-request deny`), without saying so in a `connection` header, while the page
    itself (and a proxy's own `http-request auth`) keeps it open."""
    a = http_server("a")
    fp, fp2 = port(), port()
    proxy.start(ps.config(f"""
        listen web
            bind 127.0.0.1:{fp}
            stats enable
            stats auth user:pass
            server a {a.addr}
        listen other
            bind 127.0.0.1:{fp2}
            stats enable
            stats http-request deny if {{ hdr(x-deny) -m found }}
            server a {a.addr}
        """))
    with Client(fp) as c:
        assert c.request(target="/haproxy?stats", headers=[login()]).response().status == 200
        assert c.request(target="/haproxy?stats").response().raw == \
            AUTH_401 % b"HAProxy Statistics"
        assert c.closed()
    with Client(fp2) as c:
        r = c.request(target="/haproxy?stats", headers=[("X-Deny", "1")]).response()
        assert r.status == 403 and r.header("connection") is None
        assert c.closed()


def test_page_shows_each_proxy_server_and_state(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp, fp2 = port(), port()
    proxy.start(ps.config(f"""
        listen web
            bind 127.0.0.1:{fp}
            stats enable
            stats auth user:pass
            stats refresh 10s
            server a {a.addr} check inter 200ms
            server b {b.addr} backup
            server c 127.0.0.1:1 disabled
        frontend fe2
            bind 127.0.0.1:{fp2}
            default_backend web
        """))
    r = get(fp, "/haproxy?stats", headers=[login()])
    assert r.status == 200
    assert [(n.lower(), v) for n, v in r.headers] == [
        ("cache-control", "no-cache"), ("content-type", "text/html"), ("refresh", "10"),
        ("transfer-encoding", "chunked")]
    html = r.body.decode()
    assert html.startswith('<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN"')
    assert "<title>Statistics Report for HAProxy</title>" in html
    for name in ("web", "fe2"):
        assert f'<a class=px href="#{name}">{name}</a>' in html
    assert wait_until(lambda: row_class(get(fp, "/haproxy?stats", headers=[login()]).body
                                        .decode(), "web", "a") == "active_up", timeout=5)
    assert row_class(html, "web", "b") == "backup_no_check"
    assert row_class(html, "web", "c") == "maintain"
    assert re.search(r'href="#web/c">c</a></td>.*? MAINT</td>', html)
    # ;norefresh drops the refresh header; the page's own links keep the prefix.
    r = get(fp, "/haproxy?stats;norefresh", headers=[login()])
    assert r.header("refresh") is None
    assert '<li><a href="/haproxy?stats;csv;norefresh">CSV export</a><br>' in r.body.decode()


def test_csv_header_and_states(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp = port()
    proxy.start(web("stats enable",
                    f"server a {a.addr} check inter 200ms\nserver b {b.addr}\n"
                    "server c 127.0.0.1:1 disabled", fp))
    r = get(fp, "/haproxy?stats;csv")
    assert r.status == 200
    assert r.header("content-type") == "text/plain"
    assert r.body.decode().split("\n")[0] == CSV_HEADER
    rows = csv_rows(fp)
    assert [(x["pxname"], x["svname"]) for x in rows] == [
        ("web", "FRONTEND"), ("web", "a"), ("web", "b"), ("web", "c"), ("web", "BACKEND")]
    assert wait_until(lambda: status_of(csv_rows(fp), "web", "a") == "UP", timeout=5)
    assert status_of(rows, "web", "b") == "no check"
    assert status_of(rows, "web", "c") == "MAINT"
    r = get(fp, "/haproxy?stats;json")
    assert r.header("content-type") == "application/json"
    assert r.body.startswith(b"[[{")


def test_admin_form_puts_a_server_in_maintenance(proxy, http_server, port):
    a, b = http_server("a"), http_server("b")
    fp = port()
    proxy.start(web("stats enable\nstats auth user:pass\nstats admin if TRUE",
                    f"server a {a.addr}\nserver b {b.addr}", fp))
    assert {get(fp, "/x").header("x-server") for _ in range(4)} == {"a", "b"}
    html = get(fp, "/haproxy?stats", headers=[login()]).body.decode()
    assert '<form method="post">' in html
    assert "<input class='web-checkbox' type=\"checkbox\" name=\"s\" value=\"a\">" in html
    backend_id = re.search(r'<input type="hidden" name="b" value="(#\d+)">', html).group(1)
    form = f"s=a&action=maint&b={backend_id.replace('#', '%23')}".encode()
    r = get(fp, "/haproxy?stats", method="POST", body=form,
            headers=[login(), ("Content-Type", "application/x-www-form-urlencoded")])
    assert r.status == 303 and r.reason == "See Other"
    assert r.header("location") == "/haproxy?stats;st=DONE"
    assert r.header("content-length") == "0"
    proxy.wait_stderr(r"Server web/a is going DOWN for maintenance\. 1 active and 0 backup "
                      r"servers left\.")
    assert status_of(csv_rows(fp, headers=[login()]), "web", "a") == "MAINT"
    served = len(a.requests)
    assert {get(fp, "/y").header("x-server") for _ in range(4)} == {"b"}
    assert len(a.requests) == served
    page = get(fp, "/haproxy?stats;st=DONE", headers=[login()]).body.decode()
    assert "Action processed successfully." in page
    assert row_class(page, "web", "a") == "maintain"
    # Back to READY: traffic comes back.
    form = f"s=a&action=ready&b={backend_id.replace('#', '%23')}".encode()
    assert get(fp, "/haproxy?stats", method="POST", body=form,
               headers=[login()]).header("location") == "/haproxy?stats;st=DONE"
    assert {get(fp, "/z").header("x-server") for _ in range(4)} == {"a", "b"}


def test_post_without_admin_rights_is_denied(proxy, http_server, port):
    a = http_server("a")
    fp = port()
    proxy.start(web("stats enable", f"server a {a.addr}", fp))
    html = get(fp, "/haproxy?stats").body.decode()
    assert '<form method="post">' not in html
    r = get(fp, "/haproxy?stats", method="POST", body=b"s=a&action=maint&b=%231")
    assert r.status == 303 and r.header("location") == "/haproxy?stats;st=DENY"
    assert status_of(csv_rows(fp), "web", "a") != "MAINT"


def test_scope_hides_other_proxies(proxy, http_server, port):
    a = http_server("a")
    fp, fp2 = port(), port()
    proxy.start(ps.config(f"""
        listen web
            bind 127.0.0.1:{fp}
            stats enable
            stats scope .
            server a {a.addr}
        listen other
            bind 127.0.0.1:{fp2}
            stats uri /st
            server o {a.addr}
        """))
    assert {x["pxname"] for x in csv_rows(fp)} == {"web"}
    html = get(fp, "/haproxy?stats").body.decode()
    assert 'href="#web"' in html and 'href="#other"' not in html
    # The page's search box (;scope=TEXT): proxies whose name holds TEXT, any case.
    assert {x["pxname"] for x in csv_rows(fp2, "/st;scope=OTH")} == {"other"}
    assert {x["pxname"] for x in csv_rows(fp2, "/st;scope=e")} == {"web", "other"}


def test_hide_version(proxy, http_server, port):
    a = http_server("a")
    fp, fp2 = port(), port()
    proxy.start(ps.config(f"""
        listen hidden
            bind 127.0.0.1:{fp}
            stats uri /
            stats hide-version
            server a {a.addr}
        listen shown
            bind 127.0.0.1:{fp2}
            stats uri /
            server a {a.addr}
        """))
    hidden = get(fp, "/").body.decode()
    assert '<h1><a href="http://www.haproxy.org/" style="text-decoration: none;">HAProxy</a></h1>' \
        in hidden
    assert "version" not in hidden
    shown = get(fp2, "/").body.decode()
    assert re.search(r"<h1><a [^>]*>HAProxy version \S", shown)


def test_stats_in_tcp_mode_is_ignored_with_haproxys_warning(proxy, tcp_echo, port):
    e = tcp_echo("e")
    fp = port()
    proxy.start(ps.config(f"""
        listen t
            bind 127.0.0.1:{fp}
            stats enable
            server e {e.addr}
        """, mode="tcp"))
    assert "'stats' statement ignored for proxy 't' as it requires HTTP mode." in proxy.stderr


# --- Headless Chromium on seed 000 ---------------------------------------------------------

CHROMIUM = shutil.which("chromium")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Debian's chromium, headless, with a profile of its own under tmp_path; bounded in time."""
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", "--disable-background-networking", "--disable-sync",
         "--no-default-browser-check", "--proxy-server=direct://", "--proxy-bypass-list=*",
         f"--user-data-dir={profile}", "--window-size=1400,900", *args],
        capture_output=True, timeout=60, cwd=tmp_path)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                             "(scripts/setup installs it)")
def test_chromium_opens_seed_000_stats_page(proxy, http_server, port, tmp_path):
    from test_seed_configs import run_seed
    a = http_server("webA", check_path="/check.txt")
    b = http_server("webB", check_path="/check.txt")
    b.check_status = 404  # webB's check.txt is missing: DOWN on the page
    (fp,) = run_seed(proxy, tmp_path, "000", {"webA": a.addr, "webB": b.addr})
    proxy.wait_stderr(r"Server webfarm/webB is DOWN", timeout=8)
    url = f"http://user:pass@127.0.0.1:{fp}/haproxy?stats"
    shot = tmp_path / "stats.png"
    got = chromium(tmp_path, f"--screenshot={shot}", url)
    assert shot.exists() and shot.stat().st_size > 10_000, got.stderr[-2000:]
    width, height = png_size(shot.read_bytes())
    assert (width, height) == (1400, 900)
    dom = chromium(tmp_path, "--dump-dom", url).stdout.decode(errors="replace")
    assert "Statistics Report for pid" in dom
    assert row_class(dom, "webfarm", "webA") == "active_up"
    assert row_class(dom, "webfarm", "webB") == "active_down"
    assert re.search(r'href="#webfarm/webA">webA</a>.*? UP</td>', dom)
    assert re.search(r'href="#webfarm/webB">webB</a>.*? DOWN</td>', dom)


def test_stats_http_request_rules_and_admin_by_group(proxy, http_server, port):
    """configuration.txt's "stats admin" example: a userlist, `stats http-request auth unless
    AUTH`, `stats admin if AUTH_ADMIN`; and a `stats http-request deny` before it."""
    a = http_server("a")
    fp = port()
    proxy.start(ps.config(f"""
        userlist stats-auth
            group admin    users admin
            user  admin    insecure-password AdMiN123
            group readonly users haproxy
            user  haproxy  insecure-password haproxy
        listen web
            bind 127.0.0.1:{fp}
            acl AUTH       http_auth(stats-auth)
            acl AUTH_ADMIN http_auth_group(stats-auth) admin
            stats enable
            stats http-request deny if {{ hdr(x-deny) -m found }}
            stats http-request auth unless AUTH
            stats admin if AUTH_ADMIN
            server a {a.addr}
        """))
    assert get(fp, "/haproxy?stats").raw == AUTH_401 % b"HAProxy Statistics"
    r = get(fp, "/haproxy?stats", headers=[("X-Deny", "1")])
    assert r.raw == (b"HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\n"
                     b"content-type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\n"
                     b"Request forbidden by administrative rules.\n</body></html>\n")
    readonly = get(fp, "/haproxy?stats", headers=[login("haproxy", "haproxy")])
    assert readonly.status == 200 and b'<form method="post">' not in readonly.body
    admin = get(fp, "/haproxy?stats", headers=[login("admin", "AdMiN123")])
    assert admin.status == 200 and b'<form method="post">' in admin.body
    r = get(fp, "/haproxy?stats", method="POST", body=b"s=a&action=drain&b=web",
            headers=[login("haproxy", "haproxy")])
    assert r.header("location") == "/haproxy?stats;st=DENY"
    r = get(fp, "/haproxy?stats", method="POST", body=b"s=a&action=drain&b=web",
            headers=[login("admin", "AdMiN123")])
    assert r.header("location") == "/haproxy?stats;st=DONE"
    assert status_of(csv_rows(fp, headers=[login("haproxy", "haproxy")]), "web", "a") == "DRAIN"
