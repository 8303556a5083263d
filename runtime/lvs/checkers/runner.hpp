// One keepalived checker running over Boost.Asio: the first check at random within `warmup`,
// then attempts spaced by the retry machine (delay_loop, delay_before_retry), each attempt a
// coroutine with no blocking call (TCP/TLS connect and read, UDP, ICMP echo, a child process
// watched through a pidfd, a file read). Verdicts (up/down, misc_dynamic's weight) and
// keepalived's log lines go out through the callback.
//
// How to drive it: construct on an io_context's executor with a checker_spec (assemble fills
// it), call start(); the callback's verdict goes to virtual_service::checker_result() and its
// weight to virtual_service::set_weight(); stop() before destroying it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "runtime/lvs/checkers/logic.hpp"

namespace tandem::runtime::lvs::checkers {

struct checker_event {
  std::optional<bool> verdict_;
  std::optional<int> weight_;
  std::vector<std::string> logs_;
};

class runner : public std::enable_shared_from_this<runner> {
 public:
  // `random_below(n)`: uniform in [0, n); used for warmup and payloads. Defaults to std::random.
  runner(boost::asio::any_io_executor executor, checker_spec spec,
         std::function<void(const checker_event&)> report,
         std::function<std::uint32_t(std::uint32_t)> random_below = {});
  ~runner();

  void start();
  void stop();
  bool is_up() const { return machine_.is_up(); }

  // One attempt, without the retry machine (the compat test driver and tests use it).
  boost::asio::awaitable<attempt> attempt_once();

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<attempt> tcp_attempt();
  boost::asio::awaitable<attempt> http_attempt();
  boost::asio::awaitable<attempt> misc_attempt();
  boost::asio::awaitable<attempt> smtp_attempt();
  boost::asio::awaitable<attempt> dns_attempt();
  boost::asio::awaitable<attempt> udp_attempt();
  boost::asio::awaitable<attempt> ping_attempt();
  attempt file_attempt();

  boost::asio::any_io_executor executor_;
  checker_spec spec_;
  std::function<void(const checker_event&)> report_;
  std::function<std::uint32_t(std::uint32_t)> random_;
  retry_machine machine_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<bool> stopped_;
  std::uint16_t sequence_ = 0;
};

// Runs a notify script (notify_up, notify_down, quorum_up, quorum_down) as keepalived does:
// the command line split into words (quotes kept together), executed without a shell, its
// output discarded; reaped asynchronously. False when it could not be started.
bool run_script(boost::asio::any_io_executor executor, const std::string& command);

}  // namespace tandem::runtime::lvs::checkers
