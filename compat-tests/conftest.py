"""Shared pytest wiring for the compat tests: where the repository, the build and the
shared seeds are, which implementation (Debian's haproxy/keepalived or Tandem) a lab
test runs, and a guard that no test leaves a lab namespace behind."""

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lab import PREFIX, list_netns  # noqa: E402

REPO = HERE.parent


def pytest_addoption(parser):
    parser.addoption("--impl", action="append", choices=["debian", "tandem"],
                     help="implementation(s) the lab tests run (default: $TANDEM_IMPL or both, debian first)")


def pytest_generate_tests(metafunc):
    if "impl" in metafunc.fixturenames:
        impls = metafunc.config.getoption("impl") or \
            os.environ.get("TANDEM_IMPL", "debian,tandem").split(",")
        metafunc.parametrize("impl", impls, scope="module")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def build_dir() -> Path:
    return Path(os.environ.get("TANDEM_BUILD", REPO / "build"))


@pytest.fixture(scope="session")
def tandem_bin(build_dir) -> Path:
    return build_dir / "bin"


@pytest.fixture(scope="session")
def shared() -> Path:
    return Path(os.environ.get("TANDEM_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def blog_configs() -> Path:
    return REPO / "examples" / "blog-configs"


def seed_dir(blog_configs: Path, number: str) -> Path:
    found = sorted(blog_configs.glob(f"{number}-*"))
    assert len(found) == 1, f"expected one folder {number}-* in {blog_configs}, found {found}"
    return found[0]


@pytest.fixture(autouse=True, scope="session")
def no_lab_left_behind():
    before = {n for n in list_netns() if n.startswith(PREFIX)}
    yield
    after = {n for n in list_netns() if n.startswith(PREFIX)}
    assert after <= before, f"lab namespaces left behind by the tests: {sorted(after - before)}"
