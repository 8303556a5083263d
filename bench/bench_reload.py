"""Seamless reload under load, Tandem against Debian's HAProxy 2.6 in the same run: wrk keeps
20 connections busy for 20 s against a proxy on 127.0.0.1 (two nginx backends), while the proxy
is reloaded 10 times the way an init script does it (`haproxy -f cfg -sf OLD_PID`: a new process
takes over, the old one finishes what is in flight and exits). A seamless reload loses nothing:
wrk reports zero socket errors and zero non-2xx responses.

Tandem takes the old process's listening sockets on its own (the old process offers them on
an abstract unix socket named by its PID). HAProxy needs `-x SOCKET` and a `stats socket ...
expose-fd listeners` for that; it runs here both with them and without (plain `-sf`, where the
new process binds its own sockets next to the old ones, the way most init scripts still do).

Usage: bench_reload.py [--seconds S] [--reloads N] [--connections C] [--only NAME ...]
A benchmark never fails on a number: the exit status is non-zero only when it could not run.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_proxy  # noqa: E402  (nginx backends, process and wrk helpers)

HAPROXY = '/usr/sbin/haproxy'


def config(port, backends, stats_socket=None):
    stats = f'    stats socket {stats_socket} level admin expose-fd listeners\n' if stats_socket else ''
    servers = ''.join(f'    server s{i} 127.0.0.1:{p}\n' for i, p in enumerate(backends))
    return f"""global
    maxconn 2000
    nbthread {bench_proxy.THREADS}
{stats}defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{port}
    default_backend b
backend b
    balance roundrobin
{servers}"""


def listening_inodes(port):
    inodes = set()
    for table in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) > 9 and cols[3] == '0A' and int(cols[1].rsplit(':', 1)[1], 16) == port:
                inodes.add(cols[9])
    return inodes


def socket_inodes(pid):
    found = set()
    try:
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                target = os.readlink(f'/proc/{pid}/fd/{fd}')
            except OSError:
                continue
            if target.startswith('socket:['):
                found.add(target[8:-1])
    except OSError:
        pass
    return found


def wait_owns_listener(process, port, seconds=10.0):
    """True once `process` holds a socket listening on `port`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if listening_inodes(port) & socket_inodes(process.pid):
            return True
        time.sleep(0.01)
    return False


def one_side(name, binary, tmp, backends, seconds, reloads, connections, use_x):
    """Starts the proxy, runs wrk, reloads `reloads` times spread over the run; returns the
    wrk result and what happened to the reloads."""
    port = bench_proxy.free_ports(1)[0]
    sock = os.path.join(tmp, f'{name}.sock') if use_x else None
    cfg = os.path.join(tmp, f'{name}.cfg')
    with open(cfg, 'w') as f:
        f.write(config(port, backends, sock))
    processes = []
    notes = []
    try:
        first = bench_proxy.start([binary, '-db', '-f', cfg], os.path.join(tmp, f'{name}.0.log'))
        processes.append(first)
        if not wait_owns_listener(first, port):
            return None, f'{name} did not start:\n{bench_proxy.tail(os.path.join(tmp, f"{name}.0.log"))}'
        out = {}
        client = threading.Thread(
            target=lambda: out.setdefault('wrk', bench_proxy.wrk(port, connections, seconds)))
        client.start()
        current = first
        interval = seconds / (reloads + 2)
        same_inode = 0
        for n in range(1, reloads + 1):
            time.sleep(interval)
            before = listening_inodes(port) & socket_inodes(current.pid)
            argv = [binary, '-db', '-f', cfg]
            if sock:
                argv += ['-x', sock]
            argv += ['-sf', str(current.pid)]
            new = bench_proxy.start(argv, os.path.join(tmp, f'{name}.{n}.log'))
            processes.append(new)
            if not wait_owns_listener(new, port):
                notes.append(f'reload {n}: the new process did not listen:\n'
                             f'{bench_proxy.tail(os.path.join(tmp, f"{name}.{n}.log"))}')
                break
            if before and before <= socket_inodes(new.pid):
                same_inode += 1
            current = new
        client.join(seconds + 90)
        result = bench_proxy.parse_wrk(out.get('wrk', ''))
        old_exits = []
        for p in processes[:-1]:
            try:
                old_exits.append(p.wait(10))
            except subprocess.TimeoutExpired:
                old_exits.append('running')
        notes.append(f'{same_inode}/{reloads} reloads kept the listening socket (same inode); '
                     f'old processes exited with {sorted(set(map(str, old_exits)))}')
        return result, '\n'.join(notes)
    finally:
        for p in processes:
            bench_proxy.stop(p)
        if sock and os.path.exists(sock):
            os.unlink(sock)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=int, default=20)
    parser.add_argument('--reloads', type=int, default=10)
    parser.add_argument('--connections', type=int, default=20)
    parser.add_argument('--only', nargs='*', default=[],
                        help='tandem, haproxy-x (with -x and expose-fd), haproxy (plain -sf)')
    args = parser.parse_args()
    build = os.environ.get('TANDEM_BUILD', os.path.join(bench_proxy.REPO, 'build'))
    tandem = os.path.join(build, 'bin', 'haproxy')
    nginx = shutil.which('nginx') or '/usr/sbin/nginx'
    for needed in (tandem, HAPROXY, nginx, shutil.which('wrk') or '/nonexistent'):
        if not os.path.exists(needed):
            print(f'bench_reload: {needed} is missing', file=sys.stderr)
            return 1
    sides = [('tandem', tandem, False), ('haproxy-x', HAPROXY, True), ('haproxy', HAPROXY, False)]
    if args.only:
        sides = [s for s in sides if s[0] in args.only]
    bench_proxy.raise_open_files_limit()
    signal.signal(signal.SIGTERM, bench_proxy.raise_interrupt)
    started = []
    tmp = tempfile.mkdtemp(prefix='tandem-bench-reload-')
    try:
        backends = bench_proxy.start_backends(nginx, tmp, started)
        if backends is None:
            return 1
        print(f'wrk -t{bench_proxy.THREADS} -c{args.connections} -d{args.seconds}s, '
              f'{args.reloads} reloads (`-sf OLD_PID`) spread over the run')
        for name, binary, use_x in sides:
            result, notes = one_side(name, binary, tmp, backends, args.seconds, args.reloads,
                                     args.connections, use_x)
            if result is None:
                print(f'  {name:10} FAILED: {notes}')
                continue
            errors = result.socket_errors or {}
            print(f'  {name:10} {result.requests:8d} requests  socket errors '
                  f'{sum(errors.values())} {errors}  non-2xx {result.non_2xx_3xx}')
            for line in notes.splitlines():
                print(f'  {"":10} {line}')
        return 0
    finally:
        for p in started:
            bench_proxy.stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
