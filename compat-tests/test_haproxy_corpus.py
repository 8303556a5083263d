"""The real-world HAProxy corpus (../shared/corpus/haproxy) against Debian's haproxy 2.6.12.

For every file, Debian's `haproxy -c` says (live, all its alerts; the oracle table records its
first alert) whether it accepts the file, rejects it only for removed keywords or old syntax,
or rejects it because a referenced file is missing on this machine. Tandem must then:
accept what haproxy accepts; accept with a warning on each old line what haproxy rejects only
for old syntax; report the missing file on the same line. Reg-test extracts are read with their
vtest macros (${s1_addr}, fd@${fe} …) substituted, as the harness does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from haproxy_corpus_support import (MISSING_FILE_RE, OLD_SYNTAX_RE, POSITION_RE, diagnostics,
                                    harness_environment, is_regtest, read_oracle, run)

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
import os  # noqa: E402
SHARED = Path(os.environ.get("TANDEM_SHARED", SHARED))
CORPUS = SHARED / "corpus" / "haproxy"
ORACLE = read_oracle(SHARED) if (SHARED / "corpus").is_dir() else {}

ALERT_RE = re.compile(r"^\[ALERT\] +\(\d+\) : config : (?:parsing )?\[([^\]]+):(\d+)\] ?: (.*)$",
                      re.M)
# Alerts that follow from an old line rather than being problems of their own.
FOLLOW_ON_RE = re.compile(r"'listen' or 'defaults' expected|unknown keyword '[\u00a0\u2000-\u200b"
                          r"\u202f\u205f\u3000 ]*' in")


def prepared(name: str, tmp_path: Path) -> Path:
    """The file to check: the corpus file itself, or a reg-test extract with its macros
    substituted (in tmp_path, same name, so line numbers and names match)."""
    path = CORPUS / name
    if not is_regtest(path):
        return path
    env = harness_environment(path)
    text = path.read_text(errors="replace")
    text = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), m.group(0)),
                  text)
    out = tmp_path / name
    out.write_text(text)
    return out


def classify(path: Path) -> tuple[str, list[tuple[int, str]]]:
    """'accept', 'old' (every alert is old syntax or follows from it), 'file' (first alert: a
    missing file) or 'other', with the alerts (line, message)."""
    real = run(["haproxy", "-c", "-f", path.name], cwd=path.parent)
    alerts = [(int(m.group(2)), m.group(3)) for m in ALERT_RE.finditer(real.stderr)]
    if real.returncode in (0, 2):
        return "accept", alerts
    if alerts and all(OLD_SYNTAX_RE.search(a) or FOLLOW_ON_RE.search(a) for _, a in alerts):
        return "old", alerts
    if alerts and MISSING_FILE_RE.search(alerts[0][1]):
        return "file", alerts
    return "other", alerts


@pytest.mark.skipif(not ORACLE, reason="no corpus in ../shared")
def test_oracle_covers_the_corpus():
    assert sorted(ORACLE) == sorted(p.name for p in CORPUS.iterdir())


# Files `tandem check` cannot take yet, each with why (strict: the test notices a fix).
KNOWN = {}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n],
                                                                          strict=True))
                                  if n in KNOWN else n for n in sorted(ORACLE)])
def test_corpus_file(name, tandem_bin, tmp_path):
    path = prepared(name, tmp_path)
    code, first_alert = ORACLE[name]
    kind, alerts = classify(path)
    if not is_regtest(CORPUS / name) and code == 0:
        assert kind == "accept", f"the oracle accepted {name} but haproxy -c now says {alerts}"
    result = run([tandem_bin / "tandem", "check", path.name], cwd=path.parent)
    assert result.returncode in (0, 1), result.stderr
    found = diagnostics(result.stderr, name)
    errors = [d for d in found if d["sev"] == "error"]
    if kind == "accept":
        assert result.returncode == 0, f"haproxy accepts {name}; Tandem says:\n" + \
            "\n".join(f"{d['line']}: {d['msg']}" for d in errors)
    elif kind == "old":
        # haproxy stops reading a section whose header has an address ("'listen' or 'defaults'
        # expected" on each of its lines) and drops the section, so it never judged those
        # lines, nor a later section of the same name: Tandem may find real errors there
        # (placeholders, templates, duplicate names). Duplicate server names are checked by
        # haproxy only after a clean parse, which these files never reach (their migrated text
        # shows 2.6 rejecting them). Anywhere else, no error.
        unread = {line for line, alert in alerts if FOLLOW_ON_RE.search(alert)}
        unexpected = [d for d in errors if int(d["line"]) not in unread and d["code"] not in
                      ("hap-placeholder", "hap-duplicate-proxy",
                                                           "hap-duplicate-server")]
        assert not unexpected, f"{name} only has old syntax; Tandem says:\n" + \
            "\n".join(f"{d['line']}: {d['msg']}" for d in unexpected)
        warned = {int(d["line"]) for d in found if d["sev"] == "warning"}
        for line, alert in alerts:
            if OLD_SYNTAX_RE.search(alert):
                assert line in warned, f"{name}:{line}: no warning for '{alert}'"
    elif kind == "file":
        line = alerts[0][0]
        missing = [int(d["line"]) for d in found if d["code"] == "hap-missing-file"]
        assert line in missing, f"{name}:{line}: haproxy says '{alerts[0][1]}'; Tandem's " \
            f"missing-file lines: {missing}"
    else:
        # Rejected for other reasons: Tandem must still answer with diagnostics, never crash.
        assert result.returncode == 1 or found or result.returncode == 0


@pytest.mark.parametrize("name", sorted(p.name for p in (SHARED / "corpus" / "haproxy-invalid")
                                        .iterdir()) if (SHARED / "corpus").is_dir() else [])
def test_invalid_corpus_never_crashes(name, tandem_bin, tmp_path):
    path = SHARED / "corpus" / "haproxy-invalid" / name
    result = run([tandem_bin / "tandem", "check", path])
    assert result.returncode in (0, 1), result.stderr
    assert "terminate" not in result.stderr and "Assertion" not in result.stderr
