"""The stats socket's stick-table commands (show table, set table, clear table) answer as
HAProxy 2.6's, with its access levels."""

from __future__ import annotations

import re

from proxy_support import config, get, wait_until
from stats_lab import ask


def start(proxy, http_server, port, tmp_path) -> tuple[int, str, str]:
    web = http_server("web")
    fp = port()
    admin, user = str(tmp_path / "admin.sock"), str(tmp_path / "user.sock")
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            stick-table type ip size 100 expire 30s store http_req_cnt,gpc0
            http-request track-sc0 src
            default_backend be
        backend be
            server s {web.addr}
    """, global_=f"stats socket {admin} level admin\nstats socket {user} level user"))
    assert wait_until(lambda: (tmp_path / "user.sock").exists(), 3.0)
    return fp, admin, user


def normalise(text: str) -> str:
    # Entry addresses and the expiry countdown differ between runs.
    text = re.sub(r"^0x[0-9a-f]+:", "PTR:", text, flags=re.M)
    return re.sub(r"exp=\d+", "exp=N", text)


def test_show_table_after_requests(proxy, http_server, port, tmp_path):
    fp, admin, _ = start(proxy, http_server, port, tmp_path)
    for _ in range(3):
        assert get(fp, source="127.0.0.2").status == 200
    assert ask(admin, "show table") == "# table: fe, type: ip, size:100, used:1\n\n"
    assert normalise(ask(admin, "show table fe")) == (
        "# table: fe, type: ip, size:100, used:1\n"
        "PTR: key=127.0.0.2 use=0 exp=N gpc0=0 http_req_cnt=3\n\n")


def test_set_and_clear_table_need_admin(proxy, http_server, port, tmp_path):
    fp, admin, user = start(proxy, http_server, port, tmp_path)
    assert ask(user, "set table fe key 127.0.0.9 data.gpc0 5") == "Permission denied\n\n"
    assert ask(admin, "set table fe key 127.0.0.9 data.gpc0 5") == "\n"
    assert "key=127.0.0.9 use=0 exp=N gpc0=5 http_req_cnt=0" in normalise(
        ask(admin, "show table fe key 127.0.0.9"))
    assert ask(admin, "clear table fe key 127.0.0.9") == "\n"
    assert ask(admin, "show table fe") == "# table: fe, type: ip, size:100, used:0\n\n"
