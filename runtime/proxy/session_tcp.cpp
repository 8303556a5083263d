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

  backend* be = choose_backend(fe, env.proxies_, source);
  if (be == nullptr) {
    co_return;
  }
  source.backend_ = be;

  std::array<std::uint8_t, 16> address_bytes{};
  balance::request_keys keys;
  keys.source_address_ = address_key(peer, address_bytes);

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
  co_await (relay_one_way(client, upstream, idle) && relay_one_way(upstream, client, idle));
  release_server(*be, c.server_);
}

}  // namespace tandem::runtime::proxy
