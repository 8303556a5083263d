// See service.hpp.
#include "runtime/proxy/service.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/ip/v6_only.hpp>

#include "runtime/checks/log_lines.hpp"
#include "runtime/checks/server_check.hpp"
#include "runtime/proxy/io.hpp"

namespace tandem::runtime::proxy {

std::string listener_key(const listen_address& a) {
  return runtime::address_key(a.address_, a.interface_, a.v6only_, a.transparent_, {});
}

struct service::impl {
  proxy_set& proxies_;
  event_loop& loop_;
  log_sink log_;
  // One acceptor per listener per thread.
  struct acceptor_slot {
    frontend* frontend_;
    const listen_address* listener_;
    unsigned thread_;
    std::unique_ptr<tcp::acceptor> acceptor_;
    std::string key_;  // listener_key() of its address
    int fd_ = -1;      // its descriptor, read without touching the acceptor from other threads
    int backlog_ = SOMAXCONN;
  };
  std::vector<acceptor_slot> acceptors_;
  std::atomic<int> active_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> paused_{false};
  std::vector<std::unique_ptr<checks::server_check>> checks_;
  // Each thread's idle server connections; destroyed with the service, before the loop.
  std::vector<std::unique_ptr<idle_pool>> pools_;
  // Each thread's client connections waiting for a next request (see session_env).
  std::vector<std::unique_ptr<std::unordered_set<tcp::socket*>>> idle_clients_;

  // A check's result: a transition moves the server in or out of rotation and is logged as
  // HAProxy logs it, with the counts after the change.
  void on_check(backend& be, server& s, const checks::check_event& e) {
    std::uint32_t health_before = 0;
    {
      std::lock_guard lock(s.check_mutex_);
      health_before = s.check_state_.health_;
      s.check_state_.enabled_ = true;
      s.check_state_.status_ = checks::status_name(e.result_.status_);
      s.check_state_.code_ = e.result_.code_;
      s.check_state_.duration_ms_ = static_cast<std::uint64_t>(e.result_.duration_.count());
      s.check_state_.description_ = checks::status_description(e.result_.status_);
      if (!e.result_.info_.empty()) s.check_state_.description_ += ", info: \"" + e.result_.info_ + "\"";
      s.check_state_.health_ = e.counter_;
      s.check_state_.last_check_ms_ = wall_milliseconds();
    }
    // HAProxy counts a failed check (chkfail) only while the health can still drop.
    if (checks::outcome_of(e.result_.status_) == checks::check_outcome::failed &&
        health_before > 0) {
      s.history_.check_failures_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!e.change_.transition_) return;
    const checks::server_health h = *e.change_.transition_;
    const bool usable = h == checks::server_health::up;
    if (usable) s.history_.went_up();
    else if (s.up_.load()) s.history_.went_down();
    s.up_.store(usable);
    if (be.balancer_) be.balancer_->set_usable(s.id_, usable && !s.maintenance_.load());
    checks::backend_counts counts;
    for (const auto& other : be.servers_) {
      if (!other->up_.load() || other->maintenance_.load()) continue;
      if (other->backup_) ++counts.backup_servers_;
      else ++counts.active_servers_;
    }
    counts.sessions_active_ = s.current_.load();
    const checks::server_ref ref{be.name_, s.name_, s.backup_};
    log_("WARNING", checks::server_state_line(ref, h, &e.result_, counts));
    const bool backend_down = counts.active_servers_ == 0 && counts.backup_servers_ == 0;
    if (!usable && backend_down) {
      be.history_.went_down();
      log_("ALERT", checks::no_server_alert(be.listen_ ? "proxy" : "backend", be.name_));
    } else if (usable && be.history_.down_since_.load() != 0) {
      be.history_.went_up();
    }
  }

  impl(proxy_set& p, event_loop& l, log_sink log) : proxies_(p), loop_(l), log_(std::move(log)) {
    for (unsigned t = 0; t < loop_.size(); ++t) {
      pools_.push_back(std::make_unique<idle_pool>());
      idle_clients_.push_back(std::make_unique<std::unordered_set<tcp::socket*>>());
    }
  }

  bool open_one(frontend& fe, const listen_address& a, unsigned thread, std::string& error) {
    auto acc = std::make_unique<tcp::acceptor>(loop_.context(thread));
    const tcp::endpoint e = to_endpoint(a.address_, a.length_);
    error_code ec;
    acc->open(e.protocol(), ec);
    if (!ec) {
      acc->set_option(asio::socket_base::reuse_address(true), ec);
      const int one = 1;
      ::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      if (a.transparent_) {
        ::setsockopt(acc->native_handle(), SOL_IP, IP_TRANSPARENT, &one, sizeof one);
      }
      if (e.protocol() == tcp::v6()) {
        acc->set_option(asio::ip::v6_only(a.v6only_), ec);
      }
      // bind's TCP tuning: defer-accept, tfo, mss, tcp-ut.
      if (a.defer_accept_ != 0) {
        ::setsockopt(acc->native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &a.defer_accept_,
                     sizeof a.defer_accept_);
      }
      if (a.fast_open_ != 0) {
        ::setsockopt(acc->native_handle(), IPPROTO_TCP, TCP_FASTOPEN, &a.fast_open_,
                     sizeof a.fast_open_);
      }
      if (a.mss_ != 0) {
        ::setsockopt(acc->native_handle(), IPPROTO_TCP, TCP_MAXSEG, &a.mss_, sizeof a.mss_);
      }
      if (a.user_timeout_ != 0) {
        ::setsockopt(acc->native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &a.user_timeout_,
                     sizeof a.user_timeout_);
      }
      if (!a.interface_.empty()) {
        ::setsockopt(acc->native_handle(), SOL_SOCKET, SO_BINDTODEVICE, a.interface_.c_str(),
                     static_cast<socklen_t>(a.interface_.size()));
      }
      acc->bind(e, ec);
    }
    if (!ec) {
      acc->listen(a.backlog_ > 0 ? a.backlog_ : SOMAXCONN, ec);
    }
    if (ec) {
      // HAProxy 2.6's words for it.
      error = "Binding [" + a.origin_ + "] for frontend " + fe.name_ + ": cannot bind socket (" +
              ec.message() + ") for [" + a.text_ + "]";
      return false;
    }
    const int fd = acc->native_handle();
    acceptors_.push_back({&fe, &a, thread, std::move(acc), listener_key(a), fd,
                          a.backlog_ > 0 ? a.backlog_ : SOMAXCONN});
    return true;
  }

  // A listening socket handed over by the previous process, served on `thread`.
  bool adopt_one(frontend& fe, const listen_address& a, unsigned thread, int fd,
                 std::string& error) {
    auto acc = std::make_unique<tcp::acceptor>(loop_.context(thread));
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    error_code ec;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
      ec = error_code(errno, asio::error::get_system_category());
    } else {
      acc->assign(bound.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    }
    if (ec) {
      error = "Binding [" + a.origin_ + "] for frontend " + fe.name_ +
              ": cannot take over the socket of the previous process (" + ec.message() +
              ") for [" + a.text_ + "]";
      return false;
    }
    acceptors_.push_back({&fe, &a, thread, std::move(acc), listener_key(a), fd,
                          a.backlog_ > 0 ? a.backlog_ : SOMAXCONN});
    return true;
  }

  bool full(const frontend& fe) const {
    return (proxies_.global_maxconn_ != 0 &&
            proxies_.current_.load(std::memory_order_relaxed) >= proxies_.global_maxconn_) ||
           (fe.maxconn_ != 0 && fe.current_.load(std::memory_order_relaxed) >= fe.maxconn_);
  }

  void start_session(acceptor_slot& slot, tcp::socket socket) {
    frontend& fe = *slot.frontend_;
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    proxies_.current_.fetch_add(1, std::memory_order_relaxed);
    proxies_.connections_total_.fetch_add(1, std::memory_order_relaxed);
    const std::uint32_t serving = fe.current_.fetch_add(1, std::memory_order_relaxed) + 1;
    fe.counters_.connections_total_.fetch_add(1, std::memory_order_relaxed);
    fe.counters_.connection_rate_.add();
    fe.counters_.session_started(serving);
    active_.fetch_add(1);
    session_env env{proxies_,
                    fe,
                    *slot.listener_,
                    log_,
                    active_,
                    pools_[slot.thread_].get(),
                    idle_clients_[slot.thread_].get(),
                    &stopping_,
                    slot.listener_->tls_.get()};
    auto on_end = [this, &fe](std::exception_ptr) {
      proxies_.current_.fetch_sub(1, std::memory_order_relaxed);
      fe.current_.fetch_sub(1, std::memory_order_relaxed);
      if (active_.fetch_sub(1) == 1 && stopping_) {
        loop_.stop();  // every session has ended: nothing else to wait for
      }
    };
    if (fe.mode_ == mode::http) {
      asio::co_spawn(slot.acceptor_->get_executor(), run_http_session(std::move(socket), env),
                     on_end);
    } else {
      asio::co_spawn(slot.acceptor_->get_executor(), run_tcp_session(std::move(socket), env),
                     on_end);
    }
  }

  awaitable<void> accept_loop(acceptor_slot& slot) {
    frontend& fe = *slot.frontend_;
    for (;;) {
      // SIGTTOU: the socket has left the listening table until SIGTTIN.
      while (paused_) {
        asio::steady_timer pause(slot.acceptor_->get_executor(), milliseconds(20));
        co_await pause.async_wait(use_tuple);
        if (stopping_) co_return;
      }
      // maxconn: stop accepting while full, as HAProxy pauses its listeners; the kernel's
      // backlog holds the waiting connections.
      while (full(fe)) {
        asio::steady_timer pause(slot.acceptor_->get_executor(), milliseconds(5));
        co_await pause.async_wait(use_tuple);
        if (stopping_) co_return;
      }
      auto [ec, socket] = co_await slot.acceptor_->async_accept(use_tuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping_ || !slot.acceptor_->is_open()) {
          co_return;
        }
        // EMFILE and friends: wait a little rather than spin.
        asio::steady_timer pause(slot.acceptor_->get_executor(), milliseconds(10));
        co_await pause.async_wait(use_tuple);
        continue;
      }
      start_session(slot, std::move(socket));
      // A burst of connections is taken all at once (HAProxy accepts in batches): each
      // further accept is tried without waiting until the queue is empty or maxconn is hit.
      error_code more;
      if (!slot.acceptor_->non_blocking()) {
        slot.acceptor_->non_blocking(true, more);
      }
      for (int batch = 0; batch < 64 && !full(fe); ++batch) {
        tcp::socket next = slot.acceptor_->accept(more);
        if (more) break;
        start_session(slot, std::move(next));
      }
    }
  }
};

service::service(proxy_set& proxies, event_loop& loop, log_sink log)
    : impl_(std::make_unique<impl>(proxies, loop, std::move(log))) {}

service::~service() = default;

bool service::open_listeners(std::string& error, std::vector<listening_socket>* inherited) {
  const unsigned threads = impl_->loop_.size();
  for (auto& fe : impl_->proxies_.frontends_) {
    for (const listen_address& a : fe->listeners_) {
      // Every inherited socket of this address is kept, even when this process runs fewer
      // threads: closing one would reset the connections waiting in its queue.
      std::vector<int> taken;
      if (inherited != nullptr) {
        const std::string key = listener_key(a);
        for (listening_socket& s : *inherited) {
          if (s.fd_ >= 0 && s.key_ == key) {
            taken.push_back(s.fd_);
            s.fd_ = -1;
          }
        }
      }
      const std::size_t count = std::max<std::size_t>(threads, taken.size());
      for (std::size_t i = 0; i < count; ++i) {
        const unsigned t = static_cast<unsigned>(i % threads);
        const bool ok = i < taken.size() ? impl_->adopt_one(*fe, a, t, taken[i], error)
                                         : impl_->open_one(*fe, a, t, error);
        if (!ok) {
          for (std::size_t j = i + 1; j < taken.size(); ++j) ::close(taken[j]);
          return false;
        }
      }
    }
  }
  return true;
}

std::vector<listening_socket> service::listening_sockets() const {
  std::vector<listening_socket> out;
  if (impl_->stopping_) return out;
  for (const auto& slot : impl_->acceptors_) {
    out.push_back({slot.key_, slot.fd_});
  }
  return out;
}

void service::pause_listeners() {
  if (impl_->paused_.exchange(true)) return;
  for (auto& slot : impl_->acceptors_) {
    tcp::acceptor* acc = slot.acceptor_.get();
    asio::post(acc->get_executor(), [acc] {
      // As HAProxy on Linux: connect() to AF_UNSPEC takes a listening socket out of the
      // listening table while it stays bound; listen() puts it back.
      sockaddr addr{};
      addr.sa_family = AF_UNSPEC;
      // The accept waiting on it stays as it is: the accept loop sees paused_ on its next turn.
      if (acc->is_open()) ::connect(acc->native_handle(), &addr, sizeof addr);
    });
  }
  for (const auto& fe : impl_->proxies_.frontends_) {
    if (!fe->listeners_.empty()) impl_->log_("WARNING", "Paused frontend " + fe->name_ + ".");
  }
}

void service::resume_listeners() {
  if (!impl_->paused_.load()) return;
  for (auto& slot : impl_->acceptors_) {
    tcp::acceptor* acc = slot.acceptor_.get();
    const int backlog = slot.backlog_;
    asio::post(acc->get_executor(), [acc, backlog] {
      if (acc->is_open()) ::listen(acc->native_handle(), backlog);
    });
  }
  impl_->paused_ = false;
  for (const auto& fe : impl_->proxies_.frontends_) {
    if (!fe->listeners_.empty()) impl_->log_("WARNING", "Resumed frontend " + fe->name_ + ".");
  }
}

void service::add_check(backend& be, server& s, checks::check_spec spec) {
  {
    std::lock_guard lock(s.check_mutex_);
    s.check_state_.enabled_ = true;
    s.check_state_.status_ = "INI";
    s.check_state_.rise_ = spec.health_.rise_;
    s.check_state_.fall_ = spec.health_.fall_;
    s.check_state_.health_ = checks::health_tracker(spec.health_).counter();
  }
  impl* self = impl_.get();
  auto check = std::make_unique<checks::server_check>(
      impl_->loop_.context(0).get_executor(), std::move(spec),
      [self, &be, &s](const checks::check_event& e) { self->on_check(be, s, e); });
  impl_->checks_.push_back(std::move(check));
}

void service::start() {
  for (auto& check : impl_->checks_) {
    check->start();
  }
  for (auto& slot : impl_->acceptors_) {
    asio::co_spawn(slot.acceptor_->get_executor(), impl_->accept_loop(slot), asio::detached);
  }
}

void service::soft_stop() {
  if (!impl_->stopping_.exchange(true)) {
    // HAProxy's lines as each proxy stops: those with listeners first, then the backends, then
    // its internal HTTP client proxy; FE counts connections, BE streams.
    const proxy_set& proxies = impl_->proxies_;
    auto line = [&](std::string_view name, std::uint64_t fe, std::uint64_t be) {
      impl_->log_("WARNING", "Proxy " + std::string(name) + " stopped (cumulated conns: FE: " +
                                 std::to_string(fe) + ", BE: " + std::to_string(be) + ").");
    };
    for (const auto& fe : proxies.frontends_) {
      const backend* same = nullptr;
      for (const auto& be : proxies.backends_) {
        if (be->listen_ && be->uid_ == fe->uid_) same = be.get();
      }
      line(fe->name_, fe->counters_.connections_total_.load(),
           same != nullptr ? same->counters_.sessions_total_.load() : 0);
    }
    for (const auto& be : proxies.backends_) {
      if (!be->listen_) line(be->name_, 0, be->counters_.sessions_total_.load());
    }
    line("<HTTPCLIENT>", 0, 0);
  }
  for (auto& check : impl_->checks_) {
    check->stop();
  }
  for (auto& slot : impl_->acceptors_) {
    tcp::acceptor* acc = slot.acceptor_.get();
    asio::post(acc->get_executor(), [acc] {
      error_code ignored;
      acc->close(ignored);
    });
  }
  // Connections idle between requests end now, on their own threads.
  for (unsigned t = 0; t < impl_->loop_.size(); ++t) {
    auto* idle = impl_->idle_clients_[t].get();
    asio::post(impl_->loop_.context(t), [idle] {
      for (tcp::socket* s : *idle) {
        error_code ignored;
        s->cancel(ignored);
      }
    });
  }
  if (impl_->active_.load() == 0) {
    impl_->loop_.stop();  // every session has ended: nothing else to wait for
  }
}

void service::hard_stop() {
  impl_->stopping_ = true;
  impl_->loop_.stop();
}

}  // namespace tandem::runtime::proxy
