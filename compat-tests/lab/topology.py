"""Reads and validates a lab topology file (TOML): the machines of one setup, their
interfaces, files, sysctls and services, on one shared L2 segment. docs/lab.md
describes the format."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

NAME_RE = re.compile(r"^[a-z0-9]{1,8}$")
LAB_RE = re.compile(r"^[a-z0-9]{1,5}$")
IFACE_RE = re.compile(r"^[a-z][a-z0-9._]{0,5}$")   # fits "<machine>-<iface>" in 15 bytes
SERVICE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class TopologyError(Exception):
    """A topology file is malformed; the message names the file and the entry."""


@dataclass
class Interface:
    name: str
    addresses: list[str] = field(default_factory=list)


@dataclass
class FileSpec:
    path: str                  # absolute path inside the machine
    content: bytes             # resolved bytes (from `content` or `source`)
    source: Path | None = None
    mode: int = 0o644
    generate: str | None = None    # "self-signed": a fresh certificate + key, made at `up`


@dataclass
class Service:
    name: str
    command: str
    autostart: bool = True


@dataclass
class Machine:
    name: str
    hostname: str
    interfaces: list[Interface]
    files: list[FileSpec]
    sysctls: dict[str, str]
    services: list[Service]
    # Host folders the machine sees empty and its own (a tmpfs each), e.g. /var/lib/haproxy
    # for a post's `chroot` and `stats socket` there: machines must not share them.
    private: list[str] = field(default_factory=list)

    def service(self, name: str) -> Service:
        for s in self.services:
            if s.name == name:
                return s
        raise KeyError(f"machine {self.name} has no service {name!r}")


@dataclass
class Topology:
    name: str
    description: str
    segment: str
    machines: list[Machine]
    path: Path | None = None

    def machine(self, name: str) -> Machine:
        for m in self.machines:
            if m.name == name:
                return m
        known = ", ".join(m.name for m in self.machines)
        raise KeyError(f"lab {self.name} has no machine {name!r} (machines: {known})")


def _err(where: str, msg: str) -> TopologyError:
    return TopologyError(f"{where}: {msg}")


def _check_keys(where: str, table: dict, allowed: set[str]) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise _err(where, f"unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}")


def parse_topology(data: dict, where: str, base: Path | None) -> Topology:
    _check_keys(where, data, {"name", "description", "segment", "machines"})
    name = data.get("name")
    if not isinstance(name, str) or not LAB_RE.match(name):
        raise _err(where, f"'name' must be 1-5 characters [a-z0-9], got {name!r}")
    segment = data.get("segment", {}).get("name", "lan")
    machines: list[Machine] = []
    seen: set[str] = set()
    for i, m in enumerate(data.get("machines", [])):
        mw = f"{where}: machines[{i}]"
        _check_keys(mw, m, {"name", "hostname", "interfaces", "files", "sysctls", "services",
                            "private"})
        mname = m.get("name")
        if not isinstance(mname, str) or not NAME_RE.match(mname):
            raise _err(mw, f"'name' must be 1-8 characters [a-z0-9], got {mname!r}")
        if mname in seen:
            raise _err(mw, f"machine {mname!r} is defined twice")
        seen.add(mname)
        mw = f"{where}: machine {mname}"
        ifaces = []
        for j, itf in enumerate(m.get("interfaces", [])):
            _check_keys(f"{mw}: interfaces[{j}]", itf, {"name", "addresses"})
            iname = itf.get("name", "")
            if not IFACE_RE.match(iname):
                raise _err(mw, f"interface name {iname!r} must be 1-6 characters, e.g. eth0")
            for a in itf.get("addresses", []):
                try:
                    ipaddress.ip_interface(a)
                except ValueError:
                    raise _err(mw, f"interface {iname}: {a!r} is not ADDRESS/PREFIX") from None
                if "/" not in a:
                    raise _err(mw, f"interface {iname}: {a!r} needs a prefix length, e.g. {a}/24")
            ifaces.append(Interface(iname, list(itf.get("addresses", []))))
        if not ifaces:
            raise _err(mw, "needs at least one interface on the segment")
        files = []
        for j, f in enumerate(m.get("files", [])):
            fw = f"{mw}: files[{j}]"
            _check_keys(fw, f, {"path", "source", "content", "generate", "mode"})
            p = f.get("path", "")
            if not p.startswith("/") or ".." in p.split("/"):
                raise _err(fw, f"'path' must be absolute without '..', got {p!r}")
            if sum(k in f for k in ("source", "content", "generate")) != 1:
                raise _err(fw, "give exactly one of 'source', 'content' or 'generate'")
            if f.get("generate", "self-signed") != "self-signed":
                raise _err(fw, f"generate: only \"self-signed\" is known, not {f['generate']!r}")
            src = None
            if "generate" in f:
                content = b""
            elif "source" in f:
                if base is None:
                    raise _err(fw, "'source' needs a topology file to be relative to")
                src = (base / f["source"]).resolve()
                if not src.is_file():
                    raise _err(fw, f"source file {src} does not exist")
                content = src.read_bytes()
            else:
                content = f["content"].encode()
            mode = f.get("mode", "0644")
            files.append(FileSpec(p, content, src, int(str(mode), 8), f.get("generate")))
        sysctls = {}
        for k, v in m.get("sysctls", {}).items():
            if not re.match(r"^net\.[A-Za-z0-9_.-]+$", k):
                raise _err(mw, f"sysctl {k!r}: only net.* sysctls belong to a network namespace")
            sysctls[k] = str(v)
        services = []
        for j, s in enumerate(m.get("services", [])):
            sw = f"{mw}: services[{j}]"
            _check_keys(sw, s, {"name", "command", "autostart"})
            if not SERVICE_RE.match(s.get("name", "")):
                raise _err(sw, "'name' is required ([A-Za-z0-9_.-])")
            if not s.get("command"):
                raise _err(sw, "'command' is required")
            services.append(Service(s["name"], s["command"], bool(s.get("autostart", True))))
        private = m.get("private", [])
        for d in private:
            if not isinstance(d, str) or not d.startswith("/") or ".." in d.split("/") \
                    or d.rstrip("/").count("/") < 2:
                raise _err(mw, f"private: {d!r} must be an absolute folder at least two levels "
                               f"deep, e.g. /var/lib/haproxy")
        machines.append(Machine(mname, m.get("hostname", mname), ifaces, files, sysctls, services,
                                list(private)))
    if not machines:
        raise _err(where, "no [[machines]]")
    return Topology(name, data.get("description", ""), segment, machines)


def load_topology(path: str | Path) -> Topology:
    path = Path(path).resolve()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise TopologyError(f"{path}: cannot read: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise TopologyError(f"{path}: {e}") from None
    topo = parse_topology(data, str(path), path.parent)
    topo.path = path
    return topo
