// Sample and ACL expressions (see samples.hpp): the tables, the expression parser and the
// checks of a proxy line's conditions, log-format `%[…]` and expression arguments.
#include "parsers/haproxy/samples.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <unordered_map>

#include "parsers/common/text.hpp"
#include "parsers/haproxy/analyse.hpp"
#include "parsers/haproxy/builder.hpp"
#include "parsers/haproxy/keywords.hpp"

namespace tandem::parsers::haproxy {

namespace {

#include "parsers/haproxy/sample_table.inc"

// acl.c's default_acl_list in 2.6.
constexpr std::string_view predefined_acls[] = {
    "TRUE",        "FALSE",         "INTERNAL",       "HTTP",           "HTTP_1.0",
    "HTTP_1.1",    "HTTP_2.0",      "HTTP_CONTENT",   "HTTP_URL_ABS",   "HTTP_URL_SLASH",
    "HTTP_URL_STAR", "LOCALHOST",   "METH_CONNECT",   "METH_DELETE",    "METH_GET",
    "METH_HEAD",   "METH_OPTIONS",  "METH_POST",      "METH_PUT",       "METH_TRACE",
    "RDP_COOKIE",  "REQ_CONTENT",   "WAIT_END"};

template <typename T, std::size_t N>
std::unordered_map<std::string_view, const T*> index_of(const T (&table)[N]) {
  std::unordered_map<std::string_view, const T*> out;
  out.reserve(N);
  for (const T& e : table) {
    out.emplace(e.name_, &e);
  }
  return out;
}

template <typename T, std::size_t N>
const T* lookup(const T (&table)[N], std::string_view name) {
  static const auto index = index_of(table);
  const auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

// sample.c's is_idchar().
bool idchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-' || c == '+' || c == '$';
}

// sample.c's sample_casts[from][to] != NULL.
bool castable(sample_type from, sample_type to) {
  using t = sample_type;
  if (from == t::any_ || to == t::any_ || from == to) {
    return true;
  }
  switch (from) {
    case t::bool_:
      return to == t::sint_ || to == t::str_;
    case t::sint_:
      return to != t::meth_;
    case t::addr_:
      return false;
    case t::ipv4_:
      return to != t::bool_ && to != t::meth_;
    case t::ipv6_:
      return to == t::addr_ || to == t::ipv4_ || to == t::str_ || to == t::bin_;
    case t::str_:
      return true;
    case t::bin_:
      return to == t::str_ || to == t::meth_;
    case t::meth_:
      return to == t::str_ || to == t::bin_;
    default:
      return true;
  }
}

// One argument slot of a keyword's argument list.
struct argument_slot {
  std::string_view type_;  // "integer", "string", "table" …
  bool optional_ = false;
};

std::vector<argument_slot> slots_of(std::string_view spec) {
  std::vector<argument_slot> out;
  bool optional = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= spec.size(); ++i) {
    const char c = i < spec.size() ? spec[i] : ',';
    if (c == ',' || c == '[' || c == ']') {
      const std::string_view name = spec.substr(start, i - start);
      if (!name.empty()) {
        out.push_back({name, optional});
      }
      if (c == '[') {
        optional = true;
      }
      start = i + 1;
    }
  }
  return out;
}

bool valid_integer(std::string_view v) {
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    v.remove_prefix(1);
  }
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_ipv4(std::string_view v) {
  in_addr a{};
  return inet_pton(AF_INET, std::string(v).c_str(), &a) == 1;
}

bool valid_ipv6(std::string_view v) {
  in6_addr a{};
  return inet_pton(AF_INET6, std::string(v).c_str(), &a) == 1;
}

bool valid_argument(std::string_view type, std::string_view v) {
  if (type == "integer") {
    return valid_integer(v);
  }
  if (type == "IPv4 address") {
    return valid_ipv4(v);
  }
  if (type == "IPv4 mask") {
    unsigned bits = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), bits);
    return (ec == std::errc() && end == v.data() + v.size() && bits <= 32) || valid_ipv4(v);
  }
  if (type == "IPv6 address") {
    return valid_ipv6(v);
  }
  if (type == "IPv6 mask") {
    unsigned bits = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), bits);
    return ec == std::errc() && end == v.data() + v.size() && bits <= 128;
  }
  return true;
}

// Arguments that name the current proxy when left out (HAProxy resolves them later).
bool defaults_to_proxy(std::string_view type) {
  return type == "table" || type == "backend" || type == "frontend" || type == "server";
}

// arg.c's make_arg_list() from the '(' at text[at]: the argument values (quotes and escapes
// removed) and the offset after ')'. Returns false with `error` set when ')' is missing.
bool argument_list(std::string_view text, std::size_t& at, std::vector<std::string>& out,
                   std::string& error) {
  ++at;  // '('
  std::string current;
  char quote = 0;
  bool any = false;
  while (at < text.size()) {
    const char c = text[at];
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && at + 1 < text.size()) {
        current += text[++at];
      } else {
        current += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      any = true;
    } else if (c == '\\' && at + 1 < text.size()) {
      current += text[++at];
      any = true;
    } else if (c == ',') {
      out.push_back(std::move(current));
      current.clear();
      any = true;
    } else if (c == ')') {
      if (any || !current.empty()) {
        out.push_back(std::move(current));
      }
      ++at;
      return true;
    } else {
      current += c;
      any = true;
    }
    ++at;
  }
  error = "missing closing ')'";
  return false;
}


// Checks `args` against the keyword's slots; "" when they fit.
std::string check_arguments(const sample_keyword& k, const std::vector<std::string>& args,
                            bool had_parentheses) {
  const std::vector<argument_slot> slots = slots_of(k.arguments_);
  if (slots.empty()) {
    if (!args.empty()) {
      return "no argument supported, but got " + single_quoted(args[0]);
    }
    return "";
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i >= slots.size()) {
      return "end of arguments expected at position " + std::to_string(i + 1) + ", but got " +
             single_quoted(args[i]);
    }
    if (args[i].empty() && slots[i].optional_) {
      continue;
    }
    if (!valid_argument(slots[i].type_, args[i])) {
      return "failed to parse " + single_quoted(args[i]) + " as type " + single_quoted(slots[i].type_) +
             " at position " + std::to_string(i + 1);
    }
  }
  if (args.size() < slots.size() && !slots[args.size()].optional_ &&
      !defaults_to_proxy(slots[args.size()].type_)) {
    (void)had_parentheses;
    return "expected type " + single_quoted(slots[args.size()].type_) + " at position " +
           std::to_string(args.size() + 1) + ", but got nothing";
  }
  return "";
}

// The converters that name a map or pattern file in their first argument.
bool names_map_file(std::string_view converter) { return converter.starts_with("map"); }

template <typename T, std::size_t N>
std::string closest(const T (&table)[N], std::string_view name) {
  std::string_view best;
  std::size_t distance = name.size() < 5 ? 2 : 3;
  for (const T& e : table) {
    const std::size_t d = edit_distance(name, e.name_, distance - 1);
    if (d < distance) {
      distance = d;
      best = e.name_;
    }
  }
  return std::string(best);
}

}  // namespace

const sample_keyword* find_fetch(std::string_view name) { return lookup(fetch_table, name); }

const sample_keyword* find_converter(std::string_view name) {
  return lookup(converter_table, name);
}

const acl_keyword* find_acl_keyword(std::string_view name) {
  return lookup(acl_keyword_table, name);
}

bool predefined_acl(std::string_view name) {
  return std::find(std::begin(predefined_acls), std::end(predefined_acls), name) !=
         std::end(predefined_acls);
}

sample_result parse_sample(std::string_view text, bool closing, bool acl, sample_parts* parts) {
  sample_result r;
  std::size_t at = 0;
  while (at < text.size() && idchar(text[at])) {
    ++at;
  }
  const std::string_view name = text.substr(0, at);
  if (name.empty()) {
    r.error_ = "missing fetch method";
    return r;
  }
  if (name.starts_with("lua.")) {
    // Registered by a Lua file at run time: its arguments are the script's business.
    if (parts != nullptr) {
      parts->fetch_ = {std::string(name), {}};
      parts->fetch_keyword_ = nullptr;
    }
    r.end_ = closing ? std::min(text.find(']'), text.size()) : text.size();
    return r;
  }
  const sample_keyword* fetch = nullptr;
  bool is_acl_keyword = false;
  if (acl) {
    if (const acl_keyword* k = find_acl_keyword(name)) {
      fetch = find_fetch(k->fetch_);
      is_acl_keyword = fetch != nullptr;
    }
  }
  if (fetch == nullptr) {
    fetch = find_fetch(name);
  }
  if (fetch == nullptr) {
    r.error_ = "unknown fetch method " + single_quoted(name);
    const std::string close = closest(fetch_table, name);
    if (!close.empty()) {
      r.hint_ = "did you mean " + single_quoted(close) + "?";
    }
    return r;
  }
  if (!fetch->added_in_.empty()) {
    r.newer_.push_back("the fetch " + single_quoted(name) + " needs HAProxy " +
                       std::string(fetch->added_in_));
  }
  std::vector<std::string> args;
  if (at < text.size() && text[at] == '(') {
    std::string error;
    if (!argument_list(text, at, args, error)) {
      r.error_ = "missing closing ')' after arguments to fetch keyword " + single_quoted(name);
      return r;
    }
    if (std::string e = check_arguments(*fetch, args, true); !e.empty()) {
      r.error_ = "fetch method " + single_quoted(name) + " : " + e;
      return r;
    }
  } else if (std::string e = check_arguments(*fetch, args, false); !e.empty()) {
    r.error_ = "fetch method " + single_quoted(name) + " : " + e;
    return r;
  }
  if (parts != nullptr) {
    parts->fetch_ = {std::string(name), args};
    parts->fetch_keyword_ = fetch;
    parts->acl_keyword_ = is_acl_keyword;
    parts->converters_.clear();
  }
  sample_type previous = fetch->output_;
  std::string_view last = name;
  bool after_converter = false;
  while (true) {
    if (at < text.size() && text[at] != ',') {
      if (closing) {
        break;
      }
      r.error_ = after_converter ? "missing comma after converter " + single_quoted(last)
                                 : "missing comma after fetch keyword " + single_quoted(last);
      return r;
    }
    while (at < text.size() && text[at] == ',') {
      ++at;
    }
    if (at >= text.size()) {
      break;
    }
    const std::size_t begin = at;
    while (at < text.size() && idchar(text[at])) {
      ++at;
    }
    const std::string_view converter = text.substr(begin, at - begin);
    const sample_keyword* conv = find_converter(converter);
    if (conv == nullptr && converter.starts_with("lua.")) {
      if (parts != nullptr) {
        parts->converters_.push_back({std::string(converter), {}});
      }
      r.end_ = closing ? std::min(text.find(']'), text.size()) : text.size();
      return r;
    }
    if (conv == nullptr) {
      r.error_ = "unknown converter " + single_quoted(converter);
      const std::string close = closest(converter_table, converter);
      if (!close.empty()) {
        r.hint_ = "did you mean " + single_quoted(close) + "?";
      }
      r.end_ = begin;
      return r;
    }
    if (!conv->added_in_.empty()) {
      r.newer_.push_back("the converter " + single_quoted(converter) + " needs HAProxy " +
                         std::string(conv->added_in_));
    }
    if (!castable(previous, conv->input_)) {
      r.error_ = "converter " + single_quoted(converter) + " cannot be applied";
      return r;
    }
    previous = conv->output_;
    last = converter;
    after_converter = true;
    args.clear();
    if (at < text.size() && text[at] == '(') {
      std::string error;
      if (!argument_list(text, at, args, error)) {
        r.error_ = "syntax error: missing ')' after converter " + single_quoted(converter);
        return r;
      }
    }
    if (conv->arguments_.empty() && !args.empty()) {
      r.error_ = "converter " + single_quoted(converter) + " does not support any args";
      return r;
    }
    if (std::string e = check_arguments(*conv, args, true); !e.empty()) {
      r.error_ = "invalid args in converter " + single_quoted(converter) + " : " + e;
      return r;
    }
    if (names_map_file(converter) && !args.empty() && !args[0].empty()) {
      r.files_.push_back({args[0], "map file"});
    }
    if (parts != nullptr) {
      parts->converters_.push_back({std::string(converter), args});
    }
  }
  r.end_ = at;
  return r;
}

}  // namespace tandem::parsers::haproxy
