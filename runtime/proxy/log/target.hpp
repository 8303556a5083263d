// Where log lines go: one `log` line's socket or file descriptor. Sends never block the thread
// that logs (a session's): a datagram the socket cannot take now is dropped and counted, as
// HAProxy counts DroppedLogs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/proxy/log/syslog.hpp"

namespace tandem::runtime::proxy::log {

class target {
 public:
  explicit target(target_spec spec);
  ~target();
  target(const target&) = delete;
  target& operator=(const target&) = delete;

  // Frames and sends `message` when `level` passes the target's level; any thread. `number`:
  // the target's place in its list, from 1, for the failure report.
  void send(int level, const sender& from, std::chrono::system_clock::time_point now,
            std::string_view message, std::string_view structured = {}, int number = 1);
  const target_spec& spec() const { return spec_; }

 private:
  void write(std::string_view datagram, int number);
  target_spec spec_;
  int fd_ = -1;  // a socket of our own (udp, unix) or the configured fd (not ours to close)
};

using target_list = std::vector<std::shared_ptr<target>>;

// Messages dropped because a target could not take them without blocking (HAProxy's
// DroppedLogs in `show info`), and other failed sends.
std::uint64_t dropped_logs();

// Where a send that fails for another reason than a full buffer (no such socket, refused) is
// reported: once per process, as HAProxy's alert "sendmsg()/writev() failed in logger #N: …".
// Set by the front-end to its console; nothing is reported before.
void report_failures_to(std::function<void(std::string_view alert)> report);

}  // namespace tandem::runtime::proxy::log
