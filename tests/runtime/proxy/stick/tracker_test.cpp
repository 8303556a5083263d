// What a session counts in the entries it tracks.
#include "runtime/proxy/stick/tracker.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace tandem::runtime::proxy::stick {
namespace {

class Tracking : public ::testing::Test {
 protected:
  std::shared_ptr<std::uint64_t> now_ = std::make_shared<std::uint64_t>(9'000'000);
  table table_{"fe",
               [] {
                 table_settings s;
                 std::string error;
                 const std::vector<std::string> w{
                     "type",  "ip", "size", "100", "expire", "30s", "store",
                     "conn_cur,conn_cnt,conn_rate(10s),sess_cnt,sess_rate(10s),http_req_cnt,"
                     "http_req_rate(10s),http_err_cnt,http_err_rate(10s),http_fail_cnt,"
                     "bytes_in_cnt,bytes_out_cnt,gpc0,gpc0_rate(10s),gpc1"};
                 parse_settings(w, s, error);
                 return s;
               }(),
               [n = now_] { return *n; }};
  entry_ref entry_ = table_.get(*table_.key_of("192.0.2.1"));
  std::uint64_t read(data_type t) { return table_.read(*entry_, t).value_or(999); }
};

TEST_F(Tracking, AConnectionTrackedAtConnectionTime) {
  {
    trackers tr;
    EXPECT_TRUE(tr.track(0, table_, entry_, true, false));
    EXPECT_FALSE(tr.track(0, table_, entry_, true, false));  // the first tracking applies
    tr.session_started();
    EXPECT_EQ(read(data_type::conn_cur), 1u);
    EXPECT_EQ(read(data_type::conn_cnt), 1u);
    EXPECT_EQ(read(data_type::conn_rate), 1u);
    EXPECT_EQ(read(data_type::sess_cnt), 1u);
    EXPECT_EQ(read(data_type::sess_rate), 1u);
    EXPECT_EQ(table_.use_count(*entry_), 1u);
    tr.http_request();
    tr.http_status(404, true, false);
    tr.http_status(503, true, false);
    tr.http_status(501, true, false);
    tr.http_status(503, false, false);  // no server: the proxy's own, not counted
    tr.http_status(404, false, false);  // a `return status 404`: not counted either
    tr.bytes(100, 2000);
    tr.end_stream();  // the connection's tracker stays
    EXPECT_EQ(read(data_type::conn_cur), 1u);
    tr.http_request();
    EXPECT_EQ(read(data_type::http_req_cnt), 2u);
    EXPECT_EQ(read(data_type::http_req_rate), 2u);
    EXPECT_EQ(read(data_type::http_err_cnt), 1u);
    EXPECT_EQ(read(data_type::http_err_rate), 1u);
    EXPECT_EQ(read(data_type::http_fail_cnt), 1u);
    tr.http_status(503, false, true);  // http-request deny deny_status 503: a client error
    tr.http_status(504, false, false);  // the server timed out
    EXPECT_EQ(read(data_type::http_err_cnt), 2u);
    EXPECT_EQ(read(data_type::http_fail_cnt), 2u);
    EXPECT_EQ(read(data_type::bytes_in_cnt), 100u);
    EXPECT_EQ(read(data_type::bytes_out_cnt), 2000u);
  }
  EXPECT_EQ(read(data_type::conn_cur), 0u);  // released with the session
  EXPECT_EQ(table_.use_count(*entry_), 0u);
}

TEST_F(Tracking, AnHttpRequestTrackerLastsOneStream) {
  trackers tr;
  tr.session_started();
  EXPECT_TRUE(tr.track(1, table_, entry_, false, true));
  EXPECT_EQ(read(data_type::http_req_cnt), 1u);  // counted by the action
  EXPECT_EQ(read(data_type::sess_cnt), 0u);
  EXPECT_EQ(read(data_type::conn_cur), 1u);
  tr.end_stream();
  EXPECT_EQ(read(data_type::conn_cur), 0u);
  EXPECT_FALSE(tr.at(1));
  EXPECT_TRUE(tr.track(1, table_, entry_, false, true));  // the next request tracks again
  EXPECT_EQ(read(data_type::conn_cnt), 2u);
  EXPECT_EQ(read(data_type::http_req_cnt), 2u);
}

TEST_F(Tracking, GpcActions) {
  EXPECT_EQ(inc_gpc(table_, *entry_, 0), 1u);
  EXPECT_EQ(inc_gpc(table_, *entry_, 0), 2u);
  EXPECT_EQ(read(data_type::gpc0_rate), 2u);
  EXPECT_EQ(inc_gpc(table_, *entry_, 1), 1u);
  EXPECT_EQ(clear_gpc(table_, *entry_, 0), 2u);
  EXPECT_EQ(read(data_type::gpc0), 0u);
  EXPECT_EQ(update_conn_cnt(table_, *entry_), 1u);
}

}  // namespace
}  // namespace tandem::runtime::proxy::stick
