"""`show stat` on the stats socket as HAProxy 2.6 prints it after the same traffic: the CSV
header byte for byte, then per row the columns scrapers read (names, states, weights, counts,
ids, mode, algo, address, check status), a server DOWN by its check and one in MAINT through
the socket; `typed` and `json` carry the same fields."""

from __future__ import annotations

import json
import re

from proxy_support import Client, config, get
from stats_lab import CSV_HEADER, ask, send_traffic, start_lab

HEADER = CSV_HEADER

COLUMNS = ("pxname", "svname", "status", "weight", "act", "bck", "stot", "hrsp_2xx", "hrsp_5xx",
           "type", "iid", "sid", "mode", "algo", "addr", "check_status", "check_desc", "last_chk",
           "chkdown", "uweight")


def expected_rows(lab) -> list[tuple]:
    s1, s3, s4 = lab.s1.addr, lab.s3.addr, lab.s4.addr
    s2 = f"127.0.0.1:{lab.s2_port}"
    # pxname svname status weight act bck stot 2xx 5xx type iid sid mode algo addr check_status
    # check_desc last_chk chkdown uweight. iids from 2: the stats socket's frontend takes 1.
    return [
        ("fe", "FRONTEND", "OPEN", "", "", "", "4", "3", "1", "0", "2", "0", "http", "", "", "",
         "", "", "", ""),
        ("be", "s1", "UP", "1", "1", "0", "4", "3", "1", "2", "3", "1", "http", "", s1, "L4OK",
         "Layer4 check passed", "", "0", "1"),
        ("be", "s2", "DOWN", "1", "1", "0", "0", "0", "0", "2", "3", "2", "http", "", s2, "L4CON",
         "Layer4 connection problem", "Connection refused", "1", "1"),
        ("be", "s3", "MAINT", "1", "1", "0", "0", "0", "0", "2", "3", "3", "http", "", s3, "",
         "", "", "", "1"),
        ("be", "s4", "no check", "1", "0", "1", "0", "0", "0", "2", "3", "4", "http", "", s4, "",
         "", "", "", "1"),
        ("be", "BACKEND", "UP", "1", "1", "1", "4", "3", "1", "1", "3", "0", "http", "roundrobin",
         "", "", "", "", "0", "1"),
    ]


def test_csv_header_is_haproxys(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    text = lab.ask("admin", "show stat")
    assert text.split("\n")[0] == HEADER
    # Every row has as many cells as the header, and the reply ends with the CLI's blank line.
    assert text.endswith(",\n\n")
    for line in text.split("\n")[1:]:
        if line:
            assert line.count(",") == HEADER.count(","), line


def test_rows_after_traffic(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    assert send_traffic(lab) == [200, 200, 200, 503]
    rows = lab.csv_rows("admin")
    got = [tuple(r[c] for c in COLUMNS) for r in rows]
    assert got == expected_rows(lab)
    fe = rows[0]
    # What the clients got, counted alike by the frontend, the backend and the server.
    assert fe["bout"] == rows[-1]["bout"] == rows[1]["bout"] != "0"


def test_request_bytes(proxy, http_server, port, tmp_path):
    """bin for the same four requests (HAProxy counts 174: its internal form of the requests,
    not the 130 bytes on the wire)."""
    lab = start_lab(proxy, http_server, port, tmp_path)
    send_traffic(lab)
    rows = {r["svname"]: r for r in lab.csv_rows("admin")}
    assert [rows[n]["bin"] for n in ("FRONTEND", "s1", "BACKEND")] == ["174", "174", "174"]


def test_requests_per_server_and_backend(proxy, http_server, port, tmp_path):
    """req_tot on the frontend, the server that took the requests and its backend."""
    lab = start_lab(proxy, http_server, port, tmp_path)
    send_traffic(lab)
    rows = {r["svname"]: r for r in lab.csv_rows("admin")}
    assert [rows[n]["req_tot"] for n in ("FRONTEND", "s1", "BACKEND")] == ["4", "4", "4"]


def test_user_level_hides_addresses_cookies_and_algo(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    for r in lab.csv_rows("user"):
        assert r["addr"] == "" and r["cookie"] == "" and r["algo"] == "", r
    op = {r["svname"]: r for r in lab.csv_rows("op")}
    assert op["s1"]["addr"] == lab.s1.addr and op["BACKEND"]["algo"] == "roundrobin"


def test_show_stat_filters(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    names = lambda cmd: [(r["pxname"], r["svname"]) for r in lab.csv_rows("admin", cmd)]  # noqa
    assert names("show stat 3 4 -1") == [("be", "s1"), ("be", "s2"), ("be", "s3"), ("be", "s4")]
    assert names("show stat -1 2 -1") == [("be", "BACKEND")]
    assert names("show stat 3 -1 2") == [("be", "s2"), ("be", "BACKEND")]
    assert names("show stat be 1 -1") == []
    assert names("show stat fe 1 -1") == [("fe", "FRONTEND")]
    assert lab.ask("admin", "show stat nosuch 1 1") == "No such proxy.\n\n"


def test_typed_and_json_carry_the_same_fields(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    send_traffic(lab)
    typed = lab.ask("admin", "show stat typed").split("\n")
    s1 = [ln for ln in typed if ln.startswith("S.3.1.")]
    want = [
        "S.3.1.0.pxname.1:KNS:str:be",
        "S.3.1.1.svname.1:KNS:str:s1",
        "S.3.1.7.stot.1:MCP:u64:4",
        "S.3.1.17.status.1:SGP:str:UP",
        "S.3.1.18.weight.1:MaP:u32:1",
        "S.3.1.19.act.1:SGP:u32:1",
        "S.3.1.20.bck.1:SGP:u32:0",
        "S.3.1.26.pid.1:KGP:u32:1",
        "S.3.1.27.iid.1:KGS:u32:3",
        "S.3.1.28.sid.1:KGS:u32:1",
        "S.3.1.32.type.1:CGS:u32:2",
        "S.3.1.36.check_status.1:MOP:str:L4OK",
        "S.3.1.40.hrsp_2xx.1:MCP:u64:3",
        "S.3.1.43.hrsp_5xx.1:MCP:u64:1",
        "S.3.1.56.last_chk.1:MOP:str:",
        "S.3.1.65.check_desc.1:MOP:str:Layer4 check passed",
        "S.3.1.67.check_rise.1:CGS:u32:2",
        "S.3.1.68.check_fall.1:CGS:u32:3",
        "S.3.1.69.check_health.1:CGS:u32:4",
        f"S.3.1.73.addr.1:CGS:str:{lab.s1.addr}",
        "S.3.1.75.mode.1:CGS:str:http",
        "S.3.1.99.uweight.1:MaP:u32:1",
    ]
    for line in want:
        assert line in s1, (line, s1)
    # Which fields a server row fills, by position.
    positions = [int(ln.split(".")[3]) for ln in s1]
    assert positions == [0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                         23, 24, 26, 27, 28, 30, 32, 33, 35, 36, 38, 39, 40, 41, 42, 43, 44, 48,
                         49, 50, 55, 56, 58, 59, 60, 61, 65, 67, 68, 69, 73, 75, 83, 84, 85, 88,
                         90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 103, 104, 105]
    doc = json.loads(lab.ask("admin", "show stat json"))
    assert [obj[0]["objType"] for obj in doc] == ["Frontend", "Server", "Server", "Server",
                                                  "Server", "Backend"]
    server1 = doc[1]
    by_name = {f["field"]["name"]: f for f in server1}
    assert by_name["status"]["value"] == {"type": "str", "value": "UP"}
    assert by_name["status"]["tags"] == {"origin": "Status", "nature": "Gauge",
                                         "scope": "Process"}
    assert by_name["stot"]["value"] == {"type": "u64", "value": 4}
    assert [f["field"]["pos"] for f in server1] == positions
    assert re.fullmatch(r"\[\[.*\]\]\n\n", lab.ask("admin", "show stat json"), re.S)


def test_listen_section_rows(proxy, tcp_echo, http_server, port, tmp_path):
    """A listen section is one proxy: FRONTEND, its servers, BACKEND under one iid; in mode tcp
    the HTTP cells are empty (req_tot stays on the frontend)."""
    echo, web = tcp_echo("t1"), http_server("w1")
    lp, fp = port(), port()
    proxy.start(config(f"""
        frontend web
            mode http
            bind 127.0.0.1:{fp}
            default_backend app
        backend app
            mode http
            server w1 {web.addr}
        listen tcpl
            bind 127.0.0.1:{lp}
            balance leastconn
            server t1 {echo.addr}
    """, mode="tcp", global_=f"stats socket {tmp_path}/s.sock level operator"))
    with Client(lp) as c:
        c.send(b"ping\n")
    assert get(fp, "/").status == 200
    text = ask(str(tmp_path / "s.sock"), "show stat")
    lines = text.split("\n")
    assert lines[0] == HEADER
    rows = [dict(zip(HEADER[2:].split(","), ln.split(","))) for ln in lines[1:] if ln]
    cols = ("pxname", "svname", "iid", "sid", "type", "mode", "algo", "status", "hrsp_2xx",
            "addr")
    assert [tuple(r[c] for c in cols) for r in rows] == [
        ("web", "FRONTEND", "2", "0", "0", "http", "", "OPEN", "1", ""),
        ("app", "w1", "3", "1", "2", "http", "", "no check", "1", web.addr),
        ("app", "BACKEND", "3", "0", "1", "http", "roundrobin", "UP", "1", ""),
        ("tcpl", "FRONTEND", "4", "0", "0", "tcp", "", "OPEN", "", ""),
        ("tcpl", "t1", "4", "1", "2", "tcp", "", "no check", "", echo.addr),
        ("tcpl", "BACKEND", "4", "0", "1", "tcp", "leastconn", "UP", "", ""),
    ]
    # req_tot: filled on every frontend and on HTTP backends and servers only (its value on a
    # server and a backend is compared in test_request_bytes_and_server_requests).
    assert [r["req_tot"] != "" for r in rows] == [True, True, True, True, False, False]
    assert rows[3]["req_tot"] == "0" and rows[0]["req_tot"] == "1"


# Which fields each row fills, with their tags and types, as `show stat typed` printed them on
# HAProxy 2.6 for the lab after its traffic ("position:tags:type").
TYPED_SIGNATURES = {
    "F.2.0.": (
        "0:KNS:str 1:KNS:str 4:MGP:u32 5:MMP:u32 6:CLP:u32 7:MCP:u64 8:MCP:u64 9:MCP:u64 "
        "10:MCP:u64 11:MCP:u64 12:MCP:u64 17:SGP:str 26:KGP:u32 27:KGS:u32 28:KGS:u32 "
        "32:CGS:u32 33:MRP:u32 34:CLP:u32 35:MMP:u32 39:MCP:u64 40:MCP:u64 41:MCP:u64 "
        "42:MCP:u64 43:MCP:u64 44:MCP:u64 46:MRP:u32 47:MMP:u32 48:MCP:u64 51:MCP:u64 "
        "52:MCP:u64 53:MCP:u64 54:MCP:u64 75:CGS:str 77:MRP:u32 78:MMP:u32 79:MCP:u64 "
        "80:MCP:u64 81:MCP:u64 82:MCP:u64 83:MCP:u64 86:MCP:u64 87:MCP:u64 94:MCP:u64 "
        "103:MCP:u64 104:MCP:u64 105:MCP:u64 106:MCP:u64 107:MCP:u64 108:MCP:u64 "
        "109:MCP:u64 110:MCP:u64 111:MCP:u64 112:MCP:u64 113:MCP:u64 114:MCP:u64 "
        "115:MGP:u64 116:MGP:u64 117:MCP:u64 118:MCP:u64 119:MGP:u64 120:MGP:u64 "
        "121:MCP:u64 122:MCP:u64 123:MCP:u64 124:MCP:u64 125:MCP:u64 126:MCP:u64"
    ),
    "S.3.1.": (
        "0:KNS:str 1:KNS:str 2:MGP:u32 3:MMP:u32 4:MGP:u32 5:MMP:u32 7:MCP:u64 8:MCP:u64 "
        "9:MCP:u64 11:MCP:u64 13:MCP:u64 14:MCP:u64 15:MCP:u64 16:MCP:u64 17:SGP:str "
        "18:MaP:u32 19:SGP:u32 20:SGP:u32 21:MCP:u64 22:MCP:u64 23:MAP:u32 24:MCP:u32 "
        "26:KGP:u32 27:KGS:u32 28:KGS:u32 30:MCP:u64 32:CGS:u32 33:MRP:u32 35:MMP:u32 "
        "36:MOP:str 38:MDP:u64 39:MCP:u64 40:MCP:u64 41:MCP:u64 42:MCP:u64 43:MCP:u64 "
        "44:MCP:u64 48:MCP:u64 49:MCP:u64 50:MCP:u64 55:MAP:s32 56:MOP:str 58:MaP:u32 "
        "59:MaP:u32 60:MaP:u32 61:MaP:u32 65:MOP:str 67:CGS:u32 68:CGS:u32 69:CGS:u32 "
        "73:CGS:str 75:CGS:str 83:MCP:u64 84:MCP:u64 85:MCP:u64 88:MGP:u32 90:MMP:u32 "
        "91:MMP:u32 92:MMP:u32 93:MMP:u32 94:MCP:u64 95:MGP:u32 96:MGP:u32 97:MGP:u32 "
        "98:MGP:u32 99:MaP:u32 103:MCP:u64 104:MCP:u64 105:MCP:u64"
    ),
    "S.3.2.": (
        "0:KNS:str 1:KNS:str 2:MGP:u32 3:MMP:u32 4:MGP:u32 5:MMP:u32 7:MCP:u64 8:MCP:u64 "
        "9:MCP:u64 11:MCP:u64 13:MCP:u64 14:MCP:u64 15:MCP:u64 16:MCP:u64 17:SGP:str "
        "18:MaP:u32 19:SGP:u32 20:SGP:u32 21:MCP:u64 22:MCP:u64 23:MAP:u32 24:MCP:u32 "
        "26:KGP:u32 27:KGS:u32 28:KGS:u32 30:MCP:u64 32:CGS:u32 33:MRP:u32 35:MMP:u32 "
        "36:MOP:str 38:MDP:u64 39:MCP:u64 40:MCP:u64 41:MCP:u64 42:MCP:u64 43:MCP:u64 "
        "44:MCP:u64 48:MCP:u64 49:MCP:u64 50:MCP:u64 55:MAP:s32 56:MOP:str 58:MaP:u32 "
        "59:MaP:u32 60:MaP:u32 61:MaP:u32 65:MOP:str 67:CGS:u32 68:CGS:u32 69:CGS:u32 "
        "73:CGS:str 75:CGS:str 83:MCP:u64 84:MCP:u64 85:MCP:u64 88:MGP:u32 90:MMP:u32 "
        "91:MMP:u32 92:MMP:u32 93:MMP:u32 94:MCP:u64 95:MGP:u32 96:MGP:u32 97:MGP:u32 "
        "98:MGP:u32 99:MaP:u32 103:MCP:u64 104:MCP:u64 105:MCP:u64"
    ),
    "S.3.3.": (
        "0:KNS:str 1:KNS:str 2:MGP:u32 3:MMP:u32 4:MGP:u32 5:MMP:u32 7:MCP:u64 8:MCP:u64 "
        "9:MCP:u64 11:MCP:u64 13:MCP:u64 14:MCP:u64 15:MCP:u64 16:MCP:u64 17:SGP:str "
        "18:MaP:u32 19:SGP:u32 20:SGP:u32 23:MAP:u32 26:KGP:u32 27:KGS:u32 28:KGS:u32 "
        "30:MCP:u64 32:CGS:u32 33:MRP:u32 35:MMP:u32 39:MCP:u64 40:MCP:u64 41:MCP:u64 "
        "42:MCP:u64 43:MCP:u64 44:MCP:u64 48:MCP:u64 49:MCP:u64 50:MCP:u64 55:MAP:s32 "
        "58:MaP:u32 59:MaP:u32 60:MaP:u32 61:MaP:u32 73:CGS:str 75:CGS:str 83:MCP:u64 "
        "84:MCP:u64 85:MCP:u64 88:MGP:u32 90:MMP:u32 91:MMP:u32 92:MMP:u32 93:MMP:u32 "
        "94:MCP:u64 95:MGP:u32 96:MGP:u32 97:MGP:u32 98:MGP:u32 99:MaP:u32 103:MCP:u64 "
        "104:MCP:u64 105:MCP:u64"
    ),
    "B.3.0.": (
        "0:KNS:str 1:KNS:str 2:MGP:u32 3:MMP:u32 4:MGP:u32 5:MMP:u32 6:CLP:u32 7:MCP:u64 "
        "8:MCP:u64 9:MCP:u64 10:MCP:u64 11:MCP:u64 13:MCP:u64 14:MCP:u64 15:MCP:u64 "
        "16:MCP:u64 17:SGP:str 18:MaP:u32 19:MGP:u32 20:MGP:u32 22:MCP:u64 23:MAP:u32 "
        "24:MCP:u32 26:KGP:u32 27:KGS:u32 28:KGS:u32 30:MCP:u64 32:CGS:u32 33:MGP:u32 "
        "35:MGP:u32 39:MCP:u64 40:MCP:u64 41:MCP:u64 42:MCP:u64 43:MCP:u64 44:MCP:u64 "
        "48:MCP:u64 49:MCP:u64 50:MCP:u64 51:MCP:u64 52:MCP:u64 53:MCP:u64 54:MCP:u64 "
        "55:MAP:s32 58:MaP:u32 59:MaP:u32 60:MaP:u32 61:MaP:u32 75:CGS:str 76:CGS:str "
        "83:MCP:u64 84:MCP:u64 85:MCP:u64 86:MCP:u64 87:MCP:u64 90:MMP:u32 91:MMP:u32 "
        "92:MMP:u32 93:MMP:u32 94:MCP:u64 99:MaP:u32 100:MGP:u32 101:MGP:u32 102:MGP:u32 "
        "103:MCP:u64 104:MCP:u64 105:MCP:u64 106:MCP:u64 107:MCP:u64 108:MCP:u64 "
        "109:MCP:u64 110:MCP:u64 111:MCP:u64 112:MCP:u64 113:MCP:u64 114:MCP:u64 "
        "115:MGP:u64 116:MGP:u64 117:MCP:u64 118:MCP:u64 119:MGP:u64 120:MGP:u64 "
        "121:MCP:u64 122:MCP:u64 123:MCP:u64 124:MCP:u64 125:MCP:u64 126:MCP:u64"
    ),
}


def test_typed_fields_tags_and_types_per_row(proxy, http_server, port, tmp_path):
    lab = start_lab(proxy, http_server, port, tmp_path)
    send_traffic(lab)
    typed = lab.ask("admin", "show stat typed").split("\n")
    for prefix, want in TYPED_SIGNATURES.items():
        got = " ".join(f"{ln.split(':')[0].split('.')[3]}:{ln.split(':')[1]}:{ln.split(':')[2]}"
                       for ln in typed if ln.startswith(prefix))
        assert got == want, prefix


ORIGINS = {"M": "Metric", "S": "Status", "K": "Key", "C": "Config", "P": "Product"}
NATURES = {"A": "Age", "a": "Avg", "C": "Counter", "D": "Duration", "G": "Gauge", "L": "Limit",
           "M": "Max", "N": "Name", "O": "Output", "R": "Rate", "T": "Time"}
SCOPES = {"P": "Process", "S": "Service", "s": "System", "C": "Cluster"}


def test_json_is_the_typed_output_in_json(proxy, http_server, port, tmp_path):
    """show stat json: per row an array of the fields typed prints, in order, with the same
    tags and values, written without spaces (as HAProxy)."""
    lab = start_lab(proxy, http_server, port, tmp_path)
    text = lab.ask("admin", "show stat json")
    doc = json.loads(text)
    assert text == json.dumps(doc, separators=(",", ":")) + "\n\n"
    typed = [ln for ln in lab.ask("admin", "show stat typed").split("\n") if ln]
    flat = [f for row in doc for f in row]
    assert len(flat) == len(typed)
    kinds = {"F": "Frontend", "B": "Backend", "S": "Server"}
    for f, line in zip(flat, typed):
        key, tags, vtype, value = line.split(":", 3)
        kind, iid, sid, pos, name, proc = key.split(".")
        assert f == {
            "objType": kinds[kind], "proxyId": int(iid), "id": int(sid),
            "field": {"pos": int(pos), "name": name}, "processNum": int(proc),
            "tags": {"origin": ORIGINS[tags[0]], "nature": NATURES[tags[1]],
                     "scope": SCOPES[tags[2]]},
            "value": {"type": vtype, "value": value if vtype == "str" else int(value)},
        }, line
