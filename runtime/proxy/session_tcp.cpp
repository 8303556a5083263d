// mode tcp: a connection is relayed to one server, bytes unchanged in both directions, with
// half-close passed on (a client's FIN becomes a shutdown of the server side, and back), and
// HAProxy's timeouts (timeout tunnel, when set, replaces client and server once both sides are
// connected).
#include <array>
#include <cstring>

#include "runtime/proxy/io.hpp"
#include "runtime/proxy/session_source.hpp"
#include "runtime/proxy/stick_session.hpp"

namespace tandem::runtime::proxy {

using namespace asio::experimental::awaitable_operators;

namespace {

milliseconds relay_timeout(const frontend& fe, const backend& be) {
  if (be.timeouts_.tunnel_.count() != 0) {
    return be.timeouts_.tunnel_;
  }
  const milliseconds c = fe.timeouts_.client_;
  const milliseconds s = be.timeouts_.server_;
  if (c.count() == 0) return s;
  if (s.count() == 0) return c;
  return std::min(c, s);
}

// The connection's log line and counters, written when the session ends however it ends.
struct tcp_log {
  frontend& fe_;
  const proxy_set& proxies_;
  session_source& source_;
  log_record record_;
  std::chrono::steady_clock::time_point accepted_ = std::chrono::steady_clock::now();
  backend* backend_ = nullptr;
  server* server_ = nullptr;
  bool logged_ = true;  // a connection rejected by tcp-request connection is not logged

  tcp_log(frontend& fe, const proxy_set& proxies, session_source& source, const tcp::endpoint& peer,
          const tcp::endpoint& local)
      : fe_(fe), proxies_(proxies), source_(source) {
    record_.accepted_ = record_.request_started_ = std::chrono::system_clock::now();
    std::memcpy(&record_.client_, peer.data(), std::min<std::size_t>(peer.size(), sizeof record_.client_));
    std::memcpy(&record_.frontend_address_, local.data(),
                std::min<std::size_t>(local.size(), sizeof record_.frontend_address_));
    record_.frontend_ = &fe;
  }
  void to_backend(backend& be) {
    backend_ = &be;
    record_.backend_ = &be;
    be.counters_.session_started(be.current_.fetch_add(1, std::memory_order_relaxed) + 1);
  }
  ~tcp_log() {
    constexpr auto relaxed = std::memory_order_relaxed;
    record_.total_ = static_cast<long>(std::chrono::duration_cast<milliseconds>(
                                           std::chrono::steady_clock::now() - accepted_)
                                           .count());
    record_.active_ = record_.total_;
    fe_.counters_.add_bytes(record_.bytes_uploaded_, record_.bytes_read_);
    for (traffic_counters* c : {backend_ ? &backend_->counters_ : nullptr,
                                server_ ? &server_->counters_ : nullptr}) {
      if (c == nullptr) continue;
      c->add_bytes(record_.bytes_uploaded_, record_.bytes_read_);
      c->add_timings(record_.queue_, record_.connect_, -1, record_.total_);
    }
    if (logged_ && fe_.logger_) {
      record_.active_connections_ = proxies_.current_.load(relaxed);
      record_.frontend_connections_ = fe_.current_.load(relaxed);
      if (backend_ != nullptr) {
        // HAProxy's beconn at log time no longer counts this stream.
        record_.backend_connections_ = backend_->current_.load(relaxed) - 1;
        record_.backend_queue_ = backend_->counters_.queue_current_.load(relaxed);
      }
      if (server_ != nullptr) record_.server_connections_ = server_->current_.load(relaxed);
      record_.source_ = &source_;
      fe_.logger_->emit(record_);
    }
    if (backend_ != nullptr) backend_->current_.fetch_sub(1, relaxed);
  }
};

}  // namespace

awaitable<void> run_tcp_session(tcp::socket socket, session_env env) {
  connection client(std::move(socket));
  frontend& fe = env.frontend_;
  session_source source(env.proxies_, fe);
  error_code ec;
  tcp::endpoint peer = client.remote_endpoint(ec);
  tcp::endpoint local = client.local_endpoint(ec);
  source.set_addresses(peer.data(), peer.size(), local.data(), local.size());
  tcp_log log(fe, env.proxies_, source, peer, local);

  if (!connection_rules_accept(fe, source)) {
    fe.counters_.denied_connections_.fetch_add(1, std::memory_order_relaxed);
    log.logged_ = false;
    co_return;
  }
  source.trackers_.session_started();

  timed_io io(client.get_executor());
  std::string early;
  if (env.listener_.accept_proxy_) {
    // The PROXY header's addresses replace the connection's after the connection rules.
    sockaddr_storage from = log.record_.client_;
    sockaddr_storage to = log.record_.frontend_address_;
    const bool header = env.tls_ != nullptr
                            ? co_await read_proxy_header_before_tls(client.socket_,
                                                                    fe.timeouts_.client_, from, to)
                            : co_await read_proxy_header(client.socket_, io, early,
                                                         fe.timeouts_.client_, from, to);
    if (!header) {
      fe.counters_.request_errors_.fetch_add(1, std::memory_order_relaxed);
      log.logged_ = false;
      co_return;
    }
    peer = to_endpoint(from, from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    local = to_endpoint(to, to.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    source.set_addresses(peer.data(), peer.size(), local.data(), local.size());
    log.record_.client_ = from;
    log.record_.frontend_address_ = to;
  }
  if (env.tls_ != nullptr) {
    // `bind … ssl`: the handshake after the tcp-request connection rules and the PROXY header
    // (as HAProxy), within timeout client; what follows reads and writes the clear text.
    const auto started = std::chrono::steady_clock::now();
    const error_code hs = co_await accept_tls(client, *env.tls_, io, fe.timeouts_.client_);
    log.record_.tls_ = true;
    log.record_.handshake_ = static_cast<long>(
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started)
            .count());
    if (hs) {
      log.logged_ = false;  // HAProxy logs a failed handshake apart ("SSL handshake failure")
      co_return;
    }
    source.ssl_ = client.tls()->native();
  }
  if (fe.logger_) fe.logger_->accepted(log.record_);  // "Connect from" where no format is set

  // tcp-request content rules may read the first bytes: with inspect-delay they wait for them
  // up to that delay, as HAProxy does; without, they run once on what is there (nothing).
  const auto until = std::chrono::steady_clock::now() + fe.inspect_delay_;
  for (;;) {
    source.payload_ = early;
    const content_verdict v = run_content_rules(fe, source);
    if (v == content_verdict::reject) {
      fe.counters_.denied_requests_.fetch_add(1, std::memory_order_relaxed);
      log.record_.termination_[0] = 'P';
      log.record_.termination_[1] = 'R';
      co_return;
    }
    if (v == content_verdict::accept) break;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) break;
    const io_result r = co_await io.read_some(
        client, early, 16384,
        std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1));
    if (r.status_ == io_status::closed || r.status_ == io_status::error) {
      log.record_.termination_[0] = 'C';
      log.record_.termination_[1] = 'R';
      co_return;
    }
    if (r.status_ == io_status::timeout) break;
  }
  source.payload_ = early;

  backend* be = choose_backend(fe, env.proxies_, source);
  if (be == nullptr) {
    log.record_.termination_[0] = 'P';
    log.record_.termination_[1] = 'R';
    co_return;
  }
  source.backend_ = be;
  if (run_content_rules(*be, source) == content_verdict::reject) {
    fe.counters_.denied_requests_.fetch_add(1, std::memory_order_relaxed);
    be->counters_.denied_requests_.fetch_add(1, std::memory_order_relaxed);
    log.record_.termination_[0] = 'P';
    log.record_.termination_[1] = 'R';
    co_return;
  }
  log.to_backend(*be);

  std::array<std::uint8_t, 16> address_bytes{};
  balance::request_keys keys;
  keys.source_address_ = address_key(peer, address_bytes);

  connection upstream(client.get_executor());
  pending_stores stick_stores;
  server* wanted = forced_server(*be, source);  // use-server first, then stick match/on
  server* stuck = stick_request(*be, source, stick_stores);
  if (wanted == nullptr) wanted = stuck;
  const connect_result c =
      co_await connect_server(upstream, io, *be, wanted, keys, local, nullptr, &source);
  if (c.server_ != nullptr) stick_response(*be, source, stick_stores, c.server_);
  log.record_.queue_ = static_cast<long>(c.queue_time_.count());
  log.record_.retries_ = c.retries_;
  log.record_.redispatched_ = c.redispatched_;
  log.server_ = c.server_ != nullptr ? c.server_ : c.server_for_log_;
  log.record_.server_ = log.server_;
  if (c.server_ == nullptr) {
    log.record_.termination_[0] = c.queue_timed_out_ || c.timed_out_ ? 's' : 'S';
    log.record_.termination_[1] = c.queue_timed_out_ ? 'Q' : 'C';
    co_return;  // HAProxy closes the client connection
  }
  log.record_.connect_ = static_cast<long>(c.connect_time_.count());
  std::memcpy(&log.record_.server_address_, &c.server_->address_, c.server_->address_length_);
  const std::size_t from_client = early.size();
  // (over TLS, connect_server sent it before the handshake)
  if (c.server_->tls_ == nullptr) early.insert(0, proxy_header_for(*c.server_, peer, local));
  if (!early.empty()) {
    const io_result w = co_await io.write_all(upstream, early, be->timeouts_.server_);
    if (w.status_ != io_status::ok) {
      release_server(*be, c.server_);
      log.record_.termination_[0] = 'S';
      log.record_.termination_[1] = 'D';
      co_return;
    }
  }
  const milliseconds idle = relay_timeout(fe, *be);
  relay_side client_side{client, fe.timeouts_.client_fin_};
  relay_side server_side{upstream, be->timeouts_.server_fin_};
  const auto [up, down] = co_await (relay_one_way(client_side, server_side, idle) &&
                                    relay_one_way(server_side, client_side, idle));
  log.record_.bytes_uploaded_ = up + from_client;
  log.record_.bytes_read_ = down;
  source.trackers_.bytes(up + from_client, down);
  release_server(*be, c.server_);
}

}  // namespace tandem::runtime::proxy
