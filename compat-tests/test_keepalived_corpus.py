"""The keepalived front-end against Debian's keepalived 2.2.7 on the real-world corpus
(../shared/corpus/keepalived): every file keepalived accepts, Tandem accepts; wherever
keepalived says a value on a line is bad, Tandem reports that line; and what `tandem migrate`
prints for every file Tandem accepts passes the real `keepalived -t`.

keepalived runs in a network namespace this module creates (`tdmk-corpus-PID`), holding the
interfaces the files name (veth pairs with both ends inside it, so the root namespace is never
touched); the namespace is deleted at teardown, also when a test fails. "Accepts" ignores what
depends on this machine rather than on the file: missing scripts and users, script security,
include files that live on the author's machine."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

# keepalived's messages that are about this machine, not about the file.
ENVIRONMENTAL = [r"doesn't exist", r"Non-existent interface", r"since not found/accessible",
                 r"Unable to set default user", r"Error setting global script uid/gid",
                 r"Unable to set uid/gid for script", r"SECURITY VIOLATION",
                 r"Config files missing", r"default user 'keepalived_script'",
                 r"track script \S+ not found, ignoring", r"Unknown interface!",
                 r"cannot use a loopback interface",
                 # Debian builds keepalived without iptables support.
                 r"iptables not supported, using nftables instead"]
# Files whose migrated output keepalived -t still comments on, and why: each is a keepalived
# warning about what the file means that migrate does not rewrite yet. The test fails when one
# of them starts passing, so the list stays true.
MIGRATE_NOT_YET = {
}
# keepalived's pure advice: messages about what a file means that no rewrite can satisfy
# without changing that meaning. Each is ignored on a migrated file only when Tandem gave its
# own equivalent warning (the code) for the original, so the author has been told.
ADVICE = {
    # An instance that moves no address: adding one would invent an address; the instance
    # still runs (it can drive notify scripts, sync groups, tracking).
    r"No VIP specified; at least one is sensible": "ka-no-vip",
    # A sync group of one instance synchronises nothing, but dropping the group changes what
    # keepalived does with the instance (group notify scripts, ignored tracking weights).
    r"Sync group \S+ has only 1 virtual router\(s\) - this probably isn't what you want":
        "ka-sync-group-single",
}
# keepalived's messages that say a value is bad (not the cascades of an unknown block).
BAD_VALUE = r"[Ii]nvalid|outside range|malformed|Truncating|unknown state|deprecated"
INTERFACE_PATTERNS = [r"interface (\S+) for \S+ \S+ doesn't exist",
                      r"tracked interface (\S+) doesn't exist",
                      r"interface (\S+) for ip address \S+ doesn't exist",
                      r"WARNING - interface (\S+) for"]


class KeepalivedNetns:
    """A namespace in which Debian's keepalived -t runs, growing the interfaces it asks for."""

    def __init__(self, name):
        self.name = name
        self.interfaces = set()
        subprocess.run(["ip", "netns", "add", name], check=True)
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        for itf in ("eth0", "eth1"):
            self.add_interface(itf)

    def add_interface(self, itf):
        if itf in self.interfaces or len(itf) > 15 or not re.fullmatch(r"[\w.:@-]+", itf):
            return False
        self.interfaces.add(itf)
        peer = f"tdmkp{len(self.interfaces)}"
        made = subprocess.run(["ip", "-n", self.name, "link", "add", itf, "type", "veth",
                               "peer", "name", peer], capture_output=True)
        if made.returncode != 0:
            return False
        subprocess.run(["ip", "-n", self.name, "link", "set", itf, "up"], check=True)
        return True

    def keepalived_t(self, path):
        """(exit code, messages) of `keepalived -t`, after creating the interfaces it lacks."""
        for _ in range(6):
            run = subprocess.run(["ip", "netns", "exec", self.name, "timeout", "30",
                                  "keepalived", "-t", "-l", "-n", "-f", str(path)],
                                 capture_output=True, text=True)
            text = run.stdout + run.stderr
            grew = False
            for pattern in INTERFACE_PATTERNS:
                for m in re.finditer(pattern, text):
                    grew |= self.add_interface(m.group(1))
            if not grew:
                break
        return run.returncode, [line for line in text.splitlines() if line.strip()]

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


@pytest.fixture(scope="module")
def netns():
    ns = KeepalivedNetns(f"tdmk-corpus-{os.getpid()}")
    try:
        yield ns
    finally:
        ns.close()


def problems(messages):
    return [m for m in messages if not any(re.search(p, m) for p in ENVIRONMENTAL)]


def unexplained(messages, diags):
    """problems() without keepalived's advice that Tandem itself gave for the file."""
    codes = {d["code"] for d in diags}
    return [m for m in problems(messages)
            if not any(re.search(p, m) and code in codes for p, code in ADVICE.items())]


def bad_value_lines(messages):
    lines = set()
    for m in problems(messages):
        found = re.search(r"Line (\d+)\)", m)
        if found and re.search(BAD_VALUE, m):
            lines.add(int(found.group(1)))
    return lines


def tandem_check(tandem_bin, path):
    run = subprocess.run([str(tandem_bin / "tandem"), "check", "--format", "json", str(path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


def tandem_migrate(tandem_bin, path, env=None):
    return subprocess.run([str(tandem_bin / "tandem"), "migrate", str(path)],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, **(env or {})))


def corpus_files(shared):
    folder = shared / "corpus" / "keepalived"
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(".md"))


def test_corpus_against_keepalived(netns, shared, tandem_bin, tmp_path):
    files = corpus_files(shared)
    assert len(files) == 112
    accepted = tandem_accepts = 0
    failures = []
    migrated = migrate_passed = 0
    for path in files:
        status, messages = netns.keepalived_t(path)
        diags = tandem_check(tandem_bin, path)
        errors = [d for d in diags if d["severity"] == "error"]
        if not problems(messages):
            accepted += 1
            if errors:
                failures.append(f"{path.name}: keepalived accepts it, Tandem says "
                                f"{[(d['line'], d['code']) for d in errors]}")
        tandem_lines = {d["line"] for d in diags}
        missing = sorted(bad_value_lines(messages) - tandem_lines)
        if missing:
            failures.append(f"{path.name}: keepalived reports bad values on lines {missing}, "
                            "Tandem says nothing there")
        if errors:
            continue
        tandem_accepts += 1
        # What migrate prints passes the real keepalived (this machine's complaints aside).
        out = tandem_migrate(tandem_bin, path)
        assert out.returncode == 0, f"{path.name}: {out.stderr}"
        target = tmp_path / path.name
        target.write_text(out.stdout)
        migrated += 1
        _, after = netns.keepalived_t(target)
        left = unexplained(after, diags)
        if path.name in MIGRATE_NOT_YET:
            if not left:
                failures.append(f"{path.name}: listed in MIGRATE_NOT_YET but passes now")
        elif left:
            failures.append(f"{path.name}: keepalived -t on the migrated file says {left[:3]}")
        else:
            migrate_passed += 1
    print(f"keepalived accepts {accepted}, Tandem accepts {tandem_accepts} of 112; "
          f"migrated {migrated}, passing keepalived -t {migrate_passed}")
    assert not failures, "\n".join(failures)
