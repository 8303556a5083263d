// The VRRP state machine, pure: adverts (already validated and decoded), timer expiries,
// tracker results, link changes and shutdown go in; actions (send an advert, add or remove
// the VIPs, send gratuitous ARPs, run a notify) and the next deadline come out. It follows
// RFC 3768 (v2) and RFC 5798 (v3) the way keepalived 2.2.7's vrrp.c, vrrp_scheduler.c,
// vrrp_track.c and vrrp_sync.c do; README.md lists where and why it differs.
//
// Time is always passed in; nothing here reads a clock, opens a socket or allocates on a
// hot path beyond the action list.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/vrrp/ip_address.hpp"
#include "runtime/vrrp/packet.hpp"
#include "runtime/vrrp/time.hpp"

namespace tandem::runtime::vrrp {

enum class state : std::uint8_t { init, backup, master, fault };
const char* to_string(state s);

inline constexpr std::uint8_t priority_owner = 255;
inline constexpr std::uint8_t priority_stop = 0;

// What a tracker (vrrp_script, track_interface, track_file, track_process...) reports.
// unknown: no result yet (a script before its first run, not init_fail).
enum class tracker_status : std::uint8_t { unknown, ok, failing };

struct tracker_config {
  std::string name_;
  // keepalived: a positive weight is added while OK, a negative one subtracted while failing;
  // reverse turns the direction round; weight 0 means FAULT while failing (while OK with
  // reverse).
  int weight_ = 0;
  bool reverse_ = false;
  tracker_status initial_ = tracker_status::unknown;
  // A track_file with a non-zero weight reports a number (on_tracker_value), not up/down:
  // value * weight (negated with reverse) is added to the priority, and below -253 it means
  // FAULT (keepalived.conf(5), "Track files").
  bool valued_ = false;
};

// keepalived's gratuitous ARP / unsolicited NA schedule, per instance.
struct garp_config {
  // garp_master_delay / garp_master_repeat: a burst on becoming master, another one later.
  duration master_delay_ = std::chrono::seconds(5);
  unsigned master_repeat_ = 5;
  // garp_lower_prio_delay / garp_lower_prio_repeat: after a lower priority advert as master.
  duration lower_prio_delay_ = std::chrono::seconds(5);
  unsigned lower_prio_repeat_ = 5;
  // garp_master_refresh / garp_master_refresh_repeat: periodic while master (0: never).
  duration master_refresh_ = duration::zero();
  unsigned master_refresh_repeat_ = 1;
};

// One vrrp_instance as the runtime sees it (filled from the keepalived model by
// runtime/assemble; keepalived's config-time corrections are assumed done there).
struct instance_config {
  std::string name_;
  std::uint8_t vrid_ = 1;
  std::uint8_t version_ = 2;
  address_family family_ = address_family::ipv4;
  std::uint8_t priority_ = 100;  // 1..255; 255 is the address owner
  bool initial_master_ = false;  // `state MASTER`
  // v2: whole seconds; v3: centiseconds (keepalived rounds when reading the config).
  duration advert_interval_ = std::chrono::seconds(1);
  bool nopreempt_ = false;
  duration preempt_delay_ = duration::zero();
  ip_address primary_address_;  // the source of our adverts: the equal-priority tie-break
  unsigned down_timer_adverts_ = 3;
  bool lower_prio_no_advert_ = false;
  bool higher_prio_send_advert_ = false;
  bool track_interface_ = true;  // false: dont_track_primary
  garp_config garp_;
  std::vector<tracker_config> trackers_;
  // What the adverts carry (the machine itself only needs them through wire.hpp).
  std::vector<ip_address> vips_;  // virtual_ipaddress, in order, all of `family_`
  auth_type auth_ = auth_type::none;
  std::array<std::uint8_t, vrrp_auth_size> auth_data_{};
};

// An advert that passed check_ipv4_packet / check_ipv6_packet.
struct received_advert {
  ip_address source_;
  std::uint8_t priority_ = 0;
  duration advert_interval_{};  // v3: what the master advertises; v2: ours (checked equal)
};
received_advert to_received(const advert& a, const ip_address& source);

enum class notify_kind : std::uint8_t { master, backup, fault, stop };
const char* to_string(notify_kind k);

namespace actions {
struct send_advert {
  std::uint8_t priority_ = 0;
  friend bool operator==(const send_advert&, const send_advert&) = default;
};
struct add_vips {
  friend bool operator==(const add_vips&, const add_vips&) = default;
};
struct remove_vips {
  friend bool operator==(const remove_vips&, const remove_vips&) = default;
};
struct send_garp {
  unsigned repeat_ = 0;  // messages per address in this burst
  friend bool operator==(const send_garp&, const send_garp&) = default;
};
struct run_notify {
  notify_kind kind_ = notify_kind::backup;
  std::uint8_t priority_ = 0;  // the fourth argument of `notify`
  friend bool operator==(const run_notify&, const run_notify&) = default;
};
struct state_changed {
  state from_ = state::init;
  state to_ = state::init;
  friend bool operator==(const state_changed&, const state_changed&) = default;
};
struct priority_changed {
  std::uint8_t from_ = 0;
  std::uint8_t to_ = 0;
  friend bool operator==(const priority_changed&, const priority_changed&) = default;
};
}  // namespace actions

using action =
    std::variant<actions::send_advert, actions::add_vips, actions::remove_vips, actions::send_garp,
                 actions::run_notify, actions::state_changed, actions::priority_changed>;

class sync_group;

class instance {
 public:
  explicit instance(instance_config config);
  instance(const instance&) = delete;
  instance& operator=(const instance&) = delete;

  // Leaves INIT: BACKUP (waiting for the master-down interval), MASTER at once for an owner
  // with `state MASTER`, or FAULT while the link is down or an unweighted tracker fails.
  void start(time_point now, bool interface_up = true);
  void on_advert(time_point now, const received_advert& advert);
  // Runs whatever is due at `now` (adverts, master-down, delayed GARPs).
  void on_timer(time_point now);
  void on_tracker(time_point now, std::size_t index, bool ok);
  bool on_tracker(time_point now, std::string_view name, bool ok);  // false: no such tracker
  // A valued tracker's number (see tracker_config::valued_).
  void on_tracker_value(time_point now, std::size_t index, long value);
  void on_interface(time_point now, bool up);
  // keepalived's stop: a master sends priority 0 and releases its VIPs; notify_stop runs.
  void shutdown(time_point now);

  std::optional<time_point> next_deadline() const;
  std::vector<action> take_actions();

  state current_state() const { return state_; }
  std::uint8_t effective_priority() const { return effective_priority_; }
  duration master_advert_interval() const { return master_adver_int_; }
  duration master_down_interval() const { return ms_down_timer_; }
  duration skew_time() const { return skew(256u - effective_priority_); }
  const instance_config& config() const { return config_; }
  std::optional<ip_address> master_address() const { return master_address_; }

 private:
  friend class sync_group;

  duration skew(unsigned priority_term) const;
  duration down_interval() const;
  bool own_fault() const;
  bool any_real_fault() const;
  void recompute_priority(time_point now);
  void emit(action a) { actions_.push_back(std::move(a)); }
  void set_state(state s);

  void goto_master(time_point now, bool forced);
  void send_master_advert(time_point now);
  void leave_master_to_backup(time_point now);
  void enter_fault(time_point now);
  void leave_fault(time_point now);
  void update_fault(time_point now);
  void backup_rx(time_point now, const received_advert& advert);
  void master_rx(time_point now, const received_advert& advert);
  void clear_garp_timers();

  instance_config config_;
  state state_ = state::init;
  sync_group* group_ = nullptr;
  std::vector<tracker_status> tracker_status_;
  std::vector<long long> tracker_value_;  // valued trackers: value * weight (reverse applied)
  bool interface_up_ = true;
  bool want_master_ = false;
  bool vips_set_ = false;
  std::uint8_t base_priority_;
  std::uint8_t effective_priority_;
  duration master_adver_int_;
  duration ms_down_timer_{};
  std::optional<time_point> sands_;  // the advert or master-down deadline
  std::optional<time_point> garp_due_;
  std::optional<time_point> lower_prio_garp_due_;
  std::optional<time_point> garp_refresh_due_;
  std::optional<time_point> preempt_time_;
  std::optional<ip_address> master_address_;
  std::vector<action> actions_;
};

// vrrp_sync_group: members move together. One member's FAULT pulls all into FAULT; one
// becoming MASTER (which it only may when every other member wants MASTER too) pulls the
// others to MASTER; one stepping down to BACKUP takes the other masters down with it.
// Instances and group are owned by the caller; the group must outlive its members' use.
class sync_group {
 public:
  // As keepalived does, member trackers lose their weights (become unweighted: FAULT on
  // failure) unless `tracking_weight` (sync_group_tracking_weight) is set.
  sync_group(std::string name, std::vector<instance*> members, bool tracking_weight = false);
  sync_group(const sync_group&) = delete;
  sync_group& operator=(const sync_group&) = delete;

  state current_state() const { return state_; }
  const std::string& name() const { return name_; }
  // Group notifies (notify_master/backup/fault of the vrrp_sync_group).
  std::vector<notify_kind> take_notifies();

 private:
  friend class instance;
  bool can_goto_master(const instance* who) const;
  void member_started(instance* who);
  void member_became_master(instance* who, time_point now);
  void member_left_master(instance* who, time_point now);
  void member_fault(instance* who, time_point now);
  void member_recovered(instance* who, time_point now);
  void set_state(state s);

  std::string name_;
  std::vector<instance*> members_;
  state state_ = state::init;
  std::vector<notify_kind> notifies_;
};

}  // namespace tandem::runtime::vrrp
