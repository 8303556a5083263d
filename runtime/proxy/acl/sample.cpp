// Sample values and HAProxy 2.6's casts between their types (see sample.hpp).
#include "runtime/proxy/acl/sample.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <limits>

namespace tandem::runtime::proxy::acl {

namespace {

constexpr std::string_view method_names[] = {"OPTIONS", "GET",    "HEAD",  "POST",
                                             "PUT",     "DELETE", "TRACE", "CONNECT"};

// The IPv4 address inside an IPv6 one HAProxy's v6tov4() accepts: ::ffff:a.b.c.d (RFC 4291)
// and 2002:AABB:CCDD::/48 (6to4, RFC 3056).
bool v6_to_v4(const std::array<std::uint8_t, 16>& a, std::uint8_t out[4]) {
  static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.data(), mapped, 12) == 0) {
    std::memcpy(out, a.data() + 12, 4);
    return true;
  }
  if (a[0] == 0x20 && a[1] == 0x02) {
    std::memcpy(out, a.data() + 2, 4);
    return true;
  }
  return false;
}

void v4_to_v6(std::array<std::uint8_t, 16>& a) {
  std::uint8_t v4[4];
  std::memcpy(v4, a.data(), 4);
  a.fill(0);
  a[10] = a[11] = 0xff;
  std::memcpy(a.data() + 12, v4, 4);
}

}  // namespace

http_method find_method(std::string_view name) {
  for (std::size_t i = 0; i < std::size(method_names); ++i) {
    if (name == method_names[i]) {
      return static_cast<http_method>(i);
    }
  }
  return http_method::other;
}

std::string_view method_name(http_method m) {
  const auto i = static_cast<std::size_t>(m);
  return i < std::size(method_names) ? method_names[i] : std::string_view();
}

sample sample::boolean(bool b) {
  sample s;
  s.type_ = smp_type::bool_;
  s.sint_ = b ? 1 : 0;
  return s;
}

sample sample::integer(std::int64_t v) {
  sample s;
  s.type_ = smp_type::sint_;
  s.sint_ = v;
  return s;
}

sample sample::view(std::string_view text, smp_type t) {
  sample s;
  s.type_ = t;
  s.set_view(text);
  if (t == smp_type::meth_) {
    s.meth_ = find_method(text);
  }
  return s;
}

sample sample::owned(std::string text, smp_type t) {
  sample s;
  s.type_ = t;
  s.set_owned(std::move(text));
  if (t == smp_type::meth_) {
    s.meth_ = find_method(s.text());
  }
  return s;
}

std::int64_t leading_integer(std::string_view s, std::size_t* used) {
  std::size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    negative = s[i] == '-';
    ++i;
  }
  // Accumulated as a negative number so that INT64_MIN fits; saturates like strtoll.
  std::int64_t v = 0;
  bool overflow = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const int d = s[i] - '0';
    if (v < (std::numeric_limits<std::int64_t>::min() + d) / 10) {
      overflow = true;
    } else {
      v = v * 10 - d;
    }
  }
  if (used != nullptr) {
    *used = i;
  }
  if (overflow) {
    return negative ? std::numeric_limits<std::int64_t>::min()
                    : std::numeric_limits<std::int64_t>::max();
  }
  if (negative) {
    return v;
  }
  return v == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max()
                                                       : -v;
}

bool parse_address(std::string_view text, sample& s) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) {
    return false;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    s.type_ = smp_type::ipv4_;
    s.addr_.fill(0);
    std::memcpy(s.addr_.data(), &v4, 4);
    return true;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    s.type_ = smp_type::ipv6_;
    std::memcpy(s.addr_.data(), &v6, 16);
    return true;
  }
  return false;
}

bool cast(sample& s, smp_type to) {
  using t = smp_type;
  if (s.type_ == to) {
    return true;
  }
  switch (s.type_) {
    case t::bool_:
    case t::sint_:
      switch (to) {
        case t::bool_:
          s.sint_ = s.sint_ != 0;
          s.type_ = to;
          return true;
        case t::sint_:
          s.type_ = to;
          return true;
        case t::str_:
          s.set_owned(std::to_string(s.sint_));
          s.type_ = to;
          return true;
        case t::ipv4_:
        case t::ipv6_: {
          if (s.type_ == t::bool_) {
            return false;
          }
          // c_int2ip(): the integer is the address in host order.
          const auto v = static_cast<std::uint32_t>(s.sint_);
          const std::uint32_t n = htonl(v);
          s.addr_.fill(0);
          std::memcpy(s.addr_.data(), &n, 4);
          s.type_ = t::ipv4_;
          if (to == t::ipv6_) {
            v4_to_v6(s.addr_);
            s.type_ = t::ipv6_;
          }
          return true;
        }
        case t::bin_: {
          if (s.type_ == t::bool_) {
            return false;
          }
          // c_int2bin(): eight bytes, big endian.
          std::string b(8, '\0');
          const auto v = static_cast<std::uint64_t>(s.sint_);
          for (int i = 0; i < 8; ++i) {
            b[i] = static_cast<char>((v >> (56 - 8 * i)) & 0xff);
          }
          s.set_owned(std::move(b));
          s.type_ = to;
          return true;
        }
        case t::meth_:
          return false;
      }
      return false;
    case t::ipv4_:
      switch (to) {
        case t::sint_: {
          std::uint32_t n = 0;
          std::memcpy(&n, s.addr_.data(), 4);
          s.sint_ = ntohl(n);
          s.type_ = to;
          return true;
        }
        case t::ipv6_:
          v4_to_v6(s.addr_);
          s.type_ = to;
          return true;
        case t::str_:
        case t::bin_: {
          if (to == t::bin_) {
            s.set_owned(std::string(reinterpret_cast<const char*>(s.addr_.data()), 4));
          } else {
            s.set_owned(to_text(s));
          }
          s.type_ = to;
          return true;
        }
        default:
          return false;
      }
    case t::ipv6_:
      switch (to) {
        case t::ipv4_: {
          std::uint8_t v4[4];
          if (!v6_to_v4(s.addr_, v4)) {
            return false;
          }
          s.addr_.fill(0);
          std::memcpy(s.addr_.data(), v4, 4);
          s.type_ = to;
          return true;
        }
        case t::str_:
          s.set_owned(to_text(s));
          s.type_ = to;
          return true;
        case t::bin_:
          s.set_owned(std::string(reinterpret_cast<const char*>(s.addr_.data()), 16));
          s.type_ = to;
          return true;
        default:
          return false;
      }
    case t::str_:
      switch (to) {
        case t::bool_:
        case t::sint_: {
          // c_str2int(): an empty string fails, anything else reads its leading integer.
          const std::string_view v = s.text();
          if (v.empty()) {
            return false;
          }
          s.sint_ = leading_integer(v);
          if (to == t::bool_) {
            s.sint_ = s.sint_ != 0;
          }
          s.type_ = to;
          return true;
        }
        case t::ipv4_:
        case t::ipv6_: {
          sample a;
          if (!parse_address(s.text(), a)) {
            return false;
          }
          s.addr_ = a.addr_;
          s.type_ = a.type_;
          return cast(s, to);
        }
        case t::bin_:
          s.type_ = to;
          return true;
        case t::meth_:
          s.meth_ = find_method(s.text());
          s.type_ = to;
          return true;
        default:
          return false;
      }
    case t::bin_:
      if (to == t::str_) {
        s.type_ = to;
        return true;
      }
      if (to == t::meth_) {
        s.meth_ = find_method(s.text());
        s.type_ = to;
        return true;
      }
      return false;
    case t::meth_:
      if (to == t::str_ || to == t::bin_) {
        // A known method's text is its name; an unknown one keeps the request's text.
        if (s.meth_ != http_method::other) {
          s.set_view(method_name(s.meth_));
        }
        s.type_ = to;
        return true;
      }
      return false;
  }
  return false;
}

std::string to_text(const sample& s) {
  switch (s.type_) {
    case smp_type::bool_:
    case smp_type::sint_:
      return std::to_string(s.sint_);
    case smp_type::ipv4_: {
      char buf[INET_ADDRSTRLEN];
      if (inet_ntop(AF_INET, s.addr_.data(), buf, sizeof buf) == nullptr) {
        return {};
      }
      return buf;
    }
    case smp_type::ipv6_: {
      char buf[INET6_ADDRSTRLEN];
      if (inet_ntop(AF_INET6, s.addr_.data(), buf, sizeof buf) == nullptr) {
        return {};
      }
      return buf;
    }
    case smp_type::meth_:
      if (s.meth_ != http_method::other) {
        return std::string(method_name(s.meth_));
      }
      return std::string(s.text());
    case smp_type::str_:
    case smp_type::bin_:
      return std::string(s.text());
  }
  return {};
}

}  // namespace tandem::runtime::proxy::acl
