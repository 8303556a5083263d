// What the I/O tests of runtime/checks share: small TCP servers on 127.0.0.1 that run inside
// the test's own io_context (answer, stay silent, close at once, speak SMTP...), a port with
// nothing listening, and running an awaitable to completion with a time limit.
#pragma once

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tandem::runtime::checks::testing {

namespace asio = boost::asio;
using asio::ip::tcp;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A listening server whose connections each run `behaviour`; close() (or the destructor)
// stops it and closes every connection, so the io_context runs out of work.
class loopback_server {
 public:
  using behaviour = std::function<asio::awaitable<void>(tcp::socket&, loopback_server&)>;

  loopback_server(asio::io_context& io, behaviour b)
      : io_(io),
        acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        behaviour_(std::move(b)) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
  }
  ~loopback_server() { close(); }

  std::uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  // What each connection sent, as far as the behaviour read it.
  std::vector<std::string> received_;

  void close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& s : sockets_) {
      s->close(ignored);
    }
  }

 private:
  asio::awaitable<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) {
        co_return;
      }
      ++connections_;
      sockets_.push_back(std::make_shared<tcp::socket>(std::move(socket)));
      asio::co_spawn(io_, serve(sockets_.back()), asio::detached);
    }
  }
  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket) {
    co_await behaviour_(*socket, *this);
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = acceptor_.local_endpoint().port();
  behaviour behaviour_;
  int connections_ = 0;
  std::list<std::shared_ptr<tcp::socket>> sockets_;
};

// Reads until `end` (or the peer stops), records it, writes `reply`, closes.
inline loopback_server::behaviour reply_to_request(std::string reply,
                                                   std::string end = "\r\n\r\n") {
  return [reply, end](tcp::socket& s, loopback_server& server) -> asio::awaitable<void> {
    std::string request;
    co_await asio::async_read_until(s, asio::dynamic_buffer(request), end, use_tuple);
    server.received_.push_back(request);
    co_await asio::async_write(s, asio::buffer(reply), use_tuple);
    boost::system::error_code ignored;
    s.shutdown(tcp::socket::shutdown_send, ignored);
    // Drain until the checker closes, so closing sends no reset.
    char sink[256];
    while (true) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) {
        break;
      }
    }
    s.close(ignored);
  };
}

// Accepts and closes the connection at once, without reading.
inline loopback_server::behaviour close_at_once() {
  return [](tcp::socket& s, loopback_server&) -> asio::awaitable<void> {
    boost::system::error_code ignored;
    s.close(ignored);
    co_return;
  };
}

// Reads what comes and never answers.
inline loopback_server::behaviour stay_silent() {
  return [](tcp::socket& s, loopback_server& server) -> asio::awaitable<void> {
    char buffer[1024];
    std::string got;
    while (true) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(buffer), use_tuple);
      if (ec) {
        break;
      }
      got.append(buffer, n);
    }
    server.received_.push_back(got);
  };
}

// Writes `first` on connect, then for each line received answers with the next reply.
inline loopback_server::behaviour dialogue(std::string first, std::vector<std::string> replies) {
  return [first, replies](tcp::socket& s, loopback_server& server) -> asio::awaitable<void> {
    co_await asio::async_write(s, asio::buffer(first), use_tuple);
    std::string in;
    for (const std::string& reply : replies) {
      auto [ec, n] = co_await asio::async_read_until(s, asio::dynamic_buffer(in), "\n", use_tuple);
      if (ec) {
        break;
      }
      server.received_.push_back(in.substr(0, n));
      in.erase(0, n);
      co_await asio::async_write(s, asio::buffer(reply), use_tuple);
    }
    char sink[256];
    while (true) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(sink), use_tuple);
      if (ec) {
        break;
      }
    }
  };
}

// A port nothing listens on (bound once, then released).
inline std::uint16_t closed_port(asio::io_context& io) {
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// A port whose accept queue is full, so new connections hang in SYN-SENT: the way to get a
// connect timeout on loopback. Holds the listening socket and the queued connections.
class full_backlog {
 public:
  explicit full_backlog(asio::io_context& io)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), false) {
    boost::system::error_code ignored;
    acceptor_.listen(0, ignored);
    // Raw non-blocking connects: asio's own connect() would wait for each to complete.
    const tcp::endpoint to = acceptor_.local_endpoint();
    for (int i = 0; i < 3; ++i) {
      fillers_.emplace_back(io);
      fillers_.back().open(tcp::v4(), ignored);
      fillers_.back().native_non_blocking(true, ignored);
      (void)::connect(fillers_.back().native_handle(), to.data(), to.size());
    }
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  tcp::acceptor acceptor_;
  std::list<tcp::socket> fillers_;
};

// Runs `task` on `io` until it completes or `limit` passes (then nullopt).
template <typename T>
std::optional<T> run_for(asio::io_context& io, asio::awaitable<T> task,
                         std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
  auto out = std::make_shared<std::optional<T>>();
  asio::co_spawn(io, std::move(task),
                 [out](std::exception_ptr, T value) { *out = std::move(value); });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!*out && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(10));
  }
  return *out;
}

// Lets pending handlers (closing sockets, cancelled waits) finish.
inline void drain(asio::io_context& io) {
  io.restart();
  io.run_for(std::chrono::milliseconds(20));
}

}  // namespace tandem::runtime::checks::testing
