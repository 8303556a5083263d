"""Measuring a command the same way for Tandem and for the anchor it is compared with: wall
time and peak resident memory, best of several runs.

The peak comes from GNU time (/usr/bin/time -f %M), not from this process's own wait4: Linux
carries a process's peak RSS across exec, so a child forked from Python would report at least
Python's own size. GNU time is small, so what it reports is the command's own peak."""

import os
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


def run_once(argv, env=None, cwd=None):
    """Runs argv with stdout/stderr discarded; its wall time, peak RSS (KiB) and exit status.
    The wall time includes GNU time's own start (about a millisecond, the same for both)."""
    with tempfile.NamedTemporaryFile('r', prefix='tandem-bench-time-') as stats:
        start = time.monotonic()
        status = subprocess.run([GNU_TIME, '-q', '-o', stats.name, '-f', '%M %x', *argv],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, env=env, cwd=cwd).returncode
        elapsed = time.monotonic() - start
        fields = stats.read().split()
    peak_kib = int(fields[0]) if fields else 0
    return sample(elapsed, peak_kib, status)


def best_of(argv, runs=5, env=None, cwd=None):
    """The fastest of `runs` runs (and the largest peak memory seen): timing noise only ever
    adds time, while the peak is a property of the work."""
    samples = [run_once(argv, env, cwd) for _ in range(runs)]
    fastest = min(samples, key=lambda s: s.seconds)
    return sample(fastest.seconds, max(s.peak_kib for s in samples), fastest.status)


def tandem_bin():
    return os.path.join(os.environ['TANDEM_BUILD'], 'bin', 'tandem')


def report(title, ours, theirs, anchor_name, wall_target=None, memory_target=None):
    """Prints one comparison as a table row pair and the ratios (with the issue's targets)."""
    wall = ours.seconds / theirs.seconds if theirs.seconds else float('inf')
    mem = ours.peak_kib / theirs.peak_kib if theirs.peak_kib else float('inf')
    print(f'{title}')
    print(f'  {"":12} {"wall s":>9} {"peak MiB":>9} {"exit":>5}')
    print(f'  {"tandem":12} {ours.seconds:9.3f} {ours.peak_kib / 1024:9.1f} {ours.status:5}')
    print(f'  {anchor_name:12} {theirs.seconds:9.3f} {theirs.peak_kib / 1024:9.1f} '
          f'{theirs.status:5}')
    line = f'  ratio: wall {wall:.3f}x'
    if wall_target is not None:
        line += f' (target <= {wall_target}x: {"met" if wall <= wall_target else "NOT met"})'
    line += f', memory {mem:.3f}x'
    if memory_target is not None:
        line += f' (target <= {memory_target}x: {"met" if mem <= memory_target else "NOT met"})'
    print(line, flush=True)
    return wall, mem
