// Telling haproxy.cfg from keepalived.conf by content (see language.hpp).
#include "tools/language.hpp"

#include "parsers/haproxy/syntax.hpp"
#include "parsers/keepalived/keywords.hpp"

namespace tandem::tools {

namespace {



bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// A keepalived block opener: a '{' at the start of the line or after a blank. HAProxy's own
// braces ("${VAR}", "%{+Q}o") always follow another character.
bool opens_block(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '{' && (i == 0 || is_blank(line[i - 1]))) {
      return true;
    }
  }
  return false;
}

}  // namespace

config_language detect_language(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    std::size_t i = 0;
    // Blanks, including a pasted no-break space (C2 A0) and a BOM (EF BB BF).
    while (i < line.size()) {
      if (is_blank(line[i])) {
        ++i;
      } else if (line.substr(i).starts_with("\xC2\xA0")) {
        i += 2;
      } else if (line.substr(i).starts_with("\xEF\xBB\xBF")) {
        i += 3;
      } else {
        break;
      }
    }
    line = line.substr(i);
    if (line.empty() || line[0] == '#' || line[0] == '!') {
      continue;
    }
    std::size_t word_end = 0;
    while (word_end < line.size() && !is_blank(line[word_end]) && line[word_end] != '{' &&
           static_cast<unsigned char>(line[word_end]) != 0xC2) {
      ++word_end;
    }
    const std::string_view word = line.substr(0, word_end);
    if (word == "include" ||
        parsers::keepalived::find_keyword(word, parsers::keepalived::context::top) != nullptr ||
        opens_block(line)) {
      return config_language::keepalived;
    }
    if (parsers::haproxy::is_section_keyword(word)) {
      return config_language::haproxy;
    }
  }
  return config_language::unknown;
}

std::string_view language_name(config_language language) {
  switch (language) {
    case config_language::haproxy:
      return "haproxy";
    case config_language::keepalived:
      return "keepalived";
    case config_language::unknown:
      break;
  }
  return "unknown";
}

}  // namespace tandem::tools
