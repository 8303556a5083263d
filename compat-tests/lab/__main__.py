"""./run lab: bring a topology up in the lab and work with its machines.

  up TOPOLOGY [--impl debian|tandem] [--no-services] [--detach]
      builds the machines and starts their services; stays in the foreground and
      removes everything on Ctrl-C or SIGTERM (with --detach it returns and the lab
      stays until `down`)
  down [LAB|TOPOLOGY|--all]     removes a lab (every lab with --all)
  status [LAB]                  the labs that are up, their machines, addresses, services
  exec [LAB/]MACHINE CMD...     runs CMD on a machine (exit code passed through)
  start|stop [LAB/]MACHINE NAME starts a topology service / stops processes named NAME
  cut [LAB/]MACHINE [IFACE] [--how carrier|unplug|ifdown]   takes a machine off the segment
  restore [LAB/]MACHINE [IFACE] puts it back
  addr [LAB/]MACHINE [IFACE]    its addresses

Inside every machine (./run lab exec MACHINE ...): `systemctl status|is-active|start|stop|
restart|reload UNIT` and `service UNIT ACTION` answer for the machine's services as systemd
would (status exits 0 running, 3 not running, 4 unknown unit), so a vrrp_script
`systemctl status haproxy` works; lab-httpd and lab-smtpd stand in for the posts' servers.
"""

import argparse
import os
import shlex
import signal
import sys
import time
from pathlib import Path

from . import Lab, LabError, TopologyError, load_topology, sweep

REPO = Path(__file__).resolve().parents[2]


def resolve(target: str) -> tuple[Lab, str]:
    labs = Lab.running_labs()
    if "/" in target:
        name, machine = target.split("/", 1)
        return Lab.attach(name), machine
    owners = [n for n in labs if machine_in(n, target)]
    if not owners:
        raise LabError(f"no lab that is up has a machine {target!r} (labs up: {', '.join(labs) or 'none'})")
    if len(owners) > 1:
        raise LabError(f"machine {target!r} is in several labs ({', '.join(owners)}): say LAB/{target}")
    return Lab.attach(owners[0]), target


def machine_in(lab: str, machine: str) -> bool:
    try:
        return any(m.name == machine for m in Lab.attach(lab).topo.machines)
    except (LabError, TopologyError):
        return False


def tandem_bin() -> str:
    return os.environ.get("TANDEM_BIN", str(REPO / "build" / "bin"))


def cmd_up(a) -> int:
    topo = load_topology(a.topology)
    lab = Lab(topo, impl=a.impl, tandem_bin=tandem_bin() if a.impl == "tandem" else None,
              detach=a.detach, start_services=not a.no_services)
    if a.detach:
        try:
            lab.up()
        except BaseException:
            lab.down()
            raise
        print_status(lab)
        print(f"lab {lab.name} is up; remove it with: ./run lab down {lab.name}")
        return 0
    with lab:
        print_status(lab)
        print(f"lab {lab.name} is up; Ctrl-C removes it", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print(f"\nremoving lab {lab.name} ...", flush=True)
    print(f"lab {lab.name} removed", flush=True)
    return 0


def print_status(lab: Lab) -> None:
    print(f"lab {lab.name} ({lab.impl}): {lab.topo.description}")
    for m in lab.topo.machines:
        addrs = []
        for i in m.interfaces:
            addrs += [f"{i.name} {a}" for a in lab.addresses(m.name, i.name) if not a.startswith("fe80")]
        svc = []
        if m.services:
            try:
                st = lab._ctl(m.name, {"op": "status"})["services"]
                for s in m.services:
                    x = st.get(s.name)
                    svc.append(f"{s.name}:" + ("not started" if x is None else
                               "running" if x["status"] is None else f"exited {x['status']}"))
            except LabError as e:
                svc.append(str(e))
        print(f"  {m.name:<8} {', '.join(addrs):<40} {' '.join(svc)}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="./run lab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up")
    p.add_argument("topology")
    p.add_argument("--impl", choices=["debian", "tandem"], default="tandem")
    p.add_argument("--no-services", action="store_true")
    p.add_argument("--detach", action="store_true")
    p = sub.add_parser("down")
    p.add_argument("lab", nargs="?")
    p.add_argument("--all", action="store_true")
    p = sub.add_parser("status")
    p.add_argument("lab", nargs="?")
    p = sub.add_parser("exec")
    p.add_argument("machine")
    p.add_argument("command", nargs=argparse.REMAINDER)
    for verb in ("start", "stop"):
        p = sub.add_parser(verb)
        p.add_argument("machine")
        p.add_argument("name")
    p = sub.add_parser("cut")
    p.add_argument("machine")
    p.add_argument("iface", nargs="?")
    p.add_argument("--how", choices=["carrier", "unplug", "ifdown"], default="carrier")
    for verb in ("restore", "addr"):
        p = sub.add_parser(verb)
        p.add_argument("machine")
        p.add_argument("iface", nargs="?")
    a = ap.parse_args(argv)
    try:
        if a.cmd == "up":
            return cmd_up(a)
        if a.cmd == "down":
            if a.all:
                removed = sweep(None)
            elif a.lab:
                name = load_topology(a.lab).name if a.lab.endswith(".toml") else a.lab
                removed = sweep(name)
            else:
                raise LabError("say which lab (./run lab status lists them), or --all")
            print("removed: " + (" ".join(removed) or "nothing"))
            return 0
        if a.cmd == "status":
            labs = [a.lab] if a.lab else Lab.running_labs()
            if not labs:
                print("no lab is up")
            for n in labs:
                print_status(Lab.attach(n))
            return 0
        lab, machine = resolve(a.machine)
        if a.cmd == "exec":
            if not a.command:
                raise LabError("exec: say which command to run")
            cmd = a.command[0] if len(a.command) == 1 else shlex.join(a.command)
            r = lab.exec(machine, cmd, timeout=600)
            sys.stdout.write(r.stdout)
            sys.stderr.write(r.stderr)
            return r.returncode
        if a.cmd == "start":
            lab.start(machine, a.name)
        elif a.cmd == "stop":
            lab.stop(machine, a.name)
        elif a.cmd == "cut":
            lab.cut(machine, a.iface, a.how)
        elif a.cmd == "restore":
            lab.restore(machine, a.iface)
        elif a.cmd == "addr":
            print("\n".join(lab.addresses(machine, a.iface)))
        return 0
    except (LabError, TopologyError, KeyError) as e:
        print(f"lab: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    sys.exit(main())
