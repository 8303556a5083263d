// The rise/fall counter and interval choice of HAProxy 2.6 (src/check.c, src/server.c).
#include "runtime/checks/health.hpp"

#include <algorithm>
#include <cassert>

namespace tandem::runtime::checks {

std::string_view to_string(server_health h) {
  switch (h) {
    case server_health::up:
      return "UP";
    case server_health::stopping:
      return "stopping";
    case server_health::down:
      return "DOWN";
  }
  return "DOWN";
}

health_tracker::health_tracker(const health_settings& settings)
    : settings_(settings), counter_(settings.rise_) {
  assert(settings_.rise_ > 0 && settings_.fall_ > 0);
}

health_change health_tracker::record(const check_result& result) {
  health_change change;
  change.reported_ = result.status_ != last_.status_;
  last_ = result;
  const std::uint32_t rise = settings_.rise_;
  const std::uint32_t full = rise + settings_.fall_ - 1;
  const check_outcome outcome = outcome_of(result.status_);
  if (outcome == check_outcome::failed) {
    if (counter_ > 0) {
      change.reported_ = true;
      --counter_;
      if (counter_ < rise) {
        counter_ = 0;
      }
    }
    if (counter_ == 0 && state_ != server_health::down) {
      state_ = server_health::down;
      change.transition_ = state_;
    }
  } else if (outcome == check_outcome::passed || outcome == check_outcome::conditionally_passed) {
    if (counter_ < full) {
      change.reported_ = true;
      ++counter_;
      if (counter_ >= rise) {
        counter_ = full;
      }
    }
    const server_health wanted =
        outcome == check_outcome::passed ? server_health::up : server_health::stopping;
    if (counter_ >= rise && state_ != wanted) {
      state_ = wanted;
      change.transition_ = state_;
    }
  }
  return change;
}

duration health_tracker::next_interval() const {
  if (counter_ == settings_.rise_ + settings_.fall_ - 1) {
    return settings_.inter_;
  }
  if (state_ == server_health::down && counter_ == 0) {
    return settings_.downinter_ > duration::zero() ? settings_.downinter_ : settings_.inter_;
  }
  return settings_.fastinter_ > duration::zero() ? settings_.fastinter_ : settings_.inter_;
}

std::string health_tracker::status_text() const {
  const std::uint32_t rise = settings_.rise_;
  if (counter_ >= rise) {
    return std::to_string(counter_ - rise + 1) + "/" + std::to_string(settings_.fall_) + " UP";
  }
  return std::to_string(counter_) + "/" + std::to_string(rise) + " DOWN";
}

duration spread(duration interval, unsigned percent, double random01) {
  if (percent == 0) {
    return interval;
  }
  const auto range = interval.count() * static_cast<std::int64_t>(percent) / 100;
  const auto offset = range - static_cast<std::int64_t>(2.0 * static_cast<double>(range) *
                                                        std::clamp(random01, 0.0, 1.0));
  return duration(interval.count() + offset);
}

std::vector<duration> first_check_delays(std::span<const duration> intervals, unsigned percent,
                                         const std::function<double()>& random01,
                                         duration max_spread) {
  // Checks faster than a second start on their own and do not shorten everyone's spread
  // (HAProxy's SRV_CHK_INTER_THRES).
  constexpr duration threshold(1000);
  duration shortest = duration::zero();
  for (const duration i : intervals) {
    if (i >= threshold && (shortest == duration::zero() || i < shortest)) {
      shortest = i;
    }
  }
  std::vector<duration> out;
  out.reserve(intervals.size());
  const auto n = static_cast<std::int64_t>(intervals.size());
  for (std::size_t i = 0; i < intervals.size(); ++i) {
    duration base = std::max(shortest, intervals[i]);
    if (percent > 0) {
      base = spread(base, percent, random01 ? random01() : 0.5);
    }
    if (max_spread > duration::zero() && base > max_spread) {
      base = max_spread;
    }
    out.emplace_back(base.count() * static_cast<std::int64_t>(i) / n);
  }
  return out;
}

}  // namespace tandem::runtime::checks
