// Expect steps: TCP content, HTTP responses, and the MySQL and LDAP replies.
#include "runtime/checks/expect.hpp"

#include <cstring>

#include "runtime/checks/http_response.hpp"

namespace tandem::runtime::checks {
namespace {

std::string_view cut_crlf(std::string_view s) {
  return s.substr(0, s.find_first_of("\r\n"));
}

std::string info_from(info_source source, const std::string& text, std::string_view data) {
  switch (source) {
    case info_source::none:
      return {};
    case info_source::literal:
      return text;
    case info_source::first_line:
      return std::string(cut_crlf(data));
    case info_source::reply_text: {
      std::string_view rest = data.size() > 4 ? data.substr(4) : std::string_view();
      while (!rest.empty() && rest.front() == ' ') {
        rest.remove_prefix(1);
      }
      return std::string(cut_crlf(rest));
    }
    case info_source::from_6: {
      const std::string_view rest = data.size() > 6 ? data.substr(6) : std::string_view();
      return std::string(rest.substr(0, rest.find('\0')));
    }
  }
  return {};
}

// The first three bytes as a number, when they are digits (SMTP's "status-code
// res.payload(0,3)"); `fallback` otherwise.
int reply_code(std::string_view data, int fallback) {
  if (data.size() < 3) {
    return fallback;
  }
  int code = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (data[i] < '0' || data[i] > '9') {
      return fallback;
    }
    code = code * 10 + (data[i] - '0');
  }
  return code;
}

std::string hex_dump(std::string_view data) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(data.size() * 2);
  for (const char ch : data) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

expect_outcome fail(check_status status, int code, std::string info) {
  expect_outcome out;
  out.verdict_ = expect_verdict::failed;
  out.result_.status_ = status;
  out.result_.code_ = code;
  out.result_.info_ = std::move(info);
  return out;
}

// The info of a failed step: the given text, else the step's on-error text, else (plain
// tcp-check only) HAProxy's generic "TCPCHK did not match content ..."; then the comment.
std::string error_info(const expect_step& step, const expect_context& context, bool matched,
                       std::string given) {
  std::string info = std::move(given);
  if (info.empty() && step.on_error_ != info_source::none) {
    info = info_from(step.on_error_, step.on_error_text_, context.data_);
  } else if (info.empty() && context.kind_ == check_kind::tcp_check) {
    info = matched ? "TCPCHK matched unwanted content" : "TCPCHK did not match content";
    const std::string at = " at step " + std::to_string(context.step_id_);
    switch (step.kind_) {
      case expect_kind::string:
      case expect_kind::http_string:
        info += " '" + step.pattern_ + "'" + at;
        break;
      case expect_kind::binary:
        info += " (binary)" + at;
        break;
      case expect_kind::rstring:
      case expect_kind::http_rstatus:
      case expect_kind::http_rstring:
        info += " (regex)" + at;
        break;
      case expect_kind::rbinary:
        info += " (binary regex)" + at;
        break;
      case expect_kind::http_status:
        info += "(status codes)" + at;
        break;
      default:
        info += " (custom function)" + at;
        break;
    }
  }
  if (!step.comment_.empty()) {
    info += " comment: " + step.comment_;
  }
  return info;
}

std::string success_info(const expect_step& step, const expect_context& context) {
  if (step.on_success_ != info_source::none) {
    return info_from(step.on_success_, step.on_success_text_, context.data_);
  }
  return context.kind_ == check_kind::tcp_check ? "(tcp-check)" : "";
}

expect_outcome pass(const expect_step& step, const expect_context& context, int code) {
  expect_outcome out;
  out.verdict_ = expect_verdict::passed;
  out.result_.status_ = step.ok_status_.value_or(check_status::l7ok);
  out.result_.code_ = code;
  out.result_.info_ = success_info(step, context);
  return out;
}

bool matches_status(const expect_step& step, int status) {
  for (const auto& [low, high] : step.statuses_) {
    if (status >= low && status <= high) {
      return true;
    }
  }
  return false;
}

expect_outcome evaluate_http(const expect_step& step, const regex* compiled,
                             const expect_context& context) {
  const http_response response = parse_http_response(context.data_, context.last_read_);
  const bool last_read = context.last_read_ || response.complete_;
  if (response.state_ == http_response::state::invalid) {
    return fail(check_status::l7rsp, 0, error_info(step, context, false, ""));
  }
  if (response.state_ == http_response::state::incomplete) {
    if (last_read) {
      return fail(check_status::l7rsp, 0, error_info(step, context, false, ""));
    }
    return {};
  }
  const int code = response.status_;
  if (context.disable_on_404_ && !context.server_down_ && code == 404) {
    expect_outcome out = pass(step, context, code);
    out.conditional_ = true;
    out.result_.status_ = check_status::l7okc;
    out.result_.info_.clear();
    return out;
  }
  bool matched = false;
  check_status status = check_status::l7sts;
  std::string info;
  switch (step.kind_) {
    case expect_kind::http_status:
      matched = matches_status(step, code);
      info = std::string(response.reason_);
      break;
    case expect_kind::http_rstatus:
      matched = compiled != nullptr && compiled->search(response.status_text_);
      info = std::string(response.reason_);
      break;
    case expect_kind::http_string:
    case expect_kind::http_rstring: {
      status = check_status::l7rsp;
      const std::string& body = response.body_;
      if (body.empty()) {
        if (!last_read) {
          return {};
        }
        return fail(
            step.error_status_.value_or(status), code,
            error_info(step, context, false, "HTTP content check could not find a response body"));
      }
      if (!last_read &&
          ((step.kind_ == expect_kind::http_string && body.size() < step.pattern_.size()) ||
           (step.min_recv_ > 0 && body.size() < static_cast<std::size_t>(step.min_recv_)))) {
        return {};
      }
      matched = step.kind_ == expect_kind::http_string
                    ? body.find(step.pattern_) != std::string::npos
                    : compiled != nullptr && compiled->search(body);
      if (!matched && !last_read && step.min_recv_ == -1) {
        return {};
      }
      info = step.inverse_ ? "HTTP check matched unwanted content"
                           : "HTTP content check did not match";
      break;
    }
    default:
      return fail(check_status::l7rsp, code, error_info(step, context, false, ""));
  }
  if (matched != step.inverse_) {
    return pass(step, context, code);
  }
  return fail(step.error_status_.value_or(status), code,
              error_info(step, context, matched,
                         step.on_error_ != info_source::none ? "" : std::move(info)));
}

unsigned le(std::string_view data, std::size_t at, std::size_t bytes) {
  unsigned n = 0;
  for (std::size_t i = 0; i < bytes; ++i) {
    n |= static_cast<unsigned>(static_cast<unsigned char>(data[at + i])) << (8 * i);
  }
  return n;
}

expect_outcome evaluate_mysql(const expect_step& step, const expect_context& context) {
  const std::string_view data = context.data_;
  const auto short_reply = [&]() -> expect_outcome {
    if (!context.last_read_) {
      return {};
    }
    return fail(check_status::l7rsp, 0, error_info(step, context, false, ""));
  };
  std::size_t offset = 0;
  if (step.kind_ == expect_kind::mysql_ok) {
    if (data.size() < 4) {
      return short_reply();
    }
    offset = 4 + le(data, 0, 3);
  }
  if (data.size() < offset + 4) {
    return short_reply();
  }
  const std::size_t length = le(data, offset, 3);
  if (data.size() < offset + length + 4 || length == 0) {
    return short_reply();
  }
  if (static_cast<unsigned char>(data[offset + 4]) == 0xff) {
    const int code = data.size() >= offset + 7 ? static_cast<int>(le(data, offset + 5, 2)) : 0;
    const std::string_view message =
        data.size() > offset + 7 ? data.substr(offset + 7) : std::string_view();
    return fail(check_status::l7sts, code, error_info(step, context, false, std::string(message)));
  }
  expect_outcome out = pass(step, context, 0);
  if (context.last_rule_) {
    // The server's version, from the greeting (a NUL-terminated string after the protocol).
    const std::string_view version = data.size() > 5 ? data.substr(5) : std::string_view();
    out.result_.info_ = std::string(version.substr(0, version.find('\0')));
  }
  return out;
}

expect_outcome evaluate_ldap(const expect_step& step, const expect_context& context) {
  const std::string_view data = context.data_;
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(data[i]); };
  const auto not_ldap = [&] {
    return fail(check_status::l7rsp, 0, error_info(step, context, false, "Not LDAPv3 protocol"));
  };
  // LDAPMessage: a SEQUENCE whose length takes 0..2 extra bytes, then messageID 1 and a
  // bindResponse (RFC 4511, section 4.2.2).
  if (data.size() < 2) {
    return not_ldap();
  }
  std::size_t length_bytes = (at(1) & 0x80) != 0 ? (at(1) & 0x7f) : 0;
  if (length_bytes > 2 || data.size() < length_bytes + 7 ||
      std::memcmp(data.data() + 2 + length_bytes, "\x02\x01\x01\x61", 4) != 0) {
    return not_ldap();
  }
  length_bytes += (at(length_bytes + 6) & 0x80) != 0 ? (at(length_bytes + 6) & 0x7f) : 0;
  // ldapResult: an ENUMERATED resultCode (section 4.1.9).
  if (length_bytes > 4 || data.size() < length_bytes + 10 ||
      std::memcmp(data.data() + 7 + length_bytes, "\x0a\x01", 2) != 0) {
    return not_ldap();
  }
  const int code = at(length_bytes + 9);
  if (code != 0) {
    return fail(check_status::l7sts, code,
                error_info(step, context, false,
                           "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9"));
  }
  expect_outcome out = pass(step, context, 0);
  out.result_.info_ = "Success";
  return out;
}

}  // namespace

expect_outcome evaluate_expect(const expect_step& step, const regex* compiled,
                               const expect_context& context) {
  switch (step.kind_) {
    case expect_kind::http_status:
    case expect_kind::http_rstatus:
    case expect_kind::http_string:
    case expect_kind::http_rstring:
      return evaluate_http(step, compiled, context);
    case expect_kind::mysql_handshake:
    case expect_kind::mysql_ok:
      return evaluate_mysql(step, context);
    case expect_kind::ldap_bind:
      return evaluate_ldap(step, context);
    default:
      break;
  }
  const std::string_view data = context.data_;
  const bool last_read = context.last_read_ || data.size() >= check_buffer_size;
  if (!last_read) {
    if ((step.kind_ == expect_kind::string || step.kind_ == expect_kind::binary) &&
        data.size() < step.pattern_.size()) {
      return {};
    }
    if (step.min_recv_ > 0 && data.size() < static_cast<std::size_t>(step.min_recv_)) {
      return {};
    }
  }
  bool matched = false;
  switch (step.kind_) {
    case expect_kind::string:
    case expect_kind::binary:
      matched = data.find(step.pattern_) != std::string_view::npos;
      break;
    case expect_kind::rstring:
      matched = compiled != nullptr && compiled->search(data);
      break;
    case expect_kind::rbinary:
      matched = compiled != nullptr && compiled->search(hex_dump(data));
      break;
    default:
      break;
  }
  if (!matched && !last_read && step.min_recv_ == -1) {
    return {};
  }
  const int code = step.code_from_reply_ ? reply_code(data, 0) : 0;
  if (matched != step.inverse_) {
    return pass(step, context, code);
  }
  return fail(step.error_status_.value_or(check_status::l7rsp), code,
              error_info(step, context, matched, ""));
}

std::string describe_expect(const expect_step& step) {
  switch (step.kind_) {
    case expect_kind::string:
      return " (expect string '" + step.pattern_ + "')";
    case expect_kind::binary:
      return " (expect binary '" + step.pattern_ + "')";
    case expect_kind::rstring:
      return " (expect regex)";
    case expect_kind::rbinary:
      return " (expect binary regex)";
    case expect_kind::http_status:
      return " (expect HTTP status codes)";
    case expect_kind::http_rstatus:
      return " (expect HTTP status regex)";
    case expect_kind::http_string:
      return " (expect HTTP body content '" + step.pattern_ + "')";
    case expect_kind::http_rstring:
      return " (expect HTTP body regex)";
    default:
      return " (expect custom function)";
  }
}

std::string clip_info(std::string_view info) {
  info = info.substr(0, info.find('\0'));
  return std::string(info.substr(0, info_max));
}

}  // namespace tandem::runtime::checks
