// balance leastconn: HAProxy's fast weighted least connections (lb_fwlc.c). Servers sit in a
// tree keyed by (connections + 1) / weight, idle ones at 0; a server whose count changes is
// re-inserted after its equals, which makes ties go round robin.
#include <boost/intrusive/set.hpp>

#include "runtime/proxy/balance/algorithm.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

namespace bi = boost::intrusive;

struct lc_server : bi::set_base_hook<> {
  std::uint32_t id_ = 0;
  std::uint32_t key_ = 0;
};

struct by_key {
  bool operator()(const lc_server& a, const lc_server& b) const { return a.key_ < b.key_; }
};

using lc_tree = bi::multiset<lc_server, bi::compare<by_key>>;

class leastconn final : public algorithm {
 public:
  explicit leastconn(group g) : group_(std::move(g)), nodes_(group_.servers_.size()) {
    for (std::uint32_t id = 0; id < nodes_.size(); ++id) {
      nodes_[id].id_ = id;
    }
    for (std::uint32_t id : group_.members_) {
      if (group_.servers_[id].eligible()) {
        queue(nodes_[id]);
      }
    }
  }

  ~leastconn() override { tree_.clear(); }

  void server_up(std::uint32_t id) override { queue(nodes_[id]); }
  void server_down(std::uint32_t id, std::uint32_t) override { dequeue(nodes_[id]); }
  void weight_changed(std::uint32_t id, std::uint32_t) override { requeue(nodes_[id]); }
  void connections_changed(std::uint32_t id) override {
    if (nodes_[id].is_linked()) {
      requeue(nodes_[id]);
    }
  }

  std::optional<std::uint32_t> pick(const request_keys&) override {
    for (const lc_server& s : tree_) {
      if (!group_.servers_[s.id_].full()) {
        return s.id_;
      }
    }
    return std::nullopt;
  }

 private:
  // (n + 1) x 4096 / effective weight: the +1 orders busy servers by weight as if they had
  // just been picked; idle servers all come first, whatever their weight.
  void queue(lc_server& s) {
    const server_state& st = group_.servers_[s.id_];
    const std::uint32_t in_flight = st.connections_;
    const std::uint32_t eweight = st.weight_ * weight_scale;
    s.key_ = in_flight == 0 ? 0 : (in_flight + 1) * max_user_weight * weight_scale / eweight;
    tree_.insert(s);
  }
  void dequeue(lc_server& s) {
    if (s.is_linked()) {
      tree_.erase(tree_.iterator_to(s));
    }
  }
  void requeue(lc_server& s) {
    dequeue(s);
    queue(s);
  }

  group group_;
  std::vector<lc_server> nodes_;  // by id; never resized while linked
  lc_tree tree_;
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string>, options&,
           std::string& error) {
  return no_parentheses("leastconn", paren, error);
}

std::unique_ptr<algorithm> make(const options&, group g, const random_source&) {
  return std::make_unique<leastconn>(std::move(g));
}

}  // namespace

const algorithm_entry leastconn_entry{"leastconn", parse, always_dynamic, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
