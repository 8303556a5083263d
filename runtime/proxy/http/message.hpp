// HTTP/1.x messages as the proxy handles them: heads parsed with HAProxy 2.6's strictness and
// limits, the body framing they announce, the bytes written onwards, and HAProxy's built-in
// error responses. Pure: no sockets, no clock. The sessions (runtime/proxy) feed it bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::runtime::proxy::http {

// A header field. Names are kept lower-cased, as HAProxy 2.x's HTX keeps them and as it writes
// them to HTTP/1 peers; values are as received, without surrounding blanks (an obs-folded line
// break becomes spaces, as HAProxy does).
struct header {
  std::string name_;
  std::string value_;
};

struct request_head {
  std::string method_;
  std::string target_;  // as received: "/path?query", "http://host/path" or "host:port"
  // HAProxy keeps a version below 1.1 as received (HTTP/1.0, HTTP/0.9) and turns any higher one
  // (HTTP/2.0, HTTP/1.2) into HTTP/1.1.
  int version_major_ = 1;
  int version_minor_ = 1;  // HTTP/1.0 -> 0, HTTP/1.1 -> 1
  std::vector<header> headers_;
};

struct response_head {
  int version_major_ = 1;  // as in request_head
  int version_minor_ = 1;
  unsigned status_ = 0;
  std::string reason_;
  std::vector<header> headers_;
};

// How the body that follows a head is delimited.
enum class body_kind : std::uint8_t {
  none,         // no body (GET without length, 204, 304, response to HEAD, 1xx)
  length,       // Content-Length: length_ bytes
  chunked,      // Transfer-Encoding ending in chunked
  until_close,  // a response without length: the body runs to the server's close
};

struct framing {
  body_kind kind_ = body_kind::none;
  std::uint64_t length_ = 0;
  bool keep_alive_ = true;        // from the version and Connection: close / keep-alive
  // Chunked with Content-Length, or chunked in HTTP/1.0: the message could be read two ways
  // downstream, so the connection it came on closes after it (keep_alive_ is false then too).
  bool force_close_ = false;
  bool expect_continue_ = false;  // Expect: 100-continue
  bool upgrade_ = false;  // Connection: upgrade with an Upgrade header (HTTP/1.1 request), a 101,
                          // or a 2xx answer to CONNECT: the connection becomes a tunnel
};

// HAProxy's limits (defaults of tune.bufsize 16384, tune.maxrewrite 1024, tune.http.maxhdr 101).
// Measured on 2.6.12, a head is refused (400, or 502 for a response) when
//  - its bytes as received exceed max_raw_head_bytes_ (16320: however many blanks it holds), or
//  - it exceeds max_head_bytes_ as HAProxy stores it: the start line's three words, each kept
//    field's name and value, 8 bytes per field and 85 bytes more, or
//  - it keeps max_headers_ fields or more (100 is the most accepted).
struct limits {
  std::size_t max_head_bytes_ = 16384 - 1024;
  std::size_t max_raw_head_bytes_ = 16384 - 64;
  std::size_t max_headers_ = 101;
};

enum class parse_state : std::uint8_t { incomplete, done, error };

struct parse_result {
  parse_state state_ = parse_state::incomplete;
  std::size_t consumed_ = 0;  // bytes of the head, including its final CRLF (state done)
  // On error: the status HAProxy answers with (400 for requests, 422 for a request whose
  // Transfer-Encoding names a coding other than chunked before it; a bad response is a 502)
  // and why, for the logs and tests.
  unsigned status_ = 0;
  std::string reason_;
  std::size_t error_offset_ = 0;
};

// Parses a request head from the start of `bytes` (again from the start when more bytes have
// come: one pass, no state kept). `incomplete` while no blank line has been seen and the
// limits allow more; `error` as soon as the bytes hold anything HAProxy 2.6 rejects (bad
// characters in the method, target, names or values; bad version; differing Content-Lengths;
// a Transfer-Encoding that does not end in chunked; a target that contradicts Host; too many
// or too long headers; …), and for a NUL in a value, which HAProxy 2.6.12 lets through. With
// both Content-Length and Transfer-Encoding, the length is dropped and the connection closes
// after this message, as HAProxy does. On success fills `head` (its headers_ vector and
// strings are reused) and `body`.
parse_result parse_request_head(std::string_view bytes, const limits& l, request_head& head,
                                framing& body);

// Parses a response head; `request_method` decides whether a body can follow (HEAD, CONNECT).
// A 101 is a bad response (502) when the request did not ask to upgrade (`request_upgrade`).
// Like HAProxy, the Connection header's close and keep-alive tokens are taken out into
// `body.keep_alive_` (in requests too), Content-Length is dropped when Transfer-Encoding is
// present, and a 1xx or 204 loses both.
parse_result parse_response_head(std::string_view bytes, const limits& l,
                                 std::string_view request_method, response_head& head,
                                 framing& body, bool request_upgrade = true);

// Follows a chunked body in the bytes it is given, which are forwarded unchanged: says how
// many of them belong to the body and when the body (last chunk and trailers) has ended.
// Accepts what HAProxy 2.6 accepts: hex sizes below 2^52 (leading zeros allowed), blanks and
// ";extensions" after the size, a bare LF wherever CRLF is due, and trailers shaped like header
// fields (at most max_raw_head_bytes_ of them). Anything else is an error, reported at the
// offending byte (consumed_ then counts the bytes before it).
class chunked_reader {
 public:
  struct step {
    std::size_t consumed_ = 0;  // bytes of `bytes` that belong to the body
    bool done_ = false;         // the body ended within them
    bool error_ = false;        // bad chunk size, missing CRLF, …
  };
  step feed(std::string_view bytes);
  // The same, also appending the chunks' data to `data` and the trailer section's bytes as
  // received (its lines and the empty line that ends it) to `trailers`: what a proxy needs to
  // frame the body anew, as HAProxy does.
  step feed(std::string_view bytes, std::string& data, std::string& trailers);

 private:
  std::string* data_sink_ = nullptr;
  std::string* trailer_sink_ = nullptr;
  std::uint64_t remaining_ = 0;  // data bytes left in the current chunk
  std::uint8_t state_ = 0;       // where in the chunk syntax the next byte falls
  std::uint64_t size_ = 0;       // the chunk size read so far
  std::size_t line_bytes_ = 0;   // bytes of trailers so far
};

// Header helpers, names compared case-insensitively.
const header* find_header(const std::vector<header>& headers, std::string_view name);
void remove_headers(std::vector<header>& headers, std::string_view name);
// The end of the comma-separated list element of a header value that starts at `i`: the next
// comma outside a double-quoted string (where a backslash escapes), or the value's end.
std::size_t list_element_end(std::string_view value, std::size_t i);
// Whether a comma-separated header (Connection, Transfer-Encoding) holds `token`.
bool has_token(const std::vector<header>& headers, std::string_view name, std::string_view token);

// Writes a head as HAProxy 2.6 sends it to an HTTP/1 peer (lower-case names, "name: value").
void write_request_head(const request_head& head, std::string& out);
void write_response_head(const response_head& head, std::string& out);

// Where HAProxy 2.6 produces an error decides its bytes. A stream-level answer (http-request
// deny, auth, 502, 503, 504, monitor-uri's 200) goes through its HTX layer: lower-case names,
// and "connection: close" last for 400 and 408 (a session that closes after another status
// adds that line itself, before the blank line, as HAProxy does). The HTTP/1 connection layer
// answers a request it cannot parse (400), a request timeout (408) or an unsupported transfer
// coding (422) with the message text itself ("Content-length", "Connection: close").
enum class error_origin : std::uint8_t { stream, connection };

// HAProxy 2.6's built-in error response for `status` (200, 400, 401, 403, 404, 405, 407,
// 408, 410, 413, 422, 425, 429, 500, 501, 502, 503, 504), byte for byte as measured on the
// wire; nullopt for others.
std::optional<std::string_view> builtin_error(unsigned status,
                                              error_origin origin = error_origin::stream);

}  // namespace tandem::runtime::proxy::http
