// balance first: the server with the lowest numeric id (puid) that has a free connection slot
// (HAProxy's lb_fas.c); weights only matter as 0 (out) or not.
#include <boost/intrusive/set.hpp>

#include "runtime/proxy/balance/algorithm.hpp"

namespace tandem::runtime::proxy::balance::detail {

namespace {

namespace bi = boost::intrusive;

struct first_server : bi::set_base_hook<> {
  std::uint32_t id_ = 0;
  std::uint32_t puid_ = 0;
};

struct by_puid {
  bool operator()(const first_server& a, const first_server& b) const { return a.puid_ < b.puid_; }
};

using first_tree = bi::multiset<first_server, bi::compare<by_puid>>;

class first final : public algorithm {
 public:
  explicit first(group g) : group_(std::move(g)), nodes_(group_.servers_.size()) {
    for (std::uint32_t id = 0; id < nodes_.size(); ++id) {
      nodes_[id].id_ = id;
      nodes_[id].puid_ = group_.servers_[id].puid_;
    }
    for (std::uint32_t id : group_.members_) {
      if (group_.servers_[id].eligible()) {
        tree_.insert(nodes_[id]);
      }
    }
  }

  ~first() override { tree_.clear(); }

  void server_up(std::uint32_t id) override { tree_.insert(nodes_[id]); }
  void server_down(std::uint32_t id, std::uint32_t) override {
    tree_.erase(tree_.iterator_to(nodes_[id]));
  }
  void weight_changed(std::uint32_t, std::uint32_t) override {}

  std::optional<std::uint32_t> pick(const request_keys&) override {
    for (const first_server& s : tree_) {
      if (!group_.servers_[s.id_].full()) {
        return s.id_;
      }
    }
    return std::nullopt;
  }

 private:
  group group_;
  std::vector<first_server> nodes_;  // by id; never resized while linked
  first_tree tree_;
};

bool parse(std::optional<std::string_view> paren, std::span<const std::string>, options&,
           std::string& error) {
  return no_parentheses("first", paren, error);
}

std::unique_ptr<algorithm> make(const options&, group g, const random_source&) {
  return std::make_unique<first>(std::move(g));
}

}  // namespace

const algorithm_entry first_entry{"first", parse, always_dynamic, false, make};

}  // namespace tandem::runtime::proxy::balance::detail
