// Just enough of an HTTP/1 response reader for health checks: the status line and headers
// once they are complete, the body as far as it has arrived, and whether the message is
// complete (content-length reached, last chunk, or the connection closed). It re-reads the
// whole buffer on every call: a check response is small and read a few times at most.
#pragma once

#include <string>
#include <string_view>

namespace tandem::runtime::checks {

struct http_response {
  enum class state : unsigned char { incomplete, invalid, headers_done };
  state state_ = state::incomplete;
  int status_ = 0;
  std::string_view status_text_;  // "200"
  std::string_view reason_;       // "Internal Server Error"
  std::string body_;              // de-chunked
  bool complete_ = false;         // the whole message is in
};

// Reads `data` (everything received so far); `closed`: the server has closed, so a body
// without a length ends here.
http_response parse_http_response(std::string_view data, bool closed);

}  // namespace tandem::runtime::checks
