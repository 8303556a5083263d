// Stick tables as the sessions use them (see stick_session.hpp).
#include "runtime/proxy/stick_session.hpp"

namespace tandem::runtime::proxy {

namespace {

constexpr std::size_t max_stores = 8;  // HAProxy's s->store[] size

std::optional<std::string> key_of(stick::table& t, const acl::sample_expression& key,
                                  const acl::sample_source& source) {
  const std::optional<std::string> text = key.evaluate(source);
  if (!text) return std::nullopt;
  return t.key_of(*text);
}

void add_store(stick::table* t, std::string key, pending_stores& stores) {
  for (const auto& [table, k] : stores.keys_) {
    if (table == t) return;  // only the first store rule of each table applies
  }
  if (stores.keys_.size() < max_stores) stores.keys_.emplace_back(t, std::move(key));
}

bool applies(const stick_rule& r, const acl::sample_source& source) {
  return r.condition_ == nullptr || r.condition_->evaluate(source);
}

}  // namespace

void run_track(const track_action& a, const acl::sample_source& source, bool session_level,
               bool request) {
  stick::trackers* trackers = source.session_trackers();
  if (trackers == nullptr || a.table_ == nullptr || a.key_ == nullptr) return;
  if (trackers->at(a.counter_)) return;  // only the first tracking of a counter applies
  const std::optional<std::string> key = key_of(*a.table_, *a.key_, source);
  if (!key) return;
  stick::entry_ref e = a.table_->get(*key);
  if (!e) return;  // full table, nothing to purge
  trackers->track(a.counter_, *a.table_, std::move(e), session_level, request);
}

void run_counter_action(http_action action, const track_action& a,
                        const acl::sample_source& source) {
  const stick::tracked* t = source.tracked_counter(a.counter_);
  if (t == nullptr || !*t) return;
  switch (action) {
    case http_action::sc_inc_gpc0:
      stick::inc_gpc(*t->table_, *t->entry_, 0);
      break;
    case http_action::sc_inc_gpc1:
      stick::inc_gpc(*t->table_, *t->entry_, 1);
      break;
    case http_action::sc_set_gpt0:
      if (t->table_->set(*t->entry_, stick::data_type::gpt0,
                         static_cast<std::uint64_t>(a.value_) & 0xffffffffu)) {
        t->table_->touch(*t->entry_);
      }
      break;
    default:
      break;
  }
}

void run_tcp_track(const track_action& a, const acl::sample_source& source, bool session_level,
                   bool request) {
  if (a.action_ == http_action::track_sc) {
    run_track(a, source, session_level, request);
  } else {
    run_counter_action(a.action_, a, source);
  }
}

server* stick_request(const backend& be, const acl::sample_source& source,
                      pending_stores& stores) {
  stores.keys_.clear();
  server* chosen = nullptr;
  for (const stick_rule& r : be.stick_rules_) {
    if (r.kind_ == stick_kind::store_response) continue;
    const bool stores_key = r.kind_ == stick_kind::on || r.kind_ == stick_kind::store_request;
    if (stores_key) {
      bool stored = false;
      for (const auto& [t, k] : stores.keys_) stored = stored || t == r.table_;
      if (stored) continue;
    }
    if (!applies(r, source)) continue;
    const std::optional<std::string> key = key_of(*r.table_, *r.key_, source);
    if (!key) continue;
    if (r.kind_ == stick_kind::match || r.kind_ == stick_kind::on) {
      if (stick::entry_ref e = r.table_->lookup(*key)) {
        if (chosen == nullptr) {
          if (const std::optional<std::uint32_t> id = r.table_->server_of(*e)) {
            for (const auto& s : be.servers_) {
              // HAProxy sticks to any server not DOWN (a draining one too).
              if (s->puid_ == *id && s->up_.load(std::memory_order_relaxed) &&
                  !s->maintenance_.load(std::memory_order_relaxed)) {
                chosen = s.get();
              }
            }
          }
        }
        r.table_->touch(*e);
      }
    }
    if (stores_key) add_store(r.table_, *key, stores);
  }
  return chosen;
}

void stick_response(const backend& be, const acl::sample_source& source, pending_stores& stores,
                    const server* chosen) {
  for (const stick_rule& r : be.stick_rules_) {
    if (r.kind_ != stick_kind::store_response) continue;
    bool stored = false;
    for (const auto& [t, k] : stores.keys_) stored = stored || t == r.table_;
    if (stored || !applies(r, source)) continue;
    if (const std::optional<std::string> key = key_of(*r.table_, *r.key_, source)) {
      add_store(r.table_, *key, stores);
    }
  }
  if (chosen != nullptr) {
    for (const auto& [t, k] : stores.keys_) {
      if (stick::entry_ref e = t->get(k)) {
        t->set_server(*e, chosen->puid_, chosen->name_);
        t->touch(*e);
      }
    }
  }
  stores.keys_.clear();
}

}  // namespace tandem::runtime::proxy
