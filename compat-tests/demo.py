"""./run demo: seed 000 end to end, narrated. The post "Building a failover load balancing
cluster on four machines with HAProxy and Keepalived in Debian Squeeze" runs in the lab with
its files byte for byte, Tandem as haproxy and keepalived: the files are checked (Tandem
accepts them, Debian's HAProxy 2.6 and keepalived 2.2.7 refuse them), the services start,
proxy1 takes the shared address, requests alternate between the caches with cookie
pinning, a cache that stops serving check.txt leaves and comes back, proxy1's network goes
down and proxy2 takes over, it comes back and proxy1 takes the address back. Every step
shows the command or log line that proves it. The lab is removed at the end, also on a
failure or Ctrl-C. Exit 0 when every step held, 1 when one did not, 130 on Ctrl-C."""

import argparse
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lab import PREFIX, Lab, LabError, list_netns, load_topology  # noqa: E402
from lab.topology import Service  # noqa: E402

REPO = HERE.parent
VIP = "11.22.33.44"
WIDTH = 78
# The post's proxy2 log (keepalived 1.x) and keepalived 2's lines for the same events.
POST_FAILOVER = {"(VI_1) Receive advertisement timeout": "Transition to MASTER STATE",
                 "(VI_1) Entering MASTER STATE": "Entering MASTER STATE"}
POST_FAILBACK = {"(VI_1) Master received advert from 11.22.33.42 with higher priority 103, "
                 "ours 102": "Received higher prio advert",
                 "(VI_1) Entering BACKUP STATE": "Entering BACKUP STATE"}


class StepFailed(Exception):
    pass


class Demo:
    def __init__(self, lab: Lab, total: int):
        self.lab = lab
        self.total = total
        self.n = 0
        self.held: list[tuple[str, bool]] = []

    # ---- output ------------------------------------------------------------
    @staticmethod
    def say(text: str = "") -> None:
        print(text, flush=True)

    @staticmethod
    def clip(line: str, indent: int) -> str:
        room = WIDTH - indent
        return line if len(line) <= room else line[:room - 3] + "..."

    def show(self, text: str, limit: int = 8) -> None:
        lines = [line.rstrip() for line in text.rstrip().splitlines()]
        for line in lines[:limit]:
            self.say("    " + self.clip(line, 4))
        if len(lines) > limit:
            self.say(f"    ... ({len(lines) - limit} more lines)")

    def step(self, title: str) -> None:
        self.n += 1
        self.say(f"\n[{self.n}/{self.total}] {title}")

    def proof(self, what: str, ok: bool) -> None:
        self.held.append((what, ok))
        self.say(f"  {'ok' if ok else 'FAILED'}: {what}")
        if not ok:
            raise StepFailed(what)

    # ---- doing -------------------------------------------------------------
    def run(self, machine: str, cmd: str, shown: str | None = None, limit: int = 8,
            filter=None) -> tuple[int, str]:
        self.say(f"  {machine}# {shown or cmd}")
        r = self.lab.exec(machine, cmd, timeout=60)
        out = r.stdout + r.stderr
        self.show(filter(out) if filter else out, limit)
        return r.returncode, out

    def wait(self, what: str, pred, timeout: float) -> bool:
        """Waits for pred(), a dot per second on one line; True when it held in time."""
        sys.stdout.write(f"  waiting for {what} ")
        sys.stdout.flush()
        t0 = time.monotonic()
        dots = 0
        while True:
            if pred():
                print(f" {time.monotonic() - t0:.1f} s", flush=True)
                return True
            elapsed = time.monotonic() - t0
            if elapsed > timeout:
                print(f" not within {timeout:.0f} s", flush=True)
                return False
            while dots < int(elapsed):
                sys.stdout.write(".")
                sys.stdout.flush()
                dots += 1
            time.sleep(0.1)

    # ---- facts -------------------------------------------------------------
    def vip_on(self, machine: str) -> bool:
        return self.lab.has_address(machine, VIP)

    def fetch(self, cookie: str | None = None) -> tuple[str | None, str | None]:
        """(cache that answered, SERVERID it set) for one GET through the VIP."""
        extra = f"-H 'Cookie: SERVERID={cookie}' " if cookie else ""
        r = self.lab.exec("client", f"curl -s -i --max-time 3 {extra}http://{VIP}/")
        m = re.search(r"<h1>(cache\d)</h1>", r.stdout)
        c = re.search(r"^set-cookie: SERVERID=(\w+)", r.stdout, re.M | re.I)
        return (m.group(1) if m else None), (c.group(1) if c else None)

    def rotation(self) -> set:
        return {self.fetch()[0] for _ in range(4)}

    def server_status(self) -> dict:
        r = self.lab.exec("client", f"curl -s --max-time 3 -u user:pass 'http://{VIP}/haproxy?stats;csv'")
        rows = [line.split(",") for line in r.stdout.splitlines() if line.startswith("webfarm,web")]
        return {row[1]: row[17] for row in rows if len(row) > 17}

    def log(self, machine: str, service: str) -> list[str]:
        text = self.lab.log(machine, service) if service != "haproxy-syslog" else \
            self.lab.read_file(machine, "/var/log/haproxy.log")
        return [re.sub(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: ", "", line)
                for line in text.splitlines()]


def first_lines(pattern: str, n: int):
    def pick(out: str) -> str:
        return "\n".join([line.strip() for line in out.splitlines() if re.search(pattern, line)][:n])
    return pick


def short(message: str) -> str:
    """A diagnostic's first clause: up to the first '(' or ':' past its 30th character."""
    message = re.sub(r"^(\d+) Unicode spaces \(U\+00A0\) on lines .*? are read as plain spaces",
                     r"\1 no-break spaces (U+00A0) read as plain spaces", message)
    m = re.search(r"(?<=.{30})[(:]", message)
    return message[:m.start()].rstrip() if m else message


def keepalived_lines(pattern: str, n: int):
    """keepalived's '(FILE: Line N) message' lines as 'line N: message'."""
    def pick(out: str) -> str:
        out = re.sub(r"^\(\S+: Line (\d+)\) (.*)$", lambda m: f"line {m.group(1)}: {short(m.group(2))}",
                     out, flags=re.M)
        return first_lines(pattern, n)(out)
    return pick


def tidy_haproxy(out: str) -> str:
    """HAProxy's message lines without their [LEVEL] (pid) : config : parsing prefix."""
    lines = []
    for line in out.splitlines():
        m = re.match(r"\[(\w+)\]\s+\(\d+\) : (?:config : )?(?:parsing \[[^\]]*:(\d+)\] : )?(.*)", line)
        if m and m.group(1) != "NOTICE":
            where = f"line {m.group(2)}: " if m.group(2) else ""
            text = m.group(3)
            old = re.search(r"'(\w+)' was removed in HAProxy ([\d.]+); Tandem reads it as '([^']+)'", text)
            if old:
                text = f"{old.group(1)} -> {old.group(3)} (gone since {old.group(2)})"
            elif "Tandem reads it as" in text:
                text = "listen NAME ADDR -> " + text.split("reads it as '")[1].split("'")[0]
            else:
                text = short(text)
            level = "" if m.group(1) == "WARNING" else m.group(1).lower() + ": "
            lines.append(f"{level}{where}{text}")
        elif not line.startswith(("[", "   |")):
            lines.append(line)
    return "\n".join(lines)


def walkthrough(d: Demo) -> None:
    lab = d.lab
    d.step("The post's files, checked where the post puts them (proxy1)")
    d.say("  Tandem reads the 2011 files as written and says what each old form means:")
    code, out = d.run("proxy1", "haproxy -f /etc/haproxy/haproxy.cfg -c",
                      filter=lambda o: first_lines(r"timeout|listen|no-break|valid", 6)(tidy_haproxy(o)))
    d.proof("Tandem's haproxy -c accepts haproxy.cfg", code == 0 and "Configuration file is valid" in out)
    d.say("  Debian's HAProxy 2.6 on the same file:")
    code, out = d.run("proxy1", "/usr/sbin/haproxy -f /etc/haproxy/haproxy.cfg -c",
                      filter=lambda o: first_lines(r"^alert", 2)(tidy_haproxy(o)), limit=2)
    d.proof(f"Debian's HAProxy 2.6 refuses it (exit {code}: pasted no-break spaces)", code == 1)
    code, out = d.run("proxy1", "keepalived -t -f /etc/keepalived/keepalived.conf",
                      filter=keepalived_lines(r"no-break|script", 2), limit=2)
    d.proof("Tandem's keepalived -t accepts keepalived.conf (exit 6: valid)",
            code in (0, 6))
    code, out = d.run("proxy1", "/usr/sbin/keepalived -t -f /etc/keepalived/keepalived.conf",
                      filter=keepalived_lines(r"Unknown keyword|must be set", 2), limit=2)
    d.proof(f"Debian's keepalived 2.2.7 refuses it (exit {code})", code == 5)

    d.step("Services started as the post does: haproxy, then keepalived")
    for m in ("proxy1", "proxy2"):
        for s in ("haproxy", "keepalived"):
            d.run(m, f"service {s} start")
    code, out = d.run("proxy1", "systemctl status haproxy", filter=first_lines(r"Active:|Main PID", 2))
    d.proof("haproxy and keepalived run on both proxies",
            all(lab.exec(m, f"systemctl -q is-active {s}").returncode == 0
                for m in ("proxy1", "proxy2") for s in ("haproxy", "keepalived")))

    d.step("proxy1 takes the shared address 11.22.33.44 (priority 101+2 > 100+2)")
    ok = d.wait("the VRRP election", lambda: d.vip_on("proxy1") and not d.vip_on("proxy2"), 20)
    d.say("  proxy1's keepalived log:")
    d.show("\n".join(line for line in d.log("proxy1", "keepalived")
                     if re.search(r"Changing effective|Entering MASTER|setting VIPs", line)))
    d.run("proxy1", "ip addr sh eth0", filter=first_lines(r"inet ", 3))
    d.proof(f"{VIP} is on proxy1's eth0, not on proxy2's", ok)

    d.step("Requests through 11.22.33.44 alternate; the SERVERID cookie pins")
    ok = d.wait("both caches to pass their checks", lambda: d.rotation() == {"cache1", "cache2"}, 20)
    d.say(f"  client# curl -si http://{VIP}/   (4 times)")
    seen = [d.fetch() for _ in range(4)]
    for cache, cookie in seen:
        d.say(f"    served by {cache}, Set-Cookie: SERVERID={cookie}")
    d.say(f"  client# curl -si -H 'Cookie: SERVERID=B' http://{VIP}/   (4 times)")
    pinned = [d.fetch("B") for _ in range(4)]
    d.say(f"    served by {', '.join(c for c, _ in pinned)}")
    d.proof("round-robin A/B, and a visitor with SERVERID=B stays on cache2",
            ok and all(a[0] != b[0] for a, b in zip(seen, seen[1:]))
            and all({"cache1": "A", "cache2": "B"}.get(c) == k for c, k in seen)
            and [c for c, _ in pinned] == ["cache2"] * 4)

    d.step("The stats page (`stats enable`, `stats auth user:pass`)")
    codes = []
    for creds in ("", "-u user:pass "):
        code, out = d.run("client", f"curl -si {creds}'http://{VIP}/haproxy?stats' | head -1")
        codes.append(out.strip())
    d.proof("401 without the post's credentials, 200 with them",
            codes == ["HTTP/1.1 401 Unauthorized", "HTTP/1.1 200 OK"])

    d.step("The post's benchmark from testserver1 (the client)")
    d.say("  (the post asks for /favicon.ico of its site; the caches serve a page at /)")
    code, out = d.run("client", f"ab -k -n 10000 -c 1000 http://{VIP}/",
                      filter=first_lines(r"^(Complete requests|Failed|Non-2xx|Keep-Alive|Requests per)", 5))
    d.proof("10,000 requests, 1,000 at a time, none failed",
            code == 0 and re.search(r"^Complete requests:\s+10000$", out, re.M) is not None
            and re.search(r"^Failed requests:\s+0$", out, re.M) is not None
            and "Non-2xx" not in out)

    d.step("cache2 stops serving check.txt: HAProxy's check takes it out")
    d.run("cache2", "mv /var/www/check.txt /var/www/check.txt.off")
    ok = d.wait("webB DOWN (HEAD /check.txt every 2 s, 3 failures)",
                lambda: d.server_status().get("webB") == "DOWN", 15)
    d.say("  proxy1's haproxy log (to the post's `log 127.0.0.1 local0`):")
    d.show(syslog(d, "is DOWN"), 2)
    d.run("client", f"curl -su user:pass '{VIP}/haproxy?stats;csv' | cut -d, -f2,18")
    after = [d.fetch()[0] for _ in range(4)]
    d.say(f"  client: 4 requests served by {', '.join(map(str, after))}")
    d.proof("webB is DOWN and every request goes to cache1", ok and after == ["cache1"] * 4)
    d.run("cache2", "mv /var/www/check.txt.off /var/www/check.txt")
    ok = d.wait("webB UP again (2 good checks)", lambda: d.server_status().get("webB") == "UP", 15)
    d.show(syslog(d, "is UP"), 2)
    d.proof("cache2 is back in rotation", ok and d.rotation() == {"cache1", "cache2"})

    d.step("proxy1's network stops: proxy2 takes 11.22.33.44")
    n2 = len(d.log("proxy2", "keepalived"))
    d.say("  proxy1# ip link set eth0 down")
    lab.cut("proxy1", how="ifdown")
    ok = d.wait("proxy2 to take over", lambda: d.vip_on("proxy2") and not d.vip_on("proxy1"), 20)
    logged = post_lines(d, "proxy2", n2, POST_FAILOVER)
    d.run("proxy2", "ip addr sh eth0", filter=first_lines(r"inet ", 3))
    served = d.fetch()[0]
    d.say(f"  client: the site answers through proxy2, served by {served}")
    d.proof("proxy2 holds the address, logs the post's lines; the site answers",
            ok and logged and served is not None)

    d.step("proxy1's network comes back: it takes the address back")
    n2 = len(d.log("proxy2", "keepalived"))
    d.say("  proxy1# ip link set eth0 up")
    lab.restore("proxy1")
    ok = d.wait("proxy1 to take it back (preemption)",
                lambda: d.vip_on("proxy1") and not d.vip_on("proxy2"), 20)
    logged = post_lines(d, "proxy2", n2, POST_FAILBACK)
    served = d.fetch()[0]
    d.say(f"  client: the site answers through proxy1, served by {served}")
    d.proof("proxy1 holds the address again, proxy2 logs the post's lines",
            ok and logged and served is not None)


def syslog(d: Demo, what: str) -> str:
    """proxy1's haproxy messages containing `what`, once each (local0 and local1 both
    receive the server state changes), without the syslog header, in two short lines."""
    seen = []
    for line in d.log("proxy1", "haproxy-syslog"):
        m = re.match(r"<\d+>.*? haproxy\[\d+\]: (.*)$", line)
        if m and what in m.group(1) and m.group(1) not in seen:
            seen.append(m.group(1))
    out = []
    for message in seen[:1]:
        head, _, rest = message.partition(", reason: ")
        rest = rest.split(", check duration")[0]
        out += [head + ",", "  reason: " + rest] if rest else [head]
    return "\n".join(out)


def post_lines(d: Demo, machine: str, after: int, ours: dict) -> bool:
    """Shows the new log lines of `machine` that answer to the post's, side by side."""
    try:
        Lab.wait_for(lambda: all(line in d.log(machine, "keepalived")[after:] for line in ours),
                     10, f"{machine}'s log lines")
        found = True
    except LabError:
        found = False             # what is there is shown; the step's proof fails
    d.say(f"  {machine}'s keepalived log, and the post's line (keepalived 1.x):")
    for line in d.log(machine, "keepalived")[after:]:
        if line in ours:
            d.say("    " + line.replace(" with higher", "\n      with higher"))
            d.say(f"      post: VRRP_Instance(VI_1) {ours[line]}")
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.parse_args(argv)
    t0 = time.monotonic()
    folder = next((REPO / "examples" / "blog-configs").glob("000-*"))
    topo = load_topology(folder / "lab.toml")
    tandem_bin = Path(os.environ.get("TANDEM_BUILD", REPO / "build")) / "bin"
    # The load balancers' services are started by the walkthrough, as the post does; each
    # gets a syslog listener for the post's `log 127.0.0.1 local0`.
    for name in ("proxy1", "proxy2"):
        m = topo.machine(name)
        for s in m.services:
            s.autostart = False
        m.services.append(Service("syslog", "socat -u UDP-RECV:514,bind=127.0.0.1 "
                                            "OPEN:/var/log/haproxy.log,creat,append"))
    say = Demo.say
    say("=" * WIDTH)
    say("Tandem demo: seed 000, a fail-over load-balancing cluster on four machines")
    say(f"The post and its claims: {folder.relative_to(REPO)}/")
    say("=" * WIDTH)
    say("Building the lab: one network namespace per machine, on one private bridge.")
    demo = None
    failed = None
    try:
        with Lab(topo, impl="tandem", tandem_bin=tandem_bin) as lab:
            roles = {"proxy1": "haproxy + keepalived (Tandem)", "proxy2": "haproxy + keepalived (Tandem)",
                     "cache1": "web server with /check.txt", "cache2": "web server with /check.txt",
                     "client": "the post's benchmark host, testserver1"}
            for m in topo.machines:
                say(f"  {m.name:<7} {lab.addresses(m.name)[0].split('/')[0]:<13} {roles.get(m.name, '')}")
            demo = Demo(lab, total=9)
            try:
                walkthrough(demo)
            except StepFailed as e:
                failed = str(e)
            except LabError as e:
                failed = f"the lab: {e}"
            say("\nRemoving the lab ...")
    except KeyboardInterrupt:
        print("\ninterrupted: the lab is removed", flush=True)
        return 130
    except LabError as e:            # the lab could not come up (or go down)
        say(f"FAILED: the lab: {e}")
        return 1
    left = [n for n in list_netns() if n.startswith(f"{PREFIX}{topo.name}-")]
    say(f"  namespaces left: {len(left)}")
    say("=" * WIDTH)
    held = demo.held if demo else []
    if failed or left:
        say(f"FAILED after {time.monotonic() - t0:.0f} s: {failed or 'the lab was not removed'}")
        return 1
    say(f"Every step held ({len(held)} checks) in {time.monotonic() - t0:.0f} s. The lab is removed.")
    say("=" * WIDTH)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
