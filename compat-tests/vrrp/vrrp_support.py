"""Helpers for the VRRP lab tests: topologies written on the fly (two VRRP nodes, a client,
files and services per machine), log-line checks in keepalived's words, and the SIGUSR2
stats file as keepalived writes it. Every lab is used inside `with Lab(...)`, which removes
its namespaces and processes also when a test fails."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from lab import Lab, LabError

NBSP = "\u00a0"
# A process named haproxy for `killall -0 haproxy` where the post's haproxy.cfg cannot run
# (Debian's haproxy 2.6 rejects it): /bin/sleep copied under that name, in the machine's /tmp.
FAKE_HAPROXY = "/bin/sh -c 'cp /bin/sleep /tmp/haproxy; exec /tmp/haproxy infinity'"
KEEPALIVED = "keepalived --dont-fork --log-console --log-detail -f /etc/keepalived/keepalived.conf"


def toml_str(s: str) -> str:
    return json.dumps(s)    # a JSON string is a valid TOML basic string


def write_topology(folder: Path, name: str, machines: list[dict]) -> Path:
    """machines: {name, address (CIDR), files: {path: content}, services: {name: command},
    sysctls: {}}; each file is written beside the topology and referenced by `source`."""
    folder.mkdir(parents=True, exist_ok=True)
    out = [f"name = {toml_str(name)}", 'description = "VRRP compat test"', "[segment]", 'name = "lan"']
    for m in machines:
        out.append("[[machines]]")
        out.append(f"name = {toml_str(m['name'])}")
        if m.get("sysctls"):
            out.append("sysctls = { " + ", ".join(f"{toml_str(k)} = {toml_str(v)}"
                                                  for k, v in m["sysctls"].items()) + " }")
        out.append(f'interfaces = [ {{ name = "eth0", addresses = [{toml_str(m["address"])}] }} ]')
        files = []
        for i, (path, content) in enumerate(m.get("files", {}).items()):
            mode = "0644"
            if isinstance(content, tuple):      # (content, mode)
                content, mode = content
            src = folder / f"{m['name']}-{i}.file"
            src.write_bytes(content.encode() if isinstance(content, str) else content)
            files.append(f"{{ path = {toml_str(path)}, source = {toml_str(src.name)}, "
                         f"mode = {toml_str(mode)} }}")
        out.append("files = [ " + ", ".join(files) + " ]")
        services = [f"{{ name = {toml_str(n)}, command = {toml_str(c)} }}"
                    for n, c in m.get("services", {}).items()]
        out.append("services = [ " + ", ".join(services) + " ]")
    path = folder / "lab.toml"
    path.write_text("\n".join(out) + "\n")
    return path


def vip_on(lab: Lab, machine: str, vip: str) -> bool:
    return lab.has_address(machine, vip, "eth0")


def wait_vip(lab: Lab, owner: str, other: str, vip: str, timeout: float = 20) -> float:
    """Waits until the VIP is on `owner` only; returns the seconds it took."""
    t0 = time.monotonic()
    Lab.wait_for(lambda: vip_on(lab, owner, vip) and not vip_on(lab, other, vip), timeout,
                 f"the VIP {vip} on {owner} only")
    return time.monotonic() - t0


def http_ok(lab: Lab, client: str, vip: str) -> str | None:
    """The body of GET http://VIP/ from the client, or None when it failed."""
    r = lab.exec(client, f"curl -sf --max-time 2 http://{vip}/", timeout=10)
    return r.stdout if r.returncode == 0 else None


def wait_reachable(lab: Lab, client: str, vip: str, timeout: float = 15) -> str:
    body = None

    def ok():
        nonlocal body
        body = http_ok(lab, client, vip)
        return body is not None
    Lab.wait_for(ok, timeout, f"the client to reach {vip}")
    return body


def log_lines(lab: Lab, machine: str, service: str = "keepalived") -> list[str]:
    """The service's log without keepalived's console timestamps."""
    return [re.sub(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: ", "", line)
            for line in lab.log(machine, service).splitlines()]


def wait_log(lab: Lab, machine: str, line: str, timeout: float = 15, after: int = 0) -> int:
    """Waits for an exact log line (after the first `after` lines); returns its index."""
    found = -1

    def seen():
        nonlocal found
        lines = log_lines(lab, machine)
        for i in range(after, len(lines)):
            if lines[i] == line:
                found = i
                return True
        return False
    try:
        Lab.wait_for(seen, timeout, f"{line!r} in {machine}'s keepalived log")
    except LabError:
        raise AssertionError(f"{line!r} not in {machine}'s log:\n" +
                             "\n".join(log_lines(lab, machine)[after:])) from None
    return found


def stats(lab: Lab, machine: str) -> dict[str, dict[str, int]]:
    """SIGUSR2 -> /tmp/keepalived.stats, parsed: {instance: {"Section/Key": n}}."""
    before = lab.read_file(machine, "/tmp/keepalived.stats")
    lab.exec(machine, "rm -f /tmp/keepalived.stats; killall -USR2 keepalived")
    Lab.wait_for(lambda: "Priority Zero" in lab.read_file(machine, "/tmp/keepalived.stats")
                 and lab.read_file(machine, "/tmp/keepalived.stats").rstrip().endswith(
                     tuple("0123456789")), 5, f"{machine}'s stats file")
    time.sleep(0.2)
    del before
    out: dict[str, dict[str, int]] = {}
    inst = section = None
    for line in lab.read_file(machine, "/tmp/keepalived.stats").splitlines():
        if line.startswith("VRRP Instance: "):
            inst = line.split(": ", 1)[1]
            out[inst] = {}
            continue
        m = re.match(r"^(\s+)([^:]+):\s*(\d+)?$", line)
        if not m or inst is None:
            continue
        key, value = m.group(2).strip(), m.group(3)
        if value is None:
            section = key
        else:
            out[inst][f"{section}/{key}" if len(m.group(1)) > 2 else key] = int(value)
    return out
