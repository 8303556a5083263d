// The periodic check loop of one server: a coroutine that owns its state through a
// shared_ptr, so stop() only has to cancel and the object can go at once.
#include "runtime/checks/server_check.hpp"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <optional>

#include "runtime/checks/log_lines.hpp"
#include "runtime/checks/probe.hpp"

namespace tandem::runtime::checks {

namespace asio = boost::asio;

struct server_check::state {
  state(asio::any_io_executor executor, check_spec spec,
        std::function<void(const check_event&)> on_event, std::function<double()> random01)
      : executor_(executor),
        tracker_(spec.health_),
        on_event_(std::move(on_event)),
        random01_(std::move(random01)),
        probe_(executor),
        timer_(executor) {
    program_ = check_program::compile(std::move(spec), error_);
  }

  bool stopped() const { return stopped_.load(std::memory_order_acquire); }

  asio::any_io_executor executor_;
  health_tracker tracker_;
  std::function<void(const check_event&)> on_event_;
  std::function<double()> random01_;
  probe probe_;
  asio::steady_timer timer_;
  std::optional<check_program> program_;
  std::string error_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  // Held while the callback runs and while stop() marks the check stopped, so no callback
  // starts once stop() has returned (recursive: the callback may call stop()).
  std::recursive_mutex callback_mutex_;
};

server_check::server_check(asio::any_io_executor executor, check_spec spec,
                           std::function<void(const check_event&)> on_event,
                           std::function<double()> random01)
    : state_(std::make_shared<state>(executor, std::move(spec), std::move(on_event),
                                     std::move(random01))) {}

server_check::~server_check() {
  stop();
}

bool server_check::valid() const {
  return state_->program_.has_value();
}

const std::string& server_check::error() const {
  return state_->error_;
}

void server_check::start() {
  if (!valid() || state_->stopped() || state_->started_.exchange(true)) {
    return;
  }
  asio::co_spawn(state_->executor_, run(state_), asio::detached);
}

void server_check::stop() {
  {
    const std::lock_guard lock(state_->callback_mutex_);
    if (state_->stopped_.exchange(true)) {
      return;
    }
  }
  // The timer and the socket belong to the executor's thread.
  asio::dispatch(state_->executor_, [s = state_] {
    s->timer_.cancel();
    s->probe_.cancel();
  });
}

asio::awaitable<void> server_check::run(std::shared_ptr<state> s) {
  const check_spec& spec = s->program_->spec();
  const server_ref who{spec.backend_, spec.server_, spec.backup_};
  duration delay = spec.first_delay_;
  while (!s->stopped()) {
    s->timer_.expires_after(delay);
    co_await s->timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (s->stopped()) {
      break;
    }
    const check_result result =
        co_await s->probe_.run(*s->program_, s->tracker_.state() == server_health::down);
    if (s->stopped()) {
      break;
    }
    check_event event;
    event.result_ = result;
    event.change_ = s->tracker_.record(result);
    event.state_ = s->tracker_.state();
    event.counter_ = s->tracker_.counter();
    event.status_text_ = s->tracker_.status_text();
    event.health_check_line_ = health_check_line(who, result, s->tracker_);
    {
      const std::lock_guard lock(s->callback_mutex_);
      if (s->stopped()) {
        break;
      }
      if (s->on_event_) {
        s->on_event_(event);
      }
    }
    delay = spread(s->tracker_.next_interval(), spec.spread_percent_,
                   s->random01_ ? s->random01_() : 0.5);
  }
}

}  // namespace tandem::runtime::checks
