// keepalived.conf migration (see migrate.hpp): a list of edits at source positions, applied to
// the normalised text line by line. Positions are code-point columns, which the normaliser
// keeps, so an edit found on the tree lands on the same word in the fixed text.
#include "parsers/keepalived/migrate.hpp"

#include <algorithm>
#include <map>
#include <sstream>

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

class collector {
 public:
  explicit collector(file_id file) : file_(file) {}

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

  void walk(const std::vector<node>& items, context where) {
    // What keepalived ignores depends on the block's other statements.
    bool master = false;
    bool fwmark = false;
    std::string own_interface;
    if (!items.empty()) {
      for (const node& n : items) {
        if (n.kind_ != node_kind::statement || n.words_.size() < 2) continue;
        if (n.keyword() == "state" && n.words_[1].value_ == "MASTER") master = true;
        if (n.keyword() == "interface") own_interface = n.words_[1].value_;
      }
    }
    fwmark = where == context::virtual_server && fwmark_block_;
    for (const node& n : items) {
      if (n.kind_ != node_kind::statement || n.words_.empty()) continue;
      if (is_list_context(where)) {
        if (where == context::route_list) {
          for (const word& w : n.words_) {
            if (w.value_ == "gw") replace(w, "via");
          }
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
      if (k->name_ == "state" && n.words_.size() > 1 && n.words_[1].value_ == "SLAVE") {
        replace(n.words_[1], "BACKUP");
      }
      if (k->name_ == "auth_pass" && n.words_.size() > 1 && n.words_[1].value_.size() > 8 &&
          !n.words_[1].quoted_) {
        replace(n.words_[1], n.words_[1].value_.substr(0, 8));  // what keepalived uses
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
        fwmark_block_ = k->name_ == "virtual_server" && n.words_.size() > 1 &&
                        n.words_[1].value_ == "fwmark";
        if (k->opens_ == context::track_interface_list) parent_interface_ = own_interface;
        walk(n.children_, k->opens_);
        fwmark_block_ = saved_fwmark;
        parent_interface_ = saved_interface;
      }
    }
  }

  std::map<std::uint32_t, std::vector<edit>> edits_;

 private:
  file_id file_;
  bool fwmark_block_ = false;
  std::string parent_interface_;
};

}  // namespace

std::string migrate(const analysis& a, const source_registry& sources, file_id file,
                    const diagnostics& diags) {
  diagnostics ignored;
  const normalised_text fixed =
      normalise(sources.file(file).text(), file, {quote_style::keepalived}, ignored);
  collector edits(file);
  edits.walk(a.tree_.items_, context::top);
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

  std::istringstream lines(fixed.text_);
  std::string line;
  std::uint32_t number = 0;
  const std::string& text = fixed.text_;
  while (std::getline(lines, line)) {
    ++number;
    for (int i = 0; i < closes[number]; ++i) out += "}\n";
    auto it = edits.edits_.find(number);
    if (it != edits.edits_.end()) {
      std::vector<edit> es = it->second;
      // Right to left, so earlier columns stay valid.
      std::stable_sort(es.begin(), es.end(),
                       [](const edit& x, const edit& y) { return x.column_ > y.column_; });
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
