// Rewrites one haproxy.cfg file in today's syntax (see migrate.hpp).
#include "parsers/haproxy/migrate.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/normalise.hpp"
#include "parsers/haproxy/keywords.hpp"

namespace tandem::parsers::haproxy {

namespace {

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) {
      out += ' ';
    }
    out += w;
  }
  return out;
}

std::string with_comment(std::string text, const line& l) {
  if (l.comment_) {
    text += ' ';
    text += l.comment_->text_;
  }
  return text;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

void raw_words(const line& l, std::size_t from, std::vector<std::string>& out) {
  for (std::size_t i = from; i < l.words_.size(); ++i) {
    if (l.words_[i].split_index_ == 0) {
      out.push_back(l.words_[i].raw_);
    }
  }
}

}  // namespace

std::string migrate_file(const source_registry& sources, const config_file& file) {
  diagnostics ignored;  // the reader already reported the fix-ups
  const std::string normal =
      normalise(sources.file(file.file_).text(), file.file_,
                normalise_options{quote_style::haproxy}, ignored)
          .text_;
  std::vector<std::string_view> texts;
  for (std::size_t start = 0; start <= normal.size();) {
    const std::size_t end = normal.find('\n', start);
    texts.emplace_back(std::string_view(normal).substr(
        start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }

  // Which scope each directive line is read in, and the indentation of each section's lines.
  std::vector<scope> scopes(file.lines_.size(), scope::global);
  std::vector<std::string> bind_after(file.lines_.size());
  for (const section& s : file.sections_) {
    const line* header = file.header(s);
    const scope sc = header != nullptr ? scope_of_section(header->words_[0].value_) : scope::global;
    for (const std::size_t i : s.directives_) {
      scopes[i] = sc;
    }
    if (header != nullptr && sc == scope::proxy && header->words_.size() > 2 &&
        (header->words_[0].value_ == "listen" || header->words_[0].value_ == "frontend") &&
        header->words_[2].value_ != "from") {
      const std::string indentation =
          s.directives_.empty() ? std::string("    ") : file.lines_[s.directives_[0]].indentation_;
      bind_after[s.header_] = indentation + "bind " + header->words_[2].raw_;
    }
  }

  std::string out;
  for (std::size_t i = 0; i < file.lines_.size(); ++i) {
    const line& l = file.lines_[i];
    std::string_view text = i < texts.size() ? texts[i] : std::string_view(l.raw_);
    if (text.ends_with('\r')) {
      text.remove_suffix(1);
    }
    if (i + 1 == file.lines_.size() && text.empty() && l.words_.empty() && !l.comment_ &&
        l.ending_ == line_ending::none) {
      break;  // nothing after the last newline
    }
    std::string result(text);
    if (!bind_after[i].empty()) {
      std::vector<std::string> words{l.words_[0].raw_, l.words_[1].raw_};
      raw_words(l, 3, words);
      result = with_comment(l.indentation_ + join(words), l);
      result += '\n';
      result += bind_after[i];
    } else if (l.active_ && !l.error_ && l.kind_ == line_kind::directive && !l.words_.empty()) {
      std::size_t name_words = 1;
      const keyword_entry* e = find_keyword(scopes[i], l, name_words);
      if (e != nullptr && e->removed()) {
        const std::vector<std::string> modern = modern_words(l, *e, name_words);
        if (!modern.empty()) {
          result = with_comment(l.indentation_ + join(modern), l);
        } else {
          const std::string why =
              e->modern_ == modern_kind::drop
                  ? "no effect since HAProxy " + std::string(e->removed_in_)
                  : "removed in HAProxy " + std::string(e->removed_in_) + ", rewrite as " +
                        std::string(e->replacement_);
          result = l.indentation_ + "# tandem migrate: " + why + ": " +
                   std::string(trim_left(text));
        }
      } else if (e != nullptr &&
                 ((scopes[i] == scope::proxy && (e->name_ == "bind" || e->name_ == "server" ||
                                                 e->name_ == "default-server")) ||
                  (scopes[i] == scope::global && e->name_ == "stats socket"))) {
        // Removed bind/server options ("process 1") are dropped.
        std::vector<std::string> words;
        bool changed = false;
        const std::size_t first = l.first_argument() + (e->name_ == "stats socket" ? 1 : 0);
        raw_words(l, 0, words);
        words.resize(std::min(words.size(), first + (e->name_ == "default-server" ? 0 : 1)));
        const scope os = e->name_ == "bind" || e->name_ == "stats socket" ? scope::bind_option
                                                                          : scope::server_option;
        for (std::size_t w = words.size(); w < l.words_.size(); ++w) {
          const keyword_entry* o = find_option(os, l.words_[w].value_);
          const std::size_t takes = o != nullptr ? o->min_arguments_ : 0;
          if (o != nullptr && o->removed()) {
            changed = true;
            w += takes;
            continue;
          }
          for (std::size_t k = 0; k <= takes && w + k < l.words_.size(); ++k) {
            words.push_back(l.words_[w + k].raw_);
          }
          w += takes;
        }
        if (changed) {
          result = with_comment(l.indentation_ + join(words), l);
        }
      } else if (e != nullptr && e->name_ == "option httpchk" && l.modifier_ == modifier::none &&
                 l.words_.size() >= 5 && l.words_[4].value_.find("\r\n") != std::string::npos) {
        std::string_view v = l.words_[4].value_;
        std::size_t end = v.find("\r\n");
        std::vector<std::string> words{"option", "httpchk", l.words_[2].raw_, l.words_[3].raw_,
                                       quote_word(v.substr(0, end))};
        result = with_comment(l.indentation_ + join(words), l);
        while (end != std::string_view::npos) {
          v.remove_prefix(end + 2);
          end = v.find("\r\n");
          const std::string_view header = v.substr(0, end);
          const std::size_t colon = header.find(':');
          if (colon == std::string_view::npos || colon == 0) {
            continue;
          }
          std::string_view value = header.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') {
            value.remove_prefix(1);
          }
          result += '\n';
          result += l.indentation_ + "http-check send hdr " +
                    quote_word(header.substr(0, colon)) + " " + quote_word(value);
        }
      }
    }
    out += result;
    out += '\n';
  }
  return out;
}

}  // namespace tandem::parsers::haproxy
