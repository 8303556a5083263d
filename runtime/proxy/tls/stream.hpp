// A TLS session driven over a connected, non-blocking TCP socket with Asio coroutines: OpenSSL
// reads and writes the socket's descriptor itself (no memory BIOs, no copy), and the coroutine
// waits for readiness only when OpenSSL asks for it. A read and a write may be in progress at
// once (a relay's two directions); both run on the socket's own thread. Cancelling the socket
// (a timeout) ends the wait in progress with operation_aborted. Errors are error codes: eof
// for the peer's close_notify or its FIN, the system's error for a reset, EPROTO for a TLS
// failure.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "runtime/proxy/tls/context.hpp"

namespace tandem::runtime::proxy::tls {

class stream {
 public:
  using error_code = boost::system::error_code;
  using tcp = boost::asio::ip::tcp;

  // Takes ownership of `ssl` (from a context's new_session) and binds it to `socket`, which it
  // switches to non-blocking mode.
  stream(SSL* ssl, tcp::socket& socket);
  ~stream();
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  boost::asio::awaitable<error_code> handshake(tcp::socket& socket);
  boost::asio::awaitable<std::pair<error_code, std::size_t>> read_some(tcp::socket& socket,
                                                                       char* data,
                                                                       std::size_t size);
  boost::asio::awaitable<std::pair<error_code, std::size_t>> write_some(tcp::socket& socket,
                                                                        const char* data,
                                                                        std::size_t size);
  // Sends close_notify without waiting for the peer's (as HAProxy's ssl_sock_shutw): the
  // caller then shuts the socket's sending side or closes it.
  void shutdown_send();

  // The socket is closed (its descriptor may be reused at once): the session no longer
  // touches it; every later operation fails with EBADF.
  void detach();

  SSL* native() const { return ssl_; }
  // The reason of the last TLS failure, as OpenSSL words it ("" when none).
  std::string_view failure() const { return failure_; }

 private:
  SSL* ssl_;
  std::string failure_;
};

}  // namespace tandem::runtime::proxy::tls
