// Instance config to bytes and back: adverts built from an instance's configuration match
// the hand-built vectors, and two instances talking through real encoded packets (the
// codec's checks in between) elect, fail over and reject bad authentication.
#include "runtime/vrrp/wire.hpp"

#include <gtest/gtest.h>

#include "runtime/vrrp/auth.hpp"
#include "tests/runtime/vrrp/test_support.hpp"

namespace tandem::runtime::vrrp {
namespace {

using namespace testing;
using bytes = std::vector<std::uint8_t>;

instance_config node(std::uint8_t prio, const char* source) {
  auto c = v2_config(prio, source);
  c.vips_ = {addr("192.168.1.100")};
  return c;
}

TEST(vrrp_wire_test, AdvertForMatchesTheHandBuiltVector) {
  const auto cfg = node(100, "192.168.1.10");
  const checksum_context ctx{addr("192.168.1.10"), addr("224.0.0.18"), addr("224.0.0.18"),
                             v3_checksum_mode::pseudo_header};
  const bytes expected{0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0xb8, 0xbd, 0xc0, 0xa8,
                       0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(encode_message(advert_for(cfg, 100), address_family::ipv4, ctx), expected);
}

TEST(vrrp_wire_test, IntervalFieldRoundsAsKeepalived) {
  auto cfg = node(100, "10.0.0.1");
  cfg.advert_interval_ = 1500ms;
  EXPECT_EQ(advert_interval_field(cfg), 2);
  cfg.version_ = 3;
  cfg.advert_interval_ = 100ms;
  EXPECT_EQ(advert_interval_field(cfg), 10);
  cfg.advert_interval_ = 41s;  // more than 12 bits of centiseconds
  EXPECT_EQ(advert_interval_field(cfg), 4100 & 0x0fff);
}

TEST(vrrp_wire_test, HmacMd5MatchesRfc2202) {
  // RFC 2202 test case 1: key 0x0b * 16, "Hi There" -> 9294727a3638bb1c13f48ef8158bfc9d.
  const bytes key(16, 0x0b);
  const std::string data = "Hi There";
  const auto icv =
      hmac_md5_96(key, {reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  const std::array<std::uint8_t, 12> expected{0x92, 0x94, 0x72, 0x7a, 0x36, 0x38,
                                              0xbb, 0x1c, 0x13, 0xf4, 0x8e, 0xf8};
  EXPECT_EQ(icv, expected);
}

// Two routers on IPv4 multicast: every send_advert is encoded as keepalived would send it,
// checked by the other side's codec and handed to its machine only when it passes.
struct wire_pair {
  wire_pair(instance_config ca, instance_config cb) : a(std::move(ca)), b(std::move(cb)) {}

  void start() {
    a.start();
    b.start();
    exchange();
  }
  void run_until(time_point t) {
    advance_together({&a, &b}, t, [this] { exchange(); });
  }
  void exchange() {
    for (int round = 0; round < 8; ++round) {
      bool any = false;
      for (auto [from, to, stats] : {std::tuple{&a, &b, &b_stats}, std::tuple{&b, &a, &a_stats}}) {
        for (const auto& act : from->take()) {
          const auto* s = std::get_if<actions::send_advert>(&act);
          if (s == nullptr) {
            continue;
          }
          any = true;
          const auto& fc = from->inst_.config();
          const checksum_context ctx{fc.primary_address_, group, group,
                                     v3_checksum_mode::pseudo_header};
          const ipv4_fields ip{fc.primary_address_, group, ++ip_id, vrrp_ttl, false};
          const auto packet = encode_ipv4_packet(advert_for(fc, s->priority_), ip, ctx);
          transport_config transport;
          transport.multicast_group_ = group;
          const auto rx = rx_config_for(to->inst_.config(), transport);
          const auto r = check_ipv4_packet(rx, packet, *stats);
          if (r.status_ == rx_status::ok) {
            to->inst_.on_advert(to->now_, to_received(r.value_, r.source_));
            to->drain();
          }
        }
      }
      if (!any) {
        return;
      }
    }
  }

  clocked a;
  clocked b;
  rx_stats a_stats;
  rx_stats b_stats;
  ip_address group = addr("224.0.0.18");
  std::uint16_t ip_id = 0;
};

TEST(vrrp_wire_test, ElectionAndFailoverThroughEncodedPackets) {
  wire_pair p(node(101, "192.168.1.11"), node(100, "192.168.1.12"));
  p.start();
  p.run_until(at(20s));
  EXPECT_EQ(p.a.inst_.current_state(), state::master);
  EXPECT_EQ(p.b.inst_.current_state(), state::backup);
  EXPECT_GE(p.b_stats.adverts_received_, 15u);
  p.a.inst_.shutdown(p.a.now_);
  p.a.drain();
  p.exchange();
  EXPECT_EQ(p.b_stats.priority_zero_received_, 1u);
  p.run_until(at(20s) + p.b.inst_.skew_time());
  EXPECT_EQ(p.b.inst_.current_state(), state::master);
}

TEST(vrrp_wire_test, PassAuthenticationMatchesAndMismatches) {
  auto ca = node(101, "192.168.1.11");
  auto cb = node(100, "192.168.1.12");
  ca.auth_ = cb.auth_ = auth_type::pass;
  ca.auth_data_ = auth_data_from_password("s3cret!!extra");
  cb.auth_data_ = auth_data_from_password("s3cret!!");
  {
    wire_pair p(ca, cb);
    p.start();
    p.run_until(at(20s));
    EXPECT_EQ(p.b.inst_.current_state(), state::backup);  // only 8 characters count
    EXPECT_EQ(p.b_stats.count(rx_status::auth_failure), 0u);
  }
  cb.auth_data_ = auth_data_from_password("other");
  wire_pair p(ca, cb);
  p.start();
  p.run_until(at(20s));
  // Rejected adverts change nothing: b never hears a master and takes over too.
  EXPECT_EQ(p.b.inst_.current_state(), state::master);
  EXPECT_EQ(p.a.inst_.current_state(), state::master);
  EXPECT_GT(p.b_stats.count(rx_status::auth_failure), 10u);
  EXPECT_EQ(p.b_stats.adverts_received_, 0u);
}

TEST(vrrp_wire_test, VridMismatchIsCountedAndIgnored) {
  auto cb = node(100, "192.168.1.12");
  cb.vrid_ = 52;
  wire_pair p(node(101, "192.168.1.11"), cb);
  p.start();
  p.run_until(at(10s));
  EXPECT_EQ(p.b.inst_.current_state(), state::master);
  EXPECT_GT(p.b_stats.count(rx_status::vrid_mismatch), 5u);
}

TEST(vrrp_wire_test, V3TenthOfASecondFailsOverAfterTheRfcMasterDown) {
  auto ca = node(101, "192.168.1.11");
  auto cb = node(100, "192.168.1.12");
  ca.version_ = cb.version_ = 3;
  ca.advert_interval_ = cb.advert_interval_ = 100ms;
  wire_pair p(ca, cb);
  p.start();
  p.run_until(at(5s));
  ASSERT_EQ(p.a.inst_.current_state(), state::master);
  time_point last_advert{};
  for (const auto& [when, act] : p.a.log_) {
    if (act == action(actions::send_advert{101})) {
      last_advert = when;
    }
  }
  ASSERT_GT(last_advert, at(4900ms));
  // The master vanishes without a word (link cut): b waits 3 * 0.1 s + skew.
  p.a.inst_.on_interface(p.a.now_, false);
  p.a.drain();
  p.a.take();  // its priority-0 advert is lost with the link
  p.run_until(at(6s));
  ASSERT_TRUE(p.b.entered(state::master));
  // Exactly the RFC 5798 master-down interval after the last advert b heard:
  // 3 * 0.1 s + ((256 - 100) * 10 cs) / 256 = 0.360937 s.
  EXPECT_EQ(*p.b.entered(state::master) - last_advert, 360937us);
}

}  // namespace
}  // namespace tandem::runtime::vrrp
