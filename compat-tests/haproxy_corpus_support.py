"""Helpers shared by the HAProxy corpus and seed tests: the oracle table, the reg-test harness
macros, how Debian's `haproxy -c` explained a rejection, and running Tandem."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

POSITION_RE = re.compile(r"\[haproxy/([^\]:]+):(\d+)\]")

# First alerts of `haproxy -c` 2.6 that mean "old syntax or a removed keyword": Tandem accepts
# these files with warnings.
OLD_SYNTAX_RE = re.compile(
    r"not supported any ?more since HAProxy|please use the 'bind' keyword for listening "
    r"addresses|unknown keyword 'debug' in 'global' section|unknown option 'tcpsplice'|"
    r"Missing LF on last line")

# First alerts that name a file missing on this machine.
MISSING_FILE_RE = re.compile(
    r"unable to stat SSL certificate|error opening file|cannot open|Couldn't open the ca-file|"
    r"'crt-list' : cannot open file")


def read_oracle(shared: Path) -> dict[str, tuple[int, str]]:
    out = {}
    for row in (shared / "corpus" / "oracle" / "haproxy-2.6.12.tsv").read_text().splitlines():
        name, code, *alert = row.split("\t")
        out[name] = (int(code), alert[0] if alert else "")
    return out


def harness_environment(path: Path) -> dict[str, str]:
    """The vtest macros a reg-test extract uses, defined as the harness would: addresses on
    loopback, distinct ports, fd numbers for `fd@${name}` listeners."""
    env = dict(os.environ)
    text = path.read_text(errors="replace")
    port = 20000
    for name in sorted(set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))):
        if name in env and name not in ("HOME", "PATH"):
            continue
        port += 1
        if name.endswith("_addr"):
            env[name] = "127.0.0.1"
        elif name.endswith("_port"):
            env[name] = str(port)
        elif name.endswith("_sock"):
            env[name] = f"127.0.0.1:{port}"
        elif name == "testdir":
            env[name] = str(path.parent)
        elif name == "tmpdir":
            env[name] = "/tmp"
        elif name == "VTC_SOCK_TYPE":
            env[name] = "stream"
        elif name == "SSL_OPT":
            env[name] = "ssl"
        else:
            env[name] = str(port % 1000 + 3)  # an fd number for fd@${name}
    return env


def is_regtest(path: Path) -> bool:
    return "regtest" in path.name


def run(argv, env=None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=60)


DIAG_RE = re.compile(r"^(?P<file>[^\n:]+):(?P<line>\d+):(?P<col>\d+): "
                     r"(?P<sev>error|warning|note): (?P<msg>.*) \[(?P<code>[a-z0-9-]+)\]$",
                     re.M)


def diagnostics(stderr: str, name: str) -> list[dict]:
    return [m.groupdict() for m in DIAG_RE.finditer(stderr) if m.group("file").endswith(name)]
