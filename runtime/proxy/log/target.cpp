// See target.hpp.
#include "runtime/proxy/log/target.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tandem::runtime::proxy::log {

namespace {
std::atomic<std::uint64_t> dropped{0};
std::atomic<bool> reported{false};
std::function<void(std::string_view)>& failure_report() {
  static std::function<void(std::string_view)> report;
  return report;
}
}  // namespace

std::uint64_t dropped_logs() {
  return dropped.load(std::memory_order_relaxed);
}

void report_failures_to(std::function<void(std::string_view)> report) {
  failure_report() = std::move(report);
}

target::target(target_spec spec) : spec_(std::move(spec)) {
  if (spec_.kind_ == target_spec::kind::fd) {
    fd_ = spec_.fd_;
    return;
  }
  // Created once, shared by every thread: sendto() on one datagram socket is thread-safe.
  fd_ = ::socket(spec_.address_.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ >= 0) {
    // Nothing is ever read from it.
    const int zero = 0;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &zero, sizeof zero);
    ::shutdown(fd_, SHUT_RD);
  }
}

target::~target() {
  if (fd_ >= 0 && spec_.kind_ != target_spec::kind::fd)
    ::close(fd_);
}

void target::send(int level, const sender& from, std::chrono::system_clock::time_point now,
                  std::string_view message, std::string_view structured, int number) {
  if (level > spec_.level_)
    return;
  write(frame(spec_, level, from, now, message, structured), number);
}

void target::write(std::string_view datagram, int number) {
  if (fd_ < 0) {
    dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  ssize_t n = -1;
  if (spec_.kind_ == target_spec::kind::fd) {
    // A pipe or terminal that cannot take the line now drops it rather than blocking the
    // session (HAProxy writes fds non-blocking too); the descriptor's own flags are left alone
    // because the process's stderr messages share it.
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) != 0) {
      n = ::write(fd_, datagram.data(), datagram.size());
    }
  } else {
    n = ::sendto(fd_, datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&spec_.address_), spec_.address_length_);
  }
  if (n >= 0)
    return;
  const int error = errno;
  dropped.fetch_add(1, std::memory_order_relaxed);
  if (error == EAGAIN || error == EWOULDBLOCK)
    return;
  if (failure_report() && !reported.exchange(true)) {
    failure_report()("sendmsg()/writev() failed in logger #" + std::to_string(number) + ": " +
                     std::strerror(error) + " (errno=" + std::to_string(error) + ")");
  }
}

}  // namespace tandem::runtime::proxy::log
