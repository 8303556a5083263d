"""What one proxied request costs the proxy process, Tandem beside Debian's HAProxy 2.6, on
bench_proxy.py's configs, backends and client (wrk, two nginx, 127.0.0.1 only). Three
measures, each from its own run of a fresh proxy after a 1 s warm-up:

- instructions: user-space instructions per request under valgrind's callgrind (counters
  zeroed after the warm-up, dumped after the load). The proxy then runs ~50x slower, so wrk
  uses 10 connections; the count does not depend on the machine's load, which makes it the
  figure to compare builds with (A/B) on a shared machine. This VM exposes no hardware
  counters (perf stat: cycles "not supported"), hence instructions rather than cycles.
- syscalls: system calls per request, `strace -c -f` attached during the load (wrk -c100).
- cpu: user and system CPU time per request (from /proc/PID/stat around the load), without
  any tool attached; this one moves with the machine's load.

Usage: profile_proxy.py [--measures instructions syscalls cpu] [--configs seed000 keepalive]
                        [--only haproxy|tandem] [--seconds S]
(Tandem is $TANDEM_BUILD/bin/haproxy, build/bin/haproxy by default.)
"""

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_proxy as b  # noqa: E402  (the bench's configs, backends and wrk)


def cpu_seconds(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return int(fields[11]) / ticks, int(fields[12]) / ticks


def measure(name, argv, make_config, workdir, backends, what, seconds):
    """One run of a fresh proxy: the figure `what` asks for, as text."""
    port = b.free_ports(1)[0]
    cfg = os.path.join(workdir, f'{name}.cfg')
    with open(cfg, 'w') as f:
        f.write(make_config(port, backends))
    log = os.path.join(workdir, f'{name}.log')
    dump = os.path.join(workdir, f'{name}.callgrind')
    prefix = ['valgrind', '--tool=callgrind', f'--callgrind-out-file={dump}'] \
        if what == 'instructions' else []
    connections = 10 if what == 'instructions' else 100
    proxy = b.start([*prefix, *argv, '-db', '-f', cfg], log)
    try:
        if not b.wait_listening(port, proxy, 60):
            return f'did not start: {b.tail(log)}'
        b.wrk(port, connections, 1)
        if what == 'instructions':
            subprocess.run(['callgrind_control', '-z', str(proxy.pid)], capture_output=True)
            r = b.parse_wrk(b.wrk(port, connections, seconds))
            subprocess.run(['callgrind_control', '-d', str(proxy.pid)], capture_output=True)
            total = 0
            for path in glob.glob(dump + '.*'):
                with open(path, errors='replace') as f:
                    for line in f:
                        if line.startswith(('summary:', 'totals:')):
                            total += int(line.split()[1])
                            break
            return f'{total / max(r.requests, 1):,.0f} instructions/request ({r.requests} requests)'
        if what == 'syscalls':
            out = os.path.join(workdir, f'{name}.strace')
            tracer = subprocess.Popen(['strace', '-c', '-f', '-o', out, '-p', str(proxy.pid)],
                                      stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            try:
                r = b.parse_wrk(b.wrk(port, connections, seconds))
            finally:
                tracer.send_signal(signal.SIGINT)
                tracer.wait(30)
            calls = {}
            with open(out) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 5 and parts[3].isdigit() and parts[-1] != 'total':
                        calls[parts[-1]] = int(parts[3])
            n = max(r.requests, 1)
            top = sorted(calls.items(), key=lambda kv: -kv[1])[:8]
            return (f'{sum(calls.values()) / n:.2f} syscalls/request: ' +
                    ', '.join(f'{k} {v / n:.2f}' for k, v in top))
        user0, system0 = cpu_seconds(proxy.pid)
        r = b.parse_wrk(b.wrk(port, connections, seconds))
        user1, system1 = cpu_seconds(proxy.pid)
        n = max(r.requests, 1)
        return (f'{1e6 * (user1 - user0 + system1 - system0) / n:.1f} µs CPU/request (user '
                f'{1e6 * (user1 - user0) / n:.1f}, system {1e6 * (system1 - system0) / n:.1f}); '
                f'{r.rps:,.0f} req/s')
    finally:
        b.stop(proxy, 10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--measures', nargs='+', choices=['instructions', 'syscalls', 'cpu'],
                        default=['instructions', 'syscalls', 'cpu'])
    parser.add_argument('--configs', nargs='+', choices=sorted(b.CONFIGS),
                        default=['seed000', 'keepalive'])
    parser.add_argument('--only', choices=['haproxy', 'tandem'])
    parser.add_argument('--seconds', type=int, default=4, help='length of each measured load')
    args = parser.parse_args()
    tandem = os.path.join(os.environ.get('TANDEM_BUILD', os.path.join(b.REPO, 'build')),
                          'bin', 'haproxy')
    sides = [('haproxy', [shutil.which('haproxy') or '/usr/sbin/haproxy']), ('tandem', [tandem])]
    if args.only:
        sides = [s for s in sides if s[0] == args.only]
    tools = {'instructions': ['valgrind', 'callgrind_control'], 'syscalls': ['strace'], 'cpu': []}
    for what in args.measures:
        for tool in ['wrk', *tools[what]]:
            if not shutil.which(tool):
                print(f'profile_proxy: {tool} is missing', file=sys.stderr)
                return 1
    b.raise_open_files_limit()
    print(f'load average before: {os.getloadavg()[0]:.2f}', flush=True)
    with tempfile.TemporaryDirectory(prefix='tandem-profile-proxy-') as tmp:
        nginxes = []
        try:
            backends = b.start_backends(shutil.which('nginx') or '/usr/sbin/nginx', tmp, nginxes)
            if backends is None:
                return 1
            for config in args.configs:
                for what in args.measures:
                    for name, argv in sides:
                        text = measure(name, argv, b.CONFIGS[config][1], tmp, backends, what,
                                       args.seconds)
                        print(f'{config:9} {what:12} {name:8} {text}', flush=True)
        finally:
            for p in nginxes:
                b.stop(p)
    print(f'load average after: {os.getloadavg()[0]:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
