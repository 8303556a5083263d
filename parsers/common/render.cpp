// gcc-style text and JSON rendering of diagnostics (see render.hpp).
#include "parsers/common/render.hpp"

#include <cstdio>

#include "parsers/common/utf8.hpp"

namespace tandem::parsers {

namespace {

const source_file* file_of(const source_position& where, const source_registry& sources) {
  return where.has_file() && sources.contains(where.file_) ? &sources.file(where.file_) : nullptr;
}

void append_hex4(std::string& out, unsigned value) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\u%04x", value & 0xFFFFU);
  out += buffer;
}

void append_json_position(std::string& out, const source_position& where,
                          const source_registry& sources) {
  const source_file* file = file_of(where, sources);
  out += "\"file\":";
  out += file ? json_quote(file->name()) : "null";
  const bool has_line = file && where.line_ > 0;
  out += ",\"line\":";
  out += has_line ? std::to_string(where.line_) : "null";
  out += ",\"column\":";
  out += has_line && where.column_ > 0 ? std::to_string(where.column_) : "null";
}

}  // namespace

std::string format_location(const source_position& where, const source_registry& sources) {
  const source_file* file = file_of(where, sources);
  if (!file) {
    return {};
  }
  std::string out = file->name();
  if (where.line_ > 0) {
    out += ':' + std::to_string(where.line_);
    if (where.column_ > 0) {
      out += ':' + std::to_string(where.column_);
    }
  }
  return out;
}

std::string caret_line(std::string_view line_text, std::uint32_t column) {
  std::string out;
  std::size_t offset = 0;
  for (std::uint32_t c = 1; c < column; ++c) {
    if (offset < line_text.size()) {
      out += line_text[offset] == '\t' ? '\t' : ' ';
      offset += decode_utf8(line_text, offset).length_;
    } else {
      out += ' ';
    }
  }
  out += '^';
  return out;
}

std::string render_text(const diagnostic& d, const source_registry& sources) {
  std::string out;
  for (std::size_t i = 0; i < d.include_chain_.size(); ++i) {
    out += i == 0 ? "In file included from " : "                 from ";
    out += format_location(d.include_chain_[i], sources);
    out += i + 1 == d.include_chain_.size() ? ":\n" : ",\n";
  }
  if (const std::string location = format_location(d.position_, sources); !location.empty()) {
    out += location + ": ";
  }
  out += severity_name(d.severity_);
  out += ": " + d.message_;
  if (!d.code_.empty()) {
    out += " [" + d.code_ + "]";
  }
  out += '\n';
  const source_file* file = file_of(d.position_, sources);
  if (file && d.position_.line_ > 0 && d.position_.line_ <= file->line_count()) {
    const std::string_view line = file->line_text(d.position_.line_);
    out.append(line);
    out += '\n';
    if (d.position_.column_ > 0) {
      out += caret_line(line, d.position_.column_) + '\n';
    }
  }
  if (d.hint_) {
    out += "  hint: " + *d.hint_ + '\n';
  }
  return out;
}

std::string render_text(const diagnostics& ds, const source_registry& sources) {
  std::string out;
  for (const diagnostic& d : ds) {
    out += render_text(d, sources);
  }
  return out;
}

std::string json_quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const utf8_char ch = decode_utf8(text, i);
    i += ch.length_;
    const char32_t cp = ch.code_point_;
    switch (cp) {
      case U'"':
        out += "\\\"";
        break;
      case U'\\':
        out += "\\\\";
        break;
      case U'\b':
        out += "\\b";
        break;
      case U'\f':
        out += "\\f";
        break;
      case U'\n':
        out += "\\n";
        break;
      case U'\r':
        out += "\\r";
        break;
      case U'\t':
        out += "\\t";
        break;
      default:
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0xFFFF)) {
          append_hex4(out, static_cast<unsigned>(cp));
        } else if (cp > 0xFFFF) {
          const auto v = static_cast<unsigned>(cp) - 0x10000U;
          append_hex4(out, 0xD800U + (v >> 10));
          append_hex4(out, 0xDC00U + (v & 0x3FFU));
        } else {
          out += static_cast<char>(cp);
        }
    }
  }
  out += '"';
  return out;
}

std::string render_json(const diagnostic& d, const source_registry& sources) {
  std::string out = "{\"severity\":";
  out += json_quote(severity_name(d.severity_));
  out += ",\"code\":" + json_quote(d.code_) + ',';
  append_json_position(out, d.position_, sources);
  out += ",\"message\":" + json_quote(d.message_);
  out += ",\"hint\":";
  out += d.hint_ ? json_quote(*d.hint_) : "null";
  out += ",\"include_chain\":[";
  for (std::size_t i = 0; i < d.include_chain_.size(); ++i) {
    out += i == 0 ? "{" : ",{";
    append_json_position(out, d.include_chain_[i], sources);
    out += '}';
  }
  out += "]}";
  return out;
}

std::string render_json(const diagnostics& ds, const source_registry& sources) {
  if (ds.empty()) {
    return "[]\n";
  }
  std::string out = "[\n";
  for (std::size_t i = 0; i < ds.size(); ++i) {
    out += render_json(ds.all()[i], sources);
    out += i + 1 == ds.size() ? "\n" : ",\n";
  }
  out += "]\n";
  return out;
}

}  // namespace tandem::parsers
