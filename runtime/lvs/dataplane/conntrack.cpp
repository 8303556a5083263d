// ctnetlink's conntrack dump, read and parsed (see conntrack.hpp). Attribute numbers are
// linux/netfilter/nfnetlink_conntrack.h's.
#include "runtime/lvs/dataplane/conntrack.hpp"

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace tandem::runtime::lvs::dataplane {
namespace {

struct attr {
  std::uint16_t type_;
  std::span<const std::uint8_t> data_;
};

// The attributes at one nesting level (NLA_F_NESTED and byte-order flags masked off).
std::vector<attr> attrs(std::span<const std::uint8_t> d) {
  std::vector<attr> out;
  while (d.size() >= 4) {
    std::uint16_t len, type;
    std::memcpy(&len, d.data(), 2);
    std::memcpy(&type, d.data() + 2, 2);
    if (len < 4 || len > d.size()) break;
    out.push_back({static_cast<std::uint16_t>(type & NLA_TYPE_MASK), d.subspan(4, len - 4u)});
    const std::size_t step = (len + 3u) & ~3u;
    if (step >= d.size()) break;
    d = d.subspan(step);
  }
  return out;
}

std::uint16_t be16(std::span<const std::uint8_t> d) {
  return d.size() >= 2 ? static_cast<std::uint16_t>(d[0] << 8 | d[1]) : 0;
}
std::uint32_t be32(std::span<const std::uint8_t> d) {
  return d.size() >= 4 ? std::uint32_t{d[0]} << 24 | std::uint32_t{d[1]} << 16 |
                             std::uint32_t{d[2]} << 8 | d[3]
                       : 0;
}

ct_tuple tuple(std::span<const std::uint8_t> d) {
  ct_tuple t;
  for (const auto& a : attrs(d)) {
    if (a.type_ == CTA_TUPLE_IP) {
      for (const auto& ip : attrs(a.data_)) {
        if ((ip.type_ == CTA_IP_V4_SRC || ip.type_ == CTA_IP_V4_DST) && ip.data_.size() == 4) {
          boost::asio::ip::address_v4 v(be32(ip.data_));
          (ip.type_ == CTA_IP_V4_SRC ? t.source_ : t.destination_) = v;
        } else if ((ip.type_ == CTA_IP_V6_SRC || ip.type_ == CTA_IP_V6_DST) &&
                   ip.data_.size() == 16) {
          boost::asio::ip::address_v6::bytes_type b;
          std::memcpy(b.data(), ip.data_.data(), 16);
          (ip.type_ == CTA_IP_V6_SRC ? t.source_ : t.destination_) = boost::asio::ip::address_v6(b);
        }
      }
    } else if (a.type_ == CTA_TUPLE_PROTO) {
      for (const auto& p : attrs(a.data_)) {
        if (p.type_ == CTA_PROTO_NUM && !p.data_.empty()) t.protocol_ = p.data_[0];
        else if (p.type_ == CTA_PROTO_SRC_PORT) t.source_port_ = be16(p.data_);
        else if (p.type_ == CTA_PROTO_DST_PORT) t.destination_port_ = be16(p.data_);
      }
    }
  }
  return t;
}

}  // namespace

std::vector<ct_entry> parse_conntrack(std::span<const std::uint8_t> data) {
  std::vector<ct_entry> out;
  while (data.size() >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, data.data(), sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > data.size()) break;
    const auto msg = data.subspan(0, h.nlmsg_len);
    const std::size_t step = NLMSG_ALIGN(h.nlmsg_len);
    data = step >= data.size() ? std::span<const std::uint8_t>{} : data.subspan(step);
    if ((h.nlmsg_type >> 8) != NFNL_SUBSYS_CTNETLINK || (h.nlmsg_type & 0xff) != IPCTNL_MSG_CT_NEW)
      continue;
    const std::size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
    if (msg.size() < head) continue;
    ct_entry e;
    for (const auto& a : attrs(msg.subspan(head))) {
      if (a.type_ == CTA_TUPLE_ORIG) e.original_ = tuple(a.data_);
      else if (a.type_ == CTA_TUPLE_REPLY) e.reply_ = tuple(a.data_);
      else if (a.type_ == CTA_MARK) e.mark_ = be32(a.data_);
      else if (a.type_ == CTA_PROTOINFO) {
        for (const auto& p : attrs(a.data_))
          if (p.type_ == CTA_PROTOINFO_TCP)
            for (const auto& t : attrs(p.data_))
              if (t.type_ == CTA_PROTOINFO_TCP_STATE && !t.data_.empty()) e.tcp_state_ = t.data_[0];
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::error_code dump_conntrack(int family, std::vector<ct_entry>& out) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (fd < 0) return {errno, std::system_category()};
  struct closer {
    int fd_;
    ~closer() { ::close(fd_); }
  } c{fd};
  struct {
    nlmsghdr h;
    nfgenmsg g;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.g.nfgen_family = static_cast<std::uint8_t>(family);
  req.g.version = NFNETLINK_V0;
  if (::send(fd, &req, sizeof req, 0) < 0) return {errno, std::system_category()};
  std::vector<std::uint8_t> buf(65536);
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) return std::make_error_code(std::errc::timed_out);
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) return {errno, std::system_category()};
    const std::span<const std::uint8_t> got(buf.data(), static_cast<std::size_t>(n));
    auto entries = parse_conntrack(got);
    out.insert(out.end(), std::make_move_iterator(entries.begin()),
               std::make_move_iterator(entries.end()));
    // The dump ends with NLMSG_DONE (or an error) somewhere in a read.
    std::span<const std::uint8_t> d = got;
    while (d.size() >= sizeof(nlmsghdr)) {
      nlmsghdr h;
      std::memcpy(&h, d.data(), sizeof h);
      if (h.nlmsg_type == NLMSG_DONE) return {};
      if (h.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr e{};
        if (d.size() >= NLMSG_HDRLEN + sizeof e) std::memcpy(&e, d.data() + NLMSG_HDRLEN, sizeof e);
        return e.error ? std::error_code{-e.error, std::system_category()} : std::error_code{};
      }
      if (h.nlmsg_len < sizeof h) break;
      const std::size_t step = NLMSG_ALIGN(h.nlmsg_len);
      if (step >= d.size()) break;
      d = d.subspan(step);
    }
  }
}

}  // namespace tandem::runtime::lvs::dataplane
