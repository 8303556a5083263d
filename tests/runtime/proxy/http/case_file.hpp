// Reads the case files shared by message_test.cpp and replay_haproxy.py (request_cases.txt
// explains the format): each case's leading words and the bytes its last field stands for.
#pragma once

#include <fstream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tandem::runtime::proxy::http::testing {

struct file_case {
  std::vector<std::string> words_;
  std::string bytes_;
};

// What GoogleTest prints for a failing case: its name, not its bytes.
inline void PrintTo(const file_case& c, std::ostream* os) {
  *os << c.words_.at(0);
}

inline char escaped(const std::string& text, std::size_t& i) {
  const char c = text.at(i + 1);
  i += 2;
  switch (c) {
    case 'r':
      return '\r';
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case '0':
      return '\0';
    case 'x': {
      const char b = static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16));
      i += 2;
      return b;
    }
    case '\\':
    case '{':
    case '#':
      return c;
    default:
      throw std::runtime_error("bad escape in " + text);
  }
}

inline std::string expand(const std::string& text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '\\') {
      out.push_back(escaped(text, i));
    } else if (text[i] == '{') {
      const std::size_t star = text.find('*', i);
      const int count = std::stoi(text.substr(i + 1, star - i - 1));
      std::vector<std::string> parts;  // "#" stands for the repetition's index
      std::size_t j = star + 1;
      while (text.at(j) != '}') {
        if (text[j] == '\\') {
          parts.emplace_back(1, escaped(text, j));
        } else if (text[j] == '#') {
          parts.emplace_back();
          ++j;
        } else {
          parts.emplace_back(1, text[j++]);
        }
      }
      for (int k = 0; k < count; ++k) {
        for (const std::string& p : parts) {
          out += p.empty() ? std::to_string(k) : p;
        }
      }
      i = j + 1;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

inline std::vector<file_case> read_cases(const std::string& name, std::size_t words) {
  std::ifstream in(std::string(TANDEM_HTTP_CASES) + "/" + name, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + name);
  }
  std::vector<file_case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    file_case c;
    std::size_t at = 0;
    for (std::size_t w = 0; w < words; ++w) {
      const std::size_t space = line.find(' ', at);
      c.words_.push_back(line.substr(at, space - at));
      at = space + 1;
    }
    c.bytes_ = expand(line.substr(at));
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace tandem::runtime::proxy::http::testing
