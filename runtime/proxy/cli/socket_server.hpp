// The stats sockets (`stats socket PATH [mode M] [level L] [user U] [group G] [uid N] [gid N]`,
// `stats timeout`): unix stream listeners on the event loop's first thread, each connection a
// cli::session. Opened with the proxy's listeners, before privileges are dropped; a socket file
// is created as HAProxy creates it (bound as PATH.PID.tmp, its owner and mode set, then renamed
// over PATH) and left in place at exit, as HAProxy leaves it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include <boost/asio/io_context.hpp>

#include "parsers/common/position.hpp"
#include "runtime/proxy/cli/commands.hpp"

namespace tandem::runtime::proxy::cli {

struct socket_spec {
  std::string path_;
  std::optional<mode_t> mode_;
  std::optional<uid_t> uid_;
  std::optional<gid_t> gid_;
  access_level level_ = access_level::operator_;
  parsers::source_position position_;  // of its `stats socket` line
  std::string origin_;  // "file:line" of that line, for messages (set by the front-end)
};

class socket_server {
 public:
  // `timeout`: `stats timeout` (HAProxy's default is 10s).
  socket_server(boost::asio::io_context& io, environment env, std::vector<socket_spec> specs,
                std::chrono::milliseconds timeout);
  ~socket_server();
  socket_server(const socket_server&) = delete;
  socket_server& operator=(const socket_server&) = delete;

  // Creates every socket; false with `error` as HAProxy words it ("Binding [file:line] for
  // frontend GLOBAL: cannot bind UNIX socket (No such file or directory) [/path]").
  bool open(std::string& error);
  // Starts accepting (call before the loop runs).
  void start();
  // Stops accepting and ends every CLI session (soft or hard stop).
  void stop();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace tandem::runtime::proxy::cli
