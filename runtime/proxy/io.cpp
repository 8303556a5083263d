// See io.hpp.
#include "runtime/proxy/io.hpp"
#include "runtime/proxy/stick_session.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/connect.hpp>

#include "runtime/proxy/proxy_protocol.hpp"

namespace tandem::runtime::proxy {

using namespace asio::experimental::awaitable_operators;

namespace {

io_result from(const error_code& ec, std::size_t n) {
  io_result r;
  r.bytes_ = n;
  r.error_ = ec;
  if (!ec) {
    r.status_ = io_status::ok;
  } else if (ec == asio::error::eof || ec == asio::error::connection_reset ||
             ec == asio::error::broken_pipe) {
    r.status_ = io_status::closed;
  } else {
    r.status_ = io_status::error;
  }
  return r;
}

}  // namespace

constexpr std::size_t scratch_size = 16384;

struct timed_io::watchdog {
  explicit watchdog(asio::any_io_executor executor) : timer_(executor) {}
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point at_ = std::chrono::steady_clock::time_point::max();
  tcp::socket* target_ = nullptr;
  bool waiting_ = false;
  bool fired_ = false;
  bool closed_ = false;

  static void wait(const std::shared_ptr<watchdog>& self) {
    self->waiting_ = true;
    self->timer_.async_wait([self](const error_code&) { on_timer(self); });
  }

  // Runs when the timer expires or is moved earlier: fires when the armed limit has passed,
  // else waits again for it (or rests when nothing is armed).
  static void on_timer(const std::shared_ptr<watchdog>& self) {
    self->waiting_ = false;
    if (self->closed_ || self->at_ == std::chrono::steady_clock::time_point::max()) {
      return;
    }
    if (std::chrono::steady_clock::now() >= self->at_) {
      self->fired_ = true;
      self->at_ = std::chrono::steady_clock::time_point::max();
      if (self->target_ != nullptr) {
        error_code ignored;
        self->target_->cancel(ignored);
      }
      return;
    }
    self->timer_.expires_at(self->at_);
    wait(self);
  }
};

timed_io::timed_io(asio::any_io_executor executor)
    : dog_(std::make_shared<watchdog>(executor)), scratch_(new char[scratch_size]) {}

timed_io::~timed_io() {
  dog_->closed_ = true;
  dog_->timer_.cancel();
}

void timed_io::arm(tcp::socket& s, milliseconds limit) {
  dog_->fired_ = false;
  if (limit.count() == 0) {
    dog_->at_ = std::chrono::steady_clock::time_point::max();
    dog_->target_ = nullptr;
    return;
  }
  dog_->target_ = &s;
  // A tick-resolution reading: a timeout may end a few milliseconds early, never late.
  dog_->at_ = coarse_steady_now() + limit;
  if (!dog_->waiting_) {
    dog_->timer_.expires_at(dog_->at_);
    watchdog::wait(dog_);
  } else if (dog_->timer_.expiry() > dog_->at_) {
    // Earlier than the wait in progress: moving the expiry cancels that wait, whose handler
    // then waits again for at_.
    dog_->timer_.expires_at(dog_->at_);
  }
}

bool timed_io::disarm() {
  dog_->at_ = std::chrono::steady_clock::time_point::max();
  dog_->target_ = nullptr;
  return dog_->fired_;
}

awaitable<io_result> timed_io::read_some(tcp::socket& s, std::string& buffer,
                                         std::size_t max_bytes, milliseconds limit) {
  const std::size_t room = max_bytes > buffer.size() ? max_bytes - buffer.size() : 0;
  if (room == 0) {
    co_return io_result{io_status::error, 0, asio::error::no_buffer_space};
  }
  arm(s, limit);
  auto [ec, n] = co_await s.async_read_some(
      asio::buffer(scratch_.get(), std::min(room, scratch_size)), use_tuple);
  if (disarm()) {
    co_return io_result{io_status::timeout, 0, asio::error::timed_out};
  }
  buffer.append(scratch_.get(), n);
  if (&s == counted_) bytes_in_ += n;
  co_return from(ec, n);
}

awaitable<error_code> timed_io::connect(tcp::socket& s, const tcp::endpoint& to,
                                        milliseconds limit, const sockaddr_storage* from,
                                        socklen_t from_length) {
  error_code ignored;
  if (s.is_open()) {
    s.close(ignored);
  }
  s.open(to.protocol(), ignored);
  if (from != nullptr && from_length != 0) {
    // source ADDR[:PORT]: the connection leaves from that address (any free port unless one
    // is given; several connections may share a fixed one towards different servers).
    const int one = 1;
    ::setsockopt(s.native_handle(), SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.native_handle(), reinterpret_cast<const sockaddr*>(from), from_length) != 0) {
      co_return error_code(errno, boost::system::system_category());
    }
  }
  // The connect is issued here rather than through async_connect, which always waits for the
  // socket to turn writable and then asks poll() and SO_ERROR: over loopback (and on any fast
  // network path) the handshake has usually completed by the time connect() returns, which
  // one TCP_INFO reading tells; only a connection still in progress waits.
  error_code ec;
  s.non_blocking(true, ec);
  if (ec) co_return ec;
  const int fd = s.native_handle();
  if (::connect(fd, to.data(), static_cast<socklen_t>(to.size())) == 0) co_return error_code();
  if (errno != EINPROGRESS) co_return error_code(errno, asio::error::get_system_category());
  tcp_info info{};
  socklen_t info_length = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_length) == 0 &&
      info.tcpi_state == TCP_ESTABLISHED) {
    co_return error_code();
  }
  arm(s, limit);
  std::tie(ec) = co_await s.async_wait(tcp::socket::wait_write, use_tuple);
  if (disarm()) {
    co_return asio::error::timed_out;
  }
  if (ec) co_return ec;
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  co_return error == 0 ? error_code() : error_code(error, asio::error::get_system_category());
}

namespace {

// Sends what the socket takes now, without waiting: the number of bytes sent, or an error
// (a full socket buffer is not one). Most writes of a proxy fit in the socket's buffer, and
// sent here they need no asynchronous operation, whose completion would be posted and run on
// a later turn of the event loop (the coroutine would be suspended and resumed for nothing).
std::size_t send_now(tcp::socket& s, std::string_view data, error_code& ec) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(s.native_handle(), data.data() + sent, data.size() - sent,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno != EINTR) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec = error_code(errno, asio::error::get_system_category());
      }
      break;
    }
  }
  return sent;
}

}  // namespace

awaitable<io_result> timed_io::write_all(tcp::socket& s, std::string_view data,
                                         milliseconds limit) {
  error_code ec;
  const std::size_t n = send_now(s, data, ec);
  if (n < data.size() && !ec) {
    co_return co_await write_rest(s, data, n, limit);
  }
  if (&s == counted_) bytes_out_ += n;
  co_return from(ec, n);
}

bool timed_io::try_write(connection& c, std::string_view data, io_result& r) {
  r = io_result{};
  if (c.tls_ != nullptr) return false;
  error_code ec;
  const std::size_t n = send_now(c.socket_, data, ec);
  if (&c.socket_ == counted_) bytes_out_ += n;
  r = from(ec, n);
  return n == data.size() || ec;
}

awaitable<io_result> timed_io::write_rest(tcp::socket& s, std::string_view data,
                                          std::size_t sent, milliseconds limit) {
  arm(s, limit);
  auto [ec, n] = co_await asio::async_write(s, asio::buffer(data.substr(sent)), use_tuple);
  n += sent;
  if (&s == counted_) bytes_out_ += n;
  if (disarm()) {
    co_return io_result{io_status::timeout, 0, asio::error::timed_out};
  }
  co_return from(ec, n);
}

// The connection forms: a plain connection takes the socket's own path (one test more than
// the socket form), a TLS one goes through its stream.
awaitable<io_result> timed_io::read_some(connection& c, std::string& buffer,
                                         std::size_t max_bytes, milliseconds limit) {
  const std::size_t room = max_bytes > buffer.size() ? max_bytes - buffer.size() : 0;
  if (room == 0) {
    co_return io_result{io_status::error, 0, asio::error::no_buffer_space};
  }
  arm(c.socket_, limit);
  error_code ec;
  std::size_t n = 0;
  if (c.tls_ == nullptr) {
    std::tie(ec, n) = co_await c.socket_.async_read_some(
        asio::buffer(scratch_.get(), std::min(room, scratch_size)), use_tuple);
  } else {
    std::tie(ec, n) = co_await c.tls_->read_some(c.socket_, scratch_.get(),
                                                 std::min(room, scratch_size));
  }
  if (disarm()) {
    co_return io_result{io_status::timeout, 0, asio::error::timed_out};
  }
  buffer.append(scratch_.get(), n);
  if (&c.socket_ == counted_) bytes_in_ += n;
  co_return from(ec, n);
}

awaitable<io_result> timed_io::write_all(connection& c, std::string_view data,
                                         milliseconds limit) {
  error_code ec;
  std::size_t n = 0;
  if (c.tls_ == nullptr) {
    n = send_now(c.socket_, data, ec);
    if (n < data.size() && !ec) {
      co_return co_await write_rest(c.socket_, data, n, limit);
    }
    if (&c.socket_ == counted_) bytes_out_ += n;
    co_return from(ec, n);
  }
  arm(c.socket_, limit);
  while (n < data.size()) {
    auto [e, k] = co_await c.tls_->write_some(c.socket_, data.data() + n, data.size() - n);
    n += k;
    if (e) {
      ec = e;
      break;
    }
  }
  if (&c.socket_ == counted_) bytes_out_ += n;
  if (disarm()) {
    co_return io_result{io_status::timeout, 0, asio::error::timed_out};
  }
  co_return from(ec, n);
}

awaitable<error_code> timed_io::connect(connection& c, const tcp::endpoint& to,
                                        milliseconds limit, const sockaddr_storage* from,
                                        socklen_t from_length) {
  c.tls_.reset();  // no operation is in progress on a connection being connected
  return connect(c.socket_, to, limit, from, from_length);
}

awaitable<error_code> timed_io::handshake(connection& c, milliseconds limit) {
  if (c.tls_ == nullptr) co_return error_code();
  arm(c.socket_, limit);
  const error_code ec = co_await c.tls_->handshake(c.socket_);
  if (disarm()) {
    co_return asio::error::timed_out;
  }
  co_return ec;
}

awaitable<error_code> accept_tls(connection& client, const tls::server_context& context,
                                 timed_io& io, milliseconds limit) {
  SSL* session = context.new_session();
  if (session == nullptr) co_return asio::error::no_memory;
  client.start_tls(session);
  co_return co_await io.handshake(client, limit);
}

tcp::endpoint to_endpoint(const sockaddr_storage& address, socklen_t length) {
  tcp::endpoint e;
  std::memcpy(e.data(), &address, length);
  e.resize(length);
  return e;
}

namespace {

tcp::endpoint server_endpoint(const server& s, const tcp::endpoint& client_destination) {
  tcp::endpoint e = to_endpoint(s.address_, s.address_length_);
  if (s.port_from_client_) {
    e.port(static_cast<unsigned short>(client_destination.port() + s.port_offset_));
  }
  return e;
}

server* pick(backend& be, const balance::request_keys& keys) {
  if (!be.balancer_) {
    return nullptr;
  }
  const std::optional<std::uint32_t> id = be.balancer_->pick(keys);
  if (!id || *id >= be.servers_.size()) {
    return nullptr;
  }
  return be.servers_[*id].get();
}

// A server other than `avoid` when the balancer has one to give, as HAProxy's balancers take
// a server to avoid on a redispatch: asked again up to once per server (round robin moves on;
// a hash keeps answering the same, which then is the answer).
server* pick_other(backend& be, const balance::request_keys& keys, const server* avoid) {
  server* s = pick(be, keys);
  for (std::size_t tries = 1; s == avoid && tries < be.servers_.size(); ++tries) {
    s = pick(be, keys);
  }
  return s;
}

}  // namespace

namespace {

bool full(const server& s) {
  return s.maxconn_ != 0 && s.current_.load(std::memory_order_relaxed) >= s.maxconn_;
}

// Waits in the backend's queue until a slot frees or `until` passes; false on time out.
awaitable<bool> wait_for_slot(backend& be, asio::any_io_executor executor,
                              std::chrono::steady_clock::time_point until) {
  asio::steady_timer timer(executor, until);
  auto w = std::make_shared<request_queue::waiter>();
  asio::steady_timer* t = &timer;
  // Woken from whichever thread freed a slot: the cancel runs on this request's own thread.
  w->wake_ = [executor, t, alive = std::weak_ptr<request_queue::waiter>(w)] {
    asio::post(executor, [t, alive] {
      if (alive.lock()) t->cancel();
    });
  };
  be.queue_.push(w);
  auto [ec] = co_await timer.async_wait(use_tuple);
  be.queue_.remove(w);
  const bool woken = ec == asio::error::operation_aborted;
  w.reset();
  co_return woken || std::chrono::steady_clock::now() < until;
}

}  // namespace

void idle_pool::park(const server* s, connection c) {
  constexpr std::size_t most_per_server = 256;
  std::vector<connection>& idle = idle_[s];
  if (idle.size() < most_per_server && c.is_open()) {
    idle.push_back(std::move(c));
  }
}

std::optional<connection> idle_pool::take(const server* s) {
  const auto it = idle_.find(s);
  if (it == idle_.end()) {
    return std::nullopt;
  }
  std::vector<connection>& idle = it->second;
  while (!idle.empty()) {
    connection c = std::move(idle.back());
    idle.pop_back();
    // Still open on the server's side: nothing to read (a close or stray bytes end it; over
    // TLS, a close_notify or any record the session has not read).
    char probe;
    const ssize_t n = ::recv(c.socket_.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return c;
    }
    error_code ignored;
    c.close(ignored);
  }
  return std::nullopt;
}

awaitable<connect_result> connect_server(connection& out, timed_io& io, backend& be,
                                         server* first, const balance::request_keys& keys,
                                         const tcp::endpoint& client_destination,
                                         idle_pool* pool, const acl::sample_source* source) {
  connect_result result;
  const auto started = std::chrono::steady_clock::now();
  auto since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t);
  };
  if (first != nullptr && full(*first)) {
    first = nullptr;  // its slots are taken: the queue below, as any other request
  }
  server* target = first != nullptr ? first : pick(be, keys);
  const bool waited = target == nullptr;
  if (target == nullptr) {
    if (!be.any_usable()) {
      result.no_server_ = true;
      co_return result;
    }
    // Every usable server is at its maxconn: queue, as HAProxy does, for timeout queue
    // (timeout connect when it is not set).
    const milliseconds limit = be.timeouts_.queue_.count() != 0 ? be.timeouts_.queue_
                                                                 : be.timeouts_.connect_;
    const auto until = limit.count() == 0 ? std::chrono::steady_clock::time_point::max()
                                          : std::chrono::steady_clock::now() + limit;
    while (target == nullptr) {
      const std::uint32_t queued = be.counters_.queue_current_.fetch_add(1) + 1;
      raise_to(be.counters_.queue_max_, queued);
      const bool slot = co_await wait_for_slot(be, out.get_executor(), until);
      be.counters_.queue_current_.fetch_sub(1);
      if (!slot) {
        result.no_server_ = true;
        result.queue_timed_out_ = true;
        result.queue_time_ = since(started);
        co_return result;
      }
      if (!be.any_usable()) {
        result.no_server_ = true;
        co_return result;
      }
      target = pick(be, keys);
    }
  }
  // Without a wait in the queue, Tw is 0 and the connection starts when the request did: no
  // clock reading for either.
  result.queue_time_ = waited ? since(started) : milliseconds(0);
  const auto connecting = waited ? std::chrono::steady_clock::now() : started;
  const unsigned attempts = be.retries_ + 1;
  // A server chosen by persistence (cookie, stick match, use-server) is HAProxy's SF_DIRECT.
  const bool direct = first != nullptr;
  bool redispatch_now = false;  // the failed attempt's server does not matter: pick again
  for (unsigned attempt = 0; attempt < attempts; ++attempt) {
    if (attempt > 0) {
      result.retries_ = attempt;
      // HAProxy's redispatch: at once (redispatch_now), or on the last retry, the request goes
      // to whichever server the balancer picks now; it counts as a redispatch only when that
      // is another server, else as a retry.
      bool moved = false;
      if (redispatch_now || (attempt + 1 == attempts && be.redispatch_)) {
        if (server* other = pick_other(be, keys, target); other != nullptr && other != target) {
          target->counters_.redispatches_.fetch_add(1, std::memory_order_relaxed);
          be.counters_.redispatches_.fetch_add(1, std::memory_order_relaxed);
          result.redispatched_ = moved = true;
          target = other;
        }
      }
      if (!moved) {
        target->counters_.retries_.fetch_add(1, std::memory_order_relaxed);
        be.counters_.retries_.fetch_add(1, std::memory_order_relaxed);
      }
    }
    be.balancer_->connection_opened(target->id_);
    const std::uint32_t now_serving = target->current_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (attempt == 0 && pool != nullptr) {
      if (std::optional<connection> idle = pool->take(target)) {
        error_code ignored;
        if (out.is_open()) out.close(ignored);
        out = std::move(*idle);
        target->total_.fetch_add(1, std::memory_order_relaxed);
        note_stream(be, *target, now_serving);
        target->counters_.reuses_.fetch_add(1, std::memory_order_relaxed);
        be.counters_.reuses_.fetch_add(1, std::memory_order_relaxed);
        result.server_ = target;
        result.reused_ = true;
        co_return result;
      }
    }
    target->counters_.connects_.fetch_add(1, std::memory_order_relaxed);
    be.counters_.connects_.fetch_add(1, std::memory_order_relaxed);
    const auto attempt_started =
        target->tls_ != nullptr ? std::chrono::steady_clock::now() : connecting;
    error_code ec =
        co_await io.connect(out, server_endpoint(*target, client_destination), be.timeouts_.connect_,
                            target->source_length_ != 0 ? &target->source_ : nullptr,
                            target->source_length_);
    if (!ec && target->tls_ != nullptr) {
      // `ssl`: the handshake is part of connecting, within what is left of timeout connect.
      std::string sni;
      if (target->tls_sni_ != nullptr && source != nullptr) {
        sni = target->tls_sni_->evaluate(*source).value_or(std::string());
      }
      // send-proxy: the PROXY header goes first, in clear, as HAProxy sends it.
      if ((target->send_proxy_ || target->send_proxy_v2_) && source != nullptr) {
        const std::string header =
            target->send_proxy_v2_
                ? proxy_protocol::encode_v2(source->source(), source->destination())
                : proxy_protocol::encode_v1(source->source(), source->destination());
        const io_result w = co_await io.write_all(out, header, be.timeouts_.connect_);
        if (w.status_ != io_status::ok) ec = w.error_ ? w.error_ : asio::error::timed_out;
      }
      SSL* session = ec ? nullptr : target->tls_->new_session(sni);
      if (ec) {
        error_code ignored;
        out.close(ignored);
      } else if (session == nullptr) {
        ec = asio::error::no_memory;
      } else {
        out.start_tls(session);
        milliseconds left = be.timeouts_.connect_;
        if (left.count() != 0) {
          left = std::max(milliseconds(1), left - since(attempt_started));
        }
        ec = co_await io.handshake(out, left);
        if (ec) {
          error_code ignored;
          out.close(ignored);
        }
      }
    }
    if (!ec) {
      target->total_.fetch_add(1, std::memory_order_relaxed);
      note_stream(be, *target, now_serving);
      error_code ignored;
      out.set_option(tcp::no_delay(true), ignored);
      result.server_ = target;
      result.connect_time_ = since(connecting);
      co_return result;
    }
    release_server(be, target);
    if (attempt + 1 == attempts) {
      target->counters_.connection_errors_.fetch_add(1, std::memory_order_relaxed);
      be.counters_.connection_errors_.fetch_add(1, std::memory_order_relaxed);
      result.server_for_log_ = target;
      result.connect_time_ = since(connecting);
    }
    result.timed_out_ = ec == asio::error::timed_out;
    // HAProxy's stream_choose_redispatch: with option redispatch, a request without
    // persistence to a round-robin backend with more than one active server, or to a server
    // now down, goes to whichever server the balancer picks next, at once.
    redispatch_now = be.redispatch_ && attempt + 1 < attempts &&
                     (!target->up_.load(std::memory_order_relaxed) ||
                      (!direct && be.usable_servers() > 1 &&
                       (be.algorithm_ == "roundrobin" || be.algorithm_ == "static-rr")));
    if (!result.timed_out_ && attempt + 1 < attempts && !redispatch_now) {
      // HAProxy's turn-around: a connection refused at once is retried after
      // min(timeout connect, 1s), not in a tight loop.
      milliseconds pause(1000);
      if (be.timeouts_.connect_.count() != 0) pause = std::min(pause, be.timeouts_.connect_);
      asio::steady_timer timer(out.get_executor(), pause);
      co_await timer.async_wait(use_tuple);
    }
  }
  co_return result;
}

void note_stream(backend& be, server& s, std::uint32_t serving) {
  s.counters_.session_started(serving);
  s.counters_.selected_.fetch_add(1, std::memory_order_relaxed);
  be.counters_.selected_.fetch_add(1, std::memory_order_relaxed);
}

void release_server(backend& be, server* s) {
  if (s == nullptr) {
    return;
  }
  be.balancer_->connection_closed(s->id_);
  s->current_.fetch_sub(1, std::memory_order_relaxed);
  be.queue_.wake_one();
}

awaitable<std::uint64_t> relay_one_way(connection& from, connection& to, milliseconds idle) {
  relay_side a{from};
  relay_side b{to};
  co_return co_await relay_one_way(a, b, idle);
}

awaitable<std::uint64_t> relay_one_way(relay_side& from_side, relay_side& to_side,
                                       milliseconds idle) {
  connection& from = from_side.connection_;
  connection& to = to_side.connection_;
  auto limit = [&] {
    if (!from_side.shut_ || from_side.fin_.count() == 0) return idle;
    return idle.count() == 0 ? from_side.fin_ : std::min(idle, from_side.fin_);
  };
  bool was_shut = from_side.shut_;
  timed_io io(from.get_executor());
  std::string buffer;
  std::uint64_t copied = 0;
  for (;;) {
    buffer.clear();
    const io_result r = co_await io.read_some(from, buffer, scratch_size, limit());
    error_code ignored;
    if (r.status_ != io_status::ok) {
      if (r.error_ == asio::error::operation_aborted && from_side.shut_ && !was_shut) {
        // The other direction has just shut `from`'s sending side and woken this read: wait
        // again, now with `from`'s half-closed timeout.
        was_shut = true;
        continue;
      }
      if (r.error_ == asio::error::eof) {
        to.shutdown(tcp::socket::shutdown_send, ignored);
        to_side.shut_ = true;
        if (to_side.fin_.count() != 0) to.cancel(ignored);  // the other direction's wait
      } else {
        from.close(ignored);
        to.close(ignored);
      }
      co_return copied;
    }
    const io_result w = co_await io.write_all(to, buffer, idle);
    copied += w.bytes_;
    if (w.status_ != io_status::ok) {
      from.close(ignored);
      to.close(ignored);
      co_return copied;
    }
  }
}

backend* choose_backend(const frontend& fe, const proxy_set& proxies,
                        const acl::sample_source& source) {
  for (const backend_switch& sw : fe.switches_) {
    if (sw.condition_ == nullptr || sw.condition_->evaluate(source)) {
      backend* chosen = sw.dynamic_ ? proxies.find_backend(sw.dynamic_->evaluate(source))
                                    : proxies.find_backend(sw.backend_);
      if (chosen != nullptr) {
        return chosen;
      }
    }
  }
  return fe.default_backend_;
}

awaitable<bool> read_proxy_header(tcp::socket& s, timed_io& io, std::string& buffer,
                                  milliseconds limit, sockaddr_storage& source,
                                  sockaddr_storage& destination) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const proxy_protocol::parsed p = proxy_protocol::parse(buffer);
    if (p.state_ == proxy_protocol::parse_state::error) co_return false;
    if (p.state_ == proxy_protocol::parse_state::done) {
      if (p.has_addresses_) {
        source = p.source_;
        destination = p.destination_;
      }
      buffer.erase(0, p.consumed_);
      co_return true;
    }
    milliseconds left(0);
    if (limit.count() != 0) {
      left = std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) co_return false;
    }
    const io_result r = co_await io.read_some(s, buffer, 4096, left);
    if (r.status_ != io_status::ok) co_return false;
  }
}

awaitable<bool> read_proxy_header_before_tls(tcp::socket& s, milliseconds limit,
                                             sockaddr_storage& source,
                                             sockaddr_storage& destination) {
  const auto until = limit.count() == 0 ? std::chrono::steady_clock::time_point::max()
                                        : std::chrono::steady_clock::now() + limit;
  asio::steady_timer timer(s.get_executor(), until);
  std::string header;  // the bytes taken so far: all of them the header's
  char peeked[4096];
  for (;;) {
    const auto ready = co_await (s.async_wait(tcp::socket::wait_read, use_tuple) ||
                                 timer.async_wait(use_tuple));
    // Late, or the socket failed.
    if (ready.index() != 0 || std::get<0>(std::get<0>(ready))) co_return false;
    const ssize_t n = ::recv(s.native_handle(), peeked, sizeof peeked, MSG_PEEK | MSG_DONTWAIT);
    if (n <= 0) {
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
      co_return false;  // closed before the header ended
    }
    const std::string seen = header + std::string(peeked, static_cast<std::size_t>(n));
    const proxy_protocol::parsed p = proxy_protocol::parse(seen);
    if (p.state_ == proxy_protocol::parse_state::error) co_return false;
    // Unfinished, every byte seen is the header's; finished, its last one is at consumed_.
    const std::size_t take = p.state_ == proxy_protocol::parse_state::done
                                 ? p.consumed_ - header.size()
                                 : static_cast<std::size_t>(n);
    const ssize_t got = ::recv(s.native_handle(), peeked, take, MSG_DONTWAIT);
    if (got != static_cast<ssize_t>(take)) co_return false;
    header.append(peeked, take);
    if (p.state_ == proxy_protocol::parse_state::done) {
      if (p.has_addresses_) {
        source = p.source_;
        destination = p.destination_;
      }
      co_return true;
    }
  }
}

std::string proxy_header_for(const server& s, const tcp::endpoint& client,
                             const tcp::endpoint& destination) {
  if (!s.send_proxy_ && !s.send_proxy_v2_) return {};
  sockaddr_storage from{};
  sockaddr_storage to{};
  std::memcpy(&from, client.data(), std::min<std::size_t>(client.size(), sizeof from));
  std::memcpy(&to, destination.data(), std::min<std::size_t>(destination.size(), sizeof to));
  return s.send_proxy_v2_ ? proxy_protocol::encode_v2(from, to) : proxy_protocol::encode_v1(from, to);
}

server* forced_server(const backend& be, const acl::sample_source& source) {
  for (const server_switch& sw : be.server_switches_) {
    if (sw.condition_ != nullptr && !sw.condition_->evaluate(source)) continue;
    server* s = sw.dynamic_ ? be.find_server(sw.dynamic_->evaluate(source)) : sw.server_;
    if (s != nullptr && s->up_.load(std::memory_order_relaxed) &&
        !s->maintenance_.load(std::memory_order_relaxed)) {
      return s;
    }
  }
  return nullptr;
}

bool connection_rules_accept(const frontend& fe, const acl::sample_source& source) {
  for (const tcp_rule& rule : fe.tcp_rules_) {
    if (rule.content_) continue;
    if (rule.condition_ == nullptr || rule.condition_->evaluate(source)) {
      if (rule.action_ == tcp_rule_action::track) {
        run_tcp_track(rule.track_, source, true, false);  // not final: the next rules run
        continue;
      }
      return rule.action_ != tcp_rule_action::reject;
    }
  }
  return true;
}

namespace {

// `counts_request`: an HTTP request already counted in what was tracked before (a backend's
// rules): a new tracker counts it too, as HAProxy's do.
content_verdict content_rules(const std::vector<tcp_rule>& rules,
                              const acl::sample_source& source, bool counts_request) {
  for (const tcp_rule& rule : rules) {
    if (!rule.content_) continue;
    if (rule.condition_ == nullptr || rule.condition_->evaluate(source)) {
      if (rule.action_ == tcp_rule_action::track) {
        run_tcp_track(rule.track_, source, false, counts_request);
        continue;
      }
      return rule.action_ == tcp_rule_action::reject ? content_verdict::reject
                                                      : content_verdict::accept;
    }
  }
  return content_verdict::undecided;
}

}  // namespace

content_verdict run_content_rules(const frontend& fe, const acl::sample_source& source) {
  return content_rules(fe.tcp_rules_, source, false);
}

content_verdict run_content_rules(const backend& be, const acl::sample_source& source) {
  return content_rules(be.tcp_rules_, source, source.request() != nullptr);
}

std::span<const std::uint8_t> address_key(const tcp::endpoint& peer,
                                          std::array<std::uint8_t, 16>& storage) {
  if (peer.address().is_v4()) {
    const auto b = peer.address().to_v4().to_bytes();
    std::copy(b.begin(), b.end(), storage.begin());
    return {storage.data(), 4};
  }
  const auto b = peer.address().to_v6().to_bytes();
  std::copy(b.begin(), b.end(), storage.begin());
  return {storage.data(), 16};
}

}  // namespace tandem::runtime::proxy
