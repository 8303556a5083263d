// The logging part of assemble: each frontend's logger (targets from its own `log` lines or
// `log global`, the format the last of option httplog/tcplog/log-format sets, inherited from
// defaults), its captures, and the problems it reports with their lines.
#include "runtime/assemble/haproxy_logs.hpp"

#include <gtest/gtest.h>

#include <list>
#include <string>

#include "parsers/haproxy/analyse.hpp"
#include "tests/parsers/haproxy/analysis_support.hpp"

namespace tandem::runtime::assemble {
namespace {

namespace hap = parsers::haproxy;

class assemble_logs_test : public ::testing::Test {
 protected:
  haproxy_result assemble(const std::string& text) {
    hap::testing::analysis_result& a = analysed_.emplace_back();
    const parsers::file_id id = a.sources_.add("t.cfg", text);
    a.analysis_ = hap::analyse_haproxy_file(a.sources_, id, hap::analysis_options{}, a.diags_);
    EXPECT_FALSE(a.diags_.has_errors());
    return assemble_haproxy(a.analysis_.model_);
  }
  // The line the first frontend's logger writes for a simple fixed record.
  static std::string line_of(const haproxy_result& r) {
    const auto& fe = *r.proxies_->frontends_.at(0);
    auto* l = dynamic_cast<proxy::log::frontend_logger*>(fe.logger_.get());
    if (l == nullptr)
      return "<no logger>";
    proxy::log_record rec;
    rec.frontend_ = &fe;
    rec.http_ = true;
    rec.status_ = 200;
    rec.bytes_uploaded_ = 1;
    rec.request_line_ = "GET / HTTP/1.1";
    const auto line = l->line(rec);
    return line ? line->second : "<not logged>";
  }
  static std::string problems(const haproxy_result& r) {
    std::string out;
    for (const problem& p : r.problems_) {
      out += std::to_string(p.position_.line_) + (p.error_ ? " E " : " W ") + p.message_ + "\n";
    }
    return out;
  }

  std::list<hap::testing::analysis_result> analysed_;  // one per assemble(), kept
};

constexpr const char* head =
    "global\n"                       // 1
    "  log 127.0.0.1:5514 local0\n"  // 2
    "defaults\n"                     // 3
    "  mode http\n"                  // 4
    "  log global\n"                 // 5
    "  timeout connect 5s\n"         // 6
    "  timeout client 30s\n"         // 7
    "  timeout server 30s\n";        // 8

TEST_F(assemble_logs_test, httplog_from_defaults_with_log_global) {
  const haproxy_result r = assemble(std::string(head) +
                                    "  option httplog\n"
                                    "frontend f\n"
                                    "  bind 127.0.0.1:8080\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  EXPECT_EQ(problems(r), "");
  EXPECT_TRUE(line_of(r).ends_with("\"GET / HTTP/1.1\"")) << line_of(r);
  EXPECT_EQ(r.logs_->targets_.size(), 1u);
  EXPECT_EQ(r.logs_->proxies_.at("b").targets_.size(), 1u);
  EXPECT_EQ(r.logs_->proxies_.at("f").targets_.size(), 1u);
}

TEST_F(assemble_logs_test, httplog_in_a_tcp_frontend_falls_back_to_tcplog) {
  const haproxy_result r = assemble(std::string(head) +
                                    "  option httplog\n"  // 9
                                    "frontend f\n"
                                    "  mode tcp\n"
                                    "  bind 127.0.0.1:8080\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  mode tcp\n"
                                    "  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  EXPECT_EQ(problems(r),
            "9 W 'option httplog' not usable with frontend 'f' (needs 'mode "
            "http'). Falling back to 'option tcplog'.\n");
  EXPECT_TRUE(line_of(r).find(" -- ") != std::string::npos) << line_of(r);
}

TEST_F(assemble_logs_test, the_last_format_wins_and_log_format_is_inherited) {
  haproxy_result r = assemble(std::string(head) +
                              "  log-format \"%ST from defaults\"\n"
                              "frontend f\n"
                              "  bind 127.0.0.1:8080\n"
                              "  default_backend b\n"
                              "backend b\n"
                              "  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  EXPECT_EQ(line_of(r), "200 from defaults");
  r = assemble(std::string(head) +
               "  log-format \"%ST from defaults\"\n"
               "frontend f\n"
               "  bind 127.0.0.1:8080\n"
               "  option tcplog\n"
               "  log-format \"%ST own\"\n"
               "  default_backend b\n"
               "backend b\n"
               "  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  EXPECT_EQ(line_of(r), "200 own");
}

TEST_F(assemble_logs_test, no_log_address_means_no_logger) {
  haproxy_result r = assemble(
      "defaults\n  mode http\n  option httplog\n  timeout client 1s\n  timeout server 1s\n"
      "  timeout connect 1s\nfrontend f\n  bind 127.0.0.1:8080\n  default_backend b\n"
      "backend b\n  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  EXPECT_EQ(r.proxies_->frontends_[0]->logger_, nullptr);
  EXPECT_EQ(problems(r), "0 W log format ignored for frontend 'f' since it has no log address.\n");
  r = assemble(std::string(head) +
               "frontend f\n"
               "  bind 127.0.0.1:8080\n"
               "  no log\n"
               "  default_backend b\n"
               "backend b\n"
               "  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  EXPECT_EQ(r.proxies_->frontends_[0]->logger_, nullptr);
}

TEST_F(assemble_logs_test, without_a_format_the_logger_writes_connect_lines_only) {
  const haproxy_result r = assemble(std::string(head) +
                                    "frontend f\n"
                                    "  bind 127.0.0.1:8080\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  ASSERT_NE(r.proxies_->frontends_[0]->logger_, nullptr);
  EXPECT_EQ(line_of(r), "<not logged>");
}

TEST_F(assemble_logs_test, captures) {
  const haproxy_result r = assemble(std::string(head) +
                                    "frontend f\n"
                                    "  bind 127.0.0.1:8080\n"
                                    "  capture request header Host len 20\n"
                                    "  capture request header User-Agent len 10\n"
                                    "  capture response header X-Srv len 8\n"
                                    "  capture cookie SID len 12\n"
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  const proxy::frontend& fe = *r.proxies_->frontends_[0];
  ASSERT_EQ(fe.request_captures_.size(), 2u);
  EXPECT_EQ(fe.request_captures_[0].name_, "host");
  EXPECT_EQ(fe.request_captures_[1].name_, "user-agent");
  EXPECT_EQ(fe.request_captures_[1].length_, 10u);
  ASSERT_EQ(fe.response_captures_.size(), 1u);
  EXPECT_EQ(fe.response_captures_[0].name_, "x-srv");
  ASSERT_TRUE(fe.request_cookie_capture_.has_value());
  EXPECT_EQ(fe.request_cookie_capture_->name_, "SID");
  EXPECT_EQ(fe.response_cookie_capture_->length_, 12u);
}

TEST_F(assemble_logs_test, unsupported_forms_are_errors_with_their_line) {
  const haproxy_result r = assemble(
      "global\n"
      "  log 127.0.0.1 sample 1:2 local0\n"  // 2
      "  log ring@buf local0\n"              // 3
      "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend f\n"  // 9
      "  bind 127.0.0.1:8080\n"
      "  log 127.0.0.1 local0\n"
      "  log-format \"%ST %lc\"\n"  // 12
      "  option logasap\n"          // 13
      "  default_backend b\n"
      "backend b\n"
      "  server s 127.0.0.1:81\n");
  EXPECT_FALSE(r.ok());
  const std::string p = problems(r);
  EXPECT_NE(p.find("2 E 'log … sample'"), std::string::npos) << p;
  EXPECT_NE(p.find("3 E 'log ring@…'"), std::string::npos) << p;
  EXPECT_NE(p.find("12 E failed to parse log-format : log-format variable '%lc' is not logged by Tandem yet"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("13 W 'option logasap' is not run by Tandem"), std::string::npos) << p;
}

TEST_F(assemble_logs_test, http_variables_in_a_tcp_frontend_are_refused) {
  const haproxy_result r = assemble(std::string(head) +
                                    "frontend f\n"  // 9
                                    "  mode tcp\n"
                                    "  bind 127.0.0.1:8080\n"
                                    "  log-format \"%ci %r\"\n"  // 12
                                    "  default_backend b\n"
                                    "backend b\n"
                                    "  mode tcp\n"
                                    "  server s 127.0.0.1:81\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(problems(r),
            "12 E failed to parse log-format : format variable 'r' is reserved for "
            "HTTP mode\n");
}

TEST_F(assemble_logs_test, log_tag_and_send_hostname) {
  const haproxy_result r = assemble(
      "global\n"
      "  log 127.0.0.1 local0\n"
      "  log-tag gtag\n"
      "  log-send-hostname myhost\n"
      "defaults\n  mode http\n  log global\n  timeout client 1s\n  timeout server 1s\n"
      "  timeout connect 1s\n"
      "frontend f\n"
      "  bind 127.0.0.1:8080\n"
      "  log-tag ftag\n"
      "  option httplog\n"
      "  default_backend b\n"
      "backend b\n"
      "  server s 127.0.0.1:81\n");
  ASSERT_TRUE(r.ok()) << problems(r);
  EXPECT_EQ(r.logs_->sender_.tag_, "gtag");
  EXPECT_EQ(r.logs_->sender_.host_, "myhost");
  auto* l = dynamic_cast<proxy::log::frontend_logger*>(r.proxies_->frontends_[0]->logger_.get());
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->settings().sender_.tag_, "ftag");
  EXPECT_EQ(r.logs_->proxies_.at("f").sender_.tag_, "ftag");
  EXPECT_EQ(r.logs_->proxies_.at("b").sender_.tag_, "gtag");
}

}  // namespace
}  // namespace tandem::runtime::assemble
