// The stats socket's command interpreter, without the socket: HAProxy 2.6.12's framing (a
// command per line or per ';', "\n" after each reply, "\n> " in interactive mode, the end of
// the session once the received lines are answered unless interactive), its commands (help,
// show info|stat|servers state|backend|sess|version|cli level, get/set weight, set server,
// enable/disable server, set timeout cli, operator, user, prompt, quit) and its level checks
// ("Permission denied"), with its replies byte for byte.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/proxy/objects.hpp"
#include "runtime/proxy/service.hpp"

namespace tandem::runtime::proxy::cli {

// A socket's `level`; HAProxy's default is operator.
enum class access_level : std::uint8_t { user = 1, operator_ = 2, admin = 3 };

std::string_view level_name(access_level l);

// The stats sockets' own counts, for show info (kept by the socket server).
struct cli_counters {
  std::atomic<std::uint32_t> sockets_{0};
  std::atomic<std::uint32_t> sessions_{0};
  std::atomic<std::uint64_t> accepted_{0};
};

// What the commands act on; shared by every session of every socket.
struct environment {
  proxy_set* proxies_ = nullptr;
  log_sink log_;
  std::shared_ptr<cli_counters> counters_;  // nullptr: none (tests)
};

class session {
 public:
  // `number`: the socket's rank among the stats sockets, shown by `show sess` ("src=unix:N").
  session(environment& env, access_level level, std::uint64_t number = 1);

  // Bytes the client sent; returns the bytes to send back. A command runs once its line is
  // complete (up to "\n").
  std::string receive(std::string_view bytes);
  // One command (a line without its "\n"), framed: its reply, then "\n" or the prompt.
  std::string run_line(std::string command);
  // The client closed its side: an unterminated last line still runs, as HAProxy runs it;
  // returns its reply. The session is then finished.
  std::string end_of_input();
  // The session is over (quit, or every line answered outside interactive mode): close it.
  bool finished() const { return finished_; }
  // `set timeout cli` changed this session's idle timeout (0: the socket's).
  std::chrono::milliseconds timeout() const { return timeout_; }

  // One command's reply, as HAProxy words it, without the framing.
  std::string execute(const std::vector<std::string>& args);

 private:
  bool allowed(access_level needed, std::string& reply) const;
  server* find_server(std::string_view spec, backend** be, std::string& reply) const;
  std::string proxy_kind(const backend& be) const;
  std::string show_stat(const std::vector<std::string>& args) const;
  std::string show_servers_state(const std::vector<std::string>& args) const;
  std::string show_sess() const;

  environment& env_;
  access_level level_;
  std::uint64_t number_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::string pending_;
  bool interactive_ = false;
  bool finished_ = false;
  std::uint32_t calls_ = 0;
  std::chrono::milliseconds timeout_{0};
};

// HAProxy's splitting of a command into words: spaces and tabs separate, a backslash escapes
// the next character.
std::vector<std::string> split_words(std::string_view command);

}  // namespace tandem::runtime::proxy::cli
