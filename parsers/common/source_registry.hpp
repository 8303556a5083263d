// The source file registry: loads configuration files (regular files, FIFOs, /dev/stdin; all
// read until end of file), keeps their text and line starts for positions and carets, and
// records which `include` pulled each file in, so diagnostics can show the include chain.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/position.hpp"

namespace tandem::parsers {

class source_file {
 public:
  source_file(file_id id, std::string name, std::string text,
              std::optional<source_position> included_from);

  file_id id() const { return id_; }
  // The path as given to load() (not made absolute: diagnostics show what the user typed).
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }
  const std::optional<source_position>& included_from() const { return included_from_; }

  // Every '\n' starts a new line, so a file ending in a newline has an empty last line (where
  // an end-of-file diagnostic points) and an empty file has one empty line.
  std::uint32_t line_count() const { return static_cast<std::uint32_t>(line_starts_.size()); }
  // Byte offset where 1-based `line` starts; text().size() when out of range.
  std::size_t line_start(std::uint32_t line) const;
  // Text of 1-based `line` without its "\n" or "\r\n"; empty when out of range.
  std::string_view line_text(std::uint32_t line) const;
  // Position of byte `offset` (clamped to the end of the text); the column counts code points.
  source_position position_at(std::size_t offset) const;

 private:
  file_id id_;
  std::string name_;
  std::string text_;
  std::optional<source_position> included_from_;
  std::vector<std::size_t> line_starts_;
};

class source_registry {
 public:
  // Reads the whole file at `path`. On failure adds an error diagnostic (codes::file_not_found
  // or codes::file_unreadable) naming the path, positioned at `included_from` with its include
  // chain when there is one, and returns nullopt. Blocks while a FIFO has no writer.
  std::optional<file_id> load(const std::string& path, diagnostics& diags,
                              std::optional<source_position> included_from = std::nullopt);

  // Registers text that did not come from a file (tests, generated configs).
  // `included_from`, when given, must point into an already registered file.
  file_id add(std::string name, std::string text,
              std::optional<source_position> included_from = std::nullopt);

  bool contains(file_id id) const { return static_cast<std::size_t>(id) < files_.size(); }
  // Precondition: contains(id).
  const source_file& file(file_id id) const;
  std::size_t size() const { return files_.size(); }

  // The positions of the includes that led to `id`, innermost first; empty for a top-level
  // file. Terminates because a file can only be included from one registered before it.
  std::vector<source_position> include_chain(file_id id) const;
  // Sets d.include_chain_ from d.position_ (or, for a position without a file, leaves it).
  void attach_include_chain(diagnostic& d) const;

 private:
  std::vector<std::unique_ptr<source_file>> files_;
};

}  // namespace tandem::parsers
