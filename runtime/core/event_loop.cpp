// See event_loop.hpp.
#include "runtime/core/event_loop.hpp"

#include <boost/asio/executor_work_guard.hpp>

namespace tandem::runtime {

event_loop::event_loop(unsigned threads) {
  if (threads == 0) {
    threads = std::max(1u, std::thread::hardware_concurrency());
  }
  for (unsigned i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is only ever run by its own thread.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
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
