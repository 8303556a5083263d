"""./run demo, the README's first command: it runs seed 000 in the lab with Tandem, says
for every step whether it ran, explains what is missing, and leaves nothing behind."""

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_demo_runs_and_tells_the_truth(build_dir):
    env = dict(os.environ, TANDEM_BUILD=str(build_dir))
    r = subprocess.run([sys.executable, str(HERE / "demo.py")], capture_output=True, text=True,
                       timeout=300, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "The lab is removed." in out
    verdicts = re.findall(r"^  \[(yes|no|NOT YET)\] (.*)$", out, re.M)
    assert len(verdicts) >= 7, out
    assert ("yes", "caches serve check.txt") in verdicts
    # Debian's HAProxy 2.6 and keepalived 2.2.7 reject the post's files: the reason Tandem
    # exists. Tandem reads both.
    assert ("no", "(Debian's HAProxy 2.6 accepts it)") in verdicts
    assert ("no", "(Debian's keepalived 2.2.7 reads it)") in verdicts
    assert ("yes", "haproxy -c accepts the post's haproxy.cfg (contimeout, listen NAME ADDR:PORT ...)") \
        in verdicts
    assert ("yes", "keepalived -t reads the post's keepalived.conf (pasted no-break spaces)") \
        in verdicts
    missing = [what for v, what in verdicts if v == "NOT YET" and not what.startswith("(")]
    if missing:
        assert "but not this whole setup yet" in out
    # What Tandem's haproxy -c printed in the lab is shown: the old forms and their modern ones.
    assert "'contimeout' was removed in HAProxy 2.1" in out
