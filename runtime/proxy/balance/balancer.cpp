// The common part of every balancer: per-server state, the choice between active servers, the
// first backup and all backups, the lock, and make_balancer, which reads `balance` and
// `hash-type` and builds the named algorithm once per group.
#include "runtime/proxy/balance/balancer.hpp"

#include <algorithm>
#include <cassert>
#include <mutex>
#include <set>

#include "runtime/proxy/balance/algorithm.hpp"

namespace tandem::runtime::proxy::balance {

namespace {

using detail::algorithm;
using detail::server_state;

class common_balancer final : public balancer {
 public:
  common_balancer(std::vector<server_state> servers, bool dynamic, bool all_backups,
                  random_source random)
      : random_(std::move(random)),
        servers_(std::move(servers)),
        dynamic_(dynamic),
        all_backups_(all_backups) {}

  // Built after construction: the algorithms keep references to servers_ and random_.
  void build(const detail::algorithm_entry& entry, const detail::options& o) {
    detail::group active{servers_, {}};
    detail::group backup{servers_, {}};
    for (const server_state& s : servers_) {
      (s.backup_ ? backup : active).members_.push_back(s.id_);
    }
    active_ = entry.make_(o, std::move(active), random_);
    backup_ = entry.make_(o, std::move(backup), random_);
    for (const server_state& s : servers_) {
      if (s.eligible()) {
        ++(s.backup_ ? backup_count_ : active_count_);
      }
    }
    find_first_backup();
  }

  void set_usable(std::uint32_t id, bool usable) override {
    std::lock_guard lock(mutex_);
    if (id >= servers_.size()) {
      assert(false && "set_usable: no such server");
      return;
    }
    server_state& s = servers_[id];
    if (s.usable_ == usable) {
      return;
    }
    const bool was = s.eligible();
    s.usable_ = usable;
    changed(s, was, s.weight_);
  }

  void set_weight(std::uint32_t id, std::uint32_t weight) override {
    std::lock_guard lock(mutex_);
    if (id >= servers_.size()) {
      assert(false && "set_weight: no such server");
      return;
    }
    server_state& s = servers_[id];
    weight = std::min(weight, detail::max_user_weight);
    if (!dynamic_ && weight != 0 && weight != s.initial_weight_) {
      return;  // HAProxy: "only accepts weights '0%' and '100%'"
    }
    if (s.weight_ == weight) {
      return;
    }
    const bool was = s.eligible();
    const std::uint32_t old_weight = s.weight_;
    s.weight_ = weight;
    changed(s, was, old_weight);
  }

  std::optional<std::uint32_t> pick(const request_keys& keys) override {
    std::lock_guard lock(mutex_);
    if (active_count_ != 0) {
      return active_->pick(keys);
    }
    if (first_backup_) {
      return first_backup_;
    }
    if (backup_count_ != 0) {
      return backup_->pick(keys);
    }
    return std::nullopt;
  }

  void connection_opened(std::uint32_t id) override {
    std::lock_guard lock(mutex_);
    if (id >= servers_.size()) {
      assert(false && "connection_opened: no such server");
      return;
    }
    ++servers_[id].connections_;
    group_of(servers_[id]).connections_changed(id);
  }

  void connection_closed(std::uint32_t id) override {
    std::lock_guard lock(mutex_);
    if (id >= servers_.size() || servers_[id].connections_ == 0) {
      assert(false && "connection_closed: no open connection to that server");
      return;
    }
    --servers_[id].connections_;
    group_of(servers_[id]).connections_changed(id);
  }

 private:
  algorithm& group_of(const server_state& s) { return s.backup_ ? *backup_ : *active_; }

  void changed(server_state& s, bool was, std::uint32_t old_weight) {
    const bool now = s.eligible();
    std::uint32_t& count = s.backup_ ? backup_count_ : active_count_;
    if (was && !now) {
      --count;
      group_of(s).server_down(s.id_, old_weight);
    } else if (!was && now) {
      ++count;
      group_of(s).server_up(s.id_);
    } else if (was && now && s.weight_ != old_weight) {
      group_of(s).weight_changed(s.id_, old_weight);
    }
    if (s.backup_) {
      find_first_backup();
    }
  }

  // Without option allbackups, only the first usable backup in declaration order serves.
  void find_first_backup() {
    first_backup_.reset();
    if (all_backups_) {
      return;
    }
    for (const server_state& s : servers_) {
      if (s.backup_ && s.eligible()) {
        first_backup_ = s.id_;
        return;
      }
    }
  }

  std::mutex mutex_;
  random_source random_;
  std::vector<server_state> servers_;  // by id; never resized (the algorithms point into it)
  const bool dynamic_;
  const bool all_backups_;
  std::unique_ptr<algorithm> active_;
  std::unique_ptr<algorithm> backup_;
  std::uint32_t active_count_ = 0;  // eligible servers in each group
  std::uint32_t backup_count_ = 0;
  std::optional<std::uint32_t> first_backup_;
};

// HAProxy numbers the servers without an `id` in declaration order: the n-th server gets the
// first id from n on that nobody took (so s1 id 7, s2, s3 id 3 gives s2 the id 2, not 1).
bool assign_puids(std::span<const server_entry> servers, std::vector<server_state>& out,
                  std::string& error) {
  std::set<std::uint32_t> taken;
  for (const server_entry& e : servers) {
    if (e.puid_ != 0 && !taken.insert(e.puid_).second) {
      error = "two servers have the id " + std::to_string(e.puid_);
      return false;
    }
  }
  std::uint32_t next = 1;
  for (server_state& s : out) {
    if (s.puid_ == 0) {
      while (taken.contains(next)) {
        ++next;
      }
      s.puid_ = next;
      taken.insert(next);
    }
    ++next;
  }
  return true;
}

}  // namespace

std::unique_ptr<balancer> make_balancer(const settings& s, std::span<const server_entry> servers,
                                        random_source random, std::string& error) {
  std::vector<std::string> words = s.balance_;
  if (words.empty()) {
    words.push_back("roundrobin");
  }
  // "hdr(host)", "random(3)", "rdp-cookie(msts)": the name, and what the parentheses hold.
  std::string_view first = words[0];
  std::string_view name = first;
  std::optional<std::string_view> paren;
  if (const std::size_t open = first.find('('); open != std::string_view::npos) {
    name = first.substr(0, open);
    if (first.back() != ')') {
      error = "balance " + std::string(name) + ": missing closing parenthesis";
      return nullptr;
    }
    paren = first.substr(open + 1, first.size() - open - 2);
  }
  if (name == "hash") {
    error = "balance hash <expression> is not supported yet";
    return nullptr;
  }
  const detail::algorithm_entry* entry = detail::find_algorithm(name);
  if (entry == nullptr) {
    error = "unknown balance algorithm '" + std::string(first) + "' (expected one of:";
    for (std::string_view n : algorithm_names()) {
      error.append(" ").append(n);
    }
    error += ")";
    return nullptr;
  }
  detail::options o;
  if (!detail::parse_hash_type(s.hash_type_, o.hash_, error) ||
      !entry->parse_(paren, std::span(words).subspan(1), o, error)) {
    return nullptr;
  }
  if (entry->needs_random_ && !random) {
    error = "balance " + std::string(name) + " needs a random source";
    return nullptr;
  }

  std::vector<server_state> states;
  states.reserve(servers.size());
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const server_entry& e = servers[i];
    if (e.id_ != i) {
      error = "server ids must be their declaration index (server " + std::to_string(i) +
              " has id " + std::to_string(e.id_) + ")";
      return nullptr;
    }
    if (e.weight_ > detail::max_user_weight) {
      error = "server weight " + std::to_string(e.weight_) + " is above 256";
      return nullptr;
    }
    server_state st;
    st.id_ = e.id_;
    st.puid_ = e.puid_;
    st.weight_ = st.initial_weight_ = e.weight_;
    st.maxconn_ = e.maxconn_;
    st.backup_ = e.backup_;
    states.push_back(st);
  }
  if (!assign_puids(servers, states, error)) {
    return nullptr;
  }
  auto b = std::make_unique<common_balancer>(std::move(states), entry->dynamic_(o), s.all_backups_,
                                             std::move(random));
  b->build(*entry, o);
  return b;
}

std::vector<std::string_view> algorithm_names() {
  std::vector<std::string_view> names;
  for (const detail::algorithm_entry* e : detail::registry()) {
    names.push_back(e->name_);
  }
  return names;
}

}  // namespace tandem::runtime::proxy::balance
