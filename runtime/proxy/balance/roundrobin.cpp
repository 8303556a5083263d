// balance roundrobin: HAProxy's fast weighted round robin (lb_fwrr.c), dynamic weights. Each
// server has a next position npos in a window of the group's total effective weight; the
// "current" tree orders servers by it, the "init" tree holds those not yet placed in this
// window (heaviest first), the "next" tree those pushed to the next window. Reproducing its
// arithmetic gives HAProxy's exact order, e.g. weights 3,1 -> s1 s1 s1 s2.
#include <array>
#include <boost/intrusive/set.hpp>

#include "runtime/proxy/balance/algorithm.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

namespace bi = boost::intrusive;

constexpr std::int64_t max_eweight = max_user_weight * weight_scale;  // SRV_EWGHT_MAX

enum : int { no_tree = -1, current_tree = 0 };

struct fwrr_server : bi::set_base_hook<> {
  std::uint32_t id_ = 0;
  std::uint32_t key_ = 0;
  int tree_ = no_tree;  // the tree it belongs to, also while picked out of it
  std::int64_t npos_ = 0;
  std::int64_t lpos_ = 0;
  std::int64_t rweight_ = 0;
  fwrr_server* next_full_ = nullptr;  // chains the full servers skipped by one pick
};

struct by_key {
  bool operator()(const fwrr_server& a, const fwrr_server& b) const { return a.key_ < b.key_; }
};

// Equal keys keep insertion order (insert goes after its equals), as in HAProxy's ebtrees.
using fwrr_tree = bi::multiset<fwrr_server, bi::compare<by_key>>;

class roundrobin final : public algorithm {
 public:
  explicit roundrobin(group g) : group_(std::move(g)), nodes_(group_.servers_.size()) {
    for (std::uint32_t id = 0; id < nodes_.size(); ++id) {
      nodes_[id].id_ = id;
    }
    for (std::uint32_t id : group_.members_) {
      if (state(id).eligible()) {
        next_weight_ += eweight(state(id).weight_);
      }
    }
    curr_pos_ = curr_weight_ = next_weight_;
    for (std::uint32_t id : group_.members_) {
      if (state(id).eligible()) {
        queue_by_weight(init_, nodes_[id]);
      }
    }
  }

  ~roundrobin() override {
    for (fwrr_tree& t : trees_) {
      t.clear();
    }
  }

  void server_up(std::uint32_t id) override {
    fwrr_server& s = nodes_[id];
    const std::int64_t ew = eweight(state(id).weight_);
    next_weight_ += ew;
    get_srv(s);
    s.npos_ = curr_pos_ + (next_weight_ + curr_weight_ - curr_pos_) / ew;
    queue(s);
  }

  void server_down(std::uint32_t id, std::uint32_t old_weight) override {
    fwrr_server& s = nodes_[id];
    next_weight_ -= eweight(old_weight);
    dequeue(s);
    s.tree_ = no_tree;
  }

  void weight_changed(std::uint32_t id, std::uint32_t old_weight) override {
    fwrr_server& s = nodes_[id];
    const std::int64_t ew = eweight(state(id).weight_);
    next_weight_ = next_weight_ - eweight(old_weight) + ew;
    if (s.tree_ == init_) {
      dequeue(s);
      queue_by_weight(init_, s);
    } else if (s.tree_ == no_tree) {
      get_srv(s);
      s.npos_ = curr_pos_ + (next_weight_ + curr_weight_ - curr_pos_) / ew;
      queue(s);
    } else {
      // Still in this window or the next: keep the places it has not used yet, re-spaced by
      // the new step, but never earlier than two picks from now.
      get_srv(s);
      const std::int64_t previous_next = s.npos_;
      const std::int64_t step = next_weight_ / ew;
      s.npos_ = std::min(s.lpos_ + step, previous_next);
      s.rweight_ = 0;
      if (s.npos_ < curr_pos_ + 2) {
        s.npos_ = curr_pos_ + step;
      }
      dequeue(s);
      queue(s);
    }
  }

  std::optional<std::uint32_t> pick(const request_keys&) override {
    bool switched = false;
    fwrr_server* chosen = nullptr;
    fwrr_server* full = nullptr;
    for (;;) {
      // An empty window first collects weights that may have changed.
      if (curr_weight_ == 0) {
        curr_pos_ = curr_weight_ = next_weight_;
      }
      fwrr_server* s = from_group();
      if (s == nullptr && !switched) {
        switched = true;
        switch_trees();
        s = from_group();
      }
      if (s == nullptr) {
        break;
      }
      update_position(*s);
      dequeue(*s);
      ++curr_pos_;
      if (!state(s->id_).full()) {
        chosen = s;
        break;
      }
      // Full: it loses this turn, and goes back once a server is chosen.
      s->next_full_ = full;
      full = s;
    }
    if (chosen != nullptr) {
      queue(*chosen);
    }
    for (fwrr_server* f = full; f != nullptr; f = f->next_full_) {
      // After a switch their places belong to a window that is gone; only weight counts.
      if (switched) {
        queue_by_weight(init_, *f);
      } else {
        queue(*f);
      }
    }
    if (chosen == nullptr) {
      return std::nullopt;
    }
    return chosen->id_;
  }

 private:
  const server_state& state(std::uint32_t id) const { return group_.servers_[id]; }
  static std::int64_t eweight(std::uint32_t user_weight) {
    return static_cast<std::int64_t>(user_weight) * weight_scale;
  }

  // Heaviest first, so that they spread best over the window.
  void queue_by_weight(int which, fwrr_server& s) {
    s.key_ = static_cast<std::uint32_t>(max_eweight - eweight(state(s.id_).weight_));
    trees_[which].insert(s);
    s.tree_ = which;
  }

  void dequeue(fwrr_server& s) {
    if (s.is_linked()) {
      trees_[s.tree_].erase(trees_[s.tree_].iterator_to(s));
    }
  }

  // Into the current window at npos, or into the next one when npos lies beyond it.
  void queue(fwrr_server& s) {
    const server_state& st = state(s.id_);
    if (!st.eligible()) {
      s.tree_ = no_tree;
      return;
    }
    const std::int64_t ew = eweight(st.weight_);
    if (s.npos_ >= 2 * curr_weight_ || s.npos_ >= curr_weight_ + next_weight_) {
      s.npos_ -= curr_weight_;
      queue_by_weight(next_, s);
      return;
    }
    // HAProxy's 32-bit key: position first, then the lighter remainder.
    s.key_ = static_cast<std::uint32_t>(max_user_weight * s.npos_ +
                                        (max_eweight + s.rweight_ - ew) / weight_scale);
    trees_[current_tree].insert(s);
    s.tree_ = current_tree;
  }

  // Makes npos relative to the current window before a server leaves its tree.
  void get_srv(fwrr_server& s) {
    if (s.tree_ == init_) {
      s.npos_ = 0;
      s.rweight_ = 0;
    } else if (s.tree_ == next_) {
      s.npos_ += curr_weight_;
    } else if (s.tree_ == no_tree) {
      s.npos_ = curr_pos_;
    }
  }

  void switch_trees() {
    std::swap(init_, next_);
    curr_weight_ = next_weight_;
    curr_pos_ = curr_weight_;
  }

  // The current tree's first server when its turn has come, else the first of "init" (a
  // newcomer to this window), else whatever the current tree has.
  fwrr_server* from_group() {
    fwrr_server* first_current = nullptr;
    if (!trees_[current_tree].empty()) {
      first_current = &*trees_[current_tree].begin();
      if (state(first_current->id_).weight_ > 0 && first_current->npos_ <= curr_pos_) {
        return first_current;
      }
    }
    if (!trees_[init_].empty()) {
      fwrr_server* s = &*trees_[init_].begin();
      if (state(s->id_).weight_ > 0) {
        s->npos_ = 0;
        s->rweight_ = 0;
        return s;
      }
    }
    return first_current;
  }

  void update_position(fwrr_server& s) {
    const std::int64_t ew = eweight(state(s.id_).weight_);
    if (ew == 0) {
      return;
    }
    if (s.npos_ == 0) {
      s.npos_ = curr_pos_;  // its first turn ever
    }
    s.lpos_ = s.npos_;
    s.npos_ += next_weight_ / ew;
    s.rweight_ += next_weight_ % ew;
    if (s.rweight_ >= ew) {
      s.rweight_ -= ew;
      ++s.npos_;
    }
  }

  group group_;
  std::vector<fwrr_server> nodes_;  // by id; never resized while linked
  std::array<fwrr_tree, 3> trees_;  // current, and two that swap the roles of init and next
  int init_ = 1;
  int next_ = 2;
  std::int64_t curr_pos_ = 0;
  std::int64_t curr_weight_ = 0;
  std::int64_t next_weight_ = 0;
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string>, options&,
           std::string& error) {
  return no_parentheses("roundrobin", paren, error);
}

std::unique_ptr<algorithm> make(const options&, group g, const random_source&) {
  return std::make_unique<roundrobin>(std::move(g));
}

}  // namespace

const algorithm_entry roundrobin_entry{"roundrobin", parse, always_dynamic, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
