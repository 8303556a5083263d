// See process_privileges.hpp.
#include "runtime/core/process_privileges.hpp"

#include <grp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace tandem::runtime {

namespace {

std::optional<unsigned long> number(std::string_view text) {
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The id of `name` in /etc/passwd or /etc/group (name:password:id:...). The executable is linked
// statically, where getpwnam()'s NSS modules cannot be loaded safely: the files are read as
// they are, which is what a machine without a directory service has.
std::optional<unsigned long> id_in(const char* file, std::string_view name) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t first = line.find(':');
    if (first == std::string::npos || std::string_view(line).substr(0, first) != name) continue;
    const std::size_t second = line.find(':', first + 1);
    if (second == std::string::npos) continue;
    const std::size_t third = line.find(':', second + 1);
    return number(std::string_view(line).substr(second + 1, third - second - 1));
  }
  return std::nullopt;
}

// HAProxy prints errno after a failed lookup; getpwnam leaves it 0 for "no such entry".
std::string errno_text(int e) {
  std::string text(1, '(');
  text += std::to_string(e);
  text += ':';
  text += std::strerror(e);
  text += ')';
  return text;
}

}  // namespace

bool resolve_identity(std::string_view user, std::string_view group, identity& out,
                      std::string& error) {
  if (!user.empty()) {
    const std::string name(user);
    errno = 0;
    if (const auto id = id_in("/etc/passwd", user)) {
      out.uid_ = static_cast<uid_t>(*id);
    } else if (const auto n = number(user)) {
      out.uid_ = static_cast<uid_t>(*n);  // `uid 103`
    } else {
      error = "cannot find user id for '" + name + "' " + errno_text(errno);
      return false;
    }
  }
  if (!group.empty()) {
    const std::string name(group);
    errno = 0;
    if (const auto id = id_in("/etc/group", group)) {
      out.gid_ = static_cast<gid_t>(*id);
    } else if (const auto n = number(group)) {
      out.gid_ = static_cast<gid_t>(*n);  // `gid 106`
    } else {
      error = "cannot find group id for '" + name + "' " + errno_text(errno);
      return false;
    }
  }
  return true;
}

bool change_root(const std::string& path, std::string& error) {
  if (::chroot(path.c_str()) != 0 || ::chdir("/") != 0) {
    error = "Cannot chroot(" + path + ").";
    return false;
  }
  return true;
}

bool drop_privileges(const identity& id, std::string& error) {
  if (id.gid_) {
    // Supplementary groups root had (0 and friends) would otherwise survive the drop.
    if (::setgroups(0, nullptr) != 0 && errno != EPERM) {
      error = std::string("Failed to drop supplementary groups: ") + std::strerror(errno) + ".";
      return false;
    }
    if (::setgid(*id.gid_) != 0) {
      error = "Cannot set gid " + std::to_string(*id.gid_) + ".";
      return false;
    }
  }
  if (id.uid_ && ::setuid(*id.uid_) != 0) {
    error = "Cannot set uid " + std::to_string(*id.uid_) + ".";
    return false;
  }
  return true;
}

unsigned long fd_need(unsigned long maxconn, unsigned long listening_sockets) {
  // Measured on HAProxy 2.6: maxconn 100 with one listener and a stats socket gives Maxsock 228.
  constexpr unsigned long own = 26;
  return 2 * maxconn + listening_sockets + own;
}

bool raise_fd_limit(unsigned long wanted, std::string& error) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return true;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= wanted) return true;
  if (limit.rlim_cur == RLIM_INFINITY) return true;
  rlimit raised{static_cast<rlim_t>(wanted), std::max<rlim_t>(limit.rlim_max, wanted)};
  if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    error = "Cannot raise FD limit to " + std::to_string(wanted) + ", limit is " +
            std::to_string(limit.rlim_cur) + ".";
    return false;
  }
  return true;
}

std::optional<long long> parse_milliseconds(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  long long value = 0;
  std::from_chars(text.data(), text.data() + digits, value);
  const std::string_view unit = text.substr(digits);
  if (unit.empty() || unit == "ms") return value;
  if (unit == "us") return value / 1000;
  if (unit == "s") return value * 1000;
  if (unit == "m") return value * 60'000;
  if (unit == "h") return value * 3'600'000;
  if (unit == "d") return value * 86'400'000;
  return std::nullopt;
}

}  // namespace tandem::runtime
