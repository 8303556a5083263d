// libFuzzer target for the HTTP/1 message layer: the bytes as a request head, as a response
// head and as a chunked body, with the properties the proxy relies on checked (abort on a
// break): a verdict does not depend on how the bytes were split, a parsed head written out
// parses back to itself, the chunked reader consumes what it says.
// The first byte chooses the request method for the response and the chunked piece size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/proxy/http/message.hpp"

namespace {

using namespace tandem::runtime::proxy::http;

void require(bool ok) {
  if (!ok) {
    std::abort();
  }
}

bool same_head(const request_head& a, const request_head& b) {
  if (a.method_ != b.method_ || a.target_ != b.target_ || a.version_major_ != b.version_major_ ||
      a.version_minor_ != b.version_minor_ || a.headers_.size() != b.headers_.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.headers_.size(); ++i) {
    if (a.headers_[i].name_ != b.headers_[i].name_ ||
        a.headers_[i].value_ != b.headers_[i].value_) {
      return false;
    }
  }
  return true;
}

bool same_head(const response_head& a, const response_head& b) {
  if (a.status_ != b.status_ || a.reason_ != b.reason_ || a.version_major_ != b.version_major_ ||
      a.version_minor_ != b.version_minor_ || a.headers_.size() != b.headers_.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.headers_.size(); ++i) {
    if (a.headers_[i].name_ != b.headers_[i].name_ ||
        a.headers_[i].value_ != b.headers_[i].value_) {
      return false;
    }
  }
  return true;
}

// A head written out may take more raw bytes than it came in (bare LFs become CRLFs).
limits roomy() {
  limits l;
  l.max_raw_head_bytes_ = 1 << 20;
  return l;
}

// Parse(bytes) -> parse_result over the same head object type; checks shared by both kinds.
template <class Head, class Parse, class Write>
void check_head(std::string_view bytes, Parse parse, Write write) {
  Head head;
  framing body;
  const parse_result r = parse(bytes, limits{}, head, body);
  if (r.state_ == parse_state::incomplete) {
    return;
  }
  if (r.state_ == parse_state::error) {
    require(r.status_ != 0 && r.error_offset_ <= bytes.size());
    return;
  }
  require(r.consumed_ > 0 && r.consumed_ <= bytes.size());
  // The verdict is the head's own: nothing after it, and one byte less is not a head yet.
  Head alone;
  framing alone_body;
  const parse_result exact = parse(bytes.substr(0, r.consumed_), limits{}, alone, alone_body);
  require(exact.state_ == parse_state::done && exact.consumed_ == r.consumed_);
  require(same_head(head, alone));
  Head shorter;
  const parse_result less = parse(bytes.substr(0, r.consumed_ - 1), limits{}, shorter, alone_body);
  require(less.state_ == parse_state::incomplete);
  // Written out, it parses back to itself (HAProxy's rewrites are done once).
  std::string out;
  write(head, out);
  Head again;
  framing again_body;
  const parse_result back = parse(out, roomy(), again, again_body);
  require(back.state_ == parse_state::done && back.consumed_ == out.size());
  require(same_head(head, again));
}

void check_chunked(std::string_view bytes, std::size_t piece) {
  chunked_reader whole;
  const chunked_reader::step all = whole.feed(bytes);
  require(all.consumed_ <= bytes.size());
  require(!(all.done_ && all.error_));
  require(all.done_ || all.error_ || all.consumed_ == bytes.size());
  chunked_reader pieces;
  std::size_t consumed = 0;
  chunked_reader::step last;
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    last = pieces.feed(bytes.substr(at, piece));
    consumed += last.consumed_;
    if (last.done_ || last.error_) {
      break;
    }
  }
  require(consumed == all.consumed_ || bytes.empty());
  require(last.done_ == all.done_ && last.error_ == all.error_);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::uint8_t selector = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  check_head<request_head>(
      bytes,
      [](std::string_view b, const limits& l, request_head& h, framing& f) {
        return parse_request_head(b, l, h, f);
      },
      [](const request_head& h, std::string& out) { write_request_head(h, out); });
  static constexpr std::string_view methods[] = {"GET", "HEAD", "CONNECT", "POST"};
  const std::string_view method = methods[selector % 4];
  const bool upgrade = (selector & 4) != 0;
  check_head<response_head>(
      bytes,
      [&](std::string_view b, const limits& l, response_head& h, framing& f) {
        return parse_response_head(b, l, method, h, f, upgrade);
      },
      [](const response_head& h, std::string& out) { write_response_head(h, out); });
  check_chunked(bytes, 1 + (selector >> 3));
  return 0;
}
