"""Malformed and ambiguous HTTP/1 input (after reg-tests/http-messaging/
http_transfer_encoding.vtc, h1_request_target_validation.vtc, h1_host_normalization.vtc and
the request-smuggling literature). Every expectation here was measured on Debian's HAProxy
2.6.12 first.

REJECTED: the proxy answers an error page, byte for byte, closes, and the backend receives
nothing. NORMALISED: the proxy accepts the request but forwards exactly one request in one
unambiguous framing (never a smuggled second one). RESPONSES: a malformed answer from the
server never reaches the client as it was."""

from __future__ import annotations

import pytest

from proxy_support import Client, config

BAD_400 = (b"HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\n"
           b"Connection: close\r\nContent-Type: text/html\r\n\r\n"
           b"<html><body><h1>400 Bad request</h1>\n"
           b"Your browser sent an invalid request.\n</body></html>\n")
UNPROCESSABLE_422 = (b"HTTP/1.1 422 Unprocessable Content\r\nContent-length: 116\r\n"
                     b"Cache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n"
                     b"<html><body><h1>422 Unprocessable Content</h1>\n"
                     b"The server cannot process the contained instructions.\n</body></html>\n")
BAD_GATEWAY_502 = (b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 107\r\ncache-control: no-cache\r\n"
                   b"content-type: text/html\r\n\r\n<html><body><h1>502 Bad Gateway</h1>\n"
                   b"The server returned an invalid or incomplete response.\n</body></html>\n")

POST = b"POST / HTTP/1.1\r\nHost: x\r\n"
GET = b"GET / HTTP/1.1\r\nHost: x\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nContent-Length: 15\r\n\r\nx=1"

REJECTED = {
    # Transfer-Encoding obfuscations
    "te_chunked_twice_in_one": (POST + b"Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
                                BAD_400),
    "te_two_headers": (POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"0\r\n\r\n", BAD_400),
    "te_chunked_then_identity": (POST + b"Transfer-Encoding: chunked\r\n"
                                 b"Transfer-Encoding: identity\r\n\r\n0\r\n\r\n", BAD_400),
    "te_chunked_not_last": (POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", BAD_400),
    "te_gzip_only": (POST + b"Transfer-Encoding: gzip\r\n\r\n", BAD_400),
    "te_gzip_then_chunked": (POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                             UNPROCESSABLE_422),
    "te_identity": (POST + b"Transfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n", BAD_400),
    "te_xchunked": (POST + b"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", BAD_400),
    "te_chunked_suffix": (POST + b"Transfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n", BAD_400),
    "te_quoted": (POST + b'Transfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n', BAD_400),
    "te_vertical_tab": (POST + b"Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n", BAD_400),
    "te_space_before_colon": (POST + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", BAD_400),
    # Content-Length
    "cl_two_different": (POST + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", BAD_400),
    "cl_list_different": (POST + b"Content-Length: 5, 6\r\n\r\nhello!", BAD_400),
    "cl_negative": (POST + b"Content-Length: -1\r\n\r\n", BAD_400),
    "cl_plus_sign": (POST + b"Content-Length: +5\r\n\r\nhello", BAD_400),
    "cl_hex": (POST + b"Content-Length: 0x5\r\n\r\nhello", BAD_400),
    "cl_overflow": (POST + b"Content-Length: 99999999999999999999\r\n\r\n", BAD_400),
    "cl_inner_space": (POST + b"Content-Length: 1 2\r\n\r\n", BAD_400),
    "cl_trailing_junk": (POST + b"Content-Length: 5abc\r\n\r\nhello", BAD_400),
    "cl_empty": (POST + b"Content-Length: \r\n\r\n", BAD_400),
    "cl_space_before_colon": (POST + b"Content-Length : 5\r\n\r\nhello", BAD_400),
    # Chunk framing
    "chunk_size_not_hex": (POST + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                           BAD_400),
    "chunk_size_overflow": (POST + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"
                            b"hello\r\n0\r\n\r\n", BAD_400),
    "chunk_size_negative": (POST + b"Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
                            BAD_400),
    "chunk_size_0x": (POST + b"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
                      BAD_400),
    "chunk_data_without_crlf": (POST + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
                                BAD_400),
    "chunk_longer_than_size": (POST + b"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
                               BAD_400),
    # Header syntax
    "cr_in_value": (GET + b"X-A: a\rb\r\n\r\n", BAD_400),
    "space_before_colon": (GET + b"X-A : b\r\n\r\n", BAD_400),
    "tab_before_colon": (GET + b"X-A\t: b\r\n\r\n", BAD_400),
    "separator_in_name": (GET + b"X(A): b\r\n\r\n", BAD_400),
    "empty_name": (GET + b": b\r\n\r\n", BAD_400),
    "8bit_in_name": (GET + b"X-\xe9: b\r\n\r\n", BAD_400),
    "fold_before_first_header": (b"GET / HTTP/1.1\r\n X-A: b\r\nHost: x\r\n\r\n", BAD_400),
    "two_different_hosts": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", BAD_400),
    "absolute_uri_host_mismatch": (b"GET http://a/x HTTP/1.1\r\nHost: b\r\n\r\n", BAD_400),
    # Request line
    "separator_in_method": (b"GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "nul_in_method": (b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "leading_space": (b" GET / HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "space_in_target": (b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "control_in_target": (b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "8bit_in_target": (b"GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "fragment_in_target": (b"GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "target_without_slash": (b"GET admin HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "connect_to_a_path": (b"CONNECT / HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "bad_protocol_name": (b"GET / HTTQ/1.1\r\nHost: x\r\n\r\n", BAD_400),
    "version_without_minor": (b"GET / HTTP/1\r\nHost: x\r\n\r\n", BAD_400),
    "no_version": (b"GET /\r\nHost: x\r\n\r\n", BAD_400),
    "tls_hello_on_http_port": (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 40,
                               BAD_400),
    # Sizes
    "too_many_headers": (GET + b"".join(b"X-%d: 1\r\n" % i for i in range(100)) + b"\r\n", BAD_400),
    "head_over_bufsize": (GET + b"X-Big: " + b"v" * 16500 + b"\r\n\r\n", BAD_400),
    "target_over_bufsize": (b"GET /" + b"a" * 16500 + b" HTTP/1.1\r\nHost: x\r\n\r\n", BAD_400),
}

# id -> (bytes sent, head and raw body that reach the backend, the connection is closed after)
NORMALISED = {
    # CL+TE: chunked wins, Content-Length is dropped, the leftover is never parsed as a
    # request, and the connection is closed after the answer.
    "cl_and_te": (POST + b"Content-Length: 31\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                  b"GET /smuggled HTTP/1.1\r\n\r\n",
                  b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                  b"0\r\n\r\n", True),
    "te_and_cl": (POST + b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
                  + b"%x\r\n%s\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED),
                  b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                  b"%x\r\n%s\r\n0\r\n\r\n" % (len(SMUGGLED), SMUGGLED), True),
    "te_in_http10": (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                     b"POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n", b"0\r\n\r\n",
                     True),
    "te_upper_case": (POST + b"Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n",
                      b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: CHUNKED\r\n\r\n",
                      b"0\r\n\r\n", False),
    "te_folded": (POST + b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
                  b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                  b"0\r\n\r\n", False),
    "cl_repeated_same": (POST + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
                         b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\n", b"hello",
                         False),
    "cl_list_same": (POST + b"Content-Length: 5, 5\r\n\r\nhello",
                     b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\n", b"hello", False),
    "get_with_a_body": (GET + b"Content-Length: 26\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
                        b"GET / HTTP/1.1\r\nhost: x\r\ncontent-length: 26\r\n\r\n",
                        b"GET /smuggled HTTP/1.1\r\n\r\n", False),
    "chunk_bare_lf": (POST + b"Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n",
                      b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                      b"5\r\nhello\r\n0\r\n\r\n", False),
    "chunk_extension_dropped": (POST + b"Transfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n"
                                b"0\r\n\r\n",
                                b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                                b"5\r\nhello\r\n0\r\n\r\n", False),
    "trailer_kept": (POST + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: y\r\n\r\n",
                     b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n",
                     b"0\r\nx-t: y\r\n\r\n", False),
    "obs_fold_joined": (GET + b"X-A: a\r\n b\r\n\r\n",
                        b"GET / HTTP/1.1\r\nhost: x\r\nx-a: a   b\r\n\r\n", b"", False),
    "bare_lf_line_ends": (b"GET / HTTP/1.1\nHost: x\n\n",
                          b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", b"", False),
    "lf_in_value_splits_it": (GET + b"X-A: a\nX-B: b\r\n\r\n",
                              b"GET / HTTP/1.1\r\nhost: x\r\nx-a: a\r\nx-b: b\r\n\r\n", b"", False),
    "leading_empty_lines": (b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
                            b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", b"", False),
    "two_same_hosts": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
                       b"GET / HTTP/1.1\r\nhost: a\r\n\r\n", b"", False),
    "double_space_in_request_line": (b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
                                     b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", b"", False),
    "version_1_2_sent_as_1_1": (b"GET / HTTP/1.2\r\nHost: x\r\n\r\n",
                                b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", b"", False),
    "no_host_in_http11": (b"GET / HTTP/1.1\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n", b"", False),
}

# id -> (what the server answers, what the client receives)
RESPONSES = {
    "resp_cl_and_te": (b"HTTP/1.1 200 OK\r\nContent-Length: 30\r\nTransfer-Encoding: chunked\r\n"
                       b"\r\n0\r\n\r\nResponse splitting attack",
                       b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"),
    "resp_cl_two_different": (b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
                              b"abcd", BAD_GATEWAY_502),
    "resp_te_chunked_twice": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
                              b"0\r\n\r\n", BAD_GATEWAY_502),
    "resp_te_gzip_only": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n"
                          b"\r\nabc", BAD_GATEWAY_502),
    "resp_bad_header_name": (b"HTTP/1.1 200 OK\r\nX(: y\r\nContent-Length: 0\r\n\r\n",
                             BAD_GATEWAY_502),
    "resp_bad_chunk_size": (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"
                            b"0\r\n\r\n", BAD_GATEWAY_502),
}


def front(proxy, http_server, port):
    s = http_server("app")
    fp = port()
    proxy.start(config(f"""
        frontend fe
            bind 127.0.0.1:{fp}
            default_backend b
        backend b
            server app {s.addr}
    """))
    return fp, s


def test_catalogue_size():
    assert len(REJECTED) + len(NORMALISED) + len(RESPONSES) >= 30


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_rejected(case, proxy, http_server, port):
    data, answer = REJECTED[case]
    fp, s = front(proxy, http_server, port)
    with Client(fp, timeout=2) as c:
        c.send(data)
        assert c.rest() == answer
        assert c.eof, "the proxy must close after rejecting a request"
    assert s.requests == []


@pytest.mark.parametrize("case", sorted(NORMALISED))
def test_normalised(case, proxy, http_server, port):
    data, head, raw_body, closes = NORMALISED[case]
    fp, s = front(proxy, http_server, port)
    with Client(fp, timeout=2) as c:
        c.send(data)
        r = c.response()
        assert r.status == 200
        if closes:
            assert r.all("connection") == ["close"]
            assert c.rest() == b"" and c.eof
        else:
            assert not c.closed(0.1)
    assert len(s.requests) == 1, [q.head for q in s.requests]
    assert s.requests[0].head == head
    assert s.requests[0].raw_body == raw_body


@pytest.mark.parametrize("case", sorted(RESPONSES))
def test_malformed_response(case, proxy, http_server, port):
    sent, received = RESPONSES[case]
    fp, s = front(proxy, http_server, port)
    s.respond = lambda req: sent
    with Client(fp, timeout=2) as c:
        c.request()
        assert c.response().raw == received
