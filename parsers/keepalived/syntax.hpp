// The keepalived syntax tree: what the reader (reader.hpp) produces after keepalived's
// preprocessing (comments, includes, @conditions, $definitions, ~SEQ/~LST) and its splitting of
// lines at '{' and '}'. Plain structs, no parser library types, so the keyword table, the model
// builder, `check` and `migrate` all read the same thing. The tree is lossless for the source:
// every word keeps its spelling and position, and comments, definitions, includes and skipped
// conditional lines stay in it as nodes, in reading order.
//
// Its text is views: into the file's own text in the source_registry (which never moves) when
// a word or line is spelled there as it is, else into the tree's text_store. A 100,000-line
// file then costs no string of its own per word, and the tree is a third of the size.
#pragma once

#include <algorithm>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "parsers/common/position.hpp"

namespace tandem::parsers::keepalived {

struct word {
  // What keepalived's word splitter yields: double quotes removed, nothing unescaped (only the
  // keywords that run commands unescape; see split_quoted_escaped in reader.hpp).
  std::string_view value_;
  // The spelling, quotes kept. When !expanded_ this is the source text exactly (an escaped "\#"
  // keeps its backslash here); when expanded_ it is the text after substitution.
  std::string_view raw_;
  // Its first character (the opening quote of a quoted word). For text produced by a $NAME
  // substitution, the position of that '$'.
  source_position position_;
  bool quoted_ = false;    // starts with a double quote
  bool expanded_ = false;  // some of it came from a $definition, ~SEQ/~LST variable or builtin
};

// What few nodes have, kept aside so the node every line makes is smaller (a third of the
// tree's size was these fields, empty).
struct node_extra {
  std::string_view name_;  // definition: the NAME of $NAME=...
  // `@ID` or `@^ID` when the line was a conditional line for this config id (kept for migrate).
  std::string_view condition_;
  // include: the files it read, in glob order.
  std::vector<file_id> included_files_;
};

// The text of a tree that is not spelled that way in its file (substituted words, quotes
// removed from an escaped word, definitions, normalised files): copied into large blocks that
// never move, so views of it stay valid for as long as the tree (or a copy of its store_)
// lives, wherever the tree is moved.
class text_store {
 public:
  std::string_view keep(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > left_) {
      const std::size_t size = std::max<std::size_t>(s.size(), block_size);
      blocks_.emplace_back(new char[size]);
      next_ = blocks_.back().get();
      left_ = size;
    }
    char* const at = next_;
    std::memcpy(at, s.data(), s.size());
    next_ += s.size();
    left_ -= s.size();
    return {at, s.size()};
  }

  // Raw bytes for a block's children (see node_allocator), in blocks that are freed with the
  // store: a malloc per block, most of them on malloc's slow path (a block of ten nodes is
  // more than its thread cache holds), was 4% of reading a large file.
  void* keep_bytes(std::size_t size) {
    constexpr std::size_t align = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
    size = (size + align - 1) & ~(align - 1);
    if (size > bytes_left_) {
      const std::size_t count = std::max(size, byte_block_size);
      byte_blocks_.emplace_back(new std::byte[count]);
      next_byte_ = byte_blocks_.back().get();
      bytes_left_ = count;
    }
    std::byte* const at = next_byte_;
    next_byte_ += size;
    bytes_left_ -= size;
    return at;
  }

  // A node's extra fields, owned here (so copies of a node share them).
  node_extra& new_extra() { return *extras_.emplace_back(std::make_unique<node_extra>()); }

  // The words of a node, copied into blocks of words that never move: a vector per statement
  // was a malloc per line (and its header and padding), a tenth of reading a large file.
  std::span<const word> keep_words(std::span<const word> ws) {
    if (ws.empty()) return {};
    if (ws.size() > words_left_) {
      const std::size_t count = std::max<std::size_t>(ws.size(), word_block_size);
      // Uninitialised bytes: the words are copied in below (they are trivially copyable).
      word_blocks_.emplace_back(new std::byte[count * sizeof(word)]);
      next_word_ = word_blocks_.back().get();
      words_left_ = count;
    }
    std::byte* const at = next_word_;
    std::memcpy(at, ws.data(), ws.size() * sizeof(word));
    next_word_ += ws.size() * sizeof(word);
    words_left_ -= ws.size();
    return {std::launder(reinterpret_cast<const word*>(at)), ws.size()};
  }

 private:
  static constexpr std::size_t block_size = 16384;
  static constexpr std::size_t word_block_size = 1024;
  static_assert(std::is_trivially_copyable_v<word> && std::is_trivially_destructible_v<word>);
  static_assert(alignof(word) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> word_blocks_;
  std::byte* next_word_ = nullptr;
  std::size_t words_left_ = 0;
  std::vector<std::unique_ptr<node_extra>> extras_;
  static constexpr std::size_t byte_block_size = 65536;
  std::vector<std::unique_ptr<std::byte[]>> byte_blocks_;
  std::byte* next_byte_ = nullptr;
  std::size_t bytes_left_ = 0;
};

// The allocator of a node's children: from the tree's text_store when the reader made them
// (nothing is freed until the store is), from the heap otherwise (a default-constructed or
// copied list). It moves with the list, so a list keeps freeing through whatever allocated it.
template <class T>
class node_allocator {
 public:
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using propagate_on_container_copy_assignment = std::false_type;
  using is_always_equal = std::false_type;

  node_allocator() noexcept = default;
  explicit node_allocator(text_store* store) noexcept : store_(store) {}
  template <class U>
  node_allocator(const node_allocator<U>& other) noexcept : store_(other.store()) {}

  T* allocate(std::size_t n) {
    if (store_ == nullptr) return std::allocator<T>{}.allocate(n);
    return static_cast<T*>(store_->keep_bytes(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (store_ == nullptr) std::allocator<T>{}.deallocate(p, n);
  }
  // A copy of a tree's list is the copier's own: it must not grow the tree's store (which a
  // copy of the tree shares, perhaps on another thread).
  node_allocator select_on_container_copy_construction() const noexcept { return {}; }

  text_store* store() const noexcept { return store_; }
  friend bool operator==(const node_allocator& a, const node_allocator& b) noexcept {
    return a.store_ == b.store_;
  }

 private:
  text_store* store_ = nullptr;
};

struct node;
// The items of a block (or of the top level).
using node_list = std::vector<node, node_allocator<node>>;


enum class node_kind : std::uint8_t {
  statement,   // words_, and text_ = the line after substitution (what a keyword handler that
               //   splits it itself, e.g. a script command, reads); with has_block_, the
               //   `{ … }` that followed it is in children_
  comment,     // text_: from the '#' or '!' to the end of the line
  definition,  // `$NAME=VALUE`: name(), text_ = the value (lines of a `\` definition joined by \n)
  skipped,     // an `@ID …` / `@^ID …` line not meant for this config id: text_ = the line
  include,     // `include GLOB` (or includer/m/w/b/a): words_, text_ = the glob pattern
  sequence,  // a `~SEQ(…)` / `~SEQx(…)` / `~LST(…)` line: text_; what it produced follows it
  stray_brace,  // a '}' that closes no block (diagnosed); position_ is the '}'
};

struct node {
  node_kind kind_ = node_kind::statement;
  // The statement came from a ~SEQ/~LST iteration or a multi-line definition, not from a line
  // written as such: migrate reprints the source line instead.
  bool generated_ = false;
  // Blocks. A '{' with no statement before it opens a block of a statement with no words.
  bool has_block_ = false;
  source_position position_;  // first character of the node (a statement's first word)
  // In the tree's text_store (shared by its copies), so a node carries no vector of its own.
  std::span<const word> words_;
  std::string_view text_;
  source_position open_brace_;
  std::optional<source_position> close_brace_;  // nullopt: never closed (diagnosed)
  // What few nodes have (see node_extra), in the tree's text_store; nullptr: none of it.
  const node_extra* extra_ = nullptr;
  node_list children_;

  // The first word's value ("" when there are no words): keywords are case-sensitive.
  std::string_view keyword() const {
    return words_.empty() ? std::string_view{} : words_.front().value_;
  }
  std::string_view name() const { return extra_ ? extra_->name_ : std::string_view{}; }
  std::string_view condition() const { return extra_ ? extra_->condition_ : std::string_view{}; }
  std::span<const file_id> included_files() const {
    return extra_ ? std::span<const file_id>(extra_->included_files_) : std::span<const file_id>{};
  }
};

struct syntax_tree {
  file_id root_file_ = no_file;
  // Where the views of the tree that are not into a source file point, and where its blocks'
  // children are (shared, so a copy of the tree or of a node stays valid too). Declared before
  // items_ so that it is destroyed after them.
  std::shared_ptr<text_store> store_ = std::make_shared<text_store>();
  // Top level, in reading order. Included files are spliced in after their include node, as
  // keepalived reads them (a block may open in one file and close in another).
  node_list items_;
};

}  // namespace tandem::parsers::keepalived
