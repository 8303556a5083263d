// The user-space data plane on loopback: real TCP and UDP servers started by the test, a
// virtual_service deciding, the plane relaying. Round robin alternates; connection counts are
// exact (established = active, closing and UDP = inactive) and reach the scheduler; a half
// close passes through; a removed real server's established connection keeps going while new
// ones avoid it; idle UDP flows expire; IP_FREEBIND binds a VIP that is not here yet; stop()
// leaves no socket behind.
#include <gtest/gtest.h>

#include <map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/lvs/dataplane/data_plane.hpp"

namespace tandem::runtime::lvs::dataplane {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

const auto loopback = asio::ip::make_address("127.0.0.1");

// A real server: greets with its name, echoes, answers "bye" to the client's end of sending.
struct tcp_server {
  tcp::acceptor acceptor_;
  std::string name_;
  int accepted_ = 0;
  tcp_server(asio::io_context& io, std::string name)
      : acceptor_(io, tcp::endpoint(loopback, 0)), name_(std::move(name)) {
    asio::co_spawn(io, accept(), asio::detached);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, s] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++accepted_;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(s)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket s) {
    auto t = asio::as_tuple(asio::use_awaitable);
    std::string hello = name_ + "\n";
    co_await asio::async_write(s, asio::buffer(hello), t);
    char buf[1024];
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), t);
      if (n) co_await asio::async_write(s, asio::buffer(buf, n), t);
      if (ec == asio::error::eof) {
        co_await asio::async_write(s, asio::buffer(std::string("bye\n")), t);
        co_return;
      }
      if (ec) co_return;
    }
  }
};

std::uint16_t free_port(asio::io_context& io) {
  tcp::acceptor a(io, tcp::endpoint(loopback, 0));
  return a.local_endpoint().port();
}

template <class F>
void run_until(asio::io_context& io, F done, std::chrono::milliseconds limit = 5s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < end) io.run_for(10ms);
  io.restart();
}

// Sends `text` on `s` and waits (driving `io`) until the echo server sends it back.
bool echoes(asio::io_context& io, tcp::socket& s, const std::string& text) {
  asio::write(s, asio::buffer(text));
  bool got = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    asio::streambuf buf;
    auto [ec, n] = co_await asio::async_read_until(s, buf, text, asio::as_tuple(asio::use_awaitable));
    got = !ec;
  }, asio::detached);
  run_until(io, [&] { return got; });
  return got;
}

struct fixture {
  asio::io_context io_;
  std::unique_ptr<virtual_service> service_;
  std::unique_ptr<data_plane> plane_;
  std::uint16_t vport_ = 0;
  std::vector<std::string> logs_;

  void make(service_config sc, std::chrono::seconds udp_timeout = 300s) {
    vport_ = sc.port_;
    service_ = std::make_unique<virtual_service>(sc, nullptr);
    service_->start();
    plane_spec spec;
    spec.display_ = sc.display();
    spec.vips_.push_back({sc.address_, sc.address_, sc.port_, 0});
    spec.protocol_ = sc.protocol_;
    spec.udp_timeout_ = udp_timeout;
    plane_context ctx;
    ctx.executor_ = io_.get_executor();
    ctx.service_ = service_.get();
    ctx.spec_ = spec;
    ctx.log_ = [this](std::string_view l) { logs_.emplace_back(l); };
    plane_ = make_user_space_plane(std::move(ctx));
    ASSERT_TRUE(plane_);
    std::string why;
    ASSERT_TRUE(plane_->start(why)) << why;
  }

  // Connects to the VIP and reads the greeting: which real server took the connection.
  std::pair<std::unique_ptr<tcp::socket>, std::string> connect() {
    auto s = std::make_unique<tcp::socket>(io_);
    std::string line;
    bool done = false;
    asio::co_spawn(io_, [&]() -> asio::awaitable<void> {
      auto t = asio::as_tuple(asio::use_awaitable);
      auto [ec] = co_await s->async_connect(tcp::endpoint(loopback, vport_), t);
      if (!ec) {
        asio::streambuf b;
        auto [rec, n] = co_await asio::async_read_until(*s, b, '\n', t);
        if (!rec) line.assign(asio::buffers_begin(b.data()), asio::buffers_begin(b.data()) + n - 1);
      }
      done = true;
    }, asio::detached);
    run_until(io_, [&] { return done; });
    return {std::move(s), line};
  }

  std::uint32_t active(std::uint16_t port) const {
    for (const auto& d : service_->pool())
      if (d.port_ == port) return d.active_;
    return 0;
  }
  std::uint32_t inactive(std::uint16_t port) const {
    for (const auto& d : service_->pool())
      if (d.port_ == port) return d.inactive_;
    return 0;
  }
};

service_config two_servers(std::uint16_t vport, std::uint16_t a, std::uint16_t b,
                           std::string sched, protocol p = protocol::tcp) {
  service_config sc;
  sc.address_ = loopback;
  sc.port_ = vport;
  sc.protocol_ = p;
  sc.scheduler_ = std::move(sched);
  real_server_config ra, rb;
  ra.address_ = rb.address_ = loopback;
  ra.port_ = a;
  rb.port_ = b;
  ra.checkers_start_down_ = rb.checkers_start_down_ = {false};
  sc.real_servers_ = {ra, rb};
  return sc;
}

TEST(lvs_user_space_plane, round_robin_alternates_and_counts_are_exact) {
  fixture f;
  tcp_server a(f.io_, "A"), b(f.io_, "B");
  f.make(two_servers(free_port(f.io_), a.port(), b.port(), "rr"));
  EXPECT_EQ(f.plane_->kind(), "user-space");
  std::vector<std::unique_ptr<tcp::socket>> held;
  std::string seen;
  for (int i = 0; i < 4; ++i) {
    auto [s, who] = f.connect();
    seen += who;
    held.push_back(std::move(s));
  }
  EXPECT_TRUE(seen == "ABAB" || seen == "BABA") << seen;
  run_until(f.io_, [&] { return f.active(a.port()) == 2 && f.active(b.port()) == 2; });
  EXPECT_EQ(f.active(a.port()), 2u);
  EXPECT_EQ(f.active(b.port()), 2u);
  EXPECT_EQ(f.inactive(a.port()), 0u);
  // The clients half-close: the servers' "bye" still arrives, and the flows end.
  for (auto& s : held) s->shutdown(tcp::socket::shutdown_send);
  std::string byes;
  for (auto& s : held) {
    asio::co_spawn(f.io_, [&, s = s.get()]() -> asio::awaitable<void> {
      asio::streambuf buf;
      auto [ec, n] = co_await asio::async_read_until(*s, buf, "bye\n", asio::as_tuple(asio::use_awaitable));
      if (!ec) byes += "b";
    }, asio::detached);
  }
  run_until(f.io_, [&] { return byes.size() == 4; });
  EXPECT_EQ(byes, "bbbb");
  held.clear();
  run_until(f.io_, [&] {
    return f.active(a.port()) + f.inactive(a.port()) + f.active(b.port()) + f.inactive(b.port()) == 0;
  });
  EXPECT_EQ(f.active(a.port()) + f.inactive(a.port()), 0u);
  EXPECT_EQ(f.active(b.port()) + f.inactive(b.port()), 0u);
}

TEST(lvs_user_space_plane, least_connection_follows_long_lived_connections) {
  fixture f;
  tcp_server a(f.io_, "A"), b(f.io_, "B");
  f.make(two_servers(free_port(f.io_), a.port(), b.port(), "wlc"));
  // Three long-lived connections: wlc spreads them; the fourth goes to the server with fewer.
  std::vector<std::unique_ptr<tcp::socket>> held;
  std::map<std::string, int> per;
  for (int i = 0; i < 3; ++i) {
    auto [s, who] = f.connect();
    ++per[who];
    held.push_back(std::move(s));
  }
  ASSERT_EQ(per["A"] + per["B"], 3);
  EXPECT_EQ(std::abs(per["A"] - per["B"]), 1);
  const std::string fewer = per["A"] < per["B"] ? "A" : "B";
  auto [s4, who4] = f.connect();
  EXPECT_EQ(who4, fewer);
}

TEST(lvs_user_space_plane, removed_server_keeps_its_connection_new_ones_avoid_it) {
  fixture f;
  tcp_server a(f.io_, "A"), b(f.io_, "B");
  f.make(two_servers(free_port(f.io_), a.port(), b.port(), "rr"));
  auto [s1, w1] = f.connect();
  auto [s2, w2] = f.connect();
  ASSERT_NE(w1, w2);
  auto& on_b = w1 == "B" ? s1 : s2;
  // B fails its checker: out of the pool.
  f.service_->checker_result(1, 0, false);
  f.plane_->pool_changed();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.connect().second, "A");
  // The established connection to B still works.
  EXPECT_TRUE(echoes(f.io_, *on_b, "ping\n"));
  // B comes back: the pool entry starts afresh, the plane gives it back its count.
  f.service_->checker_result(1, 0, true);
  f.plane_->pool_changed();
  EXPECT_EQ(f.active(b.port()), 1u);
}

TEST(lvs_user_space_plane, udp_flows_relay_count_inactive_and_expire) {
  fixture f;
  udp::socket echo_a(f.io_, udp::endpoint(loopback, 0)), echo_b(f.io_, udp::endpoint(loopback, 0));
  auto echo = [](udp::socket& s, std::string name) -> asio::awaitable<void> {
    char buf[512];
    for (;;) {
      udp::endpoint from;
      auto [ec, n] = co_await s.async_receive_from(asio::buffer(buf), from, asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      std::string reply = name + ":" + std::string(buf, n);
      s.send_to(asio::buffer(reply), from);
    }
  };
  asio::co_spawn(f.io_, echo(echo_a, "A"), asio::detached);
  asio::co_spawn(f.io_, echo(echo_b, "B"), asio::detached);
  const std::uint16_t vport = [&] {
    udp::socket probe(f.io_, udp::endpoint(loopback, 0));
    return probe.local_endpoint().port();
  }();
  f.make(two_servers(vport, echo_a.local_endpoint().port(), echo_b.local_endpoint().port(), "rr",
                     protocol::udp),
         1s);
  udp::socket c1(f.io_, udp::endpoint(loopback, 0)), c2(f.io_, udp::endpoint(loopback, 0));
  std::vector<std::string> replies;
  auto ask = [&](udp::socket& c, std::string what) {
    c.send_to(asio::buffer(what), udp::endpoint(loopback, vport));
    std::string got;
    asio::co_spawn(f.io_, [&]() -> asio::awaitable<void> {
      char buf[512];
      udp::endpoint from;
      auto [ec, n] = co_await c.async_receive_from(asio::buffer(buf), from, asio::as_tuple(asio::use_awaitable));
      if (!ec && from == udp::endpoint(loopback, vport)) got.assign(buf, n);
    }, asio::detached);
    run_until(f.io_, [&] { return !got.empty(); });
    return got;
  };
  const std::string r1 = ask(c1, "x"), r2 = ask(c2, "y"), r3 = ask(c1, "z");
  ASSERT_FALSE(r1.empty());
  EXPECT_NE(r1.substr(0, 1), r2.substr(0, 1));  // two flows, rr
  EXPECT_EQ(r3.substr(0, 1), r1.substr(0, 1));  // the same flow stays on its server
  EXPECT_EQ(r3.substr(1), ":z");
  EXPECT_EQ(f.inactive(echo_a.local_endpoint().port()), 1u);
  EXPECT_EQ(f.inactive(echo_b.local_endpoint().port()), 1u);
  EXPECT_EQ(f.active(echo_a.local_endpoint().port()), 0u);
  run_until(f.io_, [&] {
    return f.inactive(echo_a.local_endpoint().port()) + f.inactive(echo_b.local_endpoint().port()) == 0;
  }, 4s);
  EXPECT_EQ(f.inactive(echo_a.local_endpoint().port()), 0u);
  EXPECT_EQ(f.inactive(echo_b.local_endpoint().port()), 0u);
}

TEST(lvs_user_space_plane, binds_an_absent_vip_and_stop_leaves_nothing) {
  asio::io_context io;
  service_config sc = two_servers(0, 1, 2, "rr");
  sc.address_ = asio::ip::make_address("192.0.2.77");  // TEST-NET-1: not on this machine
  sc.port_ = 8080;
  virtual_service svc(sc, nullptr);
  svc.start();
  plane_context ctx;
  ctx.executor_ = io.get_executor();
  ctx.service_ = &svc;
  ctx.spec_.vips_.push_back({sc.address_, sc.address_, sc.port_, 0});
  auto plane = make_user_space_plane(ctx);
  std::string why;
  EXPECT_TRUE(plane->start(why)) << why;  // IP_FREEBIND
  plane->stop();
  plane->stop();  // idempotent

  // Loopback: after stop, the port is free again and nothing answers there.
  fixture f;
  tcp_server a(f.io_, "A"), b(f.io_, "B");
  f.make(two_servers(free_port(f.io_), a.port(), b.port(), "rr"));
  auto [held, who] = f.connect();
  EXPECT_FALSE(who.empty());
  f.plane_->stop();
  run_until(f.io_, [] { return false; }, 50ms);
  EXPECT_TRUE(f.connect().second.empty());
  tcp::acceptor again(f.io_);
  again.open(tcp::v4());
  boost::system::error_code ec;
  again.bind(tcp::endpoint(loopback, f.vport_), ec);
  EXPECT_FALSE(ec) << ec.message();
}

TEST(lvs_user_space_plane, a_draining_plane_finishes_its_connections_and_takes_no_new_ones) {
  fixture f;
  tcp_server a(f.io_, "A"), b(f.io_, "B");
  f.make(two_servers(free_port(f.io_), a.port(), b.port(), "rr"));
  auto [held, who] = f.connect();
  ASSERT_FALSE(who.empty());
  f.plane_->drain();
  // The service may go: a draining plane does not call it any more.
  f.service_.reset();
  EXPECT_TRUE(f.connect().second.empty());
  EXPECT_TRUE(echoes(f.io_, *held, "still\n"));
  f.plane_->stop();
}

TEST(lvs_user_space_plane, fwmark_and_port_zero_are_refused) {
  asio::io_context io;
  service_config sc = two_servers(80, 1, 2, "rr");
  virtual_service svc(sc, nullptr);
  plane_context ctx;
  ctx.executor_ = io.get_executor();
  ctx.service_ = &svc;
  vip_entry mark;
  mark.fwmark_ = 3;
  ctx.spec_.vips_.push_back(mark);
  std::string why;
  EXPECT_FALSE(make_user_space_plane(ctx)->start(why));
  EXPECT_NE(why.find("fwmark 3"), std::string::npos) << why;
  // choose_plane agrees: where nftables cannot take a fwmark service, it is an error.
  plane_spec spec;
  spec.vips_.push_back(mark);
  if (nftables_unsuitable(spec)) {
    const plane_choice c = choose_plane(spec);
    EXPECT_TRUE(c.kind_.empty());
    EXPECT_NE(c.error_.find("fwmark"), std::string::npos) << c.error_;
  }
}

}  // namespace
}  // namespace tandem::runtime::lvs::dataplane
