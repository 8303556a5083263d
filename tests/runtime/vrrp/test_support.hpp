// Test helpers for the VRRP state machine: a virtual clock that fires an instance's timers
// in order, action matchers, and a two-router segment that delivers adverts between them.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
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
  c.name = "VI_1";
  c.vrid = 51;
  c.version = 2;
  c.priority = priority;
  c.advert_interval = 1s;
  c.primary_address = addr(source);
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
          o << "send_advert(" << int(x.priority) << ")";
        } else if constexpr (std::is_same_v<T, actions::add_vips>) {
          o << "add_vips";
        } else if constexpr (std::is_same_v<T, actions::remove_vips>) {
          o << "remove_vips";
        } else if constexpr (std::is_same_v<T, actions::send_garp>) {
          o << "send_garp(" << x.repeat << ")";
        } else if constexpr (std::is_same_v<T, actions::run_notify>) {
          o << "notify(" << to_string(x.kind) << "," << int(x.priority) << ")";
        } else if constexpr (std::is_same_v<T, actions::state_changed>) {
          o << to_string(x.from) << "->" << to_string(x.to);
        } else {
          o << "priority(" << int(x.from) << "->" << int(x.to) << ")";
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

// One instance on a virtual clock. Actions accumulate in `log` with the time they came out.
struct clocked {
  explicit clocked(instance_config c) : inst(std::move(c)) {}

  void start(bool up = true) {
    inst.start(now, up);
    drain();
  }
  // Fires every deadline up to and including t, in order, then sets the clock to t.
  void advance_to(time_point t) {
    while (auto d = inst.next_deadline()) {
      if (*d > t) {
        break;
      }
      now = *d;
      inst.on_timer(now);
      drain();
    }
    now = t;
  }
  void advance(duration d) { advance_to(now + d); }
  void advert(const received_advert& a) {
    inst.on_advert(now, a);
    drain();
  }
  std::vector<action> take() { return std::exchange(fresh, {}); }
  void drain() {
    for (auto& a : inst.take_actions()) {
      log.emplace_back(now, a);
      fresh.push_back(a);
    }
  }
  // When the instance entered `s` last, from the log.
  std::optional<time_point> entered(state s) const {
    std::optional<time_point> t;
    for (const auto& [when, a] : log) {
      if (const auto* c = std::get_if<actions::state_changed>(&a); c && c->to == s) {
        t = when;
      }
    }
    return t;
  }

  time_point now{};
  instance inst;
  std::vector<std::pair<time_point, action>> log;
  std::vector<action> fresh;
};

// Routers on one segment: every advert one sends reaches all the others at the same
// instant (after each router's due timers at that instant have run).
struct segment {
  std::vector<clocked*> routers;

  void start() {
    for (auto* r : routers) {
      r->start();
    }
    deliver();
  }
  void run_until(time_point t) {
    for (;;) {
      std::optional<time_point> next;
      for (auto* r : routers) {
        if (auto d = r->inst.next_deadline(); d && *d <= t && (!next || *d < *next)) {
          next = d;
        }
      }
      if (!next) {
        break;
      }
      for (auto* r : routers) {
        r->now = *next;
        if (auto d = r->inst.next_deadline(); d && *d == *next) {
          r->inst.on_timer(*next);
          r->drain();
        }
      }
      deliver();
    }
    for (auto* r : routers) {
      r->now = t;
    }
  }
  // Hands each fresh send_advert to the other routers, until nobody has anything to say.
  void deliver() {
    for (int round = 0; round < 16; ++round) {
      std::vector<std::pair<clocked*, std::uint8_t>> sent;
      for (auto* r : routers) {
        for (const auto& a : r->take()) {
          if (const auto* s = std::get_if<actions::send_advert>(&a)) {
            sent.emplace_back(r, s->priority);
          }
        }
      }
      if (sent.empty()) {
        return;
      }
      for (const auto& [sender, priority] : sent) {
        for (auto* r : routers) {
          if (r != sender) {
            r->inst.on_advert(r->now, {sender->inst.config().primary_address, priority,
                                       sender->inst.config().advert_interval});
            r->drain();
          }
        }
      }
    }
  }
  // Who is master now (nullptr if none, the first if several).
  clocked* master() const {
    for (auto* r : routers) {
      if (r->inst.current_state() == state::master) {
        return r;
      }
    }
    return nullptr;
  }
  std::size_t masters() const {
    return static_cast<std::size_t>(std::count_if(routers.begin(), routers.end(), [](auto* r) {
      return r->inst.current_state() == state::master;
    }));
  }
};

}  // namespace tandem::runtime::vrrp::testing
