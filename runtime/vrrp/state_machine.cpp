// The VRRP state machine (see state_machine.hpp). Function names follow keepalived's where
// one does the same job (goto_master, leave_master, leave_fault, backup_rx, master_rx), so
// the two can be read side by side.
#include "runtime/vrrp/state_machine.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace tandem::runtime::vrrp {

namespace {
constexpr duration one_second = std::chrono::seconds(1);
constexpr std::int64_t centisecond_us = 10000;
}  // namespace

const char* to_string(state s) {
  switch (s) {
    case state::init:
      return "INIT";
    case state::backup:
      return "BACKUP";
    case state::master:
      return "MASTER";
    case state::fault:
      return "FAULT";
  }
  return "?";
}

const char* to_string(notify_kind k) {
  switch (k) {
    case notify_kind::master:
      return "MASTER";
    case notify_kind::backup:
      return "BACKUP";
    case notify_kind::fault:
      return "FAULT";
    case notify_kind::stop:
      return "STOP";
  }
  return "?";
}

received_advert to_received(const advert& a, const ip_address& source) {
  received_advert r;
  r.source_ = source;
  r.priority_ = a.priority_;
  r.advert_interval_ = a.version_ == 3 ? duration(a.advert_interval_ * centisecond_us)
                                       : duration(std::chrono::seconds(a.advert_interval_));
  return r;
}

instance::instance(instance_config config)
    : config_(std::move(config)),
      tracker_status_(config_.trackers_.size()),
      tracker_value_(config_.trackers_.size(), 0),
      base_priority_(config_.priority_),
      effective_priority_(config_.priority_),
      master_adver_int_(config_.advert_interval_) {
  assert(config_.version_ == 2 || config_.version_ == 3);
  assert(config_.priority_ >= 1);
  assert(config_.advert_interval_ > duration::zero());
  assert(config_.down_timer_adverts_ >= 1);
  for (std::size_t i = 0; i < tracker_status_.size(); ++i) {
    tracker_status_[i] = config_.trackers_[i].initial_;
  }
  ms_down_timer_ = down_interval();
}

// RFC 3768: Skew_Time = (256 - Priority) / 256 seconds; RFC 5798: ((256 - Priority) *
// Master_Adver_Interval) / 256. keepalived's integer microsecond arithmetic (VRRP_TIMER_SKEW,
// 625/16 == 10000/256) is kept so the deadlines agree to the microsecond.
duration instance::skew(unsigned priority_term) const {
  if (config_.version_ == 3) {
    const auto cs = master_adver_int_.count() / centisecond_us;
    return duration(static_cast<std::int64_t>(priority_term) * cs * 625 / 16);
  }
  return duration(static_cast<std::int64_t>(priority_term) * one_second.count() / 256);
}

duration instance::down_interval() const {
  return static_cast<std::int64_t>(config_.down_timer_adverts_) * master_adver_int_ +
         skew(256u - effective_priority_);
}

// A weight-0 tracker that fails (or succeeds, with reverse) holds the instance in FAULT, as
// does one that has not reported yet (keepalived's num_script_init), and the link.
bool instance::own_fault() const {
  if (config_.track_interface_ && !interface_up_) {
    return true;
  }
  for (std::size_t i = 0; i < tracker_status_.size(); ++i) {
    const auto& t = config_.trackers_[i];
    if (t.valued_) {
      if (tracker_value_[i] < -253) {
        return true;
      }
      continue;
    }
    if (t.weight_ != 0) {
      continue;
    }
    if (tracker_status_[i] == tracker_status::unknown) {
      return true;
    }
    const bool ok = tracker_status_[i] == tracker_status::ok;
    if (ok == t.reverse_) {
      return true;
    }
  }
  return false;
}

// A fault that is more than "no result yet": keepalived notifies only for those at startup.
bool instance::any_real_fault() const {
  if (config_.track_interface_ && !interface_up_) {
    return true;
  }
  for (std::size_t i = 0; i < tracker_status_.size(); ++i) {
    const auto& t = config_.trackers_[i];
    if (t.valued_ && tracker_value_[i] < -253) {
      return true;
    }
    if (!t.valued_ && t.weight_ == 0 && tracker_status_[i] != tracker_status::unknown &&
        (tracker_status_[i] == tracker_status::ok) == t.reverse_) {
      return true;
    }
  }
  return false;
}

void instance::set_state(state s) {
  if (s == state_) {
    return;
  }
  emit(actions::state_changed{state_, s});
  state_ = s;
}

// vrrp_set_effective_priority: the owner never changes; others are clamped to 1..254. In
// BACKUP the running master-down deadline moves by the change in the interval.
void instance::recompute_priority(time_point now) {
  (void)now;
  if (base_priority_ == priority_owner) {
    return;
  }
  long long total = base_priority_;
  for (std::size_t i = 0; i < tracker_status_.size(); ++i) {
    const auto& t = config_.trackers_[i];
    if (t.valued_) {
      if (tracker_value_[i] >= -253 && tracker_value_[i] <= 253) {
        total += tracker_value_[i];
      }
      continue;
    }
    if (t.weight_ == 0 || tracker_status_[i] == tracker_status::unknown) {
      continue;
    }
    const bool ok = tracker_status_[i] == tracker_status::ok;
    const int multiplier = t.reverse_ ? -1 : 1;
    if (t.weight_ > 0 && ok) {
      total += t.weight_ * multiplier;
    } else if (t.weight_ < 0 && !ok) {
      total += t.weight_ * multiplier;
    }
  }
  const auto next = static_cast<std::uint8_t>(std::clamp<long long>(total, 1, priority_owner - 1));
  if (next == effective_priority_) {
    return;
  }
  emit(actions::priority_changed{effective_priority_, next});
  effective_priority_ = next;
  const duration old_down = ms_down_timer_;
  ms_down_timer_ = down_interval();
  if (state_ == state::backup && sands_) {
    *sands_ += ms_down_timer_ - old_down;
  }
}

void instance::start(time_point now, bool interface_up) {
  assert(state_ == state::init);
  interface_up_ = interface_up;
  master_adver_int_ = config_.advert_interval_;
  recompute_priority(now);
  ms_down_timer_ = down_interval();
  if (group_ != nullptr) {
    group_->member_started(this);
  }
  if (own_fault() || (group_ != nullptr && group_->current_state() == state::fault)) {
    set_state(state::fault);
    sands_.reset();
    if (any_real_fault()) {
      emit(actions::run_notify{notify_kind::fault, effective_priority_});
    }
    if (group_ != nullptr && own_fault()) {
      group_->member_fault(this, now);
    }
    return;
  }
  // An owner configured MASTER takes over at once (keepalived times out of BACKUP after
  // 1 us without notifying BACKUP); everyone else, `state MASTER` or not, waits in BACKUP.
  if (config_.initial_master_ && base_priority_ == priority_owner) {
    want_master_ = true;
    goto_master(now, false);  // or BACKUP, when a sync group holds it back
    return;
  }
  set_state(state::backup);
  emit(actions::run_notify{notify_kind::backup, effective_priority_});
  sands_ = now + ms_down_timer_;
}

void instance::goto_master(time_point now, bool forced) {
  if (group_ != nullptr && !forced && !group_->can_goto_master(this)) {
    // vrrp_sync_can_goto_master: wait for the others, checking again an interval later.
    want_master_ = true;
    if (state_ != state::backup) {
      set_state(state::backup);
      emit(actions::run_notify{notify_kind::backup, effective_priority_});
    }
    ms_down_timer_ = master_adver_int_ + skew(1);
    sands_ = now + ms_down_timer_;
    return;
  }
  want_master_ = true;
  preempt_time_.reset();
  set_state(state::master);
  emit(actions::add_vips{});
  vips_set_ = true;
  emit(actions::send_garp{config_.garp_.master_repeat_});
  if (config_.garp_.master_delay_ > duration::zero()) {
    garp_due_ = now + config_.garp_.master_delay_;
  }
  if (config_.garp_.master_refresh_ > duration::zero()) {
    garp_refresh_due_ = now + config_.garp_.master_refresh_;
  }
  emit(actions::run_notify{notify_kind::master, effective_priority_});
  master_address_ = config_.primary_address_;
  send_master_advert(now);
  if (group_ != nullptr) {
    group_->member_became_master(this, now);
  }
}

// vrrp_state_master_tx: the advert, after a GARP refresh burst if one is due.
void instance::send_master_advert(time_point now) {
  if (garp_refresh_due_ && now > *garp_refresh_due_) {
    emit(actions::send_garp{config_.garp_.master_refresh_repeat_});
    garp_refresh_due_ = now + config_.garp_.master_refresh_;
  }
  emit(actions::send_advert{effective_priority_});
  sands_ = now + config_.advert_interval_;
}

void instance::clear_garp_timers() {
  garp_due_.reset();
  lower_prio_garp_due_.reset();
  garp_refresh_due_.reset();
}

void instance::leave_master_to_backup(time_point now) {
  emit(actions::remove_vips{});
  vips_set_ = false;
  clear_garp_timers();
  want_master_ = false;
  preempt_time_.reset();
  set_state(state::backup);
  emit(actions::run_notify{notify_kind::backup, effective_priority_});
  ms_down_timer_ = down_interval();
  sands_ = now + ms_down_timer_;
  if (group_ != nullptr) {
    group_->member_left_master(this, now);
  }
}

void instance::enter_fault(time_point now) {
  (void)now;
  if (state_ == state::fault || state_ == state::init) {
    return;
  }
  if (state_ == state::master) {
    // Tell the backups to take over now rather than after the master-down interval.
    emit(actions::send_advert{priority_stop});
    emit(actions::remove_vips{});
    vips_set_ = false;
  }
  clear_garp_timers();
  want_master_ = false;
  preempt_time_.reset();
  set_state(state::fault);
  emit(actions::run_notify{notify_kind::fault, effective_priority_});
  sands_.reset();
}

// try_up_instance / vrrp_state_leave_fault: back to BACKUP with a full master-down wait, or
// straight to MASTER for an owner configured MASTER.
void instance::leave_fault(time_point now) {
  if (state_ != state::fault) {
    return;
  }
  master_adver_int_ = config_.advert_interval_;
  if (config_.initial_master_ && base_priority_ == priority_owner) {
    ms_down_timer_ = master_adver_int_ + skew(256u - effective_priority_);
    goto_master(now, false);  // or BACKUP, when a sync group holds it back
    return;
  }
  set_state(state::backup);
  emit(actions::run_notify{notify_kind::backup, effective_priority_});
  ms_down_timer_ = down_interval();
  sands_ = now + ms_down_timer_;
}

void instance::update_fault(time_point now) {
  if (state_ == state::init) {
    return;
  }
  const bool fault = own_fault();
  if (fault && state_ != state::fault) {
    enter_fault(now);
    if (group_ != nullptr) {
      group_->member_fault(this, now);
    }
  } else if (fault && group_ != nullptr) {
    group_->member_fault(this, now);
  } else if (!fault && state_ == state::fault) {
    if (group_ != nullptr) {
      group_->member_recovered(this, now);
    } else {
      leave_fault(now);
    }
  }
}

void instance::on_tracker(time_point now, std::size_t index, bool ok) {
  assert(index < tracker_status_.size());
  const auto next = ok ? tracker_status::ok : tracker_status::failing;
  if (tracker_status_[index] == next) {
    return;
  }
  tracker_status_[index] = next;
  if (config_.trackers_[index].weight_ == 0) {
    update_fault(now);
  } else {
    recompute_priority(now);
  }
}

void instance::on_tracker_value(time_point now, std::size_t index, long value) {
  assert(index < tracker_status_.size());
  const auto& t = config_.trackers_[index];
  assert(t.valued_);
  const long long v = static_cast<long long>(value) * t.weight_ * (t.reverse_ ? -1 : 1);
  if (tracker_status_[index] != tracker_status::unknown && tracker_value_[index] == v) {
    return;
  }
  tracker_status_[index] = tracker_status::ok;
  tracker_value_[index] = v;
  recompute_priority(now);
  update_fault(now);
}

bool instance::on_tracker(time_point now, std::string_view name, bool ok) {
  for (std::size_t i = 0; i < config_.trackers_.size(); ++i) {
    if (config_.trackers_[i].name_ == name) {
      on_tracker(now, i, ok);
      return true;
    }
  }
  return false;
}

void instance::on_interface(time_point now, bool up) {
  if (interface_up_ == up) {
    return;
  }
  interface_up_ = up;
  if (config_.track_interface_) {
    update_fault(now);
  }
}

void instance::on_timer(time_point now) {
  if (state_ == state::master) {
    // The delayed bursts keepalived queues as separate timer threads.
    if (garp_due_ && now >= *garp_due_) {
      garp_due_.reset();
      emit(actions::send_garp{config_.garp_.master_repeat_});
    }
    if (lower_prio_garp_due_ && now >= *lower_prio_garp_due_) {
      lower_prio_garp_due_.reset();
      emit(actions::send_garp{config_.garp_.lower_prio_repeat_});
    }
    if (sands_ && now >= *sands_) {
      send_master_advert(now);
    }
  } else if (state_ == state::backup) {
    if (sands_ && now >= *sands_) {
      goto_master(now, false);
    }
  }
}

// vrrp_state_backup.
void instance::backup_rx(time_point now, const received_advert& adv) {
  if (adv.priority_ == priority_stop) {
    // The master is leaving: take over after the skew time only.
    ms_down_timer_ = skew(256u - effective_priority_);
    sands_ = now + ms_down_timer_;
    return;
  }
  const bool delaying =
      config_.preempt_delay_ > duration::zero() && (!preempt_time_ || *preempt_time_ > now);
  if (config_.nopreempt_ || adv.priority_ >= effective_priority_ || delaying) {
    if (config_.version_ == 3) {
      // RFC 5798 6.4.2: Master_Adver_Interval is the advertised one.
      master_adver_int_ = adv.advert_interval_;
    }
    ms_down_timer_ = down_interval();
    sands_ = now + ms_down_timer_;
    master_address_ = adv.source_;
    want_master_ = false;
    if (config_.preempt_delay_ > duration::zero()) {
      if (adv.priority_ >= effective_priority_) {
        preempt_time_.reset();
      } else if (!preempt_time_) {
        preempt_time_ = now + config_.preempt_delay_;
      }
    }
    return;
  }
  // A lower priority master we may preempt: ignore it and let the master-down timer run.
  master_address_ = adv.source_;
}

// vrrp_state_master_rx.
void instance::master_rx(time_point now, const received_advert& adv) {
  const auto cmp = adv.source_ <=> config_.primary_address_;
  const bool higher =
      adv.priority_ > effective_priority_ || (adv.priority_ == effective_priority_ && cmp > 0);
  if (adv.priority_ == priority_stop || (config_.higher_prio_send_advert_ && higher)) {
    emit(actions::send_advert{effective_priority_});
    if (adv.priority_ == priority_stop) {
      if (!config_.lower_prio_no_advert_) {
        sands_ = now + config_.advert_interval_;
      }
      return;
    }
  }
  if (adv.priority_ == effective_priority_ && cmp != 0 && effective_priority_ == priority_owner) {
    // Two owners: keepalived calls it a configuration error and steps down to 254.
    base_priority_ = effective_priority_ = priority_owner - 1;
    ms_down_timer_ = down_interval();
  }
  if (adv.priority_ < effective_priority_ || (adv.priority_ == effective_priority_ && cmp < 0)) {
    if (!config_.lower_prio_no_advert_) {
      emit(actions::send_advert{effective_priority_});
      sands_ = now + config_.advert_interval_;
    }
    if (config_.garp_.lower_prio_repeat_ > 0) {
      emit(actions::send_garp{config_.garp_.lower_prio_repeat_});
      if (config_.garp_.lower_prio_delay_ > duration::zero()) {
        lower_prio_garp_due_ = now + config_.garp_.lower_prio_delay_;
      }
    }
    return;
  }
  if (adv.priority_ > effective_priority_ || (adv.priority_ == effective_priority_ && cmp > 0)) {
    if (config_.version_ == 3) {
      master_adver_int_ = adv.advert_interval_;
    }
    master_address_ = adv.source_;
    leave_master_to_backup(now);
  }
}

void instance::on_advert(time_point now, const received_advert& adv) {
  if (state_ == state::backup) {
    backup_rx(now, adv);
  } else if (state_ == state::master) {
    master_rx(now, adv);
  }
  // INIT and FAULT ignore adverts, as keepalived's read dispatcher does.
}

void instance::shutdown(time_point now) {
  (void)now;
  if (state_ == state::master) {
    emit(actions::send_advert{priority_stop});
    emit(actions::remove_vips{});
    vips_set_ = false;
  }
  clear_garp_timers();
  sands_.reset();
  want_master_ = false;
  if (state_ != state::init) {
    set_state(state::init);
    emit(actions::run_notify{notify_kind::stop, effective_priority_});
  }
}

std::optional<time_point> instance::next_deadline() const {
  std::optional<time_point> next = sands_;
  if (state_ == state::master) {
    for (const auto& t : {garp_due_, lower_prio_garp_due_}) {
      if (t && (!next || *t < *next)) {
        next = t;
      }
    }
  }
  return next;
}

std::vector<action> instance::take_actions() {
  return std::exchange(actions_, {});
}

// ---- sync_group ----

sync_group::sync_group(std::string name, std::vector<instance*> members, bool tracking_weight)
    : name_(std::move(name)), members_(std::move(members)) {
  for (instance* m : members_) {
    assert(m != nullptr && m->group_ == nullptr && m->state_ == state::init);
    m->group_ = this;
    if (!tracking_weight) {
      for (auto& t : m->config_.trackers_) {
        t.weight_ = 0;
        t.valued_ = false;  // a track_file's number then means FAULT when non-zero
      }
    }
  }
}

std::vector<notify_kind> sync_group::take_notifies() {
  return std::exchange(notifies_, {});
}

void sync_group::set_state(state s) {
  if (s == state_) {
    return;
  }
  state_ = s;
  switch (s) {
    case state::master:
      notifies_.push_back(notify_kind::master);
      break;
    case state::backup:
      notifies_.push_back(notify_kind::backup);
      break;
    case state::fault:
      notifies_.push_back(notify_kind::fault);
      break;
    case state::init:
      break;
  }
}

void sync_group::member_started(instance* who) {
  (void)who;
  if (state_ == state::init) {
    set_state(state::backup);
  }
}

// Only go MASTER when every other member wants to as well: prefer BACKUP to thrashing.
bool sync_group::can_goto_master(const instance* who) const {
  if (state_ == state::master) {
    return true;
  }
  return std::all_of(members_.begin(), members_.end(), [who](const instance* m) {
    return m == who || m->want_master_ || m->state_ == state::master;
  });
}

void sync_group::member_became_master(instance* who, time_point now) {
  if (state_ == state::master) {
    return;
  }
  set_state(state::master);
  for (instance* m : members_) {
    if (m != who && m->state_ == state::backup) {
      m->goto_master(now, true);
    }
  }
}

void sync_group::member_left_master(instance* who, time_point now) {
  if (state_ == state::backup) {
    return;
  }
  set_state(state::backup);
  for (instance* m : members_) {
    if (m != who && m->state_ == state::master) {
      m->leave_master_to_backup(now);
    }
  }
}

void sync_group::member_fault(instance* who, time_point now) {
  if (state_ == state::fault) {
    return;
  }
  set_state(state::fault);
  for (instance* m : members_) {
    if (m != who) {
      m->enter_fault(now);
    }
  }
}

void sync_group::member_recovered(instance* who, time_point now) {
  (void)who;
  const bool any_fault = std::any_of(members_.begin(), members_.end(), [](const instance* m) {
    return m->state_ != state::init && m->own_fault();
  });
  if (any_fault) {
    return;
  }
  set_state(state::backup);
  for (instance* m : members_) {
    m->leave_fault(now);
  }
}

}  // namespace tandem::runtime::vrrp
