"""pytest wiring of the proxy behaviour suite: every test that takes the `proxy` fixture runs
once per implementation (Debian's haproxy, Tandem); Tandem cases on the pending list are
strict xfails; backends started by a test are stopped after it, also when it fails."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import proxy_support as ps  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "tandem_only: the config is one HAProxy 2.6 rejects "
                            "(a removed keyword); the test runs on Tandem only")


def _impls() -> list[str]:
    """PROXY_IMPLS=haproxy (or tandem) runs one implementation only."""
    wanted = os.environ.get("PROXY_IMPLS", ",".join(ps.IMPLS)).split(",")
    return [i for i in ps.IMPLS if i in wanted]


def pytest_generate_tests(metafunc):
    if "impl_name" not in metafunc.fixturenames:
        return
    impls = _impls()
    if metafunc.definition.get_closest_marker("tandem_only"):
        impls = [i for i in impls if i == "tandem"]
    metafunc.parametrize("impl_name", impls)


def pytest_collection_modifyitems(config, items):
    for item in items:
        spec = getattr(item, "callspec", None)
        if spec is None or spec.params.get("impl_name") != "tandem":
            continue
        if not str(item.path).startswith(str(HERE)):
            continue
        base = f"{item.path.name}::{item.originalname}"
        ids = [base]
        parts = item.name[len(item.originalname) + 1:-1].split("-")
        parts.remove("tandem")
        if parts:
            ids.insert(0, f"{base}[{'-'.join(parts)}]")
        reason = next((r for r in map(ps.pending_reason, ids) if r), None)
        if reason:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.fixture
def impl_name(request) -> str:
    return request.param


@pytest.fixture
def proxy(impl_name, tmp_path, tandem_bin):
    binary = ps.HAPROXY if impl_name == "haproxy" else tandem_bin / "haproxy"
    p = ps.Proxy(impl_name, binary, tmp_path)
    yield p
    p.stop()


@pytest.fixture
def servers():
    """Every backend a test starts, stopped at its end."""
    started: list[ps._Server] = []
    yield started
    for s in started:
        s.close()


@pytest.fixture
def http_server(servers):
    def make(name: str, **options) -> ps.HttpServer:
        s = ps.HttpServer(name, **options).start()
        servers.append(s)
        return s
    return make


@pytest.fixture
def tcp_echo(servers):
    def make(name: str, **options) -> ps.TcpEcho:
        s = ps.TcpEcho(name, **options).start()
        servers.append(s)
        return s
    return make


@pytest.fixture
def smtp_server(servers):
    def make(name: str, **options) -> ps.SmtpServer:
        s = ps.SmtpServer(name, **options).start()
        servers.append(s)
        return s
    return make


@pytest.fixture
def port():
    """A factory of free loopback ports for the proxy's `bind` lines."""
    return ps.free_port
