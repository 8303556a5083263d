// The HTTP/1 response reader of the HTTP checks.
#include "runtime/checks/http_response.hpp"

#include <cctype>
#include <charconv>
#include <optional>

namespace tandem::runtime::checks {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The next line of `rest` without its CRLF or LF; nullopt when no line end has arrived.
std::optional<std::string_view> next_line(std::string_view& rest) {
  const std::size_t lf = rest.find('\n');
  if (lf == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view line = rest.substr(0, lf);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  rest.remove_prefix(lf + 1);
  return line;
}

bool digit(char c) {
  return c >= '0' && c <= '9';
}

bool parse_status_line(std::string_view line, http_response& out) {
  // HTTP/x.y SP ddd [SP reason]
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || !digit(line[5]) || line[6] != '.' ||
      !digit(line[7]) || line[8] != ' ') {
    return false;
  }
  const std::string_view code = line.substr(9, 3);
  for (const char c : code) {
    if (!digit(c)) {
      return false;
    }
  }
  if (line.size() > 12 && line[12] != ' ') {
    return false;
  }
  out.status_text_ = code;
  out.status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  out.reason_ = line.size() > 13 ? line.substr(13) : std::string_view();
  return true;
}

// De-chunks `rest` into out.body_; sets complete_ at the last chunk and its trailers.
bool read_chunks(std::string_view rest, http_response& out) {
  while (true) {
    std::optional<std::string_view> size_line = next_line(rest);
    if (!size_line) {
      return true;  // more to come
    }
    std::string_view digits = trim(size_line->substr(0, size_line->find(';')));
    std::size_t size = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
      return false;
    }
    if (size == 0) {
      while (std::optional<std::string_view> trailer = next_line(rest)) {
        if (trailer->empty()) {
          out.complete_ = true;
          break;
        }
      }
      return true;
    }
    if (rest.size() < size) {
      out.body_.append(rest);
      return true;
    }
    out.body_.append(rest.substr(0, size));
    rest.remove_prefix(size);
    std::optional<std::string_view> crlf = next_line(rest);
    if (!crlf) {
      return true;
    }
    if (!crlf->empty()) {
      return false;
    }
  }
}

}  // namespace

http_response parse_http_response(std::string_view data, bool closed) {
  http_response out;
  std::string_view rest = data;
  std::optional<std::string_view> status = next_line(rest);
  if (!status) {
    return out;
  }
  if (!parse_status_line(*status, out)) {
    out.state_ = http_response::state::invalid;
    return out;
  }
  std::optional<std::size_t> content_length;
  bool chunked = false;
  while (true) {
    std::optional<std::string_view> line = next_line(rest);
    if (!line) {
      return out;  // headers not complete yet
    }
    if (line->empty()) {
      break;
    }
    const std::size_t colon = line->find(':');
    const std::string_view name = line->substr(0, colon);
    if (colon == std::string_view::npos || colon == 0 ||
        name.find_first_of(" \t") != std::string_view::npos) {
      out.state_ = http_response::state::invalid;
      return out;
    }
    const std::string_view value = trim(line->substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::size_t n = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size()) {
        out.state_ = http_response::state::invalid;
        return out;
      }
      content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = value.size() >= 7 && iequals(value.substr(value.size() - 7), "chunked");
    }
  }
  out.state_ = http_response::state::headers_done;
  if (out.status_ < 200 || out.status_ == 204 || out.status_ == 304) {
    out.complete_ = true;
  } else if (chunked) {
    if (!read_chunks(rest, out)) {
      out.state_ = http_response::state::invalid;
    }
  } else if (content_length) {
    out.body_ = std::string(rest.substr(0, *content_length));
    out.complete_ = rest.size() >= *content_length;
  } else {
    out.body_ = std::string(rest);
    out.complete_ = closed;
  }
  return out;
}

}  // namespace tandem::runtime::checks
