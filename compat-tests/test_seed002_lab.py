"""Seed 002 ("Haproxy can be used to create HA of backend servers. But how to HA for Haproxy
itself?", CentOS 7, 30 October 2014), end to end as the post runs it: host1/host2 with the
post's haproxy.cfg (frontend on *:5000, the url_static ACL) and keepalived.conf (`pkill -0
haproxy`, priorities 101/100, both `state MASTER`) at its paths, the ip_nonlocal_bind sysctl,
host3 as the Apache server; and the post's "example config for openstack" on its own node
(osha) with the 10.224.155.xx placeholders filled in (examples/blog-configs/002-*/README.md), a
certificate the lab makes at /home/app/cert/appcert/app.crt, horizon.app.com resolved through
the machine's /etc/hosts, two controllers behind it. One test per claim of the README's list,
in the post's order.

Tandem only: Debian's haproxy 2.6 refuses both haproxy files (`frontend main *:5000`;
`contimeout`, `listen stats 0.0.0.0:9000`, `reqadd`), so there is no Debian run of this module.
HAProxy's behaviour for the OpenStack frontends is proven on loopback against Debian's haproxy
with a modernised twin in compat-tests/proxy/test_tls.py (test_002_openstack_frontends_...),
the cookie options in compat-tests/proxy/test_http_cookies.py, the admin form in
compat-tests/proxy/test_stats_page.py; keepalived 2.2.7's lines for `pkill -0` fail-over in
compat-tests/vrrp/test_seed000_vrrp.py. The files' `chroot /var/lib/haproxy` and `stats socket
/var/lib/haproxy/stats` get a private /var/lib/haproxy on each machine (lab.toml `private`)."""

import re
import sys
from pathlib import Path

import pytest

from conftest import seed_dir
from lab import Lab, load_topology

sys.path.insert(0, str(Path(__file__).resolve().parent / "vrrp"))
from vrrp_support import log_lines, wait_log, wait_vip  # noqa: E402

VIP = "10.224.147.208"
CERT = "/home/app/cert/appcert/app.crt"
# frontend -> (address the client connects to, port, controller page name, server names);
# the addresses are the README's reconstruction, horizon by its name.
OPENSTACK = {
    "horizon": ("horizon.app.com", 443, "horizon", ("horizon1", "horizon2")),
    "keystone": ("10.224.155.101", 443, "keystone", ("keystone1", "keystone2")),
    "keystone_admin": ("10.224.155.102", 443, "keystoneadmin", ("keystoneadmin1", "keystoneadmin2")),
    "novaapi": ("10.224.155.103", 443, "novaapi", ("novaapi1", "novaapi2")),
    "novanovnc": ("10.224.155.103", 444, "novanovnc", ("novanovnc1", "novanovnc2")),
    "glanceapi": ("10.224.155.104", 443, "glanceapi", ("glanceapi1", "glanceapi2")),
    "glanceregistry": ("10.224.155.105", 443, "glanceregistry", ("glanceregistry1", "glanceregistry2")),
    "swift": ("10.224.155.106", 443, "swift", ("swift1", "swift2")),
    "neutron": ("10.224.155.107", 443, "neutron", ("neutron1", "neutron2")),
    "heat_api": ("10.224.155.108", 443, "heatapi", ("heat_api_1", "heat_api_2")),
    "heat_api_cfn": ("10.224.155.109", 443, "heatapicfn", ("heat_api_cfn_1", "heat_api_cfn_2")),
}
PORTS = {"horizon": 8088, "keystone": 5000, "keystoneadmin": 35357, "novaapi": 8774,
         "novanovnc": 6080, "glanceapi": 9292, "glanceregistry": 9191, "swift": 8080,
         "neutron": 9696, "heatapi": 8004, "heatapicfn": 8000}
STATS = "http://10.224.155.10:9000/haproxy"


@pytest.fixture(scope="module")
def lab(blog_configs, tandem_bin):
    if not (tandem_bin / "haproxy").exists():
        pytest.skip(f"no Tandem build in {tandem_bin}")
    topo = load_topology(seed_dir(blog_configs, "002") / "lab.toml")
    with Lab(topo, impl="tandem", tandem_bin=tandem_bin) as lab:
        yield lab


def curl(lab, url, *opts, machine="client"):
    """GET from a machine: (status, headers as lower-case name -> [values], body)."""
    r = lab.exec(machine, ["curl", "-s", "-i", "--max-time", "5", *opts, url])
    head, _, body = r.stdout.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else 0
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return status, headers, body


def page_name(body):
    m = re.search(r"<h1>([\w-]+)</h1>", body)
    return m.group(1) if m else None


def stat(lab, machine="host1"):
    """`show stat` on the post's `stats socket /var/lib/haproxy/stats`: {(proxy, server): row}."""
    out = lab.exec(machine, "echo 'show stat' | socat stdio /var/lib/haproxy/stats", check=True).stdout
    lines = out.splitlines()
    names = lines[0].lstrip("# ").split(",")
    return {(row[0], row[1]): dict(zip(names, row))
            for row in (line.split(",") for line in lines[1:] if line)}


def controller_log(lab, ctl, service):
    return lab.log(ctl, f"httpd-{PORTS[service]}").splitlines()


def test_host1_holds_the_vip_and_says_so_in_its_log(lab):
    """"On host 1, to check who holds vip: `ip a | grep -e inet.*eth0` ... inet
    10.224.147.208/32 scope global eth0"; host2 shows only its own address. "on host 1 you can
    see keepalived "Entering MASTER STATE"": `VRRP_Script(chk_haproxy) succeeded` ...
    `VRRP_Instance(VI_1) Entering MASTER STATE` (keepalived 2.x: `(VI_1) Entering MASTER
    STATE`)."""
    wait_vip(lab, "host1", "host2", VIP, timeout=20)
    shown = lab.exec("host1", "ip a | grep -e inet.*eth0").stdout.splitlines()
    assert [s.strip() for s in shown] == [
        "inet 10.224.147.166/24 brd 10.224.147.255 scope global eth0",
        "inet 10.224.147.208/32 scope global eth0"]
    shown = lab.exec("host2", "ip a | grep -e inet.*eth0").stdout.splitlines()
    assert [s.strip() for s in shown] == ["inet 10.224.147.167/24 brd 10.224.147.255 scope global eth0"]
    ok = wait_log(lab, "host1", "VRRP_Script(chk_haproxy) succeeded")
    master = wait_log(lab, "host1", "(VI_1) Entering MASTER STATE")
    assert ok < master
    assert "(VI_1) Entering MASTER STATE" not in log_lines(lab, "host2")


def test_killing_haproxy_on_host1_gives_host2_the_vip(lab):
    """"If you killed haproxy on host 1, host 2 should get the vip 10.224.147.208." (101 on
    host1 without the check's +2, 100+2 on host2.) haproxy back on host1 takes it back (both
    are `state MASTER`: preemption)."""
    wait_vip(lab, "host1", "host2", VIP)
    n1, n2 = len(log_lines(lab, "host1")), len(log_lines(lab, "host2"))
    lab.stop("host1", "haproxy")
    assert lab.exec("host1", "pkill -0 haproxy").returncode == 1
    wait_vip(lab, "host2", "host1", VIP, timeout=15)
    wait_log(lab, "host1", "VRRP_Script(chk_haproxy) failed (exited with status 1)", after=n1)
    wait_log(lab, "host1", "(VI_1) Entering BACKUP STATE", after=n1)
    wait_log(lab, "host2", "(VI_1) Entering MASTER STATE", after=n2)
    status, _, body = curl(lab, f"http://{VIP}:5000/")
    assert status == 200 and page_name(body) == "host3"     # host2's haproxy now
    lab.start("host1", "haproxy")
    wait_vip(lab, "host1", "host2", VIP, timeout=15)


def test_host3_pings_the_vip(lab):
    """"On host 3, ping vip will pass": `ping 10.224.147.208` answers."""
    wait_vip(lab, "host1", "host2", VIP)
    r = lab.exec("host3", f"ping -c 3 -i 0.2 -W 2 {VIP}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 packets transmitted, 3 received, 0% packet loss" in r.stdout


def test_the_vip_port_5000_shows_host3s_page_through_haproxy(lab):
    """"Enter http://10.224.147.208:5000/ in browser you should see apache welcome page behind
    haproxy": host3's page, fetched by host1's haproxy (host3 logs host1 as its client)."""
    wait_vip(lab, "host1", "host2", VIP)
    before = len(lab.log("host3", "httpd").splitlines())
    status, headers, body = curl(lab, f"http://{VIP}:5000/")
    assert status == 200 and page_name(body) == "host3"
    assert headers["x-served-by"] == ["host3"]
    new = lab.log("host3", "httpd").splitlines()[before:]
    assert any(re.match(r'(::ffff:)?10\.224\.147\.166 "GET / HTTP/1\.1" 200', line) for line in new), new


def test_url_static_acl_sends_static_paths_to_backend_static(lab):
    """The frontend's `acl url_static path_beg -i /static /images /javascript /stylesheets`,
    `acl url_static path_end -i .jpg .gif .png .css .js`, `use_backend static if url_static`,
    `default_backend app`: counted per backend on the post's `stats socket
    /var/lib/haproxy/stats` (both backends are host3, so only HAProxy can tell)."""
    wait_vip(lab, "host1", "host2", VIP)
    # path_beg is a prefix of the path, so /staticx is static too; -i ignores case.
    static = ["/static/a", "/staticx", "/images/b", "/javascript/c", "/stylesheets/d",
              "/IMAGES/e", "/x.jpg", "/x.gif", "/y/x.png", "/x.css", "/x.JS"]
    app = ["/", "/index.html", "/app/static/", "/x.jpeg", "/x.json"]
    before = stat(lab)
    for path in static + app:
        assert curl(lab, f"http://{VIP}:5000{path}")[0] in (200, 404)
    after = stat(lab)

    def served(proxy):
        return int(after[(proxy, "BACKEND")]["stot"]) - int(before[(proxy, "BACKEND")]["stot"])
    assert (served("static"), served("app")) == (len(static), len(app))


def test_openstack_frontends_terminate_tls_with_app_crt(lab):
    """OpenStack config: every frontend `bind ...:443 ssl crt /home/app/cert/appcert/app.crt`
    (novnc on :444, sharing nova's VIP), `bind horizon.app.com:443` resolved through the
    node's /etc/hosts; each answers HTTPS with that certificate and reaches its controllers."""
    listening = lab.exec("osha", "ss -Hltn").stdout
    assert "10.224.155.100:443 " in listening          # horizon.app.com from /etc/hosts
    want = lab.exec("osha", f"openssl x509 -in {CERT} -noout -fingerprint -sha256",
                    check=True).stdout.strip()
    for name, (host, port, service, _servers) in OPENSTACK.items():
        got = lab.exec("client", f"openssl s_client -connect {host}:{port} -servername {host} "
                                 f"</dev/null 2>/dev/null | openssl x509 -noout -fingerprint "
                                 f"-sha256").stdout.strip()
        assert got == want, name
        status, _, body = curl(lab, f"https://{host}:{port}/", "-k")
        assert status == 200, name
        assert page_name(body) in (f"ctl1-{service}", f"ctl2-{service}"), (name, body)


def test_openstack_requests_carry_x_forwarded_headers(lab):
    """`reqadd X-Forwarded-Protocol:\\ https` (heat's two: `X-Forwarded-Proto:\\ https`) and
    `option forwardfor`: the controllers see https and the client's address; `option
    httpclose` closes each answer."""
    for name, (host, port, service, _servers) in OPENSTACK.items():
        status, headers, body = curl(lab, f"https://{host}:{port}/", "-k")
        assert status == 200
        assert headers.get("connection") == ["close"], (name, headers)
        ctl = page_name(body).split("-")[0]
        line = controller_log(lab, ctl, service)[-1]
        assert '"GET / HTTP/1.1" 200' in line
        assert " X-Forwarded-For=10.224.155.200 " in line, line
        if name.startswith("heat"):
            assert " X-Forwarded-Protocol=- X-Forwarded-Proto=https " in line, line
        else:
            assert " X-Forwarded-Protocol=https X-Forwarded-Proto=- " in line, line


def test_openstack_cookie_serverid_pins_each_backend(lab):
    """`cookie SERVERID insert indirect nocache` and `server NAME ... cookie NAME` in every
    backend: the first answer sets SERVERID=<the server's name>, a client sending it back
    stays on that controller, and (indirect) the controller never sees the cookie."""
    for name, (host, port, service, servers) in OPENSTACK.items():
        status, headers, body = curl(lab, f"https://{host}:{port}/", "-k")
        first = page_name(body).split("-")[0]
        assert headers["set-cookie"] == [f"SERVERID={servers[int(first[-1]) - 1]}; path=/"], name
        for i, server in enumerate(servers):
            pages = set()
            for _ in range(3):
                status, headers, body = curl(lab, f"https://{host}:{port}/", "-k",
                                             "-b", f"SERVERID={server}")
                assert status == 200 and "set-cookie" not in headers, (name, headers)
                pages.add(page_name(body))
            assert pages == {f"ctl{i + 1}-{service}"}, (name, server, pages)
            line = controller_log(lab, f"ctl{i + 1}", service)[-1]
            assert line.endswith(" Cookie=-"), line


def test_openstack_stats_on_9000_with_the_posts_login(lab):
    """`listen stats 0.0.0.0:9000`, `stats uri /haproxy`, `stats realm HAProxy\\ Statistics`,
    `stats auth admin:password`: http://<node>:9000/haproxy asks for the login, then shows
    every frontend and backend."""
    status, headers, _ = curl(lab, STATS)
    assert status == 401
    assert headers["www-authenticate"] == ['Basic realm="HAProxy Statistics"']
    assert curl(lab, STATS, "-u", "admin:wrong")[0] == 401
    status, _, page = curl(lab, STATS, "-u", "admin:password")
    assert status == 200
    for name in OPENSTACK:
        assert f"{name}_frontend" in page and f"{name}_server" in page


def test_openstack_stats_admin_takes_a_controller_out(lab):
    """`stats admin if TRUE`: the page's form acts. Putting horizon1 in maintenance sends every
    new horizon visitor to horizon2; ready again, both serve."""
    status, _, page = curl(lab, STATS, "-u", "admin:password")
    assert '<form method="post">' in page
    # The form of horizon_server: the one listing horizon1's checkbox.
    section = page[page.index('name="s" value="horizon1"'):]
    backend = re.search(r'<input type="hidden" name="b" value="([^"]+)">', section).group(1)

    def act(action):
        r = lab.exec("client", ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %header{location}",
                                "-u", "admin:password", "--data-urlencode", "s=horizon1",
                                "--data-urlencode", f"action={action}",
                                "--data-urlencode", f"b={backend}", STATS])
        return r.stdout
    assert act("maint") == "303 /haproxy;st=DONE"
    pages = {page_name(curl(lab, "https://horizon.app.com/", "-k")[2]) for _ in range(4)}
    assert pages == {"ctl2-horizon"}
    csv = curl(lab, STATS + ";csv", "-u", "admin:password")[2]
    row = next(line.split(",") for line in csv.splitlines() if line.startswith("horizon_server,horizon1,"))
    assert row[17] == "MAINT"
    assert act("ready") == "303 /haproxy;st=DONE"
    Lab.wait_for(lambda: {page_name(curl(lab, "https://horizon.app.com/", "-k")[2])
                          for _ in range(4)} == {"ctl1-horizon", "ctl2-horizon"}, 10,
                 "horizon1 back in rotation")
