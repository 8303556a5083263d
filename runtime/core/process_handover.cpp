// See process_handover.hpp.
#include "runtime/core/process_handover.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tandem::runtime {

namespace {

// HAProxy's MAX_SEND_FD (the kernel's SCM_MAX_FD).
constexpr std::size_t batch_size = 253;
constexpr std::string_view request = "_getsocks\n";

std::error_code last_error() { return {errno, std::generic_category()}; }

bool to_sockaddr(const std::string& address, sockaddr_un& sun, socklen_t& length) {
  sun = {};
  sun.sun_family = AF_UNIX;
  const bool abstract = address.starts_with('@');
  const std::string_view name = abstract ? std::string_view(address).substr(1) : address;
  // An abstract name starts with a NUL byte and has no terminator.
  const std::size_t offset = abstract ? 1 : 0;
  if (name.empty() || name.size() + offset >= sizeof sun.sun_path) return false;
  std::memcpy(sun.sun_path + offset, name.data(), name.size());
  length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset + name.size() +
                                  (abstract ? 0 : 1));
  return true;
}

void set_timeouts(int fd) {
  const timeval two_seconds{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &two_seconds, sizeof two_seconds);
}

bool send_message(int fd, const void* data, std::size_t size, const int* fds, std::size_t count) {
  msghdr msg{};
  iovec iov{const_cast<void*>(data), size};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (count > 0) {
    control.resize(CMSG_SPACE(sizeof(int) * count));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * count);
    std::memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
  }
  ssize_t sent;
  do {
    sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(size);
}

bool receive_exactly(int fd, void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::recv(fd, p, size, MSG_WAITALL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string bound_interface(int fd) {
  char name[IFNAMSIZ + 1] = {};
  socklen_t length = IFNAMSIZ;
  if (::getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &length) != 0) return {};
  return std::string(name, ::strnlen(name, length));
}

}  // namespace

std::string address_key(const sockaddr_storage& a, std::string_view interface, bool v6only,
                        bool transparent, std::string_view network_namespace) {
  char text[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  std::string key;
  if (a.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
    key = "ipv4@";
  } else if (a.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
    key = "ipv6@";
  } else {
    return {};  // unix and other families: not a listener Tandem binds
  }
  key += text;
  key += ':';
  key += std::to_string(port);
  if (!interface.empty()) {
    key += " interface ";
    key += interface;
  }
  if (v6only && a.ss_family == AF_INET6) key += " v6only";
  if (transparent) key += " transparent";
  if (!network_namespace.empty()) {
    key += " namespace ";
    key += network_namespace;
  }
  return key;
}

std::string socket_key(int fd, std::string_view interface, std::string_view network_namespace) {
  sockaddr_storage a{};
  socklen_t length = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length) != 0) return {};
  int v6only = 0, transparent = 0;
  socklen_t size = sizeof v6only;
  if (a.ss_family == AF_INET6) ::getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &size);
  size = sizeof transparent;
  ::getsockopt(fd, SOL_IP, IP_TRANSPARENT, &transparent, &size);
  return address_key(a, interface, v6only != 0, transparent != 0, network_namespace);
}

std::string handover_address(pid_t pid) {
  return "@tandem-haproxy-listeners-" + std::to_string(pid);
}

int open_handover_socket(const std::string& address, std::error_code& ec) {
  sockaddr_un sun;
  socklen_t length = 0;
  if (!to_sockaddr(address, sun, length)) {
    ec = std::make_error_code(std::errc::filename_too_long);
    return -1;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = last_error();
    return -1;
  }
  if (!address.starts_with('@')) ::unlink(sun.sun_path);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sun), length) != 0 || ::listen(fd, 8) != 0) {
    ec = last_error();
    ::close(fd);
    return -1;
  }
  return fd;
}

std::error_code answer_handover(int client, const std::vector<int>& fds) {
  set_timeouts(client);
  // Whoever holds the listening sockets can take the ports over: root and the proxy's own
  // user only (an abstract socket has no file permissions to protect it).
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(client, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) return last_error();
  if (peer.uid != 0 && peer.uid != ::geteuid()) {
    return std::make_error_code(std::errc::permission_denied);
  }
  std::string asked;
  char buffer[64];
  while (asked.find('\n') == std::string::npos && asked.size() < 256) {
    const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? last_error() : std::make_error_code(std::errc::connection_aborted);
    asked.append(buffer, static_cast<std::size_t>(n));
  }
  if (!asked.starts_with(request)) return std::make_error_code(std::errc::invalid_argument);
  // As HAProxy: nothing to offer is no answer at all.
  if (fds.empty()) return {};
  const int total = static_cast<int>(fds.size());
  if (!send_message(client, &total, sizeof total, nullptr, 0)) return last_error();
  for (std::size_t first = 0; first < fds.size(); first += batch_size) {
    const std::size_t count = std::min(batch_size, fds.size() - first);
    std::string records;
    for (std::size_t i = first; i < first + count; ++i) {
      const std::string interface = bound_interface(fds[i]);
      records += '\0';  // no network namespace
      records += static_cast<char>(interface.size());
      records += interface;
      records.append(4, '\0');  // what used to be the listener's options
    }
    if (!send_message(client, records.data(), records.size(), fds.data() + first, count)) {
      return last_error();
    }
    if (count == batch_size) {
      int ack = 0;
      if (!receive_exactly(client, &ack, sizeof ack)) return last_error();
    }
  }
  return {};
}

std::error_code fetch_listeners(const std::string& address, std::vector<listening_socket>& out) {
  sockaddr_un sun;
  socklen_t length = 0;
  if (!to_sockaddr(address, sun, length)) return std::make_error_code(std::errc::invalid_argument);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_error();
  set_timeouts(fd);
  std::vector<int> fds;
  std::string records;
  std::error_code ec;
  int total = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), length) != 0) {
    ec = last_error();
  } else if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
             static_cast<ssize_t>(request.size())) {
    ec = last_error();
  } else if (!receive_exactly(fd, &total, sizeof total) || total <= 0) {
    ec = std::make_error_code(std::errc::no_message);  // HAProxy's "nothing to transfer" too
  } else {
    while (static_cast<int>(fds.size()) < total) {
      char buffer[batch_size * (1 + 255 + 1 + IFNAMSIZ + 4)];
      iovec iov{buffer, sizeof buffer};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * batch_size)];
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ec = n < 0 ? last_error() : std::make_error_code(std::errc::connection_aborted);
        break;
      }
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
          const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
          const int* received = reinterpret_cast<const int*>(CMSG_DATA(c));
          fds.insert(fds.end(), received, received + count);
        }
      }
      records.append(buffer, static_cast<std::size_t>(n));
      if (msg.msg_flags & MSG_CTRUNC) {
        ec = std::make_error_code(std::errc::message_size);
        break;
      }
      const int ack = static_cast<int>(fds.size());
      ::send(fd, &ack, sizeof ack, MSG_NOSIGNAL);  // the sender waits for it after a full batch
    }
  }
  ::close(fd);
  // Each socket's record: namespace length and name, interface length and name, 4 bytes.
  std::vector<listening_socket> got;
  std::size_t at = 0;
  for (std::size_t i = 0; !ec && i < fds.size(); ++i) {
    std::string names[2];
    for (std::string& name : names) {
      if (at >= records.size()) break;
      const std::size_t size = static_cast<unsigned char>(records[at++]);
      if (at + size > records.size()) break;
      name = records.substr(at, size);
      at += size;
    }
    if (at + 4 > records.size()) {
      ec = std::make_error_code(std::errc::bad_message);
      break;
    }
    at += 4;
    got.push_back({socket_key(fds[i], names[1], names[0]), fds[i]});
  }
  if (static_cast<int>(fds.size()) != total && !ec) ec = std::make_error_code(std::errc::bad_message);
  if (ec) {
    for (const int f : fds) ::close(f);
    return ec;
  }
  out.insert(out.end(), got.begin(), got.end());
  return {};
}

}  // namespace tandem::runtime
