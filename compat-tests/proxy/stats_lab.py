"""The stats socket lab shared by test_stats_socket.py and test_stats_csv.py: one config with
three stats sockets (admin, user, operator) and a backend whose servers are UP by their check,
DOWN by their check, unchecked (put in MAINT through the socket) and backup; a socket client
that sends one line and reads until the proxy closes, as `socat stdio SOCKET` does."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from pathlib import Path

from proxy_support import config, get, wait_until


# The first line of HAProxy 2.6.12's CSV (127 columns), as `show stat` and the page's ;csv send it.
CSV_HEADER = (
    "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
    "wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,"
    "lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,"
    "hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,"
    "cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,"
    "ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,"
    "check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,"
    "conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,"
    "srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,"
    "used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,"
    "agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,"
    "h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,"
    "h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,"
    "h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,"
    "h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,"
    "h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,")

@dataclass
class Lab:
    proxy: object
    dir: Path
    frontend_port: int
    s1: object  # HttpServer, UP by its check
    s2_port: int  # nothing listens: DOWN by its check (L4CON)
    s3: object  # HttpServer, no check
    s4: object  # HttpServer, backup

    def sock(self, name: str) -> str:
        return str(self.dir / f"{name}.sock")

    def ask(self, name: str, line: str, timeout: float = 3.0) -> str:
        return ask(self.sock(name), line, timeout)

    def csv_rows(self, name: str = "admin", command: str = "show stat") -> list[dict]:
        text = self.ask(name, command)
        lines = text.split("\n")
        header = lines[0][2:].split(",")
        return [dict(zip(header, ln.split(","))) for ln in lines[1:] if ln]

    def row(self, svname: str, pxname: str = "be", name: str = "admin") -> dict:
        for r in self.csv_rows(name):
            if r["pxname"] == pxname and r["svname"] == svname:
                return r
        raise AssertionError(f"no row {pxname}/{svname}")


def ask(path: str, line: str, timeout: float = 3.0) -> str:
    """Sends `line` (a newline added unless it ends with one, or is empty on purpose via
    raw=...), half-closes, and returns everything until the proxy closes."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(line.encode() if line.endswith("\n") or line == "" else (line + "\n").encode())
        s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    return out.decode(errors="replace")


def start_lab(proxy, http_server, port, tmp_path) -> Lab:
    s1, s3, s4 = http_server("s1"), http_server("s3"), http_server("s4")
    s2_port = port()
    fp = port()
    d = tmp_path
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend be
        backend be
            balance roundrobin
            server s1 {s1.addr} check inter 100ms
            server s2 127.0.0.1:{s2_port} check inter 100ms rise 3 fall 2
            server s3 {s3.addr}
            server s4 {s4.addr} backup
    """, global_=f"""
        stats socket {d}/admin.sock mode 600 level admin
        stats socket {d}/user.sock level user
        stats socket {d}/op.sock
        stats timeout 5s
    """))
    lab = Lab(proxy, d, fp, s1, s2_port, s3, s4)
    assert wait_until(lambda: Path(lab.sock("op")).exists(), 3.0)
    # s2 falls at its first check; s1 stays UP.
    assert wait_until(lambda: lab.row("s2")["status"] == "DOWN", 5.0), lab.ask("admin", "show stat")
    return lab


def send_traffic(lab: Lab) -> list[int]:
    """s3 into MAINT through the admin socket, then three 200s and one 503, each on its own
    connection: all go to s1, the only active server left."""
    assert lab.ask("admin", "set server be/s3 state maint") == "\n"
    codes = [get(lab.frontend_port, "/").status for _ in range(3)]
    codes.append(get(lab.frontend_port, "/status/503").status)
    # The counters are read once the sessions have ended (the client may see its answer first).
    assert wait_until(lambda: all(r["scur"] == "0" for r in lab.csv_rows("admin")), 3.0)
    return codes


VOLATILE_INFO = {"Pid", "Uptime", "Uptime_sec", "Start_time_sec", "Release_date", "Nbthread",
                 "Ulimit-n", "Maxsock", "Maxconn", "Hard_maxconn", "CumConns", "CumReq",
                 "Tasks", "Run_queue", "Idle_pct", "node", "Jobs", "Listeners",
                 "TotalBytesOut", "BytesOutRate", "PoolAlloc_bytes", "PoolUsed_bytes",
                 "MaxConnRate", "MaxSessRate", "ConnRate", "SessRate", "CurrConns"}


def normalise_sess(text: str) -> str:
    """show sess: pointers, epochs, ages, calls and file descriptors vary."""
    text = re.sub(r"0x[0-9a-f]+:", "PTR:", text)
    text = re.sub(r"epoch=\S+", "epoch=E", text)
    text = re.sub(r"age=\S+", "age=A", text)
    text = re.sub(r"calls=\d+", "calls=C", text)
    text = re.sub(r"rate=\d+", "rate=R", text)
    text = re.sub(r"fd=-?\d+", "fd=F", text)
    text = re.sub(r"rq\[[^\]]*\]", "rq[]", text)
    text = re.sub(r"rp\[[^\]]*\]", "rp[]", text)
    text = re.sub(r"scf=\[[^\]]*\]", "scf=[]", text)
    return re.sub(r"exp=\S*", "exp=X", text)
