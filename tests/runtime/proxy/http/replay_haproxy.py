#!/usr/bin/python3
"""Replays the HTTP/1 cases of message_test.cpp against Debian's real haproxy on loopback and
says, case by case, whether HAProxy 2.6.12 still answers what the case files record.

  replay_haproxy.py [--requests] [--responses] [--errors] [--capture-errors] [-v]

--requests    request_cases.txt: each request sent on its own connection; HAProxy's status
--responses   response_cases.txt: each response sent by the backend; the status a client gets
--errors      builtin_errors.txt: each built-in error provoked; its bytes compared exactly
--capture-errors  print builtin_errors.txt's lines as HAProxy produces them now

With no option it runs the first three. Exit status 1 if HAProxy disagrees with a file.
Not part of ctest: it needs haproxy and takes about a minute.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from haproxy_oracle import DEFAULTS, backend, haproxy, status_of  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def expand(text):
    """The bytes a case file's BYTES field stands for (see request_cases.txt)."""
    out = bytearray()
    i = 0

    def escape(i):
        c = text[i + 1]
        simple = {'r': b'\r', 'n': b'\n', 't': b'\t', '0': b'\0', '\\': b'\\', '{': b'{',
                  '#': b'#'}
        if c in simple:
            return simple[c], i + 2
        if c == 'x':
            return bytes([int(text[i + 2:i + 4], 16)]), i + 4
        raise ValueError('bad escape in ' + text)

    while i < len(text):
        c = text[i]
        if c == '\\':
            b, i = escape(i)
            out += b
        elif c == '{':
            star = text.index('*', i)
            count = int(text[i + 1:star])
            j = star + 1
            parts = []  # bytes, or None for the index
            while text[j] != '}':
                if text[j] == '\\':
                    b, j = escape(j)
                    parts.append(b)
                elif text[j] == '#':
                    parts.append(None)
                    j += 1
                else:
                    parts.append(text[j].encode('latin-1'))
                    j += 1
            for k in range(count):
                for p in parts:
                    out += str(k).encode() if p is None else p
            i = j + 1
        else:
            out += c.encode('latin-1')
            i += 1
    return bytes(out)


def read_cases(name, fields):
    """(the first `fields` words, bytes) of each case line of a case file."""
    cases = []
    with open(os.path.join(HERE, name), encoding='latin-1') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            words = line.split(' ', fields)
            cases.append((words[:fields], expand(words[fields])))
    return cases


def agrees(want, got):
    """Whether HAProxy's answer is the recorded one (or one of several: "400/200")."""
    return got in want.split('/')


def report(rows, verbose):
    bad = [r for r in rows if not agrees(r[1], r[2])]
    for name, want, got, note in rows:
        if verbose or not agrees(want, got):
            flag = 'ok ' if agrees(want, got) else 'BAD'
            print(f'  {flag} {name:40} file says {want:>4}, haproxy answered {got:>4}  {note}')
    print(f'  {len(rows) - len(bad)} of {len(rows)} as recorded')
    return not bad


def replay_requests(verbose):
    print('request_cases.txt')
    rows = []
    b = backend()
    try:
        with haproxy(b.port_) as h:
            for (name, tandem, expected), data in read_cases('request_cases.txt', 3):
                got = status_of(h.exchange(data, timeout=2))
                b.take()
                same = agrees(expected, '200' if tandem == 'ok' else tandem)
                note = '' if same else f'(Tandem: {tandem})'
                rows.append((name, expected, str(got) if got else '-', note))
    finally:
        b.close()
    return report(rows, verbose)


REQUESTS = {
    'GET': (b'GET / HTTP/1.1\r\nHost: a\r\n\r\n', False),
    'HEAD': (b'HEAD / HTTP/1.1\r\nHost: a\r\n\r\n', True),
    'CONNECT': (b'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n', False),
    'UPGRADE': (b'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                b'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n', False),
}


def replay_responses(verbose):
    print('response_cases.txt')
    rows = []
    answer = [b'']
    b = backend(respond=lambda data: answer[0])
    try:
        with haproxy(b.port_) as h:
            for (name, request, tandem, expected), data in read_cases('response_cases.txt', 4):
                answer[0] = data
                ask, head = REQUESTS[request]
                got = status_of(h.exchange(ask, timeout=1, head_request=head))
                b.take()
                same = (tandem == '502') == agrees(expected, '502')
                note = '' if same else f'(Tandem: {tandem})'
                rows.append((name, expected, str(got) if got else '-', note))
    finally:
        b.close()
    return report(rows, verbose)


GET = b'GET / HTTP/1.1\r\nHost: a\r\n\r\n'
STREAM_STATUSES = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 422, 425, 429, 500, 501,
                   502, 503, 504]


def provoke_errors():
    """(status, origin, how, bytes) of each way of making HAProxy answer with an error."""
    out = []
    ok = backend()
    garbage = backend(respond=lambda data: b'garbage\r\n\r\n')
    slow = backend(respond=lambda data: (time.sleep(1.5), b'HTTP/1.1 200 OK\r\n\r\n')[1])
    try:
        for status in STREAM_STATUSES:
            with haproxy(ok.port_, frontend_extra=f'  http-request deny deny_status {status}\n') as h:
                out.append((status, 'stream', 'deny_status', h.exchange(GET)))
        with haproxy(ok.port_, frontend_extra='  monitor-uri /up\n') as h:
            out.append((200, 'stream', 'monitor_uri',
                        h.exchange(b'GET /up HTTP/1.1\r\nHost: a\r\n\r\n')))
        with haproxy(ok.port_, backend_lines='  server s1 127.0.0.1:1 disabled\n') as h:
            out.append((503, 'stream', 'no_server', h.exchange(GET)))
        with haproxy(garbage.port_) as h:
            out.append((502, 'stream', 'bad_response', h.exchange(GET)))
        defaults = DEFAULTS.replace('timeout server 3s', 'timeout server 300ms')
        with haproxy(slow.port_, defaults=defaults) as h:
            out.append((504, 'stream', 'server_timeout', h.exchange(GET, timeout=3)))
        with haproxy(ok.port_) as h:
            out.append((400, 'connection', 'bad_request',
                        h.exchange(b'GET / HTTP/1.1\r\nHost : a\r\n\r\n')))
            out.append((408, 'connection', 'request_timeout',
                        h.exchange(b'GET / HTTP/1.1\r\n', timeout=3)))
            out.append((422, 'connection', 'unknown_coding',
                        h.exchange(b'POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'
                                   b'0\r\n\r\n')))
    finally:
        ok.close()
        garbage.close()
        slow.close()
    return out


def escape(data):
    out = []
    for byte in data:
        c = chr(byte)
        if c == '\r':
            out.append('\\r')
        elif c == '\n':
            out.append('\\n')
        elif c == '\\':
            out.append('\\\\')
        elif c in '{#':
            out.append('\\' + c)
        elif 32 <= byte < 127:
            out.append(c)
        else:
            out.append(f'\\x{byte:02x}')
    return ''.join(out)


def replay_errors(verbose):
    print('builtin_errors.txt')
    recorded = {(w[0], w[1], w[2]): data for w, data in read_cases('builtin_errors.txt', 3)}
    rows = []
    for status, origin, how, data in provoke_errors():
        want = recorded.get((str(status), origin, how))
        same = want == data
        rows.append((f'{status} {origin} {how}', 'same', 'same' if same else 'diff', ''))
        if not same and verbose:
            print('   haproxy:', data)
            print('   file:   ', want)
    return report(rows, verbose)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--requests', action='store_true')
    parser.add_argument('--responses', action='store_true')
    parser.add_argument('--errors', action='store_true')
    parser.add_argument('--capture-errors', action='store_true')
    parser.add_argument('-v', '--verbose', action='store_true')
    args = parser.parse_args()
    if args.capture_errors:
        for status, origin, how, data in provoke_errors():
            print(f'{status} {origin} {how} {escape(data)}')
        return 0
    everything = not (args.requests or args.responses or args.errors)
    good = True
    if args.requests or everything:
        good &= replay_requests(args.verbose)
    if args.responses or everything:
        good &= replay_responses(args.verbose)
    if args.errors or everything:
        good &= replay_errors(args.verbose)
    return 0 if good else 1


if __name__ == '__main__':
    sys.exit(main())
