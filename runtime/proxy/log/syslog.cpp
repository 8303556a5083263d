// See syslog.hpp.
#include "runtime/proxy/log/syslog.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <cstring>
#include <ctime>

namespace tandem::runtime::proxy::log {

namespace {

constexpr std::array<std::string_view, 24> facilities = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "auth2",  "ftp",    "ntp",    "audit",  "alert",  "cron2",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
constexpr std::array<std::string_view, 8> severities = {"emerg",   "alert",  "crit", "err",
                                                        "warning", "notice", "info", "debug"};
constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool number_of(std::string_view s, unsigned long& out) {
  if (s.empty())
    return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// host[:port] for IPv4 or IPv6 (a bare IPv6 address takes its last ":N" as the port when the
// rest still reads as an address, as HAProxy's str2sa_range does).
bool inet_address(std::string_view family, std::string_view text, sockaddr_storage& out,
                  socklen_t& length) {
  std::string host(text);
  unsigned long port = 514;
  auto set_port = [&](std::string_view p) { return number_of(p, port) && port <= 65535; };
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string::npos)
      return false;
    std::string rest = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!rest.empty()) {
      if (rest.front() != ':' || !set_port(std::string_view(rest).substr(1)))
        return false;
    }
  } else {
    const std::size_t colon = host.rfind(':');
    if (colon != std::string::npos) {
      const std::string before = host.substr(0, colon);
      const std::string after = host.substr(colon + 1);
      in6_addr probe{};
      if (before.find(':') == std::string::npos ||
          inet_pton(AF_INET6, before.c_str(), &probe) == 1) {
        if (!after.empty() && !set_port(after))
          return false;
        host = before;
      }
    }
  }
  std::memset(&out, 0, sizeof out);
  if (family != "ipv6" && family != "udp6") {
    auto& a = reinterpret_cast<sockaddr_in&>(out);
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) == 1) {
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(port));
      length = sizeof(sockaddr_in);
      return true;
    }
  }
  if (family != "ipv4" && family != "udp4") {
    auto& a = reinterpret_cast<sockaddr_in6&>(out);
    if (inet_pton(AF_INET6, host.c_str(), &a.sin6_addr) == 1) {
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(static_cast<std::uint16_t>(port));
      length = sizeof(sockaddr_in6);
      return true;
    }
  }
  // A name: resolved once, now, as HAProxy resolves it while reading the configuration (the
  // first IPv4 answer, else the first answer).
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_family = family == "ipv4" || family == "udp4"   ? AF_INET
                    : family == "ipv6" || family == "udp6" ? AF_INET6
                                                           : AF_UNSPEC;
  addrinfo* found = nullptr;
  if (host.empty() || ::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 ||
      found == nullptr) {
    return false;
  }
  const addrinfo* pick = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  std::memcpy(&out, pick->ai_addr, pick->ai_addrlen);
  length = static_cast<socklen_t>(pick->ai_addrlen);
  if (out.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(out).sin_port = htons(static_cast<std::uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6&>(out).sin6_port = htons(static_cast<std::uint16_t>(port));
  }
  ::freeaddrinfo(found);
  return true;
}

std::tm local(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::localtime_r(&secs, &tm);
  return tm;
}

}  // namespace

int facility_number(std::string_view name) {
  for (std::size_t i = 0; i < facilities.size(); ++i) {
    if (facilities[i] == name)
      return static_cast<int>(i);
  }
  return -1;
}

int severity_number(std::string_view name) {
  for (std::size_t i = 0; i < severities.size(); ++i) {
    if (severities[i] == name)
      return static_cast<int>(i);
  }
  return -1;
}

std::optional<syslog_format> format_named(std::string_view name) {
  if (name == "local")
    return syslog_format::local;
  if (name == "rfc3164")
    return syslog_format::rfc3164;
  if (name == "rfc5424")
    return syslog_format::rfc5424;
  if (name == "priority")
    return syslog_format::priority;
  if (name == "short")
    return syslog_format::short_;
  if (name == "timed")
    return syslog_format::timed;
  if (name == "iso")
    return syslog_format::iso;
  if (name == "raw")
    return syslog_format::raw;
  return std::nullopt;
}

std::optional<target_spec> parse_target(std::span<const std::string> words, std::string& error) {
  target_spec t;
  if (words.empty()) {
    error = "'log' expects either <address[:port]> followed by <facility>, or 'global'";
    return std::nullopt;
  }
  std::string_view a = words[0];
  t.text_ = std::string(a);
  std::string_view family;
  if (const std::size_t at = a.find('@'); at != std::string_view::npos) {
    family = a.substr(0, at);
    a.remove_prefix(at + 1);
  }
  if (words[0] == "stdout" || words[0] == "stderr") {
    t.kind_ = target_spec::kind::fd;
    t.fd_ = words[0] == "stdout" ? 1 : 2;
  } else if (family == "fd") {
    unsigned long fd = 0;
    if (!number_of(a, fd) || fd > 65535) {
      error = "'log': invalid file descriptor in '" + t.text_ + "'";
      return std::nullopt;
    }
    t.kind_ = target_spec::kind::fd;
    t.fd_ = static_cast<int>(fd);
  } else if (family == "unix" || (family.empty() && a.starts_with('/'))) {
    t.kind_ = target_spec::kind::unix_dgram;
    auto& un = reinterpret_cast<sockaddr_un&>(t.address_);
    if (a.size() >= sizeof un.sun_path) {
      error = "'log': socket path too long: '" + std::string(a) + "'";
      return std::nullopt;
    }
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, a.data(), a.size());
    t.address_length_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + a.size() + 1);
  } else if (family == "ring") {
    error = "'log ring@…' (a ring buffer for 'show events') is not supported by Tandem";
    return std::nullopt;
  } else if (family.empty() || family == "ipv4" || family == "ipv6" || family == "udp" ||
             family == "udp4" || family == "udp6") {
    if (!inet_address(family, a, t.address_, t.address_length_)) {
      error = "'log': cannot resolve address '" + t.text_ + "'";
      return std::nullopt;
    }
  } else {
    error = "'log': unsupported address family '" + std::string(family) + "' in '" + t.text_ + "'";
    return std::nullopt;
  }
  std::size_t i = 1;
  while (i < words.size()) {
    if (words[i] == "len" && i + 1 < words.size()) {
      unsigned long n = 0;
      if (!number_of(words[i + 1], n) || n < 80 || n > 65535) {
        error = "'log': 'len' expects a length from 80 to 65535, not '" + words[i + 1] + "'";
        return std::nullopt;
      }
      t.max_length_ = n;
      i += 2;
    } else if (words[i] == "format" && i + 1 < words.size()) {
      const auto f = format_named(words[i + 1]);
      if (!f) {
        error = "'log': unknown log format '" + words[i + 1] + "'";
        return std::nullopt;
      }
      t.format_ = *f;
      t.format_given_ = true;
      i += 2;
    } else if (words[i] == "sample") {
      error = "'log … sample' (sending a sample of the lines) is not supported by Tandem";
      return std::nullopt;
    } else {
      break;
    }
  }
  if (i >= words.size()) {
    error = "'log' expects <facility> after the address";
    return std::nullopt;
  }
  t.facility_ = facility_number(words[i]);
  if (t.facility_ < 0) {
    error = "'log': unknown facility '" + words[i] + "'";
    return std::nullopt;
  }
  ++i;
  if (i < words.size()) {
    t.level_ = severity_number(words[i]);
    if (t.level_ < 0) {
      error = "'log': unknown optional log level '" + words[i] + "'";
      return std::nullopt;
    }
    ++i;
  }
  if (i < words.size()) {
    t.min_level_ = severity_number(words[i]);
    if (t.min_level_ < 0) {
      error = "'log': unknown optional minimum log level '" + words[i] + "'";
      return std::nullopt;
    }
    ++i;
  }
  if (i < words.size()) {
    error = "'log': unexpected word '" + words[i] + "'";
    return std::nullopt;
  }
  return t;
}

std::string legacy_time(std::chrono::system_clock::time_point t) {
  const std::tm tm = local(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s %2d %02d:%02d:%02d",
                months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  const std::tm tm = local(t);
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() %
      1'000'000;
  const long offset = tm.tm_gmtoff;
  const long off = offset < 0 ? -offset : offset;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld%c%02ld:%02ld",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(us), offset < 0 ? '-' : '+', off / 3600, (off / 60) % 60);
  return buf;
}

std::string frame(const target_spec& target, int level, const sender& from,
                  std::chrono::system_clock::time_point now, std::string_view message,
                  std::string_view structured) {
  // HAProxy drops trailing newlines and NULs of the message before framing it.
  while (!message.empty() && (message.back() == '\n' || message.back() == '\0')) {
    message.remove_suffix(1);
  }
  syslog_format format = target.format_;
  // log-send-hostname turns the default "local" format into rfc3164 with the host name.
  if (!target.format_given_ && !from.host_.empty())
    format = syslog_format::rfc3164;
  const int effective = level < target.min_level_ ? target.min_level_ : level;
  const std::string pid = from.pid_.empty() ? std::to_string(::getpid()) : from.pid_;
  std::string out;
  out.reserve(message.size() + 64);
  switch (format) {
    case syslog_format::local:
    case syslog_format::rfc3164:
    case syslog_format::rfc5424:
    case syslog_format::priority:
      out += '<' + std::to_string(target.facility_ * 8 + effective) + '>';
      break;
    case syslog_format::timed:
    case syslog_format::short_:
      out += '<' + std::to_string(effective) + '>';
      break;
    case syslog_format::iso:
    case syslog_format::raw:
      break;
  }
  switch (format) {
    case syslog_format::local:
    case syslog_format::rfc3164:
      out += legacy_time(now);
      out += ' ';
      if (format == syslog_format::rfc3164) {
        out += from.host_.empty() ? std::string_view("localhost") : std::string_view(from.host_);
        out += ' ';
      }
      if (!from.tag_.empty()) {
        out += from.tag_;
        if (!pid.empty()) {
          out += '[';
          out += pid;
          out += ']';
        }
        out += ": ";
      }
      break;
    case syslog_format::rfc5424:
      out += "1 ";
      out += iso_time(now);
      out += ' ';
      out += from.host_.empty() ? std::string_view("-") : std::string_view(from.host_);
      out += ' ';
      out += from.tag_.empty() ? std::string_view("-") : std::string_view(from.tag_);
      out += ' ';
      out += pid;
      out += " - ";
      out += structured.empty() ? std::string_view("-") : structured;
      out += ' ';
      break;
    case syslog_format::timed:
    case syslog_format::iso:
      out += iso_time(now);
      out += ' ';
      break;
    case syslog_format::priority:
    case syslog_format::short_:
    case syslog_format::raw:
      break;
  }
  if (out.size() >= target.max_length_) {
    out.resize(target.max_length_);
  } else {
    out += message.substr(0, target.max_length_ - out.size());
  }
  out += '\n';
  return out;
}

}  // namespace tandem::runtime::proxy::log
