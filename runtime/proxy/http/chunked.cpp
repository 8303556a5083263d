// The chunked body reader: a byte-driven state machine over chunk sizes, data, CRLFs and
// trailers, with HAProxy 2.6.12's tolerances (see message.hpp). Data bytes are skipped a
// chunk at a time, not looked at.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "runtime/proxy/http/chars.hpp"
#include "runtime/proxy/http/message.hpp"

namespace tandem::runtime::proxy::http {
namespace {

enum state : std::uint8_t {
  size_first,        // the first hex digit of a chunk size
  size_digits,       // more hex digits
  size_blanks,       // blanks after the size
  extension,         // ";..." up to the end of the line
  size_lf,           // LF after the size line's CR
  data,              // remaining_ bytes of chunk data
  data_end,          // CR or LF after the data
  data_lf,           // LF after that CR
  trailer_first,     // start of the first line after the last chunk
  trailer_line,      // start of a later trailer line (a blank here folds the previous one)
  trailer_name,      // a trailer's name, up to ':'
  trailer_value,     // its value, up to the end of the line
  trailer_value_lf,  // LF after a value's CR
  final_lf,          // LF after the CR of the empty line that ends the body
  finished,
  failed,
};

// HAProxy refuses a chunk size of 2^52 or more (13 hex digits), so that no client language
// that holds integers in doubles could be fed a size it rounds.
constexpr std::uint64_t size_limit = std::uint64_t{1} << 52;

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

chunked_reader::step chunked_reader::feed(std::string_view bytes, std::string& data,
                                          std::string& trailers) {
  data_sink_ = &data;
  trailer_sink_ = &trailers;
  const step out = feed(bytes);
  data_sink_ = nullptr;
  trailer_sink_ = nullptr;
  return out;
}

chunked_reader::step chunked_reader::feed(std::string_view bytes) {
  step out;
  // Where this call's trailer bytes start (npos: none yet), for trailer_sink_.
  std::size_t trailer_from = std::string_view::npos;
  if (state_ >= trailer_first && state_ <= final_lf) {
    trailer_from = 0;
  }
  auto keep_trailers = [&](std::size_t end) {
    if (trailer_sink_ != nullptr && trailer_from != std::string_view::npos && end > trailer_from) {
      trailer_sink_->append(bytes.substr(trailer_from, end - trailer_from));
    }
  };
  const std::size_t trailer_limit = limits{}.max_raw_head_bytes_;
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  auto fail = [&] {
    state_ = failed;
    out.error_ = true;
    out.consumed_ = i;
    return out;
  };
  if (state_ == finished) {
    out.done_ = true;
    return out;
  }
  if (state_ == failed) {
    return fail();
  }
  auto end_size_line = [&] {
    if (size_ == 0) {
      state_ = trailer_first;
      line_bytes_ = 0;
      trailer_from = i;
    } else {
      remaining_ = size_;
      state_ = data;
    }
  };
  while (i < n) {
    const char c = bytes[i];
    switch (state_) {
      case size_first: {
        const int d = hex_value(c);
        if (d < 0) {
          return fail();
        }
        size_ = static_cast<std::uint64_t>(d);
        state_ = size_digits;
        ++i;
        break;
      }
      case size_digits: {
        const int d = hex_value(c);
        if (d >= 0) {
          size_ = (size_ << 4) | static_cast<std::uint64_t>(d);
          if (size_ >= size_limit) {
            return fail();
          }
          ++i;
          break;
        }
        state_ = size_blanks;
        [[fallthrough]];
      }
      case size_blanks:
        if (chars::is(c, chars::spht)) {
          ++i;
        } else if (c == ';') {
          state_ = extension;
          ++i;
        } else if (c == '\r') {
          state_ = size_lf;
          ++i;
        } else if (c == '\n') {
          ++i;
          end_size_line();
        } else {
          return fail();
        }
        break;
      case extension:
        // Anything up to the end of the line; then the line must end properly.
        while (i < n && !chars::is(bytes[i], chars::crlf)) {
          ++i;
        }
        if (i < n) {
          state_ = size_blanks;
        }
        break;
      case size_lf:
        if (c != '\n') {
          return fail();
        }
        ++i;
        end_size_line();
        break;
      case data: {
        const std::uint64_t take = std::min<std::uint64_t>(remaining_, n - i);
        if (data_sink_ != nullptr) {
          data_sink_->append(bytes.substr(i, static_cast<std::size_t>(take)));
        }
        i += static_cast<std::size_t>(take);
        remaining_ -= take;
        if (remaining_ == 0) {
          state_ = data_end;
        }
        break;
      }
      case data_end:
        if (c == '\r') {
          state_ = data_lf;
        } else if (c == '\n') {
          state_ = size_first;
        } else {
          return fail();
        }
        ++i;
        break;
      case data_lf:
        if (c != '\n') {
          return fail();
        }
        state_ = size_first;
        ++i;
        break;
      case trailer_first:
      case trailer_line:
        if (c == '\r') {
          state_ = final_lf;
        } else if (c == '\n') {
          state_ = finished;
        } else if (state_ == trailer_line && chars::is(c, chars::spht)) {
          state_ = trailer_value;  // a folded line continues the previous trailer
        } else if (chars::is(c, chars::token)) {
          state_ = trailer_name;
        } else {
          return fail();  // an empty name, or a byte no name may hold
        }
        ++i;
        ++line_bytes_;
        break;
      case trailer_name:
        // Trailer names as strict as field names. HAProxy 2.6.12 is strict or lenient (any
        // bytes up to the colon) from one run to the next; the strict reading is the safe one.
        if (c == ':') {
          state_ = trailer_value;
        } else if (!chars::is(c, chars::token)) {
          return fail();
        }
        ++i;
        ++line_bytes_;
        break;
      case trailer_value: {
        const char* p = chars::find_value_stop(bytes.data() + i, bytes.data() + n);
        const std::size_t stop = static_cast<std::size_t>(p - bytes.data());
        line_bytes_ += stop - i;
        i = stop;
        if (i == n) {
          break;
        }
        if (bytes[i] == '\0') {
          return fail();
        }
        state_ = bytes[i] == '\r' ? trailer_value_lf : trailer_line;
        ++i;
        ++line_bytes_;
        break;
      }
      case trailer_value_lf:
        if (c != '\n') {
          return fail();
        }
        state_ = trailer_line;
        ++i;
        ++line_bytes_;
        break;
      case final_lf:
        if (c != '\n') {
          return fail();
        }
        state_ = finished;
        ++i;
        break;
      default:
        return fail();
    }
    if (line_bytes_ > trailer_limit) {
      return fail();
    }
    if (state_ == finished) {
      keep_trailers(i);
      out.done_ = true;
      out.consumed_ = i;
      return out;
    }
  }
  keep_trailers(i);
  out.consumed_ = i;
  return out;
}

}  // namespace tandem::runtime::proxy::http
