"""HTTP rules as HAProxy 2.6 applies them (after reg-tests/http-rules/*.vtc): acl and
use_backend, default_backend, http-request deny/redirect/return/auth/set-header and friends,
http-response header rules. What reached the backend is asserted from the bytes it read; what
the proxy answered itself, byte for byte."""

from __future__ import annotations

import base64

from proxy_support import Client, config, get

DENY_403 = (b"HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\n"
            b"content-type: text/html\r\n\r\n<html><body><h1>403 Forbidden</h1>\n"
            b"Request forbidden by administrative rules.\n</body></html>\n")
DENY_429 = (b"HTTP/1.1 429 Too Many Requests\r\ncontent-length: 117\r\n"
            b"cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
            b"<html><body><h1>429 Too Many Requests</h1>\n"
            b"You have sent too many requests in a given amount of time.\n</body></html>\n")
AUTH_401 = (b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 112\r\ncache-control: no-cache\r\n"
            b"content-type: text/html\r\nwww-authenticate: Basic realm=\"Private\"\r\n\r\n"
            b"<html><body><h1>401 Unauthorized</h1>\n"
            b"You need a valid user and password to access this content.\n</body></html>\n")
TARPIT_500 = (b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 97\r\n"
              b"cache-control: no-cache\r\ncontent-type: text/html\r\n\r\n"
              b"<html><body><h1>500 Internal Server Error</h1>\n"
              b"An internal server error occurred.\n</body></html>\n")


def one_backend(proxy, http_server, port, frontend_rules: str, backend_rules: str = "",
                extra: str = "", defaults: str = ""):
    s = http_server("app")
    fp = port()
    proxy.start(config(f"""
        {extra}
        frontend fe
            bind 127.0.0.1:{fp}
            {frontend_rules}
            default_backend b
        backend b
            {backend_rules}
            server app {s.addr}
    """, defaults=defaults))
    return fp, s


def test_use_backend_by_path_and_host_else_default(proxy, http_server, port):
    static, api, web = http_server("static"), http_server("api"), http_server("web")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            acl is_static path_beg /static /images
            acl is_api hdr(host) -i api.example.com
            use_backend st if is_static
            use_backend ap if is_api
            default_backend www
        backend st
            server static {static.addr}
        backend ap
            server api {api.addr}
        backend www
            server web {web.addr}
    """))
    assert get(fp, "/static/a.css").header("x-server") == "static"
    assert get(fp, "/images/x.png", host="api.example.com").header("x-server") == "static"
    assert get(fp, "/v1/users", host="API.Example.com").header("x-server") == "api"
    assert get(fp, "/v1/users", host="www.example.com").header("x-server") == "web"
    # path_beg is a string prefix, not a path segment match.
    assert get(fp, "/staticky").header("x-server") == "static"
    assert get(fp, "/other/static").header("x-server") == "web"
    assert [r.target for r in static.requests] == ["/static/a.css", "/images/x.png", "/staticky"]


def test_use_backend_first_match_wins_and_negation(proxy, http_server, port):
    a, b, c = http_server("a"), http_server("b"), http_server("c")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            use_backend ba if {{ path_beg /x }}
            use_backend bb if {{ path_beg /x/y }}
            use_backend bb if !{{ hdr(x-c) -m found }}
            default_backend bc
        backend ba
            server a {a.addr}
        backend bb
            server b {b.addr}
        backend bc
            server c {c.addr}
    """))
    assert get(fp, "/x/y").header("x-server") == "a"
    assert get(fp, "/z").header("x-server") == "b"
    assert get(fp, "/z", headers=[("X-C", "1")]).header("x-server") == "c"


def test_no_backend_answers_503(proxy, port):
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
    """))
    r = get(fp)
    assert r.status == 503
    assert b"No server is available to handle this request." in r.body


def test_deny_answers_403_and_keeps_the_connection(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, "http-request deny if { path_beg /admin }")
    with Client(fp) as c:
        assert c.request("GET", "/admin/x").response().raw == DENY_403
        assert c.request("GET", "/ok").response().header("x-server") == "app"
    assert [r.target for r in s.requests] == ["/ok"]


def test_deny_status(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port,
                        "http-request deny deny_status 429 if { path_beg /slow }")
    assert get(fp, "/slow").raw == DENY_429
    assert s.requests == []


def test_deny_unless_acl(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, """
        acl trusted src 127.0.0.2
        http-request deny unless trusted
    """)
    assert get(fp).raw == DENY_403
    assert get(fp, source="127.0.0.2").status == 200
    assert len(s.requests) == 1


def test_request_header_rules_reach_the_backend(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, r"""
        http-request set-header X-Set one
        http-request add-header X-Add two
        http-request add-header X-Add three
        http-request del-header X-Remove
        http-request replace-header User-Agent ^curl/(.*)$ agent-\1
    """)
    r = get(fp, "/p", headers=[("X-Set", "zero"), ("X-Remove", "1"), ("User-Agent", "curl/8.0"),
                               ("X-Remove", "2")])
    assert r.status == 200
    assert s.requests[0].head == (b"GET /p HTTP/1.1\r\nhost: test\r\nuser-agent: agent-8.0\r\n"
                                  b"x-set: one\r\nx-add: two\r\nx-add: three\r\n\r\n")


def test_replace_value_works_on_each_comma_separated_value(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, "http-request replace-value X-List ^a$ A")
    get(fp, headers=[("X-List", "a, b, a")])
    # HAProxy 2.6 rewrites the list with its own separators.
    assert s.requests[0].all("x-list") == ["A, b,A"]


def test_set_path_and_set_header_from_a_sample(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, """
        http-request set-path /app%[path] if { path_beg /v1 }
        http-request set-header X-Orig-Host %[req.hdr(host)]
    """)
    get(fp, "/v1/x?q=1", host="h.example")
    assert s.requests[0].target == "/app/v1/x?q=1"
    assert s.requests[0].header("x-orig-host") == "h.example"


def test_redirect_location(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port,
                        "http-request redirect location /new if { path /old }")
    assert get(fp, "/old").raw == (b"HTTP/1.1 302 Found\r\ncontent-length: 0\r\n"
                                   b"location: /new\r\ncache-control: no-cache\r\n\r\n")
    assert s.requests == []


def test_redirect_prefix_keeps_the_uri(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port,
                        "http-request redirect prefix https://x.example if { path_beg /p }")
    r = get(fp, "/p/a?b=1")
    assert (r.status, r.header("location")) == (302, "https://x.example/p/a?b=1")


def test_redirect_scheme_uses_the_host(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, "http-request redirect scheme https")
    r = get(fp, "/x/y?z", host="www.example")
    assert (r.status, r.header("location")) == (302, "https://www.example/x/y?z")


def test_redirect_code_301_is_not_marked_no_cache(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port,
                        "http-request redirect location /moved code 301")
    assert get(fp, "/a").raw == (b"HTTP/1.1 301 Moved Permanently\r\ncontent-length: 0\r\n"
                                 b"location: /moved\r\n\r\n")


def test_redirect_keyword_form(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port,
                        "redirect prefix http://new.example code 307 if { hdr(host) old.example }")
    r = get(fp, "/doc", host="old.example")
    assert (r.status, r.reason, r.header("location")) == (
        307, "Temporary Redirect", "http://new.example/doc")
    assert get(fp, "/doc", host="new.example").status == 200


def test_response_header_rules(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, """
        http-response set-header X-Resp yes
        http-response del-header X-Server
        http-response add-header Via test
    """)
    s.extra_headers = [("X-Resp", "no")]
    r = get(fp)
    assert r.status == 200
    assert r.header("x-server") is None
    assert r.all("x-resp") == ["yes"]
    assert r.head.endswith(b"x-resp: yes\r\nvia: test\r\n\r\n")


def test_response_rules_in_the_backend_and_on_status(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, "",
                        "http-response set-header X-Error 1 if { status ge 500 }")
    assert get(fp, "/status/502").header("x-error") == "1"
    assert get(fp, "/").header("x-error") is None


def test_return_with_a_body(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port, r"""
        http-request return status 200 content-type text/plain string "hello\n" if { path /ping }
        http-request return status 404 if { path /gone }
    """)
    assert get(fp, "/ping").raw == (b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n"
                                    b"content-type: text/plain\r\n\r\nhello\n")
    assert get(fp, "/gone").raw == b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
    assert s.requests == []


def test_auth_challenges_then_lets_the_user_through(proxy, http_server, port):
    fp, s = one_backend(proxy, http_server, port,
                        "http-request auth realm Private unless { http_auth(users) }",
                        extra="""
        userlist users
            user alice insecure-password secret
    """)
    assert get(fp, "/private").raw == AUTH_401
    wrong = base64.b64encode(b"alice:nope").decode()
    assert get(fp, headers=[("Authorization", f"Basic {wrong}")]).raw == AUTH_401
    assert s.requests == []
    good = base64.b64encode(b"alice:secret").decode()
    r = get(fp, "/private", headers=[("Authorization", f"Basic {good}")])
    assert r.status == 200
    assert s.requests[0].header("authorization") == f"Basic {good}"


def test_auth_groups_and_hashed_passwords(proxy, http_server, port):
    # bob's password is "secret6" as SHA-512 crypt(3) (openssl passwd -6 -salt abcdefgh).
    sha512 = ("$6$abcdefgh$xCmU6eXePqd8uT3.jYlk3Fgv/roflqiCi/twHrvHhPTT4qT0rTqu/3ZTFEf6uqFcl7eKyk81"
              "ngZEadU/ehEy51")
    fp, s = one_backend(proxy, http_server, port, """
        acl is_admin http_auth_group(users) admins
        http-request auth realm Admins if { path_beg /admin } !is_admin
        http-request auth realm Private unless { http_auth(users) }
        http-request set-header X-User %[http_auth_user]
    """, extra=f"""
        userlist users
            group admins users bob
            group staff
            user alice insecure-password secret groups staff
            user bob password {sha512}
    """)

    def as_user(credentials: bytes, path: str):
        token = base64.b64encode(credentials).decode()
        return get(fp, path, headers=[("Authorization", f"Basic {token}")])

    denied = as_user(b"alice:secret", "/admin")
    assert denied.status == 401
    assert denied.header("www-authenticate") == 'Basic realm="Admins"'
    assert as_user(b"bob:secret6", "/admin").status == 200
    wrong = as_user(b"bob:secret", "/page")
    assert wrong.header("www-authenticate") == 'Basic realm="Private"'
    assert as_user(b"alice:secret", "/page").status == 200
    assert [(r.target, r.header("x-user")) for r in s.requests] == [("/admin", "bob"),
                                                                    ("/page", "alice")]


def test_tarpit_answers_500_after_the_tarpit_timeout(proxy, http_server, port):
    import time
    fp, s = one_backend(proxy, http_server, port, "http-request tarpit if { path /bot }",
                        defaults="timeout tarpit 300ms")
    t0 = time.monotonic()
    assert get(fp, "/bot").raw == TARPIT_500
    assert time.monotonic() - t0 >= 0.25
    assert s.requests == []
