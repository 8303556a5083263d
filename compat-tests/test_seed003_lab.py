"""Seed 003 ("Linux Cluster with HAProxy and Keepalived": an HAProxy guide, then a postfix
cluster per datacenter), end to end as the post runs it: dc1server01/02 each run the post's DC1
haproxy.cfg (`mode tcp` on 10.0.10.3:25 to postfix on both nodes, `option smtpchk HELO haproxy`,
stats on :9000 over TLS with admin) and its keepalived.conf (the `vrrp_instance dc1server` line
missing its `{`, `script "systemctl status haproxy"`, `chk_haproxy weight 20`) at the post's
paths, with the ip_nonlocal_bind sysctl and a certificate the lab makes in
/etc/pki/tls/private/; "lb" runs the guide's basic haproxy.cfg (placeholders filled in) and its
snippets in front of app1-app4. One test per claim of examples/blog-configs/003-*/README.md, in
the post's order (the guide first).

The mail servers are the lab's lab-smtpd, which really accepts mail and spools each message
(/var/tmp/lab-mail on its node), not Debian's postfix: installing postfix on a CI machine
installs and starts a host-wide MTA (a system service on the host's port 25, debconf questions)
outside anything a test may touch; lab-smtpd does what the post needs of postfix here: greet,
answer HELO, take mail. `systemctl status haproxy` is the lab's systemctl stand-in
(compat-tests/lab/bin/systemctl), which answers for the machine's services as systemd would.

The DC1 files are valid for Debian's haproxy 2.6 (with the certificate in place) and keepalived
2.2.7 (which recovers the missing `{` too, with errors), so each test runs on Debian's pair
and on Tandem (`impl`); the guide's basic config has `rspadd` (removed in 2.1), so its test
is Tandem's only, and under Debian lb's haproxy is not started."""

import re
import sys
from pathlib import Path

import pytest

from conftest import REPO, seed_dir
from lab import Lab, load_topology

sys.path.insert(0, str(Path(__file__).resolve().parent / "vrrp"))
from vrrp_support import log_lines, vip_on, wait_log  # noqa: E402

VIP = "10.0.10.3"
NODES = {"dc1s01": ("10.0.10.1", "dc1server01"), "dc1s02": ("10.0.10.2", "dc1server02")}
APPS = {"192.168.2.2": "appZ_01", "192.168.2.3": "appZ_02", "192.168.2.4": "appZ_03",
        "192.168.2.5": "appZ_04"}
STATS = f"https://{VIP}:9000/"
LOGIN = "admin:p@ssw0rd"
SPOOL = "/var/tmp/lab-mail"
# The guide's snippets sit in a config like its basic one: that file's global and defaults
# (mode http, timeouts, forwardfor, http-server-close), lines 1-12, verbatim.
BASIC_HEAD_LINES = 12


@pytest.fixture(scope="module")
def lab(impl, blog_configs, tandem_bin):
    topo = load_topology(seed_dir(blog_configs, "003") / "lab.toml")
    if impl == "debian":
        topo.machine("lb").service("haproxy").autostart = False    # rspadd: 2.6 refuses it
    with Lab(topo, impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None) as lab:
        yield lab


def seed_file(name):
    return (seed_dir(REPO / "examples" / "blog-configs", "003") / name).read_text()


def basic_head():
    return "".join(seed_file("basic.haproxy.cfg").splitlines(keepends=True)[:BASIC_HEAD_LINES])


def page(lab, url):
    """The app server that answered (lab-httpd's X-Served-By: its page name), or None."""
    r = lab.exec("client", f"curl -s --max-time 5 -D - -o /dev/null '{url}'")
    m = re.search(r"^x-served-by: (appZ_\d\d)\r?$", r.stdout, re.M | re.I)
    return m.group(1) if m else None


def master(lab, servers_up=True):
    """The node holding the VIP, once exactly one does (and, unless told otherwise, once its
    HAProxy has both postfix servers UP: HAProxy takes a server down at its first failed check,
    and the node booted first checked the other's postfix before it ran)."""
    owner = []

    def one():
        owner[:] = [m for m in NODES if vip_on(lab, m, VIP)]
        return len(owner) == 1
    Lab.wait_for(one, 20, f"exactly one node to hold {VIP}")
    if servers_up:
        Lab.wait_for(lambda: all(csv(lab).get(("emailservice", name), {}).get("status") == "UP"
                                 for _, name in NODES.values()), 20, "both postfix servers UP")
    return owner[0]


def spooled(lab, node):
    return sorted(lab.exec(node, f"ls {SPOOL} 2>/dev/null").stdout.split())


def send_mail(lab, to=VIP, subject="test"):
    """One message from the client through SMTP to `to`:25; returns curl's exit code."""
    msg = f"From: client@example.com\r\nTo: postmaster@example.com\r\nSubject: {subject}\r\n\r\nhello\r\n"
    r = lab.exec("client", f"curl -s --max-time 10 smtp://{to} --mail-from client@example.com "
                           f"--mail-rcpt postmaster@example.com -T -", input=msg)
    return r.returncode


def where_sent(lab, n):
    """Sends n messages to the VIP; returns the node that spooled each, in order."""
    out = []
    for i in range(n):
        before = {node: len(spooled(lab, node)) for node in NODES}
        assert send_mail(lab, subject=f"n{i}") == 0
        out.append(next(node for node in NODES if len(spooled(lab, node)) > before[node]))
    return out


def csv(lab):
    r = lab.exec("client", f"curl -sk --max-time 5 -u '{LOGIN}' '{STATS};csv'")
    lines = r.stdout.splitlines()
    names = lines[0].lstrip("# ").split(",")
    return {(row[0], row[1]): dict(zip(names, row)) for row in (ln.split(",") for ln in lines[1:] if ln)}


def run_on_lb(lab, files, extra=""):
    """(Re)starts haproxy on lb with these files (stopping the service's), as `haproxy -f ...`."""
    lab.stop("lb", "haproxy")
    args = " ".join(f"-f {f}" for f in files)
    lab.exec("lb", f"haproxy {args} -D -p /run/guide.pid", check=True)
    Lab.wait_for(lambda: page(lab, "http://192.168.2.1/") is not None, 15, "lb to answer")


# ---- the guide (the post's first half) ---------------------------------------------------

def test_guide_basic_config_round_robins_and_adds_its_headers(lab):
    """"here is an example of a basic haproxy.cfg file" (its IP_OF_MACHINE_0N filled in): the
    frontend on :80 sends every request to appZ-backend, `balance roundrobin` over its four
    servers in order; `option forwardfor` gives them the client in X-Forwarded-For;
    `rspadd X-Forwarded-Host:\\ http:\\\\example.com` adds that header to every answer."""
    if lab.impl == "debian":
        pytest.skip("Debian's haproxy 2.6 refuses the basic config: 'rspadd' was removed in 2.1")
    # (the lab boots app1-app4 first, so no check of lb's has failed: the order is the file's)
    Lab.wait_for(lambda: {page(lab, "http://192.168.2.1/") for _ in range(4)} == set(APPS.values()),
                 20, "the four servers in rotation")
    order = [page(lab, "http://192.168.2.1/") for _ in range(8)]
    servers = sorted(APPS.values())
    start = servers.index(order[0])
    assert order == (servers[start:] + servers[:start]) * 2, order      # in the file's order
    r = lab.exec("client", "curl -s -D - -o /dev/null --max-time 5 http://192.168.2.1/")
    assert re.search(r"^x-forwarded-host: http:\\\\example\.com$", r.stdout, re.M | re.I), r.stdout
    line = lab.log(f"app{order[-1][-1]}", "httpd").splitlines()[-1]
    assert line.endswith(" X-Forwarded-For=192.168.2.100"), line


def test_guide_acl_sends_appx_paths_to_appx_backend(lab):
    """The guide's frontend, backend and ACL snippets together ("Example ACL": `acl url_appX
    path_beg -i /appX/`, `use_backend appX-backend if url_appX`, `default_backend
    appZ-backend`): "/appX/..." goes to appX-backend (appX_01/02 round robin on .2/.3), "all
    other requests will default to the appZ-backend" (appZ_01 on .2; .3 is its backup). The
    post's example "http://example.com/appX" is not one of them: it lacks the ACL's final
    slash, so it goes to appZ-backend."""
    lab.exec("lb", "cat > /tmp/basic-head.cfg", input=basic_head(), check=True)
    run_on_lb(lab, ["/tmp/basic-head.cfg", "/etc/haproxy/acl-frontend.fragment.cfg",
                    "/etc/haproxy/backend-appx.fragment.cfg",
                    "/etc/haproxy/active-passive.fragment.cfg"])
    appx = [page(lab, f"http://192.168.2.1{p}") for p in ("/appX/a", "/appx/b", "/APPX/c", "/appX/d")]
    assert sorted(appx) == ["appZ_01", "appZ_01", "appZ_02", "appZ_02"], appx
    assert all(a != b for a, b in zip(appx, appx[1:])), appx
    other = [page(lab, f"http://192.168.2.1{p}") for p in ("/", "/appX", "/appY/x", "/x/appX/")]
    assert other == ["appZ_01"] * 4, other


def test_guide_backup_server_serves_only_when_the_active_one_is_down(lab):
    """"Active/Passive ... route all traffic to one machine until it goes offline - at which
    time, HAProxy will automatically begin to route traffic to the second machine": appZ_02
    `backup` gets nothing while appZ_01 is up, everything once it is down."""
    assert [page(lab, "http://192.168.2.1/") for _ in range(4)] == ["appZ_01"] * 4
    lab.stop("app1", "lab-httpd")
    try:
        Lab.wait_for(lambda: page(lab, "http://192.168.2.1/") == "appZ_02", 15,
                     "the backup to take over")
        assert [page(lab, "http://192.168.2.1/") for _ in range(4)] == ["appZ_02"] * 4
    finally:
        lab.start("app1", "httpd")
    Lab.wait_for(lambda: page(lab, "http://192.168.2.1/") == "appZ_01", 15,
                 "appZ_01 to be back")


def test_guide_round_robin_is_the_default(lab):
    """"By default, HAProxy will use this algorithm if one is not specified": the guide's
    "Example backend" without its `balance roundrobin` line still alternates appX_01, appX_02
    (behind the basic config's head and the "Example frontend")."""
    text = seed_file("backend-appx.fragment.cfg")
    without = "".join(line for line in text.splitlines(keepends=True) if "balance" not in line)
    assert without != text
    lab.exec("lb", "cat > /tmp/backend-no-balance.cfg", input=basic_head() + without, check=True)
    frontend = seed_file("frontend-http-in.fragment.cfg")
    lab.exec("lb", "cat > /tmp/frontend.cfg", input=frontend, check=True)
    run_on_lb(lab, ["/tmp/backend-no-balance.cfg", "/tmp/frontend.cfg"])
    order = [page(lab, "http://192.168.2.1/") for _ in range(6)]
    assert sorted(set(order)) == ["appZ_01", "appZ_02"], order
    assert all(a != b for a, b in zip(order, order[1:])), order
    lab.exec("lb", "kill $(cat /run/guide.pid)")
    Lab.wait_for(lambda: not lab.running("lb", "haproxy"), 10, "the guide's haproxy to stop")


# ---- the DC1 cluster -----------------------------------------------------------------------

def test_keepalived_reads_the_instance_missing_its_brace(lab):
    """The DC files' `vrrp_instance dc1server` line has no `{`: keepalived (and Tandem) warn
    about it and still build the instance, with the rest of the file: the VIP, the check, the
    password cut to 8 characters ("Truncating auth_pass to 8 characters", in the post's
    log)."""
    for node in NODES:
        wait_log(lab, node, "(dc1server) Entering BACKUP STATE (init)")
        lines = log_lines(lab, node)
        assert any(re.search(r"Line 1[78]\) .*(Missing '\{'|'\{' missing)", ln) for ln in lines), lines
        assert any("Truncating auth_pass to 8 characters" in ln for ln in lines), lines
        assert lab.running(node, "keepalived")


def test_one_node_holds_the_vrrp_address(lab):
    """"keepalived uses the vrrp(2) protocol to maintain a virtual ip address that is able to
    float between any node in a cluster": 10.0.10.3 on one DC1 node, not both; its log says
    `Entering MASTER STATE`, `setting protocol VIPs`, `Sending gratuitous ARPs on eth0 for
    10.0.10.3` (keepalived 2.x: "setting VIPs.", "Sending/queueing gratuitous ARPs")."""
    owner = master(lab, servers_up=False)
    assert f"inet {VIP}/32 scope global eth0" in lab.exec(owner, "ip a sh eth0").stdout
    for line in ("VRRP_Script(chk_haproxy) succeeded",
                 "(dc1server) Changing effective priority from 101 to 121",
                 "(dc1server) Entering MASTER STATE", "(dc1server) setting VIPs.",
                 f"(dc1server) Sending/queueing gratuitous ARPs on eth0 for {VIP}"):
        wait_log(lab, owner, line)
    other = next(n for n in NODES if n != owner)
    assert "(dc1server) Entering MASTER STATE" not in log_lines(lab, other)


def test_mail_sent_to_dc1server00_arrives(lab):
    """"Outgoing Mail is directed via a dns record dc1server00.home.local ... to the vrrp
    address": a message sent to that name is accepted (250) and lands in a node's spool,
    with its text."""
    master(lab)
    before = {n: spooled(lab, n) for n in NODES}
    assert send_mail(lab, to="dc1server00.home.local", subject="via dc1server00") == 0
    new = {n: sorted(set(spooled(lab, n)) - set(before[n])) for n in NODES}
    assert sum(len(v) for v in new.values()) == 1, new
    node, files = next((n, f) for n, f in new.items() if f)
    text = lab.read_file(node, f"{SPOOL}/{files[0]}")
    assert "Subject: via dc1server00" in text and "X-Lab-To: <postmaster@example.com>" in text


def test_haproxy_stopped_on_the_master_moves_the_vip(lab):
    """"keepalived is configured to monitor that haproxy is running on the master, if it isn't
    running then the priority of the master will be reduced and the backup which will now be
    of higher priority will takeover the floating address" (`systemctl status haproxy` every
    2 s, `chk_haproxy weight 20`: 101 against 121). The post's log: `VRRP_Script(chk_haproxy)
    failed`, `Received higher prio advert`, `Entering BACKUP STATE`, `removing protocol
    VIPs`; keepalived 2.x words them as below. Mail to the VIP still arrives."""
    owner = master(lab)
    other = next(n for n in NODES if n != owner)
    n1, n2 = len(log_lines(lab, owner)), len(log_lines(lab, other))
    assert lab.exec(owner, "systemctl status haproxy").returncode == 0
    lab.stop(owner, "haproxy")
    assert lab.exec(owner, "systemctl status haproxy").returncode == 3
    Lab.wait_for(lambda: vip_on(lab, other, VIP) and not vip_on(lab, owner, VIP), 20,
                 f"the VIP to move to {other}")
    failed = wait_log(lab, owner, "VRRP_Script(chk_haproxy) failed (exited with status 3)",
                      after=n1)
    higher = wait_log(lab, owner, f"(dc1server) Master received advert from {NODES[other][0]} "
                                  f"with higher priority 121, ours 101", after=n1)
    backup = wait_log(lab, owner, "(dc1server) Entering BACKUP STATE", after=n1)
    removing = wait_log(lab, owner, "(dc1server) removing VIPs.", after=n1)
    assert failed < higher < backup < removing
    wait_log(lab, other, "(dc1server) Entering MASTER STATE", after=n2)
    wait_log(lab, other, f"(dc1server) Sending/queueing gratuitous ARPs on eth0 for {VIP}", after=n2)
    assert sorted(where_sent(lab, 2)) == sorted(NODES)   # the new master's haproxy, to both
    lab.start(owner, "haproxy")


def test_haproxy_round_robins_smtp_to_postfix_on_both_nodes(lab):
    """"Haproxy is listening on port 25 (smtp) on both nodes in an active/standby fashion and
    is configured to direct connections to postfix on both nodes (Active/Active)": `balance
    roundrobin` over dc1server01/02:25, so successive mails alternate between the spools."""
    master(lab)
    nodes = where_sent(lab, 4)
    assert sorted(nodes) == ["dc1s01", "dc1s01", "dc1s02", "dc1s02"], nodes
    assert all(a != b for a, b in zip(nodes, nodes[1:])), nodes


def test_smtpchk_says_helo_haproxy_and_takes_a_dead_postfix_out(lab):
    """"it will invoke an smtp HELO to check if the postfix ports are available and listening"
    (`option smtpchk HELO haproxy`): every postfix is greeted `HELO haproxy` by both nodes'
    HAProxy, the check passes at layer 7; a stopped postfix fails it and gets no mail."""
    owner = master(lab)
    for node, (addr, _) in NODES.items():
        for peer in (a for a, _ in NODES.values()):
            Lab.wait_for(lambda: re.search(rf"^(::ffff:)?{re.escape(peer)} HELO haproxy$",
                                           lab.log(node, "smtpd"), re.M), 10,
                         f"{peer}'s HELO haproxy in {node}'s log")
    rows = csv(lab)
    for _, name in NODES.values():
        assert rows[("emailservice", name)]["status"] == "UP"
        assert rows[("emailservice", name)]["check_status"] == "L7OK"
    down = next(n for n in NODES if n != owner)
    lab.stop(down, "lab-smtpd")
    try:
        Lab.wait_for(lambda: csv(lab)[("emailservice", NODES[down][1])]["status"] == "DOWN", 20,
                     f"{NODES[down][1]} to fail its check")
        assert where_sent(lab, 3) == [owner] * 3
    finally:
        lab.start(down, "smtpd")
    Lab.wait_for(lambda: csv(lab)[("emailservice", NODES[down][1])]["status"] == "UP", 20,
                 f"{NODES[down][1]} back up")


def test_stats_on_9000_over_tls_with_the_posts_login(lab):
    """"Haproxy will be configured to present statistics ... via a browser at
    http://hostname:9000/": `bind *:9000 ssl crt /etc/pki/tls/private/`, `stats uri /`,
    `stats realm HAProxy\\ Statistics`, `stats auth admin:p@ssw0rd`, `stats hide-version`.
    The README doubts the post's http://: the bind is TLS, so plain HTTP gets no page, and
    https:// asks for the login."""
    master(lab)
    r = lab.exec("client", f"curl -s --max-time 5 -o /dev/null -w '%{{http_code}}' http://{VIP}:9000/")
    assert r.stdout == "000" and r.returncode != 0
    r = lab.exec("client", f"curl -sk -i --max-time 5 {STATS}")
    assert r.stdout.startswith("HTTP/1.1 401 ")
    assert re.search(r'^www-authenticate: Basic realm="HAProxy Statistics"$', r.stdout, re.M | re.I)
    r = lab.exec("client", f"curl -sk --max-time 5 -u '{LOGIN}' {STATS}")
    assert "emailservice" in r.stdout and "dc1server01" in r.stdout
    assert not re.search(r"version\s*[\d.]+", r.stdout, re.I)        # stats hide-version
    # The certificate is the one the lab put in /etc/pki/tls/private/ on that node.
    owner = master(lab)
    want = lab.exec(owner, "openssl x509 -in /etc/pki/tls/private/dc1server.pem -noout "
                           "-fingerprint -sha256", check=True).stdout.strip()
    got = lab.exec("client", f"openssl s_client -connect {VIP}:9000 </dev/null 2>/dev/null | "
                             f"openssl x509 -noout -fingerprint -sha256").stdout.strip()
    assert got == want


def test_stats_admin_drains_a_server_from_the_browser(lab):
    """"the ability to drain servers via a browser" (`stats admin if TRUE`): the page's form
    sets dc1server01 to DRAIN, and new mail goes to dc1server02 only; READY brings it back."""
    master(lab)
    r = lab.exec("client", f"curl -sk --max-time 5 -u '{LOGIN}' {STATS}")
    assert '<form method="post">' in r.stdout
    backend = re.search(r'<input type="hidden" name="b" value="([^"]+)">',
                        r.stdout[r.stdout.index('value="dc1server01"'):]).group(1)

    def act(action):
        return lab.exec("client", ["curl", "-sk", "--max-time", "5", "-o", "/dev/null", "-w",
                                   "%{http_code} %header{location}", "-u", LOGIN,
                                   "--data-urlencode", "s=dc1server01", "--data-urlencode",
                                   f"action={action}", "--data-urlencode", f"b={backend}",
                                   STATS]).stdout
    assert act("drain") == "303 /;st=DONE"
    try:
        assert csv(lab)[("emailservice", "dc1server01")]["status"] == "DRAIN"
        assert where_sent(lab, 3) == ["dc1s02"] * 3
    finally:
        assert act("ready") == "303 /;st=DONE"
    assert csv(lab)[("emailservice", "dc1server01")]["status"] == "UP"
    assert sorted(where_sent(lab, 2)) == ["dc1s01", "dc1s02"]
