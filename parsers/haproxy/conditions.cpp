// The expression checks of one proxy keyword line (samples.hpp's check_expressions): ACL
// definitions, `if`/`unless` conditions, `%[…]` in log-format arguments and the actions that
// take a sample expression, each reported as HAProxy 2.6 reports it, with the files they name
// recorded for the missing-file check.
#include <string>
#include <string_view>

#include "parsers/common/text.hpp"
#include "parsers/haproxy/analyse.hpp"
#include "parsers/haproxy/builder.hpp"
#include "parsers/haproxy/keywords.hpp"
#include "parsers/haproxy/samples.hpp"

namespace tandem::parsers::haproxy {

namespace {


bool is_acl_match(std::string_view m) {
  static constexpr std::string_view methods[] = {"found", "bool", "int", "ip",  "bin",
                                                 "len",   "str",  "sub", "reg", "beg",
                                                 "end",   "dir",  "dom"};
  for (const std::string_view k : methods) {
    if (k == m) {
      return true;
    }
  }
  return false;
}

// The name part of a word that may be a converter ("lower", "map(f)").
std::string_view name_part(std::string_view v) {
  std::size_t n = 0;
  while (n < v.size() && v[n] != '(' && v[n] != ',') {
    ++n;
  }
  return v.substr(0, n);
}

class line_checker {
 public:
  line_checker(const directive& d, builder& b, diagnostics& diags)
      : d_(d), b_(b), diags_(diags), args_(d.arguments()) {}

  void run() {
    if (b_.proxy_ == nullptr) {
      return;
    }
    if (b_.acl_names_.proxy_ != b_.proxy_) {
      b_.acl_names_.proxy_ = b_.proxy_;
      b_.acl_names_.names_.clear();
    }
    keyword_ = d_.keyword_word().value_;
    if (keyword_ == "acl") {
      if (args_.size() >= 2) {
        const std::string context = "error detected while parsing ACL " + single_quoted(args_[0].value_);
        acl_expression(1, args_.size(), context);
      }
      if (!args_.empty()) {
        b_.acl_names_.names_.insert(args_[0].value_);
      }
      return;
    }
    std::size_t condition = args_.size();
    for (std::size_t i = 1; i < args_.size(); ++i) {
      if (args_[i].value_ == "if" || args_[i].value_ == "unless") {
        condition = i;
        break;
      }
    }
    const bool has_action = keyword_.starts_with("http-") || keyword_.starts_with("tcp-") ||
                            keyword_ == "stick";
    action_ = args_.empty() || !has_action ? std::string() : args_[0].value_;
    std::size_t action_at = 0;
    if ((keyword_ == "tcp-request" || keyword_ == "tcp-response") && args_.size() > 1) {
      action_ = args_[1].value_;
      action_at = 1;
    }
    for (std::size_t i = 0; i < condition; ++i) {
      log_format(args_[i]);
    }
    expression_action(action_at, condition);
    if (has_action) {
      named_files(action_at, condition);
      lua_names(action_at);
    }
    if (condition < args_.size()) {
      condition_terms(condition + 1);
    }
  }

 private:
  void error(const word& w, std::string message, std::optional<std::string> hint = {}) {
    diags_.add(severity::error, codes::bad_expression, w.position_, std::move(message),
               std::move(hint));
  }

  void keep(const sample_result& r, const word& w) {
    for (const named_file& f : r.files_) {
      if (f.path_.find('%') == std::string::npos) {
        b_.files_.push_back(reference{f.path_, w.position_, f.what_, false, false});
      }
    }
    for (const std::string& n : r.newer_) {
      diags_.add(severity::note, codes::newer_keyword, w.position_,
                 n + " (the 2.6 anchor does not know it); Tandem accepts it");
    }
  }

  std::string rule_name() const {
    std::string name = keyword_;
    if (!action_.empty()) {
      name += ' ';
      name += name_part(action_);
    }
    return single_quoted(name);
  }

  // An expression given as words (`track-sc0 src`, `stick on req.hdr(x) lower`): the first word
  // and the words after it that name converters (HAProxy's one-converter-per-word form).
  std::size_t word_expression(std::size_t first, std::size_t end, bool acl,
                              const std::string& context) {
    std::string text = args_[first].value_;
    std::size_t next = first + 1;
    while (next < end) {
      const std::string_view v = args_[next].value_;
      if (find_converter(name_part(v)) == nullptr) {
        break;
      }
      text += ',';
      text += v;
      ++next;
    }
    const sample_result r = parse_sample(text, false, acl);
    if (!r.error_.empty()) {
      error(args_[first], context + " : " + r.error_ + " in " +
                              (acl ? "ACL expression " : "sample expression ") + single_quoted(text),
            r.hint_);
    }
    keep(r, args_[first]);
    return next;
  }

  // `CRITERION [-i] [-f FILE] [-m METHOD] [-M] [-n] [-u ID] [--] [PATTERN…]`.
  void acl_expression(std::size_t first, std::size_t end, const std::string& context) {
    std::size_t i = word_expression(first, end, true, context);
    bool from_file = false;
    while (i < end && args_[i].value_.starts_with('-')) {
      const std::string& flag = args_[i].value_;
      if (flag == "--") {
        break;
      }
      if (flag == "-i" || flag == "-n" || flag == "-M") {
        ++i;
      } else if (flag == "-f" || flag == "-u" || flag == "-m") {
        if (i + 1 >= end) {
          error(args_[i], context + " : missing argument after " + single_quoted(flag));
          return;
        }
        const word& value = args_[i + 1];
        if (flag == "-f") {
          from_file = true;
          if (!value.value_.empty()) {
            b_.files_.push_back(reference{value.value_, value.position_, "acl pattern file",
                                          false, false});
          }
        } else if (flag == "-m" && !is_acl_match(value.value_)) {
          error(value, context + " : unknown matching method " + single_quoted(value.value_),
                std::string("use one of found, bool, int, ip, bin, len, str, sub, reg, beg, "
                            "end, dir, dom"));
          return;
        }
        i += 2;
      } else {
        error(args_[i], context + " : " + single_quoted(flag) +
                            " is not a valid ACL option. Please use '--' before any pattern "
                            "beginning with a '-'");
        return;
      }
    }
    (void)from_file;
  }

  // Each `%[EXPR]` (or `%{OPTIONS}[EXPR]`) of a log-format argument.
  void log_format(const word& w) {
    const std::string_view v = w.value_;
    for (std::size_t at = v.find('%'); at != std::string_view::npos; at = v.find('%', at)) {
      ++at;
      if (at < v.size() && v[at] == '%') {
        ++at;
        continue;
      }
      if (at < v.size() && v[at] == '{') {
        const std::size_t close = v.find('}', at);
        if (close == std::string_view::npos) {
          return;
        }
        at = close + 1;
      }
      if (at >= v.size() || v[at] != '[') {
        continue;
      }
      ++at;
      const std::string_view text = v.substr(at);
      const sample_result r = parse_sample(text, true, false);
      const std::string context = "error detected in proxy " + single_quoted(b_.proxy_->name_) +
                                  " while parsing " + rule_name() + " rule";
      if (!r.error_.empty()) {
        const std::size_t close = text.find(']');
        error(w, context + " : failed to parse sample expression <" +
                     std::string(text.substr(0, close == std::string_view::npos ? text.size()
                                                                                 : close + 1)) +
                     "> : " + r.error_,
              r.hint_);
        return;
      }
      keep(r, w);
      if (r.end_ >= text.size()) {
        error(w, context + " : missing ']' after " + single_quoted(text));
        return;
      }
      if (text[r.end_] != ']') {
        error(w, context + " : expected ']' after " + single_quoted(text.substr(0, r.end_)) +
                     ", but found " + single_quoted(text.substr(r.end_, 1)));
        return;
      }
      at += r.end_ + 1;
    }
  }

  // Actions whose argument is a sample expression.
  void expression_action(std::size_t action_at, std::size_t end) {
    const std::size_t first = action_at + 1;
    if (first >= end) {
      return;
    }
    const std::string_view a = action_;
    bool takes = false;
    if (keyword_ == "stick") {
      takes = a == "on" || a == "match" || a == "store-request" || a == "store-response";
    } else if (keyword_.starts_with("http-") || keyword_.starts_with("tcp-request") ||
               keyword_.starts_with("tcp-response")) {
      takes = (a.starts_with("set-var(") || a.starts_with("track-sc") || a == "capture" ||
               a == "set-src" || a == "set-dst" || a == "set-src-port" || a == "set-dst-port" ||
               a == "set-priority-class" || a == "set-priority-offset");
    }
    if (!takes) {
      return;
    }
    const std::string context = "error detected in proxy " + single_quoted(b_.proxy_->name_) +
                                " while parsing " + rule_name() + " rule";
    word_expression(first, end, false, context);
  }

  // Files an action names: set-map(FILE) and its kin, `return`/`deny`'s errorfile, file and
  // lf-file.
  void named_files(std::size_t action_at, std::size_t end) {
    const word& action = args_[action_at];
    const std::string_view a = action_;
    for (const std::string_view prefix : {"set-map(", "del-map(", "add-acl(", "del-acl("}) {
      if (a.starts_with(prefix) && a.ends_with(')')) {
        const std::string path(a.substr(prefix.size(), a.size() - prefix.size() - 1));
        if (!path.empty() && path.find('%') == std::string::npos) {
          b_.files_.push_back(reference{path, action.position_, "map file", false, false});
        }
        return;
      }
    }
    if (a != "return" && a != "deny" && a != "tarpit") {
      return;
    }
    for (std::size_t i = action_at + 1; i + 1 < end; ++i) {
      const std::string& v = args_[i].value_;
      if (v == "errorfile" || v == "file" || v == "lf-file") {
        const word& path = args_[i + 1];
        b_.files_.push_back(reference{path.value_, path.position_, v, false, false});
        ++i;
      }
    }
  }

  // Lua actions and services (`http-request lua.NAME`, `use-service lua.NAME`) exist only once
  // a lua-load file registers them; HAProxy's own services are in its build (2.6 on Debian:
  // prometheus-exporter).
  void lua_names(std::size_t action_at) {
    const word& action = args_[action_at];
    const bool no_lua = b_.model_.global_.lua_files_.empty();
    if (action_ == "use-service" && action_at + 1 < args_.size()) {
      const word& service = args_[action_at + 1];
      const std::string& name = service.value_;
      if ((name.starts_with("lua.") && no_lua) ||
          (!name.starts_with("lua.") && name != "prometheus-exporter")) {
        error(service, "error detected in proxy " + single_quoted(b_.proxy_->name_) + " while parsing " +
                           rule_name() + " rule : " + single_quoted(name) + " unknown service name",
              std::string(name.starts_with("lua.")
                              ? "a Lua service needs the 'lua-load' file that registers it"
                              : "HAProxy 2.6 has the service 'prometheus-exporter' and Lua ones "
                                "(lua.NAME)"));
      }
    } else if (action_.starts_with("lua.") && no_lua) {
      error(action, "error detected in proxy " + single_quoted(b_.proxy_->name_) + " while parsing " +
                        single_quoted(keyword_) + " rule : unknown action " + single_quoted(action_),
            std::string("a Lua action needs the 'lua-load' file that registers it"));
    }
  }

  // `if`/`unless` terms: ACL names (declared above, or predefined), `!`, `||`/`or`, `{ … }`.
  void condition_terms(std::size_t first) {
    const std::string context = "error detected while parsing an " + rule_name() + " condition";
    for (std::size_t i = first; i < args_.size(); ++i) {
      std::string_view v = args_[i].value_;
      if (v == "||" || v == "or") {
        continue;
      }
      while (v.starts_with('!')) {
        v.remove_prefix(1);
      }
      if (v.empty()) {
        continue;
      }
      if (v == "{") {
        std::size_t close = i + 1;
        while (close < args_.size() && args_[close].value_ != "}") {
          ++close;
        }
        if (close >= args_.size()) {
          error(args_[i], context + " : missing closing '}' in condition");
          return;
        }
        if (close == i + 1) {
          error(args_[i], context + " : missing expression between braces");
          return;
        }
        acl_expression(i + 1, close, context);
        i = close;
        continue;
      }
      const std::string name(v);
      if (b_.acl_names_.names_.count(name) == 0 && !predefined_acl(name)) {
        error(args_[i], context + " : no such ACL : " + single_quoted(name),
              std::string("declare 'acl " + name + " …' above this line"));
      }
    }
  }

  const directive& d_;
  builder& b_;
  diagnostics& diags_;
  std::span<const word> args_;
  std::string keyword_;
  std::string action_;
};

}  // namespace

void check_expressions(const directive& d, builder& b, diagnostics& diags) {
  line_checker(d, b, diags).run();
}

}  // namespace tandem::parsers::haproxy
