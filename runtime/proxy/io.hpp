// Internal to runtime/proxy: the Asio vocabulary the sessions share — coroutine types, socket
// operations bounded by HAProxy's timeouts (a zero timeout is no limit), endpoints from
// sockaddr_storage, and the server connection with retries and redispatch. Errors come back
// as error codes, never as exceptions.
#pragma once

#include <array>
#include <chrono>
#include <span>
#include <cstring>
#include <string>
#include <string_view>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "runtime/proxy/objects.hpp"
#include "runtime/proxy/service.hpp"
#include "runtime/proxy/tls/stream.hpp"

namespace tandem::runtime::proxy {

namespace asio = boost::asio;
using asio::ip::tcp;
using error_code = boost::system::error_code;
template <typename T>
using awaitable = asio::awaitable<T>;
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Why an operation bounded by a timeout ended.
enum class io_status : std::uint8_t { ok, timeout, closed, error };

struct io_result {
  io_status status_ = io_status::ok;
  std::size_t bytes_ = 0;
  error_code error_;
};

// A client or server connection: its TCP socket and, when its listener or its server says
// `ssl`, the TLS session over it. A plain connection costs what a socket costs (no allocation,
// no virtual call; one test per operation). Says what a socket says for the calls the
// sessions make, so that a session holds one where it held a socket.
class connection {
 public:
  using executor_type = tcp::socket::executor_type;
  explicit connection(tcp::socket s) : socket_(std::move(s)) {}
  explicit connection(const executor_type& e) : socket_(e) {}

  // Starts TLS over the connected socket with a session of a context (SSL* owned from now).
  void start_tls(SSL* session) { tls_ = std::make_unique<tls::stream>(session, socket_); }
  tls::stream* tls() const { return tls_.get(); }

  executor_type get_executor() { return socket_.get_executor(); }
  bool is_open() const { return socket_.is_open(); }
  // A TLS connection says close_notify before its FIN (HAProxy's ssl_sock_shutw).
  void shutdown(tcp::socket::shutdown_type what, error_code& ec) {
    if (tls_ && socket_.is_open() && what != tcp::socket::shutdown_receive) tls_->shutdown_send();
    socket_.shutdown(what, ec);
  }
  // Abrupt: no close_notify (a reset or a timeout ends it). The TLS session stays (an
  // operation of the other direction may still be suspended in it) but lets go of the socket.
  void close(error_code& ec) {
    if (tls_) tls_->detach();
    socket_.close(ec);
  }
  void cancel(error_code& ec) { socket_.cancel(ec); }
  tcp::endpoint remote_endpoint(error_code& ec) const { return socket_.remote_endpoint(ec); }
  tcp::endpoint local_endpoint(error_code& ec) const { return socket_.local_endpoint(ec); }
  template <typename Option>
  void set_option(const Option& o, error_code& ec) {
    socket_.set_option(o, ec);
  }

  tcp::socket socket_;
  std::unique_ptr<tls::stream> tls_;  // nullptr: plain
};

// Socket reads and writes bounded by HAProxy's timeouts (a zero timeout is no limit), without
// a timer operation per call: one timer per object, re-armed only when a limit would end
// before the one it is waiting for, cancels the socket whose operation overran. One operation
// at a time per object (a relay's two directions use one each). Reads land in a scratch
// buffer and only the bytes read are appended.
class timed_io {
 public:
  explicit timed_io(asio::any_io_executor executor);
  ~timed_io();
  timed_io(const timed_io&) = delete;
  timed_io& operator=(const timed_io&) = delete;

  // Reads what is available, appended to `buffer` (which is not to grow past `max_bytes`).
  awaitable<io_result> read_some(tcp::socket& s, std::string& buffer, std::size_t max_bytes,
                                 milliseconds limit);
  // Writes all of `data`: what the socket takes at once is sent without an asynchronous
  // operation, the rest waits for room.
  awaitable<io_result> write_all(tcp::socket& s, std::string_view data, milliseconds limit);
  // Opens `s` anew and connects it to `to` (timed_out when `limit` passes first).
  // `from` (length `from_length`, 0: none): the local address to bind first (`source`).
  awaitable<error_code> connect(tcp::socket& s, const tcp::endpoint& to, milliseconds limit,
                                const sockaddr_storage* from = nullptr, socklen_t from_length = 0);
  // The same on a connection, plain or TLS (a TLS connection connects plain; see handshake).
  awaitable<io_result> read_some(connection& c, std::string& buffer, std::size_t max_bytes,
                                 milliseconds limit);
  awaitable<io_result> write_all(connection& c, std::string_view data, milliseconds limit);
  // Without a coroutine: sends `data` on a plain connection when its socket takes all of it
  // at once (true, the outcome in `r`, bytes counted). False when some is left (r.bytes_ went
  // out and are counted; write_all sends the rest) or for a TLS connection (nothing sent).
  bool try_write(connection& c, std::string_view data, io_result& r);
  awaitable<error_code> connect(connection& c, const tcp::endpoint& to, milliseconds limit,
                                const sockaddr_storage* from = nullptr, socklen_t from_length = 0);
  // The TLS handshake of a connection that started TLS (timed_out when `limit` passes first).
  awaitable<error_code> handshake(connection& c, milliseconds limit);

  // Bytes read from and written to one socket (the client's, for the logs and the stats'
  // bin/bout): counted when an operation is on `s`.
  void count_bytes_of(const tcp::socket* s) { counted_ = s; }
  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;

 private:
  struct watchdog;
  // The bytes of `data` from `sent` on, when the socket takes them (a write's slow path).
  awaitable<io_result> write_rest(tcp::socket& s, std::string_view data, std::size_t sent,
                                  milliseconds limit);
  void arm(tcp::socket& s, milliseconds limit);
  bool disarm();  // true when the limit fired
  std::shared_ptr<watchdog> dog_;
  std::unique_ptr<char[]> scratch_;
  const tcp::socket* counted_ = nullptr;
};

tcp::endpoint to_endpoint(const sockaddr_storage& address, socklen_t length);

// Idle server connections of one thread, kept for reuse by later requests (HAProxy's
// http-reuse): a connection belongs to the thread whose io_context serves it.
class idle_pool {
 public:
  // Keeps `s`'s connection (at most a few hundred per server; beyond, it is closed).
  void park(const server* s, connection c);
  // An idle connection to `s` the server has not closed meanwhile, if there is one.
  std::optional<connection> take(const server* s);

 private:
  std::unordered_map<const server*, std::vector<connection>> idle_;
};

// What one connection shares with its session: the proxies, the frontend it came in on, the
// log, the counters the stop logic waits on, and its thread's idle server connections.
struct session_env {
  proxy_set& proxies_;
  frontend& frontend_;
  const listen_address& listener_;  // the bind line the connection came in on
  const log_sink& log_;
  std::atomic<int>& active_;
  idle_pool* pool_ = nullptr;
  // Client connections of this thread waiting for their next request: a soft stop closes
  // them (as HAProxy), and stopping_ tells a session not to wait for another request.
  std::unordered_set<tcp::socket*>* idle_clients_ = nullptr;
  const std::atomic<bool>* stopping_ = nullptr;
  // The listener's TLS (`bind … ssl`): the session's first step is the handshake.
  const tls::server_context* tls_ = nullptr;
};

// Connects `out` to a server of `be` for a request: `first` when persistence chose one, else
// the balancer's pick; retries the same server `retries` times on failure and, with option
// redispatch, takes another for the last attempt (HAProxy's behaviour). nullptr when no server
// is usable or every attempt failed; `no_server` says which.
struct connect_result {
  server* server_ = nullptr;
  bool no_server_ = false;
  bool timed_out_ = false;
  bool queue_timed_out_ = false;  // every server stayed full for timeout queue
  bool reused_ = false;           // an idle connection from the pool
  std::uint32_t retries_ = 0;     // connection attempts after the first
  bool redispatched_ = false;     // the last went to another server (option redispatch)
  milliseconds queue_time_{0};    // waiting for a server slot (HAProxy's Tw)
  milliseconds connect_time_{0};  // establishing the connection, retries included (Tc)
  server* server_for_log_ = nullptr;  // the server every attempt failed on (server_ is null)
};
// `pool`: where an idle connection to the chosen server may be taken from instead of a new
// one (nullptr: always connect). A server with `ssl` gets its TLS handshake within timeout
// connect (a failed handshake is a failed attempt); `source` answers its `sni` expression.
awaitable<connect_result> connect_server(connection& out, timed_io& io, backend& be,
                                         server* first, const balance::request_keys& keys,
                                         const tcp::endpoint& client_destination,
                                         idle_pool* pool = nullptr,
                                         const acl::sample_source* source = nullptr);

// `bind … ssl`: starts TLS on an accepted connection and runs the handshake within `limit`
// (timeout client, HAProxy's Th).
awaitable<error_code> accept_tls(connection& client, const tls::server_context& context,
                                 timed_io& io, milliseconds limit);

// A server connection ends: the balancer's counts and the server's.
void release_server(backend& be, server* s);
// A stream starts on `s` (now serving `serving`): its stot, smax and lbtot, the backend's lbtot.
void note_stream(backend& be, server& s, std::uint32_t serving);

// Copies `from` to `to` until `from` ends, then passes the end on as a shutdown of `to`'s
// sending side; a timeout (`idle` bounds each wait) or a reset closes both. A tunnel or an L4
// relay is two of these joined with `&&`.
// Returns the bytes it copied.
awaitable<std::uint64_t> relay_one_way(connection& from, connection& to, milliseconds idle);

// One side of a relay and its half-closed timeout (timeout client-fin / server-fin, zero:
// none): once the relay has passed it a FIN, reads from that side wait that long at most, as
// HAProxy's half-closed timeout.
struct relay_side {
  connection& connection_;
  milliseconds fin_{0};
  bool shut_ = false;  // the relay has shut its sending side
};
// The relay of `from`'s bytes to `to`, with the sides' half-closed timeouts. A tunnel or an L4
// relay is two of these joined with `&&`, over the same two relay_side objects.
awaitable<std::uint64_t> relay_one_way(relay_side& from, relay_side& to, milliseconds idle);

// The backend a connection or request goes to: the first use_backend whose condition holds
// (and whose name, fixed or %[…], names a backend), else default_backend (may be nullptr).
backend* choose_backend(const frontend& fe, const proxy_set& proxies,
                        const acl::sample_source& source);

// use-server: the server of the first rule that holds and names a server that is up and not in
// maintenance (weight 0 allowed: such servers take only this traffic); nullptr when none.
server* forced_server(const backend& be, const acl::sample_source& source);

// tcp-request connection rules, in order: false when one rejects (the connection is closed
// at once, before any byte is read).
bool connection_rules_accept(const frontend& fe, const acl::sample_source& source);
// tcp-request content rules on what has arrived (the payload, in http the request head):
// the first whose condition holds decides; undecided when none does.
enum class content_verdict : std::uint8_t { accept, reject, undecided };
content_verdict run_content_rules(const frontend& fe, const acl::sample_source& source);
content_verdict run_content_rules(const backend& be, const acl::sample_source& source);

// The client address as the hashing balancers read it (4 or 16 bytes of `storage`).
std::span<const std::uint8_t> address_key(const tcp::endpoint& peer,
                                          std::array<std::uint8_t, 16>& storage);

// bind … accept-proxy: reads the PROXY protocol header the connection starts with into
// `buffer` (what follows it stays there) and, when it names addresses, puts them in `source`
// and `destination`. False when the header is missing, malformed or late (`limit`): HAProxy
// then closes the connection.
awaitable<bool> read_proxy_header(tcp::socket& s, timed_io& io, std::string& buffer,
                                  milliseconds limit, sockaddr_storage& source,
                                  sockaddr_storage& destination);

// The same before a TLS handshake (`bind … accept-proxy ssl`): only the header's own bytes are
// taken from the socket (peeked first), so what follows stays there for OpenSSL.
awaitable<bool> read_proxy_header_before_tls(tcp::socket& s, milliseconds limit,
                                             sockaddr_storage& source,
                                             sockaddr_storage& destination);

// send-proxy / send-proxy-v2: the header `s` expects first on a new connection ("" when none).
std::string proxy_header_for(const server& s, const tcp::endpoint& client,
                             const tcp::endpoint& destination);

awaitable<void> run_tcp_session(tcp::socket client, session_env env);
awaitable<void> run_http_session(tcp::socket client, session_env env);

}  // namespace tandem::runtime::proxy
