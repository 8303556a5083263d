// Errorfile content and stick-table names (see references.hpp).
#include "parsers/haproxy/references.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

#include "parsers/haproxy/builder.hpp"
#include "parsers/haproxy/keywords.hpp"

namespace tandem::parsers::haproxy {

namespace {

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

// The next line without its CRLF/LF; nullopt when no line ends before the end of the text.
std::optional<std::string_view> next_line(std::string_view text, std::size_t& at) {
  const std::size_t lf = text.find('\n', at);
  if (lf == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view l = text.substr(at, lf - at);
  if (l.ends_with('\r')) {
    l.remove_suffix(1);
  }
  at = lf + 1;
  return l;
}

bool equal_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string errorfile_problem(std::string_view content) {
  if (content.empty()) {
    return "";  // HAProxy ignores an empty errorfile
  }
  std::size_t at = 0;
  const std::optional<std::string_view> status = next_line(content, at);
  // "HTTP/1.x NNN[ reason]"
  const bool status_ok = status && status->size() >= 12 && status->starts_with("HTTP/") &&
                         digit((*status)[5]) && (*status)[6] == '.' && digit((*status)[7]) &&
                         (*status)[8] == ' ' && digit((*status)[9]) && digit((*status)[10]) &&
                         digit((*status)[11]) && (status->size() == 12 || (*status)[12] == ' ');
  if (!status_ok) {
    return "unable to parse headers: the first line must be a status line such as "
           "'HTTP/1.0 503 Service Unavailable'";
  }
  std::optional<std::uint64_t> length;
  while (true) {
    const std::optional<std::string_view> l = next_line(content, at);
    if (!l) {
      return "unable to parse headers: they must end with an empty line";
    }
    if (l->empty()) {
      break;
    }
    const std::size_t colon = l->find(':');
    if (colon == 0 || colon == std::string_view::npos ||
        !std::all_of(l->begin(), l->begin() + static_cast<std::ptrdiff_t>(colon), token_char)) {
      return "unable to parse headers: '" + std::string(*l) + "' is not a 'Name: value' header";
    }
    if (equal_nocase(l->substr(0, colon), "content-length")) {
      std::string_view v = l->substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
      }
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
      }
      std::uint64_t n = 0;
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || end != v.data() + v.size()) {
        return "unable to parse headers: invalid content-length '" + std::string(v) + "'";
      }
      length = n;
    }
  }
  const std::size_t body = content.size() - at;
  if (length && *length != body) {
    return "payload size does not match the announced content-length (" +
           std::to_string(body) + " != " + std::to_string(*length) + ")";
  }
  return "";
}

void check_errorfile(const std::string& path, const std::optional<std::string>& content,
                     const source_position& where, diagnostics& diags) {
  if (!content) {
    diags.add(severity::error, codes::bad_errorfile, where,
              "errorfile : error reading file '" + path + "'",
              std::string("an errorfile must be a readable regular file"));
    return;
  }
  if (std::string problem = errorfile_problem(*content); !problem.empty()) {
    diags.add(severity::error, codes::bad_errorfile, where,
              "errorfile : '" + path + "': " + problem,
              std::string("an errorfile is a whole HTTP response: 'HTTP/1.0 503 Service "
                          "Unavailable', headers, an empty line, then the body"));
  }
}

void check_tunable(const directive& d, diagnostics& diags) {
  const auto args = d.arguments();
  if (d.keyword_word().value_ != "tune.bufsize" || args.empty()) {
    return;
  }
  const std::string& v = args[0].value_;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec == std::errc() && end == v.data() + v.size() && n < smallest_bufsize) {
    diags.add(severity::error, codes::buffer_size, args[0].position_,
              "tune.bufsize " + v + " is too small: HAProxy cannot build its default error "
              "messages (\"invalid default message for HTTP return code 405: unable to add "
              "payload into the HTX message\")",
              "use at least " + std::to_string(smallest_bufsize) +
                  " (the default, 16384, is what almost every configuration wants)");
  }
}

void lower_stick_table(const directive& d, builder& b, diagnostics& diags) {
  if (b.proxy_ == nullptr) {
    return;
  }
  words_at kept;
  kept.position_ = d.position();
  for (const word& w : d.line_.words_) {
    kept.words_.push_back(w.value_);
  }
  b.proxy_->other_.push_back(std::move(kept));
  const proxy& p = *b.proxy_;
  if (p.capabilities_ == cap_defaults) {
    return;
  }
  const char* kind = p.capabilities_ == cap_frontend  ? "frontend"
                     : p.capabilities_ == cap_backend ? "backend"
                                                      : "proxy";
  const auto [it, inserted] =
      b.tables_.emplace(p.name_, table_declaration{kind, p.name_, d.position()});
  if (!inserted) {
    const table_declaration& first = it->second;
    diags.add(severity::error, codes::duplicate_table, d.position(),
              "stick-table name '" + p.name_ + "' conflicts with table declared in " +
                  first.kind_ + " '" + first.owner_ + "' at line " +
                  std::to_string(first.position_.line_),
              std::string("a proxy has one stick-table, named after it: keep one 'stick-table' "
                          "line, or declare the others in a backend of their own"));
  }
}

}  // namespace tandem::parsers::haproxy
