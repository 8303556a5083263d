// The VRRP daemon's adapters (see daemon.hpp). Everything runs on one io_context; sockets are
// non-blocking and waited on with async_wait; child processes (scripts, notifies) are forked
// and reaped on SIGCHLD. Each event ends with drain(): every instance's actions carried out
// (a sync group moves other members too) and every timer re-armed to next_deadline().
#include "runtime/vrrp/io/daemon.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "runtime/vrrp/io/frames.hpp"
#include "runtime/vrrp/io/netlink.hpp"
#include "runtime/vrrp/io/smtp.hpp"
#include "runtime/vrrp/packet.hpp"
#include "runtime/vrrp/wire.hpp"

namespace tandem::runtime::vrrp::io {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

time_point now() { return to_vrrp_time(steady::now()); }

steady::time_point to_steady(time_point t) {
  return steady::time_point(std::chrono::duration_cast<steady::duration>(t.time_since_epoch()));
}

const char* state_word(state s) {
  switch (s) {
    case state::init: return "INIT";
    case state::backup: return "BACKUP";
    case state::master: return "MASTER";
    case state::fault: return "FAULT";
  }
  return "?";
}

// A file descriptor closed on destruction, waited on through Asio.
struct fd_watch {
  explicit fd_watch(asio::io_context& io, int fd) : sd_(io, fd) {}
  asio::posix::stream_descriptor sd_;
  int fd() { return sd_.native_handle(); }
};

std::optional<mac_address> interface_mac(const std::string& name) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return std::nullopt;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const int r = ::ioctl(s, SIOCGIFHWADDR, &ifr);
  ::close(s);
  if (r < 0) return std::nullopt;
  mac_address m{};
  std::memcpy(m.data(), ifr.ifr_hwaddr.sa_data, 6);
  return m;
}

std::optional<bool> interface_running(const std::string& name) {
  const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return std::nullopt;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  const int r = ::ioctl(s, SIOCGIFFLAGS, &ifr);
  ::close(s);
  if (r < 0) return std::nullopt;
  return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

// The interface's first address of a family (IPv6: link-local), as keepalived picks its
// source address.
std::optional<ip_address> interface_address(const std::string& name, address_family family) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return std::nullopt;
  std::optional<ip_address> found;
  for (ifaddrs* i = list; i && !found; i = i->ifa_next) {
    if (!i->ifa_addr || name != i->ifa_name) continue;
    if (family == address_family::ipv4 && i->ifa_addr->sa_family == AF_INET) {
      std::array<std::uint8_t, 4> b{};
      std::memcpy(b.data(), &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, 4);
      found = ip_address::v4(b);
    } else if (family == address_family::ipv6 && i->ifa_addr->sa_family == AF_INET6) {
      const auto* s6 = reinterpret_cast<sockaddr_in6*>(i->ifa_addr);
      if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr)) {
        std::array<std::uint8_t, 16> b{};
        std::memcpy(b.data(), &s6->sin6_addr, 16);
        found = ip_address::v6(b);
      }
    }
  }
  ::freeifaddrs(list);
  return found;
}

sockaddr_storage to_sockaddr(const ip_address& a, int ifindex, socklen_t& len) {
  sockaddr_storage ss{};
  if (a.family() == address_family::ipv4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    std::memcpy(&s->sin_addr, a.bytes().data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    std::memcpy(&s->sin6_addr, a.bytes().data(), 16);
    s->sin6_scope_id = static_cast<std::uint32_t>(ifindex);
    len = sizeof(sockaddr_in6);
  }
  return ss;
}

ip_address from_sockaddr(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
    return ip_address::v4(b);
  }
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, 16);
  return ip_address::v6(b);
}

std::string with_errno(std::string what) { return what + ": " + std::strerror(errno); }

// PATH search as keepalived does for a script's first word.
std::string resolve_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t b = 0;
  while (b <= p.size()) {
    const std::size_t e = std::min(p.find(':', b), p.size());
    std::string dir = p.substr(b, e - b);
    if (dir.empty()) dir = ".";
    const std::string full = dir + "/" + name;
    if (::access(full.c_str(), X_OK) == 0) return full;
    b = e + 1;
  }
  return {};
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  bool in = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quote) {
      if (ch == quote) quote = 0; else cur += ch;
    } else if (ch == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in = true;
    } else if (ch == '"' || ch == '\'') {
      quote = ch;
      in = true;
    } else if (ch == ' ' || ch == '\t') {
      if (in) words.push_back(std::move(cur));
      cur.clear();
      in = false;
    } else {
      cur += ch;
      in = true;
    }
  }
  if (in) words.push_back(std::move(cur));
  return words;
}

struct run_as {
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

// fork + exec without a shell, stdio on /dev/null, as keepalived runs scripts. The child
// resets the signal mask and dispositions Asio's signal_set changed.
pid_t spawn(const std::vector<std::string>& argv, const run_as& as) {
  if (argv.empty()) return -1;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  sigset_t all;
  sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int sig : {SIGCHLD, SIGTERM, SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGPIPE}) ::signal(sig, SIG_DFL);
  ::setsid();
  const int null = ::open("/dev/null", O_RDWR);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
  }
  if (as.gid_ != 0 || as.uid_ != 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(as.gid_) != 0 || ::setuid(as.uid_) != 0) _exit(127);
  }
  ::execv(args[0], args.data());
  _exit(127);
}

}  // namespace

struct daemon::impl {
  impl(asio::io_context& io, daemon_spec spec, daemon_options opt)
      : io_(io), spec_(std::move(spec)), opt_(std::move(opt)) {}
  asio::io_context& io_;
  daemon_spec spec_;
  daemon_options opt_;
  bool stopping_ = false;

  // ---- logging -------------------------------------------------------------
  void log(const std::string& line) {
    if (opt_.log_) opt_.log_(line);
  }

  // ---- netlink -------------------------------------------------------------
  std::unique_ptr<fd_watch> nl_cmd_;
  std::unique_ptr<fd_watch> nl_link_;
  std::uint32_t nl_seq_ = 1;
  std::map<std::uint32_t, std::string> nl_pending_;  // seq -> what, for error messages
  std::array<std::uint8_t, 16384> nl_buf_{};

  bool open_netlink() {
    int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
      log(with_errno("Error opening the netlink command channel"));
      return false;
    }
    sockaddr_nl sa{};
    sa.nl_family = AF_NETLINK;
    ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    nl_cmd_ = std::make_unique<fd_watch>(io_, fd);
    log("Registering Kernel netlink command channel");
    fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
      log(with_errno("Error opening the netlink reflector"));
      return false;
    }
    sa.nl_groups = RTMGRP_LINK;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      log(with_errno("Error binding the netlink reflector"));
      return false;
    }
    nl_link_ = std::make_unique<fd_watch>(io_, fd);
    log("Registering Kernel netlink reflector");
    wait_nl_cmd();
    wait_nl_link();
    return true;
  }

  void nl_send(std::vector<std::uint8_t> msg, std::string what) {
    if (!nl_cmd_) return;
    const std::uint32_t seq = nl_seq_ - 1;
    sockaddr_nl to{};
    to.nl_family = AF_NETLINK;
    // rtnetlink handles a request inside sendto(), so the change is made when this returns.
    if (::sendto(nl_cmd_->fd(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
      log(with_errno("Netlink: error sending " + what));
      return;
    }
    nl_pending_[seq] = std::move(what);
  }
  std::uint32_t next_seq() { return nl_seq_++; }

  void wait_nl_cmd() {
    nl_cmd_->sd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
      if (ec || !nl_cmd_) return;
      for (;;) {
        const ssize_t n = ::recv(nl_cmd_->fd(), nl_buf_.data(), nl_buf_.size(), MSG_DONTWAIT);
        if (n <= 0) break;
        for (const netlink_event& e : parse_netlink({nl_buf_.data(), static_cast<std::size_t>(n)})) {
          if (e.kind_ != netlink_event::kind::ack && e.kind_ != netlink_event::kind::error) continue;
          const auto it = nl_pending_.find(e.seq_);
          if (it == nl_pending_.end()) continue;
          const int err = -e.error_;
          // Adding what is there, or removing what is not, is the expected case at start and
          // after a crash; keepalived says nothing either.
          const bool add = it->second.rfind("add", 0) == 0;
          if (err != 0 && !(add && err == EEXIST) &&
              !(!add && (err == EADDRNOTAVAIL || err == ESRCH || err == ENOENT || err == ENODEV))) {
            log("Netlink: error: " + std::string(std::strerror(err)) + ", " + it->second);
          }
          nl_pending_.erase(it);
        }
      }
      wait_nl_cmd();
    });
  }

  void wait_nl_link() {
    nl_link_->sd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
      if (ec || !nl_link_) return;
      for (;;) {
        const ssize_t n = ::recv(nl_link_->fd(), nl_buf_.data(), nl_buf_.size(), MSG_DONTWAIT);
        if (n <= 0) break;
        for (const netlink_event& e : parse_netlink({nl_buf_.data(), static_cast<std::size_t>(n)})) {
          if (e.kind_ == netlink_event::kind::link) on_link(e);
        }
      }
      drain();
      wait_nl_link();
    });
  }

  std::map<std::string, bool> link_up_;

  void on_link(const netlink_event& e) {
    std::string name = e.name_;
    if (name.empty()) {
      char buf[IF_NAMESIZE] = {};
      if (::if_indextoname(static_cast<unsigned>(e.ifindex_), buf)) name = buf;
    }
    if (name.empty()) return;
    const bool up = !e.deleted_ && e.up_ && e.running_;
    const auto it = link_up_.find(name);
    if (it == link_up_.end() || it->second == up) return;  // not ours, or no change
    it->second = up;
    log("Netlink reports " + name + (up ? " up" : " down"));
    const time_point t = now();
    for (auto& in : instances_) {
      if (in->spec_.interface_ == name) {
        if (up) refresh_interface(*in);
        in->machine_->on_interface(t, up);
      }
      for (std::size_t k = 0; k < in->spec_.trackers_.size(); ++k) {
        const tracker_binding& b = in->spec_.trackers_[k];
        if (b.kind_ == tracker_kind::interface && b.target_ == name) in->machine_->on_tracker(t, k, up);
      }
    }
  }

  // ---- addresses -----------------------------------------------------------
  int ifindex_of(const std::string& name) { return static_cast<int>(::if_nametoindex(name.c_str())); }

  void set_rules(const instance_spec& s, bool add) {
    for (const rule_spec& r : s.rules_) {
      const std::uint32_t seq = next_seq();
      nl_send(build_rule_request(add, r, seq), (add ? "add rule " : "delete rule ") + r.text_);
    }
  }

  void set_addresses(const instance_spec& s, bool add) {
    if (!add) set_rules(s, false);
    if (!add) {
      for (const route_spec& r : s.routes_) {
        const std::uint32_t seq = next_seq();
        nl_send(build_route_request(false, r.device_.empty() ? 0 : ifindex_of(r.device_), r, seq),
                "delete route " + r.text_);
      }
    }
    auto each = [&](const std::vector<address_spec>& list) {
      for (const address_spec& a : list) {
        const int idx = ifindex_of(a.device_);
        if (idx == 0) {
          // Removing from an interface that is not there (a VMAC before it is made) is done.
          if (add) log("(" + s.config_.name_ + ") cannot find interface " + a.device_ + " for " + a.text_);
          continue;
        }
        const std::uint32_t seq = next_seq();
        nl_send(build_address_request(add, idx, a, seq), (add ? "add address " : "delete address ") + a.text_);
      }
    };
    each(s.vips_);
    each(s.excluded_);
    if (add) {
      for (const route_spec& r : s.routes_) {
        const std::uint32_t seq = next_seq();
        nl_send(build_route_request(true, r.device_.empty() ? 0 : ifindex_of(r.device_), r, seq),
                "add route " + r.text_);
      }
      set_rules(s, true);
    }
  }

  // ---- gratuitous ARP / NA ---------------------------------------------------
  std::unique_ptr<fd_watch> packet_;

  void open_packet_socket() {
    if (!packet_) {
      const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        log(with_errno("Error opening the gratuitous ARP channel"));
        return;
      }
      packet_ = std::make_unique<fd_watch>(io_, fd);
      log("Registering gratuitous ARP shared channel");
    }
  }

  void send_garps(const instance_spec& s, unsigned repeat) {
    if (repeat == 0) return;
    open_packet_socket();
    if (!packet_) return;
    auto each = [&](const std::vector<address_spec>& list) {
      for (const address_spec& a : list) {
        const bool v4 = a.address_.family() == address_family::ipv4;
        log("(" + s.config_.name_ + ") Sending/queueing " + (v4 ? "gratuitous ARPs" : "Unsolicited Neighbour Adverts") +
            " on " + a.device_ + " for " + a.address_.to_string());
        const auto mac = interface_mac(a.device_);
        const int idx = ifindex_of(a.device_);
        if (!mac || idx == 0) continue;
        std::vector<std::uint8_t> frame;
        if (v4) {
          frame = build_gratuitous_arp(*mac, a.address_);
        } else {
          const auto ll = interface_address(a.device_, address_family::ipv6);
          if (!ll) continue;
          frame = build_unsolicited_na(*mac, *ll, a.address_);
        }
        sockaddr_ll to{};
        to.sll_family = AF_PACKET;
        to.sll_ifindex = idx;
        to.sll_halen = 6;
        to.sll_protocol = htons(v4 ? 0x0806 : 0x86dd);
        std::memcpy(to.sll_addr, frame.data(), 6);
        for (unsigned r = 0; r < repeat; ++r) {
          if (opt_.log_detail_) {
            log(std::string(v4 ? "Sending gratuitous ARP" : "Sending unsolicited Neighbour Advert") + " on " +
                a.device_ + " for " + a.address_.to_string());
          }
          ::sendto(packet_->fd(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        }
      }
    };
    each(s.vips_);
    each(s.excluded_);
  }

  // ---- instances -------------------------------------------------------------
  struct instance_rt {
    instance_spec spec_;
    std::unique_ptr<instance> machine_;
    std::unique_ptr<fd_watch> sock_;
    std::unique_ptr<asio::steady_timer> timer_;
    std::optional<time_point> armed_;
    int ifindex_ = 0;
    std::string dev_;     // where the socket sends and receives: the interface, or the vmac
    int dev_index_ = 0;
    ip_address source_;
    rx_config rx_;
    rx_stats stats_;
    ah_counter ah_tx_, ah_rx_;
    std::uint16_t ip_id_ = 0;
    std::uint64_t sent_ = 0, became_master_ = 0, released_master_ = 0, pri0_sent_ = 0;
    std::array<std::uint8_t, 4096> buf_{};
    bool timer_fired_ = false;  // the last state change came from the master-down timer
    std::optional<state> last_email_state_;
  };
  std::vector<std::unique_ptr<instance_rt>> instances_;
  std::vector<std::unique_ptr<sync_group>> groups_;
  std::map<const sync_group*, const sync_group_spec*> group_specs_;

  void refresh_interface(instance_rt& in) {
    in.ifindex_ = ifindex_of(in.spec_.interface_);
    if (!in.spec_.source_) {
      if (auto a = interface_address(in.spec_.interface_, in.spec_.config_.family_)) in.source_ = *a;
    }
  }

  bool open_socket(instance_rt& in) {
    const instance_config& cfg = in.spec_.config_;
    const bool v4 = cfg.family_ == address_family::ipv4;
    const int proto = v4 && cfg.auth_ == auth_type::ah ? int{IPPROTO_AH} : int{ipproto_vrrp};
    const int fd = ::socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    const std::string who = "(" + cfg.name_ + ") ";
    if (fd < 0) {
      log(with_errno(who + "cannot open a raw VRRP socket"));
      return false;
    }
    in.sock_ = std::make_unique<fd_watch>(io_, fd);
    const std::string& ifname = in.dev_;
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), static_cast<socklen_t>(ifname.size())) != 0) {
      log(with_errno(who + "cannot bind to device " + ifname));
      return false;
    }
    const int one = 1, zero = 0, ttl = 255;
    const bool unicast = !in.spec_.transport_.unicast_peers_.empty();
    const ip_address& group = in.spec_.transport_.multicast_group_;
    if (v4) {
      ::setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one);
      if (!unicast) {
        ip_mreqn mr{};
        std::memcpy(&mr.imr_multiaddr, group.bytes().data(), 4);
        mr.imr_ifindex = in.dev_index_;
        if (::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
          log(with_errno(who + "cannot join " + group.to_string() + " on " + ifname));
          return false;
        }
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof mr);
        ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero);
      }
    } else {
      const int offset = 6;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &offset, sizeof offset);
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof ttl);
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof zero);
      const unsigned idx = static_cast<unsigned>(in.dev_index_);
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
      if (!in.source_.bytes().empty()) {
        socklen_t len = 0;
        sockaddr_storage ss = to_sockaddr(in.source_, in.ifindex_, len);
        ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len);  // the link-local source of adverts
      }
      if (!unicast) {
        ipv6_mreq mr{};
        std::memcpy(&mr.ipv6mr_multiaddr, group.bytes().data(), 16);
        mr.ipv6mr_interface = idx;
        if (::setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
          log(with_errno(who + "cannot join " + group.to_string() + " on " + ifname));
          return false;
        }
      }
    }
    if (opt_.log_detail_) {
      log("VRRP sockpool: [ifindex(" + std::string(in.dev_index_ < 10 ? "  " : in.dev_index_ < 100 ? " " : "") +
          std::to_string(in.dev_index_) + "), family(" + (v4 ? "IPv4" : "IPv6") + "), proto(" + std::to_string(proto) +
          "), fd(" + std::to_string(fd) + "," + std::to_string(fd) + ") " +
          (unicast ? "unicast" : "multicast, address(" + group.to_string() + ")") + "]");
    }
    wait_socket(in);
    return true;
  }

  void wait_socket(instance_rt& in) {
    in.sock_->sd_.async_wait(asio::posix::stream_descriptor::wait_read, [this, &in](boost::system::error_code ec) {
      if (ec || !in.sock_) return;
      read_socket(in);
      drain();
      if (in.sock_) wait_socket(in);
    });
  }

  // Every instance's socket sees every advert on its interface. A packet of another of our
  // instances is not this one's to check; one of a VRID we do not run is counted once, by the
  // first instance on the interface and family.
  // (keepalived looks the instance up by VRID before any check, and drops an unknown VRID
  // silently.)
  bool not_ours_to_check(instance_rt& in, std::uint8_t vrid) {
    if (vrid == in.spec_.config_.vrid_) return false;
    const instance_rt* first = nullptr;
    for (const auto& o : instances_) {
      if (o->spec_.interface_ != in.spec_.interface_ || o->spec_.config_.family_ != in.spec_.config_.family_) continue;
      if (o->spec_.config_.vrid_ == vrid) return true;
      if (!first) first = o.get();
    }
    if (first == &in) ++in.stats_.by_status_[static_cast<std::size_t>(rx_status::vrid_mismatch)];
    return true;
  }

  void read_socket(instance_rt& in) {
    const bool v4 = in.spec_.config_.family_ == address_family::ipv4;
    for (;;) {
      sockaddr_storage from{};
      iovec iov{in.buf_.data(), in.buf_.size()};
      alignas(cmsghdr) char control[256];
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t n = ::recvmsg(in.sock_->fd(), &msg, MSG_DONTWAIT);
      if (n < 0) return;
      const std::span<const std::uint8_t> data{in.buf_.data(), static_cast<std::size_t>(n)};
      rx_result r;
      if (v4) {
        if (n >= 20) {
          const std::size_t ihl = (data[0] & 0x0f) * 4u;
          // Our own adverts, looped back (the loop is off, but a unicast peer may be us).
          if (n >= 16 && std::equal(data.begin() + 12, data.begin() + 16, in.source_.bytes().begin()) &&
              in.source_.family() == address_family::ipv4) {
            continue;
          }
          std::size_t vrid_at = ihl + 1;
          if (data[9] == ipproto_ah) vrid_at += ah_header_size;
          if (vrid_at < data.size() && not_ours_to_check(in, data[vrid_at])) continue;
        }
        r = check_ipv4_packet(in.rx_, data, in.stats_, &in.ah_rx_);
      } else {
        ipv6_meta meta;
        meta.source_ = from_sockaddr(from);
        meta.hop_limit_ = -1;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
          if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
            int h;
            std::memcpy(&h, CMSG_DATA(c), sizeof h);
            meta.hop_limit_ = h;
          } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo pi;
            std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
            std::array<std::uint8_t, 16> b{};
            std::memcpy(b.data(), &pi.ipi6_addr, 16);
            meta.destination_ = ip_address::v6(b);
          }
        }
        meta.multicast_ = meta.destination_.bytes()[0] == 0xff;
        if (meta.source_ == in.source_) continue;
        if (n >= 2 && not_ours_to_check(in, data[1])) continue;
        r = check_ipv6_packet(in.rx_, data, meta, in.stats_);
      }
      if (r.status_ != rx_status::ok) {
        log_drop(in, r.status_, data, v4);
        continue;
      }
      if (r.old_checksum_ && !in.rx_.auto_detect_old_checksum_) continue;
      on_advert(in, r);
    }
  }

  // A dropped packet in keepalived 2.2.7's words (vrrp_in_chk), as measured in the lab; the
  // counters are in the SIGUSR2 stats file.
  void log_drop(const instance_rt& in, rx_status st, std::span<const std::uint8_t> data, bool v4) {
    const instance_config& c = in.spec_.config_;
    const std::string who = "(" + c.name_ + ") ";
    const std::size_t off = v4 && data.size() >= 20 ? (data[0] & 0x0f) * 4u + (data[9] == ipproto_ah ? ah_header_size : 0) : 0;
    auto at = [&](std::size_t i) -> int { return off + i < data.size() ? data[off + i] : -1; };
    switch (st) {
      case rx_status::too_short:
        log(std::string(v4 ? "IPv4" : "IPv6") + " VRRP packet too short - " + std::to_string(data.size()) + " bytes");
        break;
      case rx_status::bad_ttl:
        log(who + "invalid TTL/HL. Received " + std::to_string(v4 ? data[8] : -1) + " and expect 255");
        break;
      case rx_status::invalid_auth_type:
      case rx_status::auth_type_mismatch:
        log(who + "received a " + std::to_string(at(4)) + " auth, expecting " + std::to_string(int(c.auth_)) + "!");
        break;
      case rx_status::auth_failure:
        log(who + (c.auth_ == auth_type::ah ? "AH authentication failure" : "received an invalid passwd!"));
        break;
      case rx_status::interval_mismatch:
        log(who + "advertisement interval mismatch mine=" + std::to_string(c.advert_interval_.count() / 1000000) +
            " sec rcv'd=" + std::to_string(at(5)) + " sec");
        break;
      case rx_status::bad_version:
        log(who + "wrong version. Received " + std::to_string(at(0) >> 4) + " and expect " + std::to_string(int(c.version_)));
        break;
      case rx_status::bad_type:
        log(who + "Invalid packet type. " + std::to_string(at(0) & 0x0f) + " and expect 1");
        break;
      case rx_status::vrid_mismatch:
        break;  // keepalived drops another VRID's packets without a word; counted here
      case rx_status::address_count_mismatch:
        log(who + "received an invalid ip number count " + std::to_string(at(3)) + ", expected " +
            std::to_string(c.vips_.size()) + "!");
        break;
      case rx_status::length_mismatch:
        log(who + "ip/vrrp header length mismatch");
        break;
      case rx_status::bad_checksum:
        log(who + "Invalid VRRPv" + std::to_string(int(c.version_)) + " checksum");
        break;
      case rx_status::address_list_mismatch: {
        // The first of our VIPs the advert lacks.
        std::string missing;
        const std::size_t n = static_cast<std::size_t>(std::max(0, at(3)));
        const std::size_t len = c.family_ == address_family::ipv4 ? 4 : 16;
        for (const ip_address& vip : c.vips_) {
          bool found = false;
          for (std::size_t k = 0; k < n && off + 8 + (k + 1) * len <= data.size(); ++k) {
            found = found || std::equal(vip.bytes().begin(), vip.bytes().end(), data.begin() + off + 8 + k * len);
          }
          if (!found) {
            missing = vip.to_string();
            break;
          }
        }
        log(who + "ip address associated with VRID " + std::to_string(int(c.vrid_)) +
            " not present in MASTER advert: " + missing);
        break;
      }
      case rx_status::unicast_source_not_peer:
        log(who + "unicast source address not a configured peer");
        break;
      case rx_status::ok:
        break;
    }
  }

  void on_advert(instance_rt& in, const rx_result& r) {
    instance& m = *in.machine_;
    const std::string who = "(" + in.spec_.config_.name_ + ") ";
    const std::uint8_t ours = m.effective_priority();
    const std::uint8_t theirs = r.value_.priority_;
    const bool higher = theirs > ours || (theirs == ours && r.source_ > in.source_);
    if (theirs == 0) {
      if (m.current_state() == state::backup) log(who + "Backup received priority 0 advertisement");
      else if (m.current_state() == state::master) log(who + "Master received priority 0 message");
    } else if (m.current_state() == state::master && higher) {
      log(who + "Master received advert from " + r.source_.to_string() + " with higher priority " +
          std::to_string(theirs) + ", ours " + std::to_string(ours));
    } else if (m.current_state() == state::master && !higher) {
      if (opt_.log_detail_) {
        log(who + "Received advert from " + r.source_.to_string() + " with lower priority " +
            std::to_string(theirs) + ", ours " + std::to_string(ours) +
            (in.spec_.config_.lower_prio_no_advert_ ? "" : ", forcing new election"));
      }
    } else if (m.current_state() == state::backup && theirs < ours && !in.spec_.config_.nopreempt_) {
      log(who + "received lower priority (" + std::to_string(theirs) + ") advert from " + r.source_.to_string() +
          " - discarding");
    }
    m.on_advert(now(), to_received(r.value_, r.source_));
  }

  void send_advert(instance_rt& in, std::uint8_t priority) {
    if (!in.sock_) return;
    const instance_config& cfg = in.spec_.config_;
    const advert a = advert_for(cfg, priority);
    const bool unicast = !in.spec_.transport_.unicast_peers_.empty();
    std::vector<ip_address> to = unicast ? in.spec_.transport_.unicast_peers_
                                         : std::vector<ip_address>{in.spec_.transport_.multicast_group_};
    for (const ip_address& dst : to) {
      checksum_context ctx{in.source_, dst, in.spec_.transport_.multicast_group_, in.spec_.transport_.checksum_mode_};
      std::vector<std::uint8_t> bytes;
      if (cfg.family_ == address_family::ipv4) {
        ipv4_fields ip;
        ip.source_ = in.source_;
        ip.destination_ = dst;
        ip.id_ = ++in.ip_id_;
        ip.unicast_ = unicast;
        bytes = encode_ipv4_packet(a, ip, ctx, &in.ah_tx_);
      } else {
        bytes = encode_message(a, cfg.family_, ctx);
      }
      socklen_t len = 0;
      sockaddr_storage ss = to_sockaddr(dst, in.dev_index_, len);
      if (::sendto(in.sock_->fd(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
        if (errno != ENETDOWN && errno != ENETUNREACH) log(with_errno("(" + cfg.name_ + ") error sending an advert"));
      } else {
        ++in.sent_;
      }
    }
    if (priority == 0) {
      ++in.pri0_sent_;
      log("(" + cfg.name_ + ") sent 0 priority");
    }
  }

  void run_notify_of(const notify_spec& n, const std::string& kind_word, const std::string& name,
                     notify_kind k, std::uint8_t priority) {
    const std::string* one = nullptr;
    switch (k) {
      case notify_kind::master: one = &n.master_; break;
      case notify_kind::backup: one = &n.backup_; break;
      case notify_kind::fault: one = &n.fault_; break;
      case notify_kind::stop: one = &n.stop_; break;
    }
    if (!one->empty()) launch_notify(split_words(*one));
    if (!n.any_.empty()) {
      std::vector<std::string> argv = split_words(n.any_);
      const char* st = k == notify_kind::master ? "MASTER" : k == notify_kind::backup ? "BACKUP"
                       : k == notify_kind::fault ? "FAULT" : "STOP";
      argv.insert(argv.end(), {kind_word, name, st, std::to_string(priority)});
      launch_notify(std::move(argv));
    }
  }

  void launch_notify(std::vector<std::string> argv) {
    if (argv.empty()) return;
    const std::string path = resolve_path(argv[0]);
    if (path.empty()) {
      log("Cannot find the notify script " + argv[0]);
      return;
    }
    argv[0] = path;
    const pid_t pid = spawn(argv, default_user_);
    if (pid < 0) log(with_errno("Cannot run " + argv[0]));
    else children_[pid] = {};  // reaped, result not used
  }

  void apply(instance_rt& in, const action& a) {
    const std::string who = "(" + in.spec_.config_.name_ + ") ";
    if (const auto* s = std::get_if<actions::send_advert>(&a)) {
      send_advert(in, s->priority_);
    } else if (std::holds_alternative<actions::add_vips>(a)) {
      log(who + "setting VIPs.");
      set_addresses(in.spec_, true);
    } else if (std::holds_alternative<actions::remove_vips>(a)) {
      log(who + "removing VIPs.");
      set_addresses(in.spec_, false);
    } else if (const auto* g = std::get_if<actions::send_garp>(&a)) {
      send_garps(in.spec_, g->repeat_);
    } else if (const auto* n = std::get_if<actions::run_notify>(&a)) {
      run_notify_of(in.spec_.notify_, "INSTANCE", in.spec_.config_.name_, n->kind_, n->priority_);
    } else if (const auto* c = std::get_if<actions::state_changed>(&a)) {
      if (c->to_ == state::master && c->from_ == state::backup && in.timer_fired_) {
        log(who + "Receive advertisement timeout");
      }
      if (c->to_ != state::init) smtp_alert_for(in, c->to_);
      if (c->to_ == state::master) ++in.became_master_;
      if (c->from_ == state::master) ++in.released_master_;
      if (c->to_ != state::init) {  // keepalived says nothing when an instance stops
        log(who + "Entering " + state_word(c->to_) + " STATE" + (c->from_ == state::init ? " (init)" : ""));
      }
      if (opt_.on_state_change_) {
        std::vector<std::string> vips;
        for (const address_spec& v : in.spec_.vips_) vips.push_back(v.address_.to_string());
        opt_.on_state_change_(in.spec_.config_.name_, c->to_ == state::init ? "STOP" : state_word(c->to_), vips);
      }
    } else if (const auto* p = std::get_if<actions::priority_changed>(&a)) {
      log(who + "Changing effective priority from " + std::to_string(p->from_) + " to " + std::to_string(p->to_));
    }
  }

  // keepalived's vrrp_smtp_notifier: one mail per new state (not for STOP: measured, keepalived
  // 2.2.7 sends none on stop).
  void smtp_alert_for(instance_rt& in, state to) {
    if (!in.spec_.smtp_alert_ || !spec_.smtp_.configured() || stopping_ || in.last_email_state_ == to) return;
    in.last_email_state_ = to;
    const std::string subject = "VRRP Instance " + in.spec_.config_.name_ + " - Entering " + state_word(to) + " state";
    const std::string body = to == state::master ? "=> VRRP Instance is now owning VRRP VIPs <="
                                                 : "=> VRRP Instance is no longer owning VRRP VIPs <=";
    send_alert(io_, spec_.smtp_, subject, body, [this](std::string line) { log(line); });
  }

  // Carries out every instance's actions (a sync group moves its other members too) and
  // re-arms the timers.
  void drain() {
    for (bool more = true; more;) {
      more = false;
      for (auto& in : instances_) {
        auto acts = in->machine_->take_actions();
        // keepalived logs the state line first, then the advert, VIP and GARP lines.
        std::stable_partition(acts.begin(), acts.end(), [](const action& a) {
          return std::holds_alternative<actions::state_changed>(a);
        });
        for (const action& a : acts) apply(*in, a);
        in->timer_fired_ = false;
        more = more || !acts.empty();
      }
      for (auto& g : groups_) {
        for (notify_kind k : g->take_notifies()) {
          const sync_group_spec& gs = *group_specs_[g.get()];
          run_notify_of(gs.notify_, "GROUP", g->name(), k, 0);
          if (gs.smtp_alert_ && spec_.smtp_.configured() && !stopping_ && k != notify_kind::stop) {
            const std::string st = k == notify_kind::master ? "MASTER" : k == notify_kind::backup ? "BACKUP" : "FAULT";
            send_alert(io_, spec_.smtp_, "VRRP Group " + g->name() + " - Entering " + st + " state",
                       "=> All VRRP group instances are now in " + st + " state <=",
                       [this](std::string line) { log(line); });
          }
        }
      }
    }
    if (!stopping_) {
      for (auto& in : instances_) arm(*in);
    }
  }

  void arm(instance_rt& in) {
    const auto d = in.machine_->next_deadline();
    if (d == in.armed_) return;
    in.armed_ = d;
    in.timer_->cancel();
    if (!d) return;
    in.timer_->expires_at(to_steady(*d));
    in.timer_->async_wait([this, &in](boost::system::error_code ec) {
      if (ec) return;
      in.armed_.reset();
      const state before = in.machine_->current_state();
      in.machine_->on_timer(now());
      in.timer_fired_ = before == state::backup;
      drain();
    });
  }

  // ---- children: scripts and notifies ---------------------------------------
  struct child {
    std::function<void(int status)> done_;
  };
  std::map<pid_t, child> children_;
  std::unique_ptr<asio::signal_set> sigchld_;
  run_as default_user_;

  void wait_children() {
    sigchld_->async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      reap();
      wait_children();
    });
  }

  void reap() {
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      const auto it = children_.find(pid);
      if (it == children_.end()) continue;
      auto done = std::move(it->second.done_);
      children_.erase(it);
      if (done) done(status);
    }
    drain();
  }

  // ---- vrrp_script -------------------------------------------------------------
  struct script_rt {
    script_spec spec_;
    std::vector<std::string> argv_;
    run_as user_;
    std::unique_ptr<asio::steady_timer> timer_;
    std::unique_ptr<asio::steady_timer> timeout_;
    pid_t pid_ = 0;
    bool timed_out_ = false;
    std::optional<bool> ok_;  // the state trackers see
    int good_run_ = 0, bad_run_ = 0;
    int last_status_ = -1;
  };
  std::vector<std::unique_ptr<script_rt>> scripts_;

  // Users and groups from /etc/passwd and /etc/group: the tandem binary is static, and
  // glibc's NSS modules (nss_systemd) loaded into a static binary crash.
  static std::optional<std::vector<std::string>> db_entry(const char* file, const std::string& name) {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      std::vector<std::string> f;
      std::size_t b = 0;
      for (;;) {
        const std::size_t e = line.find(':', b);
        f.push_back(line.substr(b, e == std::string::npos ? std::string::npos : e - b));
        if (e == std::string::npos) break;
        b = e + 1;
      }
      if (f.size() >= 4 && f[0] == name) return f;
    }
    return std::nullopt;
  }

  std::optional<run_as> lookup_user(const std::string& user, const std::string& group) {
    const auto pw = db_entry("/etc/passwd", user);
    if (!pw) return std::nullopt;
    run_as r{static_cast<uid_t>(std::stoul((*pw)[2])), static_cast<gid_t>(std::stoul((*pw)[3]))};
    if (!group.empty()) {
      const auto gr = db_entry("/etc/group", group);
      if (!gr) return std::nullopt;
      r.gid_ = static_cast<gid_t>(std::stoul((*gr)[2]));
    }
    return r;
  }

  void start_scripts() {
    std::set<std::string> used;
    for (auto& in : instances_) {
      for (const tracker_binding& b : in->spec_.trackers_) {
        if (b.kind_ == tracker_kind::script) used.insert(b.target_);
      }
    }
    for (const script_spec& s : spec_.scripts_) {
      if (!used.count(s.name_)) continue;
      auto rt = std::make_unique<script_rt>();
      rt->spec_ = s;
      rt->argv_ = s.argv_;
      const std::string path = resolve_path(s.argv_[0]);
      if (path.empty()) {
        log("WARNING - script `" + s.argv_[0] + "` resolved by path search could not be found, disabling");
        continue;
      }
      if (s.argv_[0].find('/') == std::string::npos) {
        log("WARNING - script `" + s.argv_[0] + "` resolved by path search to `" + path +
            "`. Please specify full path.");
      }
      rt->argv_[0] = path;
      rt->user_ = default_user_;
      if (!s.user_.empty()) {
        if (auto u = lookup_user(s.user_, s.group_)) rt->user_ = *u;
        else log("Unable to set uid to " + s.user_ + " for script " + s.name_ + " - disabling");
      }
      rt->timer_ = std::make_unique<asio::steady_timer>(io_);
      rt->timeout_ = std::make_unique<asio::steady_timer>(io_);
      if (s.init_fail_) rt->ok_ = false;
      scripts_.push_back(std::move(rt));
    }
    if (!scripts_.empty() && !spec_.enable_script_security_) {
      log("SECURITY VIOLATION - scripts are being executed but script_security not enabled.");
    }
    for (auto& s : scripts_) run_script(*s);
  }

  void run_script(script_rt& s) {
    if (stopping_) return;
    if (s.pid_ == 0) {
      s.timed_out_ = false;
      const pid_t pid = spawn(s.argv_, s.user_);
      if (pid < 0) {
        log(with_errno("Failed to run script " + s.spec_.name_));
      } else {
        s.pid_ = pid;
        children_[pid] = {[this, &s](int status) { script_done(s, status); }};
        s.timeout_->expires_after(s.spec_.timeout_);
        s.timeout_->async_wait([this, &s, pid](boost::system::error_code ec) {
          if (ec || s.pid_ != pid) return;
          s.timed_out_ = true;
          ::kill(pid, SIGKILL);  // keepalived: the script's process group is killed too
          ::kill(-pid, SIGKILL);
        });
      }
    }
    s.timer_->expires_after(s.spec_.interval_);
    s.timer_->async_wait([this, &s](boost::system::error_code ec) {
      if (!ec) run_script(s);
    });
  }

  void script_done(script_rt& s, int status) {
    s.pid_ = 0;
    s.timeout_->cancel();
    const bool ok = !s.timed_out_ && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (!s.timed_out_ && WIFEXITED(status) && code != s.last_status_ && s.last_status_ >= 0 && code != 0) {
      log("Script `" + s.spec_.name_ + "` now returning " + std::to_string(code));
    }
    if (WIFEXITED(status)) s.last_status_ = code;
    if (s.timed_out_) log("VRRP_Script(" + s.spec_.name_ + ") timed_out");
    std::optional<bool> next = s.ok_;
    if (ok) {
      s.bad_run_ = 0;
      ++s.good_run_;
      // The first result decides at once (keepalived's script init state); then `rise`.
      if (!s.ok_ || (!*s.ok_ && s.good_run_ >= s.spec_.rise_)) next = true;
    } else {
      s.good_run_ = 0;
      ++s.bad_run_;
      if (!s.ok_ || (*s.ok_ && s.bad_run_ >= s.spec_.fall_)) next = false;
    }
    if (next == s.ok_ && s.ok_.has_value()) return;
    s.ok_ = next;
    if (*next) {
      log("VRRP_Script(" + s.spec_.name_ + ") succeeded");
    } else if (s.timed_out_) {
      log("VRRP_Script(" + s.spec_.name_ + ") failed (timed out)");
    } else if (WIFEXITED(status)) {
      log("VRRP_Script(" + s.spec_.name_ + ") failed (exited with status " + std::to_string(code) + ")");
    } else {
      log("VRRP_Script(" + s.spec_.name_ + ") failed (due to signal " + std::to_string(WTERMSIG(status)) + ")");
    }
    feed_trackers(tracker_kind::script, s.spec_.name_, *next);
  }

  void feed_trackers(tracker_kind kind, const std::string& name, bool ok) {
    const time_point t = now();
    for (auto& in : instances_) {
      for (std::size_t k = 0; k < in->spec_.trackers_.size(); ++k) {
        const tracker_binding& b = in->spec_.trackers_[k];
        if (b.kind_ == kind && b.target_ == name) in->machine_->on_tracker(t, k, ok);
      }
    }
  }

  // ---- track_file and track_process: polled once a second ---------------------------
  std::unique_ptr<asio::steady_timer> poll_timer_;
  std::map<std::string, std::optional<long>> file_value_;
  std::map<std::string, std::optional<bool>> process_ok_;

  // A track_file's number: weighted trackers take it as it is; weight-0 ones (also those a
  // sync group zeroed) read a non-zero number as FAULT.
  void feed_file(const std::string& name, long value) {
    const time_point t = now();
    for (auto& in : instances_) {
      for (std::size_t k = 0; k < in->spec_.trackers_.size(); ++k) {
        const tracker_binding& b = in->spec_.trackers_[k];
        if (b.kind_ != tracker_kind::file || b.target_ != name) continue;
        if (in->machine_->config().trackers_[k].valued_) in->machine_->on_tracker_value(t, k, value);
        else in->machine_->on_tracker(t, k, value == 0);
      }
    }
  }

  void poll() {
    read_trackers();
    drain();
    poll_timer_->expires_after(std::chrono::seconds(1));
    poll_timer_->async_wait([this](boost::system::error_code ec) {
      if (!ec && !stopping_) poll();
    });
  }

  // Reads every track_file and scans /proc for track_process; a change is fed to the
  // instances. Called once before the instances start, so they start knowing (as keepalived,
  // which reads them while loading).
  void read_trackers() {
    for (const track_file_spec& f : spec_.files_) {
      std::ifstream in(f.path_);
      long value = 0;
      if (in) {
        in >> value;
        if (!in) value = 0;
      } else if (f.init_file_) {
        value = *f.init_file_;
        std::ofstream(f.path_) << value << '\n';
      }
      auto& last = file_value_[f.name_];
      if (last != value) {
        last = value;
        feed_file(f.name_, value);
      }
    }
    if (!spec_.processes_.empty()) {
      std::map<std::string, unsigned> counts;
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string pid = e.path().filename();
        if (pid.empty() || !std::all_of(pid.begin(), pid.end(), ::isdigit)) continue;
        std::ifstream cmd(e.path() / "cmdline", std::ios::binary);
        std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
        std::vector<std::string> args;
        std::size_t b = 0;
        while (b < cmdline.size()) {
          const std::size_t z = std::min(cmdline.find('\0', b), cmdline.size());
          args.push_back(cmdline.substr(b, z - b));
          b = z + 1;
        }
        std::ifstream commf(e.path() / "comm");
        std::string comm;
        std::getline(commf, comm);
        for (const track_process_spec& p : spec_.processes_) {
          bool match = p.full_command_ ? (!args.empty() && args[0] == p.process_) : comm == p.process_.substr(0, 15);
          if (match && !p.parameters_.empty()) {
            const std::size_t n = p.parameters_.size();
            if (args.size() < n + 1) match = false;
            else if (!p.param_match_initial_ && args.size() != n + 1) match = false;
            else match = std::equal(p.parameters_.begin(), p.parameters_.end(), args.begin() + 1);
          }
          if (match) ++counts[p.name_];
        }
      }
      for (const track_process_spec& p : spec_.processes_) {
        const unsigned n = counts[p.name_];
        const bool ok = n >= p.quorum_ && n <= p.quorum_max_;
        auto& last = process_ok_[p.name_];
        if (last != ok) {
          if (last.has_value() || !ok) log("Quorum " + std::string(ok ? "gained" : "lost") + " for tracked process " + p.name_);
          last = ok;
          feed_trackers(tracker_kind::process, p.name_, ok);
        }
      }
    }
  }

  // ---- life -----------------------------------------------------------------
  std::unique_ptr<instance_rt> make_instance(const instance_spec& s) {
    auto in = std::make_unique<instance_rt>();
    in->spec_ = s;
    refresh_interface(*in);
    if (s.source_) in->source_ = *s.source_;
    in->spec_.config_.primary_address_ = in->source_;
    in->machine_ = std::make_unique<instance>(in->spec_.config_);
    in->rx_ = rx_config_for(in->spec_.config_, in->spec_.transport_);
    in->timer_ = std::make_unique<asio::steady_timer>(io_);
    return in;
  }

  bool start_instance(instance_rt& in) {
    const std::string who = "(" + in.spec_.config_.name_ + ") ";
    if (in.ifindex_ == 0) {
      log(who + "interface " + in.spec_.interface_ + " does not exist");
      return false;
    }
    if (in.source_.bytes().empty() || (in.source_ == ip_address{} && in.spec_.config_.family_ == address_family::ipv4)) {
      log(who + "no " + std::string(in.spec_.config_.family_ == address_family::ipv4 ? "IPv4" : "IPv6 link-local") +
          " address on " + in.spec_.interface_);
      return false;
    }
    in.dev_ = in.spec_.interface_;
    in.dev_index_ = in.ifindex_;
    if (!in.spec_.vmac_.empty() && !create_vmac(in)) return false;
    return open_socket(in);
  }

  // use_vmac: a private-mode macvlan with the VRRP MAC, up; the parent stops answering ARP
  // for addresses it does not hold itself (arp_ignore 1), so the VIPs are answered with the
  // virtual MAC, as keepalived sets it up. Removed again at stop.
  std::map<std::string, std::string> saved_arp_ignore_;  // parent -> its value before

  bool create_vmac(instance_rt& in) {
    const std::string who = "(" + in.spec_.config_.name_ + ") ";
    if (in.spec_.config_.family_ != address_family::ipv4) {
      log(who + "use_vmac with IPv6 is not supported by Tandem yet");
      return false;
    }
    const std::array<std::uint8_t, 6> mac{0x00, 0x00, 0x5e, 0x00, 0x01, in.spec_.config_.vrid_};
    if (ifindex_of(in.spec_.vmac_) == 0) {
      const std::uint32_t seq = next_seq();
      nl_send(build_macvlan_request(true, in.spec_.vmac_, in.ifindex_, mac, seq), "add vmac " + in.spec_.vmac_);
    }
    in.dev_ = in.spec_.vmac_;
    in.dev_index_ = ifindex_of(in.spec_.vmac_);
    if (in.dev_index_ == 0) {
      log(who + "cannot create the VMAC interface " + in.spec_.vmac_);
      return false;
    }
    log(who + "Created VMAC interface " + in.spec_.vmac_ + " on " + in.spec_.interface_);
    const std::string knob = "/proc/sys/net/ipv4/conf/" + in.spec_.interface_ + "/arp_ignore";
    if (!saved_arp_ignore_.count(in.spec_.interface_)) {
      std::ifstream old(knob);
      std::string value;
      std::getline(old, value);
      saved_arp_ignore_[in.spec_.interface_] = value;
      std::ofstream(knob) << "1\n";
    }
    return true;
  }

  void remove_vmacs() {
    for (auto& in : instances_) {
      if (in->spec_.vmac_.empty() || ifindex_of(in->spec_.vmac_) == 0) continue;
      const std::uint32_t seq = next_seq();
      nl_send(build_macvlan_request(false, in->spec_.vmac_, 0, {}, seq), "delete vmac " + in->spec_.vmac_);
    }
    for (const auto& [parent, value] : saved_arp_ignore_) {
      if (!value.empty()) std::ofstream("/proc/sys/net/ipv4/conf/" + parent + "/arp_ignore") << value << '\n';
    }
    saved_arp_ignore_.clear();
  }

  bool runs_scripts() const {
    auto any = [](const notify_spec& n) {
      return !n.master_.empty() || !n.backup_.empty() || !n.fault_.empty() || !n.stop_.empty() || !n.any_.empty();
    };
    for (const instance_spec& i : spec_.instances_) {
      if (any(i.notify_)) return true;
      for (const tracker_binding& b : i.trackers_) {
        if (b.kind_ == tracker_kind::script) return true;
      }
    }
    for (const sync_group_spec& g : spec_.groups_) {
      if (any(g.notify_)) return true;
    }
    return false;
  }

  bool start() {
    default_user_ = {};
    if (!spec_.script_user_.empty()) {
      if (auto u = lookup_user(spec_.script_user_, spec_.script_group_)) default_user_ = *u;
      else log("Unable to find script_user " + spec_.script_user_ + " - using root");
    } else if (auto u = lookup_user("keepalived_script", "")) {
      default_user_ = *u;
    } else if (runs_scripts()) {  // keepalived says so only when it has scripts to run
      log("Script user 'keepalived_script' does not exist");
    }
    sigchld_ = std::make_unique<asio::signal_set>(io_, SIGCHLD);
    wait_children();
    if (!open_netlink()) return false;
    if (spec_.smtp_.router_id_.empty() || spec_.smtp_.helo_.empty()) {
      char host[256] = {};
      ::gethostname(host, sizeof host - 1);
      if (spec_.smtp_.router_id_.empty()) spec_.smtp_.router_id_ = host;
      if (spec_.smtp_.helo_.empty()) spec_.smtp_.helo_ = host;
    }
    for (const instance_spec& s : spec_.instances_) instances_.push_back(make_instance(s));
    start_scripts();  // resolved (and warned about) here, as keepalived; results come later
    for (auto& in : instances_) {
      link_up_[in->spec_.interface_] = interface_running(in->spec_.interface_).value_or(false);
      for (const tracker_binding& b : in->spec_.trackers_) {
        if (b.kind_ == tracker_kind::interface) link_up_[b.target_] = interface_running(b.target_).value_or(false);
      }
      if (in->ifindex_ != 0 && in->spec_.config_.family_ == address_family::ipv4) {
        log("Assigned address " + in->source_.to_string() + " for interface " + in->spec_.interface_);
      }
    }
    build_groups();
    open_packet_socket();
    for (auto& in : instances_) {
      if (!start_instance(*in)) return false;
    }
    for (auto& in : instances_) {
      // As keepalived at start: whatever a previous run left is removed first.
      log("(" + in->spec_.config_.name_ + ") removing VIPs.");
      set_addresses(in->spec_, false);
    }
    log("Startup complete");
    read_trackers();
    const time_point t = now();
    for (auto& in : instances_) {
      in->machine_->start(t, link_up_[in->spec_.interface_]);
      for (std::size_t k = 0; k < in->spec_.trackers_.size(); ++k) {
        const tracker_binding& b = in->spec_.trackers_[k];
        if (b.kind_ == tracker_kind::interface) in->machine_->on_tracker(t, k, link_up_[b.target_]);
      }
    }
    drain();
    poll_timer_ = std::make_unique<asio::steady_timer>(io_);
    poll();
    return true;
  }

  // Groups for spec_.groups_; `kept` are the old groups a reload keeps whole (same name,
  // members and tracking weight, every member kept), reused with their members' state.
  void build_groups(std::map<std::string, std::unique_ptr<sync_group>> kept = {}) {
    groups_.clear();
    group_specs_.clear();
    for (const sync_group_spec& g : spec_.groups_) {
      if (auto k = kept.find(g.name_); k != kept.end()) {
        groups_.push_back(std::move(k->second));
        group_specs_[groups_.back().get()] = &g;
        continue;
      }
      std::vector<instance*> members;
      for (const std::string& name : g.members_) {
        for (auto& in : instances_) {
          if (in->spec_.config_.name_ == name) members.push_back(in->machine_.get());
        }
      }
      if (members.empty()) continue;
      groups_.push_back(std::make_unique<sync_group>(g.name_, members, g.tracking_weight_));
      group_specs_[groups_.back().get()] = &g;
    }
  }

  void close_all() {
    for (auto& in : instances_) {
      in->timer_->cancel();
      in->sock_.reset();
    }
    for (auto& s : scripts_) {
      s->timer_->cancel();
      s->timeout_->cancel();
      if (s->pid_ > 0) ::kill(s->pid_, SIGKILL);
    }
    if (poll_timer_) poll_timer_->cancel();
    nl_cmd_.reset();
    nl_link_.reset();
    packet_.reset();
    if (sigchld_) sigchld_->cancel();
  }

  void stop() {
    if (stopping_) return;
    log("Stopping");
    stopping_ = true;
    const time_point t = now();
    for (auto& in : instances_) in->machine_->shutdown(t);
    drain();
    remove_vmacs();
    close_all();
  }

  // The parts of an instance whose change forces a restart on reload.
  static std::string identity(const instance_spec& s) {
    std::ostringstream o;
    const instance_config& c = s.config_;
    o << c.name_ << '|' << s.interface_ << '|' << int(c.vrid_) << '|' << int(c.version_) << '|'
      << int(c.priority_) << '|' << c.initial_master_ << '|' << c.advert_interval_.count() << '|'
      << c.nopreempt_ << '|' << c.preempt_delay_.count() << '|' << int(c.auth_) << '|';
    for (auto b : c.auth_data_) o << int(b) << ',';
    for (const auto& v : s.vips_) o << v.text_ << ';';
    for (const auto& v : s.excluded_) o << v.text_ << ';';
    for (const auto& r : s.routes_) o << r.text_ << ';';
    for (const auto& r : s.rules_) o << r.text_ << ';';
    for (const auto& t : c.trackers_) o << t.name_ << ':' << t.weight_ << ':' << t.reverse_ << ';';
    for (const auto& p : s.transport_.unicast_peers_) o << p.to_string() << ';';
    o << s.transport_.multicast_group_.to_string() << '|' << (s.source_ ? s.source_->to_string() : "") << '|'
      << s.sync_group_;
    return o.str();
  }

  // The sync groups a reload keeps whole, as keepalived keeps unchanged instances' state: same
  // name, members and tracking weight, and every member's identity() unchanged.
  std::set<std::string> unchanged_groups(const daemon_spec& next) const {
    std::set<std::string> names;
    for (const sync_group_spec& g : next.groups_) {
      const auto old = std::find_if(spec_.groups_.begin(), spec_.groups_.end(),
                                    [&](const sync_group_spec& o) { return o.name_ == g.name_; });
      if (old == spec_.groups_.end() || old->members_ != g.members_ ||
          old->tracking_weight_ != g.tracking_weight_) {
        continue;
      }
      bool same = true;
      for (const std::string& member : g.members_) {
        const auto a = std::find_if(instances_.begin(), instances_.end(), [&](const auto& o) {
          return o && o->spec_.config_.name_ == member;
        });
        const auto b = std::find_if(next.instances_.begin(), next.instances_.end(),
                                    [&](const instance_spec& o) { return o.config_.name_ == member; });
        same = same && a != instances_.end() && b != next.instances_.end() &&
               identity((*a)->spec_) == identity(*b);
      }
      if (same) names.insert(g.name_);
    }
    return names;
  }

  void reload(daemon_spec next) {
    const time_point t = now();
    std::vector<std::unique_ptr<instance_rt>> kept, fresh;
    const std::set<std::string> kept_groups = unchanged_groups(next);
    for (const instance_spec& s : next.instances_) {
      auto it = std::find_if(instances_.begin(), instances_.end(),
                             [&](const auto& o) { return o && identity(o->spec_) == identity(s); });
      if (it != instances_.end() && (s.sync_group_.empty() || kept_groups.count(s.sync_group_))) {
        (*it)->spec_.notify_ = s.notify_;
        kept.push_back(std::move(*it));
      } else {
        fresh.push_back(make_instance(s));
      }
    }
    // Instances that went away or changed release their VIPs as at a stop.
    for (auto& old : instances_) {
      if (!old) continue;
      old->machine_->shutdown(t);
      for (const action& a : old->machine_->take_actions()) apply(*old, a);
      old->timer_->cancel();
      old->sock_.reset();
    }
    for (auto& s : scripts_) {
      s->timer_->cancel();
      s->timeout_->cancel();
      if (s->pid_ > 0) {
        children_.erase(s->pid_);
        ::kill(s->pid_, SIGKILL);
      }
    }
    std::map<std::string, std::optional<bool>> script_state;
    for (auto& s : scripts_) script_state[s->spec_.text_ + "|" + s->spec_.name_] = s->ok_;
    scripts_.clear();
    std::map<std::string, std::unique_ptr<sync_group>> groups_kept;
    for (auto& g : groups_) {
      if (kept_groups.count(g->name())) groups_kept[g->name()] = std::move(g);
    }
    groups_.clear();
    group_specs_.clear();
    spec_ = std::move(next);
    instances_.clear();
    for (auto& k : kept) instances_.push_back(std::move(k));
    for (auto& f : fresh) instances_.push_back(std::move(f));
    build_groups(std::move(groups_kept));
    for (auto& in : instances_) {
      if (in->machine_->current_state() != state::init) continue;
      if (!link_up_.count(in->spec_.interface_)) {
        link_up_[in->spec_.interface_] = interface_running(in->spec_.interface_).value_or(false);
      }
      if (start_instance(*in)) {
        set_addresses(in->spec_, false);
        in->machine_->start(t, link_up_[in->spec_.interface_]);
        for (std::size_t k = 0; k < in->spec_.trackers_.size(); ++k) {
          const tracker_binding& b = in->spec_.trackers_[k];
          if (b.kind_ != tracker_kind::interface) continue;
          if (!link_up_.count(b.target_)) link_up_[b.target_] = interface_running(b.target_).value_or(false);
          in->machine_->on_tracker(t, k, link_up_[b.target_]);
        }
      }
    }
    drain();
    start_scripts();
    // Scripts that did not change carry their last result, so kept instances do not flap;
    // new instances learn it now (a kept one hears the same result: no change).
    for (auto& s : scripts_) {
      const auto it = script_state.find(s->spec_.text_ + "|" + s->spec_.name_);
      if (it != script_state.end()) s->ok_ = it->second;
      if (s->ok_) feed_trackers(tracker_kind::script, s->spec_.name_, *s->ok_);
    }
    // The next poll reports every track_file / track_process to every instance again.
    file_value_.clear();
    process_ok_.clear();
    drain();
  }

  // ---- dumps ------------------------------------------------------------------
  void dump_data() {
    log("Printing VRRP data for process(" + std::to_string(::getpid()) + ") on signal");
    std::ofstream o(opt_.data_file_, std::ios::trunc);
    ::chmod(opt_.data_file_.c_str(), 0600);
    o << "------< VRRP Topology >------\n";
    for (auto& in : instances_) {
      const instance& m = *in->machine_;
      const instance_config& c = in->spec_.config_;
      o << " VRRP Instance = " << c.name_ << "\n";
      o << "   VRRP Version = " << int(c.version_) << "\n";
      o << "   State = " << state_word(m.current_state()) << "\n";
      if (m.master_address()) o << "   Master router = " << m.master_address()->to_string() << "\n";
      o << "   Wantstate = " << (c.initial_master_ ? "MASTER" : "BACKUP") << "\n";
      o << "   Master down timer = " << m.master_down_interval().count() << " usecs\n";
      o << "   Interface = " << in->spec_.interface_ << "\n";
      o << "   Using src_ip = " << in->source_.to_string() << "\n";
      if (in->spec_.transport_.unicast_peers_.empty()) {
        o << "   Multicast address " << in->spec_.transport_.multicast_group_.to_string() << "\n";
      } else {
        o << "   Unicast Peer =";
        for (const auto& p : in->spec_.transport_.unicast_peers_) o << ' ' << p.to_string();
        o << "\n";
      }
      o << "   Virtual Router ID = " << int(c.vrid_) << "\n";
      o << "   Priority = " << int(c.priority_) << "\n";
      o << "   Effective priority = " << int(m.effective_priority()) << "\n";
      o << "   Advert interval = " << (c.version_ == 2 ? std::to_string(c.advert_interval_.count() / 1000000) + " sec"
                                                       : std::to_string(c.advert_interval_.count() / 1000) + " milli-sec")
        << "\n";
      o << "   Preempt = " << (c.nopreempt_ ? "disabled" : "enabled") << "\n";
      o << "   Authentication type = "
        << (c.auth_ == auth_type::pass ? "SIMPLE_PASSWORD" : c.auth_ == auth_type::ah ? "IPSEC_AH" : "none") << "\n";
      o << "   Virtual IP (" << in->spec_.vips_.size() << "):\n";
      for (const auto& v : in->spec_.vips_) o << "     " << v.text_ << "\n";
      if (!in->spec_.trackers_.empty()) {
        o << "   Tracked scripts :\n";
        for (std::size_t k = 0; k < c.trackers_.size(); ++k) {
          if (in->spec_.trackers_[k].kind_ == tracker_kind::script) {
            o << "     " << c.trackers_[k].name_ << " weight " << c.trackers_[k].weight_ << "\n";
          }
        }
      }
    }
    o << "------< VRRP Scripts >------\n";
    for (auto& s : scripts_) {
      o << " VRRP Script = " << s->spec_.name_ << "\n";
      o << "   Command =";
      for (const auto& a : s->argv_) o << " '" << a << "'";
      o << "\n   Interval = " << s->spec_.interval_.count() / 1000000 << " sec\n";
      o << "   Rise = " << s->spec_.rise_ << "\n   Fall = " << s->spec_.fall_ << "\n";
      o << "   Status = " << (!s->ok_ ? "INIT" : *s->ok_ ? "GOOD" : "BAD") << "\n";
    }
  }

  void dump_stats() {
    log("Printing VRRP stats for process(" + std::to_string(::getpid()) + ") on signal");
    std::ofstream o(opt_.stats_file_, std::ios::trunc);
    ::chmod(opt_.stats_file_.c_str(), 0600);
    for (auto& in : instances_) {
      const rx_stats& s = in->stats_;
      auto n = [&](rx_status st) { return s.count(st); };
      o << "VRRP Instance: " << in->spec_.config_.name_ << "\n";
      o << "  Advertisements:\n    Received: " << s.adverts_received_ << "\n    Sent: " << in->sent_ << "\n";
      o << "  Became master: " << in->became_master_ << "\n  Released master: " << in->released_master_ << "\n";
      o << "  Packet Errors:\n";
      o << "    Length: " << n(rx_status::length_mismatch) << "\n";
      o << "    TTL: " << n(rx_status::bad_ttl) << "\n";
      o << "    Invalid Type: " << n(rx_status::bad_type) << "\n";
      // keepalived 2.2.7 logs a v2 interval mismatch but does not count it here (measured);
      // Tandem's count is in the section below.
      o << "    Advertisement Interval: " << (in->spec_.config_.version_ == 2 ? 0 : n(rx_status::interval_mismatch)) << "\n";
      o << "    Address List: " << n(rx_status::address_count_mismatch) + n(rx_status::address_list_mismatch) << "\n";
      o << "  Authentication Errors:\n";
      o << "    Invalid Type: " << n(rx_status::invalid_auth_type) << "\n";
      o << "    Type Mismatch: " << n(rx_status::auth_type_mismatch) << "\n";
      o << "    Failure: " << n(rx_status::auth_failure) << "\n";
      o << "  Priority Zero:\n    Received: " << s.priority_zero_received_ << "\n    Sent: " << in->pri0_sent_ << "\n";
      // Beyond keepalived's file: every drop reason on its own line.
      o << "  Drops by reason (Tandem):\n";
      for (std::size_t k = 1; k < s.by_status_.size(); ++k) {
        o << "    " << to_string(static_cast<rx_status>(k)) << ": " << s.by_status_[k] << "\n";
      }
    }
  }
};

daemon::daemon(asio::io_context& io, daemon_spec spec, daemon_options options)
    : impl_(std::make_unique<impl>(io, std::move(spec), std::move(options))) {}
daemon::~daemon() {
  if (impl_) impl_->close_all();
}
bool daemon::start() { return impl_->start(); }
void daemon::stop() { impl_->stop(); }
void daemon::reload(daemon_spec spec) { impl_->reload(std::move(spec)); }
void daemon::dump_data() { impl_->dump_data(); }
void daemon::dump_stats() { impl_->dump_stats(); }

}  // namespace tandem::runtime::vrrp::io
