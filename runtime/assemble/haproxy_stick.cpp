// Stick tables and their rules, from the model to the runtime (see haproxy_stick.hpp).
#include "runtime/assemble/haproxy_stick.hpp"

#include <charconv>

namespace tandem::runtime::assemble {

namespace model = parsers::haproxy;
using namespace proxy;

namespace {

void error(haproxy_result& r, const parsers::source_position& at, std::string message) {
  r.problems_.push_back({at, std::move(message), true});
}
void warning(haproxy_result& r, const parsers::source_position& at, std::string message) {
  r.problems_.push_back({at, std::move(message), false});
}

void add_table(std::string name, std::span<const std::string> words,
               const parsers::source_position& at, proxy_set& set, haproxy_result& result) {
  stick::table_settings settings;
  std::string problem;
  if (!stick::parse_settings(words, settings, problem)) {
    error(result, at, "stick-table of '" + name + "': " + problem);
    return;
  }
  if (!settings.peers_.empty()) {
    warning(result, at, "stick-table '" + name + "': tables are not shared with peers by Tandem "
                        "(peers '" + settings.peers_ + "'): each process keeps its own");
  }
  if (set.find_table(name) != nullptr) return;  // reported by the front-end
  set.tables_.push_back(std::make_unique<stick::table>(std::move(name), std::move(settings)));
}

// "sc-inc-gpc0(2)" → 2; the counter of an sc-* action.
std::optional<unsigned> counter_in(std::string_view word) {
  const std::size_t open = word.find('(');
  if (open == std::string_view::npos) return 0u;
  if (word.back() != ')') return std::nullopt;
  const std::string_view digits = word.substr(open + 1, word.size() - open - 2);
  unsigned n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

}  // namespace

void assemble_stick_tables(const model::config_model& m, proxy_set& set, haproxy_result& result) {
  for (const model::proxy& p : m.proxies_) {
    if (p.disabled_) continue;
    for (const model::words_at& w : p.other_) {
      if (w.words_.empty() || w.words_[0] != "stick-table") continue;
      add_table(p.name_, std::span(w.words_).subspan(1), w.position_, set, result);
    }
  }
  for (const model::other_section& s : m.others_) {
    if (s.keyword_ != "peers") continue;
    for (const model::words_at& w : s.lines_) {
      if (w.words_.empty()) continue;
      if (w.words_[0] == "table" && w.words_.size() >= 2) {
        add_table(s.name_ + "/" + w.words_[1], std::span(w.words_).subspan(2), w.position_, set,
                  result);
      }
    }
    warning(result, s.position_, "peers '" + s.name_ + "': tables are not shared with peers by "
                                 "Tandem; each process keeps its own");
  }
}

namespace {

// The words of an appsession line (after the keyword), or nullptr.
const model::words_at* appsession_of(const model::proxy& p) {
  for (const model::words_at& w : p.other_) {
    if (!w.words_.empty() && w.words_[0] == "appsession") return &w;
  }
  return nullptr;
}

}  // namespace

void assemble_appsession(const model::proxy& p, proxy_set& set, backend& be,
                         haproxy_result& result) {
  const model::words_at* line = appsession_of(p);
  if (line == nullptr) return;
  const std::vector<std::string>& w = line->words_;
  if (w.size() < 2) {
    error(result, line->position_, "'appsession' expects a cookie name");
    return;
  }
  const std::string& cookie = w[1];
  std::string length = "52";
  std::string timeout = "3h";
  bool request_learn = false;
  std::string url_mode;
  for (std::size_t i = 2; i < w.size(); ++i) {
    if (w[i] == "len" && i + 1 < w.size()) length = w[++i];
    else if (w[i] == "timeout" && i + 1 < w.size()) timeout = w[++i];
    else if (w[i] == "request-learn") request_learn = true;
    else if (w[i] == "prefix") {
      // 1.x matched the part before the first '~' of a prefixed cookie: kept whole here.
    } else if (w[i] == "mode" && i + 1 < w.size()) url_mode = w[++i];
    else {
      error(result, line->position_, "appsession: unexpected '" + w[i] + "'");
      return;
    }
  }
  if (be.table_ == nullptr && set.find_table(be.name_) == nullptr) {
    const std::vector<std::string> words = {"type", "string", "len", length, "size", "1m",
                                            "expire", timeout};
    add_table(be.name_, words, line->position_, set, result);
  }
  stick::table* table = set.find_table(be.name_);
  if (table == nullptr) return;  // its settings were reported
  table->store(stick::data_type::server_id);
  table->store(stick::data_type::server_key);
  auto add = [&](stick_kind kind, const std::string& key) {
    stick_rule rule;
    rule.kind_ = kind;
    std::string problem;
    rule.key_ = acl::compile_sample(key, problem);
    if (!rule.key_) {
      error(result, line->position_, "appsession: " + problem);
      return;
    }
    rule.table_ = table;
    be.stick_rules_.push_back(std::move(rule));
  };
  add(stick_kind::match, "req.cook(" + cookie + ")");
  if (url_mode == "path-parameters") add(stick_kind::match, "urlp(" + cookie + ",;)");
  else if (url_mode == "query-string") add(stick_kind::match, "urlp(" + cookie + ")");
  if (request_learn) add(stick_kind::store_request, "req.cook(" + cookie + ")");
  add(stick_kind::store_response, "res.cook(" + cookie + ")");
}

void link_stick_tables(proxy_set& set) {
  for (const auto& be : set.backends_) be->table_ = set.find_table(be->name_);
  for (const auto& fe : set.frontends_) fe->table_ = set.find_table(fe->name_);
}

bool is_track_action(std::string_view word) {
  return word.starts_with("track-sc") || word.starts_with("sc-inc-gpc0") ||
         word.starts_with("sc-inc-gpc1") || word.starts_with("sc-set-gpt0");
}

bool track_action_of(std::span<const std::string> words, std::string_view proxy_name,
                     const proxy_set& set, const acl::userlist_set* users, track_action& out,
                     std::string& error) {
  if (words.empty()) {
    error = "missing action";
    return false;
  }
  const std::string& a = words[0];
  if (a.starts_with("track-sc")) {
    const std::string_view n = std::string_view(a).substr(8);
    if (n.size() != 1 || n[0] < '0' || n[0] > '2') {
      error = "'" + a + "': Tandem tracks sc0, sc1 and sc2 (HAProxy's default "
              "tune.stick-counters)";
      return false;
    }
    out.action_ = http_action::track_sc;
    out.counter_ = static_cast<unsigned>(n[0] - '0');
    if (words.size() < 2) {
      error = "'" + a + "' expects a sample expression";
      return false;
    }
    std::string key;
    std::string table_name(proxy_name);
    for (std::size_t i = 1; i < words.size(); ++i) {
      if (words[i] == "table" && i + 1 < words.size()) {
        table_name = words[++i];
      } else {
        if (!key.empty()) key += ' ';
        key += words[i];
      }
    }
    out.key_ = acl::compile_sample(key, error, users);
    if (!out.key_) {
      error = "'" + a + " " + key + "': " + error;
      return false;
    }
    out.table_ = set.find_table(table_name);
    if (out.table_ == nullptr) {
      error = "'" + a + "': unable to find table '" + table_name + "'";
      return false;
    }
    return true;
  }
  const std::optional<unsigned> counter = counter_in(a);
  if (!counter || *counter > 2) {
    error = "'" + a + "': Tandem has the counters 0, 1 and 2";
    return false;
  }
  out.counter_ = *counter;
  if (a.starts_with("sc-inc-gpc0")) {
    out.action_ = http_action::sc_inc_gpc0;
  } else if (a.starts_with("sc-inc-gpc1")) {
    out.action_ = http_action::sc_inc_gpc1;
  } else if (a.starts_with("sc-set-gpt0")) {
    out.action_ = http_action::sc_set_gpt0;
    std::int64_t v = 0;
    const std::string value = words.size() > 1 ? words[1] : std::string();
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      error = "'" + a + "' expects an integer (Tandem does not take an expression here)";
      return false;
    }
    out.value_ = v;
  } else {
    error = "'" + a + "' is not supported by Tandem's proxy yet";
    return false;
  }
  return true;
}

void assemble_stick_rule(const model::rule& r, const acl::acl_set& acls, proxy_set& set,
                         backend& be, haproxy_result& result) {
  std::vector<std::string> words, condition;
  for (std::size_t i = 0; i < r.words_.size(); ++i) {
    if (r.words_[i] == "if" || r.words_[i] == "unless") {
      condition.assign(r.words_.begin() + static_cast<long>(i), r.words_.end());
      break;
    }
    words.push_back(r.words_[i]);
  }
  if (words.size() < 2) {
    error(result, r.position_, "'stick' expects 'on', 'match', 'store-request' or "
                               "'store-response' and a pattern");
    return;
  }
  stick_rule rule;
  const std::string& kind = words[0];
  if (kind == "on") rule.kind_ = stick_kind::on;
  else if (kind == "match") rule.kind_ = stick_kind::match;
  else if (kind == "store-request") rule.kind_ = stick_kind::store_request;
  else if (kind == "store-response") rule.kind_ = stick_kind::store_response;
  else {
    error(result, r.position_, "'stick " + kind + "' is not a stick rule");
    return;
  }
  if (rule.kind_ == stick_kind::store_response && be.mode_ == mode::tcp) {
    error(result, r.position_, "'stick store-response' in mode tcp is not supported by Tandem's "
                               "proxy yet (it does not inspect the server's first bytes)");
    return;
  }
  std::string key;
  std::string table_name = be.name_;
  for (std::size_t i = 1; i < words.size(); ++i) {
    if (words[i] == "table" && i + 1 < words.size()) {
      table_name = words[++i];
    } else {
      if (!key.empty()) key += ' ';
      key += words[i];
    }
  }
  std::string problem;
  rule.key_ = acl::compile_sample(key, problem);
  if (!rule.key_) {
    error(result, r.position_, "'stick " + kind + " " + key + "': " + problem);
    return;
  }
  rule.table_ = set.find_table(table_name);
  if (rule.table_ == nullptr) {
    error(result, r.position_, "'stick " + kind + "': unable to find table '" + table_name + "'");
    return;
  }
  // HAProxy makes a table that stick rules use keep the server's id and name.
  rule.table_->store(stick::data_type::server_id);
  rule.table_->store(stick::data_type::server_key);
  if (!condition.empty()) {
    rule.condition_ = acl::compile_condition(condition, acls, problem);
    if (!rule.condition_) {
      error(result, r.position_, problem);
      return;
    }
  }
  be.stick_rules_.push_back(std::move(rule));
}

}  // namespace tandem::runtime::assemble
