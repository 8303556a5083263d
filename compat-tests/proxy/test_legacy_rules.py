"""The removed 1.x header rules (reqadd, rspadd, reqidel, rspidel, reqrep), which blog-era
configs still use. HAProxy 2.6 refuses these configs, so the legacy form runs on Tandem ONLY
(marker tandem_only). Each legacy test has a twin that runs today's equivalent on both
implementations with the same assertions: real HAProxy vouches for what the legacy line must
do."""

from __future__ import annotations

import subprocess

import pytest

from proxy_support import HAPROXY, config, get

# legacy line -> today's form, as HAProxy 2.6's own alert names it.
FORMS = {
    "reqadd": (r"reqadd X-Proto:\ https", "http-request add-header X-Proto https"),
    "rspadd": (r"rspadd X-Frame-Options:\ DENY", "http-response add-header X-Frame-Options DENY"),
    "reqidel": (r"reqidel ^X-Debug:", "http-request del-header X-Debug"),
    "rspidel": (r"rspidel ^X-Powered-By:", "http-response del-header X-Powered-By"),
    "reqrep": (r"reqrep ^([^\ :]*)\ /old/(.*) \1\ /new/\2",
               r"http-request replace-path /old/(.*) /new/\1"),
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
    assert r.status == 200, r.raw
    return r, s.requests[0]


def check(name: str, response, received) -> None:
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
    assert f"The '{name}' directive is not supported anymore since HAProxy 2.1." in r.stderr
