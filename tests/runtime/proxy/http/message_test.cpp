// Tests of the HTTP/1 message layer: the case files (what HAProxy 2.6.12 refuses and accepts,
// re-checked against it by replay_haproxy.py) parsed at once and a byte at a time, then the
// framing, the rewrites HAProxy makes while parsing, the writer's bytes and the error pages.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/proxy/http/message.hpp"
#include "tests/runtime/proxy/http/case_file.hpp"

namespace tandem::runtime::proxy::http {
namespace {

using testing::file_case;
using testing::read_cases;

struct parsed_request {
  parse_result result_;
  request_head head_;
  framing body_;
};

parsed_request parse_request(std::string_view bytes, const limits& l = {}) {
  parsed_request p;
  p.result_ = parse_request_head(bytes, l, p.head_, p.body_);
  return p;
}

struct parsed_response {
  parse_result result_;
  response_head head_;
  framing body_;
};

parsed_response parse_response(std::string_view bytes, std::string_view method = "GET",
                               bool request_upgrade = false) {
  parsed_response p;
  p.result_ = parse_response_head(bytes, limits{}, method, p.head_, p.body_, request_upgrade);
  return p;
}

std::string value_of(const std::vector<header>& headers, std::string_view name) {
  const header* h = find_header(headers, name);
  return h == nullptr ? "<none>" : h->value_;
}

// Feeds a chunked body in pieces of `piece` bytes; the total consumed and how it ended.
chunked_reader::step read_chunked(std::string_view body, std::size_t piece) {
  chunked_reader reader;
  chunked_reader::step total;
  std::size_t at = 0;
  while (at < body.size()) {
    const std::string_view part = body.substr(at, piece);
    const chunked_reader::step s = reader.feed(part);
    total.consumed_ += s.consumed_;
    if (s.error_ || s.done_) {
      total.error_ = s.error_;
      total.done_ = s.done_;
      return total;
    }
    EXPECT_EQ(s.consumed_, part.size());
    at += part.size();
  }
  return total;
}

// Parses every prefix of `bytes` (every `stride`-th for long ones) as the session would while
// bytes arrive: incomplete until the first verdict, which must be the one-shot verdict.
template <class Parse>
void expect_same_when_incremental(std::string_view bytes, Parse parse) {
  const parse_result whole = parse(bytes);
  const std::size_t stride = bytes.size() > 4096 ? 61 : 1;
  for (std::size_t i = 0; i <= bytes.size() + stride - 1; i += stride) {
    const std::size_t n = std::min(i, bytes.size());
    const parse_result r = parse(bytes.substr(0, n));
    if (r.state_ == parse_state::incomplete) {
      continue;
    }
    EXPECT_EQ(r.state_, whole.state_) << "after " << n << " bytes";
    EXPECT_EQ(r.status_, whole.status_) << "after " << n << " bytes";
    if (whole.state_ == parse_state::done) {
      EXPECT_EQ(r.consumed_, whole.consumed_);
    }
    return;
  }
  EXPECT_EQ(whole.state_, parse_state::incomplete);
}

// --- the request cases ---

class request_case : public ::testing::TestWithParam<file_case> {};

std::string request_verdict(std::string_view bytes, std::size_t chunk_piece) {
  const parsed_request p = parse_request(bytes);
  if (p.result_.state_ == parse_state::error) {
    return std::to_string(p.result_.status_);
  }
  if (p.result_.state_ == parse_state::incomplete) {
    return "incomplete";
  }
  if (p.body_.kind_ == body_kind::chunked) {
    const chunked_reader::step s = read_chunked(bytes.substr(p.result_.consumed_), chunk_piece);
    if (s.error_) {
      return "400";
    }
  }
  return "ok";
}

TEST_P(request_case, gets_the_recorded_verdict) {
  const file_case& c = GetParam();
  EXPECT_EQ(request_verdict(c.bytes_, SIZE_MAX), c.words_[1]);
}

TEST_P(request_case, same_verdict_a_byte_at_a_time) {
  const file_case& c = GetParam();
  expect_same_when_incremental(c.bytes_,
                               [](std::string_view b) { return parse_request(b).result_; });
  EXPECT_EQ(request_verdict(c.bytes_, 1), c.words_[1]);
}

std::string case_name(const ::testing::TestParamInfo<file_case>& info) {
  return info.param.words_[0];
}

INSTANTIATE_TEST_SUITE_P(request_cases, request_case,
                         ::testing::ValuesIn(read_cases("request_cases.txt", 3)), case_name);

TEST(request_cases, hold_at_least_thirty_refusals_of_smuggling_shapes) {
  const auto cases = read_cases("request_cases.txt", 3);
  const auto refused = std::count_if(cases.begin(), cases.end(), [](const file_case& c) {
    return c.words_[1] != "ok" &&
           (c.words_[0].starts_with("cl_") || c.words_[0].starts_with("te_") ||
            c.words_[0].starts_with("chunk_"));
  });
  EXPECT_GE(refused, 30);
}

// --- the response cases ---

class response_case : public ::testing::TestWithParam<file_case> {};

std::string response_verdict(const file_case& c) {
  const std::string& asked = c.words_[1];
  const std::string_view method = asked == "UPGRADE" ? "GET" : std::string_view(asked);
  const parsed_response p = parse_response(c.bytes_, method, asked == "UPGRADE");
  if (p.result_.state_ == parse_state::error) {
    return std::to_string(p.result_.status_);
  }
  if (p.result_.state_ == parse_state::incomplete) {
    return "incomplete";
  }
  if (p.body_.kind_ == body_kind::chunked) {
    const std::string_view rest = std::string_view(c.bytes_).substr(p.result_.consumed_);
    if (read_chunked(rest, 1).error_) {
      return "502";
    }
  }
  return "ok";
}

TEST_P(response_case, gets_the_recorded_verdict) {
  const file_case& c = GetParam();
  EXPECT_EQ(response_verdict(c), c.words_[2]);
  const std::string& asked = c.words_[1];
  expect_same_when_incremental(c.bytes_, [&](std::string_view b) {
    return parse_response(b, asked == "UPGRADE" ? "GET" : std::string_view(asked),
                          asked == "UPGRADE")
        .result_;
  });
}

INSTANTIATE_TEST_SUITE_P(response_cases, response_case,
                         ::testing::ValuesIn(read_cases("response_cases.txt", 4)), case_name);

// --- request framing and keep-alive ---

TEST(request_framing, http11_get_keeps_alive_without_body) {
  const parsed_request p = parse_request("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(p.result_.state_, parse_state::done);
  EXPECT_EQ(p.body_.kind_, body_kind::none);
  EXPECT_TRUE(p.body_.keep_alive_);
  EXPECT_FALSE(p.body_.expect_continue_);
  EXPECT_FALSE(p.body_.upgrade_);
}

TEST(request_framing, keep_alive_follows_version_and_connection_tokens) {
  EXPECT_FALSE(parse_request("GET / HTTP/1.0\r\n\r\n").body_.keep_alive_);
  EXPECT_TRUE(parse_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").body_.keep_alive_);
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").body_.keep_alive_);
  EXPECT_FALSE(
      parse_request("GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n").body_.keep_alive_);
  EXPECT_FALSE(
      parse_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n")
          .body_.keep_alive_);
  EXPECT_TRUE(parse_request("GET / HTTP/2.0\r\n\r\n").body_.keep_alive_);
}

TEST(request_framing, content_length_gives_the_length) {
  const parsed_request p = parse_request("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_EQ(p.result_.state_, parse_state::done);
  EXPECT_EQ(p.result_.consumed_, 38u);
  EXPECT_EQ(p.body_.kind_, body_kind::length);
  EXPECT_EQ(p.body_.length_, 3u);
}

TEST(request_framing, chunked_with_content_length_drops_it_and_closes) {
  const parsed_request p =
      parse_request("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(p.result_.state_, parse_state::done);
  EXPECT_EQ(p.body_.kind_, body_kind::chunked);
  EXPECT_FALSE(p.body_.keep_alive_);
  EXPECT_EQ(find_header(p.head_.headers_, "content-length"), nullptr);
  EXPECT_EQ(value_of(p.head_.headers_, "transfer-encoding"), "chunked");
}

TEST(request_framing, chunked_in_http10_closes) {
  const parsed_request p = parse_request(
      "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(p.body_.kind_, body_kind::chunked);
  EXPECT_FALSE(p.body_.keep_alive_);
}

TEST(request_framing, chunked_alone_keeps_alive) {
  const parsed_request p = parse_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(p.body_.kind_, body_kind::chunked);
  EXPECT_TRUE(p.body_.keep_alive_);
}

TEST(request_framing, expect_continue_only_in_http11) {
  EXPECT_TRUE(parse_request("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
                  .body_.expect_continue_);
  EXPECT_FALSE(parse_request("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
                   .body_.expect_continue_);
  EXPECT_FALSE(parse_request("PUT / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n").body_.expect_continue_);
}

TEST(request_framing, upgrade_needs_connection_upgrade_and_http11) {
  EXPECT_TRUE(parse_request("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n")
                  .body_.upgrade_);
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nUpgrade: foo\r\n\r\n").body_.upgrade_);
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n").body_.upgrade_);
  EXPECT_FALSE(parse_request("GET / HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n")
                   .body_.upgrade_);
}

TEST(request_framing, consumed_covers_leading_empty_lines_and_stops_at_the_body) {
  const std::string bytes = "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\n";
  const parsed_request p = parse_request(bytes);
  ASSERT_EQ(p.result_.state_, parse_state::done);
  EXPECT_EQ(bytes.substr(p.result_.consumed_), "GET /next HTTP/1.1\r\n");
  EXPECT_EQ(p.head_.method_, "GET");
}

TEST(request_parsing, waits_for_the_blank_line_and_for_a_possible_fold) {
  EXPECT_EQ(parse_request("").result_.state_, parse_state::incomplete);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nHost: a\r\n").result_.state_, parse_state::incomplete);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nHost: a\r\n\r").result_.state_,
            parse_state::incomplete);
  // An error shows before the head is complete, as HAProxy answers at once.
  const parsed_request early = parse_request("GET / HTTP/1.1\r\nHo st");
  EXPECT_EQ(early.result_.state_, parse_state::error);
  EXPECT_EQ(early.result_.status_, 400u);
  EXPECT_EQ(early.result_.error_offset_, 18u);
}

TEST(request_parsing, an_unfinished_head_at_the_raw_limit_is_an_error) {
  limits l;
  l.max_raw_head_bytes_ = 64;
  const std::string start = "GET / HTTP/1.1\r\nX: ";
  EXPECT_EQ(parse_request(start + std::string(44, 'a'), l).result_.state_, parse_state::incomplete);
  EXPECT_EQ(parse_request(start + std::string(45, 'a'), l).result_.state_, parse_state::error);
}

TEST(request_parsing, the_field_limit_follows_max_headers) {
  limits l;
  l.max_headers_ = 3;
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", l).result_.state_,
            parse_state::done);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", l).result_.state_,
            parse_state::error);
}

// --- what HAProxy rewrites while parsing ---

TEST(request_fields, names_lower_cased_values_trimmed) {
  const parsed_request p = parse_request("GET / HTTP/1.1\r\nX-Mixed-Case:  \tVal ue \t\r\n\r\n");
  ASSERT_EQ(p.head_.headers_.size(), 1u);
  EXPECT_EQ(p.head_.headers_[0].name_, "x-mixed-case");
  EXPECT_EQ(p.head_.headers_[0].value_, "Val ue");
}

TEST(request_fields, a_folded_line_becomes_spaces) {
  const parsed_request p = parse_request("GET / HTTP/1.1\r\nX: a\r\n  b\r\nY:\r\n\tc\n d\r\n\r\n");
  EXPECT_EQ(value_of(p.head_.headers_, "x"), "a    b");
  EXPECT_EQ(value_of(p.head_.headers_, "y"), "c  d");
}

TEST(request_fields, identical_lengths_merge_into_one) {
  const parsed_request p =
      parse_request("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabc");
  ASSERT_EQ(p.head_.headers_.size(), 1u);
  EXPECT_EQ(p.head_.headers_[0].value_, "3");
  EXPECT_EQ(value_of(parse_request("POST / HTTP/1.1\r\nContent-Length: 003\r\n\r\n").head_.headers_,
                     "content-length"),
            "003");
}

TEST(request_fields, connection_loses_close_and_keep_alive_like_haproxy) {
  auto connection = [](const std::string& value) {
    return value_of(
        parse_request("GET / HTTP/1.1\r\nConnection: " + value + "\r\n\r\n").head_.headers_,
        "connection");
  };
  EXPECT_EQ(connection("keep-alive, Foo"), "Foo");
  EXPECT_EQ(connection("close"), "<none>");
  EXPECT_EQ(connection("Foo, close, Bar"), "Foo,Bar");
  EXPECT_EQ(connection("Upgrade, HTTP2-Settings"), "Upgrade, HTTP2-Settings");
  EXPECT_EQ(connection("Foo , Bar,"), "Foo , Bar");
}

TEST(request_fields, a_repeated_host_is_kept_once) {
  const parsed_request p = parse_request("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nhost: A\r\n\r\n");
  ASSERT_EQ(p.head_.headers_.size(), 2u);
  EXPECT_EQ(p.head_.headers_[0].value_, "a");
}

TEST(request_fields, default_ports_leave_absolute_targets_and_connect_hosts) {
  const parsed_request a = parse_request("GET http://a:80/x HTTP/1.1\r\nHost: a:80\r\n\r\n");
  EXPECT_EQ(a.head_.target_, "http://a/x");
  EXPECT_EQ(value_of(a.head_.headers_, "host"), "a");
  const parsed_request b = parse_request("GET HTTPS://u@a:443 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(b.head_.target_, "HTTPS://u@a");
  const parsed_request c = parse_request("GET http://a:/ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(c.head_.target_, "http://a/");
  const parsed_request d = parse_request("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n");
  EXPECT_EQ(d.head_.target_, "a:443");
  EXPECT_EQ(value_of(d.head_.headers_, "host"), "a");
  const parsed_request e = parse_request("GET http://a:8080/ HTTP/1.1\r\nHost: a:8080\r\n\r\n");
  EXPECT_EQ(e.head_.target_, "http://a:8080/");
}

TEST(request_fields, versions_below_11_kept_higher_ones_become_11) {
  const parsed_request v10 = parse_request("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(v10.head_.version_major_, 1);
  EXPECT_EQ(v10.head_.version_minor_, 0);
  const parsed_request v09 = parse_request("GET / HTTP/0.9\r\n\r\n");
  EXPECT_EQ(v09.head_.version_major_, 0);
  EXPECT_EQ(v09.head_.version_minor_, 9);
  EXPECT_FALSE(v09.body_.keep_alive_);
  const parsed_request v20 = parse_request("GET / HTTP/2.0\r\n\r\n");
  EXPECT_EQ(v20.head_.version_major_, 1);
  EXPECT_EQ(v20.head_.version_minor_, 1);
}

TEST(request_fields, a_reused_head_is_refilled_not_appended_to) {
  request_head head;
  framing body;
  ASSERT_EQ(
      parse_request_head("GET /a HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", {}, head, body).state_,
      parse_state::done);
  ASSERT_EQ(parse_request_head("PUT /b HTTP/1.1\r\nD: 4\r\n\r\n", {}, head, body).state_,
            parse_state::done);
  EXPECT_EQ(head.method_, "PUT");
  EXPECT_EQ(head.target_, "/b");
  ASSERT_EQ(head.headers_.size(), 1u);
  EXPECT_EQ(head.headers_[0].name_, "d");
  EXPECT_EQ(head.headers_[0].value_, "4");
}

// --- responses ---

TEST(response_framing, length_chunked_or_until_close) {
  const parsed_response cl = parse_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(cl.body_.kind_, body_kind::length);
  EXPECT_EQ(cl.body_.length_, 5u);
  EXPECT_TRUE(cl.body_.keep_alive_);
  const parsed_response ch =
      parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(ch.body_.kind_, body_kind::chunked);
  EXPECT_TRUE(ch.body_.keep_alive_);
  const parsed_response uc = parse_response("HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(uc.body_.kind_, body_kind::until_close);
  EXPECT_FALSE(uc.body_.keep_alive_);
  const parsed_response v10 = parse_response("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
  EXPECT_FALSE(v10.body_.keep_alive_);
  EXPECT_EQ(v10.head_.version_minor_, 0);
}

TEST(response_framing, no_body_for_interim_204_304_and_head) {
  const parsed_response nc = parse_response("HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n");
  EXPECT_EQ(nc.body_.kind_, body_kind::none);
  EXPECT_TRUE(nc.head_.headers_.empty());  // HAProxy drops the length of a 204
  const parsed_response nm =
      parse_response("HTTP/1.1 304 Not Modified\r\nContent-Length: 20\r\n\r\n");
  EXPECT_EQ(nm.body_.kind_, body_kind::none);
  EXPECT_EQ(value_of(nm.head_.headers_, "content-length"), "20");
  const parsed_response head =
      parse_response("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", "HEAD");
  EXPECT_EQ(head.body_.kind_, body_kind::none);
  EXPECT_TRUE(head.body_.keep_alive_);
  const parsed_response cont = parse_response("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n");
  EXPECT_EQ(cont.body_.kind_, body_kind::none);
  EXPECT_EQ(cont.result_.consumed_, 25u);
}

TEST(response_framing, tunnels_after_101_and_connect) {
  const parsed_response sw = parse_response(
      "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\n", "GET",
      true);
  ASSERT_EQ(sw.result_.state_, parse_state::done);
  EXPECT_TRUE(sw.body_.upgrade_);
  EXPECT_EQ(sw.body_.kind_, body_kind::none);
  const parsed_response co =
      parse_response("HTTP/1.1 200 Connection established\r\n\r\n", "CONNECT");
  EXPECT_TRUE(co.body_.upgrade_);
  EXPECT_EQ(co.body_.kind_, body_kind::none);
  const parsed_response denied =
      parse_response("HTTP/1.1 407 No\r\nContent-Length: 0\r\n\r\n", "CONNECT");
  EXPECT_FALSE(denied.body_.upgrade_);
  EXPECT_EQ(denied.body_.kind_, body_kind::length);
}

TEST(response_framing, chunked_with_length_drops_the_length_and_closes) {
  const parsed_response p =
      parse_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(p.body_.kind_, body_kind::chunked);
  EXPECT_FALSE(p.body_.keep_alive_);
  EXPECT_EQ(find_header(p.head_.headers_, "content-length"), nullptr);
}

TEST(response_parsing, errors_are_502) {
  const parsed_response p = parse_response("HTTP/1.1 200 OK\r\nX : y\r\n\r\n");
  EXPECT_EQ(p.result_.state_, parse_state::error);
  EXPECT_EQ(p.result_.status_, 502u);
  EXPECT_FALSE(p.result_.reason_.empty());
}

// --- the writer (expected bytes measured on HAProxy's output, see replay_haproxy.py) ---

std::string rewritten_request(std::string_view bytes) {
  const parsed_request p = parse_request(bytes);
  EXPECT_EQ(p.result_.state_, parse_state::done) << bytes;
  std::string out;
  write_request_head(p.head_, out);
  return out;
}

std::string rewritten_response(std::string_view bytes, std::string_view method = "GET") {
  const parsed_response p = parse_response(bytes, method);
  EXPECT_EQ(p.result_.state_, parse_state::done) << bytes;
  std::string out;
  write_response_head(p.head_, out);
  return out;
}

TEST(writer, requests_as_haproxy_forwards_them) {
  EXPECT_EQ(rewritten_request("GET /a HTTP/1.1\r\nHost: x\r\nX-Mixed-Case: Val\r\n\r\n"),
            "GET /a HTTP/1.1\r\nhost: x\r\nx-mixed-case: Val\r\n\r\n");
  EXPECT_EQ(rewritten_request("GET\t/  HTTP/2.0\r\nHost: a\r\n\r\n"),
            "GET / HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(rewritten_request("GET / HTTP/1.0\r\n\r\n"), "GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(rewritten_request("GET / HTTP/0.9\r\nHost: a\r\n\r\n"),
            "GET / HTTP/0.9\r\nhost: a\r\n\r\n");
  EXPECT_EQ(rewritten_request("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n  b\r\n\r\n"),
            "GET / HTTP/1.1\r\nhost: a\r\nx: a    b\r\n\r\n");
  EXPECT_EQ(rewritten_request("GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n"),
            "GET / HTTP/1.1\r\nhost: a\r\nx: \r\n\r\n");
  EXPECT_EQ(rewritten_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Foo\r\n"
                              "Foo: 1\r\n\r\n"),
            "GET / HTTP/1.1\r\nhost: a\r\nconnection: Foo\r\nfoo: 1\r\n\r\n");
  EXPECT_EQ(rewritten_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
            "GET / HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(rewritten_request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n"),
            "POST / HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\n");
  EXPECT_EQ(rewritten_request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n"
                              "Content-Length: 3\r\n\r\n"),
            "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: Chunked\r\n\r\n");
  EXPECT_EQ(rewritten_request("GET http://a:80/ HTTP/1.1\r\nHost: a:80\r\n\r\n"),
            "GET http://a/ HTTP/1.1\r\nhost: a\r\n\r\n");
  EXPECT_EQ(rewritten_request("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"),
            "CONNECT a:443 HTTP/1.1\r\nhost: a\r\n\r\n");
}

TEST(writer, responses_as_haproxy_forwards_them) {
  EXPECT_EQ(rewritten_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Mixed-Case: Val\r\n"
                               "SET-COOKIE: a=b\r\n\r\n"),
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-mixed-case: Val\r\nset-cookie: a=b\r\n\r\n");
  EXPECT_EQ(rewritten_response("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n"),
            "HTTP/1.1 200 \r\ncontent-length: 2\r\n\r\n");
  EXPECT_EQ(rewritten_response("HTTP/1.1  200  OK  \r\nContent-Length: 2\r\n\r\n"),
            "HTTP/1.1 200 OK  \r\ncontent-length: 2\r\n\r\n");
  EXPECT_EQ(rewritten_response("HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\n"),
            "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n");
  EXPECT_EQ(rewritten_response("HTTP/0.9 200 OK\r\nContent-Length: 2\r\n\r\n"),
            "HTTP/0.9 200 OK\r\ncontent-length: 2\r\n\r\n");
  EXPECT_EQ(rewritten_response("HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n"),
            "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(rewritten_response("HTTP/1.1 099 OK\r\nContent-Length: 2\r\n\r\n"),
            "HTTP/1.1 099 OK\r\n\r\n");
  EXPECT_EQ(rewritten_response("HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nx: a   b\r\ncontent-length: 2\r\n\r\n");
  EXPECT_EQ(rewritten_response("HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Foo\r\n"
                               "Content-Length: 2\r\n\r\n"),
            "HTTP/1.1 200 OK\r\nconnection: X-Foo\r\ncontent-length: 2\r\n\r\n");
}

// Names are written as stored: the parser and the rules store them lower-case, and
// h1-case-adjust renames some for a peer that needs its own case.
TEST(writer, appends_and_writes_names_as_stored) {
  request_head head;
  head.method_ = "GET";
  head.target_ = "/";
  head.version_minor_ = 0;
  head.headers_.push_back({"x-forwarded-for", "127.0.0.1"});
  head.headers_.push_back({"X-Custom-Header", "1"});
  std::string out = "previous";
  write_request_head(head, out);
  EXPECT_EQ(out,
            "previousGET / HTTP/1.0\r\nx-forwarded-for: 127.0.0.1\r\nX-Custom-Header: 1\r\n\r\n");
}

// --- chunked bodies ---

TEST(chunked, stops_at_the_end_of_the_body) {
  chunked_reader reader;
  const std::string body = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
  const chunked_reader::step s = reader.feed(body);
  EXPECT_TRUE(s.done_);
  EXPECT_FALSE(s.error_);
  EXPECT_EQ(body.substr(s.consumed_), "GET / HTTP/1.1\r\n");
  const chunked_reader::step again = reader.feed("more");
  EXPECT_TRUE(again.done_);
  EXPECT_EQ(again.consumed_, 0u);
}

TEST(chunked, a_large_chunk_is_counted_not_read) {
  chunked_reader reader;
  EXPECT_EQ(reader.feed("fffffffffffff\r\n").consumed_, 15u);  // 2^52 - 1: the largest
  const std::string data(1 << 16, 'x');
  const chunked_reader::step s = reader.feed(data);
  EXPECT_EQ(s.consumed_, data.size());
  EXPECT_FALSE(s.done_);
  EXPECT_FALSE(s.error_);
}

TEST(chunked, errors_stay_and_point_at_the_offending_byte) {
  chunked_reader reader;
  const chunked_reader::step s = reader.feed("3\r\nabcX");
  EXPECT_TRUE(s.error_);
  EXPECT_EQ(s.consumed_, 6u);
  EXPECT_TRUE(reader.feed("\r\n0\r\n\r\n").error_);
}

TEST(chunked, trailers_are_limited) {
  chunked_reader reader;
  EXPECT_FALSE(reader.feed("0\r\n").error_);
  const std::string big = "x: " + std::string(limits{}.max_raw_head_bytes_, 'a');
  EXPECT_TRUE(reader.feed(big).error_);
}

TEST(chunked, a_size_of_2_to_the_52_is_refused) {
  chunked_reader reader;
  EXPECT_TRUE(reader.feed("10000000000000\r\n").error_);
  chunked_reader zeros;
  EXPECT_FALSE(zeros.feed("00000000000000000001\r\nx\r\n").error_);
}

// --- header helpers ---

TEST(helpers, find_remove_and_tokens_ignore_case) {
  std::vector<header> h{{"connection", "Upgrade, \"a,close\""}, {"x", "1"}, {"X", "2"}};
  ASSERT_NE(find_header(h, "CONNECTION"), nullptr);
  EXPECT_TRUE(has_token(h, "Connection", "upgrade"));
  EXPECT_FALSE(has_token(h, "connection", "close"));  // inside a quoted string
  EXPECT_FALSE(has_token(h, "missing", "x"));
  remove_headers(h, "x");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].name_, "connection");
}

// --- built-in errors ---

TEST(builtin_errors, match_haproxys_wire_bytes) {
  for (const file_case& c : read_cases("builtin_errors.txt", 3)) {
    const unsigned status = static_cast<unsigned>(std::stoul(c.words_[0]));
    const error_origin origin =
        c.words_[1] == "connection" ? error_origin::connection : error_origin::stream;
    const auto page = builtin_error(status, origin);
    ASSERT_TRUE(page.has_value()) << status;
    EXPECT_EQ(*page, c.bytes_) << status << ' ' << c.words_[1] << ' ' << c.words_[2];
  }
}

TEST(builtin_errors, exist_for_haproxys_codes_only) {
  for (unsigned s : {200u, 400u, 401u, 403u, 404u, 405u, 407u, 408u, 410u, 413u, 422u, 425u, 429u,
                     500u, 501u, 502u, 503u, 504u}) {
    EXPECT_TRUE(builtin_error(s).has_value()) << s;
    EXPECT_TRUE(builtin_error(s, error_origin::connection).has_value()) << s;
  }
  for (unsigned s : {0u, 100u, 302u, 414u, 421u, 431u, 505u}) {
    EXPECT_FALSE(builtin_error(s).has_value()) << s;
  }
}

TEST(builtin_errors, the_503_of_the_brief) {
  EXPECT_EQ(*builtin_error(503),
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\n"
            "content-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo "
            "server is available to handle this request.\n</body></html>\n");
}

}  // namespace
}  // namespace tandem::runtime::proxy::http
