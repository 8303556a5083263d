// Test helpers for the VRRP state machine: a virtual clock that fires an instance's timers
// in order, action matchers, and a two-router segment that delivers adverts between them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/vrrp/state_machine.hpp"

namespace tandem::runtime::vrrp::testing {

using namespace std::chrono_literals;

inline ip_address addr(const char* text) {
  return *ip_address::parse(text);
}

inline time_point at(duration d) {
  return time_point{} + d;
}

// RFC 3768: 3 * Advertisement_Interval + (256 - Priority) / 256 s, in keepalived's us.
constexpr duration v2_down(unsigned priority) {
  return 3s + duration((256 - priority) * 1000000 / 256);
}

inline instance_config v2_config(std::uint8_t priority, const char* source = "10.0.0.1") {
  instance_config c;
  c.name_ = "VI_1";
  c.vrid_ = 51;
  c.version_ = 2;
  c.priority_ = priority;
  c.advert_interval_ = 1s;
  c.primary_address_ = addr(source);
  return c;
}

inline received_advert from(const char* source, std::uint8_t priority, duration interval = 1s) {
  return {addr(source), priority, interval};
}

template <typename T>
std::size_t count_of(const std::vector<action>& acts) {
  return static_cast<std::size_t>(std::count_if(
      acts.begin(), acts.end(), [](const action& a) { return std::holds_alternative<T>(a); }));
}

inline bool has(const std::vector<action>& acts, const action& a) {
  return std::find(acts.begin(), acts.end(), a) != acts.end();
}

inline std::string describe(const action& a) {
  std::ostringstream o;
  std::visit(
      [&o](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, actions::send_advert>) {
          o << "send_advert(" << int(x.priority_) << ")";
        } else if constexpr (std::is_same_v<T, actions::add_vips>) {
          o << "add_vips";
        } else if constexpr (std::is_same_v<T, actions::remove_vips>) {
          o << "remove_vips";
        } else if constexpr (std::is_same_v<T, actions::send_garp>) {
          o << "send_garp(" << x.repeat_ << ")";
        } else if constexpr (std::is_same_v<T, actions::run_notify>) {
          o << "notify(" << to_string(x.kind_) << "," << int(x.priority_) << ")";
        } else if constexpr (std::is_same_v<T, actions::state_changed>) {
          o << to_string(x.from_) << "->" << to_string(x.to_);
        } else {
          o << "priority(" << int(x.from_) << "->" << int(x.to_) << ")";
        }
      },
      a);
  return o.str();
}

inline std::string describe(const std::vector<action>& acts) {
  std::string s;
  for (const auto& a : acts) {
    s += describe(a) + " ";
  }
  return s;
}

// One instance on a virtual clock. Actions accumulate in `log_` with the time they came out.
struct clocked {
  explicit clocked(instance_config c) : inst_(std::move(c)) {}

  void start(bool up = true) {
    inst_.start(now_, up);
    drain();
  }
  // Fires every deadline up to and including t, in order, then sets the clock to t.
  void advance_to(time_point t) {
    while (auto d = inst_.next_deadline()) {
      if (*d > t) {
        break;
      }
      now_ = *d;
      inst_.on_timer(now_);
      drain();
    }
    now_ = t;
  }
  void advance(duration d) { advance_to(now_ + d); }
  void advert(const received_advert& a) {
    inst_.on_advert(now_, a);
    drain();
  }
  std::vector<action> take() { return std::exchange(fresh_, {}); }
  void drain() {
    for (auto& a : inst_.take_actions()) {
      log_.emplace_back(now_, a);
      fresh_.push_back(a);
    }
  }
  // When the instance entered `s` last, from the log.
  std::optional<time_point> entered(state s) const {
    std::optional<time_point> t;
    for (const auto& [when, a] : log_) {
      if (const auto* c = std::get_if<actions::state_changed>(&a); c && c->to_ == s) {
        t = when;
      }
    }
    return t;
  }

  time_point now_{};
  instance inst_;
  std::vector<std::pair<time_point, action>> log_;
  std::vector<action> fresh_;
};

// Several routers on one clock: fires their deadlines up to t in time order (at each instant,
// every router due then), drains them all, and calls `between()` (e.g. to deliver adverts);
// then sets every clock to t.
template <typename between_fn>
void advance_together(std::initializer_list<clocked*> routers, time_point t, between_fn between) {
  for (;;) {
    std::optional<time_point> next;
    for (clocked* r : routers) {
      if (auto d = r->inst_.next_deadline(); d && *d <= t && (!next || *d < *next)) {
        next = d;
      }
    }
    if (!next) {
      break;
    }
    for (clocked* r : routers) {
      r->now_ = *next;
    }
    for (clocked* r : routers) {
      if (auto d = r->inst_.next_deadline(); d && *d == *next) {
        r->inst_.on_timer(*next);
      }
    }
    for (clocked* r : routers) {
      r->drain();
    }
    between();
  }
  for (clocked* r : routers) {
    r->now_ = t;
  }
}

// Routers on one segment: every advert one sends reaches all the others at the same
// instant (after each router's due timers at that instant have run).
struct segment {
  std::vector<clocked*> routers_;

  void start() {
    for (auto* r : routers_) {
      r->start();
    }
    deliver();
  }
  void run_until(time_point t) {
    for (;;) {
      std::optional<time_point> next;
      for (auto* r : routers_) {
        if (auto d = r->inst_.next_deadline(); d && *d <= t && (!next || *d < *next)) {
          next = d;
        }
      }
      if (!next) {
        break;
      }
      for (auto* r : routers_) {
        r->now_ = *next;
        if (auto d = r->inst_.next_deadline(); d && *d == *next) {
          r->inst_.on_timer(*next);
          r->drain();
        }
      }
      deliver();
    }
    for (auto* r : routers_) {
      r->now_ = t;
    }
  }
  // Hands each fresh send_advert to the other routers, until nobody has anything to say.
  void deliver() {
    for (int round = 0; round < 16; ++round) {
      std::vector<std::pair<clocked*, std::uint8_t>> sent;
      for (auto* r : routers_) {
        for (const auto& a : r->take()) {
          if (const auto* s = std::get_if<actions::send_advert>(&a)) {
            sent.emplace_back(r, s->priority_);
          }
        }
      }
      if (sent.empty()) {
        return;
      }
      for (const auto& [sender, priority] : sent) {
        for (auto* r : routers_) {
          if (r != sender) {
            r->inst_.on_advert(r->now_, {sender->inst_.config().primary_address_, priority,
                                         sender->inst_.config().advert_interval_});
            r->drain();
          }
        }
      }
    }
  }
  // Who is master now (nullptr if none, the first if several).
  clocked* master() const {
    for (auto* r : routers_) {
      if (r->inst_.current_state() == state::master) {
        return r;
      }
    }
    return nullptr;
  }
  std::size_t masters() const {
    return static_cast<std::size_t>(std::count_if(routers_.begin(), routers_.end(), [](auto* r) {
      return r->inst_.current_state() == state::master;
    }));
  }
};

}  // namespace tandem::runtime::vrrp::testing
