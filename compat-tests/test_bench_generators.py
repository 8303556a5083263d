"""The benchmarks' generated configurations are valid for the anchors: a ratio against a
`haproxy -c` or `keepalived -t` that rejects its input early would measure nothing."""

import re
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


@pytest.mark.parametrize("config", ["seed000", "keepalive"])
def test_proxy_bench_configs_are_valid_for_haproxy(repo, tmp_path, config):
    """The proxy bench's two configurations: HAProxy 2.6 accepts them as they are (so the same
    file runs under both proxies), on loopback only, with 2 threads and seed 000's work."""
    sys.path.insert(0, str(repo / "bench"))
    import bench_proxy
    text = bench_proxy.CONFIGS[config][1](18080, [18081, 18082])
    assert "nbthread 2" in text
    assert "bind 127.0.0.1:18080" in text
    assert "127.0.0.1:18081" in text and "127.0.0.1:18082" in text
    if config == "seed000":
        for work in ("cookie SERVERID insert", "option http-server-close", "option forwardfor",
                     "option httpchk HEAD /check.txt HTTP/1.0"):
            assert work in text
        assert re.search(r"timeout connect\s+5000", text)
        assert "\u00a0" not in text and "daemon" not in text
    cfg = tmp_path / f"{config}.cfg"
    cfg.write_text(text)
    done = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Configuration file is valid" in done.stdout
    # Seed 000's `option httplog` stays, with the global `log` lines gone (nothing is logged in
    # the bench, by either proxy): HAProxy says so, and nothing else.
    warnings = [l for l in (done.stdout + done.stderr).splitlines() if "WARNING" in l]
    assert all("log format ignored" in l for l in warnings), warnings


def test_lvs_bench_configs_are_valid_for_the_anchors(repo, tmp_path):
    """The LVS bench's files: HAProxy 2.6 accepts its mode tcp config, keepalived 2.2.7 its
    virtual_servers (NAT and DR), so each side runs what it is compared on."""
    sys.path.insert(0, str(repo / "bench"))
    import bench_lvs
    from bench_keepalived_check import namespace_with_eth0
    cfg = tmp_path / "tcp.cfg"
    cfg.write_text(bench_lvs.HAPROXY)
    done = subprocess.run(["haproxy", "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mode tcp" in bench_lvs.HAPROXY and "nbthread 2" in bench_lvs.HAPROXY
    for kind, vip in (("NAT", bench_lvs.VIP_NAT), ("DR", bench_lvs.VIP_DR)):
        conf = tmp_path / f"{kind}.conf"
        conf.write_text(bench_lvs.keepalived_conf(vip, kind))
        with namespace_with_eth0() as prefix:
            done = subprocess.run([*prefix, "keepalived", "-t", "-f", str(conf)],
                                  capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
