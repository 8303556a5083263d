"""More http-request / http-response actions as HAProxy 2.6 runs them (after
reg-tests/http-rules/*.vtc): reject, set-var/unset-var and var() in the txn and sess scopes,
return with headers and log-format bodies, and http-after-response on every response,
the proxy's own included."""

from __future__ import annotations

from proxy_support import Client, config, get


def front(proxy, port, web_addr: str, rules: str, backend_rules: str = "") -> int:
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            {rules}
            default_backend be
        backend be
            {backend_rules}
            server s {web_addr}
    """))
    return fp


def test_reject_closes_without_an_answer(proxy, http_server, port):
    web = http_server("web")
    fp = front(proxy, port, web.addr, "http-request reject if { path /no }")
    with Client(fp) as c:
        c.request("GET", "/no")
        try:
            assert c.rest() == b""
        except OSError:
            pass
    assert get(fp, "/yes").status == 200
    assert [r.target for r in web.requests] == ["/yes"]


def test_set_var_txn_feeds_headers_and_acls(proxy, http_server, port):
    web = http_server("web")
    fp = front(proxy, port, web.addr,
               "http-request set-var(txn.host) req.hdr(host),lower\n"
               "http-request deny if { var(txn.host) -m str blocked.example }\n"
               "http-request set-header X-Host %[var(txn.host)]")
    assert get(fp, host="WWW.Example.COM").status == 200
    assert web.requests[0].header("x-host") == "www.example.com"
    assert get(fp, host="Blocked.Example").status == 403
    assert len(web.requests) == 1


def test_txn_variables_do_not_outlive_their_request(proxy, http_server, port):
    web = http_server("web")
    fp = front(proxy, port, web.addr,
               "http-request set-var(txn.p) path if { path /first }\n"
               "http-request set-header X-P %[var(txn.p)] if { var(txn.p) -m found }")
    with Client(fp) as c:
        assert c.request("GET", "/first").response().status == 200
        assert c.request("GET", "/second").response().status == 200
    assert web.requests[0].header("x-p") == "/first"
    assert web.requests[1].header("x-p") is None


def test_sess_variables_last_for_the_connection(proxy, http_server, port):
    web = http_server("web")
    fp = front(proxy, port, web.addr,
               "http-request set-var(sess.first) path if !{ var(sess.first) -m found }\n"
               "http-request set-header X-First %[var(sess.first)]")
    with Client(fp) as c:
        c.request("GET", "/a").response()
        c.request("GET", "/b").response()
    assert [r.header("x-first") for r in web.requests] == ["/a", "/a"]


def test_unset_var(proxy, http_server, port):
    web = http_server("web")
    fp = front(proxy, port, web.addr,
               "http-request set-var(txn.x) str(one)\n"
               "http-request unset-var(txn.x) if { path /gone }\n"
               "http-request set-header X-X %[var(txn.x)] if { var(txn.x) -m found }")
    get(fp, "/kept")
    get(fp, "/gone")
    assert web.requests[0].header("x-x") == "one"
    assert web.requests[1].header("x-x") is None


def test_response_set_var_reads_the_response(proxy, http_server, port):
    web = http_server("web", status=201)
    fp = front(proxy, port, web.addr, "",
               "http-response set-var(txn.code) status\n"
               "http-response set-header X-Code %[var(txn.code)]")
    r = get(fp)
    assert r.status == 201
    assert r.header("x-code") == "201"


def test_return_with_headers_and_a_log_format_body(proxy, http_server, port):
    web = http_server("web")
    fp = front(proxy, port, web.addr,
               'http-request return status 202 content-type text/plain '
               'lf-string "host=%[req.hdr(host)]" hdr X-A b hdr X-Path %[path]')
    r = get(fp, "/p", host="h.example")
    assert r.status == 202
    assert r.body == b"host=h.example"
    assert r.header("x-a") == "b"
    assert r.header("x-path") == "/p"
    assert r.header("content-type") == "text/plain"
    assert web.requests == []


def test_after_response_reaches_server_and_own_responses(proxy, http_server, port):
    web = http_server("web")
    fp = front(proxy, port, web.addr,
               "http-request deny if { path /denied }\n"
               "http-after-response set-header X-After yes\n"
               "http-after-response del-header X-Server")
    ok = get(fp, "/")
    assert ok.status == 200
    assert ok.header("x-after") == "yes"
    assert ok.header("x-server") is None
    denied = get(fp, "/denied")
    assert denied.status == 403
    assert denied.header("x-after") == "yes"


def test_after_response_on_a_503(proxy, port):
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            http-after-response set-header X-After 503-too
            default_backend none
        backend none
            server s 127.0.0.1:1 disabled
    """))
    r = get(fp)
    assert r.status == 503
    assert r.header("x-after") == "503-too"
