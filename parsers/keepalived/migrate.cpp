// keepalived.conf migration (see migrate.hpp): a list of edits at source positions, applied to
// the normalised text line by line. Positions are code-point columns, which the normaliser
// keeps, so an edit found on the tree lands on the same word in the fixed text.
#include "parsers/keepalived/migrate.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

#include "parsers/common/normalise.hpp"
#include "parsers/common/utf8.hpp"
#include "parsers/keepalived/codes.hpp"
#include "parsers/keepalived/keywords.hpp"

namespace tandem::parsers::keepalived {

namespace {

struct edit {
  std::uint32_t column_ = 0;   // 1-based code point
  std::uint32_t length_ = 0;   // code points replaced (0: insert before column_)
  std::string text_;
};

bool is_blank_or_comment(std::string_view rest) {
  const auto first = rest.find_first_not_of(" \t");
  return first == std::string_view::npos || rest[first] == '#' || rest[first] == '!';
}

std::string indent_of(std::string_view line) {
  return std::string(line.substr(0, line.find_first_not_of(" \t") == std::string_view::npos
                                        ? line.size()
                                        : line.find_first_not_of(" \t")));
}

// A route's words without its trailing options: where `no_track` goes, and whether it has an
// interface keepalived can track.
struct route_shape {
  bool has_dev_ = false, no_track_ = false;
  std::size_t nexthop_ = 0;  // index of the first `nexthop` word, or the word count
  std::size_t or_ = 0;       // index of the old `or` word (0: none)
};

route_shape shape_of(const node& n) {
  route_shape r;
  r.nexthop_ = n.words_.size();
  for (std::size_t i = 0; i < n.words_.size(); ++i) {
    const std::string_view v = n.words_[i].value_;
    if (v == "nexthop") {
      r.nexthop_ = i;
      break;
    }
    if (v == "dev") r.has_dev_ = true;
    if (v == "no_track") r.no_track_ = true;
    if (v == "or" && i >= 2 && r.or_ == 0 &&
        (n.words_[i - 2].value_ == "via" || n.words_[i - 2].value_ == "gw")) {
      r.or_ = i;
    }
  }
  return r;
}

class collector {
 public:
  collector(file_id file, const std::vector<std::string>& lines, const config& model)
      : file_(file), lines_(lines), model_(model) {}

  // Facts about the whole file that decide what keepalived ignores inside one block.
  void survey(const node_list& top) {
    for (const node& n : top) {
      if (n.kind_ != node_kind::statement || !n.has_block_) continue;
      if (n.keyword() == "global_defs") {
        if (!global_defs_ && n.close_brace_ && n.close_brace_->file_ == file_) global_defs_ = &n;
        for (const node& c : n.children_) {
          if (c.keyword() == "lvs_sync_daemon") global_syncd_ = true;
        }
      }
      if (n.keyword() == "vrrp_sync_group") {
        const bool weights_kept = std::any_of(n.children_.begin(), n.children_.end(), [](const node& c) {
          return c.keyword() == "global_tracking" || c.keyword() == "sync_group_tracking_weight";
        });
        if (weights_kept) continue;
        for (const node& c : n.children_) {
          if (c.keyword() != "group" || !c.has_block_) continue;
          for (const node& m : c.children_) {
            if (m.kind_ == node_kind::statement && !m.words_.empty()) {
              synced_instances_.emplace(m.words_.front().value_);
            }
          }
        }
      }
    }
  }

  // What goes in global_defs, or before everything when the file has no global_defs of its own.
  std::string finish() {
    if (syncd_line_.empty()) return {};
    if (!global_defs_) {
      return "# written by tandem migrate: lvs_sync_daemon_interface moved from a vrrp_instance\n"
             "global_defs {\n    " + syncd_line_ + "\n}\n";
    }
    insert_line_before_close(*global_defs_, syncd_line_);
    return {};
  }

  void replace(const word& w, std::string text) {
    if (w.position_.file_ != file_ || w.expanded_) return;
    edits_[w.position_.line_].push_back(
        {w.position_.column_, static_cast<std::uint32_t>(count_code_points(w.raw_)), std::move(text)});
  }
  void insert(source_position at, std::string text) {
    if (at.file_ != file_) return;
    edits_[at.line_].push_back({at.column_, 0, std::move(text)});
  }

  // Comments out a statement keepalived 2.2.7 ignores (its block too, when the block closes on
  // another line).
  void comment_out(const node& n, std::string why) {
    insert(n.position_, "# " + why + ": ");
    if (n.has_block_ && n.close_brace_ && n.close_brace_->line_ != n.position_.line_) {
      insert(*n.close_brace_, "# ");
    }
  }

  // A line of its own just inside the block's '{', indented like the block's first statement.
  void insert_line_after_open(const node& block, const std::string& text) {
    const source_position at = block.open_brace_;
    if (at.file_ != file_ || at.line_ == 0 || at.line_ > lines_.size()) return;
    const std::string& line = lines_[at.line_ - 1];
    const std::size_t after = byte_offset_of_column(line, at.column_ + 1);
    std::string s(1, '\n');  // built by append: GCC 12 warns falsely on "\n" + string
    s += child_indent(block);
    s += text;
    if (!is_blank_or_comment(std::string_view(line).substr(std::min(after, line.size())))) s += "\n";
    insert({at.file_, at.line_, at.column_ + 1}, s);
  }

  void insert_line_before_close(const node& block, const std::string& text) {
    const source_position at = *block.close_brace_;
    if (at.line_ == 0 || at.line_ > lines_.size()) return;
    const std::string& line = lines_[at.line_ - 1];
    const std::size_t brace = byte_offset_of_column(line, at.column_);
    if (line.find_first_not_of(" \t") == brace) {
      insert({at.file_, at.line_, 1}, child_indent(block) + text + "\n");
    } else {
      std::string s(1, '\n');
      s += child_indent(block);
      s += text;
      s += '\n';
      insert(at, std::move(s));
    }
  }

  // A comment line of its own before the statement, saying why migrate changed it.
  void explain_before(const node& n, const std::string& why) {
    if (n.position_.line_ == 0 || n.position_.line_ > lines_.size()) return;
    insert(n.position_, "# " + why + "\n" + indent_of(lines_[n.position_.line_ - 1]));
  }

  std::string child_indent(const node& block) const {
    for (const node& c : block.children_) {
      if (c.position_.file_ == file_ && c.position_.line_ != block.open_brace_.line_ &&
          c.position_.line_ > 0 && c.position_.line_ <= lines_.size()) {
        return indent_of(lines_[c.position_.line_ - 1]);
      }
    }
    const std::uint32_t l = block.position_.line_;
    return (l > 0 && l <= lines_.size() ? indent_of(lines_[l - 1]) : std::string()) + "    ";
  }

  // keepalived warns "cannot track route ... with no interface specified, not tracking" and
  // calls the old `via A or B` deprecated: write `no_track` (what it does) and nexthops.
  void route_entry(const node& n) {
    const route_shape r = shape_of(n);
    const bool add_no_track = !r.has_dev_ && !r.no_track_;
    const word& first = n.words_.front();
    const word& last = n.words_.back();
    const bool one_line = std::all_of(n.words_.begin(), n.words_.end(), [&](const word& w) {
      return w.position_.file_ == file_ && w.position_.line_ == first.position_.line_ && !w.expanded_;
    });
    if (r.or_ != 0 && one_line && r.or_ + 1 < n.words_.size()) {
      std::string text;
      for (std::size_t i = 0; i < n.words_.size(); ++i) {
        if (i + 2 >= r.or_ && i <= r.or_ + 1) continue;  // via A or B
        if (!text.empty()) text += ' ';
        text += n.words_[i].raw_;
      }
      if (add_no_track) text += " no_track";
      text += " nexthop via ";
      text += n.words_[r.or_ - 1].raw_;
      text += " nexthop via ";
      text += n.words_[r.or_ + 1].raw_;
      const auto end = last.position_.column_ + static_cast<std::uint32_t>(count_code_points(last.raw_));
      if (first.position_.file_ == file_) {
        edits_[first.position_.line_].push_back({first.position_.column_, end - first.position_.column_, text});
      }
      return;
    }
    for (const word& w : n.words_) {
      if (w.value_ == "gw") replace(w, "via");
    }
    if (!add_no_track) return;
    if (r.nexthop_ < n.words_.size()) {
      insert(n.words_[r.nexthop_].position_, "no_track ");
    } else if (!last.expanded_) {
      source_position at = last.position_;
      at.column_ += static_cast<std::uint32_t>(count_code_points(last.raw_));
      insert(at, " no_track");
    }
  }

  // An instance in a sync group: keepalived drops every track_script whose weight (its own or
  // its vrrp_script's) is not 0 ("ignoring tracked script with weights due to SYNC group").
  void synced_track_script(const node& n) {
    const vrrp_script* s = model_.find_script(std::string(n.words_.front().value_));
    int weight = s ? s->weight_ : 0;
    if (n.words_.size() > 2 && n.words_[1].value_ == "weight") {
      try {
        weight = std::stoi(std::string(n.words_[2].value_));
      } catch (const std::exception&) {
        return;
      }
    }
    if (weight != 0) {
      comment_out(n, "keepalived ignores a track_script with a weight in a sync group's instance");
    }
  }

  void walk(const node_list& items, context where) {
    // What keepalived ignores depends on the block's other statements.
    bool master = false;
    bool fwmark = false;
    bool peers = false;
    std::string own_interface;
    if (!items.empty()) {
      for (const node& n : items) {
        if (n.kind_ != node_kind::statement || n.words_.size() < 2) continue;
        if (n.keyword() == "state" && n.words_[1].value_ == "MASTER") master = true;
        if (n.keyword() == "interface") own_interface = n.words_[1].value_;
      }
      for (const node& n : items) {
        if (n.kind_ == node_kind::statement && n.keyword() == "unicast_peer" &&
            std::any_of(n.children_.begin(), n.children_.end(),
                        [](const node& c) { return c.kind_ == node_kind::statement; })) {
          peers = true;
        }
      }
    }
    fwmark = where == context::virtual_server && fwmark_block_;
    for (const node& n : items) {
      if (n.kind_ != node_kind::statement || n.words_.empty()) continue;
      if (is_list_context(where)) {
        if (where == context::route_list) route_entry(n);
        if (where == context::track_script_list && synced_instances_.count(instance_name_) != 0) {
          synced_track_script(n);
        }
        if (where == context::track_interface_list && n.words_.front().value_ == parent_interface_) {
          comment_out(n, "keepalived ignores tracking the instance's own interface");
        }
        continue;
      }
      const keyword* k = find_keyword(n.keyword(), where);
      if (!k) continue;
      if (!k->current_name_.empty()) replace(n.words_.front(), std::string(k->current_name_));
      if (k->obsolete_) {
        source_position at = n.position_;
        insert(at, "# obsolete, ignored: ");
        continue;
      }
      if (k->name_ == "lvs_sync_daemon_interface" && where == context::vrrp_instance &&
          n.words_.size() > 1) {
        if (global_syncd_ || !syncd_line_.empty()) {
          comment_out(n, "keepalived ignores it, lvs_sync_daemon is already set");
        } else {
          syncd_line_ = "lvs_sync_daemon " + std::string(n.words_[1].raw_) + " " + instance_name_;
          comment_out(n, "moved to global_defs as '" + syncd_line_ + "' (deprecated here)");
        }
        continue;
      }
      if (k->name_ == "state" && where == context::vrrp_instance && n.words_.size() > 1 &&
          n.words_[1].value_ == "MASTER" && instance_ && ah_clears_master(*instance_)) {
        explain_before(n, "was MASTER: keepalived starts an instance with AH authentication and a "
                          "priority below 255 as BACKUP");
        replace(n.words_[1], "BACKUP");
        continue;
      }
      // Without peers keepalived "defaults to multicast" and calls the unicast keywords
      // deprecated there: the source address is mcast_src_ip's, the source check is moot.
      if (where == context::vrrp_instance && !peers && k->name_ == "unicast_src_ip") {
        explain_before(n, "no unicast_peer: keepalived sends multicast adverts from this address");
        replace(n.words_.front(), "mcast_src_ip");
        continue;
      }
      if (where == context::vrrp_instance && !peers && k->name_ == "check_unicast_src") {
        comment_out(n, "keepalived ignores it without unicast_peer (it uses multicast)");
        continue;
      }
      if (k->name_ == "state" && n.words_.size() > 1 && n.words_[1].value_ == "SLAVE") {
        replace(n.words_[1], "BACKUP");
      }
      if (k->name_ == "auth_pass" && n.words_.size() > 1 && n.words_[1].value_.size() > 8 &&
          !n.words_[1].quoted_) {
        replace(n.words_[1], std::string(n.words_[1].value_.substr(0, 8)));  // what keepalived uses
      }
      if (k->name_ == "nopreempt" && where == context::vrrp_instance && master) {
        comment_out(n, "keepalived ignores nopreempt with state MASTER");
        continue;
      }
      if (k->name_ == "protocol" && fwmark) {
        comment_out(n, "keepalived ignores the protocol of a fwmark virtual_server");
        continue;
      }
      if (k->name_ == "notification_email" && n.has_block_ && n.words_.size() == 1 &&
          std::none_of(n.children_.begin(), n.children_.end(),
                       [](const node& c) { return c.kind_ == node_kind::statement; })) {
        comment_out(n, "empty, keepalived warns about it");
        continue;
      }
      if (k->opens_ != context::none && n.has_block_) {
        const bool saved_fwmark = fwmark_block_;
        const std::string saved_interface = parent_interface_;
        const std::string saved_instance = instance_name_;
        const vrrp_instance* saved_model = instance_;
        if (k->opens_ == context::vrrp_instance && n.words_.size() > 1) {
          instance_name_ = n.words_[1].value_;
          instance_ = nullptr;
          for (const vrrp_instance& i : model_.vrrp_instances_) {
            if (i.position_ == n.position_) instance_ = &i;
          }
        }
        if (k->opens_ == context::virtual_server) lvs_defaults(n);
        fwmark_block_ = k->name_ == "virtual_server" && n.words_.size() > 1 &&
                        n.words_[1].value_ == "fwmark";
        if (k->opens_ == context::track_interface_list) parent_interface_ = own_interface;
        walk(n.children_, k->opens_);
        fwmark_block_ = saved_fwmark;
        parent_interface_ = saved_interface;
        instance_name_ = saved_instance;
        instance_ = saved_model;
      }
    }
  }

  std::map<std::uint32_t, std::vector<edit>> edits_;

 private:
  // keepalived announces the defaults it picks for a virtual server ("no scheduler set",
  // "no forwarding method set"): write them, so the file says what runs and -t is quiet.
  void lvs_defaults(const node& vs) {
    const auto has = [](const node& block, std::string_view a, std::string_view b) {
      return std::any_of(block.children_.begin(), block.children_.end(), [&](const node& c) {
        return c.kind_ == node_kind::statement && (c.keyword() == a || c.keyword() == b);
      });
    };
    bool servers = false, method_needed = false;
    for (const node& c : vs.children_) {
      if (c.kind_ != node_kind::statement || c.keyword() != "real_server") continue;
      servers = true;
      if (!has(c, "lvs_method", "lb_kind")) method_needed = true;
    }
    if (!servers) return;  // keepalived ignores a virtual server without real servers
    if (method_needed && !has(vs, "lvs_method", "lb_kind")) {
      insert_line_after_open(vs, "lvs_method NAT  # keepalived's default, written out");
    }
    if (!has(vs, "lvs_sched", "lb_algo")) {
      insert_line_after_open(vs, "lvs_sched wlc  # keepalived's default, written out");
    }
  }

  file_id file_;
  const std::vector<std::string>& lines_;
  const config& model_;
  const node* global_defs_ = nullptr;
  bool global_syncd_ = false;
  std::string syncd_line_;
  std::set<std::string> synced_instances_;
  std::string instance_name_;
  const vrrp_instance* instance_ = nullptr;
  bool fwmark_block_ = false;
  std::string parent_interface_;
};

}  // namespace

std::string migrate(const analysis& a, const source_registry& sources, file_id file,
                    const diagnostics& diags) {
  diagnostics ignored;
  const normalised_text fixed =
      normalise(sources.file(file).text(), file, {quote_style::keepalived}, ignored);
  std::vector<std::string> source_lines;
  {
    std::istringstream in(fixed.text_);
    for (std::string l; std::getline(in, l);) source_lines.push_back(l);
  }
  collector edits(file, source_lines, a.model_);
  edits.survey(a.tree_.items_);
  edits.walk(a.tree_.items_, context::top);
  const std::string prefix = edits.finish();
  for (const insertion& i : a.open_braces_) {
    source_position at = i.after_;
    at.column_ += 1;
    edits.insert(at, i.text_);
  }
  std::map<std::uint32_t, int> closes;
  for (const source_position& p : a.close_braces_before_) {
    if (p.file_ == file) ++closes[p.line_];
  }

  std::string out;
  // ${NAME}s the reader took from the environment become definitions at the top, so the file
  // keeps its template and keepalived reads the same value.
  for (const diagnostic& d : diags) {
    if (d.code_ != codes::variable_from_environment) continue;
    const std::string& m = d.message_;
    const auto from = m.find("using ");
    const auto to = m.find(" from the environment");
    if (from == std::string::npos || to == std::string::npos || to < from) continue;
    std::string def(1, '$');
    def.append(m, from + 6, to - from - 6);
    def.push_back('\n');
    if (out.find(def) == std::string::npos) {
      out.append("# defined by tandem migrate: the value this file was expanded with\n");
      out.append(def);
    }
  }

  out += prefix;
  std::istringstream lines(fixed.text_);
  std::string line;
  std::uint32_t number = 0;
  const std::string& text = fixed.text_;
  while (std::getline(lines, line)) {
    ++number;
    // A recovered '}' goes on a line of its own, indented like the statement it comes before
    // (a sibling of the block it closes).
    for (int i = 0; i < closes[number]; ++i) {
      out += indent_of(line);
      out += "}\n";
    }
    auto it = edits.edits_.find(number);
    if (it != edits.edits_.end()) {
      std::vector<edit> es = it->second;
      // Right to left, so earlier columns stay valid; at one column the word is replaced
      // before text is inserted in front of it.
      std::stable_sort(es.begin(), es.end(), [](const edit& x, const edit& y) {
        if (x.column_ != y.column_) return x.column_ > y.column_;
        return x.length_ > 0 && y.length_ == 0;
      });
      for (const edit& e : es) {
        const std::size_t begin = byte_offset_of_column(line, e.column_);
        const std::size_t end = byte_offset_of_column(line, e.column_ + e.length_);
        line.replace(begin, end - begin, e.text_);
      }
    }
    out += line;
    out += '\n';
  }
  if (!text.empty() && text.back() != '\n' && !out.empty()) {
    out.pop_back();  // keep a missing final newline missing
  }
  return out;
}

}  // namespace tandem::parsers::keepalived
