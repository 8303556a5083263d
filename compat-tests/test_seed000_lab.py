"""Seed 000 ("Building a failover load balancing cluster on four machines with HAProxy and
Keepalived in Debian Squeeze"), end to end as the post runs it: the post's haproxy.cfg and
keepalived.conf files byte for byte (no-break spaces, `contimeout`, `listen webfarm *:80`)
at its paths on proxy1 and proxy2, its /etc/default/haproxy and sysctls, two caches serving
check.txt, and the post's benchmark host; Tandem plays haproxy and keepalived. One test per
claim of the post, in the post's order (examples/blog-configs/000-*/README.md lists them).

Tandem only: Debian's haproxy 2.6.12 and keepalived 2.2.7 refuse these files (the first test
shows it), so there is no Debian run of this module. Debian's pair runs a modernised copy
of the setup in test_seed000_failover_load.py and bench/bench_failover_load.py, and the
election, link cut, preemption and haproxy-death lines are compared with keepalived 2.2.7
in compat-tests/vrrp/test_seed000_vrrp.py; this module does not repeat them."""

import re
import sys
from pathlib import Path

import pytest

from conftest import seed_dir
from lab import Lab, load_topology

sys.path.insert(0, str(Path(__file__).resolve().parent / "vrrp"))
from vrrp_support import log_lines, wait_vip  # noqa: E402

VIP = "11.22.33.44"
CACHES = {"cache1": "A", "cache2": "B"}       # server webA/webB ... cookie A/B

# The post's proxy2 log (keepalived 1.x, 2011) and the lines keepalived 2.2.7 (and Tandem)
# print for the same events. 2.x dropped "Transition to MASTER STATE": the transition is
# logged as the timeout that causes it.
POST_FAILOVER = [
    ("VRRP_Instance(VI_1) Transition to MASTER STATE", "(VI_1) Receive advertisement timeout"),
    ("VRRP_Instance(VI_1) Entering MASTER STATE", "(VI_1) Entering MASTER STATE"),
]
POST_FAILBACK = [
    ("VRRP_Instance(VI_1) Received higher prio advert",
     "(VI_1) Master received advert from 11.22.33.42 with higher priority 103, ours 102"),
    ("VRRP_Instance(VI_1) Entering BACKUP STATE", "(VI_1) Entering BACKUP STATE"),
]


@pytest.fixture(scope="module")
def folder(blog_configs):
    return seed_dir(blog_configs, "000")


@pytest.fixture(scope="module")
def lab(folder, tandem_bin):
    if not (tandem_bin / "haproxy").exists():
        pytest.skip(f"no Tandem build in {tandem_bin}")
    with Lab(load_topology(folder / "lab.toml"), impl="tandem", tandem_bin=tandem_bin) as lab:
        yield lab


def fetch(lab, cookie=None, path="/"):
    """GET through the VIP from the client: (status, headers text, body)."""
    extra = f"-H 'Cookie: SERVERID={cookie}' " if cookie else ""
    r = lab.exec("client", f"curl -s -i --max-time 5 {extra}http://{VIP}{path}")
    head, _, body = r.stdout.replace("\r\n", "\n").partition("\n\n")
    m = re.match(r"HTTP/1\.[01] (\d+)", head)
    return (int(m.group(1)) if m else 0), head, body


def served_by(body):
    m = re.search(r"<h1>(cache\d)</h1>", body)
    return m.group(1) if m else None


def in_rotation(lab):
    return {served_by(fetch(lab)[2]) for _ in range(4)}


def stats_csv(lab):
    """webfarm's rows of the stats page's CSV export: {name: row}."""
    r = lab.exec("client", f"curl -s --max-time 5 -u user:pass 'http://{VIP}/haproxy?stats;csv'")
    lines = r.stdout.splitlines()
    assert lines and lines[0].startswith("# pxname,svname,"), r.stdout
    cols = lines[0][2:].split(",")
    rows = [dict(zip(cols, line.split(","))) for line in lines[1:] if line]
    return {row["svname"]: row for row in rows if row["pxname"] == "webfarm"}


def test_the_posts_files_are_on_the_machines_byte_for_byte(lab, folder):
    for m in ("proxy1", "proxy2"):
        assert lab.read_file(m, "/etc/haproxy/haproxy.cfg") == (folder / "haproxy.cfg").read_text()
        assert lab.read_file(m, "/etc/keepalived/keepalived.conf") == \
            (folder / f"{m}.keepalived.conf").read_text()
        assert "\u00a0" in lab.read_file(m, "/etc/keepalived/keepalived.conf")
        assert lab.read_file(m, "/etc/default/haproxy") == (
            "# Set ENABLED to 1 if you want the init script to start haproxy.\nENABLED=1\n"
            "# Add extra flags here.\n#EXTRAOPTS=\"-de -m 16\"\n")
        # The post's `sysctl -p` output.
        r = lab.exec(m, "sysctl net.ipv4.ip_forward net.ipv4.ip_nonlocal_bind")
        assert r.stdout == "net.ipv4.ip_forward = 1\nnet.ipv4.ip_nonlocal_bind = 1\n"
    for m in CACHES:
        assert lab.exec("client", f"curl -sf http://{lab.addresses(m)[0].split('/')[0]}/check.txt"
                        ).stdout == "check ok\n"
    assert lab.exec("client", "hostname").stdout == "testserver1\n"


def test_tandem_checks_the_files_debians_tools_refuse(lab):
    r = lab.exec("proxy1", "haproxy -f /etc/haproxy/haproxy.cfg -c")
    assert r.returncode == 0 and "Configuration file is valid" in r.stdout + r.stderr, r.stderr
    r = lab.exec("proxy1", "/usr/sbin/haproxy -f /etc/haproxy/haproxy.cfg -c")
    assert r.returncode == 1
    assert "parsing [/etc/haproxy/haproxy.cfg:2] : unknown keyword '\u00a0" in r.stdout + r.stderr
    r = lab.exec("proxy1", "keepalived -t -f /etc/keepalived/keepalived.conf")
    assert r.returncode in (0, 6), r.stdout + r.stderr      # 6: valid, script_security warning
    r = lab.exec("proxy1", "/usr/sbin/keepalived -t -f /etc/keepalived/keepalived.conf")
    assert r.returncode == 5, r.stdout + r.stderr


def test_proxy1_holds_the_vip(lab):
    """"Proxy1 is now master and has the correct IP assigned as an alias" (higher priority)."""
    wait_vip(lab, "proxy1", "proxy2", VIP, timeout=20)
    shown = lab.exec("proxy1", "ip addr sh eth0").stdout
    assert "inet 11.22.33.42/27 brd 11.22.33.63 scope global eth0" in shown
    assert f"inet {VIP}/32 scope global eth0" in shown
    assert VIP not in lab.exec("proxy2", "ip addr sh eth0").stdout


def test_requests_through_the_vip_alternate_and_the_cookie_pins_them(lab):
    wait_vip(lab, "proxy1", "proxy2", VIP, timeout=20)
    Lab.wait_for(lambda: in_rotation(lab) == set(CACHES), 20, "both caches in rotation")
    seen = []
    for _ in range(4):
        status, head, body = fetch(lab)
        assert status == 200, head
        cache = served_by(body)
        seen.append(cache)
        # cookie SERVERID insert: the first answer pins the visitor to its server.
        assert re.search(rf"^set-cookie: SERVERID={CACHES[cache]}; path=/$", head, re.M | re.I), head
    assert all(a != b for a, b in zip(seen, seen[1:])), f"not round-robin: {seen}"
    for cache, cookie in CACHES.items():
        pinned = [fetch(lab, cookie) for _ in range(4)]
        assert [served_by(body) for _, _, body in pinned] == [cache] * 4
        assert not any("set-cookie" in head.lower() for _, head, _ in pinned), \
            "a visitor with a valid cookie gets no new one"


def test_httpchk_drops_a_cache_that_stops_serving_check_txt_and_takes_it_back(lab):
    Lab.wait_for(lambda: in_rotation(lab) == set(CACHES), 20, "both caches in rotation")
    # The checks are the post's request, from both load balancers.
    checks = lab.log("cache2", "httpd")
    for proxy in ("11.22.33.42", "11.22.33.43"):
        assert re.search(rf"^(::ffff:)?{re.escape(proxy)} \"HEAD /check.txt HTTP/1.0\" 200 -$",
                         checks, re.M), checks[-500:]
    lab.exec("cache2", "mv /var/www/check.txt /var/www/check.txt.off", check=True)
    try:
        # inter 2s, fall 3: DOWN within about 6 s.
        Lab.wait_for(lambda: stats_csv(lab)["webB"]["status"] == "DOWN", 15, "webB DOWN")
        assert stats_csv(lab)["webA"]["status"] == "UP"
        assert [served_by(fetch(lab)[2]) for _ in range(4)] == ["cache1"] * 4
        # A visitor pinned to the dead cache is served by the other (option redispatch)
        # and re-pinned there.
        status, head, body = fetch(lab, cookie="B")
        assert status == 200 and served_by(body) == "cache1"
        assert re.search(r"^set-cookie: SERVERID=A; path=/$", head, re.M | re.I), head
    finally:
        lab.exec("cache2", "mv /var/www/check.txt.off /var/www/check.txt", check=True)
    # rise 2: UP again within about 4 s.
    Lab.wait_for(lambda: stats_csv(lab)["webB"]["status"] == "UP", 15, "webB UP again")
    Lab.wait_for(lambda: in_rotation(lab) == set(CACHES), 10, "cache2 back in rotation")


def test_the_stats_page_asks_for_user_pass(lab):
    """`stats enable` + `stats auth user:pass` in `listen webfarm`: the page is on the VIP's
    port 80 at HAProxy's default URI. The post's "11.22.33.44:1936" is not in its config:
    nothing listens there (README: doubtful claim)."""
    r = lab.exec("client", f"curl -s -i --max-time 5 'http://{VIP}/haproxy?stats'")
    # (the exec's text mode reads CRLF as "\n")
    assert r.stdout.startswith("HTTP/1.1 401 Unauthorized\n"), r.stdout[:300]
    assert re.search(r'^www-authenticate: Basic realm="HAProxy Statistics"$', r.stdout, re.M | re.I)
    r = lab.exec("client", f"curl -s -i --max-time 5 -u user:wrong 'http://{VIP}/haproxy?stats'")
    assert r.stdout.startswith("HTTP/1.1 401 ")
    r = lab.exec("client", f"curl -s -i --max-time 5 -u user:pass 'http://{VIP}/haproxy?stats'")
    assert r.stdout.startswith("HTTP/1.1 200 "), r.stdout[:300]
    for name in ("webfarm", "webA", "webB"):
        assert name in r.stdout
    r = lab.exec("client", f"curl -s --max-time 5 -o /dev/null -w '%{{http_code}}' http://{VIP}:1936/")
    assert r.stdout == "000" and r.returncode == 7, "nothing listens on 1936 (connection refused)"


def test_ab_through_the_vip_completes_without_failures(lab):
    """The post's benchmark from testserver1: `ab -k -n 10000 -c 1000` (the post asks for
    /favicon.ico of its site; the caches here serve their page at /)."""
    wait_vip(lab, "proxy1", "proxy2", VIP)
    Lab.wait_for(lambda: in_rotation(lab) == set(CACHES), 20, "both caches in rotation")
    r = lab.exec("client", f"ab -k -n 10000 -c 1000 http://{VIP}/", timeout=180)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert re.search(r"^Complete requests:\s+10000$", out, re.M), out
    assert re.search(r"^Failed requests:\s+0$", out, re.M), out
    assert "Non-2xx responses" not in out, out
    assert re.search(r"^Keep-Alive requests:\s+10000$", out, re.M), out


def test_stopping_proxy1s_network_moves_the_vip_to_proxy2(lab):
    """"Watch /var/log/messages on proxy2 while stopping the network on proxy1": the link goes
    down inside proxy1 (as `/etc/init.d/networking stop` does), proxy2 logs the post's lines
    in keepalived 2's words and shows 11.22.33.44 on eth0, and the site still answers."""
    wait_vip(lab, "proxy1", "proxy2", VIP)
    n2 = len(log_lines(lab, "proxy2"))
    lab.cut("proxy1", how="ifdown")
    wait_vip(lab, "proxy2", "proxy1", VIP, timeout=15)
    assert_post_lines(lab, "proxy2", n2, POST_FAILOVER)
    shown = lab.exec("proxy2", "ip addr sh eth0").stdout
    assert "inet 11.22.33.43/27 brd 11.22.33.63 scope global eth0" in shown
    assert f"inet {VIP}/32 scope global eth0" in shown
    Lab.wait_for(lambda: in_rotation(lab) == set(CACHES), 15, "the site through proxy2")


def test_reenabling_proxy1s_network_moves_the_vip_back(lab):
    wait_vip(lab, "proxy2", "proxy1", VIP)
    n2 = len(log_lines(lab, "proxy2"))
    lab.restore("proxy1")
    wait_vip(lab, "proxy1", "proxy2", VIP, timeout=20)
    assert_post_lines(lab, "proxy2", n2, POST_FAILBACK)
    assert VIP not in lab.exec("proxy2", "ip addr sh eth0").stdout
    Lab.wait_for(lambda: in_rotation(lab) == set(CACHES), 15, "the site through proxy1")


def assert_post_lines(lab, machine, after, pairs):
    """Each of the post's lines has its keepalived 2 counterpart in the log, in the post's
    order, after line `after`."""
    def found():
        lines = log_lines(lab, machine)[after:]
        at = -1
        for _, ours in pairs:
            try:
                at = lines.index(ours, at + 1)
            except ValueError:
                return False
        return True
    try:
        Lab.wait_for(found, 15, f"the post's lines on {machine}")
    except Exception:
        raise AssertionError(
            f"{machine}'s log lacks, in order, {[ours for _, ours in pairs]} (the post: "
            f"{[post for post, _ in pairs]}):\n" + "\n".join(log_lines(lab, machine)[after:])) from None
