// Loading configuration files and mapping byte offsets to positions (see source_registry.hpp).
#include "parsers/common/source_registry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <utility>

#include "parsers/common/utf8.hpp"

namespace tandem::parsers {

namespace {

// Owns a file descriptor so every return path closes it.
class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads until EOF rather than trusting st_size: FIFOs, /dev/stdin and /proc files report 0.
// Returns 0 or the errno of the failure.
int read_all(int fd, std::string& out) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      return 0;
    } else if (errno != EINTR) {
      return errno;
    }
  }
}

}  // namespace

source_file::source_file(file_id id, std::string name, std::string text,
                         std::optional<source_position> included_from)
    : id_(id),
      name_(std::move(name)),
      text_(std::move(text)),
      included_from_(std::move(included_from)) {
  line_starts_.push_back(0);
  // memchr from newline to newline: a byte-by-byte loop cost a few instructions per byte
  // of every file (about 4% of checking a 6,700-line keepalived.conf).
  const char* const begin = text_.data();
  const char* const end = begin + text_.size();
  for (const char* p = begin;
       (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) !=
       nullptr;) {
    ++p;
    line_starts_.push_back(static_cast<std::size_t>(p - begin));
  }
}

std::size_t source_file::line_start(std::uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) {
    return text_.size();
  }
  return line_starts_[line - 1];
}

std::string_view source_file::line_text(std::uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) {
    return {};
  }
  const std::size_t begin = line_starts_[line - 1];
  std::size_t end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
  if (end > begin && text_[end - 1] == '\r') {
    --end;
  }
  return std::string_view(text_).substr(begin, end - begin);
}

source_position source_file::position_at(std::size_t offset) const {
  offset = std::min(offset, text_.size());
  // The last line start that is <= offset.
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - 1;
  const auto line = static_cast<std::uint32_t>(it - line_starts_.begin()) + 1;
  const std::string_view before = std::string_view(text_).substr(*it, offset - *it);
  return {id_, line, static_cast<std::uint32_t>(count_code_points(before)) + 1};
}

std::optional<file_id> source_registry::load(const std::string& path, diagnostics& diags,
                                             std::optional<source_position> included_from) {
  const auto fail = [&](std::string_view code, std::string message) -> std::optional<file_id> {
    diagnostic d{severity::error,    std::string(code), included_from.value_or(source_position{}),
                 std::move(message), std::nullopt,      {}};
    attach_include_chain(d);
    diags.add(std::move(d));
    return std::nullopt;
  };
  const auto quoted = "'" + path + "'";

  int fd = -1;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    const bool missing = err == ENOENT || err == ENOTDIR;
    return fail(missing ? codes::file_not_found : codes::file_unreadable,
                "cannot open " + quoted + ": " + std::strerror(err));
  }
  const fd_guard guard(fd);

  struct stat st {};
  const bool stated = ::fstat(fd, &st) == 0;
  if (stated && S_ISDIR(st.st_mode)) {
    return fail(codes::file_unreadable, "cannot read " + quoted + ": " + std::strerror(EISDIR));
  }
  std::string text;
  if (stated && S_ISREG(st.st_mode) && st.st_size > 0) {
    // Read into place, not grown by doubling (a FIFO or /dev/stdin has no size: grown as read).
    text.reserve(static_cast<std::size_t>(st.st_size) + 1);
  }
  if (const int err = read_all(fd, text); err != 0) {
    return fail(codes::file_unreadable, "cannot read " + quoted + ": " + std::strerror(err));
  }
  return add(path, std::move(text), std::move(included_from));
}

file_id source_registry::add(std::string name, std::string text,
                             std::optional<source_position> included_from) {
  assert(!included_from || !included_from->has_file() || contains(included_from->file_));
  const auto id = static_cast<file_id>(files_.size());
  files_.push_back(std::make_unique<source_file>(id, std::move(name), std::move(text),
                                                 std::move(included_from)));
  return id;
}

const source_file& source_registry::file(file_id id) const {
  assert(contains(id));
  return *files_[static_cast<std::size_t>(id)];
}

std::vector<source_position> source_registry::include_chain(file_id id) const {
  std::vector<source_position> chain;
  while (contains(id)) {
    const auto& from = file(id).included_from();
    // A file can only be included from one registered earlier, so ids strictly decrease.
    if (!from || !contains(from->file_) || from->file_ >= id) {
      break;
    }
    chain.push_back(*from);
    id = from->file_;
  }
  return chain;
}

void source_registry::attach_include_chain(diagnostic& d) const {
  if (d.position_.has_file()) {
    d.include_chain_ = include_chain(d.position_.file_);
  }
}

}  // namespace tandem::parsers
