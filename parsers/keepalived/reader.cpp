// The keepalived reader (see reader.hpp). A hand-written scanner rather than a grammar: keepalived
// defines its language by a C routine that rewrites one line at a time (strip comments, drop
// @ID lines, record $definitions, expand ~SEQ/~LST, substitute, recognise include, cut the line
// at the first '{' or '}' and feed the rest back in), and each of those steps sees the output of
// the previous one, so a grammar over the file text cannot express it. This follows that
// routine step by step, carrying for every byte of the rewritten line the offset it came from,
// so each word still knows its column.
#include "parsers/keepalived/reader.hpp"

#include <glob.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <optional>
#include <random>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "parsers/common/normalise.hpp"
#include "parsers/common/utf8.hpp"

namespace tandem::parsers::keepalived {

namespace {

namespace fs = std::filesystem;

// What a web page or a Windows editor did to the text (no-break spaces, curly quotes, CRLF) is
// undone first, by the shared normaliser; it keeps every word's line and code-point column, so
// positions found in its output are positions in the file. Its warnings get the include chain.
// The result is `text` itself when the normaliser would change nothing: plain ASCII without
// a CR (nearly every config) has nothing it touches, and copying a large file costs its size
// again in memory and page faults. Otherwise it is the normalised copy, kept in `storage`.
std::string_view prepare_text(std::string_view text, file_id file, const source_registry& sources,
                              diagnostics& diags, std::string& storage) {
  // No early exit, so the compiler vectorises it: a byte at a time this was 5% of reading.
  unsigned char bad = 0;
  for (const char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    bad |= static_cast<unsigned char>((u & 0x80U) | (u == '\r' ? 1U : 0U));
  }
  const bool plain = bad == 0;
  if (plain) {
    return text;
  }
  diagnostics fixes;
  normalised_text n = normalise(text, file, {quote_style::keepalived}, fixes);
  for (diagnostic d : fixes) {
    sources.attach_include_chain(d);
    diags.add(std::move(d));
  }
  storage = std::move(n.text_);
  return storage;
}

// Bits above the byte offset in segment::origin_.
constexpr std::uint32_t expanded_bit = 0x80000000U;   // produced by a substitution
constexpr std::uint32_t protected_bit = 0x40000000U;  // an undefined ${NAME} kept as one word
constexpr std::uint32_t offset_mask = 0x3fffffffU;

// Limits that keep a malicious or mistaken file from running forever (keepalived itself loops
// forever on `$A=$A` and recurses without end on `$A=~SEQ(I,1) $A`).
constexpr std::size_t max_substitutions_per_line = 10000;
constexpr std::size_t max_line_bytes = 1U << 20;
constexpr unsigned max_generation_depth = 64;
constexpr std::size_t max_generated_lines = 5'000'000;
constexpr long max_sequence_values = 1'000'000;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
// keepalived's WHITE_SPACE_STR, the separators of words.
bool is_white(char c) {
  return c == ' ' || c == '\t' || c == '\f' || c == '\n' || c == '\r' || c == '\v';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
  return is_alpha(c) || is_digit(c) || c == '_';
}

// One line as keepalived's read_line rewrites it: its bytes and where each came from.
struct segment {
  std::string text_;
  std::vector<std::uint32_t> origin_;

  void push(char c, std::uint32_t origin) {
    text_.push_back(c);
    origin_.push_back(origin);
  }
  char at(std::size_t i) const { return i < text_.size() ? text_[i] : '\0'; }
  // Becomes bytes [from, to) of `s`, in the buffers it already has.
  void assign(const segment& s, std::size_t from, std::size_t to) {
    text_.assign(s.text_, from, to - from);
    origin_.assign(s.origin_.begin() + static_cast<std::ptrdiff_t>(from),
                   s.origin_.begin() + static_cast<std::ptrdiff_t>(to));
  }
  segment sub(std::size_t from, std::size_t to) const {
    segment s;
    s.text_.assign(text_, from, to - from);
    s.origin_.assign(origin_.begin() + static_cast<std::ptrdiff_t>(from),
                     origin_.begin() + static_cast<std::ptrdiff_t>(to));
    return s;
  }
  void erase_front(std::size_t n) {
    text_.erase(0, n);
    origin_.erase(origin_.begin(), origin_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  void resize(std::size_t n) {
    text_.resize(n);
    origin_.resize(n);
  }
  void trim_back_blanks() {
    std::size_t n = text_.size();
    while (n > 0 && is_blank(text_[n - 1])) {
      --n;
    }
    resize(n);
  }
  // Replaces [from, to) by `value`, every new byte marked as coming from `origin`.
  void replace(std::size_t from, std::size_t to, std::string_view value, std::uint32_t origin) {
    text_.replace(from, to - from, value);
    origin_.erase(origin_.begin() + static_cast<std::ptrdiff_t>(from),
                  origin_.begin() + static_cast<std::ptrdiff_t>(to));
    origin_.insert(origin_.begin() + static_cast<std::ptrdiff_t>(from), value.size(),
                   origin | expanded_bit);
  }
};

struct decommented {
  segment line_;
  std::optional<std::size_t> comment_at_;  // index in the input of the '#' or '!'
  std::optional<std::size_t> open_quote_;  // index in the input of an unterminated '"'
  bool continued_ = false;                 // ended in '\' (kept as the last byte of line_)
};

// keepalived's decomment(): leading blanks go; '#' or '!' outside double quotes ends the line;
// "\#" and "\!" outside quotes lose their backslash; a '\' as the very last byte marks a
// continuation; trailing blanks go. Single quotes do not protect anything. `origin(i)` is where
// byte i of `t` came from; `out` is reused from line to line to spare allocations.
template <typename Origin>
void decomment(std::string_view t, Origin origin, decommented& out) {
  out.comment_at_.reset();
  out.open_quote_.reset();
  out.continued_ = false;
  const std::size_t n = t.size();
  // The output is never longer than the input: write through pointers into buffers sized
  // once, instead of two checked push_backs per byte (this loop sees every byte of the file).
  std::string& text = out.line_.text_;
  std::vector<std::uint32_t>& origins = out.line_.origin_;
  text.resize(n);
  origins.resize(n);
  char* const to_text = text.data();
  std::uint32_t* const to_origin = origins.data();
  std::size_t k = 0;  // bytes written
  const auto push = [&](char c, std::uint32_t o) {
    to_text[k] = c;
    to_origin[k] = o;
    ++k;
  };
  std::size_t i = 0;
  while (i < n && is_blank(t[i])) {
    ++i;
  }
  bool quote = false;
  std::size_t quote_at = 0;
  std::optional<std::size_t> cut;  // index in out.line_ where the comment starts
  for (; i < n; ++i) {
    const char c = t[i];
    if (c != '"' && c != '\\' && c != '!' && c != '#') {
      // A run of ordinary bytes (most of every line) is copied in one go.
      std::size_t j = i + 1;
      while (j < n && t[j] != '"' && t[j] != '\\' && t[j] != '!' && t[j] != '#') {
        ++j;
      }
      std::memcpy(to_text + k, t.data() + i, j - i);
      for (std::size_t m = i; m < j; ++m) {
        to_origin[k++] = origin(m);
      }
      i = j - 1;
      continue;
    }
    if (c == '"') {
      if (!cut) {
        quote = !quote;
        quote_at = i;
      }
    } else if (c == '\\') {
      if (i + 1 < n) {
        if (!quote && (t[i + 1] == '#' || t[i + 1] == '!')) {
          // The backslash's origin, so the word starts (and its raw spelling begins) there.
          push(t[i + 1], origin(i));
        } else {
          push(c, origin(i));
          push(t[i + 1], origin(i + 1));
        }
        ++i;
        continue;
      }
      out.continued_ = true;
      break;
    } else if (!quote && !cut && (c == '!' || c == '#')) {
      cut = k;
      out.comment_at_ = i;
    }
    push(c, origin(i));
  }
  if (quote) {
    out.open_quote_ = quote_at;
  }
  if (cut) {
    k = *cut;
  }
  while (k > 0 && is_blank(to_text[k - 1])) {
    --k;
  }
  if (out.continued_) {
    // The final backslash was not written above, so there is room for it.
    push('\\', origin(n - 1));
  }
  out.line_.resize(k);
}

decommented decomment(const segment& in) {
  decommented out;
  decomment(
      in.text_, [&in](std::size_t i) { return in.origin_[i]; }, out);
  return out;
}

enum class builtin { none, pwd, instance, random, env };

struct definition {
  std::string value_;
  bool multiline_ = false;
  builtin fn_ = builtin::none;
  unsigned max_params_ = 0;
};

// A reference found by find_definition(): `$NAME`, `${NAME}` or `${NAME params}`.
struct reference {
  std::string name_;
  std::size_t end_ = 0;  // one past the reference in the text
  bool braces_ = false;
  std::string params_;  // `_RANDOM 1 10` -> "1 10"; `_ENV HOME` -> "HOME"
  bool allow_multiline_ = false;
};

// include, includer, includem, includew, includeb, includea (keepalived's include_t bits).
enum include_bits : unsigned { inc_r = 1, inc_m = 2, inc_w = 4, inc_b = 8 };

struct file_context {
  file_id id_ = no_file;
  // Normalised: the source file's own text (its registry entry never moves) or storage_.
  std::string_view text_;
  std::string storage_;
  std::string name_;
  std::optional<std::string> pwd_;  // computed when ${_PWD} is first used
  // text_ is plain ASCII (checked once by prepare_text): a column is then an offset.
  bool ascii_ = false;
  std::uint32_t line_ = 0;
  std::size_t line_start_ = 0;
  // Column cache: positions are asked for in increasing order along a line.
  std::size_t cache_offset_ = 0;
  std::uint32_t cache_column_ = 1;
};

class reader {
 public:
  reader(source_registry& sources, const read_options& options, diagnostics& diags)
      : sources_(sources), options_(options), diags_(diags) {
    definitions_["_PWD"] = {"", false, builtin::pwd, 0};
    definitions_["_INSTANCE"] = {"", false, builtin::instance, 0};
    definitions_["_RANDOM"] = {"", false, builtin::random, 2};
    definitions_["_HASH"] = {"#", false, builtin::none, 0};
    definitions_["_BANG"] = {"!", false, builtin::none, 0};
    definitions_["_ENV"] = {"", false, builtin::env, 1};
    frames_.emplace_back();
  }

  syntax_tree run(file_id root) {
    syntax_tree tree;
    tree.store_ = store_;
    tree.root_file_ = root;
    read_one_file(root, 0);
    finish_blocks();
    tree.items_ = std::move(stack_);
    return tree;
  }

 private:
  // An open block: where its items start in stack_. Its statement stays in stack_, just before
  // them (at start_ - 1), until the block closes: moving it into the frame and back was three
  // moves and destructions of a 112-byte node per block.
  struct frame {
    std::size_t start_ = 0;
  };

  // ---- diagnostics and positions -------------------------------------------------------------

  void report(severity s, std::string_view code, source_position where, std::string message,
              std::optional<std::string> hint = std::nullopt) {
    diagnostic d{s, std::string(code), where, std::move(message), std::move(hint), {}};
    sources_.attach_include_chain(d);
    diags_.add(std::move(d));
  }

  // Position of a byte offset of the current line of the current file.
  source_position position_of(std::uint32_t origin) {
    file_context& c = *ctx_;
    std::size_t offset = origin & offset_mask;
    offset = std::clamp(offset, c.line_start_, c.text_.size());
    if (c.ascii_) {
      return {c.id_, c.line_, static_cast<std::uint32_t>(offset - c.line_start_ + 1)};
    }
    if (offset < c.cache_offset_ || c.cache_offset_ < c.line_start_) {
      c.cache_offset_ = c.line_start_;
      c.cache_column_ = 1;
    }
    const std::string_view between =
        std::string_view(c.text_).substr(c.cache_offset_, offset - c.cache_offset_);
    // Plain ASCII (nearly every config) needs no decoding.
    const bool ascii = std::all_of(between.begin(), between.end(),
                                   [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
    c.cache_column_ +=
        static_cast<std::uint32_t>(ascii ? between.size() : count_code_points(between));
    c.cache_offset_ = offset;
    return {c.id_, c.line_, c.cache_column_};
  }

  std::string line_label() const { return "line " + std::to_string(ctx_->line_); }

  // ---- the tree's text ---------------------------------------------------------------------

  std::string_view keep(std::string_view s) { return store_->keep(s); }

  // Bytes [from, to) of `seg` as a view: of the file's text when they are spelled there as
  // they are (nearly always), else of a copy in the store.
  std::string_view view_of(const segment& seg, std::size_t from, std::size_t to) {
    if (from >= to) return {};
    if (spelled_in_file(seg, from, to)) {
      return ctx_->text_.substr(seg.origin_[from] & offset_mask, to - from);
    }
    return keep(std::string_view(seg.text_).substr(from, to - from));
  }

  // Whether bytes [from, to) of `seg` are the file's bytes from the first one's origin on.
  // Bytes that are not substituted come from increasing offsets, one apart unless decomment()
  // dropped the '\' of a "\#" between them, and are the byte at their offset, except such a
  // '#' (or '!'), whose origin is its backslash: a run one apart can only end in one.
  bool spelled_in_file(const segment& seg, std::size_t from, std::size_t to) const {
    const std::uint32_t* o = seg.origin_.data();
    if ((o[from] & ~offset_mask) != 0) return false;
    for (std::size_t k = from + 1; k < to; ++k) {
      if (o[k] != o[k - 1] + 1) return false;
    }
    const std::size_t last = o[to - 1];
    return last < ctx_->text_.size() && ctx_->text_[last] == seg.text_[to - 1];
  }

  // ---- files -----------------------------------------------------------------------------

  void read_one_file(file_id id, unsigned depth) {
    const source_file& f = sources_.file(id);
    file_context ctx;
    ctx.id_ = id;
    ctx.name_ = f.name();
    ctx.text_ = prepare_text(f.text(), id, sources_, diags_, ctx.storage_);
    ctx.ascii_ = ctx.text_.data() == f.text().data();  // unchanged only when plain ASCII
    if (ctx.text_.data() == ctx.storage_.data()) {
      // Words and comments are views of the normalised text: it must outlive this call.
      ctx.text_ = store_->keep(ctx.storage_);
    }
    if (ctx.text_.size() > offset_mask) {
      report(severity::error, codes::runaway_substitution, {id, 0, 0},
             "file is larger than 1 GiB; not read");
      return;
    }
    file_context* const saved = ctx_;
    ctx_ = &ctx;
    const unsigned saved_depth = include_depth_;
    include_depth_ = depth;

    const std::string_view text = ctx.text_;
    std::size_t pos = 0;
    std::uint32_t line = 1;
    for (;;) {
      std::size_t end = find_newline(text, pos);
      const bool last = end == std::string_view::npos;
      if (last) {
        end = text.size();
      }
      std::size_t stop = end;
      while (stop > pos && (text[stop - 1] == '\r' || text[stop - 1] == '\n')) {
        --stop;
      }
      ctx.line_ = line;
      ctx.line_start_ = pos;
      ctx.cache_offset_ = pos;
      ctx.cache_column_ = 1;
      physical_line(pos, stop);
      if (last) {
        break;
      }
      pos = end + 1;
      ++line;
    }
    end_definition();
    include_depth_ = saved_depth;
    ctx_ = saved;
  }

  // text.find('\n', pos), inline: lines are short, and a memchr call per line was a fortieth
  // of the run.
  static std::size_t find_newline(std::string_view text, std::size_t pos) {
    const char* const begin = text.data();
    const char* const end = begin + text.size();
    const char* p = begin + pos;
#ifdef __SSE2__
    const __m128i newline = _mm_set1_epi8('\n');
    for (; end - p >= 16; p += 16) {
      const int m = _mm_movemask_epi8(
          _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), newline));
      if (m != 0) {
        return static_cast<std::size_t>(p - begin) + static_cast<std::size_t>(__builtin_ctz(m));
      }
    }
#endif
    for (; p != end; ++p) {
      if (*p == '\n') return static_cast<std::size_t>(p - begin);
    }
    return std::string_view::npos;
  }

  // ---- one physical line -------------------------------------------------------------------

  void physical_line(std::size_t begin, std::size_t end) {
    if (begin == end) {
      // A truly empty line ends a `\` definition; a line of blanks or a comment does not.
      end_definition();
      return;
    }
    const std::string_view raw = std::string_view(ctx_->text_).substr(begin, end - begin);
    if (!collecting_ && is_plain(raw)) {
      plain_line(raw, begin);
      return;
    }
    const auto origin = [begin](std::size_t i) { return static_cast<std::uint32_t>(begin + i); };
    decommented& d = scratch_;
    decomment(raw, origin, d);

    if (d.open_quote_) {
      report(severity::error, codes::unterminated_quote, position_of(origin(*d.open_quote_)),
             "missing closing '\"': keepalived ignores the rest of the line from this quote",
             "close the string with '\"' on the same line");
    }
    // The comment's node is made after the line's statements; a node (or an optional one)
    // set up for every line, comment or not, was a tenth of reading.
    source_position comment_at;
    std::string_view comment_text;  // a view of the file's text
    if (d.comment_at_) {
      comment_at = position_of(origin(*d.comment_at_));
      comment_text = raw.substr(*d.comment_at_);
      check_swallowed_structure(d, comment_at, comment_text);
    }

    if (collecting_) {
      continue_definition(d.line_);
    } else if (!d.line_.text_.empty()) {
      run_line(d.line_);
    }
    if (d.comment_at_) {
      node& n = stack_.emplace_back();
      n.kind_ = node_kind::comment;
      n.position_ = comment_at;
      n.text_ = comment_text;
    }
  }

  // A line none of keepalived's rewriting steps touches (nearly every line of a large file):
  // no quote, escape, comment, definition or substitution, conditional, ~SEQ, include.
  static bool is_plain(std::string_view raw) {
    // One table lookup per byte instead of seven comparisons; an 'i' is looked at more closely
    // (the start of an `include`, which may follow a brace anywhere on the line).
    static constexpr std::array<std::uint8_t, 256> kind = [] {
      std::array<std::uint8_t, 256> k{};
      for (const char c : std::string_view("\"\\#!$@~")) k[static_cast<unsigned char>(c)] = 1;
      k['i'] = 2;
      return k;
    }();
    const char* const end = raw.data() + raw.size();
    const char* p = raw.data();
#ifdef __SSE2__
    // Sixteen bytes at a time (the last sixteen overlapping what was already looked at), the
    // byte loop only from a block that holds one of the eight: a byte at a time this loop was
    // a seventh of reading.
    if (end - p >= 16) {
      const auto special = [](const char* at) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
        __m128i m = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('#')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('!')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('$')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('@')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('~')));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('i')));
        return _mm_movemask_epi8(m) != 0;
      };
      while (end - p >= 16 && !special(p)) {
        p += 16;
      }
      if (p == end || (end - p < 16 && !special(end - 16))) {
        return true;
      }
    }
#endif
    for (; p != end; ++p) {
      const std::uint8_t k = kind[static_cast<unsigned char>(*p)];
      if (k == 0) continue;
      if (k == 1) return false;
      if (static_cast<std::size_t>(end - p) >= 7 && std::memcmp(p, "include", 7) == 0) {
        return false;
      }
    }
    return true;
  }

  // What decomment(), run_line() and process() make of a plain line, read straight from the
  // file's text: cut at each '{' and '}', each piece's words are views of the file.
  void plain_line(std::string_view raw, std::size_t begin) {
    std::size_t p = 0;
    std::size_t end = raw.size();
    while (p < end && is_blank(raw[p])) {
      ++p;
    }
    while (end > p && is_blank(raw[end - 1])) {
      --end;
    }
    while (p < end) {
      std::size_t brace = p;
      while (brace < end && raw[brace] != '{' && raw[brace] != '}') {
        ++brace;
      }
      if (brace == p) {
        const source_position where = position_of(static_cast<std::uint32_t>(begin + p));
        if (raw[p] == '{') {
          open_block(where);
        } else {
          close_block(where);
        }
        ++p;
        while (p < end && is_blank(raw[p])) {
          ++p;
        }
        continue;
      }
      std::size_t stop = brace;
      while (stop > p && is_blank(raw[stop - 1])) {
        --stop;
      }
      emit_plain(raw.substr(p, stop - p), begin + p);
      p = brace;
    }
  }

  // emit() for a piece of a plain line at byte `offset` of the file.
  void emit_plain(std::string_view text, std::size_t offset) {
    std::vector<word>& words = words_scratch_;
    words.clear();
    std::size_t i = 0;
    for (;;) {
      while (i < text.size() && is_white(text[i])) {
        ++i;
      }
      if (i >= text.size()) {
        break;
      }
      const std::size_t start = i;
      while (i < text.size() && !is_white(text[i])) {
        ++i;
      }
      // Both from one local: value_ read back from raw_ just stored was a store-forwarding
      // stall, a fifth of this function.
      const std::string_view spelled = text.substr(start, i - start);
      word& w = words.emplace_back();
      w.value_ = spelled;
      w.raw_ = spelled;
      w.position_ = position_of(static_cast<std::uint32_t>(offset + start));
    }
    if (words.empty()) {
      return;
    }
    node& n = stack_.emplace_back();
    n.kind_ = node_kind::statement;
    n.position_ = words.front().position_;
    n.words_ = exact_words();
    n.text_ = text;
  }

  // 001's file was flattened onto one line, so its first '#' comment runs to the end of the
  // file and hides every '{' and '}' after it. keepalived says only "missing '}'"; say why.
  void check_swallowed_structure(const decommented& d, source_position at, std::string_view text) {
    if (d.line_.text_.empty() || (d.continued_ && d.line_.text_.size() == 1)) {
      return;  // a comment on a line of its own, e.g. commented-out configuration
    }
    const auto braces = std::count_if(text.begin(), text.end(),
                                      [](char c) { return c == '{' || c == '}'; });
    if (braces == 0) {
      return;
    }
    report(severity::warning, codes::comment_swallows_structure, at,
           "the rest of " + line_label() + " from column " + std::to_string(at.column_) +
               " is a comment: the '" + std::string(text.substr(0, 1)) + "' there hides " + std::to_string(braces) +
               (braces == 1 ? " brace" : " braces") + " ('{' or '}') and everything after it",
           "a comment runs to the end of the line; this file looks flattened onto one line "
           "(copied from a web page?): rebuild it with each statement on its own line, so "
           "every comment ends where its line did");
    if (!swallowed_) swallowed_ = at;
  }

  // ---- definitions -------------------------------------------------------------------------

  // keepalived's check_definition(): `$NAME=VALUE` with NAME of [A-Za-z_][A-Za-z0-9_]* and no
  // blank before '='.
  bool try_definition(const segment& seg) {
    const std::string& t = seg.text_;
    if (t.size() < 2 || t[0] != '$' || !(is_alpha(t[1]) || t[1] == '_')) {
      return false;
    }
    std::size_t p = 2;
    while (p < t.size() && t[p] != '=') {
      if (!is_name_char(t[p])) {
        return false;
      }
      ++p;
    }
    if (p >= t.size()) {
      return false;
    }
    const std::string name = t.substr(1, p - 1);
    std::size_t v = p + 1;
    while (v < t.size() && is_blank(t[v])) {
      ++v;
    }
    std::string value = t.substr(v);
    bool multiline = false;
    if (!value.empty() && value.back() == '\\') {
      value.pop_back();
      while (!value.empty() && is_blank(value.back())) {
        value.pop_back();
      }
      if (!value.empty()) {
        value.push_back('\n');
      }
      multiline = true;
    }
    definition& def = definitions_[name];
    def.value_ = value;
    def.multiline_ = multiline;
    def.fn_ = builtin::none;  // a definition may override a builtin

    if (generation_depth_ == 0) {
      node n;
      n.kind_ = node_kind::definition;
      n.position_ = position_of(seg.origin_[0]);
      n.text_ = keep(value);
      node_extra& extra = store_->new_extra();
      extra.name_ = keep(name);
      extra.condition_ = keep(pending_condition_);
      n.extra_ = &extra;
      add_node(std::move(n));
    }
    if (multiline) {
      collecting_ = name;
      collecting_node_ =
          generation_depth_ == 0 ? std::optional(stack_.size() - 1) : std::nullopt;
    }
    return true;
  }

  void continue_definition(const segment& line) {
    std::string t = line.text_;
    bool more = false;
    if (!t.empty() && t.back() == '\\') {
      t.pop_back();
      while (!t.empty() && is_blank(t.back())) {
        t.pop_back();
      }
      t.push_back('\n');
      more = true;
    }
    definition& def = definitions_[*collecting_];
    if (t.size() >= 2 || (!t.empty() && !more)) {
      def.value_ += t;
      if (collecting_node_ && *collecting_node_ < stack_.size()) {
        stack_[*collecting_node_].text_ = keep(def.value_);
      }
    }
    if (!more) {
      end_definition();
    }
  }

  void end_definition() {
    if (collecting_) {
      definition& def = definitions_[*collecting_];
      if (def.value_.empty()) {
        def.multiline_ = false;
      }
      collecting_.reset();
      collecting_node_.reset();
    }
  }

  // keepalived's find_definition() for the text after a '$' at `at`.
  std::optional<reference> find_reference(const std::string& t, std::size_t at) const {
    reference r;
    std::size_t k = at;
    if (k < t.size() && t[k] == '{') {
      r.braces_ = true;
      ++k;
    }
    if (k >= t.size() || !(is_alpha(t[k]) || t[k] == '_')) {
      return std::nullopt;
    }
    std::size_t j = k + 1;
    while (j < t.size() && is_name_char(t[j])) {
      ++j;
    }
    r.name_ = t.substr(k, j - k);
    const auto found = definitions_.find(r.name_);
    if (found == definitions_.end()) {
      return std::nullopt;
    }
    const definition& def = found->second;
    if (def.fn_ == builtin::env && !r.braces_) {
      return std::nullopt;
    }
    if (r.braces_) {
      if (def.fn_ == builtin::env) {
        // ${_ENV NAME}: the parameter is a variable name, not digits.
        std::size_t p = j;
        while (p < t.size() && t[p] == ' ') {
          ++p;
        }
        const std::size_t name_start = p;
        while (p < t.size() && is_name_char(t[p])) {
          ++p;
        }
        if (p == name_start || p >= t.size() || t[p] != '}') {
          return std::nullopt;
        }
        r.params_ = t.substr(name_start, p - name_start);
        j = p;
      } else {
        // Parameters: blanks and digits, not ending in a blank (${_RANDOM 1 10}).
        std::size_t p = j;
        std::optional<std::size_t> first;
        std::size_t last = 0;
        while (p < t.size() && (t[p] == ' ' || is_digit(t[p]))) {
          if (t[p] != ' ') {
            if (!first) {
              first = p;
            }
            last = p;
          }
          ++p;
        }
        if (first && last + 1 != p) {
          return std::nullopt;
        }
        if (p >= t.size() || t[p] != '}') {
          return std::nullopt;
        }
        if (first) {
          if (def.max_params_ == 0) {
            return std::nullopt;
          }
          r.params_ = t.substr(*first, last + 1 - *first);
        }
        j = p;
      }
      r.end_ = j + 1;
      r.allow_multiline_ = r.end_ == t.size();
    } else {
      const char c = j < t.size() ? t[j] : '\0';
      if (c != ' ' && c != '\t' && c != ',' && c != ')' && c != '\0') {
        return std::nullopt;
      }
      r.end_ = j;
      r.allow_multiline_ = j == t.size();
    }
    if (def.multiline_ && !r.allow_multiline_) {
      return std::nullopt;
    }
    return r;
  }

  std::string builtin_value(const definition& def, const reference& r, std::uint32_t origin) {
    switch (def.fn_) {
      case builtin::none:
        return def.value_;
      case builtin::pwd:
        return pwd();
      case builtin::instance:
        return options_.config_id_;
      case builtin::random: {
        unsigned long min = 0;
        unsigned long max = 32767;
        if (!r.params_.empty()) {
          char* endp = nullptr;
          min = std::strtoul(r.params_.c_str(), &endp, 10);
          if (endp != nullptr && *endp != '\0') {
            max = std::strtoul(endp, &endp, 10);
          }
        }
        if (max < min) {
          std::swap(min, max);
        }
        return std::to_string(random(min, max));
      }
      case builtin::env: {
        const auto it = options_.environment_.find(r.params_);
        report(severity::warning, codes::env_builtin, position_of(origin),
               "keepalived 2.2.7 does not know ${_ENV " + r.params_ +
                   "}: it reads it literally; Tandem takes " + r.params_ + " from the environment" +
                   (it == options_.environment_.end() ? " (not set: empty)" : ""),
               "for keepalived 2.2.7, write the value, or define it with $NAME=value");
        return it == options_.environment_.end() ? std::string() : it->second;
      }
    }
    return def.value_;
  }

  unsigned long random(unsigned long min, unsigned long max) {
    if (options_.random_) {
      return options_.random_(min, max);
    }
    std::uniform_int_distribution<unsigned long> dist(min, max);
    return dist(rng_);
  }

  const std::string& pwd() {
    if (!ctx_->pwd_) {
      std::error_code ec;
      fs::path dir = fs::path(ctx_->name_).parent_path();
      fs::path abs = dir.empty() ? fs::current_path(ec) : fs::absolute(dir, ec);
      std::string s = abs.lexically_normal().string();
      while (s.size() > 1 && s.back() == '/') {
        s.pop_back();
      }
      ctx_->pwd_ = std::move(s);
    }
    return *ctx_->pwd_;
  }

  // keepalived's replace_param(): substitutes every defined $NAME / ${NAME}, rescanning what it
  // inserted (so substitution is recursive, done at use time). A multi-line definition puts
  // its first line here and its other lines in front of `pending`. Returns whether anything
  // was replaced; nullopt when it ran away.
  std::optional<bool> substitute(segment& seg, std::vector<segment>& pending) {
    bool found = false;
    std::size_t count = 0;
    std::size_t i = 0;
    while ((i = seg.text_.find('$', i)) != std::string::npos && i + 1 < seg.text_.size()) {
      if ((seg.origin_[i] & protected_bit) != 0) {
        ++i;
        continue;
      }
      const std::optional<reference> r = find_reference(seg.text_, i + 1);
      if (!r) {
        ++i;
        continue;
      }
      const std::uint32_t origin = seg.origin_[i] & ~expanded_bit;
      if (++count > max_substitutions_per_line || seg.text_.size() > max_line_bytes) {
        report(severity::error, codes::runaway_substitution, position_of(origin),
               "substitution does not end (a definition that refers to itself?)",
               "keepalived 2.2.7 hangs or truncates this line");
        return std::nullopt;
      }
      found = true;
      const definition& def = definitions_.at(r->name_);
      std::string value = builtin_value(def, *r, origin);
      if (def.multiline_) {
        const std::size_t nl = value.find('\n');
        std::vector<segment> rest;
        if (nl != std::string::npos) {
          std::size_t from = nl + 1;
          while (from <= value.size()) {
            std::size_t to = value.find('\n', from);
            if (to == std::string::npos) {
              to = value.size();
            }
            segment line;
            line.text_ = value.substr(from, to - from);
            line.origin_.assign(line.text_.size(), origin | expanded_bit);
            rest.push_back(std::move(line));
            if (to == value.size()) {
              break;
            }
            from = to + 1;
          }
          value.resize(nl);
        }
        pending.insert(pending.begin(), std::make_move_iterator(rest.begin()),
                       std::make_move_iterator(rest.end()));
      }
      seg.replace(i, r->end_, value, origin);
      const std::size_t lead = value.find_first_not_of(" \t");
      if (lead != std::string::npos && value[lead] == '~') {
        break;  // a ~SEQ held in a definition: processed as a new line
      }
    }
    return found;
  }

  // An undefined ${NAME} outside double quotes: keepalived leaves it as text, and then cuts
  // the line at its braces, so `priority ${PRIORITY}` becomes `priority $`, `{`, `PRIORITY`,
  // `}`. 004's file was meant to be filled in by a shell; take the value from the environment
  // when it is there (warning), else report it (error) and keep it as one word.
  void resolve_undefined(segment& seg) {
    if (seg.text_.find("${") == std::string::npos) {
      return;
    }
    bool quote = false;
    std::size_t i = 0;
    while (i < seg.text_.size()) {
      const char c = seg.text_[i];
      if (c == '"') {
        quote = !quote;
        ++i;
        continue;
      }
      if (quote || c != '$' || seg.at(i + 1) != '{' || (seg.origin_[i] & protected_bit) != 0) {
        ++i;
        continue;
      }
      std::size_t j = i + 2;
      if (!(is_alpha(seg.at(j)) || seg.at(j) == '_')) {
        ++i;
        continue;
      }
      while (is_name_char(seg.at(j))) {
        ++j;
      }
      if (seg.at(j) != '}') {
        ++i;
        continue;
      }
      const std::string name = seg.text_.substr(i + 2, j - i - 2);
      if (definitions_.count(name) != 0) {
        ++i;  // defined, but not usable here (a multi-line definition mid-line)
        continue;
      }
      const std::uint32_t origin = seg.origin_[i] & ~expanded_bit;
      const source_position where = position_of(origin);
      const std::string ref = "${" + name + "}";
      const auto env = options_.environment_.find(name);
      if (env != options_.environment_.end()) {
        report(severity::warning, codes::variable_from_environment, where,
               "'" + ref + "' is not defined in the configuration; using " + name + "=" +
                   env->second + " from the environment",
               "keepalived 2.2.7 does not read the environment and would read '$', '{', '" + name +
                   "', '}' here; define it in the file before " + line_label() + ": $" + name +
                   "=" + env->second);
        seg.replace(i, j + 1, env->second, origin);
        i += env->second.size();
      } else {
        report(severity::error, codes::undefined_variable, where,
               "'" + ref + "' is not defined: keepalived would read it literally, as '$', '{', '" +
                   name + "', '}'",
               "define it before " + line_label() + " with a line $" + name + "=VALUE, or set " +
                   name + " in the environment");
        for (std::size_t k = i; k <= j; ++k) {
          seg.origin_[k] |= protected_bit;
        }
        i = j + 1;
      }
    }
  }

  // ---- ~SEQ and ~LST ---------------------------------------------------------------------

  struct sequence {
    std::vector<std::string> vars_;
    std::vector<std::vector<std::string>> values_;  // one row of vars_.size() values per pass
    std::size_t rest_ = 0;                          // where the repeated text starts
  };

  std::optional<sequence> parse_seq(const segment& seg, const source_position& where) {
    const std::string& t = seg.text_;
    const auto fail = [&](const std::string& why) -> std::optional<sequence> {
      report(severity::error, codes::invalid_sequence, where, "invalid ~SEQ specification: " + why,
             "the form is ~SEQ(VAR, START, STEP, END), ~SEQ(VAR, START, END) or ~SEQ(VAR, END)");
      return std::nullopt;
    };
    std::size_t p = 4;
    const bool hex = seg.at(p) == 'x';
    if (hex) {
      ++p;
    }
    while (is_blank(seg.at(p))) {
      ++p;
    }
    if (seg.at(p) != '(') {
      return fail("'(' expected");
    }
    ++p;
    while (is_blank(seg.at(p))) {
      ++p;
    }
    const std::size_t var = p;
    while (p < t.size() && !is_blank(t[p]) && t[p] != ',' && t[p] != ')') {
      ++p;
    }
    const std::size_t var_end = p;
    while (is_blank(seg.at(p))) {
      ++p;
    }
    if (p >= t.size() || t[p] == ')' || var_end == var) {
      return fail("a variable and a ',' expected");
    }
    ++p;
    while (is_blank(seg.at(p))) {
      ++p;
    }
    const std::size_t close = t.find(')', p);
    if (close == std::string::npos) {
      return fail("')' expected");
    }
    if (close + 1 - p + 1 > 64) {
      return fail("parameters too long");
    }
    // Definitions may be used in the numbers.
    segment params = seg.sub(p, close + 1);
    std::vector<segment> pending;
    static_cast<void>(substitute(params, pending));  // a runaway is reported there
    if (!pending.empty()) {
      return fail("a parameter is a multi-line definition");
    }
    const char* s = params.text_.c_str();
    char* e = nullptr;
    long start = 0;
    long step = 0;
    long end = 0;
    const auto skip = [&](const char* q) {
      while (*q == ' ' || *q == '\t') {
        ++q;
      }
      return q;
    };
    const long one = std::strtol(s, &e, 0);
    const char* q = skip(e);
    if (*q == ')') {
      end = one;
      step = end < 1 ? -1 : 1;
      start = end < 0 ? -1 : 1;
    } else if (*q != ',') {
      return fail("',' or ')' expected after '" + std::string(s, static_cast<std::size_t>(q - s)) +
                  "'");
    } else {
      const long two = std::strtol(q + 1, &e, 0);
      q = skip(e);
      if (*q == ')') {
        start = one;
        end = two;
        step = start <= end ? 1 : -1;
      } else if (*q != ',') {
        return fail("',' or ')' expected");
      } else {
        const long three = std::strtol(q + 1, &e, 0);
        q = skip(e);
        if (*q != ')') {
          return fail("')' expected");
        }
        start = one;
        step = two;
        end = three;
        if (step == 0 || (start < end && step < 0) || (start > end && step > 0)) {
          return fail("the step does not lead from start to end");
        }
      }
    }
    if (hex && (start < 0 || end < 0)) {
      return fail("~SEQx is only valid for positive numbers");
    }
    sequence out;
    out.vars_.push_back(t.substr(var, var_end - var));
    long count = 0;
    for (long v = start;; v += step) {
      if (++count > max_sequence_values) {
        return fail("more than " + std::to_string(max_sequence_values) + " values");
      }
      char buf[32];
      if (hex) {
        std::snprintf(buf, sizeof buf, "%lx", static_cast<unsigned long>(v));
      } else {
        std::snprintf(buf, sizeof buf, "%ld", v);
      }
      out.values_.push_back({buf});
      if ((step > 0 && v > LONG_MAX - step) || (step < 0 && v < LONG_MIN - step)) {
        break;
      }
      const long next = v + step;
      if ((step > 0 && next > end) || (step < 0 && next < end)) {
        break;
      }
    }
    std::size_t r = close + 1;
    while (is_blank(seg.at(r))) {
      ++r;
    }
    out.rest_ = r;
    return out;
  }

  std::optional<sequence> parse_lst(const segment& seg, const source_position& where) {
    const std::string& t = seg.text_;
    const auto fail = [&](const std::string& why) -> std::optional<sequence> {
      report(severity::error, codes::invalid_sequence, where, "invalid ~LST specification: " + why,
             "the form is ~LST(VAR, V1, V2, ...) or ~LST({VAR1, VAR2}, {V1, V2}, ...)");
      return std::nullopt;
    };
    const auto blanks = [&](std::size_t p) {
      while (is_blank(seg.at(p))) {
        ++p;
      }
      return p;
    };
    const auto upto = [&](std::size_t p, std::string_view stops) {
      while (p < t.size() && stops.find(t[p]) == std::string_view::npos) {
        ++p;
      }
      return p;
    };
    sequence out;
    std::size_t p = blanks(4);
    if (seg.at(p) != '(') {
      return fail("'(' expected");
    }
    p = blanks(p + 1);
    char end_char = ',';
    if (seg.at(p) == '{') {
      end_char = '}';
      p = blanks(p + 1);
    }
    for (;;) {
      const std::size_t v = p;
      p = upto(p, " \t,}");
      out.vars_.push_back(t.substr(v, p - v));
      p = blanks(p);
      if (seg.at(p) == end_char) {
        break;
      }
      if (seg.at(p) != ',') {
        return fail("',' expected between variables");
      }
      p = blanks(p + 1);
    }
    if (seg.at(p) == '}') {
      p = blanks(p + 1);
    }
    if (seg.at(p) != ',') {
      return fail("',' expected after the variables");
    }
    p = blanks(p + 1);
    for (;;) {
      end_char = ',';
      if (seg.at(p) == '{') {
        end_char = '}';
        p = blanks(p + 1);
      }
      std::vector<std::string> row;
      for (;;) {
        const std::size_t v = p;
        p = upto(p, " \t,})");
        row.push_back(t.substr(v, p - v));
        p = blanks(p);
        if (seg.at(p) == end_char || (seg.at(p) == ')' && end_char == ',')) {
          break;
        }
        if (seg.at(p) != ',') {
          return fail("',' expected between values");
        }
        p = blanks(p + 1);
        if (row.size() >= out.vars_.size()) {
          return fail("too many values for the variables");
        }
      }
      row.resize(out.vars_.size());  // missing values are empty
      out.values_.push_back(std::move(row));
      if (seg.at(p) == '}' && end_char == '}') {
        p = blanks(p + 1);
      }
      if (seg.at(p) == ')') {
        break;
      }
      if (seg.at(p) != ',') {
        return fail("',' or ')' expected after a value");
      }
      p = blanks(p + 1);
    }
    out.rest_ = blanks(p + 1);
    return out;
  }

  // ---- the line pipeline -----------------------------------------------------------------

  static bool starts_with(const std::string& t, std::string_view prefix) {
    return t.compare(0, prefix.size(), prefix) == 0;
  }

  // keepalived's is_include(): the word include, includer/m/w/b/a, then white space.
  static std::optional<unsigned> include_kind(const std::string& t) {
    if (!starts_with(t, "include") || t.size() <= 7) {
      return std::nullopt;
    }
    if (is_white(t[7])) {
      return 0U;
    }
    if (t.size() > 8 && is_white(t[8])) {
      switch (t[7]) {
        case 'r':
          return unsigned{inc_r};
        case 'm':
          return unsigned{inc_r | inc_m};
        case 'w':
          return unsigned{inc_r | inc_m | inc_w};
        case 'b':
          return unsigned{inc_r | inc_b};
        case 'a':
          return unsigned{inc_r | inc_m | inc_w | inc_b};
        default:
          break;
      }
    }
    return std::nullopt;
  }

  // One logical line: the body of keepalived's read_line() after a line has been obtained.
  // `seg` is used up (it is the caller's scratch buffer, kept to spare allocations).
  void run_line(segment& seg) {
    // The rest of a line after a '{' or '}' is fed back in as a line of its own; a loop rather
    // than recursion, as a flattened file can hold thousands of braces.
    std::vector<std::vector<segment>> pendings;
    for (;;) {
      std::vector<segment> pending;
      const bool residue = process(seg, pending, residue_);
      if (!pending.empty()) {
        pendings.push_back(std::move(pending));
      }
      if (!residue) {
        break;
      }
      // Both keep their buffers: a line with a brace allocates nothing.
      std::swap(seg, residue_);
    }
    // Lines of multi-line definitions, innermost first, as keepalived's multiline stack.
    for (auto it = pendings.rbegin(); it != pendings.rend(); ++it) {
      for (segment& line : *it) {
        generated(std::move(line));
      }
    }
  }

  // Runs a line that a ~SEQ/~LST pass or a multi-line definition produced.
  void generated(segment seg) {
    if (generation_depth_ >= max_generation_depth || generated_lines_ >= max_generated_lines) {
      if (!runaway_reported_) {
        runaway_reported_ = true;
        report(severity::error, codes::runaway_substitution,
               position_of(seg.origin_.empty() ? 0 : seg.origin_[0]),
               "expansion does not end (a ~SEQ or definition that expands to itself?)");
      }
      return;
    }
    ++generated_lines_;
    ++generation_depth_;
    run_line(seg);
    --generation_depth_;
  }

  // Whether there is a residue after a brace; it is then in `residue`. (run_line passes its
  // residue_, which nothing else uses between this filling it and run_line taking it.)
  bool process(segment& seg, std::vector<segment>& pending, segment& residue) {
    pending_condition_.clear();
    bool substituted = false;
    for (bool recheck = true; recheck;) {
      recheck = false;
      if (seg.at(0) == '@') {
        if (!conditional(seg, substituted)) {
          return false;
        }
      }
      if (seg.at(0) == '$' && try_definition(seg)) {
        return false;
      }
      if (seg.at(0) == '~' && (starts_with(seg.text_, "~SEQ") || starts_with(seg.text_, "~LST"))) {
        run_sequence(seg);
        return false;
      }
      if (seg.at(0) == '~') {
        break;
      }
      if (seg.text_.find('$') != std::string::npos) {
        const std::optional<bool> replaced = substitute(seg, pending);
        if (!replaced) {
          return false;
        }
        if (!*replaced) {
          break;
        }
        substituted = true;
        decommented d = decomment(seg);
        if (d.open_quote_ && (seg.origin_[*d.open_quote_] & expanded_bit) != 0) {
          report(severity::error, codes::unterminated_quote,
                 position_of(seg.origin_[*d.open_quote_]),
                 "missing closing '\"' in the substituted text");
        }
        seg = std::move(d.line_);
        recheck = seg.at(0) == '@' || seg.text_.find('$') != std::string::npos;
      }
    }
    if (seg.text_.empty()) {
      return false;
    }
    if (const auto kind = seg.at(0) == 'i' ? include_kind(seg.text_) : std::nullopt) {
      include(seg, *kind);
      return false;
    }
    resolve_undefined(seg);

    // Cut at the first '{' or '}' outside double quotes.
    std::optional<std::size_t> brace;
    const std::string& t = seg.text_;
    if (t[0] == '{' || t[0] == '}') {
      brace = 0;
    } else {
      for (std::size_t i = 0; i < t.size(); ++i) {
        if ((seg.origin_[i] & protected_bit) != 0) {
          continue;
        }
        if (t[i] == '"') {
          const std::size_t close = t.find('"', i + 1);
          if (close == std::string::npos) {
            break;
          }
          i = close;
        } else if (t[i] == '{' || t[i] == '}') {
          brace = i;
          break;
        }
      }
    }
    bool has_residue = false;
    if (brace) {
      std::size_t skip = 0;
      if (*brace == 0) {
        skip = 1;
        while (is_blank(seg.at(skip))) {
          ++skip;
        }
      }
      if (*brace + skip < t.size()) {
        residue.assign(seg, *brace + skip, t.size());
        residue.trim_back_blanks();
        has_residue = true;
        seg.resize(*brace + skip);
      }
    }
    seg.trim_back_blanks();
    emit(seg);
    return has_residue;
  }

  // `@ID line` / `@^ID line`. Returns false when the line is dropped.
  bool conditional(segment& seg, bool substituted) {
    const std::string& t = seg.text_;
    const bool negate = seg.at(1) == '^';
    const std::size_t ofs = negate ? 2 : 1;
    std::size_t sp = ofs;
    while (sp < t.size() && !is_blank(t[sp])) {
      ++sp;
    }
    const bool matches = sp < t.size() && t.compare(ofs, sp - ofs, options_.config_id_) == 0 &&
                         sp - ofs == options_.config_id_.size();
    if (sp >= t.size() || matches == negate) {
      if (generation_depth_ == 0) {
        node n;
        n.kind_ = node_kind::skipped;
        n.position_ = position_of(seg.origin_[0]);
        n.text_ = keep(t);
        node_extra& extra = store_->new_extra();
        extra.condition_ = n.text_.substr(0, sp);
        n.extra_ = &extra;
        add_node(std::move(n));
      }
      return false;
    }
    if (substituted) {
      report(severity::warning, codes::conditional_from_definition, position_of(seg.origin_[0]),
             "keepalived 2.2.7 garbles a conditional line that comes from a substitution (it "
             "removes the '" +
                 t.substr(0, sp) + "' by the length of the line before substitution)",
             "write the @ID condition on the line itself rather than in a $definition");
    }
    pending_condition_ = t.substr(0, sp);
    while (sp < t.size() && is_blank(t[sp])) {
      ++sp;
    }
    seg.erase_front(sp);
    return true;
  }

  void run_sequence(const segment& seg) {
    const source_position where = position_of(seg.origin_[0]);
    if (generation_depth_ == 0) {
      node n;
      n.kind_ = node_kind::sequence;
      n.position_ = where;
      n.text_ = view_of(seg, 0, seg.text_.size());
      note_condition(n);
      add_node(std::move(n));
    }
    const std::optional<sequence> s =
        seg.text_[1] == 'S' ? parse_seq(seg, where) : parse_lst(seg, where);
    if (!s) {
      return;
    }
    const segment rest = seg.sub(std::min(s->rest_, seg.text_.size()), seg.text_.size());
    for (const auto& row : s->values_) {
      for (std::size_t v = 0; v < s->vars_.size(); ++v) {
        definition& def = definitions_[s->vars_[v]];
        def.value_ = row[v];
        def.multiline_ = false;
        def.fn_ = builtin::none;
      }
      if (!rest.text_.empty()) {
        generated(rest);
      }
      if (runaway_reported_) {
        return;
      }
    }
  }

  // ---- words and the tree ------------------------------------------------------------------

  // keepalived's alloc_strvec(): words split at white space; a '"' starts a word that runs to
  // the next '"' (quotes removed, nothing unescaped); a '"' also ends an unquoted word.
  std::span<const word> split_words(const segment& seg) {
    split_words_into_scratch(seg);
    return exact_words();
  }

  // The words split_words_into_scratch() left in the scratch buffer, copied into the tree's
  // store at exactly their number.
  std::span<const word> exact_words() { return store_->keep_words(words_scratch_); }

  // Splits into words_scratch_, reused from line to line.
  void split_words_into_scratch(const segment& seg) {
    std::vector<word>& words = words_scratch_;
    words.clear();
    const std::string& t = seg.text_;
    std::size_t i = 0;
    for (;;) {
      while (i < t.size() && is_white(t[i])) {
        ++i;
      }
      if (i >= t.size()) {
        break;
      }
      const std::size_t start = i;
      // Filled in place: a word built aside and moved in was a store-forwarding stall.
      word& w = words.emplace_back();
      if (t[i] == '"') {
        const std::size_t close = t.find('"', i + 1);
        if (close == std::string::npos) {
          words.pop_back();
          if ((seg.origin_[i] & expanded_bit) != 0) {
            report(severity::error, codes::unterminated_quote, position_of(seg.origin_[i]),
                   "missing closing '\"' in the substituted text");
          }
          break;
        }
        w.quoted_ = true;
        i = close + 1;
      } else {
        while (i < t.size() && !is_white(t[i]) && t[i] != '"') {
          ++i;
        }
      }
      w.expanded_ = std::any_of(seg.origin_.begin() + static_cast<std::ptrdiff_t>(start),
                                seg.origin_.begin() + static_cast<std::ptrdiff_t>(i),
                                [](std::uint32_t o) { return (o & expanded_bit) != 0; });
      if (w.expanded_) {
        w.raw_ = keep(std::string_view(t).substr(start, i - start));
        w.value_ = w.quoted_ ? w.raw_.substr(1, w.raw_.size() - 2) : w.raw_;
      } else {
        const std::size_t from = seg.origin_[start] & offset_mask;
        const std::size_t to = (seg.origin_[i - 1] & offset_mask) + 1;
        w.raw_ = ctx_->text_.substr(from, to - from);
        w.value_ = w.quoted_ ? view_of(seg, start + 1, i - 1) : view_of(seg, start, i);
      }
      w.position_ = position_of(seg.origin_[start]);
    }
  }

  void emit(const segment& seg) {
    // A brace line (a third of a typical file) is looked at in the scratch buffer and needs
    // no vector of its own.
    split_words_into_scratch(seg);
    const std::vector<word>& words = words_scratch_;
    if (words.empty()) {
      return;
    }
    if (words.size() == 1 && !words[0].quoted_ &&
        (words[0].value_ == "{" || words[0].value_ == "}")) {
      if (words[0].value_ == "{") {
        open_block(words[0].position_);
      } else {
        close_block(words[0].position_);
      }
      return;
    }
    // Built in place: a node is large, and moving it in costs as much as filling it.
    node& n = stack_.emplace_back();
    n.kind_ = node_kind::statement;
    n.position_ = words.front().position_;
    n.words_ = exact_words();
    n.text_ = view_of(seg, 0, seg.text_.size());
    note_condition(n);
    n.generated_ = generation_depth_ > 0;
  }

  void add_node(node n) { stack_.push_back(std::move(n)); }

  // The @ID of the conditional line being processed, if it was one, kept with the node.
  // Returns the node's extra fields when it made them.
  node_extra* note_condition(node& n) {
    if (pending_condition_.empty()) return nullptr;
    node_extra& extra = store_->new_extra();
    extra.condition_ = keep(pending_condition_);
    n.extra_ = &extra;
    return &extra;
  }

  // The items of the innermost open block, moved out of stack_ into a vector of exactly their
  // number (a node keeps its children for the whole run: spare capacity would stay allocated).
  node_list take_items(std::size_t start) {
    node_list items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(start)),
                    std::make_move_iterator(stack_.end()), node_allocator<node>(store_.get()));
    stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(start), stack_.end());
    return items;
  }

  // A '{' opens the block of the statement just before it (comments between them move into
  // the block). keepalived accepts the '{' on the keyword's line or on the next one.
  void open_block(source_position where) {
    const std::size_t base = frames_.back().start_;
    node_list& items = stack_;
    std::size_t i = items.size();
    while (i > base && items[i - 1].kind_ == node_kind::comment) {
      --i;
    }
    node* owner = nullptr;
    if (i > base && items[i - 1].kind_ == node_kind::statement && !items[i - 1].has_block_) {
      // The comments after it are already where the first items of its block go.
      owner = &items[i - 1];
    } else {
      report(severity::error, codes::unexpected_open_brace, where,
             "'{' with no keyword before it: keepalived ignores it (\"Unexpected '{'\")");
      owner = &items.emplace_back();
      owner->kind_ = node_kind::statement;
      owner->position_ = where;
      owner->generated_ = generation_depth_ > 0;
      i = items.size();
    }
    owner->has_block_ = true;
    owner->open_brace_ = where;
    frames_.push_back(frame{i});
  }

  void close_block(source_position where) {
    if (frames_.size() == 1) {
      report(severity::error, codes::stray_close_brace, where,
             "'}' closes no block (keepalived: \"Extra '}' found\")",
             "remove it, or add the '{' that should open its block");
      node& n = stack_.emplace_back();
      n.kind_ = node_kind::stray_brace;
      n.position_ = where;
      n.generated_ = generation_depth_ > 0;
      return;
    }
    const std::size_t start = frames_.back().start_;
    frames_.pop_back();
    node_list children = take_items(start);
    node& owner = stack_[start - 1];
    owner.children_ = std::move(children);
    owner.close_brace_ = where;
  }

  void finish_blocks() {
    while (frames_.size() > 1) {
      const std::size_t start = frames_.back().start_;
      frames_.pop_back();
      node& owner = stack_[start - 1];
      const source_position open = owner.open_brace_;
      std::string what;
      for (const word& w : owner.words_) {
        if (!what.empty()) what += ' ';
        what += w.raw_;
      }
      const std::string file =
          sources_.contains(open.file_) ? sources_.file(open.file_).name() : std::string("?");
      diagnostic d{severity::error,
                   std::string(codes::unclosed_block),
                   open,
                   "the block " + (what.empty() ? std::string() : "of '" + what + "' ") +
                       "opened on line " + std::to_string(open.line_) + " of " + file +
                       " is never closed",
                   swallowed_ ? "its '}' is probably inside the comment that starts on line " +
                                    std::to_string(swallowed_->line_) + " at column " +
                                    std::to_string(swallowed_->column_) +
                                    ": rebuild the file with each statement on its own line"
                              : std::string("add the '}' that ends it"),
                   {}};
      sources_.attach_include_chain(d);
      diags_.add(std::move(d));
      node_list children = take_items(start);
      stack_[start - 1].children_ = std::move(children);
    }
  }

  // ---- include -----------------------------------------------------------------------------

  static std::string glob_escape(const std::string& s) {
    std::string out;
    for (const char c : s) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '{' || c == '}' || c == '\\') {
        out.push_back('\\');
      }
      out.push_back(c);
    }
    return out;
  }

  void include(const segment& seg, unsigned kind) {
    node n;
    n.kind_ = node_kind::include;
    n.words_ = split_words(seg);
    n.position_ = n.words_.empty() ? position_of(seg.origin_[0]) : n.words_.front().position_;
    node_extra* extra = note_condition(n);
    n.generated_ = generation_depth_ > 0;
    std::size_t p = kind == 0 ? 7 : 8;
    while (p < seg.text_.size() && is_white(seg.text_[p])) {
      ++p;
    }
    n.text_ = view_of(seg, p, seg.text_.size());
    const source_position where = n.position_;
    const std::string pattern(n.text_);
    const severity loose = severity::warning;
    if (!options_.follow_includes_) {
      add_node(std::move(n));
      return;
    }

    std::string full = pattern;
    if (!pattern.empty() && pattern[0] != '/') {
      const std::string dir = fs::path(ctx_->name_).parent_path().string();
      if (!dir.empty()) {
        full = glob_escape(dir) + "/" + pattern;
      }
    }

    std::vector<std::string> paths;
    glob_t g{};
    const int rc = ::glob(full.c_str(), GLOB_MARK | GLOB_BRACE, nullptr, &g);
    if (rc == 0) {
      for (std::size_t i = 0; i < g.gl_pathc; ++i) {
        paths.emplace_back(g.gl_pathv[i]);
      }
    }
    ::globfree(&g);
    if (rc == GLOB_NOMATCH) {
      const bool wildcard = pattern.find_first_of("*?[") != std::string::npos;
      if (!wildcard) {
        report((kind & (inc_m | inc_b)) != 0 ? severity::error : loose, codes::include_missing,
               where, "no file '" + pattern + "' to include (keepalived: \"Config files missing\")",
               kind == 0 ? std::optional<std::string>(
                               "keepalived goes on without it; check the path, relative to the "
                               "directory of the including file")
                         : std::nullopt);
      } else if ((kind & inc_w) != 0) {
        report(severity::error, codes::include_missing, where, "no file matches '" + pattern + "'");
      }
    } else if (rc != 0) {
      report((kind & inc_r) != 0 ? severity::error : loose, codes::include_missing, where,
             "cannot read the files of '" + pattern + "' (glob error " + std::to_string(rc) + ")");
    }

    std::vector<file_id> loaded;
    for (const std::string& path : paths) {
      const severity sev = (kind & inc_r) != 0 ? severity::error : loose;
      if (!path.empty() && path.back() == '/') {
        report(sev, codes::include_not_regular, where,
               "'" + path + "' is a directory; keepalived skips it");
        continue;
      }
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
          (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0) {
        report(sev, codes::include_not_regular, where,
               "'" + path + "' is not a regular non-executable file; keepalived skips it",
               "keepalived refuses executable configuration files: chmod a-x it");
        continue;
      }
      if (include_depth_ + 1 > options_.max_include_depth_) {
        report(severity::error, codes::include_loop, where,
               "includes nested deeper than " + std::to_string(options_.max_include_depth_) +
                   "; '" + path + "' not read");
        continue;
      }
      char* real = ::realpath(path.c_str(), nullptr);
      const std::string canonical = real != nullptr ? std::string(real) : path;
      std::free(real);  // NOLINT: realpath allocates with malloc
      if (std::find(reading_.begin(), reading_.end(), canonical) != reading_.end()) {
        report(severity::error, codes::include_loop, where,
               "'" + path + "' is already being read: the include loops back to it");
        continue;
      }
      const std::optional<file_id> id = sources_.load(path, diags_, where);
      if (id) {
        loaded.push_back(*id);
      }
    }
    if (!loaded.empty()) {
      if (extra == nullptr) {
        extra = &store_->new_extra();
        n.extra_ = extra;
      }
      extra->included_files_ = loaded;
    }
    add_node(std::move(n));

    // Definitions and blocks carry on across files, as in keepalived.
    for (const file_id id : loaded) {
      char* real = ::realpath(sources_.file(id).name().c_str(), nullptr);
      reading_.emplace_back(real != nullptr ? std::string(real) : sources_.file(id).name());
      std::free(real);  // NOLINT
      const unsigned saved_generation = generation_depth_;
      generation_depth_ = 0;
      read_one_file(id, include_depth_ + 1);
      generation_depth_ = saved_generation;
      reading_.pop_back();
    }
  }

 public:
  void note_root(file_id root) {
    char* real = ::realpath(sources_.file(root).name().c_str(), nullptr);
    reading_.emplace_back(real != nullptr ? std::string(real) : sources_.file(root).name());
    std::free(real);  // NOLINT
  }

 private:
  source_registry& sources_;
  const read_options& options_;
  diagnostics& diags_;
  std::mt19937_64 rng_{0};
  std::shared_ptr<text_store> store_ = std::make_shared<text_store>();

  std::unordered_map<std::string, definition> definitions_;
  std::optional<std::string> collecting_;       // name of a `\` definition being read
  std::optional<std::size_t> collecting_node_;  // its node in frames_.back().items_
  std::string pending_condition_;               // @ID of the line being processed

  std::vector<frame> frames_;
  // The items of every open block, outermost first (the top level from 0): one growing vector
  // instead of one per block, which moved every node each time it grew.
  node_list stack_;
  // The first comment that hid braces (check_swallowed_structure): where an unclosed block's
  // '}' most likely went.
  std::optional<source_position> swallowed_;
  file_context* ctx_ = nullptr;
  decommented scratch_;  // physical_line()'s buffers, reused
  segment residue_;      // run_line()'s: the rest of a line after a brace
  std::vector<word> words_scratch_;  // split_words_into_scratch()'s buffer, reused
  unsigned include_depth_ = 0;
  std::vector<std::string> reading_;  // canonical paths of the files being read (loops)

  unsigned generation_depth_ = 0;
  std::size_t generated_lines_ = 0;
  bool runaway_reported_ = false;
};

}  // namespace

syntax_tree read_registered(file_id file, source_registry& sources, const read_options& options,
                            diagnostics& diags) {
  if (!sources.contains(file)) {
    return {};
  }
  reader r(sources, options, diags);
  r.note_root(file);
  return r.run(file);
}

syntax_tree read_file(const std::string& path, source_registry& sources,
                      const read_options& options, diagnostics& diags) {
  const std::optional<file_id> id = sources.load(path, diags);
  if (!id) {
    return {};
  }
  return read_registered(*id, sources, options, diags);
}

std::string default_config_id() {
  struct utsname u {};
  if (::uname(&u) != 0) {
    return {};
  }
  std::string name = u.nodename;
  const std::size_t dot = name.find('.');
  if (dot != std::string::npos) {
    name.resize(dot);
  }
  return name;
}

escaped_words split_quoted_escaped(std::string_view src) {
  escaped_words out;
  const auto is_xdigit = [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  const auto hex_value = [](char c) {
    return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
  };
  std::size_t i = 0;
  const std::size_t n = src.size();
  while (i < n) {
    while (i < n && is_white(src[i])) {
      ++i;
    }
    if (i >= n) {
      break;
    }
    std::string w;
    char quote = 0;
    while (i < n) {
      const char c = src[i];
      if (c == '\\') {
        ++i;
        if (i >= n) {
          out.words_.clear();
          out.error_ = "missing escaped character after the final '\\'";
          return out;
        }
        char op = 0;
        if (src[i] == 'x' && i + 1 < n && is_xdigit(src[i + 1])) {
          ++i;
          unsigned v = 0;
          while (i < n && is_xdigit(src[i])) {
            v = (v << 4) | static_cast<unsigned>(hex_value(src[i]));
            ++i;
          }
          op = static_cast<char>(v & 0xffU);
        } else if (src[i] == 'c' && i + 1 < n) {
          op = static_cast<char>(src[i + 1] & 0x1f);
          i += 2;
        } else if (src[i] >= '0' && src[i] <= '7') {
          unsigned v = static_cast<unsigned>(src[i++] - '0');
          for (int k = 0; k < 2 && i < n && src[i] >= '0' && src[i] <= '7'; ++k) {
            v = (v << 3) + static_cast<unsigned>(src[i++] - '0');
          }
          op = static_cast<char>(v & 0xffU);
        } else {
          switch (src[i]) {
            case 'a':
              op = '\a';
              break;
            case 'b':
              op = '\b';
              break;
            case 'E':
              op = '\x1b';
              break;
            case 'f':
              op = '\f';
              break;
            case 'n':
              op = '\n';
              break;
            case 'r':
              op = '\r';
              break;
            case 't':
              op = '\t';
              break;
            case 'v':
              op = '\v';
              break;
            default:
              op = src[i];
              break;
          }
          ++i;
        }
        w.push_back(op);
        continue;
      }
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          w.push_back(c);
        }
        ++i;
        continue;
      }
      if (c == '"' || c == '\'') {
        quote = c;
        ++i;
        continue;
      }
      if (is_white(c)) {
        break;
      }
      w.push_back(c);
      ++i;
    }
    if (quote != 0) {
      out.words_.clear();
      out.error_ = std::string("missing terminating ") + quote;
      return out;
    }
    out.words_.push_back(std::move(w));
  }
  return out;
}

}  // namespace tandem::parsers::keepalived
