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
// them to HTTP/1 peers; values are as received, without surrounding blanks.
struct header {
  std::string name_;
  std::string value_;
};

struct request_head {
  std::string method_;
  std::string target_;  // as received: "/path?query", "http://host/path" or "host:port"
  int version_minor_ = 1;  // HTTP/1.0 -> 0, HTTP/1.1 -> 1 (major is always 1)
  std::vector<header> headers_;
};

struct response_head {
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
  bool expect_continue_ = false;  // Expect: 100-continue
  bool upgrade_ = false;          // Connection: upgrade with an Upgrade header (request), or 101
};

// HAProxy's limits: a head must fit in tune.bufsize less tune.maxrewrite, and carry at most
// tune.http.maxhdr header fields.
struct limits {
  std::size_t max_head_bytes_ = 16384 - 1024;
  std::size_t max_headers_ = 101;
};

enum class parse_state : std::uint8_t { incomplete, done, error };

struct parse_result {
  parse_state state_ = parse_state::incomplete;
  std::size_t consumed_ = 0;  // bytes of the head, including its final CRLF (state done)
  // On error: the status HAProxy answers with (400 for requests; a bad response is a 502) and
  // why, for the logs and tests.
  unsigned status_ = 0;
  std::string reason_;
  std::size_t error_offset_ = 0;
};

// Parses a request head from the start of `bytes`. `incomplete` while no blank line has been
// seen and the limits allow more; `error` for anything HAProxy 2.6 rejects (bad characters in
// the method, target, names or values; bad version; Content-Length with Transfer-Encoding;
// differing Content-Lengths; a Transfer-Encoding that does not end in chunked; too many or
// too long headers; …). On success fills `head` and `body`.
parse_result parse_request_head(std::string_view bytes, const limits& l, request_head& head,
                                framing& body);

// Parses a response head; `request_method` decides whether a body can follow (HEAD, CONNECT).
parse_result parse_response_head(std::string_view bytes, const limits& l,
                                 std::string_view request_method, response_head& head,
                                 framing& body);

// Follows a chunked body in the bytes it is given, which are forwarded unchanged: says how
// many of them belong to the body and when the body (last chunk and trailers) has ended.
class chunked_reader {
 public:
  struct step {
    std::size_t consumed_ = 0;  // bytes of `bytes` that belong to the body
    bool done_ = false;         // the body ended within them
    bool error_ = false;        // bad chunk size, missing CRLF, …
  };
  step feed(std::string_view bytes);

 private:
  // implementation state (chunk remaining, parse position within size line/trailers, …)
  std::uint64_t remaining_ = 0;
  std::uint8_t state_ = 0;
  std::uint64_t size_ = 0;
  std::size_t line_bytes_ = 0;
};

// Header helpers, names compared case-insensitively.
const header* find_header(const std::vector<header>& headers, std::string_view name);
void remove_headers(std::vector<header>& headers, std::string_view name);
// Whether a comma-separated header (Connection, Transfer-Encoding) holds `token`.
bool has_token(const std::vector<header>& headers, std::string_view name, std::string_view token);

// Writes a head as HAProxy 2.6 sends it to an HTTP/1 peer (lower-case names, "name: value").
void write_request_head(const request_head& head, std::string& out);
void write_response_head(const response_head& head, std::string& out);

// HAProxy 2.6's built-in error response for `status` (200, 400, 401, 403, 404, 405, 407,
// 408, 410, 413, 425, 429, 500, 501, 502, 503, 504), byte for byte; nullopt for others.
std::optional<std::string_view> builtin_error(unsigned status);

}  // namespace tandem::runtime::proxy::http
