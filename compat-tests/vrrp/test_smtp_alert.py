"""smtp_alert: an instance (or a vrrp_sync_group) with smtp_alert mails notification_email
through smtp_server on each state change, in keepalived 2.2.7's words; lab-smtpd on another machine stores what
arrives. Asserted byte for byte (but the Date) for Debian's keepalived and Tandem."""

import base64
import re

import pytest

from lab import Lab, load_topology
from vrrp_support import wait_log, write_topology

GLOBAL = """global_defs {
  notification_email {
    admin@example.com
    ops@example.com
  }
  notification_email_from keepalived@example.com
  smtp_server 10.3.0.25
  smtp_connect_timeout 30
  router_id LVS_MAIN
}
"""
INSTANCE = """vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 91
  priority 100
  advert_int 1
  %s
  virtual_ipaddress {
    10.3.0.100
  }
}
"""
CONFS = {
    "instance": GLOBAL + INSTANCE % "smtp_alert",
    "group": GLOBAL + "vrrp_sync_group G1 {\n  group {\n    VI_1\n  }\n  smtp_alert\n}\n" + INSTANCE % "",
}


def expected(subject, body):
    return ("X-Lab-From: <keepalived@example.com>\n"
            "X-Lab-To: <admin@example.com>, <ops@example.com>\n"
            "Date: DATE\r\n"
            "From: keepalived@example.com\r\n"
            f"Subject: [LVS_MAIN] {subject}\r\n"
            "X-Mailer: Keepalived\r\n"
            "To: admin@example.com, ops@example.com\r\n"
            "\r\n"
            f"=> {body} <=\r\n"
            "\r\n")


@pytest.fixture(scope="module", params=["instance", "group"])
def lab(request, impl, tandem_bin, tmp_path_factory):
    topo = write_topology(tmp_path_factory.mktemp("vsm"), "vsm", [
        # The mail machine first, so its server is up before keepalived's first alert.
        {"name": "mail", "address": "10.3.0.25/24",
         "services": {"smtpd": "lab-smtpd --bind 0.0.0.0 --spool /var/tmp/lab-mail"}},
        {"name": "n1", "address": "10.3.0.11/24", "files": {"/etc/keepalived/keepalived.conf": CONFS[request.param]},
         "services": {"keepalived": "keepalived -n -l -D -f /etc/keepalived/keepalived.conf"}}])
    with Lab(load_topology(topo), impl=impl, tandem_bin=tandem_bin if impl == "tandem" else None) as lab:
        lab.alerts = request.param
        yield lab


def mails(lab):
    names = lab.exec("mail", "ls /var/tmp/lab-mail 2>/dev/null").stdout.split()
    out = []
    for n in sorted(names):
        # base64, so the CRLFs arrive as they are (text-mode pipes would fold them).
        raw = base64.b64decode(lab.exec("mail", f"base64 -w0 /var/tmp/lab-mail/{n}").stdout)
        out.append(re.sub(r"Date: [^\r]*\r", "Date: DATE\r", raw.decode()))
    return out


def test_a_mail_per_state_change(lab):
    wait_log(lab, "n1", "(VI_1) Entering MASTER STATE", timeout=15)
    Lab.wait_for(lambda: len(mails(lab)) == 2, 10, "two mails")
    if lab.alerts == "instance":
        want = [expected("VRRP Instance VI_1 - Entering BACKUP state",
                         "VRRP Instance is no longer owning VRRP VIPs"),
                expected("VRRP Instance VI_1 - Entering MASTER state", "VRRP Instance is now owning VRRP VIPs")]
    else:
        want = [expected("VRRP Group G1 - Entering BACKUP state",
                         "All VRRP group instances are now in BACKUP state"),
                expected("VRRP Group G1 - Entering MASTER state",
                         "All VRRP group instances are now in MASTER state")]
    assert mails(lab) == want
    wait_log(lab, "n1", "Remote SMTP server [10.3.0.25]:25 connected.")
    wait_log(lab, "n1", "SMTP alert successfully sent.")
