// The PROXY protocol (haproxy.org/download/2.6/doc/proxy-protocol.txt), versions 1 and 2:
// the header a server gets first with `server … send-proxy[-v2]`, and the one a listener with
// `bind … accept-proxy` reads before anything else. Pure functions on bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <sys/socket.h>

namespace tandem::runtime::proxy::proxy_protocol {

// "PROXY TCP4 192.0.2.1 192.0.2.2 56324 80\r\n" for the connection from `source` to
// `destination` ("PROXY UNKNOWN\r\n" when they are not both IPv4 or both IPv6).
std::string encode_v1(const sockaddr_storage& source, const sockaddr_storage& destination);
// The binary form: signature, PROXY command, TCP over IPv4/IPv6, the addresses and ports.
std::string encode_v2(const sockaddr_storage& source, const sockaddr_storage& destination);

enum class parse_state : std::uint8_t { need_more, done, error };

struct parsed {
  parse_state state_ = parse_state::need_more;
  std::size_t consumed_ = 0;  // the header's length (done)
  // The addresses it carries; false for v1 UNKNOWN and v2 LOCAL (keep the connection's own).
  bool has_addresses_ = false;
  sockaddr_storage source_{};
  sockaddr_storage destination_{};
  std::string error_;  // what was wrong (error)
};

// Reads a v1 or v2 header at the start of `bytes`.
parsed parse(std::string_view bytes);

}  // namespace tandem::runtime::proxy::proxy_protocol
