// The LVS director with a fake data plane (through its make_plane seam) and verdicts fed as the
// runners would report them: keepalived's checker lines, the plane told of every pool change,
// plane errors refusing to start, reload keeping unchanged services (same plane, same state)
// and rebuilding changed ones, ha_suspend following the VRRP instance that holds the VIP, and
// the stop order with omega scripts.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "parsers/keepalived/analyse.hpp"
#include "runtime/lvs/director.hpp"
#include "runtime/assemble/keepalived_lvs.hpp"

namespace tandem::runtime::lvs {
namespace {

namespace asio = boost::asio;

struct plane_log {
  int next_id_ = 0;
  std::vector<std::string> events_;  // "start 1", "pool 1", "stop 1"
};

class fake_plane : public dataplane::data_plane {
 public:
  fake_plane(plane_log& log, std::string kind, bool fail)
      : log_(log), id_(++log.next_id_), kind_(std::move(kind)), fail_(fail) {}
  std::string_view kind() const override { return kind_; }
  bool start(std::string& why) override {
    log_.events_.push_back("start " + std::to_string(id_));
    if (fail_) why = "address in use";
    return !fail_;
  }
  void pool_changed() override { log_.events_.push_back("pool " + std::to_string(id_)); }
  void stop() override {
    if (!stopped_) log_.events_.push_back("stop " + std::to_string(id_));
    stopped_ = true;
  }

 private:
  plane_log& log_;
  int id_;
  std::string kind_;
  bool fail_, stopped_ = false;
};

struct harness {
  asio::io_context io_;
  plane_log planes_;
  std::vector<std::string> logs_, scripts_;
  bool local_ = true;
  bool fail_start_ = false;
  std::string fail_kind_;  // planes of this kind fail to start
  std::unique_ptr<director> d_;

  explicit harness(std::string forced = "user-space") {
    director_options o;
    o.log_ = [this](std::string_view l) { logs_.emplace_back(l); };
    o.where_ = [](const parsers::source_position& p) {
      return "(test.conf: Line " + std::to_string(p.line_) + ") ";
    };
    o.forced_plane_ = std::move(forced);
    o.make_plane_ = [this](std::string_view kind, dataplane::plane_context) {
      return std::make_unique<fake_plane>(planes_, std::string(kind),
                                          fail_start_ || kind == fail_kind_);
    };
    o.address_is_local_ = [this](const asio::ip::address&) { return local_; };
    o.run_script_ = [this](const std::string& s) { scripts_.push_back(s); };
    o.run_checkers_ = false;
    d_ = std::make_unique<director>(io_.get_executor(), o);
  }

  static assemble::lvs_result assemble(const std::string& text) {
    parsers::source_registry sources;
    parsers::diagnostics diags;
    auto f = sources.add("test.conf", text);
    parsers::keepalived::analyse_options o;
    o.read_.config_id_ = "test";
    auto a = parsers::keepalived::analyse_file(f, sources, o, diags);
    return assemble::assemble_lvs(a.model_);
  }

  bool logged(const std::string& line) const {
    return std::find(logs_.begin(), logs_.end(), line) != logs_.end();
  }
  std::string all_logs() const {
    std::string out;
    for (const auto& l : logs_) out += l + "\n";
    return out;
  }
};

const char* two_services = R"(virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  omega
  quorum_down "/bin/quorum down"
  real_server 10.0.1.1 8080 {
    notify_down "/bin/rs1 down"
    TCP_CHECK {
    }
  }
  real_server 10.0.1.2 8080 {
    TCP_CHECK {
    }
  }
}
virtual_server 10.0.0.2 53 {
  protocol UDP
  real_server 10.0.2.1 53 {
  }
}
)";

checkers::checker_event verdict(bool up, std::string line = {}) {
  checkers::checker_event e;
  e.verdict_ = up;
  if (!line.empty()) e.logs_.push_back(std::move(line));
  return e;
}

TEST(lvs_director, starts_services_and_follows_checkers) {
  harness h;
  ASSERT_TRUE(h.d_->start(harness::assemble(two_services))) << h.all_logs();
  ASSERT_EQ(h.d_->size(), 2u);
  EXPECT_EQ(h.d_->plane_kind(0), "user-space");
  EXPECT_TRUE(h.logged("Activating healthchecker for service [10.0.1.1]:tcp:8080 for VS "
                       "[10.0.0.1]:tcp:80"))
      << h.all_logs();
  EXPECT_EQ(h.d_->service(0).pool().size(), 2u);
  EXPECT_EQ(h.d_->service(1).pool().size(), 1u);
  const auto before = h.planes_.events_.size();
  h.d_->checker_event(0, 0, verdict(false, "TCP connection to [10.0.1.1]:tcp:8080 failed."));
  EXPECT_TRUE(h.logged("TCP connection to [10.0.1.1]:tcp:8080 failed."));
  EXPECT_TRUE(h.logged("Removing service [10.0.1.1]:tcp:8080 from VS [10.0.0.1]:tcp:80"))
      << h.all_logs();
  EXPECT_EQ(h.d_->service(0).pool().size(), 1u);
  ASSERT_GT(h.planes_.events_.size(), before);
  EXPECT_EQ(h.planes_.events_.back(), "pool 1");
  EXPECT_EQ(h.scripts_, std::vector<std::string>{"/bin/rs1 down"});

  // Stop: checkers, then planes, then omega's scripts for what was still up.
  h.scripts_.clear();
  h.d_->stop();
  EXPECT_EQ(h.planes_.events_.back(), "stop 2");
  EXPECT_TRUE(h.logged("Shutting down service [10.0.1.2]:tcp:8080 from VS [10.0.0.1]:tcp:80"));
  EXPECT_EQ(h.scripts_, std::vector<std::string>{"/bin/quorum down"});
}

TEST(lvs_director, plane_errors_refuse_to_start) {
  {
    harness h("");
    // lb_kind TUN: no plane can serve it, at the service's line.
    auto r = harness::assemble(R"(virtual_server 10.0.0.1 80 {
  lb_kind TUN
  protocol TCP
  real_server 10.0.1.1 80 {
  }
}
)");
    EXPECT_FALSE(h.d_->start(std::move(r)));
    EXPECT_NE(h.all_logs().find("(test.conf: Line 1) VS [10.0.0.1]:tcp:80 cannot be served: lb_kind TUN"),
              std::string::npos)
        << h.all_logs();
    EXPECT_TRUE(h.planes_.events_.empty());
  }
  {
    harness h("no-such-plane");
    EXPECT_FALSE(h.d_->start(harness::assemble(two_services)));
    EXPECT_NE(h.all_logs().find("TANDEM_LVS_PLANE=no-such-plane"), std::string::npos);
  }
  {
    // The second plane cannot bind: the first is stopped again, nothing runs.
    harness h;
    h.fail_start_ = true;
    EXPECT_FALSE(h.d_->start(harness::assemble(two_services)));
    EXPECT_EQ(h.d_->size(), 0u);
    EXPECT_NE(h.all_logs().find("cannot be served by the user-space data plane: address in use"),
              std::string::npos)
        << h.all_logs();
  }
}

TEST(lvs_director, a_nat_service_nftables_refuses_at_start_goes_to_user_space) {
  const char* text = R"(virtual_server 10.0.0.1 80 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.0.1.1 80 {
  }
}
)";
  harness h("");
  h.fail_kind_ = "nftables-nat";
  ASSERT_TRUE(h.d_->start(harness::assemble(text))) << h.all_logs();
  EXPECT_EQ(h.d_->plane_kind(0), "user-space");
  // On a kernel where the chooser takes nftables for this service, the refusal at start is
  // a warning at the service's line and user space serves (plane 1 failed, plane 2 serves).
  auto r = harness::assemble(text);
  if (dataplane::choose_plane(plane_spec_of(r.services_[0])).kind_ == "nftables-nat") {
    EXPECT_EQ(h.planes_.events_, (std::vector<std::string>{"start 1", "start 2", "pool 2"}));
    EXPECT_NE(h.all_logs().find("(test.conf: Line 1) VS [10.0.0.1]:tcp:80: served in user space"),
              std::string::npos)
        << h.all_logs();
  }
  // A forced plane has no fallback.
  harness forced("nftables-nat");
  forced.fail_kind_ = "nftables-nat";
  EXPECT_FALSE(forced.d_->start(harness::assemble(text)));
}

TEST(lvs_director, reload_keeps_unchanged_services_and_rebuilds_changed_ones) {
  harness h;
  ASSERT_TRUE(h.d_->start(harness::assemble(two_services)));
  h.d_->checker_event(0, 0, verdict(false));
  ASSERT_FALSE(h.d_->service(0).alive(0));
  virtual_service* first = &h.d_->service(0);
  h.planes_.events_.clear();
  h.logs_.clear();

  // The same text, a comment line added on top: both kept as they were (state, planes).
  ASSERT_TRUE(h.d_->reload(harness::assemble(std::string("# moved\n") + two_services)));
  EXPECT_EQ(&h.d_->service(0), first);
  EXPECT_FALSE(h.d_->service(0).alive(0));
  EXPECT_TRUE(h.planes_.events_.empty()) << h.planes_.events_.front();

  // The UDP service gains a real server: rebuilt (its plane stopped, a new one started); the
  // TCP service is untouched.
  std::string changed = two_services;
  changed.replace(changed.rfind("  real_server 10.0.2.1 53 {"), 0,
                  "  real_server 10.0.2.2 53 {\n  }\n");
  ASSERT_TRUE(h.d_->reload(harness::assemble(changed)));
  EXPECT_EQ(&h.d_->service(0), first);
  EXPECT_EQ(h.d_->service(1).pool().size(), 2u);
  EXPECT_EQ(h.planes_.events_, (std::vector<std::string>{"stop 2", "start 3", "pool 3"}));
  EXPECT_TRUE(h.logged("Removing Virtual Server [10.0.0.2]:udp:53"));

  // The TCP service removed from the file: stopped.
  h.planes_.events_.clear();
  ASSERT_TRUE(h.d_->reload(harness::assemble(changed.substr(changed.find("virtual_server 10.0.0.2")))));
  EXPECT_EQ(h.d_->size(), 1u);
  EXPECT_EQ(h.planes_.events_, std::vector<std::string>{"stop 1"});
  EXPECT_TRUE(h.logged("Removing Virtual Server [10.0.0.1]:tcp:80"));
}

TEST(lvs_director, a_rebuilt_service_keeps_its_real_servers_verdicts) {
  harness h;
  ASSERT_TRUE(h.d_->start(harness::assemble(two_services)));
  h.d_->checker_event(0, 0, verdict(false));  // 10.0.1.1 is down
  ASSERT_EQ(h.d_->service(0).pool().size(), 1u);
  // The TCP service changes (its scheduler): rebuilt, but 10.0.1.1's TCP_CHECK is the same
  // checker, so the server stays out of the pool until the checker says otherwise.
  std::string changed = two_services;
  changed.replace(changed.find("lb_algo rr"), 10, "lb_algo wrr");
  ASSERT_TRUE(h.d_->reload(harness::assemble(changed)));
  EXPECT_TRUE(h.logged("Removing Virtual Server [10.0.0.1]:tcp:80"));
  EXPECT_FALSE(h.d_->service(0).alive(0));
  EXPECT_TRUE(h.d_->service(0).alive(1));
  ASSERT_EQ(h.d_->service(0).pool().size(), 1u);
  EXPECT_EQ(h.d_->service(0).pool()[0].address_.to_string(), "10.0.1.2");
  h.d_->checker_event(0, 0, verdict(true));
  EXPECT_EQ(h.d_->service(0).pool().size(), 2u);
}

TEST(lvs_director, ha_suspend_follows_the_vrrp_master) {
  harness h;
  h.local_ = false;  // the VIP is not here at start
  ASSERT_TRUE(h.d_->start(harness::assemble(R"(virtual_server 10.0.0.1 80 {
  protocol TCP
  ha_suspend
  real_server 10.0.1.1 80 {
    TCP_CHECK {
    }
  }
}
)")));
  EXPECT_TRUE(h.logged("Deactivating healthchecker for service [10.0.1.1]:tcp:80 for VS "
                       "[10.0.0.1]:tcp:80"))
      << h.all_logs();
  EXPECT_FALSE(h.d_->checker_active(0, 0));
  const auto vip = asio::ip::make_address("10.0.0.1");
  h.d_->vrrp_state("VI_1", false, {vip});  // BACKUP: still suspended, nothing logged
  EXPECT_FALSE(h.d_->checker_active(0, 0));
  h.d_->vrrp_state("VI_1", true, {vip});
  EXPECT_TRUE(h.d_->checker_active(0, 0));
  EXPECT_TRUE(h.logged("Activating healthchecker for service [10.0.1.1]:tcp:80 for VS "
                       "[10.0.0.1]:tcp:80"));
  h.d_->vrrp_state("VI_1", false, {vip});
  EXPECT_FALSE(h.d_->checker_active(0, 0));
  EXPECT_TRUE(h.logged("Suspending healthchecker for service [10.0.1.1]:tcp:80 for VS "
                       "[10.0.0.1]:tcp:80"));
  // An instance holding other addresses changes nothing.
  h.d_->vrrp_state("VI_2", true, {asio::ip::make_address("10.9.9.9")});
  EXPECT_FALSE(h.d_->checker_active(0, 0));
}

TEST(lvs_director, without_ha_suspend_checkers_always_run) {
  harness h;
  h.local_ = false;
  ASSERT_TRUE(h.d_->start(harness::assemble(two_services)));
  h.d_->vrrp_state("VI_1", false, {asio::ip::make_address("10.0.0.1")});
  EXPECT_TRUE(h.d_->checker_active(0, 0));
}

TEST(lvs_director, plane_spec_of_a_group_lists_its_ranges) {
  auto r = harness::assemble(R"(virtual_server_group G {
  10.0.0.1-3 80
  10.0.0.9 8080
}
virtual_server group G {
  protocol TCP
  lb_kind DR
  persistence_timeout 30
  real_server 10.0.1.1 80 {
    lb_kind NAT
  }
}
)");
  ASSERT_EQ(r.services_.size(), 1u);
  const auto spec = plane_spec_of(r.services_[0]);
  ASSERT_EQ(spec.vips_.size(), 2u);
  EXPECT_EQ(spec.vips_[0].last_.to_string(), "10.0.0.3");
  EXPECT_EQ(spec.vips_[1].port_, 8080);
  EXPECT_EQ(spec.method_, dataplane::forwarding::dr);
  EXPECT_EQ(spec.persistence_timeout_, std::chrono::seconds(30));
}

}  // namespace
}  // namespace tandem::runtime::lvs
