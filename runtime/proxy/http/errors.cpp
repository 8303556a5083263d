// HAProxy 2.6's built-in error responses, as they reach a client (measured on 2.6.12 with
// tests/runtime/proxy/http/replay_haproxy.py --errors). Each is built once from HAProxy's
// message text: reason, body, and whether the message closes the connection.
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/proxy/http/message.hpp"

namespace tandem::runtime::proxy::http {
namespace {

struct message {
  unsigned status_;
  std::string_view reason_;
  std::string_view body_;
  bool closes_;  // the message text carries "Connection: close"
};

// HAProxy's wording, its odd spots included (407 says "Unauthorized", 501's text starts with
// a dot).
constexpr std::array<message, 18> messages{{
    {200, "OK", "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n", false},
    {400, "Bad request",
     "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n"
     "</body></html>\n",
     true},
    {401, "Unauthorized",
     "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access "
     "this content.\n</body></html>\n",
     false},
    {403, "Forbidden",
     "<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n"
     "</body></html>\n",
     false},
    {404, "Not Found",
     "<html><body><h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>\n",
     false},
    {405, "Method Not Allowed",
     "<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a "
     "request method not supported by that resource\n</body></html>\n",
     false},
    {407, "Unauthorized",
     "<html><body><h1>407 Unauthorized</h1>\nYou need a valid user and password to access "
     "this content.\n</body></html>\n",
     false},
    {408, "Request Time-out",
     "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request "
     "in time.\n</body></html>\n",
     true},
    {410, "Gone",
     "<html><body><h1>410 Gone</h1>\nThe resource is no longer available and will not be "
     "available again.\n</body></html>\n",
     false},
    {413, "Payload Too Large",
     "<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum "
     "allowed.\n</body></html>\n",
     false},
    {422, "Unprocessable Content",
     "<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained "
     "instructions.\n</body></html>\n",
     false},
    {425, "Too Early",
     "<html><body><h1>425 Too Early</h1>\nYour browser sent early data.\n</body></html>\n", false},
    {429, "Too Many Requests",
     "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given "
     "amount of time.\n</body></html>\n",
     false},
    {500, "Internal Server Error",
     "<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n"
     "</body></html>\n",
     false},
    {501, "Not Implemented",
     "<html><body><h1>501 Not Implemented</h1>\n.The server does not support the "
     "functionality required to fulfill the request.\n</body></html>\n",
     false},
    {502, "Bad Gateway",
     "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete "
     "response.\n</body></html>\n",
     false},
    {503, "Service Unavailable",
     "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this "
     "request.\n</body></html>\n",
     false},
    {504, "Gateway Time-out",
     "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n"
     "</body></html>\n",
     false},
}};

std::string status_line(const message& m) {
  return "HTTP/1.1 " + std::to_string(m.status_) + " " + std::string(m.reason_) + "\r\n";
}

// The message text as HAProxy stores it (and its HTTP/1 connection layer sends it).
std::string connection_form(const message& m) {
  std::string s = status_line(m);
  s += "Content-length: " + std::to_string(m.body_.size()) + "\r\n";
  s += "Cache-Control: no-cache\r\n";
  if (m.closes_) {
    s += "Connection: close\r\n";
  }
  s += "Content-Type: text/html\r\n\r\n";
  s += m.body_;
  return s;
}

// The same after HAProxy's HTX layer: lower-case names, Connection taken out and written last.
std::string stream_form(const message& m) {
  std::string s = status_line(m);
  s += "content-length: " + std::to_string(m.body_.size()) + "\r\n";
  s += "cache-control: no-cache\r\n";
  s += "content-type: text/html\r\n";
  if (m.closes_) {
    s += "connection: close\r\n";
  }
  s += "\r\n";
  s += m.body_;
  return s;
}

struct built {
  std::array<std::string, messages.size()> stream_;
  std::array<std::string, messages.size()> connection_;
  built() {
    for (std::size_t i = 0; i < messages.size(); ++i) {
      stream_[i] = stream_form(messages[i]);
      connection_[i] = connection_form(messages[i]);
    }
  }
};

}  // namespace

std::optional<std::string_view> builtin_error(unsigned status, error_origin origin) {
  static const built all;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (messages[i].status_ == status) {
      return origin == error_origin::stream ? all.stream_[i] : all.connection_[i];
    }
  }
  return std::nullopt;
}

}  // namespace tandem::runtime::proxy::http
