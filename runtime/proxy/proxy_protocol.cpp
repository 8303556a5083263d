// See proxy_protocol.hpp.
#include "runtime/proxy/proxy_protocol.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace tandem::runtime::proxy::proxy_protocol {

namespace {

constexpr std::string_view v2_signature("\r\n\r\n\0\r\nQUIT\n", 12);
constexpr std::size_t v1_max = 107;  // the spec's longest v1 line, CRLF included

bool is_v4(const sockaddr_storage& a) { return a.ss_family == AF_INET; }
bool is_v6(const sockaddr_storage& a) { return a.ss_family == AF_INET6; }

// An IPv4-mapped IPv6 address as the IPv4 it is (HAProxy logs and sends those as IPv4).
sockaddr_storage unmapped(const sockaddr_storage& a) {
  if (!is_v6(a)) return a;
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(a);
  if (!IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) return a;
  sockaddr_storage out{};
  auto& in4 = reinterpret_cast<sockaddr_in&>(out);
  in4.sin_family = AF_INET;
  in4.sin_port = in6.sin6_port;
  std::memcpy(&in4.sin_addr, in6.sin6_addr.s6_addr + 12, 4);
  return out;
}

std::string text_of(const sockaddr_storage& a) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (is_v4(a)) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, buffer, sizeof buffer);
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, buffer, sizeof buffer);
  }
  return buffer;
}

std::uint16_t port_of(const sockaddr_storage& a) {
  return ntohs(is_v4(a) ? reinterpret_cast<const sockaddr_in&>(a).sin_port
                        : reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
}

bool parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool parse_address(std::string_view text, std::uint16_t port, bool v6, sockaddr_storage& out) {
  const std::string s(text);
  out = {};
  if (v6) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(out);
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    return inet_pton(AF_INET6, s.c_str(), &in6.sin6_addr) == 1;
  }
  auto& in4 = reinterpret_cast<sockaddr_in&>(out);
  in4.sin_family = AF_INET;
  in4.sin_port = htons(port);
  return inet_pton(AF_INET, s.c_str(), &in4.sin_addr) == 1;
}

parsed fail(std::string why) {
  parsed p;
  p.state_ = parse_state::error;
  p.error_ = std::move(why);
  return p;
}

parsed parse_v1(std::string_view bytes) {
  const std::size_t crlf = bytes.find("\r\n");
  if (crlf == std::string_view::npos) {
    if (bytes.size() >= v1_max) return fail("PROXY v1 line too long");
    return {};
  }
  if (crlf + 2 > v1_max) return fail("PROXY v1 line too long");
  std::string_view line = bytes.substr(0, crlf);
  std::string_view words[6];
  std::size_t n = 0;
  while (!line.empty() && n < 6) {
    const std::size_t space = line.find(' ');
    words[n++] = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  }
  parsed p;
  p.consumed_ = crlf + 2;
  if (n >= 2 && words[1] == "UNKNOWN") {
    p.state_ = parse_state::done;
    return p;
  }
  if (n != 6 || !line.empty()) return fail("malformed PROXY v1 line");
  const bool v6 = words[1] == "TCP6";
  if (!v6 && words[1] != "TCP4") return fail("unknown PROXY v1 protocol");
  std::uint16_t sport = 0;
  std::uint16_t dport = 0;
  if (!parse_port(words[4], sport) || !parse_port(words[5], dport) ||
      !parse_address(words[2], sport, v6, p.source_) ||
      !parse_address(words[3], dport, v6, p.destination_)) {
    return fail("bad address or port in PROXY v1 line");
  }
  p.has_addresses_ = true;
  p.state_ = parse_state::done;
  return p;
}

parsed parse_v2(std::string_view bytes) {
  if (bytes.size() < 16) return {};
  const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  if ((b(12) & 0xF0) != 0x20) return fail("unknown PROXY protocol version");
  const std::size_t length = (std::size_t(b(14)) << 8) | b(15);
  if (bytes.size() < 16 + length) return {};
  parsed p;
  p.consumed_ = 16 + length;
  const unsigned command = b(12) & 0x0F;
  if (command == 0x0) {  // LOCAL: the sender's own connection (health checks)
    p.state_ = parse_state::done;
    return p;
  }
  if (command != 0x1) return fail("unknown PROXY v2 command");
  const unsigned family = b(13);
  const std::string_view body = bytes.substr(16, length);
  if (family == 0x11) {  // TCP over IPv4
    if (body.size() < 12) return fail("PROXY v2 address block too short");
    auto& s = reinterpret_cast<sockaddr_in&>(p.source_);
    auto& d = reinterpret_cast<sockaddr_in&>(p.destination_);
    s.sin_family = d.sin_family = AF_INET;
    std::memcpy(&s.sin_addr, body.data(), 4);
    std::memcpy(&d.sin_addr, body.data() + 4, 4);
    std::memcpy(&s.sin_port, body.data() + 8, 2);
    std::memcpy(&d.sin_port, body.data() + 10, 2);
    p.has_addresses_ = true;
  } else if (family == 0x21) {  // TCP over IPv6
    if (body.size() < 36) return fail("PROXY v2 address block too short");
    auto& s = reinterpret_cast<sockaddr_in6&>(p.source_);
    auto& d = reinterpret_cast<sockaddr_in6&>(p.destination_);
    s.sin6_family = d.sin6_family = AF_INET6;
    std::memcpy(&s.sin6_addr, body.data(), 16);
    std::memcpy(&d.sin6_addr, body.data() + 16, 16);
    std::memcpy(&s.sin6_port, body.data() + 32, 2);
    std::memcpy(&d.sin6_port, body.data() + 34, 2);
    p.has_addresses_ = true;
  }
  // UNSPEC, UDP and unix families: accepted, the connection's own addresses are kept.
  p.state_ = parse_state::done;
  return p;
}

}  // namespace

std::string encode_v1(const sockaddr_storage& source_in, const sockaddr_storage& destination_in) {
  const sockaddr_storage source = unmapped(source_in);
  const sockaddr_storage destination = unmapped(destination_in);
  if (source.ss_family != destination.ss_family || (!is_v4(source) && !is_v6(source))) {
    return "PROXY UNKNOWN\r\n";
  }
  std::string out = is_v4(source) ? "PROXY TCP4 " : "PROXY TCP6 ";
  out += text_of(source);
  out += ' ';
  out += text_of(destination);
  out += ' ';
  out += std::to_string(port_of(source));
  out += ' ';
  out += std::to_string(port_of(destination));
  out += "\r\n";
  return out;
}

std::string encode_v2(const sockaddr_storage& source_in, const sockaddr_storage& destination_in) {
  const sockaddr_storage source = unmapped(source_in);
  const sockaddr_storage destination = unmapped(destination_in);
  std::string out(v2_signature);
  out.push_back(static_cast<char>(0x21));  // version 2, PROXY
  if (source.ss_family == AF_INET && destination.ss_family == AF_INET) {
    const auto& s = reinterpret_cast<const sockaddr_in&>(source);
    const auto& d = reinterpret_cast<const sockaddr_in&>(destination);
    out.push_back(static_cast<char>(0x11));
    out.push_back(0);
    out.push_back(12);
    out.append(reinterpret_cast<const char*>(&s.sin_addr), 4);
    out.append(reinterpret_cast<const char*>(&d.sin_addr), 4);
    out.append(reinterpret_cast<const char*>(&s.sin_port), 2);
    out.append(reinterpret_cast<const char*>(&d.sin_port), 2);
  } else if (source.ss_family == AF_INET6 && destination.ss_family == AF_INET6) {
    const auto& s = reinterpret_cast<const sockaddr_in6&>(source);
    const auto& d = reinterpret_cast<const sockaddr_in6&>(destination);
    out.push_back(static_cast<char>(0x21));
    out.push_back(0);
    out.push_back(36);
    out.append(reinterpret_cast<const char*>(&s.sin6_addr), 16);
    out.append(reinterpret_cast<const char*>(&d.sin6_addr), 16);
    out.append(reinterpret_cast<const char*>(&s.sin6_port), 2);
    out.append(reinterpret_cast<const char*>(&d.sin6_port), 2);
  } else {
    out.push_back(0);  // UNSPEC
    out.push_back(0);
    out.push_back(0);
  }
  return out;
}

parsed parse(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (bytes[0] == 'P') {
    constexpr std::string_view prefix = "PROXY ";
    const std::size_t n = std::min(bytes.size(), prefix.size());
    if (bytes.substr(0, n) != prefix.substr(0, n)) return fail("not a PROXY protocol header");
    if (bytes.size() < prefix.size()) return {};
    return parse_v1(bytes);
  }
  const std::size_t n = std::min(bytes.size(), v2_signature.size());
  if (bytes.substr(0, n) != v2_signature.substr(0, n)) return fail("not a PROXY protocol header");
  if (bytes.size() < v2_signature.size()) return {};
  return parse_v2(bytes);
}

}  // namespace tandem::runtime::proxy::proxy_protocol
