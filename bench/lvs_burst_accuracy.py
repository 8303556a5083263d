"""How exact can nftables serve a connection-count scheduler (issue 8's option a)? A one-off
measurement behind runtime/lvs/README.md's choice: in a throw-away network namespace, nft
dnats connections to a VIP through a one-element "next" map; a controller reads conntrack's
NEW events (ctnetlink), counts each server's connections as wlc would (all held open: active),
and rewrites "next" to wlc's pick with one `nft -f` transaction per change. A client opens
BURST connections at once and holds them; the servers count what they accepted. wlc with
weights 3:1 over held connections should end 150:50 of 200.

Usage (root): lvs_burst_accuracy.py [--burst N] [--rounds N]. Prints the split per round."""

import argparse
import os
import socket
import struct
import subprocess
import sys
import threading
import time

NS = f"tdm-burst-{os.getpid()}"
VIP = "10.9.9.9"
SERVERS = [("127.0.0.2", 3), ("127.0.0.3", 1)]
NFNL_SUBSYS_CTNETLINK = 1
NFNLGRP_CONNTRACK_NEW = 1
CTA_TUPLE_REPLY, CTA_TUPLE_IP, CTA_IP_V4_SRC = 2, 1, 1


def attrs(data):
    out = {}
    while len(data) >= 4:
        length, kind = struct.unpack_from("HH", data)
        if length < 4:
            break
        out[kind & 0x3FFF] = data[4:length]
        data = data[(length + 3) & ~3:]
    return out


def reply_source(msg):
    a = attrs(msg[20:])  # nlmsghdr 16 + nfgenmsg 4
    tup = attrs(a.get(CTA_TUPLE_REPLY, b""))
    ip = attrs(tup.get(CTA_TUPLE_IP, b""))
    src = ip.get(CTA_IP_V4_SRC)
    return socket.inet_ntoa(src) if src else None


def nft(text):
    subprocess.run(["/usr/sbin/nft", "-f", "-"], input=text, text=True, check=True)


def wlc_pick(counts):
    # IPVS wlc: least (active*256 + inactive) / weight; all held: active only
    return min(SERVERS, key=lambda s: (counts[s[0]] * 256) / s[1])[0]


def in_namespace(burst, rounds):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "addr", "add", f"{VIP}/32", "dev", "lo"], check=True)
    nft("add table ip burst\n"
        "add map ip burst next { type inet_proto : ipv4_addr . inet_service; }\n"
        f"add element ip burst next {{ tcp : {SERVERS[0][0]} . 80 }}\n"
        "add chain ip burst out { type nat hook output priority -100; policy accept; }\n"
        f"add rule ip burst out ip daddr {VIP} tcp dport 80 dnat ip to meta l4proto map @next\n")
    accepted = {a: 0 for a, _ in SERVERS}
    listeners = []
    for a, _ in SERVERS:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, 80))
        s.listen(4096)
        listeners.append(s)
    for rnd in range(rounds):
        counts = {a: 0 for a, _ in SERVERS}
        current = [SERVERS[0][0]]
        nft(f"flush map ip burst next\nadd element ip burst next {{ tcp : {current[0]} . 80 }}\n")
        ev = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
        ev.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE: room for the burst
        ev.bind((0, 1 << (NFNLGRP_CONNTRACK_NEW - 1)))
        ev.settimeout(0.5)
        stop = threading.Event()
        updates = [0]
        lost = [0]

        def controller():
            while not stop.is_set():
                try:
                    data = ev.recv(65536)
                except socket.timeout:
                    continue
                except OSError:  # ENOBUFS: events lost (counted, the controller goes on)
                    lost[0] += 1
                    continue
                while len(data) >= 16:
                    length, kind = struct.unpack_from("IH", data)
                    if kind >> 8 == NFNL_SUBSYS_CTNETLINK:
                        src = reply_source(data[:length])
                        if src in counts:
                            counts[src] += 1
                    data = data[(length + 3) & ~3:]
                pick = wlc_pick(counts)
                if pick != current[0]:
                    nft(f"flush map ip burst next\nadd element ip burst next {{ tcp : {pick} . 80 }}\n")
                    current[0] = pick
                    updates[0] += 1

        t = threading.Thread(target=controller)
        t.start()
        before = dict(accepted)
        clients = []
        t0 = time.perf_counter()
        for _ in range(burst):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect((VIP, 80))
            except BlockingIOError:
                pass
            clients.append(c)
        issued = time.perf_counter() - t0
        time.sleep(1.0)
        for s in listeners:
            s.setblocking(False)
            while True:
                try:
                    conn, _ = s.accept()
                except BlockingIOError:
                    break
                accepted[s.getsockname()[0]] += 1
                conn.close()
        stop.set()
        t.join()
        ev.close()
        got = {a: accepted[a] - before[a] for a in accepted}
        want = {a: round(burst * w / sum(x for _, x in SERVERS)) for a, w in SERVERS}
        print(f"round {rnd + 1}: burst of {burst} issued in {issued * 1000:.1f} ms; "
              f"got {got}, wlc wants {want}; {updates[0]} map updates"
              + (f", {lost[0]} event overruns" if lost[0] else ""), flush=True)
        for c in clients:
            c.close()
        time.sleep(0.5)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--burst", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        return in_namespace(args.burst, args.rounds)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    try:
        return subprocess.run(["ip", "netns", "exec", NS, sys.executable, __file__, "--inside",
                               "--burst", str(args.burst), "--rounds", str(args.rounds)],
                              timeout=120).returncode
    finally:
        subprocess.run(["ip", "netns", "del", NS])


if __name__ == "__main__":
    sys.exit(main())
