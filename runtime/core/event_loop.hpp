// The event core: one Asio io_context per thread (HAProxy's nbthread), each run by its own
// thread, so a connection accepted on a thread lives there without locks. Listeners open one
// SO_REUSEPORT socket per thread and the kernel spreads connections among them.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace tandem::runtime {

class event_loop {
 public:
  // `threads` 0 means one per CPU.
  explicit event_loop(unsigned threads);
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  unsigned size() const { return static_cast<unsigned>(contexts_.size()); }
  boost::asio::io_context& context(unsigned i) { return *contexts_[i]; }

  // Runs every context, context 0 on the calling thread; returns when all have stopped
  // (stop(), or each has run out of work after release()).
  void run();
  // Lets each context end once it has no more work (a graceful stop's last step).
  void release();
  // Stops every context now (a hard stop).
  void stop();

 private:
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<guard> guards_;
};

}  // namespace tandem::runtime
