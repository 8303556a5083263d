// See stream.hpp.
#include "runtime/proxy/tls/stream.hpp"

#include <cerrno>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace tandem::runtime::proxy::tls {

namespace {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

enum class next : std::uint8_t { done, wait_read, wait_write, failed };

// What an OpenSSL call's result asks for; `ec` set when it failed.
next classify(SSL* ssl, int result, error_code& ec, std::string& failure) {
  const int e = SSL_get_error(ssl, result);
  switch (e) {
    case SSL_ERROR_NONE: return next::done;
    case SSL_ERROR_WANT_READ: return next::wait_read;
    case SSL_ERROR_WANT_WRITE: return next::wait_write;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;
      return next::failed;
    case SSL_ERROR_SYSCALL: {
      const int err = errno;
      ERR_clear_error();
      ec = err == 0 ? error_code(asio::error::eof)
                    : error_code(err, boost::system::system_category());
      if (ec == error_code(EAGAIN, boost::system::system_category())) {
        ec = {};
        return next::wait_read;
      }
      return next::failed;
    }
    default: {
      const unsigned long code = ERR_get_error();
      ERR_clear_error();
      if (code != 0) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        failure = text;
      }
      ec = error_code(EPROTO, boost::system::system_category());
      return next::failed;
    }
  }
}

using tcp = asio::ip::tcp;

// Waits until the socket is ready for what OpenSSL asked.
asio::awaitable<error_code> wait(tcp::socket& socket, next n) {
  auto [ec] = co_await socket.async_wait(
      n == next::wait_read ? tcp::socket::wait_read : tcp::socket::wait_write, use_tuple);
  co_return ec;
}

}  // namespace

stream::stream(SSL* ssl, tcp::socket& socket) : ssl_(ssl) {
  error_code ignored;
  socket.non_blocking(true, ignored);
  SSL_set_fd(ssl_, static_cast<int>(socket.native_handle()));
}

stream::~stream() { SSL_free(ssl_); }

asio::awaitable<error_code> stream::handshake(tcp::socket& socket) {
  for (;;) {
    error_code ec;
    ERR_clear_error();
    const next n = classify(ssl_, SSL_do_handshake(ssl_), ec, failure_);
    if (n == next::done) co_return error_code();
    if (n == next::failed) {
      // A handshake cut short is a failed handshake, not a clean end.
      if (ec == asio::error::eof) ec = asio::error::connection_reset;
      co_return ec;
    }
    if (const error_code w = co_await wait(socket, n)) co_return w;
  }
}

asio::awaitable<std::pair<error_code, std::size_t>> stream::read_some(tcp::socket& socket,
                                                                      char* data,
                                                                      std::size_t size) {
  for (;;) {
    std::size_t n = 0;
    error_code ec;
    ERR_clear_error();
    const int r = SSL_read_ex(ssl_, data, size, &n);
    if (r == 1) co_return std::pair{error_code(), n};
    const next what = classify(ssl_, r, ec, failure_);
    if (what == next::failed) co_return std::pair{ec, std::size_t{0}};
    if (const error_code w = co_await wait(socket, what)) co_return std::pair{w, std::size_t{0}};
  }
}

asio::awaitable<std::pair<error_code, std::size_t>> stream::write_some(tcp::socket& socket,
                                                                       const char* data,
                                                                       std::size_t size) {
  if (size == 0) co_return std::pair{error_code(), std::size_t{0}};
  for (;;) {
    std::size_t n = 0;
    error_code ec;
    ERR_clear_error();
    const int r = SSL_write_ex(ssl_, data, size, &n);
    if (r == 1) co_return std::pair{error_code(), n};
    const next what = classify(ssl_, r, ec, failure_);
    if (what == next::failed) {
      if (ec == asio::error::eof) ec = asio::error::broken_pipe;
      co_return std::pair{ec, std::size_t{0}};
    }
    if (const error_code w = co_await wait(socket, what)) co_return std::pair{w, std::size_t{0}};
  }
}

void stream::detach() { SSL_set_fd(ssl_, -1); }

void stream::shutdown_send() {
  // Once: close_notify goes out if the socket takes it now; the peer's is not awaited.
  if ((SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) == 0 && SSL_is_init_finished(ssl_)) {
    SSL_shutdown(ssl_);
  }
  ERR_clear_error();
}

}  // namespace tandem::runtime::proxy::tls
