"""The benchmarks' generated configurations are valid for the anchors: a ratio against a
`haproxy -c` or `keepalived -t` that rejects its input early would measure nothing."""

import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def generate(repo):
    sys.path.insert(0, str(repo / "bench"))
    import generate as module
    return module


def test_haproxy_config_size_and_oracle(generate, tmp_path):
    text = generate.haproxy_config()
    assert text == generate.haproxy_config(), "the generator must be deterministic"
    lines = text.splitlines()
    assert 59000 <= len(lines) <= 61000
    assert sum(1 for l in lines if l.startswith("backend ")) == 2000
    assert sum(1 for l in lines if l.lstrip().startswith("server ")) == 50000
    assert sum(1 for l in lines if l.lstrip().startswith("acl ")) == 4000
    cfg = tmp_path / "generated.cfg"
    cfg.write_text(text)
    done = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Configuration file is valid" in done.stdout


def test_keepalived_config_size_and_oracle(generate, tmp_path, repo):
    sys.path.insert(0, str(repo / "bench"))
    from bench_keepalived_check import namespace_with_eth0
    text = generate.keepalived_config()
    assert 100000 <= len(text.splitlines()) <= 100100
    cfg = tmp_path / "generated.conf"
    cfg.write_text(text)
    with namespace_with_eth0() as prefix:
        done = subprocess.run([*prefix, "keepalived", "-t", "-f", str(cfg)],
                              capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
