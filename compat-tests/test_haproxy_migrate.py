"""`tandem migrate`'s output passes Debian's real `haproxy -c` (2.6.12) for every seed and
corpus file `tandem check` accepts.

Referenced files that are missing here (certificates, errorfiles, Lua, maps) are provided in a
scratch tree under tmp_path: absolute paths in the migrated text are pointed into it, relative
ones are created under the directory haproxy runs in; host names that do not resolve offline
are given loopback addresses in a private /etc/hosts. Excluded, each with its reason: files
using keywords newer than 2.6 (EXCLUDED_REASONS, NEWER: Tandem accepts them; 2.6 cannot), and
files whose referenced files' content matters (NEEDS_CONTENT).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from haproxy_corpus_support import diagnostics, is_regtest, run
from test_haproxy_corpus import CORPUS, ORACLE, prepared

REPO = Path(__file__).resolve().parent.parent
SEEDS = sorted(p for p in (REPO / "examples" / "blog-configs").glob("*/*.cfg")
               if not p.name.endswith(".fragment.cfg"))
MISSING_RE = re.compile(r"cannot find file '([^']+)'")

EXCLUDED_REASONS = {
    "hap-newer-keyword": "uses a keyword newer than HAProxy 2.6",
    "hap-openssl-profile": "a Red Hat crypto policy cipher list (only Red Hat's OpenSSL takes it)",
}
UNRESOLVED_RE = re.compile(r"could not resolve address '([^']+)'")

HTTP_ERRORFILE = "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nx\n"


@pytest.fixture(scope="session")
def pem(tmp_path_factory) -> str:
    d = tmp_path_factory.mktemp("pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=tandem.test", "-keyout", d / "key", "-out", d / "cert"],
                   check=True, capture_output=True)
    return (d / "cert").read_text() + (d / "key").read_text()


def provide(path: str, what: str, root: Path, pem: str) -> Path:
    target = root / path.lstrip("/") if path.startswith("/") else root / "cwd" / path
    if path.endswith("/"):
        target.mkdir(parents=True, exist_ok=True)
        (target / "tandem.pem").write_text(pem)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if what in ("crt", "ca-file", "crl-file", "ca-verify-file", "ca-sign-file"):
        target.write_text(pem if what != "crl-file" else "")
    elif what == "crt-list":
        (target.parent / "list.pem").write_text(pem)
        target.write_text(f"{target.parent / 'list.pem'}\n")
    elif what == "errorfile":
        target.write_text(HTTP_ERRORFILE)
    else:
        target.write_text("")
    return target


# Reg-test extracts and examples from HAProxy after 2.6: features 2.6 does not have, so their
# migrated text cannot pass 2.6 (excluded).
NEWER = {
    "haproxy__haproxy__examples_games.cfg": "tune.lua.bool-sample-conversion (3.x)",
    "haproxy__haproxy__examples_mptcp.cfg": "mptcp@ addresses (3.1)",
    "haproxy__haproxy__regtest_connection_proxy_protocol_send_generic_h2.cfg":
        "set-proxy-v2-tlv-fmt (2.9)",
    "haproxy__haproxy__regtest_http-rules_normalize_uri_h1.cfg":
        "option accept-unsafe-violations-in-http-request (3.0)",
    "haproxy__haproxy__regtest_lua_txn_get_priv_h1.cfg": "tune.lua.openlibs (3.2)",
    "haproxy__haproxy__regtest_mailers_healthcheckmail_h1.cfg":
        "tune.lua.bool-sample-conversion (3.x)",
    "haproxy__haproxy__regtest_sample_fetches_acl_h1.cfg": "the acl() fetch (2.9)",
    "haproxy__haproxy__regtest_sample_fetches_cook_h1.cfg": "the cook_names fetch (3.0)",
    "haproxy__haproxy__regtest_sample_fetches_cook_h2.cfg": "the cook_names fetch (3.0)",
    "haproxy__haproxy__regtest_sample_fetches_cook_h3.cfg": "the cook_names fetch (3.0)",
    "haproxy__haproxy__regtest_sample_fetches_cook_h4.cfg": "the cook_names fetch (3.0)",
    "haproxy__haproxy__regtest_stream_set-retries_hap.cfg": "be_max_retries fetches (3.x)",
}

# Files whose migrated text needs what the corpus does not hold: the scratch tree gives every
# referenced file, but empty, and an empty Lua file registers no service (excluded).
NEEDS_CONTENT = {
    "haproxy__haproxy__tests-conf_test-http-set-status-lua.cfg":
        "setstatus.lua must register lua.http418-* services; the corpus lacks the file",
    "pkonotopov__haproxy-shardman__conf_haproxy.cfg":
        "its Lua file must register the lua.pick_backend action; the corpus lacks the file",
    "pkonotopov__haproxy-shardman__conf_haproxy.cfg.old.cfg":
        "its Lua file must register the lua.pick_backend action; the corpus lacks the file",
}

# Tandem's own gaps: `tandem check` accepts these but 2.6 rejects them for something the
# checker does not look at yet (strict xfail: a fix shows up as XPASS).
GAPS: dict[str, str] = {}


def case(name: str):
    if name in NEEDS_CONTENT:
        return pytest.param(CORPUS / name, id=name,
                            marks=pytest.mark.skip(reason=NEEDS_CONTENT[name]))
    if name in NEWER:
        return pytest.param(CORPUS / name, id=name,
                            marks=pytest.mark.skip(reason="needs HAProxy > 2.6: " + NEWER[name]))
    if name in GAPS:
        return pytest.param(CORPUS / name, id=name,
                            marks=pytest.mark.xfail(reason="Tandem does not check " + GAPS[name],
                                                    strict=True))
    return pytest.param(CORPUS / name, id=name)


CASES = [pytest.param(p, id=str(p.relative_to(REPO))) for p in SEEDS] + \
    [case(n) for n in sorted(ORACLE)]


@pytest.mark.parametrize("source", CASES)
def test_migrated_file_passes_real_haproxy(source, tandem_bin, tmp_path, pem):
    path = prepared(source.name, tmp_path) if source.parent == CORPUS else source
    check = run([tandem_bin / "tandem", "check", path.name], cwd=path.parent)
    if check.returncode != 0:
        pytest.skip("tandem check rejects it (not a migrate case)")
    found = diagnostics(check.stderr, path.name)
    for code, reason in EXCLUDED_REASONS.items():
        if any(d["code"] == code for d in found):
            pytest.skip(reason)
    migrated = run([tandem_bin / "tandem", "migrate", path.name], cwd=path.parent)
    assert migrated.returncode == 0, migrated.stderr
    text = migrated.stdout
    root = tmp_path / "root"
    (root / "cwd").mkdir(parents=True)
    provided = set()
    for d in found:
        if d["code"] != "hap-missing-file" or d["msg"] in provided:
            continue
        provided.add(d["msg"])
        m = MISSING_RE.search(d["msg"])
        what = d["msg"].split("'")[1]
        missing = m.group(1)
        target = provide(missing, what, root, pem)
        if missing.startswith("/"):
            text = text.replace(missing, str(target) + ("/" if missing.endswith("/") else ""))
    if source.parent == CORPUS and is_regtest(source):
        # vtest hands haproxy listening sockets as fd@N; -c checks those fds, so listen on
        # loopback ports instead, as the harness's sockets do.
        ports = iter(range(31000, 32000))
        text = re.sub(r'(?:[a-z]+\+)?fd@\d+', lambda m: f"127.0.0.1:{next(ports)}", text)
    out = root / "cwd" / "migrated.cfg"
    out.write_text(text)
    # Host names that do not resolve on this offline machine resolve, for haproxy -c alone, to
    # loopback through an /etc/hosts bind-mounted in a private mount namespace (nothing is
    # sent anywhere: -c only resolves).
    hosts = sorted({m.group(1) for d in found if d["code"] == "hap-unresolved"
                    for m in [UNRESOLVED_RE.search(d["msg"])] if m})
    argv = ["haproxy", "-c", "-f", out.name]
    if hosts:
        hosts_file = root / "hosts"
        hosts_file.write_text("127.0.0.1 localhost\n" +
                              "".join(f"127.0.0.1 {h}\n" for h in hosts))
        argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts_file), *argv]
    real = run(argv, cwd=out.parent)
    assert real.returncode in (0, 2), f"haproxy -c rejects the migrated {source.name}:\n" + \
        real.stderr + "\n--- migrated:\n" + text
