// The host side of the nftables planes (see nftables_system.hpp).
#include "runtime/lvs/dataplane/nftables_system.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

extern char** environ;

namespace tandem::runtime::lvs::dataplane {
namespace {

constexpr const char* nft_path = "/usr/sbin/nft";

struct fd_guard {
  int fd_ = -1;
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
};

// Runs nft with `input` on stdin, collecting stdout and stderr with poll (both can fill).
nft_result spawn_nft(const std::vector<std::string>& args, std::string_view input) {
  nft_result r;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) {
    r.errors_ = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    r.errors_ = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    for (int f : {in[0], in[1], out[0], out[1]}) ::close(f);
    r.errors_ = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> argv;
  std::vector<std::string> all{nft_path};
  all.insert(all.end(), args.begin(), args.end());
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, nft_path, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  fd_guard win{in[1]}, rout{out[0]}, rerr{err[0]};
  if (rc != 0) {
    r.errors_ = std::string("cannot run ") + nft_path + ": " + std::strerror(rc);
    return r;
  }
  std::size_t written = 0;
  if (input.empty()) {
    ::close(win.fd_);
    win.fd_ = -1;
  }
  bool out_open = true, err_open = true;
  char buf[4096];
  while (out_open || err_open || win.fd_ >= 0) {
    pollfd p[3];
    int n = 0;
    if (win.fd_ >= 0) p[n++] = {win.fd_, POLLOUT, 0};
    if (out_open) p[n++] = {rout.fd_, POLLIN, 0};
    if (err_open) p[n++] = {rerr.fd_, POLLIN, 0};
    if (::poll(p, static_cast<nfds_t>(n), 30000) <= 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      if (!p[i].revents) continue;
      if (p[i].fd == win.fd_) {
        const ssize_t w = ::write(win.fd_, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == input.size()) {
          ::close(win.fd_);
          win.fd_ = -1;
        }
      } else {
        const ssize_t got = ::read(p[i].fd, buf, sizeof buf);
        if (got <= 0) {
          (p[i].fd == rout.fd_ ? out_open : err_open) = false;
        } else {
          (p[i].fd == rout.fd_ ? r.output_ : r.errors_).append(buf, static_cast<std::size_t>(got));
        }
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.ok_ = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!r.ok_ && r.errors_.empty()) r.errors_ = "nft failed (status " + std::to_string(status) + ")";
  return r;
}

unsigned prefix_of(const sockaddr* mask) {
  unsigned n = 0;
  const auto* b = mask->sa_family == AF_INET
                      ? reinterpret_cast<const std::uint8_t*>(
                            &reinterpret_cast<const sockaddr_in*>(mask)->sin_addr)
                      : reinterpret_cast<const std::uint8_t*>(
                            &reinterpret_cast<const sockaddr_in6*>(mask)->sin6_addr);
  const std::size_t len = mask->sa_family == AF_INET ? 4 : 16;
  for (std::size_t i = 0; i < len; ++i) n += static_cast<unsigned>(__builtin_popcount(b[i]));
  return n;
}

std::optional<boost::asio::ip::address> address_of(const sockaddr* sa) {
  if (!sa) return std::nullopt;
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return boost::asio::ip::address_v4(ntohl(in->sin_addr.s_addr));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in = reinterpret_cast<const sockaddr_in6*>(sa);
    boost::asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), &in->sin6_addr, 16);
    return boost::asio::ip::address_v6(b, in->sin6_scope_id);
  }
  return std::nullopt;
}

template <std::size_t N>
std::array<std::uint8_t, N> bytes_of(const boost::asio::ip::address& a) {
  std::array<std::uint8_t, N> out{};
  if constexpr (N == 4) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
  } else {
    const auto b = a.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
  }
  return out;
}

}  // namespace

nft_result run_nft(std::string_view script, bool check_only) {
  std::vector<std::string> args;
  if (check_only) args.push_back("-c");
  args.push_back("-f");
  args.push_back("-");
  return spawn_nft(args, script);
}

nft_result run_nft_args(const std::vector<std::string>& args) { return spawn_nft(args, {}); }

std::vector<interface_info> list_interfaces() {
  std::vector<interface_info> out;
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return out;
  auto entry = [&out](const char* name) -> interface_info& {
    for (auto& i : out)
      if (i.name_ == name) return i;
    out.push_back({name, static_cast<int>(::if_nametoindex(name)), {}, {}});
    return out.back();
  };
  for (ifaddrs* i = all; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    interface_info& info = entry(i->ifa_name);
    if (i->ifa_addr->sa_family == AF_PACKET) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(i->ifa_addr);
      if (ll->sll_halen == 6) std::memcpy(info.mac_.data(), ll->sll_addr, 6);
    } else if (auto a = address_of(i->ifa_addr)) {
      info.addresses_.push_back({*a, i->ifa_netmask ? prefix_of(i->ifa_netmask) : 0});
    }
  }
  ::freeifaddrs(all);
  return out;
}

bool prefix_contains(const interface_address& p, const boost::asio::ip::address& a) {
  if (p.address_.is_v4() != a.is_v4()) return false;
  auto check = [&](const auto& x, const auto& y) {
    for (unsigned bit = 0; bit < p.prefix_; ++bit) {
      const std::uint8_t m = static_cast<std::uint8_t>(0x80 >> (bit % 8));
      if ((x[bit / 8] & m) != (y[bit / 8] & m)) return false;
    }
    return true;
  };
  if (a.is_v4()) return check(bytes_of<4>(p.address_), bytes_of<4>(a));
  return check(bytes_of<16>(p.address_), bytes_of<16>(a));
}

const interface_info* interface_for(const std::vector<interface_info>& ifs,
                                    const boost::asio::ip::address& a) {
  for (const auto& i : ifs)
    for (const auto& x : i.addresses_)
      if (x.address_ == a && i.name_ != "lo") return &i;
  const interface_info* best = nullptr;
  unsigned best_len = 0;
  for (const auto& i : ifs)
    for (const auto& x : i.addresses_)
      if (x.prefix_ > 0 && prefix_contains(x, a) && (!best || x.prefix_ > best_len)) {
        best = &i;
        best_len = x.prefix_;
      }
  return best;
}

std::optional<std::string> connected_prefix(const std::vector<interface_info>& ifs,
                                            const boost::asio::ip::address& a) {
  const interface_address* best = nullptr;
  for (const auto& i : ifs) {
    if (i.name_ == "lo") continue;
    for (const auto& x : i.addresses_)
      if (x.prefix_ > 0 && prefix_contains(x, a) && (!best || x.prefix_ > best->prefix_))
        best = &x;
  }
  if (!best) return std::nullopt;
  // The network address: the prefix's bits of the interface address.
  const unsigned len = best->prefix_;
  if (a.is_v4()) {
    auto b = bytes_of<4>(best->address_);
    for (unsigned bit = len; bit < 32; ++bit) b[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
    return boost::asio::ip::address_v4(b).to_string() + "/" + std::to_string(len);
  }
  auto b = bytes_of<16>(best->address_);
  for (unsigned bit = len; bit < 128; ++bit) b[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  return boost::asio::ip::address_v6(b).to_string() + "/" + std::to_string(len);
}

std::optional<mac_address> neighbour_mac(const boost::asio::ip::address& a, int ifindex) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return std::nullopt;
  fd_guard g{fd};
  struct {
    nlmsghdr h;
    ndmsg n;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETNEIGH;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.n.ndm_family = a.is_v4() ? AF_INET : AF_INET6;
  if (::send(fd, &req, sizeof req, 0) < 0) return std::nullopt;
  const auto want4 = a.is_v4() ? bytes_of<4>(a) : std::array<std::uint8_t, 4>{};
  const auto want6 = a.is_v6() ? bytes_of<16>(a) : std::array<std::uint8_t, 16>{};
  std::optional<mac_address> found;
  alignas(nlmsghdr) char buf[32768];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) return found;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return found;
    int len = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return found;
      if (h->nlmsg_type != RTM_NEWNEIGH) continue;
      const auto* nd = static_cast<const ndmsg*>(NLMSG_DATA(h));
      if (ifindex && nd->ndm_ifindex != ifindex) continue;
      if (!(nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT |
                             NUD_NOARP)))
        continue;
      int alen = static_cast<int>(RTM_PAYLOAD(h));
      bool match = false;
      std::optional<mac_address> mac;
      for (auto* rta = RTM_RTA(nd); RTA_OK(rta, alen); rta = RTA_NEXT(rta, alen)) {
        if (rta->rta_type == NDA_DST) {
          const auto sz = RTA_PAYLOAD(rta);
          match = a.is_v4() ? sz == 4 && std::memcmp(RTA_DATA(rta), want4.data(), 4) == 0
                            : sz == 16 && std::memcmp(RTA_DATA(rta), want6.data(), 16) == 0;
        } else if (rta->rta_type == NDA_LLADDR && RTA_PAYLOAD(rta) == 6) {
          mac_address m;
          std::memcpy(m.data(), RTA_DATA(rta), 6);
          mac = m;
        }
      }
      if (match && mac) found = mac;
    }
  }
}

void probe_neighbour(const boost::asio::ip::address& a) {
  const int fd = ::socket(a.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  fd_guard g{fd};
  const char payload = 0;
  if (a.is_v4()) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(9);
    sa.sin_addr.s_addr = htonl(a.to_v4().to_uint());
    (void)::sendto(fd, &payload, 1, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } else {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(9);
    const auto b = a.to_v6().to_bytes();
    std::memcpy(&sa.sin6_addr, b.data(), 16);
    (void)::sendto(fd, &payload, 1, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  }
}

bool forwarding_enabled(bool v6) {
  std::ifstream f(v6 ? "/proc/sys/net/ipv6/conf/all/forwarding" : "/proc/sys/net/ipv4/ip_forward");
  int v = 0;
  f >> v;
  return v != 0;
}

}  // namespace tandem::runtime::lvs::dataplane
