"""Tandem's proxy against Debian's HAProxy 2.6 under load, in the same run: wrk as the client,
two nginx backends, everything on 127.0.0.1. Two configurations: seed 000's `listen webfarm`
(http-server-close, cookie insert, forwardfor, httpchk) and an end-to-end keep-alive one; each
at 100 and 1,000 connections. HAProxy and Tandem alternate (HAProxy, Tandem, HAProxy, ...) so
a change in the machine's load hits both. Issue 5's target: at least 1.25x HAProxy's
requests/s, with p99 latency and peak memory no higher.

Usage: bench_proxy.py [--seconds S] [--warmup S] [--rounds N] [--connections C ...]
                      [--configs NAME ...] [--only haproxy|tandem]
(run.py starts it with the defaults: 3 rounds of 10 s each, about 4.5 minutes in all).
"""

import argparse
import getpass
import http.client
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
THREADS = 2  # wrk's threads and both proxies' nbthread: the bench machine has 2 CPUs
NOFILE = 65536  # wanted: room for 1,000 client and 1,000 server connections per process
PAGE = b'<html><body>tandem bench: a tiny static page</body></html>\n'


# -- configurations ---------------------------------------------------------------------------

def seed000_config(port, backends):
    """Seed 000's haproxy.cfg in today's syntax: its defaults and `listen webfarm` section as
    written, but listening on 127.0.0.1:port, with its two cache servers on the backends'
    ports, and with what HAProxy 2.6 rejects made modern: the post's non-breaking spaces made
    plain, the 1.x timeouts (contimeout ...) in their `timeout` form, the `listen NAME ADDR`
    form as a `bind` line. The global section keeps `maxconn`, adds `nbthread`, and drops what
    does not apply to a foreground bench: `daemon`, `user` and `group`, and the `log
    127.0.0.1` lines (no syslog listens there; HAProxy would send a datagram per request into
    nothing, and Tandem does not log yet)."""
    found = [d for d in os.listdir(os.path.join(REPO, 'examples', 'blog-configs'))
             if d.startswith('000-')]
    assert len(found) == 1, found
    with open(os.path.join(REPO, 'examples', 'blog-configs', found[0], 'haproxy.cfg')) as f:
        seed = f.read()
    rewrites = [
        ('\u00a0', ' '),  # the post's pasted non-breaking spaces, which HAProxy 2.6 rejects
        (r'^[ \t]*log[ \t]+127\.0\.0\.1.*\n', ''),
        (r'^[ \t]*(user|group)[ \t]+haproxy[ \t]*\n', ''),
        (r'^[ \t]*daemon[ \t]*\n', ''),
        (r'^([ \t]*)maxconn 4096\n', rf'\1maxconn 4096\n\1nbthread {THREADS}\n'),
        (r'contimeout', 'timeout connect'),
        (r'clitimeout', 'timeout client'),
        (r'srvtimeout', 'timeout server'),
        (r'^listen webfarm \*:80\n', f'listen webfarm\n       bind 127.0.0.1:{port}\n'),
        (r'11\.22\.33\.45:80', f'127.0.0.1:{backends[0]}'),
        (r'11\.22\.33\.46:80', f'127.0.0.1:{backends[1]}'),
    ]
    text = seed
    for pattern, replacement in rewrites:
        text, count = re.subn(pattern, replacement, text, flags=re.M)
        # A seed that changes under the bench must fail here, not measure something else.
        assert count >= 1, f'seed 000 rewrite found nothing for {pattern!r}'
    assert '11.22.33' not in text and '*:80' not in text
    return text


def keepalive_config(port, backends):
    """Keep-alive end to end: clients keep their connections (HAProxy 2.x's default mode,
    written out), and server connections are kept and reused between requests."""
    return f"""global
    maxconn 4096
    nbthread {THREADS}

defaults
    mode http
    retries 3
    option redispatch
    maxconn 2000
    timeout connect 5s
    timeout client 50s
    timeout server 50s
    timeout http-keep-alive 50s

frontend fe
    bind 127.0.0.1:{port}
    option http-keep-alive
    default_backend caches

backend caches
    balance roundrobin
    http-reuse safe
    server webA 127.0.0.1:{backends[0]}
    server webB 127.0.0.1:{backends[1]}
"""


# Response headers a GET through the proxy must show for the config to be at work (the probe
# runs before the load; a missing one is reported, not fatal).
EXPECT = {
    'seed000': {'set-cookie': 'SERVERID=', 'x-seen-forwarded-for': '127.0.0.1'},
    'keepalive': {},
}

CONFIGS = {
    'seed000': ('seed 000 (http-server-close, cookie insert, forwardfor, httpchk)',
                seed000_config),
    'keepalive': ('keep-alive end to end (http-keep-alive, server connections reused)',
                  keepalive_config),
}


def nginx_config(prefix, port, index, nofile=NOFILE):
    """One backend: a single worker, no access log, every path under prefix (nothing in
    /var), keep-alive connections never closed for their request count (so the keep-alive
    config measures the proxy, not nginx's default of 1,000 requests per connection)."""
    user = f'user {getpass.getuser()};\n' if os.geteuid() == 0 else ''
    return f"""{user}worker_processes 1;
worker_rlimit_nofile {nofile};
pid {prefix}/nginx{index}.pid;
error_log {prefix}/nginx{index}.error.log warn;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    client_body_temp_path {prefix}/tmp{index}/body;
    proxy_temp_path {prefix}/tmp{index}/proxy;
    fastcgi_temp_path {prefix}/tmp{index}/fastcgi;
    uwsgi_temp_path {prefix}/tmp{index}/uwsgi;
    scgi_temp_path {prefix}/tmp{index}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {prefix}/www;
        # Lets the bench's probe see forwardfor at work; nginx leaves out an empty header.
        add_header X-Seen-Forwarded-For $http_x_forwarded_for;
        location / {{ }}
    }}
}}
"""


# -- processes --------------------------------------------------------------------------------

def free_ports(count):
    """Ports the kernel has just handed out on 127.0.0.1 (free at the time of asking)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(('127.0.0.1', 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def start(argv, log_path):
    """Starts argv in its own session (a Ctrl-C reaches only this script, which then stops
    everything itself), stdout and stderr into log_path."""
    log = open(log_path, 'wb')
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                start_new_session=True)
    finally:
        log.close()


def stop(process, grace=5.0):
    """SIGTERM to the process group it leads (nginx's master and worker), SIGKILL after grace
    seconds. The group is signalled only while its leader is not yet reaped, so its id
    cannot belong to anything else."""
    if process is None or process.returncode is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_listening(port, process, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def probe(port):
    """One GET through the proxy: status and the headers that show the config at work."""
    try:
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
        conn.request('GET', '/')
        response = conn.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        conn.close()
        return response.status, headers, body
    except (OSError, http.client.HTTPException) as error:
        return None, {}, str(error).encode()


def proc_status(pid):
    """VmHWM and VmRSS (KiB) and CPU seconds (user + system) of a live process."""
    fields = {}
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            name, _, value = line.partition(':')
            if name in ('VmHWM', 'VmRSS'):
                fields[name] = int(value.split()[0])
    with open(f'/proc/{pid}/stat') as f:
        after_name = f.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    cpu = (int(after_name[11]) + int(after_name[12])) / ticks  # utime, stime
    return fields.get('VmHWM', 0), fields.get('VmRSS', 0), cpu


# -- wrk --------------------------------------------------------------------------------------

UNITS = {'us': 1e-3, 'ms': 1.0, 's': 1e3, 'm': 60e3, 'h': 3600e3}


def to_ms(text):
    number, unit = re.fullmatch(r'([\d.]+)([a-z]+)', text).groups()
    return float(number) * UNITS[unit]


@dataclass
class run_result:
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    socket_errors: dict = field(default_factory=dict)
    non_2xx_3xx: int = 0
    peak_kib: int = 0
    cpu_s: float = 0.0
    failure: str = ''  # why the run measured nothing (start failure, crash), with evidence
    note: str = ''  # what the probe did not see of the config at work

    @property
    def errors(self):
        return sum(self.socket_errors.values()) + self.non_2xx_3xx


def parse_wrk(text):
    result = run_result()
    m = re.search(r'Requests/sec:\s+([\d.]+)', text)
    result.rps = float(m.group(1)) if m else 0.0
    m = re.search(r'^\s+50%\s+(\S+)', text, re.M)
    result.p50_ms = to_ms(m.group(1)) if m else float('nan')
    m = re.search(r'^\s+99%\s+(\S+)', text, re.M)
    result.p99_ms = to_ms(m.group(1)) if m else float('nan')
    m = re.search(r'(\d+) requests in', text)
    result.requests = int(m.group(1)) if m else 0
    m = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', text)
    if m:
        result.socket_errors = dict(zip(('connect', 'read', 'write', 'timeout'),
                                        map(int, m.groups())))
    m = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
    result.non_2xx_3xx = int(m.group(1)) if m else 0
    return result


def wrk(port, connections, seconds):
    argv = ['wrk', f'-t{THREADS}', f'-c{connections}', f'-d{seconds}s', '--latency',
            f'http://127.0.0.1:{port}/']
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60,
                          stdin=subprocess.DEVNULL)
    return done.stdout + done.stderr


# -- one run ----------------------------------------------------------------------------------

def tail(path, lines=15):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def one_run(name, argv, make_config, workdir, backends, connections, seconds, warmup, expect):
    """Starts the proxy on a fresh port, probes it once, loads it with wrk (after a warm-up),
    reads its peak memory and CPU time while it still runs, then stops it."""
    port = free_ports(1)[0]
    cfg = os.path.join(workdir, f'{name}.cfg')
    with open(cfg, 'w') as f:
        f.write(make_config(port, backends))
    log = os.path.join(workdir, f'{name}.log')
    proxy = start([*argv, '-db', '-f', cfg], log)
    try:
        if not wait_listening(port, proxy):
            return run_result(failure=f'{name} did not start listening (exit '
                                      f'{proxy.poll()}):\n{tail(log)}')
        status, headers, body = probe(port)
        if status != 200:
            return run_result(failure=f'{name}: probe GET / gave {status}: {body[:300]!r}\n'
                                      f'{tail(log)}')
        missing = [f'{k}: {v}...' for k, v in expect.items()
                   if not headers.get(k, '').startswith(v)]
        if warmup:
            wrk(port, connections, warmup)
        _, _, cpu_before = proc_status(proxy.pid)
        text = wrk(port, connections, seconds)
        if proxy.poll() is not None:
            return run_result(failure=f'{name} exited with {proxy.returncode} under load\n'
                                      f'wrk:\n{text}\nproxy output:\n{tail(log)}')
        result = parse_wrk(text)
        result.peak_kib, _, cpu_after = proc_status(proxy.pid)
        result.cpu_s = cpu_after - cpu_before
        if not result.requests:
            result.failure = f'{name}: wrk measured nothing:\n{text}\n{tail(log)}'
        if missing:
            result.note = 'probe response lacks ' + ', '.join(missing)
        return result
    finally:
        stop(proxy)


# -- report -----------------------------------------------------------------------------------

def summarize(results):
    good = [r for r in results if not r.failure]
    if not good:
        return None
    errors = {}
    for r in good:
        for k, v in r.socket_errors.items():
            errors[k] = errors.get(k, 0) + v
    return dict(rps=statistics.median(r.rps for r in good),
                p50=statistics.median(r.p50_ms for r in good),
                p99=statistics.median(r.p99_ms for r in good),
                peak=max(r.peak_kib for r in good),
                cpu_us_per_req=statistics.median(1e6 * r.cpu_s / r.requests for r in good),
                non_2xx=sum(r.non_2xx_3xx for r in good),
                socket=errors, runs=len(good), failed=len(results) - len(good))


def error_text(s):
    parts = [f'{k} {v}' for k, v in s['socket'].items() if v]
    if s['non_2xx']:
        parts.append(f'non-2xx/3xx {s["non_2xx"]}')
    return ', '.join(parts) if parts else 'none'


def report(title, connections, seconds, theirs, ours):
    print(f'\n{title}, {connections} connections (median of runs of {seconds} s; peak = '
          f'largest VmHWM)')
    print(f'  {"":12} {"req/s":>10} {"p50 ms":>8} {"p99 ms":>8} {"peak MiB":>9} '
          f'{"cpu us/req":>10}  errors (all runs)')
    for label, s in (('haproxy 2.6', theirs), ('tandem', ours)):
        if s is None:
            print(f'  {label:12} no run measured anything')
            continue
        failed = f' ({s["failed"]} run(s) failed)' if s['failed'] else ''
        print(f'  {label:12} {s["rps"]:10.0f} {s["p50"]:8.2f} {s["p99"]:8.2f} '
              f'{s["peak"] / 1024:9.1f} {s["cpu_us_per_req"]:10.1f}  {error_text(s)}{failed}')
    if theirs is None or ours is None:
        print('  ratio: none (a side has no measurement)')
        return
    rps = ours['rps'] / theirs['rps']
    p99 = ours['p99'] / theirs['p99']
    mem = ours['peak'] / theirs['peak']

    def verdict(ok):
        return 'met' if ok else 'NOT met'
    print(f'  tandem/haproxy: req/s {rps:.3f}x (target >= 1.25x: {verdict(rps >= 1.25)}), '
          f'p99 {p99:.3f}x (<= 1x: {verdict(p99 <= 1)}), memory {mem:.3f}x '
          f'(<= 1x: {verdict(mem <= 1)})')
    if ours['socket'] and any(ours['socket'].values()) or ours['non_2xx']:
        print(f'  NOTE: tandem had errors: {error_text(ours)}')
    if theirs['socket'] and any(theirs['socket'].values()) or theirs['non_2xx']:
        print(f'  NOTE: haproxy had errors: {error_text(theirs)}')


# -- main -------------------------------------------------------------------------------------

def start_backends(nginx, tmp, started):
    """Two nginx on 127.0.0.1 serving PAGE (and /check.txt for seed 000's httpchk); their
    ports, or None (with nginx's words) when one does not come up. Every nginx started is
    appended to `started` at once, so the caller stops it whatever happens next."""
    os.chmod(tmp, 0o755)  # nginx's worker may run as another user than this script
    www = os.path.join(tmp, 'www')
    os.mkdir(www)
    with open(os.path.join(www, 'index.html'), 'wb') as f:
        f.write(PAGE)
    with open(os.path.join(www, 'check.txt'), 'wb') as f:
        f.write(b'ok\n')
    backends = free_ports(2)
    for i, port in enumerate(backends):
        os.makedirs(os.path.join(tmp, f'tmp{i}'))
        conf = os.path.join(tmp, f'nginx{i}.conf')
        with open(conf, 'w') as f:
            f.write(nginx_config(tmp, port, i, open_files_limit()))
        out = os.path.join(tmp, f'nginx{i}.out')
        p = start([nginx, '-p', tmp, '-e', os.path.join(tmp, f'nginx{i}.error.log'),
                   '-c', conf, '-g', 'daemon off;'], out)
        started.append(p)
        if not wait_listening(port, p):
            print(f'bench_proxy: nginx did not start:\n{tail(out)}'
                  f'{tail(os.path.join(tmp, f"nginx{i}.error.log"))}', file=sys.stderr)
            return None
    return backends


def run_all(args, sides, tmp, backends):
    """Every config and connection count, the sides alternating within each round; a line
    per run as it ends, and the summaries for the report."""
    summary = []
    for config in args.configs:
        title, make = CONFIGS[config]
        for connections in args.connections:
            results = {name: [] for name, _ in sides}
            for round_ in range(args.rounds):
                for name, argv in sides:
                    r = one_run(name, argv, make, tmp, backends, connections, args.seconds,
                                args.warmup, EXPECT[config])
                    results[name].append(r)
                    where = f'  [{config} c{connections} round {round_ + 1}] {name:8}'
                    if r.failure:
                        print(f'{where} FAILED: {r.failure}', flush=True)
                        continue
                    print(f'{where} {r.rps:9.0f} req/s  p50 {r.p50_ms:7.2f} ms  p99 '
                          f'{r.p99_ms:7.2f} ms  peak {r.peak_kib / 1024:6.1f} MiB  cpu '
                          f'{r.cpu_s:5.2f} s  errors {r.errors}'
                          + (f'  ({r.note})' if r.note else ''), flush=True)
            summary.append((title, connections, summarize(results.get('haproxy', [])),
                            summarize(results.get('tandem', []))))
    return summary


def raise_open_files_limit():
    """RLIMIT_NOFILE to NOFILE, or to the hard limit where raising that is not allowed (a
    container without CAP_SYS_RESOURCE); every process the bench starts inherits it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, max(hard, NOFILE)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def open_files_limit():
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seconds', type=int, default=10, help='length of one wrk run')
    parser.add_argument('--warmup', type=int, default=1, help='a wrk run before each one')
    parser.add_argument('--rounds', type=int, default=3, help='runs of each proxy')
    parser.add_argument('--connections', type=int, nargs='+', default=[100, 1000])
    parser.add_argument('--configs', nargs='+', choices=sorted(CONFIGS),
                        default=['seed000', 'keepalive'])
    parser.add_argument('--only', choices=['haproxy', 'tandem'],
                        help='run one side only (for profiling)')
    args = parser.parse_args()

    nginx = shutil.which('nginx') or '/usr/sbin/nginx'
    tandem = os.path.join(os.environ.get('TANDEM_BUILD', os.path.join(REPO, 'build')),
                          'bin', 'haproxy')
    for path, what in ((shutil.which('wrk'), 'wrk'), (nginx, 'nginx'),
                       (shutil.which('haproxy') or '/usr/sbin/haproxy', 'haproxy'),
                       *([(tandem, 'Tandem (build/bin/haproxy)')] if args.only != 'haproxy' else [])):
        if not path or not os.access(path, os.X_OK):
            print(f'bench_proxy: {what} is missing (./run setup, ./run build)', file=sys.stderr)
            return 1
    sides = [('haproxy', [shutil.which('haproxy') or '/usr/sbin/haproxy']),
             ('tandem', [tandem])]
    if args.only:
        sides = [s for s in sides if s[0] == args.only]

    # Children inherit the limit: wrk, nginx and both proxies hold 1,000+ sockets each.
    raise_open_files_limit()
    signal.signal(signal.SIGTERM, raise_interrupt)

    print(f'proxy bench: {args.rounds} rounds x {args.seconds} s (after a {args.warmup} s '
          f'warm-up) per proxy, config and connection count; wrk -t{THREADS}; nbthread '
          f'{THREADS} for both; 2 nginx backends (1 worker each); open files limit '
          f'{open_files_limit()}; load average before: {os.getloadavg()[0]:.2f}', flush=True)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix='tandem-bench-proxy-') as tmp:
            nginxes = []
            try:
                backends = start_backends(nginx, tmp, nginxes)
                if backends is None:
                    return 1
                summary = run_all(args, sides, tmp, backends)
            finally:
                # Inside the temporary folder's block: nginx stops before its files go.
                for p in nginxes:
                    stop(p)
    except KeyboardInterrupt:
        print('bench_proxy: interrupted; stopped everything it started', file=sys.stderr)
        return 130
    for title, connections, theirs, ours in summary:
        report(title, connections, args.seconds, theirs, ours)
    print(f'\nload average after: {os.getloadavg()[0]:.2f}; bench took '
          f'{time.monotonic() - started:.0f} s', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
