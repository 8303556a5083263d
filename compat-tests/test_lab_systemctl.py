"""The lab's `systemctl` and `service` stand-ins (compat-tests/lab/bin): lab machines have no
systemd, yet posts check their proxy with `systemctl status haproxy` (seed 003's vrrp_script)
and readers restart it with `systemctl restart haproxy` or `service haproxy start` (seed 000).
The stand-ins answer for the machine's services with systemd's documented exit codes for
`status` (LSB: 0 running, 3 not running, 4 unknown unit) and start, stop, restart and reload
them through the lab's service table. Run once with Debian's haproxy and keepalived and once
with Tandem's: the stand-in is the lab's, the daemons it drives are each implementation's."""

import re

import pytest

from lab import Lab, parse_topology

HAPROXY_CFG = """global
    daemon
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind :8080
    default_backend be
backend be
    server s1 127.0.0.1:80
"""

# keepalived tracks haproxy through systemctl, as seed 003 does; the instance's priority
# shows the script's result (100 + 20 while `systemctl status haproxy` exits 0).
KEEPALIVED_CONF = """vrrp_script chk_haproxy {
    script "systemctl status haproxy"
    interval 1
    weight 20
}
vrrp_instance VI_1 {
    interface eth0
    state BACKUP
    virtual_router_id 61
    priority 100
    virtual_ipaddress {
        10.9.0.100
    }
    track_script {
        chk_haproxy
    }
}
"""


@pytest.fixture(scope="module", params=["debian", "tandem"])
def lab(request, tandem_bin, tmp_path_factory):
    impl = request.param
    if impl == "tandem" and not (tandem_bin / "haproxy").exists():
        pytest.skip(f"no Tandem build in {tandem_bin}")
    topo = parse_topology({
        "name": "sctl",
        "machines": [{
            "name": "m1",
            "interfaces": [{"name": "eth0", "addresses": ["10.9.0.1/24"]}],
            "files": [
                {"path": "/etc/haproxy/haproxy.cfg", "content": HAPROXY_CFG},
                {"path": "/etc/keepalived/keepalived.conf", "content": KEEPALIVED_CONF},
            ],
            "services": [
                {"name": "haproxy", "command": "haproxy -f /etc/haproxy/haproxy.cfg -D -p /run/haproxy.pid"},
                {"name": "httpd", "command": "lab-httpd --port 80 --name m1"},
                {"name": "keepalived", "command": "keepalived --dont-fork --log-console "
                                                  "-f /etc/keepalived/keepalived.conf"},
                {"name": "later", "command": "lab-httpd --port 81 --name later", "autostart": False},
                {"name": "broken", "command": "false", "autostart": False},
            ],
        }],
    }, "test_lab_systemctl", None)
    with Lab(topo, impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None) as lab:
        Lab.wait_for(lambda: get(lab, 8080) == "m1", 10, "haproxy to serve m1's page")
        yield lab


def run(lab, cmd):
    r = lab.exec("m1", cmd)
    return r.returncode, r.stdout, r.stderr


def get(lab, port):
    r = lab.exec("m1", f"curl -s --max-time 3 http://127.0.0.1:{port}/")
    m = re.search(r"<h1>(\w+)</h1>", r.stdout)
    return m.group(1) if m else None


def haproxy_pid(lab):
    return int(lab.read_file("m1", "/run/haproxy.pid").split()[0])


def test_status_of_a_running_daemon_is_0_with_its_main_pid(lab):
    code, out, _ = run(lab, "systemctl status haproxy")
    assert code == 0, out
    assert "● haproxy.service - " in out
    assert re.search(r"^     Active: active \(running\) since ", out, re.M), out
    # -D: the started process forked and exited; the daemon is found by its unit's mark.
    assert f"   Main PID: {haproxy_pid(lab)} (haproxy)\n" in out
    assert run(lab, "systemctl status haproxy.service")[0] == 0
    assert run(lab, "systemctl status httpd")[0] == 0


def test_status_of_a_stopped_unit_is_3_and_of_an_unknown_one_4(lab):
    code, out, _ = run(lab, "systemctl status later")
    assert code == 3, out
    assert "○ later.service - " in out and "     Active: inactive (dead)\n" in out
    code, out, err = run(lab, "systemctl status nosuch")
    assert code == 4 and out == ""
    assert err == "Unit nosuch.service could not be found.\n"
    assert run(lab, "systemctl -q status later") == (3, "", "")
    assert run(lab, "systemctl is-active haproxy later nosuch") == (3, "active\ninactive\ninactive\n", "")


def test_start_and_stop_go_through_the_service_table(lab):
    assert run(lab, "systemctl start later") == (0, "", "")
    assert get(lab, 81) == "later"
    assert run(lab, "systemctl status later")[0] == 0
    assert run(lab, "systemctl start later") == (0, "", ""), "starting a running unit is a no-op"
    assert run(lab, "systemctl stop later") == (0, "", "")
    assert get(lab, 81) is None
    assert get(lab, 80) == "m1", "stopping one unit leaves the others running"
    assert run(lab, "systemctl status later")[0] == 3


def test_a_start_that_fails_says_so_and_status_shows_failed(lab):
    code, _, err = run(lab, "systemctl start broken")
    assert code == 1
    assert err.startswith("Job for broken.service failed because the control process exited "
                          "with error code.\n")
    code, out, _ = run(lab, "systemctl status broken")
    assert code == 3
    assert "     Active: failed (Result: exit-code)\n" in out
    assert "(code=exited, status=1)" in out
    assert run(lab, "systemctl stop nosuch")[0] == 5


def test_service_wrapper_and_restart(lab):
    before = haproxy_pid(lab)
    assert run(lab, "service haproxy restart")[0] == 0
    after = haproxy_pid(lab)
    assert after != before
    assert run(lab, "service haproxy status")[0] == 0
    assert get(lab, 8080) == "m1"


def test_reload_replaces_haproxy_with_sf(lab):
    before = haproxy_pid(lab)
    assert run(lab, "systemctl reload haproxy") == (0, "", "")
    Lab.wait_for(lambda: haproxy_pid(lab) != before, 5, "a new haproxy pid")
    # The old process finishes (-sf); the unit keeps running and serving.
    Lab.wait_for(lambda: run(lab, f"kill -0 {before}")[0] != 0, 10, "the old haproxy to exit")
    assert run(lab, "systemctl status haproxy")[0] == 0
    assert get(lab, 8080) == "m1"
    code, _, err = run(lab, "systemctl reload later")
    assert code == 1 and err == "later.service is not active, cannot reload.\n"


def test_keepalived_tracks_haproxy_through_systemctl(lab):
    """Seed 003's check, `script "systemctl status haproxy"`: keepalived finds the stand-in
    on its PATH; the script succeeds while haproxy runs and fails once it is stopped."""
    def log():
        return lab.log("m1", "keepalived")
    Lab.wait_for(lambda: "VRRP_Script(chk_haproxy) succeeded" in log(), 10,
                 "chk_haproxy to succeed")
    assert run(lab, "systemctl stop haproxy") == (0, "", "")
    assert not lab.running("m1", "haproxy")
    Lab.wait_for(lambda: "VRRP_Script(chk_haproxy) failed (exited with status 3)" in log(), 10,
                 "chk_haproxy to fail with systemctl's 3:\n" + log())
    assert run(lab, "systemctl start haproxy") == (0, "", "")
    Lab.wait_for(lambda: get(lab, 8080) == "m1", 10, "haproxy to serve again")
