// plane_driver: an internal test driver (not installed) that serves keepalived's
// virtual_server blocks through Tandem's LVS runtime and one of its data planes, for
// compat-tests/lvs/test_nftables.py (until `tandem keepalived` carries the planes itself):
//
//   plane_driver run CONFIG SECONDS [KIND]   choose a plane per service (or take KIND), start
//                                            it, run every checker, mirror pool changes into
//                                            the plane; prints "PLANE <vs> <kind>", keepalived's
//                                            log lines, "POOL <vs> ip:port=weight/active ..." on
//                                            each change; SIGTERM/SIGINT or SECONDS end it, and
//                                            the planes remove what they installed
//
// Exit status: 0, 1 when the configuration has errors or a plane failed to start, 2 on bad
// usage.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <random>

#include "parsers/keepalived/analyse.hpp"
#include "runtime/assemble/keepalived_lvs.hpp"
#include "runtime/lvs/checkers/runner.hpp"
#include "runtime/lvs/dataplane/data_plane.hpp"

namespace {

using namespace tandem;
namespace asio = boost::asio;
namespace dp = runtime::lvs::dataplane;

void print_line(const std::string& text) {
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

dp::forwarding method_of(const std::string& m) {
  if (m == "DR") return dp::forwarding::dr;
  if (m == "TUN") return dp::forwarding::tun;
  return dp::forwarding::nat;
}

dp::plane_spec spec_of(const runtime::assemble::lvs_service_binding& b) {
  dp::plane_spec s;
  const auto& c = b.service_;
  s.display_ = c.display();
  if (c.fwmark_) s.vips_.push_back({{}, {}, 0, c.fwmark_});
  else if (!c.group_.empty())
    for (const auto& e : b.group_entries_) s.vips_.push_back({e.first_, e.last_, e.port_, e.fwmark_});
  else s.vips_.push_back({c.address_, c.address_, c.port_, 0});
  s.protocol_ = c.protocol_;
  s.method_ = method_of(b.lvs_method_);
  for (const auto& m : b.real_server_methods_) s.real_server_methods_.push_back(m.empty() ? s.method_ : method_of(m));
  s.persistence_timeout_ = c.persistence_timeout_;
  s.scheduler_ = c.scheduler_;
  if (const char* t = std::getenv("PLANE_DRIVER_TABLE")) s.table_name_ = t;
  return s;
}

std::string pool_line(const runtime::lvs::virtual_service& s) {
  std::string out = "POOL " + s.config().display();
  for (const auto& d : s.pool())
    out += " " + d.address_.to_string() + ":" + std::to_string(d.port_) + "=" +
           std::to_string(d.weight_) + "/" + std::to_string(d.active_);
  return out;
}

struct served {
  std::unique_ptr<runtime::lvs::virtual_service> service_;
  std::unique_ptr<dp::data_plane> plane_;
  std::string last_pool_;
};

int run(runtime::assemble::lvs_result& lvs, double seconds, const std::string& forced) {
  asio::io_context io;
  std::vector<std::unique_ptr<served>> all;
  std::vector<std::shared_ptr<runtime::lvs::checkers::runner>> runners;
  std::mt19937 gen(1);
  auto events = [&io](const runtime::lvs::service_event& e) {
    if (e.kind_ == runtime::lvs::service_event::kind::log) {
      print_line(e.text_);
    } else {
      print_line("SCRIPT " + e.text_);
      runtime::lvs::checkers::run_script(io.get_executor(), e.text_);
    }
  };
  auto changed = [](served& s) {
    if (s.plane_) s.plane_->pool_changed();
    std::string p = pool_line(*s.service_);
    if (p != s.last_pool_) print_line(p);
    s.last_pool_ = p;
  };
  int failures = 0;
  for (auto& b : lvs.services_) {
    auto sv = std::make_unique<served>();
    sv->service_ = std::make_unique<runtime::lvs::virtual_service>(b.service_, events);
    sv->service_->start();
    const dp::plane_spec spec = spec_of(b);
    std::string kind = forced;
    if (kind.empty()) {
      auto choice = dp::choose_plane(spec);
      for (const auto& w : choice.warnings_) print_line("WARNING " + w);
      if (choice.kind_.empty()) {
        print_line("ERROR " + spec.display_ + ": " + choice.error_);
        ++failures;
      }
      kind = choice.kind_;
    }
    if (!kind.empty()) {
      dp::plane_context ctx;
      ctx.executor_ = io.get_executor();
      ctx.service_ = sv->service_.get();
      ctx.spec_ = spec;
      ctx.log_ = [](std::string_view l) { print_line(std::string(l)); };
      ctx.schedule_context_ = [&gen] {
        runtime::lvs::schedule_context c;
        c.now_ = runtime::lvs::clock::now();
        c.random_below_ = [&gen](std::uint32_t bound) {
          return std::uniform_int_distribution<std::uint32_t>(0, bound - 1)(gen);
        };
        return c;
      };
      sv->plane_ = dp::make_plane(kind, std::move(ctx));
      std::string why;
      if (!sv->plane_ || !sv->plane_->start(why)) {
        print_line("ERROR " + spec.display_ + ": " + (sv->plane_ ? why : "no plane " + kind));
        sv->plane_.reset();
        ++failures;
      } else {
        print_line("PLANE " + spec.display_ + " " + std::string(sv->plane_->kind()));
      }
    }
    served* raw = sv.get();
    for (auto& cb : b.checkers_) {
      const std::size_t rs = cb.real_server_, ck = cb.checker_;
      runners.push_back(std::make_shared<runtime::lvs::checkers::runner>(
          io.get_executor(), cb.spec_, [raw, rs, ck, &changed](const runtime::lvs::checkers::checker_event& e) {
            for (const auto& line : e.logs_) print_line(line);
            if (e.weight_) raw->service_->set_weight(rs, *e.weight_);
            if (e.verdict_) raw->service_->checker_result(rs, ck, *e.verdict_);
            changed(*raw);
          }));
    }
    changed(*raw);
    all.push_back(std::move(sv));
  }
  for (auto& r : runners) r->start();
  // Counts change inside the planes' own timers: show them twice a second.
  asio::steady_timer show(io);
  std::function<void()> tick = [&] {
    show.expires_after(std::chrono::milliseconds(500));
    show.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      for (auto& s : all) changed(*s);
      tick();
    });
  };
  tick();
  asio::steady_timer end(io);
  end.expires_after(std::chrono::milliseconds(static_cast<long long>(seconds * 1000)));
  end.async_wait([&](boost::system::error_code) {
    for (auto& r : runners) r->stop();
    show.cancel();
    for (auto& s : all) {
      if (s->plane_) s->plane_->stop();
      s->service_->stop();
    }
    print_line("STOPPED");
    io.stop();
  });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { end.cancel(); });
  io.run();
  return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: plane_driver run CONFIG SECONDS [KIND]\n");
    return 2;
  }
  parsers::source_registry sources;
  parsers::diagnostics diags;
  auto file = sources.load(argv[2], diags);
  if (!file) return 1;
  parsers::keepalived::analyse_options o;
  o.read_.config_id_ = "plane_driver";
  auto analysis = parsers::keepalived::analyse_file(*file, sources, o, diags);
  auto lvs = runtime::assemble::assemble_lvs(analysis.model_);
  for (const auto& p : lvs.problems_)
    print_line(std::to_string(p.position_.line_) + ": " + (p.error_ ? "error: " : "warning: ") + p.message_);
  if (diags.has_errors() || !lvs.ok()) return 1;
  const std::string cmd = argv[1];
  if (cmd == "run" && argc >= 4) return run(lvs, std::atof(argv[3]), argc >= 5 ? argv[4] : "");
  std::fprintf(stderr, "usage: plane_driver run CONFIG SECONDS [KIND]\n");
  return 2;
}
