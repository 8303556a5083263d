"""The keepalived configs of the seed posts, verbatim from examples/blog-configs/: exactly the
diagnostics (code and line) `tandem check` gives each, and `tandem migrate`'s output for each
one Tandem accepts passes Debian's real `keepalived -t` in a network namespace that has the
files' interfaces (created here and deleted at teardown, also on failure). The models the
authors meant are asserted in tests/parsers/keepalived/analyse_test.cpp."""

import json
import os
import subprocess

import pytest

from test_keepalived_corpus import KeepalivedNetns, unexplained

# What a careful reader says about each file: (code, line), in tandem check's order.
EXPECTED = {
    "000-squeeze-four-machines/proxy1.keepalived.conf":
        [("pasted-space", 1), ("ka-script-security", 1)],
    "000-squeeze-four-machines/proxy2.keepalived.conf":
        [("pasted-space", 1), ("ka-script-security", 1)],
    "001-keepalived-lvs-dr/loadbalancer01.keepalived.conf":
        [("ka-comment-swallows-structure", 1), ("ka-unclosed-block", 1), ("ka-old-keyword", 1)],
    "001-keepalived-lvs-dr/loadbalancer01.keepalived.reconstructed.conf":
        [("ka-old-keyword", 2), ("ka-alias-keyword", 21), ("ka-alias-keyword", 22),
         ("ka-sync-group-single", 4)],
    "001-keepalived-lvs-dr/loadbalancer02.keepalived.reconstructed.conf":
        [("ka-old-keyword", 2), ("ka-state-slave", 10), ("ka-alias-keyword", 21),
         ("ka-alias-keyword", 22), ("ka-sync-group-single", 4)],
    "002-centos7-openstack/host1.keepalived.conf": [("ka-script-security", 1)],
    "002-centos7-openstack/host2.keepalived.conf": [("ka-script-security", 1)],
    "003-smtp-cluster-dc/dc1.keepalived.conf":
        [("ka-missing-open-brace", 17), ("ka-auth-pass-truncated", 31),
         ("ka-script-security", 12)],
    "003-smtp-cluster-dc/dc2.keepalived.conf":
        [("ka-missing-open-brace", 17), ("ka-script-security", 12)],
    "004-vagrant-layer4/keepalived.conf":
        [("ka-undefined-variable", 10), ("ka-script-security", 1)],
    "004-vagrant-layer4/hap1.keepalived.reconstructed.conf": [("ka-script-security", 1)],
    "004-vagrant-layer4/hap2.keepalived.reconstructed.conf": [("ka-script-security", 1)],
}


@pytest.fixture(scope="module")
def netns():
    ns = KeepalivedNetns(f"tdmk-seeds-{os.getpid()}")
    try:
        yield ns
    finally:
        ns.close()


def in_netns(ns, argv, env=None):
    return subprocess.run(["ip", "netns", "exec", ns.name, *argv], capture_output=True,
                          text=True, timeout=60, env=dict(os.environ, **(env or {})))


@pytest.mark.parametrize("relative", sorted(EXPECTED))
def test_seed_diagnostics_and_migrate(relative, netns, blog_configs, tandem_bin, tmp_path):
    path = blog_configs / relative
    env = {k: v for k, v in os.environ.items() if k != "PRIORITY"}
    run = subprocess.run(["ip", "netns", "exec", netns.name, str(tandem_bin / "tandem"),
                          "check", "--format", "json", str(path)],
                         capture_output=True, text=True, timeout=60, env=env)
    diags = json.loads(run.stdout)
    got = [(d["code"], d["line"]) for d in diags]
    assert got == EXPECTED[relative]
    errors = any(code in ("ka-unclosed-block", "ka-undefined-variable") for code, _ in got)
    assert run.returncode == (1 if errors else 0)
    if errors:
        return
    migrated = in_netns(netns, [str(tandem_bin / "tandem"), "migrate", str(path)])
    assert migrated.returncode == 0, migrated.stderr
    target = tmp_path / path.name
    target.write_text(migrated.stdout)
    _, messages = netns.keepalived_t(target)
    # 001's one-instance sync group is the author's (Tandem warns about it too, as
    # ka-sync-group-single); migrate keeps it, and keepalived repeats its advice.
    assert unexplained(messages, diags) == []
