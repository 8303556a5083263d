"""The removed 1.x header rules (reqadd, rspadd, reqidel, rspidel, reqrep and the other req*/rsp*
filters, reqsetbe), which blog-era configs still use. HAProxy 2.6 refuses these configs, so the
legacy form runs on Tandem ONLY (marker tandem_only). Each legacy test has a twin that runs
today's equivalent on both implementations with the same assertions: real HAProxy vouches for
what the legacy line must do. The legacy lines mean what HAProxy 1.8's filters made of them: a
regex over the request (status) line and each "Name: value" header line, a replacement that
rewrites the whole line, reqdeny 403, reqtarpit 500, rspdeny 502, reqallow sparing the request
from later verdicts."""

from __future__ import annotations

import re
import subprocess

import pytest

from proxy_support import HAPROXY, config, get

# legacy line(s) -> today's form, as HAProxy 2.6's own alert names it. The client sends
# "X-Debug: 1" and "x-debug: 2"; the server answers with "X-Powered-By: php".
FORMS = {
    "reqadd": (r"reqadd X-Proto:\ https", "http-request add-header X-Proto https"),
    "rspadd": (r"rspadd X-Frame-Options:\ DENY", "http-response add-header X-Frame-Options DENY"),
    "reqidel": (r"reqidel ^X-Debug:", "http-request del-header X-Debug"),
    "rspidel": (r"rspidel ^X-Powered-By:", "http-response del-header X-Powered-By"),
    "reqrep": (r"reqrep ^([^\ :]*)\ /old/(.*) \1\ /new/\2",
               r"http-request replace-path /old/(.*) /new/\1"),
    "reqirep": (r"reqirep ^x-debug:\ 1 X-Debug:\ one",
                r"http-request replace-header X-Debug ^1$ one"),
    "reqdel": (r"reqdel ^X-Debug:\ 1",
               "http-request del-header X-Debug\nhttp-request add-header X-Debug 2"),
    "reqdeny": (r"reqdeny ^X-Debug:\ 1", "http-request deny if { req.hdr(x-debug) 1 }"),
    "reqideny": (r"reqideny ^x-DEBUG:\ 2", "http-request deny if { req.hdr(x-debug) 2 }"),
    "reqallow": ("reqallow ^X-Debug:\\ 1\nreqdeny ^GET",
                 "http-request allow if { req.hdr(x-debug) 1 }\nhttp-request deny"),
    "reqtarpit": (r"reqtarpit ^GET\ /old/", "http-request tarpit if { path_beg /old/ }"),
    "rsprep": (r"rsprep ^X-Powered-By:\ (.*) X-Powered-By:\ \1-legacy",
               r"http-response replace-header X-Powered-By (.*) \1-legacy"),
    "rspirep": (r"rspirep ^x-powered-by:\ php X-Powered-By:\ hidden",
                "http-response replace-header X-Powered-By php hidden"),
    "rspdel": (r"rspdel ^X-Powered-By:\ php", "http-response del-header X-Powered-By"),
    "rspdeny": (r"rspdeny ^X-Powered-By:\ php",
                "http-response deny if { res.hdr(x-powered-by) php }"),
}


def run_rule(proxy, http_server, port, rule: str):
    s = http_server("app")
    s.extra_headers = [("X-Powered-By", "php")]
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            {rule}
            default_backend b
        backend b
            server app {s.addr}
    """))
    r = get(fp, "/old/page", headers=[("X-Debug", "1"), ("x-debug", "2")])
    return r, (s.requests[0] if s.requests else None)


def check(name: str, response, received) -> None:
    if name in ("reqdeny", "reqideny", "reqtarpit"):
        assert response.status == (500 if name == "reqtarpit" else 403), response.raw
        assert received is None
        return
    if name == "rspdeny":
        assert response.status == 502, response.raw
        assert received is not None
        return
    assert response.status == 200, response.raw
    if name == "reqadd":
        assert received.all("x-proto") == ["https"]
    elif name == "rspadd":
        assert response.all("x-frame-options") == ["DENY"]
    elif name == "reqidel":
        assert received.all("x-debug") == []
    elif name == "rspidel":
        assert response.all("x-powered-by") == []
    elif name == "reqrep":
        assert received.target == "/new/page"
    elif name == "reqirep":
        assert received.all("x-debug") == ["one", "2"]
    elif name == "reqdel":
        assert received.all("x-debug") == ["2"]
    elif name == "reqallow":
        assert received.target == "/old/page"
    elif name == "rsprep":
        assert response.all("x-powered-by") == ["php-legacy"]
    elif name == "rspirep":
        assert response.all("x-powered-by") == ["hidden"]
    elif name == "rspdel":
        assert response.all("x-powered-by") == []
    else:
        raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(FORMS))
def test_modern_form(name, proxy, http_server, port):
    check(name, *run_rule(proxy, http_server, port, FORMS[name][1]))


@pytest.mark.tandem_only
@pytest.mark.parametrize("name", sorted(FORMS))
def test_legacy_form_on_tandem(name, proxy, http_server, port):
    check(name, *run_rule(proxy, http_server, port, FORMS[name][0]))


@pytest.mark.parametrize("name", sorted(FORMS))
def test_haproxy_26_refuses_the_legacy_form(name, tmp_path):
    cfg = tmp_path / "legacy.cfg"
    cfg.write_text(config(f"""
        frontend fe
            bind 127.0.0.1:1
            {FORMS[name][0]}
            default_backend b
        backend b
            server app 127.0.0.1:2
    """))
    r = subprocess.run([HAPROXY, "-c", "-f", cfg], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    # 2.6 words reqdeny's alert without "directive is".
    assert re.search(rf"The '{name}' (directive is )?not supported anymore since HAProxy 2\.1\.",
                     r.stderr), r.stderr


# reqsetbe (1.4): switch to a backend when a line of the request matches, before use_backend.
SETBE = (r"reqsetbe ^X-Debug:\ 1 other", "use_backend other if { req.hdr(x-debug) 1 }")


def run_switch(proxy, http_server, port, rule: str):
    main, other = http_server("main"), http_server("other")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            {rule}
            default_backend b
        backend b
            server app {main.addr}
        backend other
            server app {other.addr}
    """))
    switched = get(fp, "/x", headers=[("X-Debug", "1")])
    plain = get(fp, "/y", headers=[("X-Debug", "2")])
    assert switched.header("x-server") == "other", switched.raw
    assert plain.header("x-server") == "main", plain.raw
    assert [r.target for r in other.requests] == ["/x"]


def test_modern_switch(proxy, http_server, port):
    run_switch(proxy, http_server, port, SETBE[1])


@pytest.mark.tandem_only
def test_legacy_switch_on_tandem(proxy, http_server, port):
    run_switch(proxy, http_server, port, SETBE[0])


def test_haproxy_26_does_not_know_reqsetbe(tmp_path):
    cfg = tmp_path / "legacy.cfg"
    cfg.write_text(config(f"""
        frontend fe
            bind 127.0.0.1:1
            {SETBE[0]}
            default_backend b
        backend b
            server app 127.0.0.1:2
        backend other
            server app 127.0.0.1:3
    """))
    r = subprocess.run([HAPROXY, "-c", "-f", cfg], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "unknown keyword 'reqsetbe'" in r.stderr
