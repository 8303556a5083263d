// The user-space data plane (data_plane.hpp, kind "user-space"): full NAT for TCP and UDP in
// Tandem's process, for the services nftables cannot carry. It listens on every address of the
// service (IP_FREEBIND, so a backup director binds before VRRP gives it the VIP and serves the
// moment the VIP arrives), asks the virtual_service where each new TCP connection or UDP flow
// goes (persistence, quorum and the sorry server are the service's), connects from the
// director and relays both ways with half-close. Connection counts go back to the service as
// IPVS keeps them (active = established; inactive = connecting or closing TCP, every UDP
// flow), so lc/wlc/sed/nq weigh exactly what this plane carries. A pool change only changes
// where new connections go: established ones to a removed real server keep going, as IPVS does
// without expire_nodest_conn. Everything runs on the plane's executor (one thread).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <list>
#include <map>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/lvs/dataplane/data_plane.hpp"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78  // Linux 4.15; older headers lack the name
#endif

namespace tandem::runtime::lvs::dataplane {

namespace {

namespace asio = boost::asio;
using asio::ip::address;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A range entry (virtual_server_group "10.0.0.1-20 80") opens one socket per address; more
// than this many is a configuration the user space cannot carry sensibly.
constexpr std::size_t max_range_addresses = 256;
constexpr std::size_t relay_buffer = 16 * 1024;

// The addresses one entry stands for, in order.
std::vector<address> addresses_of(const vip_entry& e) {
  std::vector<address> out;
  if (e.first_.is_v4()) {
    const std::uint32_t first = e.first_.to_v4().to_uint(), last = e.last_.to_v4().to_uint();
    for (std::uint64_t a = first; a <= last && out.size() <= max_range_addresses; ++a)
      out.push_back(asio::ip::address_v4(static_cast<std::uint32_t>(a)));
    return out;
  }
  auto bytes = e.first_.to_v6().to_bytes();
  const auto last_bytes = e.last_.to_v6().to_bytes();
  const unsigned first = bytes[14] << 8 | bytes[15], last = last_bytes[14] << 8 | last_bytes[15];
  for (unsigned g = first; g <= last && out.size() <= max_range_addresses; ++g) {
    bytes[14] = static_cast<unsigned char>(g >> 8);
    bytes[15] = static_cast<unsigned char>(g);
    out.push_back(asio::ip::address_v6(bytes));
  }
  return out;
}

// SO_REUSEADDR and IP_FREEBIND (IPV6_FREEBIND) before bind: the VIP need not be here yet.
template <class Socket>
void prepare_listening(Socket& s, const address& a, error_code& ec) {
  s.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return;
  const int one = 1;
  const int rc = a.is_v4() ? ::setsockopt(s.native_handle(), IPPROTO_IP, IP_FREEBIND, &one,
                                          sizeof one)
                           : ::setsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_FREEBIND, &one,
                                          sizeof one);
  if (rc != 0) ec = error_code(errno, boost::system::system_category());
}

using target_key = std::pair<address, std::uint16_t>;

struct counts {
  std::uint32_t active_ = 0, inactive_ = 0;
};

// What the coroutines share with the plane: they hold it by shared_ptr, so a coroutine that
// wakes after stop() (an aborted read) finds `stopped_` and touches nothing else.
struct core {
  plane_context context_;
  bool stopped_ = false;
  bool draining_ = false;  // the service is gone: established flows finish unreported
  std::map<target_key, counts> counts_;
  // Open sockets, closed by stop(); each coroutine removes its own when it ends.
  std::list<tcp::acceptor> acceptors_;
  std::set<std::shared_ptr<tcp::socket>> tcp_sockets_;
  struct udp_flow;
  struct udp_listener {
    udp::socket socket_;
    std::map<udp::endpoint, std::shared_ptr<udp_flow>> flows_;
  };
  struct udp_flow {
    udp::socket upstream_;
    udp::endpoint client_;
    target target_;
    asio::steady_timer timer_;
    clock::time_point last_;
  };
  std::list<std::shared_ptr<udp_listener>> udp_listeners_;

  explicit core(plane_context c) : context_(std::move(c)) {}

  void count(const target& t, int active, int inactive) {
    if (stopped_ || draining_) return;
    counts& c = counts_[{t.address_, t.port_}];
    c.active_ = static_cast<std::uint32_t>(static_cast<int>(c.active_) + active);
    c.inactive_ = static_cast<std::uint32_t>(static_cast<int>(c.inactive_) + inactive);
    context_.service_->connection_counts(t, c.active_, c.inactive_);
    if (c.active_ == 0 && c.inactive_ == 0) counts_.erase({t.address_, t.port_});
  }

  std::optional<target> schedule(const connection& c) {
    if (stopped_ || draining_) return std::nullopt;
    schedule_context ctx = context_.schedule_context_ ? context_.schedule_context_()
                                                      : schedule_context{clock::now(), {}};
    if (!ctx.random_below_) ctx.random_below_ = [](std::uint32_t) { return 0u; };
    return context_.service_->schedule(c, ctx);
  }

  void log(const std::string& line) const {
    if (context_.log_) context_.log_(line);
  }
};

// The endpoint a target means: a port-less real server takes the client's destination port.
template <class Endpoint>
Endpoint endpoint_of(const target& t, std::uint16_t original_port) {
  return Endpoint(t.address_, t.port_ ? t.port_ : original_port);
}

// ---- TCP ---------------------------------------------------------------------------------

struct tcp_flow {
  std::shared_ptr<tcp::socket> client_, server_;
  target target_;
  enum class phase { connecting, established, closing, closed } phase_ = phase::connecting;
};

void reset(tcp::socket& s) {
  error_code ec;
  if (!s.is_open()) return;
  s.set_option(asio::socket_base::linger(true, 0), ec);  // RST, as a refused connection
  s.close(ec);
}

// The first end of a side moves an established flow to "closing" (IPVS's FIN_WAIT: inactive).
void closing(core& c, tcp_flow& f) {
  if (f.phase_ != tcp_flow::phase::established) return;
  f.phase_ = tcp_flow::phase::closing;
  c.count(f.target_, -1, +1);
}

asio::awaitable<void> pump(std::shared_ptr<core> c, std::shared_ptr<tcp_flow> f,
                           std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) {
  std::array<char, relay_buffer> buffer;
  for (;;) {
    auto [ec, n] = co_await from->async_read_some(asio::buffer(buffer), use_tuple);
    if (n > 0) {
      auto [wec, written] = co_await asio::async_write(*to, asio::buffer(buffer.data(), n),
                                                       use_tuple);
      (void)written;
      if (wec) {
        reset(*from);
        reset(*to);
        co_return;
      }
    }
    if (ec == asio::error::eof) {
      // Half-close: the other side may still talk.
      error_code ignored;
      to->shutdown(tcp::socket::shutdown_send, ignored);
      if (!c->stopped_) closing(*c, *f);
      co_return;
    }
    if (ec) {
      reset(*from);
      reset(*to);
      co_return;
    }
  }
}

asio::awaitable<void> serve_tcp(std::shared_ptr<core> c, std::shared_ptr<tcp::socket> client) {
  c->tcp_sockets_.insert(client);
  error_code ec;
  const tcp::endpoint peer = client->remote_endpoint(ec);
  const tcp::endpoint local = ec ? tcp::endpoint{} : client->local_endpoint(ec);
  std::optional<target> t;
  if (!ec) {
    t = c->schedule(connection{peer.address(), peer.port(), local.address(), local.port(),
                               protocol::tcp, 0});
  }
  if (!t) {
    // IPVS's "no destination available": the client's connection is refused.
    reset(*client);
    c->tcp_sockets_.erase(client);
    co_return;
  }
  auto f = std::make_shared<tcp_flow>();
  f->client_ = client;
  f->server_ = std::make_shared<tcp::socket>(client->get_executor());
  f->target_ = *t;
  c->tcp_sockets_.insert(f->server_);
  c->count(*t, 0, +1);  // SYN_RECV: inactive until the real server answers
  const auto to = endpoint_of<tcp::endpoint>(*t, local.port());
  auto [cec] = co_await f->server_->async_connect(to, use_tuple);
  if (!c->stopped_) {
    if (cec) {
      c->count(*t, 0, -1);
      reset(*client);
    } else {
      f->phase_ = tcp_flow::phase::established;
      c->count(*t, +1, -1);
      error_code ignored;
      client->set_option(tcp::no_delay(true), ignored);
      f->server_->set_option(tcp::no_delay(true), ignored);
      co_await (pump(c, f, client, f->server_) && pump(c, f, f->server_, client));
      if (!c->stopped_) {
        if (f->phase_ == tcp_flow::phase::established) c->count(*t, -1, 0);
        else if (f->phase_ == tcp_flow::phase::closing) c->count(*t, 0, -1);
      }
      f->phase_ = tcp_flow::phase::closed;
    }
  }
  error_code ignored;
  client->close(ignored);
  f->server_->close(ignored);
  c->tcp_sockets_.erase(client);
  c->tcp_sockets_.erase(f->server_);
}

asio::awaitable<void> accept_loop(std::shared_ptr<core> c, tcp::acceptor& acceptor) {
  asio::steady_timer pause(acceptor.get_executor());
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (c->stopped_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors and the like: wait a little rather than spin.
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      if (c->stopped_) co_return;
      continue;
    }
    asio::co_spawn(acceptor.get_executor(),
                   serve_tcp(c, std::make_shared<tcp::socket>(std::move(socket))),
                   asio::detached);
  }
}

// ---- UDP ---------------------------------------------------------------------------------

void end_flow(core& c, core::udp_listener& l, const std::shared_ptr<core::udp_flow>& f) {
  auto it = l.flows_.find(f->client_);
  if (it == l.flows_.end() || it->second != f) return;
  l.flows_.erase(it);
  error_code ignored;
  f->upstream_.close(ignored);
  f->timer_.cancel();
  c.count(f->target_, 0, -1);
}

// The real server's replies to the client, from the VIP's socket, until the flow has been idle
// for the UDP timeout (IPVS's udp timeout, 300 s by default; either direction refreshes it).
asio::awaitable<void> udp_replies(std::shared_ptr<core> c, std::shared_ptr<core::udp_listener> l,
                                  std::shared_ptr<core::udp_flow> f) {
  std::vector<char> buffer(65536);
  const auto timeout = c->context_.spec_.udp_timeout_;
  for (;;) {
    f->timer_.expires_at(f->last_ + timeout);
    auto r = co_await (f->upstream_.async_receive(asio::buffer(buffer), use_tuple) ||
                       f->timer_.async_wait(use_tuple));
    if (c->stopped_) co_return;
    if (r.index() == 1) {
      if (clock::now() >= f->last_ + timeout) {
        end_flow(*c, *l, f);
        co_return;
      }
      continue;
    }
    auto [ec, n] = std::get<0>(r);
    if (ec == asio::error::operation_aborted || !f->upstream_.is_open()) co_return;
    if (ec) continue;  // ICMP errors surface here as ECONNREFUSED: the flow lives on, as in IPVS
    f->last_ = clock::now();
    error_code sec;
    l->socket_.send_to(asio::buffer(buffer.data(), n), f->client_, 0, sec);
  }
}

asio::awaitable<void> udp_loop(std::shared_ptr<core> c, std::shared_ptr<core::udp_listener> l) {
  std::vector<char> buffer(65536);
  error_code lec;
  const udp::endpoint local = l->socket_.local_endpoint(lec);
  for (;;) {
    udp::endpoint sender;
    auto [ec, n] = co_await l->socket_.async_receive_from(asio::buffer(buffer), sender, use_tuple);
    if (c->stopped_ || ec == asio::error::operation_aborted || !l->socket_.is_open()) co_return;
    if (ec) continue;
    auto it = l->flows_.find(sender);
    std::shared_ptr<core::udp_flow> f;
    if (it != l->flows_.end()) {
      f = it->second;
    } else {
      auto t = c->schedule(connection{sender.address(), sender.port(), local.address(),
                                      local.port(), protocol::udp, 0});
      if (!t) continue;  // no destination: the datagram is dropped
      const auto to = endpoint_of<udp::endpoint>(*t, local.port());
      auto flow = std::make_shared<core::udp_flow>(core::udp_flow{
          udp::socket(l->socket_.get_executor()), sender, *t,
          asio::steady_timer(l->socket_.get_executor()), clock::now()});
      error_code oec;
      flow->upstream_.open(to.protocol(), oec);
      if (!oec) flow->upstream_.connect(to, oec);
      if (oec) {
        c->log("user-space plane: cannot reach " + to.address().to_string() + ":" +
               std::to_string(to.port()) + " for a UDP flow: " + oec.message());
        continue;
      }
      f = flow;
      l->flows_.emplace(sender, f);
      c->count(*t, 0, +1);  // IPVS counts UDP connections as inactive
      asio::co_spawn(l->socket_.get_executor(), udp_replies(c, l, f), asio::detached);
    }
    f->last_ = clock::now();
    error_code sec;
    f->upstream_.send(asio::buffer(buffer.data(), n), 0, sec);
  }
}

// ---- the plane ---------------------------------------------------------------------------

class user_space_plane final : public data_plane {
 public:
  explicit user_space_plane(plane_context context)
      : core_(std::make_shared<core>(std::move(context))) {}
  ~user_space_plane() override { stop(); }

  std::string_view kind() const override { return "user-space"; }

  bool start(std::string& why) override {
    const plane_spec& spec = core_->context_.spec_;
    const auto& executor = core_->context_.executor_;
    // Every entry is checked before anything is bound: a refusal binds nothing.
    for (const vip_entry& e : spec.vips_) {
      if (e.fwmark_) {
        why = "fwmark " + std::to_string(e.fwmark_) +
              ": the user-space plane listens on addresses and cannot see firewall marks";
        stop();
        return false;
      }
      if (e.port_ == 0) {
        why = "a port-less (port 0) service cannot be served in user space: it would listen on "
              "every port";
        stop();
        return false;
      }
    }
    for (const vip_entry& e : spec.vips_) {
      for (const address& a : addresses_of(e)) {
        error_code ec;
        if (spec.protocol_ == protocol::udp) {
          auto l = std::make_shared<core::udp_listener>(core::udp_listener{udp::socket(executor), {}});
          const udp::endpoint at(a, e.port_);
          l->socket_.open(at.protocol(), ec);
          if (!ec) prepare_listening(l->socket_, a, ec);
          if (!ec) l->socket_.bind(at, ec);
          if (ec) return fail(why, a, e.port_, ec);
          core_->udp_listeners_.push_back(l);
        } else {
          tcp::acceptor& acc = core_->acceptors_.emplace_back(executor);
          const tcp::endpoint at(a, e.port_);
          acc.open(at.protocol(), ec);
          if (!ec) prepare_listening(acc, a, ec);
          if (!ec) acc.bind(at, ec);
          if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
          if (ec) return fail(why, a, e.port_, ec);
        }
      }
    }
    for (tcp::acceptor& acc : core_->acceptors_)
      asio::co_spawn(executor, accept_loop(core_, acc), asio::detached);
    for (auto& l : core_->udp_listeners_)
      asio::co_spawn(executor, udp_loop(core_, l), asio::detached);
    return true;
  }

  void pool_changed() override {
    // New connections follow the new pool by themselves (each asks schedule()). A destination
    // that (re)joined the pool starts at zero counts there: give it back what this plane
    // still carries to it.
    if (core_->stopped_ || core_->draining_) return;
    for (const auto& [key, n] : core_->counts_)
      core_->context_.service_->connection_counts(target{key.first, key.second, std::nullopt},
                                                  n.active_, n.inactive_);
  }

  void drain() override {
    if (core_->stopped_ || core_->draining_) return;
    core_->draining_ = true;
    // UDP has no connection to finish: its flows end with the service.
    close_listeners();
    core_->counts_.clear();
  }

  void stop() override {
    if (core_->stopped_) return;
    core_->stopped_ = true;
    close_listeners();
    for (const auto& s : core_->tcp_sockets_) reset(*s);
    core_->counts_.clear();
  }

 private:
  // The TCP listeners, the UDP sockets and every UDP flow.
  void close_listeners() {
    error_code ignored;
    for (tcp::acceptor& acc : core_->acceptors_) acc.close(ignored);
    for (auto& l : core_->udp_listeners_) {
      l->socket_.close(ignored);
      for (auto& [who, f] : l->flows_) {
        f->upstream_.close(ignored);
        f->timer_.cancel();
      }
      l->flows_.clear();
    }
  }

  bool fail(std::string& why, const address& a, std::uint16_t port, const error_code& ec) {
    why = "cannot listen on " + (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
          std::to_string(port) + ": " + ec.message();
    stop();
    return false;
  }

  std::shared_ptr<core> core_;
};

}  // namespace

std::unique_ptr<data_plane> make_user_space_plane(plane_context context) {
  if (!context.service_) return nullptr;
  return std::make_unique<user_space_plane>(std::move(context));
}

}  // namespace tandem::runtime::lvs::dataplane
