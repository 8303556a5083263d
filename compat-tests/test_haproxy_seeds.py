"""The HAProxy configs of the seed posts (examples/blog-configs), verbatim, through
`tandem check` and `tandem haproxy -c`.

All but 002's OpenStack config pass `tandem check` (exit 0) with a warning naming the modern
form on each old line; the OpenStack config fails with an error on every line holding an `xx`
placeholder and on no other line. The `*.fragment.cfg` files are snippets from the posts (no
backend for their default_backend, no timeouts), not configs, and are left out.
`tandem haproxy -c` agrees: the same lines fail, plus — as Debian's haproxy does — lines whose
certificate is missing or whose host name does not resolve on this machine (facts about the
machine, which the linter only warns about).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from haproxy_corpus_support import diagnostics, run

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "examples" / "blog-configs"
CONFIGS = sorted(p for p in SEEDS.glob("*/*.cfg") if not p.name.endswith(".fragment.cfg"))
OPENSTACK = SEEDS / "002-centos7-openstack" / "openstack.haproxy.cfg"
HAPROXY_LINE_RE = re.compile(r"^\[(ALERT|WARNING)\] +\(\d+\) : config : parsing \[([^\]]+):(\d+)\]",
                             re.M)

# Lines that use a removed form, and the modern words their warning must name.
OLD_LINES = {
    "000-squeeze-four-machines/haproxy.cfg": {19: "timeout connect", 20: "timeout client",
                                              21: "timeout server", 22: "bind *:80"},
    "002-centos7-openstack/haproxy.cfg": {31: "bind *:5000"},
    "003-smtp-cluster-dc/basic.haproxy.cfg": {16: "http-response add-header X-Forwarded-Host"},
    "003-smtp-cluster-dc/basic.haproxy.reconstructed.cfg":
        {16: "http-response add-header X-Forwarded-Host"},
}


def rel(path: Path) -> str:
    return str(path.relative_to(SEEDS))


def test_seed_list():
    names = {rel(p) for p in CONFIGS}
    assert set(OLD_LINES) <= names
    assert rel(OPENSTACK) in names
    assert len(CONFIGS) == 9, names


@pytest.mark.parametrize("path", [p for p in CONFIGS if p != OPENSTACK], ids=rel)
def test_seed_passes_check(path, tandem_bin):
    result = run([tandem_bin / "tandem", "check", path])
    found = diagnostics(result.stderr, path.name)
    assert result.returncode == 0, result.stderr
    warnings = {int(d["line"]): d["msg"] for d in found if d["sev"] == "warning"}
    for line, modern in OLD_LINES.get(rel(path), {}).items():
        assert line in warnings, f"{rel(path)}:{line}: no warning"
        assert modern in warnings[line], warnings[line]


def placeholder_lines(path: Path) -> set[int]:
    return {n for n, text in enumerate(path.read_text().splitlines(), 1)
            if re.search(r"\b\d+\.\d+\.\d+\.xx\b", text)}


def test_openstack_fails_on_placeholder_lines_only(tandem_bin):
    result = run([tandem_bin / "tandem", "check", OPENSTACK])
    assert result.returncode == 1
    errors = {int(d["line"]) for d in diagnostics(result.stderr, OPENSTACK.name)
              if d["sev"] == "error"}
    expected = placeholder_lines(OPENSTACK)
    assert len(expected) == 32
    assert expected == {n for n, text in enumerate(OPENSTACK.read_text().splitlines(), 1)
                        if "xx" in text}
    assert errors == expected
    warnings = {int(d["line"]): d["msg"] for d in diagnostics(result.stderr, OPENSTACK.name)
                if d["sev"] == "warning"}
    assert "timeout connect 5000" in warnings[21] and "bind 0.0.0.0:9000" in warnings[26]
    assert "http-request add-header X-Forwarded-Protocol https" in warnings[44]


@pytest.mark.parametrize("path", CONFIGS, ids=rel)
def test_haproxy_c_agrees(path, tandem_bin):
    check = run([tandem_bin / "tandem", "check", path])
    check_errors = {int(d["line"]) for d in diagnostics(check.stderr, path.name)
                    if d["sev"] == "error"}
    machine = {int(d["line"]) for d in diagnostics(check.stderr, path.name)
               if d["code"] in ("hap-missing-file", "hap-unresolved")}
    result = run([tandem_bin / "haproxy", "-c", "-f", path])
    alerts = {int(m.group(3)) for m in HAPROXY_LINE_RE.finditer(result.stderr)
              if m.group(1) == "ALERT"}
    assert alerts == check_errors | machine, result.stderr
    assert result.returncode == (1 if alerts else 0), result.stderr
    if not alerts:
        assert result.stdout.endswith("Configuration file is valid\n")
