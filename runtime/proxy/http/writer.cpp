// Heads written the way HAProxy 2.6 sends them to an HTTP/1 peer (measured): the start line's
// words joined by single spaces, "HTTP/1.1" for any version from 1.1 up, field names as stored
// (lower-case but where h1-case-adjust renamed them), "name: value" (also for an empty value),
// CRLF line ends. One allocation at most.
#include <cstring>
#include <string>

#include "runtime/proxy/http/chars.hpp"
#include "runtime/proxy/http/message.hpp"

namespace tandem::runtime::proxy::http {
namespace {

std::size_t fields_size(const std::vector<header>& headers) {
  std::size_t n = 2;  // the blank line
  for (const header& h : headers) {
    n += h.name_.size() + 2 + h.value_.size() + 2;
  }
  return n;
}

char* put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* put_version(char* p, int major, int minor) {
  p = put(p, "HTTP/");
  *p++ = static_cast<char>('0' + major);
  *p++ = '.';
  *p++ = static_cast<char>('0' + minor);
  return p;
}

// Names go out as stored: lower-case as the parser and the rules store them, unless
// h1-case-adjust renamed them for a peer that needs its own case.
char* put_fields(char* p, const std::vector<header>& headers) {
  for (const header& h : headers) {
    p = put(p, h.name_);
    p = put(p, ": ");
    p = put(p, h.value_);
    p = put(p, "\r\n");
  }
  return put(p, "\r\n");
}

int clamp_digit(int v) {
  return v < 0 ? 0 : (v > 9 ? 9 : v);
}

}  // namespace

void write_request_head(const request_head& head, std::string& out) {
  const std::size_t size =
      head.method_.size() + 1 + head.target_.size() + 1 + 8 + 2 + fields_size(head.headers_);
  const std::size_t at = out.size();
  out.resize(at + size);
  char* p = out.data() + at;
  p = put(p, head.method_);
  *p++ = ' ';
  p = put(p, head.target_);
  *p++ = ' ';
  p = put_version(p, clamp_digit(head.version_major_), clamp_digit(head.version_minor_));
  p = put(p, "\r\n");
  p = put_fields(p, head.headers_);
}

void write_response_head(const response_head& head, std::string& out) {
  // The status as digits, at least three (HAProxy writes the code as received; codes other
  // than three digits are the only case where the two can differ).
  char code[16];
  std::size_t code_len = 0;
  unsigned status = head.status_;
  do {
    code[code_len++] = static_cast<char>('0' + status % 10);
    status /= 10;
  } while (status != 0 || code_len < 3);
  const std::size_t size =
      8 + 1 + code_len + 1 + head.reason_.size() + 2 + fields_size(head.headers_);
  const std::size_t at = out.size();
  out.resize(at + size);
  char* p = out.data() + at;
  p = put_version(p, clamp_digit(head.version_major_), clamp_digit(head.version_minor_));
  *p++ = ' ';
  while (code_len > 0) {
    *p++ = code[--code_len];
  }
  *p++ = ' ';
  p = put(p, head.reason_);
  p = put(p, "\r\n");
  p = put_fields(p, head.headers_);
}

}  // namespace tandem::runtime::proxy::http
