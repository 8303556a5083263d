// rtnetlink message building and parsing (see netlink.hpp).
#include "runtime/vrrp/io/netlink.hpp"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace tandem::runtime::vrrp::io {

namespace {

class message {
 public:
  message(std::uint16_t type, std::uint16_t flags, std::uint32_t seq) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = seq;
    append(&h, sizeof h);
  }
  template <typename T>
  void body(const T& t) {
    append(&t, sizeof t);
  }
  void attr(std::uint16_t type, const void* data, std::size_t len) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
    append(&a, sizeof a);
    append(data, len);
  }
  void attr(std::uint16_t type, const ip_address& ip) { attr(type, ip.bytes().data(), ip.size()); }
  void attr_u32(std::uint16_t type, std::uint32_t v) { attr(type, &v, sizeof v); }
  void attr_str(std::uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  // A nested attribute: open() returns where its header is; close() fixes its length.
  std::size_t open(std::uint16_t type) {
    const std::size_t at = bytes_.size();
    rtattr a{};
    a.rta_type = type;
    append(&a, sizeof a);
    return at;
  }
  void close(std::size_t at) {
    const auto len = static_cast<unsigned short>(bytes_.size() - at);
    std::memcpy(bytes_.data() + at, &len, sizeof len);  // rta_len is the first field
  }
  std::vector<std::uint8_t> done() {
    const auto len = static_cast<std::uint32_t>(bytes_.size());
    std::memcpy(bytes_.data(), &len, sizeof len);  // nlmsg_len is the first field
    return std::move(bytes_);
  }

 private:
  void append(const void* data, std::size_t len) {
    const auto* p = static_cast<const std::uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + len);
    bytes_.resize((bytes_.size() + 3) & ~std::size_t{3}, 0);  // NLMSG_ALIGN / RTA_ALIGN
  }
  std::vector<std::uint8_t> bytes_;
};

std::uint8_t af(address_family f) { return f == address_family::ipv4 ? AF_INET : AF_INET6; }

}  // namespace

std::vector<std::uint8_t> build_address_request(bool add, int ifindex, const address_spec& a,
                                                std::uint32_t seq) {
  message m(add ? RTM_NEWADDR : RTM_DELADDR,
            NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq);
  ifaddrmsg ifa{};
  ifa.ifa_family = af(a.address_.family());
  ifa.ifa_prefixlen = static_cast<unsigned char>(a.prefix_);
  ifa.ifa_scope = a.scope_;
  ifa.ifa_index = static_cast<unsigned>(ifindex);
  std::uint32_t flags = 0;
  if (a.nodad_) flags |= IFA_F_NODAD;
  if (a.noprefixroute_) flags |= IFA_F_NOPREFIXROUTE;
  if (a.home_) flags |= IFA_F_HOMEADDRESS;
  ifa.ifa_flags = static_cast<unsigned char>(flags & 0xff);
  m.body(ifa);
  // IFA_LOCAL is the address; IFA_ADDRESS the peer for a point-to-point address.
  m.attr(IFA_LOCAL, a.address_);
  m.attr(IFA_ADDRESS, a.peer_ ? *a.peer_ : a.address_);
  if (add) {
    if (a.broadcast_ && a.address_.family() == address_family::ipv4) m.attr(IFA_BROADCAST, *a.broadcast_);
    if (!a.label_.empty() && a.address_.family() == address_family::ipv4) m.attr_str(IFA_LABEL, a.label_);
    if (flags > 0xff) m.attr_u32(IFA_FLAGS, flags);
  }
  return m.done();
}

std::vector<std::uint8_t> build_route_request(bool add, int ifindex, const route_spec& r,
                                              std::uint32_t seq) {
  message m(add ? RTM_NEWROUTE : RTM_DELROUTE,
            NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq);
  rtmsg rt{};
  rt.rtm_family = af(r.family_);
  rt.rtm_dst_len = r.destination_ ? static_cast<unsigned char>(r.prefix_) : 0;
  rt.rtm_table = r.table_ < 256 ? static_cast<unsigned char>(r.table_) : static_cast<unsigned char>(RT_TABLE_UNSPEC);
  rt.rtm_protocol = RTPROT_BOOT;  // as `ip route add` without proto
  rt.rtm_scope = r.scope_;
  using kind = route_spec::kind;
  switch (r.type_) {
    case kind::unicast: rt.rtm_type = RTN_UNICAST; break;
    case kind::blackhole: rt.rtm_type = RTN_BLACKHOLE; break;
    case kind::unreachable: rt.rtm_type = RTN_UNREACHABLE; break;
    case kind::prohibit: rt.rtm_type = RTN_PROHIBIT; break;
    case kind::throw_: rt.rtm_type = RTN_THROW; break;
  }
  m.body(rt);
  if (r.destination_) m.attr(RTA_DST, *r.destination_);
  if (r.via_) m.attr(RTA_GATEWAY, *r.via_);
  if (r.source_) m.attr(RTA_PREFSRC, *r.source_);
  if (ifindex > 0) m.attr_u32(RTA_OIF, static_cast<std::uint32_t>(ifindex));
  if (r.metric_) m.attr_u32(RTA_PRIORITY, *r.metric_);
  if (r.table_ >= 256) m.attr_u32(RTA_TABLE, r.table_);
  return m.done();
}

std::vector<std::uint8_t> build_macvlan_request(bool add, const std::string& name, int parent,
                                                const std::array<std::uint8_t, 6>& mac,
                                                std::uint32_t seq) {
  message m(add ? RTM_NEWLINK : RTM_DELLINK,
            NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (add) {
    ifi.ifi_flags = IFF_UP;
    ifi.ifi_change = IFF_UP;
  }
  m.body(ifi);
  m.attr_str(IFLA_IFNAME, name);
  if (add) {
    m.attr_u32(IFLA_LINK, static_cast<std::uint32_t>(parent));
    m.attr(IFLA_ADDRESS, mac.data(), mac.size());
    const std::size_t info = m.open(IFLA_LINKINFO);
    m.attr(IFLA_INFO_KIND, "macvlan", 7);
    const std::size_t data = m.open(IFLA_INFO_DATA);
    m.attr_u32(IFLA_MACVLAN_MODE, MACVLAN_MODE_PRIVATE);
    m.close(data);
    m.close(info);
  }
  return m.done();
}

std::vector<std::uint8_t> build_rule_request(bool add, const rule_spec& r, std::uint32_t seq) {
  message m(add ? RTM_NEWRULE : RTM_DELRULE,
            NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0), seq);
  fib_rule_hdr h{};
  h.family = af(r.family_);
  h.dst_len = r.to_ ? static_cast<std::uint8_t>(r.to_len_) : 0;
  h.src_len = r.from_ ? static_cast<std::uint8_t>(r.from_len_) : 0;
  h.tos = r.tos_;
  h.table = r.table_ < 256 ? static_cast<std::uint8_t>(r.table_) : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
  h.action = FR_ACT_TO_TBL;
  m.body(h);
  if (r.from_) m.attr(FRA_SRC, *r.from_);
  if (r.to_) m.attr(FRA_DST, *r.to_);
  if (r.priority_) m.attr_u32(FRA_PRIORITY, *r.priority_);
  if (r.table_ >= 256) m.attr_u32(FRA_TABLE, r.table_);
  if (!r.iif_.empty()) m.attr_str(FRA_IIFNAME, r.iif_);
  if (!r.oif_.empty()) m.attr_str(FRA_OIFNAME, r.oif_);
  if (r.fwmark_) m.attr_u32(FRA_FWMARK, *r.fwmark_);
  if (r.fwmask_) m.attr_u32(FRA_FWMASK, *r.fwmask_);
  return m.done();
}

std::vector<netlink_event> parse_netlink(std::span<const std::uint8_t> data) {
  std::vector<netlink_event> out;
  std::size_t off = 0;
  while (off + sizeof(nlmsghdr) <= data.size()) {
    nlmsghdr h;
    std::memcpy(&h, data.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof h || off + h.nlmsg_len > data.size()) break;
    const std::uint8_t* payload = data.data() + off + NLMSG_HDRLEN;
    const std::size_t payload_len = h.nlmsg_len - NLMSG_HDRLEN;
    netlink_event e;
    e.seq_ = h.nlmsg_seq;
    if (h.nlmsg_type == NLMSG_ERROR && payload_len >= sizeof(nlmsgerr)) {
      nlmsgerr err;
      std::memcpy(&err, payload, sizeof err);
      e.kind_ = err.error == 0 ? netlink_event::kind::ack : netlink_event::kind::error;
      e.error_ = err.error;
      e.seq_ = err.msg.nlmsg_seq;
    } else if ((h.nlmsg_type == RTM_NEWLINK || h.nlmsg_type == RTM_DELLINK) &&
               payload_len >= sizeof(ifinfomsg)) {
      ifinfomsg ifi;
      std::memcpy(&ifi, payload, sizeof ifi);
      e.kind_ = netlink_event::kind::link;
      e.ifindex_ = ifi.ifi_index;
      e.up_ = (ifi.ifi_flags & IFF_UP) != 0;
      e.running_ = (ifi.ifi_flags & IFF_RUNNING) != 0;
      e.deleted_ = h.nlmsg_type == RTM_DELLINK;
      std::size_t a = NLMSG_ALIGN(sizeof(ifinfomsg));
      while (a + sizeof(rtattr) <= payload_len) {
        rtattr ra;
        std::memcpy(&ra, payload + a, sizeof ra);
        if (ra.rta_len < sizeof ra || a + ra.rta_len > payload_len) break;
        if (ra.rta_type == IFLA_IFNAME) {
          const char* s = reinterpret_cast<const char*>(payload + a + RTA_LENGTH(0));
          e.name_.assign(s, strnlen(s, ra.rta_len - RTA_LENGTH(0)));
        }
        a += RTA_ALIGN(ra.rta_len);
      }
    }
    out.push_back(std::move(e));
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return out;
}

}  // namespace tandem::runtime::vrrp::io
