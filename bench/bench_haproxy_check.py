"""`tandem check` against Debian's `haproxy -c` on a generated 60,000-line haproxy.cfg (2,000
backends, 50,000 servers, 4,000 ACLs). Issue 3's targets: at most 0.2x haproxy's wall time and
0.25x its peak memory."""

import os
import subprocess
import sys
import tempfile

from generate import haproxy_config
from measure import best_of, report, tandem_bin


def main():
    with tempfile.TemporaryDirectory(prefix='tandem-bench-') as tmp:
        cfg = os.path.join(tmp, 'generated.cfg')
        with open(cfg, 'w') as f:
            f.write(haproxy_config())
        lines = sum(1 for _ in open(cfg))
        theirs = best_of(['haproxy', '-c', '-q', '-f', cfg], runs=9)
        ours = best_of([tandem_bin(), 'check', cfg], runs=9)
        report(f'check a generated haproxy.cfg ({lines} lines): tandem check vs haproxy -c',
               ours, theirs, 'haproxy 2.6', wall_target=0.2, memory_target=0.25)
        if theirs.status != 0:
            print('  note: haproxy -c rejected the generated file:', file=sys.stderr)
            subprocess.run(['haproxy', '-c', '-f', cfg])
        if ours.status != 0:
            print('  note: tandem check did not accept the generated file', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
