// The keepalived analyser (see analyse.hpp): recovery on the syntax tree, then one walk that
// lowers each statement through the keyword table, then keepalived's checks on the model.
#include "parsers/keepalived/analyse.hpp"

#include <net/if.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "parsers/common/utf8.hpp"
#include "parsers/keepalived/codes.hpp"
#include "parsers/keepalived/keywords.hpp"

namespace tandem::parsers::keepalived {

namespace {

using c = context;

std::string words_text(const node& n) {
  std::string s;
  for (const word& w : n.words_) {
    if (!s.empty()) s += ' ';
    s += w.raw_;
  }
  return s;
}

class analyser {
 public:
  analyser(source_registry& sources, const analyse_options& options, diagnostics& diags,
           analysis& out)
      : sources_(sources), options_(options), diags_(diags), out_(out), b_{out.model_} {}

  void run(diagnostics& reader_diags) {
    walk(out_.tree_.items_, c::top);
    for (const diagnostic& d : reader_diags) {
      const bool suppressed =
          std::any_of(suppressed_.begin(), suppressed_.end(), [&](const auto& s) {
            return s.first == d.code_ && s.second == d.position_;
          });
      if (!suppressed) kept_.add(d);
    }
    check();
    // Reader diagnostics first, then the rest, each group in source order as found.
    for (diagnostic d : kept_) {
      diags_.add(std::move(d));
    }
    for (diagnostic d : mine_) {
      sources_.attach_include_chain(d);
      diags_.add(std::move(d));
    }
  }

 private:
  source_registry& sources_;
  const analyse_options& options_;
  diagnostics& diags_;
  analysis& out_;
  builder b_;
  diagnostics mine_, kept_;
  std::vector<std::pair<std::string, source_position>> suppressed_;
  std::vector<source_position> script_uses_;
  std::unordered_map<std::string, bool> interfaces_;  // interface_exists()'s answers
  // The keyword entry of each item of the blocks being walked, outermost first (one stack,
  // not a vector per block): the recovery pass looks every statement up, and the walk reuses it.
  std::vector<const keyword*> found_;

  // ---- recovery ----------------------------------------------------------------------------

  bool valid_in(const node& n, context where) const {
    return is_list_context(where) || find_keyword(n.keyword(), where) != nullptr;
  }

  // 003's `vrrp_instance dc1server` without '{': the statements after it up to a '}' that
  // closes nothing all belong in that block, so that is what the author meant.
  // Also leaves each item's keyword entry in found_ (nullptr when none), for the walk.
  void recover_missing_open_brace(node_list& items, context where) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      node& n = items[i];
      const bool statement = n.kind_ == node_kind::statement && !n.words_.empty();
      const keyword* k = statement ? find_keyword(n.keyword(), where) : nullptr;
      found_.push_back(k);
      if (n.has_block_) continue;
      if (!k || k->opens_ == c::none || k->block_optional_) continue;
      std::size_t j = i + 1;
      std::size_t statements = 0;
      for (; j < items.size(); ++j) {
        const node& m = items[j];
        if (m.kind_ == node_kind::stray_brace) break;
        if (m.kind_ != node_kind::statement) continue;
        if (m.words_.empty() || !valid_in(m, k->opens_)) break;
        ++statements;
      }
      if (j == items.size() || items[j].kind_ != node_kind::stray_brace || statements == 0) {
        continue;
      }
      const word& last = n.words_.back();
      source_position after = last.position_;
      after.column_ += static_cast<std::uint32_t>(count_code_points(last.raw_)) - 1;
      const source_position brace = items[j].position_;
      suppressed_.emplace_back(std::string(codes::stray_close_brace), brace);
      n.has_block_ = true;
      n.open_brace_ = after;
      n.close_brace_ = brace;
      for (std::size_t m = i + 1; m < j; ++m) n.children_.push_back(std::move(items[m]));
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                  items.begin() + static_cast<std::ptrdiff_t>(j) + 1);
      out_.open_braces_.push_back({after, " {"});
      source_position at = after;
      at.column_ += 1;
      mine_.add(severity::warning, codes::missing_open_brace, at,
                "'{' missing after '" + words_text(n) + "': keepalived reads the next " +
                    std::to_string(statements) + " statements as unknown top-level keywords and "
                    "the '}' on line " + std::to_string(brace.line_) +
                    " as extra; Tandem reads them as this block, as the indentation and that '}' "
                    "show was meant",
                "write '" + words_text(n) + " {'");
    }
  }

  // A top-level block inside a block that is never closed: the '}' was forgotten before it.
  void recover_missing_close_brace(node_list& items) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      node& n = items[i];
      if (n.kind_ != node_kind::statement || !n.has_block_ || n.close_brace_) continue;
      const keyword* k = find_keyword(n.keyword(), c::top);
      if (!k || k->opens_ == c::none) continue;
      auto& kids = n.children_;
      std::size_t at = kids.size();
      for (std::size_t m = 0; m < kids.size(); ++m) {
        const node& child = kids[m];
        if (child.kind_ != node_kind::statement || child.words_.empty()) continue;
        const keyword* top = find_keyword(child.keyword(), c::top);
        if (top && top->opens_ != c::none && !valid_in(child, k->opens_)) {
          at = m;
          break;
        }
      }
      if (at == kids.size()) continue;
      // Comments just before the hoisted statement stay with it.
      std::size_t from = at;
      while (from > 0 && kids[from - 1].kind_ == node_kind::comment) --from;
      const source_position before = kids[at].position_;
      suppressed_.emplace_back(std::string(codes::unclosed_block), n.open_brace_);
      std::vector<node> moved(std::make_move_iterator(kids.begin() + static_cast<std::ptrdiff_t>(from)),
                              std::make_move_iterator(kids.end()));
      kids.erase(kids.begin() + static_cast<std::ptrdiff_t>(from), kids.end());
      n.close_brace_ = before;
      // Everything read from n before the insert below moves the nodes of `items`.
      const std::string owner = words_text(n);
      const std::uint32_t opened = n.open_brace_.line_;
      const std::string hoisted(moved[at - from].keyword());
      out_.close_braces_before_.push_back(moved.front().position_);
      items.insert(items.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                   std::make_move_iterator(moved.begin()), std::make_move_iterator(moved.end()));
      mine_.add(severity::warning, codes::missing_close_brace, before,
                "'" + hoisted + "' cannot stand inside '" + owner +
                    "', whose block opened on line " + std::to_string(opened) +
                    " is never closed: its '}' is missing before this line",
                "add '}' before line " + std::to_string(before.line_) + " to close '" + owner +
                    "'");
    }
  }

  // A '}' forgotten inside a block: the next '}' closes the inner block instead, so a block
  // that cannot stand where it was read (a second real_server inside the first; track_script
  // inside virtual_ipaddress) but can one level up ends up there, and the top-level block
  // never closes. Only blocks are moved (a block cannot be a list entry or a misplaced value),
  // and only inside a top-level block that is never closed, so the braces balance after.
  void recover_nested_close_brace(node_list& items) {
    for (node& u : items) {
      if (u.kind_ != node_kind::statement || !u.has_block_ || u.close_brace_) continue;
      const keyword* k = find_keyword(u.keyword(), c::top);
      if (!k || k->opens_ == c::none) continue;
      while (!u.close_brace_) {
        std::vector<node*> chain{&u};
        std::vector<context> contexts{k->opens_};
        if (!recover_one_nested(chain, contexts)) break;
      }
    }
  }

  // Depth first below chain.back(), in source order; true when one '}' was recovered.
  bool recover_one_nested(std::vector<node*>& chain, std::vector<context>& contexts) {
    node& p = *chain.back();
    const context outer = contexts.back();
    if (is_list_context(outer)) return false;
    for (std::size_t i = 0; i < p.children_.size(); ++i) {
      node& n = p.children_[i];
      if (n.kind_ != node_kind::statement || !n.has_block_ || n.words_.empty()) continue;
      const keyword* nk = find_keyword(n.keyword(), outer);
      if (!nk || nk->opens_ == c::none) continue;
      const context inner = nk->opens_;
      for (std::size_t j = 0; j < n.children_.size(); ++j) {
        const node& m = n.children_[j];
        if (m.kind_ != node_kind::statement || !m.has_block_ || m.words_.empty()) continue;
        const keyword* here = is_list_context(inner) ? nullptr : find_keyword(m.keyword(), inner);
        if (here) continue;
        // The nearest enclosing block it fits in; more than one level up, one '}' per level
        // is missing, and the next rounds move it on.
        for (std::size_t level = contexts.size(); level-- > 0;) {
          const keyword* there = find_keyword(m.keyword(), contexts[level]);
          if (there && there->opens_ != c::none) {
            hoist_out_of(chain, i, j, words_text(*chain[level]));
            return true;
          }
        }
      }
      chain.push_back(&n);
      contexts.push_back(inner);
      if (recover_one_nested(chain, contexts)) return true;
      chain.pop_back();
      contexts.pop_back();
    }
    return false;
  }

  // Closes p.children_[i] before its child j and moves j and what follows (with the comments
  // just before it) up into p; each '}' after that then closes the block one level further out.
  void hoist_out_of(std::vector<node*>& chain, std::size_t i, std::size_t j,
                    const std::string& fits_in) {
    node& p = *chain.back();
    node& n = p.children_[i];
    auto& kids = n.children_;
    std::size_t from = j;
    while (from > 0 && kids[from - 1].kind_ == node_kind::comment) --from;
    const source_position before = kids[j].position_;
    const std::string owner = words_text(n);
    const std::string hoisted(kids[j].keyword());
    const std::uint32_t opened = n.open_brace_.line_;
    std::optional<source_position> carry = n.close_brace_;
    if (!carry) suppressed_.emplace_back(std::string(codes::unclosed_block), n.open_brace_);
    n.close_brace_ = before;
    std::vector<node> moved(std::make_move_iterator(kids.begin() + static_cast<std::ptrdiff_t>(from)),
                            std::make_move_iterator(kids.end()));
    kids.erase(kids.begin() + static_cast<std::ptrdiff_t>(from), kids.end());
    out_.close_braces_before_.push_back(moved.front().position_);
    p.children_.insert(p.children_.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                       std::make_move_iterator(moved.begin()), std::make_move_iterator(moved.end()));
    for (auto it = chain.rbegin(); it != chain.rend() && carry; ++it) {
      std::swap((*it)->close_brace_, carry);
      if (!carry) suppressed_.emplace_back(std::string(codes::unclosed_block), (*it)->open_brace_);
    }
    mine_.add(severity::warning, codes::missing_close_brace, before,
              "'" + hoisted + "' cannot stand inside '" + owner + "' (opened on line " +
                  std::to_string(opened) + ") but can in '" + fits_in +
                  "': the '}' of '" + owner + "' is missing before this line, so each later '}' "
                  "closes one block too early",
              "add '}' before line " + std::to_string(before.line_) + " to close '" + owner + "'");
  }

  // ---- the walk ----------------------------------------------------------------------------

  void walk(node_list& items, context where) {
    const std::size_t base = found_.size();
    if (!is_list_context(where)) recover_missing_open_brace(items, where);
    if (where == c::top) {
      const std::size_t before = items.size();
      recover_missing_close_brace(items);
      recover_nested_close_brace(items);
      if (items.size() != before) {
        // Statements were hoisted into this level: look its keywords up again.
        found_.resize(base);
        for (const node& n : items) {
          const bool statement = n.kind_ == node_kind::statement && !n.words_.empty();
          found_.push_back(statement ? find_keyword(n.keyword(), where) : nullptr);
        }
      }
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      node& n = items[i];
      if (n.kind_ != node_kind::statement) continue;
      if (n.words_.empty()) continue;  // a '{' alone: the reader reported it
      b_.current_ = where;
      if (is_list_context(where)) {
        list_entry_handler(where)(n, b_, mine_);
        if (n.has_block_) {
          mine_.add(severity::error, codes::unexpected_block, n.open_brace_,
                    "a " + std::string(context_name(where)) + " entry takes no block",
                    "remove the '{ … }'");
        }
        continue;
      }
      // found_ may have grown (and moved) in walks below: read it by index.
      statement(n, where, found_[base + i]);
    }
    found_.resize(base);
  }

  // `k`: find_keyword(n.keyword(), where), looked up by the recovery pass.
  void statement(node& n, context where, const keyword* k) {
    const std::string name(n.keyword());
    if (!k) {
      unknown(n, where);
      return;
    }
    const std::size_t args = n.words_.size() - 1;
    if (!k->current_name_.empty()) {
      const std::string cur(k->current_name_);
      switch (k->old_status_) {
        case old_name::rejected:
          mine_.add(severity::warning, codes::old_keyword, n.position_,
                    "'" + name + "' is the name keepalived used before " +
                        std::string(k->renamed_in_) + " for '" + cur +
                        "'; keepalived 2.2.7 rejects it (\"Unknown keyword\")",
                    "write '" + cur + "'");
          break;
        case old_name::deprecated:
          mine_.add(severity::warning, codes::old_keyword, n.position_,
                    "'" + name + "' is deprecated since keepalived " +
                        std::string(k->renamed_in_) + "; its name today is '" + cur + "'",
                    "write '" + cur + "'");
          break;
        case old_name::alias:
          mine_.add(severity::note, codes::alias_keyword, n.position_,
                    "'" + name + "' is the older spelling of '" + cur +
                        "' (keepalived 2.2.7 accepts both)",
                    "write '" + cur + "'");
          break;
      }
    }
    if (k->obsolete_) {
      mine_.add(severity::warning, codes::obsolete_keyword, n.position_,
                "'" + name + "' has had no effect since keepalived " + std::string(k->renamed_in_) +
                    " and keepalived 2.2.7 rejects it; it is ignored",
                "remove the line");
      return;
    }
    if (args < k->min_args_) {
      mine_.add(severity::error, codes::missing_argument, n.position_,
                "'" + name + "' is missing " +
                    (k->min_args_ == 1 ? std::string("its value")
                                       : std::to_string(k->min_args_ - args) + " value(s)"),
                "see keepalived.conf(5) for '" + name + "'");
      if (k->opens_ == c::none) return;
    }
    if (k->max_args_ != any_count && args > k->max_args_) {
      mine_.add(severity::warning, codes::extra_argument, n.words_[k->max_args_ + 1U].position_,
                "'" + name + "' takes " +
                    (k->max_args_ == 0 ? std::string("no value") : "at most " + std::to_string(k->max_args_) + " value(s)") +
                    "; keepalived ignores '" + std::string(n.words_[k->max_args_ + 1U].value_) + "' and what follows");
    }
    b_.current_ = where;
    k->handler_(n, b_, mine_);
    if (k->opens_ != c::none) {
      if (!n.has_block_) {
        if (!k->block_optional_) {
          mine_.add(severity::error, codes::missing_block, n.position_,
                    "'" + name + "' needs a block: '" + words_text(n) + " { … }'",
                    "add '{' at the end of the line and a '}' after its contents");
        }
        return;
      }
      walk(n.children_, k->opens_);
      return;
    }
    if (n.has_block_) {
      mine_.add(severity::error, codes::unexpected_block, n.open_brace_,
                "'" + name + "' takes no block; keepalived ignores this '{' and reads what follows at the same level",
                "remove the '{ … }'");
    }
  }

  void unknown(const node& n, context where) {
    const std::string name(n.keyword());
    std::optional<std::string> hint;
    if (const std::string_view s = suggest_keyword(name, where); !s.empty()) {
      hint = "did you mean '" + std::string(s) + "'?";
    } else if (const keyword* other = find_keyword_anywhere(name)) {
      for (unsigned x = 0; x < static_cast<unsigned>(c::count_); ++x) {
        if ((other->where_ & in(static_cast<context>(x))) != 0) {
          hint = "'" + name + "' belongs in " +
                 (static_cast<context>(x) == c::top
                      ? std::string("the top level")
                      : "a " + std::string(context_name(static_cast<context>(x))) + " block");
          break;
        }
      }
    }
    mine_.add(severity::error, codes::unknown_keyword, n.position_,
              "unknown keyword '" + name + "' in " +
                  (where == c::top ? std::string("the top level")
                                   : "a " + std::string(context_name(where)) + " block") +
                  " (keywords are case-sensitive)",
              hint);
  }

  // ---- checks ------------------------------------------------------------------------------

  void check() {
    config& m = out_.model_;
    // Which instances share a VRID on one interface.
    std::map<std::tuple<std::string, int, int>, const vrrp_instance*> vrids;
    std::set<std::string> scripts, files, processes, instances;
    for (const auto& s : m.vrrp_scripts_) scripts.insert(s.name_);
    for (const auto& f : m.track_files_) files.insert(f.name_);
    for (const auto& p : m.track_processes_) processes.insert(p.name_);
    for (const auto& i : m.vrrp_instances_) instances.insert(i.name_);

    for (const auto& s : m.vrrp_scripts_) {
      if (s.script_.empty()) {
        mine_.add(severity::error, codes::missing_argument, s.position_,
                  "vrrp_script '" + s.name_ + "' has no 'script': keepalived removes it",
                  "add a line 'script \"COMMAND\"' to the block");
      } else {
        script_uses_.push_back(s.position_);
      }
    }
    for (auto& i : m.vrrp_instances_) {
      if (!i.version_given_ && m.global_.vrrp_version_) i.version_ = *m.global_.vrrp_version_;
      if (!i.priority_given_ && i.state_ == vrrp_state::master) {
        i.priority_ = 255;  // keepalived: a MASTER without priority owns the addresses
      }
      if (i.state_ == vrrp_state::master && ah_clears_master(i)) {
        mine_.add(severity::warning, codes::ah_master, i.state_position_,
                  "state MASTER with AH authentication: keepalived starts vrrp_instance '" +
                      i.name_ + "' as BACKUP (it must hear an advert for the AH sequence number "
                      "before taking over)",
                  "write 'state BACKUP', or 'priority 255' if this machine owns the addresses");
        i.state_ = vrrp_state::backup;
      }
      if (!i.virtual_router_id_) {
        mine_.add(severity::error, codes::vrid_missing, i.position_,
                  "vrrp_instance '" + i.name_ + "' has no virtual_router_id: keepalived refuses it",
                  "add 'virtual_router_id N' (1-255), the same on every machine of this instance");
      } else if (*i.virtual_router_id_ > 0) {
        int family = 4;
        if (!i.virtual_ipaddresses_.empty()) family = i.virtual_ipaddresses_.front().family_;
        const auto key = std::make_tuple(i.interface_, *i.virtual_router_id_, family);
        if (const auto it = vrids.find(key); it != vrids.end()) {
          mine_.add(severity::error, codes::vrid_shared, i.vrid_position_,
                    "vrrp_instance '" + i.name_ + "' uses virtual_router_id " +
                        std::to_string(*i.virtual_router_id_) + " on " +
                        (i.interface_.empty() ? std::string("the default interface") : "interface " + i.interface_) +
                        ", as vrrp_instance '" + it->second->name_ + "' (line " +
                        std::to_string(it->second->vrid_position_.line_) + ") does",
                    "give each instance on one interface its own virtual_router_id");
        } else {
          vrids.emplace(key, &i);
        }
      }
      if (i.nopreempt_ && i.state_ == vrrp_state::master) {
        mine_.add(severity::warning, codes::nopreempt_master, i.nopreempt_position_,
                  "nopreempt does not work with state MASTER: keepalived clears it",
                  "use 'state BACKUP' on every machine with nopreempt");
        i.nopreempt_ = false;
      }
      if (i.virtual_ipaddresses_.empty()) {
        mine_.add(severity::warning, codes::no_vip, i.position_,
                  "vrrp_instance '" + i.name_ + "' has no virtual_ipaddress",
                  "keepalived runs it, but it moves no address");
      }
      check_tracks(i.track_scripts_, scripts, "vrrp_script", codes::undefined_script);
      check_tracks(i.track_files_, files, "vrrp_track_file", codes::undefined_track);
      check_tracks(i.track_processes_, processes, "vrrp_track_process", codes::undefined_track);
      for (const std::string* s : {&i.notify_master_, &i.notify_backup_, &i.notify_fault_, &i.notify_stop_, &i.notify_}) {
        if (!s->empty()) script_uses_.push_back(i.position_);
      }
      if (options_.interface_exists_) {
        if (!i.interface_.empty() && !interface_exists(i.interface_)) {
          no_interface(i.interface_, i.interface_position_, "vrrp_instance " + i.name_);
        }
        for (const tracked& t : i.track_interfaces_) {
          if (!interface_exists(t.name_)) no_interface(t.name_, t.position_, "track_interface");
        }
        for (const ip_address& a : i.virtual_ipaddresses_) {
          if (!a.device_.empty() && !interface_exists(a.device_)) {
            no_interface(a.device_, a.position_, "ip address " + a.address_);
          }
        }
      }
    }
    for (const auto& g : m.sync_groups_) {
      if (g.instances_.size() == 1) {
        mine_.add(severity::warning, codes::sync_group_single, g.position_,
                  "sync group '" + g.name_ + "' has only one vrrp_instance, so it synchronises "
                  "nothing (keepalived: \"this probably isn't what you want\")",
                  "list every instance that must change state together, or remove the group");
      }
      for (const located& name : g.instances_) {
        if (instances.count(name.value_) == 0) {
          mine_.add(severity::error, codes::undefined_instance, name.position_,
                    "sync group '" + g.name_ + "' names vrrp_instance '" + name.value_ +
                        "', which is not defined",
                    suggestion(name.value_, instances, "vrrp_instance"));
        }
      }
      check_tracks(g.track_scripts_, scripts, "vrrp_script", codes::undefined_script);
      for (const std::string* s : {&g.notify_master_, &g.notify_backup_, &g.notify_fault_, &g.notify_stop_, &g.notify_}) {
        if (!s->empty()) script_uses_.push_back(g.position_);
      }
    }
    for (const auto& vs : m.virtual_servers_) {
      if (!vs.quorum_up_.empty() || !vs.quorum_down_.empty()) script_uses_.push_back(vs.position_);
      for (const auto& rs : vs.real_servers_) {
        if (!rs.notify_up_.empty() || !rs.notify_down_.empty()) script_uses_.push_back(rs.position_);
        for (const auto& ck : rs.checkers_) {
          if (ck.kind_ == checker_kind::misc) {
            if (ck.misc_path_.empty()) {
              mine_.add(severity::error, codes::missing_argument, ck.position_,
                        "MISC_CHECK without misc_path: keepalived ignores it",
                        "add 'misc_path \"COMMAND\"'");
            } else {
              script_uses_.push_back(ck.position_);
            }
          }
        }
      }
      if (vs.kind_ == virtual_server::kind::group &&
          std::none_of(m.virtual_server_groups_.begin(), m.virtual_server_groups_.end(),
                       [&](const auto& g) { return g.name_ == vs.group_; })) {
        mine_.add(severity::error, codes::undefined_instance, vs.position_,
                  "virtual_server group '" + vs.group_ + "' is not defined",
                  "define it with 'virtual_server_group " + vs.group_ + " { … }'");
      }
    }
    if (!script_uses_.empty() && !m.global_.enable_script_security_) {
      out_.script_security_violation_ = true;
      std::sort(script_uses_.begin(), script_uses_.end(), [](const auto& a, const auto& b) {
        return std::tie(a.file_, a.line_, a.column_) < std::tie(b.file_, b.line_, b.column_);
      });
      mine_.add(severity::warning, codes::script_security, script_uses_.front(),
                "scripts are run but enable_script_security is not set: keepalived runs them as "
                "root and its -t exits 6 (\"SECURITY VIOLATION\")",
                "add 'enable_script_security' (and 'script_user USER' if the scripts need one) "
                "to global_defs, and make the scripts writable by root only");
    }
  }

  std::string suggestion(const std::string& name, const std::set<std::string>& known,
                         const std::string& what) {
    for (const std::string& k : known) {
      std::string a = name, b = k;
      std::transform(a.begin(), a.end(), a.begin(), ::tolower);
      std::transform(b.begin(), b.end(), b.begin(), ::tolower);
      if (a == b) return "did you mean '" + k + "'?";
    }
    if (known.empty()) return "no " + what + " is defined in this configuration";
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    return "defined: " + list;
  }

  void check_tracks(const std::vector<tracked>& tracks, const std::set<std::string>& known,
                    const std::string& what, std::string_view code) {
    for (const tracked& t : tracks) {
      if (known.count(t.name_) == 0) {
        mine_.add(severity::error, code, t.position_,
                  "'" + t.name_ + "' is not a " + what + " of this configuration: keepalived "
                  "ignores it",
                  suggestion(t.name_, known, what));
      }
    }
  }

  // Each name asked of the system once: a large file names the same few interfaces on every
  // instance and address, and each system lookup is a socket, an ioctl and a close.
  bool interface_exists(const std::string& name) {
    const auto [it, added] = interfaces_.try_emplace(name, false);
    if (added) it->second = options_.interface_exists_(name);
    return it->second;
  }

  void no_interface(const std::string& name, source_position where, const std::string& what) {
    mine_.add(severity::warning, codes::no_interface_here, where,
              "interface " + name + " for " + what + " does not exist on this machine",
              "keepalived refuses to start without it (\"Non-existent interface specified\")");
  }
};

}  // namespace

analysis analyse_file(file_id file, source_registry& sources, const analyse_options& options,
                      diagnostics& diags) {
  analysis out;
  diagnostics reader_diags;
  out.tree_ = read_registered(file, sources, options.read_, reader_diags);
  analyser a(sources, options, diags, out);
  a.run(reader_diags);
  return out;
}

bool system_interface_exists(std::string_view name) {
  const std::string n(name);
  return if_nametoindex(n.c_str()) != 0;
}

}  // namespace tandem::parsers::keepalived
