"""Measuring a command the same way for Tandem and for the anchor it is compared with: wall
time and peak resident memory, best of several runs.

Wall time is taken around posix_spawn and waitpid of the command itself, so neither Python's
fork nor a wrapper's start is counted. The peak comes from separate runs under GNU time
(/usr/bin/time -f %M), not from this process's wait4: Linux carries a process's peak RSS across
exec, so a child spawned from Python would report at least Python's own size. GNU time is
small, so what it reports is the command's own peak."""

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass

GNU_TIME = '/usr/bin/time'


@dataclass
class sample:
    seconds: float
    peak_kib: int
    status: int


def timed_run(argv, env=None, cwd=None):
    """Runs argv with stdin, stdout and stderr on /dev/null; its wall time and exit status."""
    program = shutil.which(argv[0]) or argv[0]
    devnull = os.open(os.devnull, os.O_RDWR)
    old_cwd = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        start = time.monotonic()
        pid = os.posix_spawn(program, argv, os.environ if env is None else env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 0),
                                           (os.POSIX_SPAWN_DUP2, devnull, 1),
                                           (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status = os.waitpid(pid, 0)
        elapsed = time.monotonic() - start
    finally:
        os.chdir(old_cwd)
        os.close(devnull)
    return elapsed, os.waitstatus_to_exitcode(status)


def peak_kib(argv, env=None, cwd=None):
    """The command's peak resident memory in KiB, as GNU time reports it."""
    with tempfile.NamedTemporaryFile('r', prefix='tandem-bench-time-') as stats:
        subprocess.run([GNU_TIME, '-q', '-o', stats.name, '-f', '%M', *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        fields = stats.read().split()
    return int(fields[0]) if fields else 0


def best_of(argv, runs=5, env=None, cwd=None):
    """The fastest of `runs` timed runs (timing noise only ever adds time) and the largest
    peak memory of three runs under GNU time (the peak is a property of the work)."""
    timings = [timed_run(argv, env, cwd) for _ in range(runs)]
    seconds, status = min(timings)
    peak = max(peak_kib(argv, env, cwd) for _ in range(3))
    return sample(seconds, peak, status)


def tandem_bin():
    return os.path.join(os.environ['TANDEM_BUILD'], 'bin', 'tandem')


def report(title, ours, theirs, anchor_name, wall_target=None, memory_target=None):
    """Prints one comparison as a table row pair and the ratios (with the issue's targets)."""
    wall = ours.seconds / theirs.seconds if theirs.seconds else float('inf')
    mem = ours.peak_kib / theirs.peak_kib if theirs.peak_kib else float('inf')
    print(f'{title}')
    print(f'  {"":14} {"wall ms":>9} {"peak MiB":>9} {"exit":>5}')
    print(f'  {"tandem":14} {ours.seconds * 1000:9.2f} {ours.peak_kib / 1024:9.1f} '
          f'{ours.status:5}')
    print(f'  {anchor_name:14} {theirs.seconds * 1000:9.2f} {theirs.peak_kib / 1024:9.1f} '
          f'{theirs.status:5}')
    line = f'  ratio: wall {wall:.3f}x'
    if wall_target is not None:
        line += f' (target <= {wall_target}x: {"met" if wall <= wall_target else "NOT met"})'
    line += f', memory {mem:.3f}x'
    if memory_target is not None:
        line += f' (target <= {memory_target}x: {"met" if mem <= memory_target else "NOT met"})'
    print(line, flush=True)
    return wall, mem
