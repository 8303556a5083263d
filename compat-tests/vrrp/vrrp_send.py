"""Crafted VRRP adverts for the bad-packet tests, sent from a lab machine through a raw
IPPROTO_VRRP socket with IP_HDRINCL (the kernel fills in the IP checksum and total length).
Run inside the machine as `python3 -c CODE JSON`; `build` is also imported by the tests."""

import json
import socket
import struct
import sys


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def build(src: str, dst: str, vrid: int, prio: int, vips: list, version: int = 2,
          auth=None, interval: int = 1, ttl: int = 255, bad_checksum: bool = False,
          truncate=None, auth_type=None) -> bytes:
    addrs = b"".join(socket.inet_aton(v) for v in vips)
    if version == 2:
        at = auth_type if auth_type is not None else (1 if auth is not None else 0)
        head = struct.pack("!BBBBBBH", 0x20 | 1, vrid, prio, len(vips), at, interval, 0)
        msg = head + addrs + (auth or "").encode()[:8].ljust(8, b"\0")
        c = csum(msg)
    else:
        head = struct.pack("!BBBBHH", (version << 4) | 1, vrid, prio, len(vips), interval & 0x0fff, 0)
        msg = head + addrs
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 112, len(msg))
        c = csum(pseudo + msg)
    if bad_checksum:
        c ^= 0x5a5a
    msg = msg[:6] + struct.pack("!H", c) + msg[8:]
    if truncate is not None:
        msg = msg[:truncate]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xc0, 20 + len(msg), 0, 0, ttl, 112, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + msg


def send(packet: bytes, dst: str, src: str, iface: str = "eth0", count: int = 1) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(src))
    for _ in range(count):
        s.sendto(packet, (dst, 0))
    s.close()


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    count = args.pop("count", 1)
    send(build(**args), args["dst"], args["src"], count=count)
