#!/usr/bin/python3
"""Runs Tandem's benchmarks (bench/bench_*.py), each comparing Tandem with Debian's HAProxy or
keepalived on the same work in the same run and printing ratios. A benchmark never fails on a
time: the exit status is non-zero only when a benchmark could not run at all.

Usage: run.py --build BUILD_DIR [NAME...]   (NAME: bench_NAME.py; default: all)
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--build', required=True, help='the build folder holding bin/tandem')
    parser.add_argument('names', nargs='*')
    args = parser.parse_args()
    available = sorted(f[len('bench_'):-len('.py')] for f in os.listdir(HERE)
                       if f.startswith('bench_') and f.endswith('.py'))
    names = args.names or available
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"run.py: no benchmark {', '.join(unknown)} (have: {', '.join(available)})",
              file=sys.stderr)
        return 2
    env = dict(os.environ, TANDEM_BUILD=os.path.abspath(args.build),
               PYTHONPATH=HERE + os.pathsep + os.environ.get('PYTHONPATH', ''))
    failed = []
    for name in names:
        print(f'== {name}', flush=True)
        if subprocess.run([sys.executable, os.path.join(HERE, f'bench_{name}.py')],
                          env=env).returncode != 0:
            failed.append(name)
    if failed:
        print(f"run.py: could not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
