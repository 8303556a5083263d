// One health check run over TCP: a check_spec's steps (connect, send, expect) played against
// the server with Boost.Asio coroutines, ending in a check_result worded like HAProxy 2.6's.
// No exceptions on the data path: every operation completes with an error code
// (as_tuple(use_awaitable)), and the deadline is a timer raced against each operation.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/checks/regex.hpp"
#include "runtime/checks/spec.hpp"
#include "runtime/checks/status.hpp"
#include "runtime/proxy/tls/stream.hpp"

namespace tandem::runtime::checks {

// A check_spec made ready to run: its regexes compiled. compile() is also how the assemble
// step validates a spec.
class check_program {
 public:
  static std::optional<check_program> compile(check_spec spec, std::string& error);

  const check_spec& spec() const { return spec_; }
  const regex* regex_of(std::size_t step) const;
  // HAProxy's step numbers: 1-based, the implicit first connect being step 0.
  int step_id(std::size_t step) const;

 private:
  check_spec spec_;
  std::vector<std::optional<regex>> regexes_;
};

class probe {
 public:
  explicit probe(boost::asio::any_io_executor executor);

  // Runs the program once. `server_down`: the server is DOWN now (http-check disable-on-404
  // only drains a server that is up). The program must outlive the run.
  boost::asio::awaitable<check_result> run(const check_program& program, bool server_down);

  // Ends a run in progress (its result is then SOCKERR "cancelled"); call it on the
  // executor's thread.
  void cancel();

 private:
  struct io_result {
    boost::system::error_code error_;
    std::size_t bytes_ = 0;
    bool timed_out_ = false;
  };
  using time_point = std::chrono::steady_clock::time_point;

  // `hold_ack`: the server is not expected to speak first (see probe.cpp).
  boost::asio::awaitable<io_result> connect_until(const boost::asio::ip::tcp::endpoint& to,
                                                  time_point deadline, bool hold_ack);
  boost::asio::awaitable<io_result> write_until(const std::string& bytes, time_point deadline);
  boost::asio::awaitable<io_result> read_until(std::string& buffer, time_point deadline);
  // The TLS handshake after a connect, for a spec with tls_.
  boost::asio::awaitable<io_result> handshake_until(const check_spec& spec, time_point deadline);
  boost::asio::awaitable<std::optional<boost::asio::ip::address>> resolve(const std::string& host,
                                                                          std::string& error);
  void close();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<proxy::tls::stream> tls_;  // over socket_ when the check speaks TLS
  bool cancelled_ = false;
  // Host names are looked up once, as HAProxy does at start.
  std::vector<std::pair<std::string, boost::asio::ip::address>> resolved_;
};

}  // namespace tandem::runtime::checks
