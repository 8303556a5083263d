"""The stats socket (`stats socket PATH [mode] [level]`, `stats timeout`) as HAProxy 2.6 answers
on it, command by command, byte for byte (pids, uptimes, pointers and timestamps aside): help,
unknown commands, show info, show servers state, get/set weight, set server, enable/disable
server, show sess, show cli level, the framing of several commands and of interactive mode, and
the levels: admin commands on a user or operator socket get "Permission denied"."""

from __future__ import annotations

import os
import re
import socket
import stat
from pathlib import Path

import pytest

from proxy_support import ProxyFailed, config, wait_until
from stats_lab import VOLATILE_INFO, normalise_sess, start_lab

HELP = (Path(__file__).parent / "data" / "stats_socket_help.txt").read_text()
DENIED = "Permission denied\n\n"


def test_help_lists_haproxys_commands(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    # The same list at every level (2.6 lists all but expert and master commands).
    for level in ("admin", "op", "user"):
        assert lab.ask(level, "help") == HELP
    assert lab.ask("user", "help show cli") == (
        "The following commands are valid at this level:\n"
        "  show cli level                          : display the level of the current CLI "
        "session\n"
        "  show cli sockets                        : dump list of cli sockets\n"
        "  help [<command>]                        : list matching or all commands\n"
        "  prompt                                  : toggle interactive mode with prompt\n"
        "  quit                                    : disconnect\n\n")


def test_unknown_commands(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    assert lab.ask("admin", "foo") == (
        "Unknown command, but maybe one of the following ones is a better match:\n"
        "  add acl [@<ver>] <acl> <pattern>        : add an acl entry\n"
        "  show fd [num]                           : dump list of file descriptors in use or a "
        "specific one\n"
        "  show info [desc|json|typed|float]*      : report information about the running "
        "process\n"
        "  trace [<module>|0] [cmd [args...]]      : manage live tracing (empty to list, 0 to "
        "stop all)\n"
        "  user                                    : lower the level of the current CLI session "
        "to user\n"
        "  help [<command>]                        : list matching or all commands\n"
        "  prompt                                  : toggle interactive mode with prompt\n"
        "  quit                                    : disconnect\n\n")
    # An empty line: the whole list.
    assert lab.ask("admin", "\n") == (
        "Unknown command. Please enter one of the following commands only:\n" +
        HELP.split("\n", 1)[1])


def test_show_info(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    text = lab.ask("user", "show info")
    assert text.endswith("\n\n")
    fields = [ln.split(": ", 1) for ln in text.strip("\n").split("\n")]
    names = [f[0] for f in fields]
    assert names == [
        "Name", "Version", "Release_date", "Nbthread", "Nbproc", "Process_num", "Pid", "Uptime",
        "Uptime_sec", "Memmax_MB", "PoolAlloc_MB", "PoolUsed_MB", "PoolFailed", "Ulimit-n",
        "Maxsock", "Maxconn", "Hard_maxconn", "CurrConns", "CumConns", "CumReq", "MaxSslConns",
        "CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed", "PipesFree", "ConnRate",
        "ConnRateLimit", "MaxConnRate", "SessRate", "SessRateLimit", "MaxSessRate", "SslRate",
        "SslRateLimit", "MaxSslRate", "SslFrontendKeyRate", "SslFrontendMaxKeyRate",
        "SslFrontendSessionReuse_pct", "SslBackendKeyRate", "SslBackendMaxKeyRate",
        "SslCacheLookups", "SslCacheMisses", "CompressBpsIn", "CompressBpsOut",
        "CompressBpsRateLim", "Tasks", "Run_queue", "Idle_pct", "node", "Stopping", "Jobs",
        "Unstoppable Jobs", "Listeners", "ActivePeers", "ConnectedPeers", "DroppedLogs",
        "BusyPolling", "FailedResolutions", "TotalBytesOut", "TotalSplicdedBytesOut",
        "BytesOutRate", "DebugCommandsIssued", "CumRecvLogs", "Build info", "Memmax_bytes",
        "PoolAlloc_bytes", "PoolUsed_bytes", "Start_time_sec", "Tainted"]
    values = dict(fields)
    assert values["Name"] == "HAProxy"
    assert values["Version"] == values["Build info"] == "2.6.12-1+deb12u4"
    assert values["Pid"] == str(proxy.process_.pid)
    assert re.fullmatch(r"0d 0h00m\d\ds", values["Uptime"])
    # One bind line and three stats sockets; the session asking is a job too.
    assert (values["Listeners"], values["Jobs"], values["CurrConns"]) == ("4", "5", "0")
    steady = {k: v for k, v in values.items() if k not in VOLATILE_INFO}
    assert steady == {
        "Name": "HAProxy", "Version": "2.6.12-1+deb12u4", "Nbproc": "1", "Process_num": "1",
        "Memmax_MB": "0", "PoolAlloc_MB": "0", "PoolUsed_MB": "0", "PoolFailed": "0",
        "MaxSslConns": "0", "CurrSslConns": "0", "CumSslConns": "0", "Maxpipes": "0",
        "PipesUsed": "0", "PipesFree": "0", "ConnRateLimit": "0", "SessRateLimit": "0",
        "SslRate": "0", "SslRateLimit": "0", "MaxSslRate": "0", "SslFrontendKeyRate": "0",
        "SslFrontendMaxKeyRate": "0", "SslFrontendSessionReuse_pct": "0",
        "SslBackendKeyRate": "0", "SslBackendMaxKeyRate": "0", "SslCacheLookups": "0",
        "SslCacheMisses": "0", "CompressBpsIn": "0", "CompressBpsOut": "0",
        "CompressBpsRateLim": "0", "Stopping": "0", "Unstoppable Jobs": "0",
        "ActivePeers": "0", "ConnectedPeers": "0", "DroppedLogs": "0", "BusyPolling": "0",
        "FailedResolutions": "0", "TotalSplicdedBytesOut": "0", "DebugCommandsIssued": "0",
        "CumRecvLogs": "0", "Build info": "2.6.12-1+deb12u4", "Memmax_bytes": "0",
        "Tainted": "0"}
    typed = lab.ask("user", "show info typed").split("\n")
    assert typed[0] == "0.Name.1:POS:str:HAProxy"
    assert f"6.Pid.1:SGP:u32:{proxy.process_.pid}" in typed
    assert any(re.fullmatch(r"15\.Maxconn\.1:CLP:u32:\d+", ln) for ln in typed)


def test_show_servers_state(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    assert lab.ask("admin", "set server be/s3 state maint") == "\n"
    assert lab.ask("admin", "set server be/s4 state drain") == "\n"
    text = lab.ask("user", "show servers state")
    lines = text.split("\n")
    assert lines[:2] == [
        "1",
        "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
        "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
        "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
        "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
        "srv_agent_port"]
    assert text.endswith("\n\n")
    rows = [ln.split(" ") for ln in lines[2:] if ln]
    for r in rows:
        r[9] = "T"  # seconds since the last change
    port_of = lambda s: s.addr.rsplit(":", 1)[1]  # noqa: E731
    assert rows == [
        f"3 be 1 s1 127.0.0.1 2 0 1 1 T 6 3 4 6 0 0 0 - {port_of(lab.s1)} - 0 0 - - 0".split(),
        f"3 be 2 s2 127.0.0.1 0 0 1 1 T 8 2 0 6 0 0 0 - {lab.s2_port} - 0 0 - - 0".split(),
        f"3 be 3 s3 127.0.0.1 0 1 1 1 T 1 0 0 0 0 0 0 - {port_of(lab.s3)} - 0 0 - - 0".split(),
        f"3 be 4 s4 127.0.0.1 2 8 1 1 T 1 0 2 0 0 0 0 - {port_of(lab.s4)} - 0 0 - - 0".split(),
    ]
    assert lab.ask("user", "show servers state be").split("\n")[2:] == text.split("\n")[2:]
    assert lab.ask("user", "show servers state nosuch") == "Can't find backend.\n\n"


REPLIES = [
    ("user", "show cli level", "user\n\n"),
    ("op", "show cli level", "operator\n\n"),
    ("admin", "show cli level", "admin\n\n"),
    ("user", "get weight be/s1", "1 (initial 1)\n\n"),
    ("user", "get weight be/nosuch", "No such server.\n\n"),
    ("user", "get weight nosuch/s1", "No such backend.\n\n"),
    ("user", "get weight fe/s1", "No such backend.\n\n"),
    ("user", "get weight be", "Require 'backend/server'.\n\n"),
    ("user", "get weight be/", "Require 'backend/server'.\n\n"),
    ("admin", "set weight be/s1 300", "Absolute weight can only be between 0 and 256 "
                                      "inclusive.\n\n"),
    ("admin", "set weight be/s1 -1", "Absolute weight can only be between 0 and 256 "
                                     "inclusive.\n\n"),
    ("admin", "set weight be/s1 abc", "Empty weight string empty or preceded by garbage\n"),
    ("admin", "set weight be/s1 12x", "Trailing garbage in weight string\n"),
    ("admin", "set weight be/s1 -5%", "Relative weight must be positive.\n\n"),
    ("admin", "set weight be/s1", "Require <weight> or <weight%>.\n\n"),
    ("admin", "set weight be", "Require 'backend/server'.\n\n"),
    ("admin", "set server be/s1", "usage: set server <backend>/<server> addr | agent | "
                                  "agent-addr | agent-port | agent-send | check-addr | "
                                  "check-port | fqdn | health | ssl | state | weight\n\n"),
    ("admin", "set server be/s1 state bogus", "'set server <srv> state' expects 'ready', "
                                              "'drain' and 'maint'.\n\n"),
    ("admin", "set server be/s1 state", "'set server <srv> state' expects 'ready', 'drain' "
                                        "and 'maint'.\n\n"),
    ("admin", "set server be/s1 weight", "Require <weight> or <weight%>.\n\n"),
    ("admin", "set server be/s9 state maint", "No such server.\n\n"),
    ("admin", "disable server", "Require 'backend/server'.\n\n"),
    ("admin", "disable server be", "Require 'backend/server'.\n\n"),
    ("admin", "enable server nope/s1", "No such backend.\n\n"),
    ("admin", "show servers state nosuch", "Can't find backend.\n\n"),
    ("admin", "set timeout cli", "Expects an integer value.\n\n"),
    ("admin", "set timeout cli 10", "\n"),
    ("admin", "set timeout foo 10", "'set timeout' only supports 'cli'.\n\n"),
    ("admin", "show backend", "# name\nbe\n\n"),
    ("admin", "show version", "2.6.12-1+deb12u4\n\n"),
    ("admin", "user;show cli level", "\nuser\n\n"),
    ("admin", "operator;show cli level", "\noperator\n\n"),
    ("user", "operator", DENIED),
    # Admin commands on user and operator sockets.
    ("user", "set server be/s1 state maint", DENIED),
    ("user", "set server be/s9 state maint", DENIED),
    ("user", "disable server be/s1", DENIED),
    ("user", "enable server be/s1", DENIED),
    ("user", "set weight be/s1 2", DENIED),
    ("user", "set server be/s1 weight 2", DENIED),
    ("user", "show sess", DENIED),
    ("op", "set server be/s1 state drain", DENIED),
    ("op", "disable server be/s1", DENIED),
    ("op", "set weight be/s1 2", DENIED),
]


@pytest.mark.parametrize("level,command,reply", REPLIES,
                         ids=[f"{lvl}:{cmd}" for lvl, cmd, _ in REPLIES])
def test_reply(proxy, http_server, port, tmp_path, level, command, reply):
    lab = start_lab(proxy, http_server, port, tmp_path)
    assert lab.ask(level, command) == reply
    # Refused commands changed nothing.
    assert lab.row("s1")["status"] == "UP" and lab.row("s1")["weight"] == "1"


def test_framing(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    # Commands on a line separated by ';', several lines: each reply ends with an empty line.
    assert lab.ask("admin", "show cli level;get weight be/s1\n") == "admin\n\n1 (initial 1)\n\n"
    assert lab.ask("admin", "show cli level\nshow cli level\n") == "admin\n\nadmin\n\n"
    assert lab.ask("admin", "show cli level\r\n") == "admin\n\n"
    # No newline, then the end of the client's side: the line still runs.
    assert lab.ask("admin", "show cli level") == "admin\n\n"
    assert lab.ask("admin", "quit\n") == ""
    # Interactive mode: a prompt after each reply, until quit.
    assert lab.ask("admin", "prompt\nshow cli level\nget weight be/s1;show cli level\nquit\n") == (
        "\n> admin\n\n> 1 (initial 1)\n\n> admin\n\n> ")
    assert lab.ask("admin", "prompt\nprompt\nshow cli level\n") == "\n> \nadmin\n\n"


def test_interactive_session_stays_open(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(3)
        s.connect(lab.sock("admin"))
        s.sendall(b"prompt\n")
        assert s.recv(100) == b"\n> "
        s.sendall(b"show cli level\n")
        got = b""
        while not got.endswith(b"> "):
            got += s.recv(100)
        assert got == b"admin\n\n> "
        s.sendall(b"quit\n")
        assert s.recv(100) == b""


def test_non_interactive_session_ends_after_its_answer(proxy, http_server, port, tmp_path):
    """A client that sends one line and keeps its side open still gets the end of the
    connection once answered (the 002 seed's `show info` client reads until it)."""
    lab = start_lab(proxy, http_server, port, tmp_path)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(3)
        s.connect(lab.sock("user"))
        s.sendall(b"show cli level\n")
        got = b""
        while True:
            chunk = s.recv(100)
            if not chunk:
                break
            got += chunk
        assert got == b"user\n\n"


def test_show_sess_lists_the_cli_session(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    got = normalise_sess(lab.ask("op", "show sess"))
    assert got == ("PTR: proto=unix_stream src=unix:3 fe=GLOBAL be=<NONE> srv=<none> ts=00 "
                   "epoch=E age=A calls=C rate=R cpu=0 lat=0 rq[] rp[] scf=[] scb=[8,1h,fd=F] exp=X rc=0 "
                   "c_exp=X\n\n")


def test_maint_drain_ready_as_haproxy_logs_them(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    steps = [
        ("set server be/s3 state maint", "MAINT",
         "Server be/s3 is going DOWN for maintenance. 1 active and 1 backup servers left. 0 "
         "sessions active, 0 requeued, 0 remaining in queue."),
        ("set server be/s3 state drain", "DRAIN",
         "Server be/s3 is UP/DRAIN (leaving forced maintenance)."),
        ("set server be/s3 state ready", "no check", "Server be/s3 is UP (leaving forced drain)."),
        ("set server be/s3 state drain", "DRAIN",
         "Server be/s3 enters drain state. 1 active and 1 backup servers online. 0 sessions "
         "requeued, 0 total in queue."),
        ("disable server be/s3", "MAINT", None),
        ("enable server be/s3", "no check", "Server be/s3 is UP/READY (leaving forced "
                                            "maintenance)."),
        ("set server be/s2 state maint", "MAINT", "Server be/s2 was DOWN and now enters "
                                                  "maintenance."),
        ("set server be/s4 state drain", "DRAIN",
         "Backup Server be/s4 enters drain state. 2 active and 0 backup servers online. 0 "
         "sessions requeued, 0 total in queue."),
    ]
    for command, status, line in steps:
        before = proxy.stderr
        assert lab.ask("admin", command) == "\n"
        name = command.split()[2].split("/")[1]
        assert lab.row(name)["status"] == status, command
        if line:
            assert wait_until(lambda: line in proxy.stderr[len(before):], 2.0), (
                line, proxy.stderr)
    # The drained server, then its weight as the stats show them.
    assert lab.row("s3")["weight"] == "1"
    assert lab.ask("admin", "set weight be/s1 50%") == "\n"
    assert lab.ask("user", "get weight be/s1") == "0 (initial 1)\n\n"
    assert lab.ask("admin", "set server be/s1 weight 3") == "\n"
    assert lab.ask("user", "get weight be/s1") == "3 (initial 1)\n\n"
    # s1 (3) and s3 (1) take traffic; s2 is in MAINT, s4 a drained backup.
    assert lab.row("s1")["weight"] == "3" and lab.row("BACKEND")["weight"] == "4"


def test_last_server_leaving_alerts(proxy, tcp_echo, port, tmp_path):
    echo = tcp_echo("t1")
    lp = port()
    proxy.start(config(f"""
        listen tcpl
            bind 127.0.0.1:{lp}
            server t1 {echo.addr}
    """, mode="tcp", global_=f"stats socket {tmp_path}/a.sock level admin"))
    assert wait_until(lambda: (tmp_path / "a.sock").exists(), 3.0)
    from stats_lab import ask
    assert ask(str(tmp_path / "a.sock"), "set server tcpl/t1 state maint") == "\n"
    proxy.wait_stderr(r"^\[WARNING\] +\(\d+\) : Server tcpl/t1 is going DOWN for maintenance\. "
                      r"0 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 "
                      r"remaining in queue\.$")
    proxy.wait_stderr(r"^\[ALERT\] +\(\d+\) : proxy 'tcpl' has no server available!$")


def test_socket_mode_and_default_level(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    assert stat.S_IMODE(os.stat(lab.sock("admin")).st_mode) == 0o600
    assert stat.S_ISSOCK(os.stat(lab.sock("op")).st_mode)
    assert lab.ask("op", "show cli level") == "operator\n\n"


def start_and_fail(proxy, cfg: str) -> None:
    """Starts a config the proxy must refuse; returns once the process has exited (it may
    listen on its port for a moment before it gives up)."""
    try:
        proxy.start(cfg, wait=3.0)
    except ProxyFailed:
        return
    assert wait_until(lambda: not proxy.running, 3.0), proxy.stderr


def test_socket_path_that_cannot_be_created(proxy, http_server, port, tmp_path):
    s1 = http_server("s1")
    fp = port()
    start_and_fail(proxy, config(f"""
            frontend fe
                bind 127.0.0.1:{fp}
                default_backend be
            backend be
                server s1 {s1.addr}
        """, global_=f"stats socket {tmp_path}/missing/dir/stats level admin"))
    assert re.search(r"^\[ALERT\] +\(\d+\) : Binding \[\S*haproxy\.cfg:2\] for frontend GLOBAL: "
                     rf"cannot bind UNIX socket \(No such file or directory\) "
                     rf"\[{re.escape(str(tmp_path))}/missing/dir/stats\]$", proxy.stderr, re.M), \
        proxy.stderr
    assert re.search(r"Some protocols failed to start their listeners! Exiting\.$",
                     proxy.stderr, re.M), proxy.stderr


def test_bad_level_is_a_configuration_error(proxy, http_server, port, tmp_path):
    s1 = http_server("s1")
    fp = port()
    start_and_fail(proxy, config(f"""
            frontend fe
                bind 127.0.0.1:{fp}
                default_backend be
            backend be
                server s1 {s1.addr}
        """, global_=f"stats socket {tmp_path}/s level bogus"))
    assert re.search(r"^\[ALERT\] +\(\d+\) : config : parsing \[\S*haproxy\.cfg:2\] : 'stats "
                     r"socket' : ''level' only supports 'user', 'operator', and 'admin' \(got "
                     r"'bogus'\)'$", proxy.stderr, re.M), proxy.stderr


def test_stats_timeout_closes_idle_sessions(proxy, http_server, port, tmp_path):
    """`stats timeout 1s`: an interactive session idle for a second is closed; `set timeout
    cli` changes it for the session."""
    import time
    s1 = http_server("s1")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=f"stats socket {tmp_path}/a.sock level admin\nstats timeout 1s"))
    assert wait_until(lambda: (tmp_path / "a.sock").exists(), 3.0)
    # (HAProxy 2.6 leaves a session whose only command was "prompt" open past the timeout; a
    # command with a reply after it arms it again.)
    for extra, least, most in ((b"", 0.8, 2.0), (b"set timeout cli 3\n", 2.8, 4.5)):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(6)
            s.connect(str(tmp_path / "a.sock"))
            s.sendall(b"prompt\n" + extra + b"show cli level\n")
            got = b""
            start = time.monotonic()
            try:
                while True:
                    chunk = s.recv(100)
                    if not chunk:
                        break
                    got += chunk
            except TimeoutError:
                if proxy.impl_ == "haproxy":
                    # Measured: about one run in three, 2.6.12 leaves the interactive session
                    # open well past `stats timeout`; Tandem's side is held to the rule.
                    pytest.skip("HAProxy 2.6 left the idle CLI session open past its timeout "
                                "this time")
                raise
            waited = time.monotonic() - start
        assert got.startswith(b"\n> "), got
        assert least <= waited <= most, (extra, waited)


def test_socket_owner_and_mode(proxy, http_server, port, tmp_path):
    """`user`, `group`, `uid`, `gid` and `mode` set the socket file's owner and permissions."""
    import grp
    import pwd
    s1 = http_server("s1")
    fp = port()
    user = pwd.getpwnam("haproxy")
    group = grp.getgrnam("haproxy")
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend be
        backend be
            server s1 {s1.addr}
    """, global_=f"stats socket {tmp_path}/a.sock mode 660 user haproxy group haproxy\n"
                 f"stats socket {tmp_path}/b.sock uid 1234 gid 4321 mode 0600"))
    assert wait_until(lambda: (tmp_path / "b.sock").exists(), 3.0)
    a, b = os.stat(tmp_path / "a.sock"), os.stat(tmp_path / "b.sock")
    assert (a.st_uid, a.st_gid, stat.S_IMODE(a.st_mode)) == (user.pw_uid, group.gr_gid, 0o660)
    assert (b.st_uid, b.st_gid, stat.S_IMODE(b.st_mode)) == (1234, 4321, 0o600)
