// See process_handover.hpp.
#include "runtime/core/process_handover.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tandem::runtime {

namespace {

// SCM_MAX_FD is 253: batches stay below it.
constexpr std::size_t batch_size = 64;
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

bool send_all(int fd, std::string_view text, const int* fds, std::size_t count) {
  msghdr msg{};
  iovec iov{const_cast<char*>(text.data()), text.size()};
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
  if (sent != static_cast<ssize_t>(text.size())) return false;
  return true;
}

}  // namespace

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

std::error_code answer_handover(int client, const std::vector<listening_socket>& sockets) {
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
  for (std::size_t first = 0; first < sockets.size(); first += batch_size) {
    const std::size_t count = std::min(batch_size, sockets.size() - first);
    std::string text;
    std::vector<int> fds;
    for (std::size_t i = first; i < first + count; ++i) {
      text += sockets[i].key_;
      text += '\n';
      fds.push_back(sockets[i].fd_);
    }
    if (!send_all(client, text, fds.data(), fds.size())) return last_error();
  }
  if (!send_all(client, "\n", nullptr, 0)) return last_error();
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
  std::string text;
  std::error_code ec;
  const auto done = [&text] {
    return text == "\n" || (text.size() >= 2 && text.ends_with("\n\n"));
  };
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sun), length) != 0) {
    ec = last_error();
  } else if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
             static_cast<ssize_t>(request.size())) {
    ec = last_error();
  } else {
    while (!done()) {
      char buffer[8192];
      iovec iov{buffer, sizeof buffer};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 253)];
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
      if (msg.msg_flags & MSG_CTRUNC) ec = std::make_error_code(std::errc::message_size);
      text.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  std::vector<std::string> keys;
  if (!ec) {
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      if (end == start) break;  // the empty line that ends the answer
      keys.emplace_back(text.substr(start, end - start));
    }
    if (keys.size() != fds.size()) ec = std::make_error_code(std::errc::bad_message);
  }
  if (ec) {
    for (const int f : fds) ::close(f);
    return ec;
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    out.push_back({std::move(keys[i]), fds[i]});
  }
  return {};
}

}  // namespace tandem::runtime
