"""`tandem check` against Debian's `keepalived -t` on the corpus's largest keepalived.conf
(6,679 lines) and on a generated 100,000-line one. Issue 4's target: at most 0.2x keepalived's
wall time."""

import contextlib
import os
import subprocess
import sys
import tempfile

from generate import keepalived_config
from measure import best_of, report, tandem_bin

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS_FILE = os.path.join(HERE, '..', '..', 'shared', 'corpus', 'keepalived',
                           'pqarmitage__keepalived-devel-tools__configs_1773_keepalived.conf')


@contextlib.contextmanager
def namespace_with_eth0():
    """A network namespace holding an eth0 (keepalived checks the interfaces a config names;
    a veth pair with both ends inside, since this kernel has no dummy interfaces), removed
    afterwards whatever happens. Nothing is sent anywhere."""
    name = f'tdm-bench-{os.getpid()}'
    subprocess.run(['ip', 'netns', 'add', name], check=True)
    try:
        subprocess.run(['ip', '-n', name, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name',
                        'eth0-peer'], check=True)
        subprocess.run(['ip', '-n', name, 'link', 'set', 'eth0', 'up'], check=True)
        yield ['ip', 'netns', 'exec', name]
    finally:
        subprocess.run(['ip', 'netns', 'delete', name])


def compare(title, path, prefix):
    lines = sum(1 for _ in open(path, 'rb'))
    # Both run inside the namespace, so both pay for `ip netns exec` alike.
    theirs = best_of([*prefix, 'keepalived', '-t', '-f', path], runs=9)
    ours = best_of([*prefix, tandem_bin(), 'check', path], runs=9)
    report(f'{title} ({lines} lines): tandem check vs keepalived -t', ours, theirs,
           'keepalived 2.2', wall_target=0.2)


def main():
    # The corpus file names no interface keepalived checks: no namespace, so the few
    # milliseconds of `ip netns exec` do not blur a 15 ms measurement.
    if os.path.exists(CORPUS_FILE):
        compare('check the corpus\'s largest keepalived.conf', CORPUS_FILE, [])
    else:
        print(f'  skipped: {CORPUS_FILE} is missing (the shared corpus is not here)')
    with namespace_with_eth0() as prefix:
        with tempfile.TemporaryDirectory(prefix='tandem-bench-') as tmp:
            cfg = os.path.join(tmp, 'generated.conf')
            with open(cfg, 'w') as f:
                f.write(keepalived_config())
            compare('check a generated keepalived.conf', cfg, prefix)
    return 0


if __name__ == '__main__':
    sys.exit(main())
