// The pure parts of keepalived's checkers, testable without sockets or clocks: the retry
// state machine every checker shares (retry, delay_before_retry, delay_loop, with each
// checker's log wording), the HTTP response judgement (status code ranges, the genhash MD5 of
// the body, regex), MISC_CHECK's exit codes, the SMTP dialogue, DNS query and reply, UDP reply
// matching and FILE_CHECK's value.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/lvs/checkers/spec.hpp"

namespace tandem::runtime::lvs::checkers {

// One check's outcome as the runner saw it.
struct attempt {
  bool success_ = false;
  // Why it failed, in keepalived's words for HTTP ("HTTP status code error to", "MD5 digest
  // error to", "Timeout connecting", ...); empty otherwise.
  std::string reason_;
  std::optional<int> weight_;       // misc_dynamic / FILE_CHECK dynamic
  std::vector<std::string> notes_;  // lines logged as they happen ("HTTP status code success to ...")
  int exit_status_ = -1;            // MISC_CHECK
  bool timed_out_ = false;
};

// What follows an attempt: maybe a new verdict, the delay before the next attempt, log lines.
struct step {
  std::optional<bool> verdict_;  // true: up, false: down
  duration next_{};
  std::vector<std::string> logs_;
  std::optional<int> weight_;
};

// keepalived's per-checker state: is_up, has_run, retry_it, and the epilog of each kind.
class retry_machine {
 public:
  explicit retry_machine(const checker_spec& spec);
  step on_attempt(const attempt& a);
  bool is_up() const { return is_up_; }
  unsigned retry_it() const { return retry_it_; }

 private:
  step tcp_like(const attempt& a, std::string_view success_line, std::string_view name);
  step http_like(const attempt& a);
  step misc(const attempt& a);
  const checker_spec& spec_;
  bool is_up_, has_run_ = false;
  unsigned retry_it_ = 0;
  bool misc_reported_ = false;
};

// status_code words ("200", "200-299") to ranges; nullopt when a word is not a code or range.
std::optional<std::vector<std::pair<int, int>>> parse_status_codes(
    std::span<const std::string> words);
bool status_matches(const std::vector<std::pair<int, int>>& ranges, int code);

// A 32-digit hex digest to bytes; nullopt when it is not one.
std::optional<std::array<std::uint8_t, 16>> parse_digest(std::string_view hex);
std::string hex(std::span<const std::uint8_t> bytes);
std::array<std::uint8_t, 16> md5(std::string_view data);

// An HTTP response as keepalived reads it: the status code from the first line, the body after
// the first blank line, cut at Content-Length when one is given (genhash's digest).
struct http_response {
  bool has_headers_ = false;
  int status_ = 0;
  std::optional<std::size_t> content_length_;
  std::string body_;
};
http_response parse_http_response(std::string_view bytes);

// keepalived's request: "GET path HTTP/1.0", User-Agent KeepAliveClient, Host (the
// virtualhost, else the address; ":port" unless the scheme's default).
std::string http_request(const checker_spec& spec, const url_spec& url);

// Judges one URL's response; fills reason_ on failure and the per-URL success note.
void judge_url(const checker_spec& spec, std::size_t url_index, const http_response& r,
               bool regex_matched, bool is_up, attempt& out);

// MISC_CHECK: 0 up; 1 down; 2-255 up with weight code-2 under misc_dynamic (down without).
attempt misc_result(const checker_spec& spec, int exit_status, bool timed_out);

// SMTP: a reply's code ("220 ..."), 0 when not one.
int smtp_code(std::string_view reply);

// DNS: the query (recursion desired, one question, class IN) and whether a reply answers it.
std::vector<std::uint8_t> dns_query(std::uint16_t id, std::string_view name, std::uint16_t type);
bool dns_reply_ok(std::span<const std::uint8_t> query, std::span<const std::uint8_t> reply);
std::optional<std::uint16_t> dns_type_code(std::string_view name);

// UDP_CHECK: keepalived's free hex format ("Ab12f 3" = AB 12 0F 03), and the reply check.
std::vector<std::uint8_t> parse_hex_payload(std::string_view text);
bool udp_reply_ok(const checker_spec& spec, std::span<const std::uint8_t> reply);

// FILE_CHECK: the value read from the file times the weight; down at -254 or below (or, with
// weight 0, any non-zero value).
attempt file_result(const checker_spec& spec, std::optional<long> value);

// misc_path as keepalived splits it: words, with "double" and 'single' quotes.
std::vector<std::string> split_command(std::string_view command);

}  // namespace tandem::runtime::lvs::checkers
