// mode tcp: a connection is relayed to one server, bytes unchanged in both directions, with
// half-close passed on (a client's FIN becomes a shutdown of the server side, and back), and
// HAProxy's timeouts (timeout tunnel, when set, replaces client and server once both sides are
// connected).
#include <array>

#include "runtime/proxy/io.hpp"
#include "runtime/proxy/session_source.hpp"

namespace tandem::runtime::proxy {

using namespace asio::experimental::awaitable_operators;

namespace {

// Copies `from` to `to` until `from` ends, then passes the end on as a shutdown of `to`'s
// sending side. `idle` bounds each wait for data.
awaitable<void> transfer(tcp::socket& from, tcp::socket& to, milliseconds idle) {
  timed_io io(from.get_executor());
  std::string buffer;
  buffer.reserve(16384);
  for (;;) {
    buffer.clear();
    const io_result r = co_await io.read_some(from, buffer, 16384, idle);
    if (r.status_ != io_status::ok) {
      error_code ignored;
      if (r.status_ == io_status::closed && r.error_ == asio::error::eof) {
        to.shutdown(tcp::socket::shutdown_send, ignored);
      } else {
        // A timeout or a reset ends the whole relay.
        from.close(ignored);
        to.close(ignored);
      }
      co_return;
    }
    const io_result w = co_await io.write_all(to, buffer, idle);
    if (w.status_ != io_status::ok) {
      error_code ignored;
      from.close(ignored);
      to.close(ignored);
      co_return;
    }
  }
}

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

}  // namespace

awaitable<void> run_tcp_session(tcp::socket client, session_env env) {
  frontend& fe = env.frontend_;
  session_source source(env.proxies_, fe);
  error_code ec;
  const tcp::endpoint peer = client.remote_endpoint(ec);
  const tcp::endpoint local = client.local_endpoint(ec);
  source.set_addresses(peer.data(), peer.size(), local.data(), local.size());

  for (const tcp_rule& rule : fe.tcp_rules_) {
    if (rule.content_) {
      continue;
    }
    if (rule.condition_ == nullptr || rule.condition_->evaluate(source)) {
      if (rule.action_ == tcp_rule_action::reject) {
        co_return;
      }
      break;
    }
  }

  // tcp-request content rules and use_backend conditions may read the first bytes: wait for
  // them up to inspect-delay, as HAProxy does, only when something needs them.
  timed_io io(client.get_executor());
  std::string early;
  const bool inspects = fe.inspect_delay_.count() != 0;
  if (inspects) {
    const auto until = std::chrono::steady_clock::now() + fe.inspect_delay_;
    for (;;) {
      source.payload_ = early;
      bool decided = false;
      bool reject = false;
      for (const tcp_rule& rule : fe.tcp_rules_) {
        if (!rule.content_) continue;
        if (rule.condition_ == nullptr || rule.condition_->evaluate(source)) {
          decided = true;
          reject = rule.action_ == tcp_rule_action::reject;
          break;
        }
      }
      if (reject) co_return;
      if (decided) break;
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) break;
      const io_result r = co_await io.read_some(
          client, early, 16384,
          std::chrono::duration_cast<milliseconds>(until - now) + milliseconds(1));
      if (r.status_ == io_status::closed || r.status_ == io_status::error) co_return;
      if (r.status_ == io_status::timeout) break;
    }
    source.payload_ = early;
  }

  backend* be = fe.default_backend_;
  for (const backend_switch& sw : fe.switches_) {
    if (sw.condition_ == nullptr || sw.condition_->evaluate(source)) {
      backend* chosen =
          sw.dynamic_ ? env.proxies_.find_backend(sw.dynamic_->evaluate(source))
                      : env.proxies_.find_backend(sw.backend_);
      if (chosen != nullptr) {
        be = chosen;
        break;
      }
    }
  }
  if (be == nullptr) {
    co_return;
  }
  source.backend_ = be;

  std::array<std::uint8_t, 16> address_bytes{};
  balance::request_keys keys;
  if (peer.address().is_v4()) {
    const auto b = peer.address().to_v4().to_bytes();
    std::copy(b.begin(), b.end(), address_bytes.begin());
    keys.source_address_ = std::span<const std::uint8_t>(address_bytes.data(), 4);
  } else {
    const auto b = peer.address().to_v6().to_bytes();
    std::copy(b.begin(), b.end(), address_bytes.begin());
    keys.source_address_ = std::span<const std::uint8_t>(address_bytes.data(), 16);
  }

  tcp::socket upstream(client.get_executor());
  const connect_result c = co_await connect_server(upstream, io, *be, nullptr, keys, local);
  if (c.server_ == nullptr) {
    co_return;  // HAProxy closes the client connection
  }
  if (!early.empty()) {
    const io_result w = co_await io.write_all(upstream, early, be->timeouts_.server_);
    if (w.status_ != io_status::ok) {
      release_server(*be, c.server_);
      co_return;
    }
  }
  const milliseconds idle = relay_timeout(fe, *be);
  co_await (transfer(client, upstream, idle) && transfer(upstream, client, idle));
  release_server(*be, c.server_);
}

}  // namespace tandem::runtime::proxy
