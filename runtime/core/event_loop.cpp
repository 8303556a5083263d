// See event_loop.hpp.
#include "runtime/core/event_loop.hpp"

#include <boost/asio/executor_work_guard.hpp>

namespace tandem::runtime {

event_loop::event_loop(unsigned threads) {
  if (threads == 0) {
    threads = std::max(1u, std::thread::hardware_concurrency());
  }
  for (unsigned i = 0; i < threads; ++i) {
    // Each context is only ever run by its own thread, and a socket is only touched by the
    // thread of its context (other threads post to it): the reactor's per-socket lock is
    // then never contended and is left out (two lock/unlock pairs per read or write). The
    // scheduler keeps its lock, since other threads post work to it (a soft stop, a server
    // slot freed for a queued request); registering sockets keeps its own too. Like hint 1,
    // this hint also tells the scheduler that one thread runs it.
    contexts_.push_back(
        std::make_unique<boost::asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

event_loop::~event_loop() {
  stop();
}

void event_loop::run() {
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([this, i] { contexts_[i]->run(); });
  }
  contexts_[0]->run();
  for (std::thread& t : threads) {
    t.join();
  }
}

void event_loop::release() {
  for (guard& g : guards_) {
    g.reset();
  }
}

void event_loop::stop() {
  for (auto& c : contexts_) {
    c->stop();
  }
}

}  // namespace tandem::runtime
