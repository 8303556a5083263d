"""The keepalived configs of the seed posts, verbatim from examples/blog-configs/: exactly the
diagnostics (code and line) `tandem check` gives each, and `tandem migrate`'s output for each
one Tandem accepts passes Debian's real `keepalived -t` in a network namespace that has the
files' interfaces (created here and deleted at teardown, also on failure). The models the
authors meant are asserted in tests/parsers/keepalived/analyse_test.cpp."""

import json
import os
import subprocess

import pytest

from test_keepalived_corpus import KeepalivedNetns, problems, unexplained

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


def test_seed004_with_priority_from_the_environment(netns, blog_configs, tandem_bin, tmp_path):
    path = blog_configs / "004-vagrant-layer4/keepalived.conf"
    check = in_netns(netns, [str(tandem_bin / "tandem"), "check", "--format", "json", str(path)],
                     env={"PRIORITY": "101"})
    assert [(d["code"], d["line"]) for d in json.loads(check.stdout)] == \
        [("ka-variable-from-environment", 10), ("ka-script-security", 1)]
    migrated = in_netns(netns, [str(tandem_bin / "tandem"), "migrate", str(path)],
                        env={"PRIORITY": "101"})
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.splitlines()[1] == "$PRIORITY=101"
    target = tmp_path / "keepalived.conf"
    target.write_text(migrated.stdout)
    _, messages = netns.keepalived_t(target)
    assert problems(messages) == []


def test_seed003_recovered_file_is_one_instance_for_keepalived(netns, blog_configs, tandem_bin,
                                                               tmp_path):
    # Debian's keepalived on the verbatim file: every line of the instance is unknown.
    verbatim = blog_configs / "003-smtp-cluster-dc/dc1.keepalived.conf"
    _, before = netns.keepalived_t(verbatim)
    assert any("Missing '{'" in m for m in before)
    migrated = in_netns(netns, [str(tandem_bin / "tandem"), "migrate", str(verbatim)])
    assert "vrrp_instance dc1server {\n" in migrated.stdout
    # keepalived reads '!' as a comment: the password is SOMEPASSWORD, truncated to SOMEPASS.
    assert "auth_pass SOMEPASS! \n" in migrated.stdout


def cluster_check(tandem_bin, *paths):
    run = subprocess.run([str(tandem_bin / "tandem"), "check", "--cluster", "--format", "json",
                          *map(str, paths)], capture_output=True, text=True, timeout=60)
    return run.returncode, [d for d in json.loads(run.stdout) if d["code"].startswith("ka-cluster")]


@pytest.mark.parametrize("pair", [("000-squeeze-four-machines/proxy1.keepalived.conf",
                                   "000-squeeze-four-machines/proxy2.keepalived.conf"),
                                  ("002-centos7-openstack/host1.keepalived.conf",
                                   "002-centos7-openstack/host2.keepalived.conf")])
def test_cluster_pairs_of_the_posts_agree(pair, blog_configs, tandem_bin):
    status, found = cluster_check(tandem_bin, *(blog_configs / p for p in pair))
    assert (status, found) == (0, [])


def test_cluster_mismatches_name_both_files(blog_configs, tandem_bin, tmp_path):
    proxy1 = blog_configs / "000-squeeze-four-machines/proxy1.keepalived.conf"
    text = proxy1.read_text(encoding="utf-8")
    changed = text.replace("virtual_router_id 51", "virtual_router_id 52") \
                  .replace("11.22.33.44", "11.22.33.45")
    assert changed != text
    other = tmp_path / "proxy2.conf"
    other.write_text(changed, encoding="utf-8")
    status, found = cluster_check(tandem_bin, proxy1, other)
    assert status == 1
    got = sorted((d["code"], d["line"]) for d in found)
    assert got == [("ka-cluster-mismatch", 6), ("ka-cluster-mismatch", 9),
                   ("ka-cluster-same-priority", 10)]
    for d in found:
        assert d["file"] == str(other)
        assert str(proxy1) + ":" in d["message"]
