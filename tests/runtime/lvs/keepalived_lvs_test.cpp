// runtime/assemble/keepalived_lvs: keepalived configurations (read by the real front-end)
// become services and checker specs with keepalived 2.2.7's defaults and inheritance, and what
// cannot run is reported at its line.
#include <gtest/gtest.h>

#include "parsers/keepalived/analyse.hpp"
#include "runtime/assemble/keepalived_lvs.hpp"

namespace tandem::runtime::assemble {
namespace {

using namespace std::chrono_literals;

struct assembled {
  parsers::source_registry sources_;
  parsers::diagnostics diags_;
  parsers::keepalived::analysis a_;
  lvs_result r_;
};

std::unique_ptr<assembled> assemble(std::string text) {
  auto x = std::make_unique<assembled>();
  auto f = x->sources_.add("test.conf", std::move(text));
  parsers::keepalived::analyse_options o;
  o.read_.config_id_ = "test";
  x->a_ = parsers::keepalived::analyse_file(f, x->sources_, o, x->diags_);
  x->r_ = assemble_lvs(x->a_.model_);
  return x;
}

TEST(lvs_assemble, defaults_and_inheritance) {
  auto x = assemble(R"(virtual_server 10.0.0.1 80 {
  delay_loop 10
  lb_algo wrr
  lb_kind DR
  persistence_timeout 50
  persistence_granularity 255.255.255.0
  protocol TCP
  retry 4
  real_server 192.168.0.1 8080 {
    weight 3
    connect_timeout 2
    TCP_CHECK {
      connect_port 8081
    }
    HTTP_GET {
      url {
        path /health
        digest 9b3a0c85a887a256d6939da88aabd8cd
        status_code 200-299 301
      }
      delay_before_retry 7
      http_protocol 1.1
    }
  }
  real_server 192.168.0.2 {
    MISC_CHECK {
      misc_path "/bin/check arg"
      misc_dynamic
    }
  }
}
)");
  ASSERT_TRUE(x->r_.ok()) << (x->r_.problems_.empty() ? "" : x->r_.problems_[0].message_);
  ASSERT_EQ(x->r_.services_.size(), 1u);
  const auto& b = x->r_.services_[0];
  EXPECT_EQ(b.service_.scheduler_, "wrr");
  EXPECT_EQ(b.lvs_method_, "DR");
  EXPECT_EQ(b.service_.persistence_timeout_, 50s);
  EXPECT_EQ(b.service_.granularity_v4_, 24u);
  EXPECT_EQ(b.service_.display(), "[10.0.0.1]:tcp:80");
  ASSERT_EQ(b.service_.real_servers_.size(), 2u);
  EXPECT_EQ(b.service_.real_servers_[0].weight_, 3);
  EXPECT_EQ(b.service_.real_servers_[1].port_, 80);  // the virtual server's port
  ASSERT_EQ(b.checkers_.size(), 3u);
  const auto& tcp = b.checkers_[0].spec_;
  EXPECT_EQ(tcp.port_, 8081);
  EXPECT_EQ(tcp.connect_timeout_, 2000ms);  // from the real server
  EXPECT_EQ(tcp.retry_, 4u);                // from the virtual server
  EXPECT_EQ(tcp.delay_loop_, 10000ms);
  EXPECT_EQ(tcp.warmup_, 10000ms);  // warmup defaults to delay_loop
  EXPECT_EQ(tcp.delay_before_retry_, 1000ms);
  const auto& http = b.checkers_[1].spec_;
  EXPECT_EQ(http.port_, 8080);
  EXPECT_EQ(http.delay_before_retry_, 7000ms);
  EXPECT_TRUE(http.http_1_1_);
  ASSERT_EQ(http.urls_.size(), 1u);
  EXPECT_EQ(http.urls_[0].status_ranges_, (std::vector<std::pair<int, int>>{{200, 299}, {301, 301}}));
  ASSERT_TRUE(http.urls_[0].digest_);
  const auto& misc = b.checkers_[2].spec_;
  EXPECT_EQ(b.checkers_[2].real_server_, 1u);
  EXPECT_EQ(misc.misc_path_, "/bin/check arg");
  EXPECT_TRUE(misc.misc_dynamic_);
  EXPECT_EQ(misc.retry_, 4u);  // the virtual server's retry applies to MISC_CHECK too
}

TEST(lvs_assemble, scheduler_flags_quorum_sorry_and_alpha) {
  auto x = assemble(R"(virtual_server 10.0.0.1 53 {
  lvs_sched sh
  sh-port
  sh-fallback
  protocol UDP
  alpha
  quorum 2
  hysteresis 1
  quorum_up "/bin/up now"
  quorum_down /bin/down
  sorry_server 192.168.0.9 53
  sorry_server_inhibit
  real_server 192.168.0.1 53 {
    DNS_CHECK {
      type A
      name example.com
    }
  }
}
)");
  ASSERT_TRUE(x->r_.ok());
  const auto& s = x->r_.services_.at(0).service_;
  EXPECT_TRUE(s.flags_.sh_port_);
  EXPECT_TRUE(s.flags_.sh_fallback_);
  EXPECT_EQ(s.protocol_, lvs::protocol::udp);
  EXPECT_EQ(s.quorum_, 2u);
  EXPECT_EQ(s.hysteresis_, 1u);
  EXPECT_EQ(s.quorum_up_, "/bin/up now");
  EXPECT_EQ(s.quorum_down_, "/bin/down");
  ASSERT_TRUE(s.sorry_server_);
  EXPECT_TRUE(s.sorry_server_inhibit_);
  EXPECT_EQ(s.real_servers_[0].checkers_start_down_, std::vector<bool>{true});
  const auto& dns = x->r_.services_[0].checkers_[0].spec_;
  EXPECT_EQ(dns.dns_type_, 1);
  EXPECT_EQ(dns.dns_name_, "example.com");
  EXPECT_EQ(dns.retry_, 3u);
  EXPECT_EQ(dns.delay_before_retry_, dns.delay_loop_);
  EXPECT_EQ(dns.display(), "[192.168.0.1]:udp:53");
}

TEST(lvs_assemble, groups_and_fwmarks) {
  auto x = assemble(R"(virtual_server_group web {
  10.0.0.1-3 80
  fwmark 7
}
virtual_server group web {
  protocol TCP
  lvs_sched rr
  real_server 192.168.0.1 80 {
  }
}
virtual_server fwmark 9 {
  lvs_sched lc
  real_server 192.168.0.2 80 {
  }
}
)");
  ASSERT_TRUE(x->r_.ok());
  ASSERT_EQ(x->r_.services_.size(), 2u);
  const auto& g = x->r_.services_[0];
  ASSERT_EQ(g.group_entries_.size(), 2u);
  EXPECT_EQ(g.group_entries_[0].last_.to_string(), "10.0.0.3");
  EXPECT_EQ(g.group_entries_[0].port_, 80);
  EXPECT_EQ(g.group_entries_[1].fwmark_, 7u);
  EXPECT_EQ(x->r_.services_[1].service_.display(), "FWM 9");
}

TEST(lvs_assemble, no_protocol_means_udp_as_in_keepalived) {
  auto x = assemble(R"(virtual_server 10.0.0.1 80 {
  real_server 192.168.0.1 80 {
    TCP_CHECK {
    }
  }
}
)");
  ASSERT_TRUE(x->r_.ok());
  ASSERT_EQ(x->r_.problems_.size(), 1u);
  EXPECT_FALSE(x->r_.problems_[0].error_);
  EXPECT_EQ(x->r_.problems_[0].position_.line_, 1u);
  EXPECT_EQ(x->r_.services_.at(0).service_.protocol_, lvs::protocol::udp);
  EXPECT_EQ(x->r_.services_[0].service_.display(), "[10.0.0.1]:udp:80");
  EXPECT_EQ(x->r_.services_[0].checkers_.at(0).spec_.display(), "[192.168.0.1]:udp:80");
}

TEST(lvs_assemble, what_cannot_run_is_reported_at_its_line) {
  auto x = assemble(R"(virtual_server 10.0.0.1 80 {
  lvs_sched nosuch
  real_server 192.168.0.1 80 {
  }
}
virtual_server 10.0.0.2 80 {
  protocol SCTP
}
virtual_server 10.0.0.3 80 {
  protocol TCP
  real_server 192.168.0.1 80 {
    BFD_CHECK {
      name x
    }
    HTTP_GET {
      url {
        path /
        regex "a(b"
      }
    }
    FILE_CHECK {
      track_file missing
    }
  }
}
)");
  EXPECT_FALSE(x->r_.ok());
  std::vector<std::uint32_t> lines;
  for (const auto& p : x->r_.problems_)
    if (p.error_) lines.push_back(p.position_.line_);
  EXPECT_EQ(lines, (std::vector<std::uint32_t>{2, 6, 12, 16, 21}));
}

}  // namespace
}  // namespace tandem::runtime::assemble
