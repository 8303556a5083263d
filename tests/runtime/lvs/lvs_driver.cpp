// lvs_driver: an internal test driver (not installed) that runs keepalived's virtual_server
// blocks through Tandem's LVS runtime without a data path, for compat-tests/lvs:
//
//   lvs_driver check CONFIG             assemble; print problems "LINE: error|warning: TEXT"
//   lvs_driver run CONFIG SECONDS       run every checker and service for SECONDS, printing
//                                       keepalived's log lines as they happen, notify scripts
//                                       as "SCRIPT cmd" (and running them), and at the end each
//                                       pool as "POOL <vs> <ip:port>=<weight> ..."
//   lvs_driver once CONFIG              one attempt of each checker: "<checker> up|down <why>"
//   lvs_driver schedule CONFIG N SRC..  N new connections from each source (ip or ip:port),
//                                       every real server up: "SRC -> ip:port"
//
// Exit status: 0, or 1 when the configuration has errors, 2 on bad usage.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

#include "parsers/common/render.hpp"
#include "parsers/keepalived/analyse.hpp"
#include "runtime/assemble/keepalived_lvs.hpp"
#include "runtime/lvs/checkers/runner.hpp"

namespace {

using namespace tandem;
namespace asio = boost::asio;

struct loaded {
  parsers::source_registry sources_;
  parsers::diagnostics diags_;
  parsers::keepalived::analysis analysis_;
  runtime::assemble::lvs_result lvs_;
};

std::unique_ptr<loaded> load(const std::string& path) {
  auto l = std::make_unique<loaded>();
  auto file = l->sources_.load(path, l->diags_);
  if (!file) return l;
  parsers::keepalived::analyse_options o;
  o.read_.config_id_ = "lvs_driver";
  l->analysis_ = parsers::keepalived::analyse_file(*file, l->sources_, o, l->diags_);
  l->lvs_ = runtime::assemble::assemble_lvs(l->analysis_.model_);
  return l;
}

void print_line(const std::string& text) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto t = system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  const auto msec = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::printf("%02d:%02d:%02d.%03lld %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
              static_cast<long long>(msec), text.c_str());
  std::fflush(stdout);
}

int check(loaded& l) {
  int errors = 0;
  for (const auto& d : l.diags_) {
    if (d.severity_ == parsers::severity::error) ++errors;
  }
  for (const auto& p : l.lvs_.problems_) {
    std::printf("%u: %s: %s\n", p.position_.line_, p.error_ ? "error" : "warning",
                p.message_.c_str());
    if (p.error_) ++errors;
  }
  if (l.diags_.has_errors()) std::fputs(parsers::render_text(l.diags_, l.sources_).c_str(), stdout);
  return errors ? 1 : 0;
}

std::string pool_line(const runtime::lvs::virtual_service& s) {
  std::string out = "POOL " + s.config().display();
  for (const auto& d : s.pool())
    out += " " + d.address_.to_string() + ":" + std::to_string(d.port_) + "=" +
           std::to_string(d.weight_);
  return out;
}

int run(loaded& l, double seconds) {
  asio::io_context io;
  std::vector<std::unique_ptr<runtime::lvs::virtual_service>> services;
  std::vector<std::shared_ptr<runtime::lvs::checkers::runner>> runners;
  auto events = [&io](const runtime::lvs::service_event& e) {
    if (e.kind_ == runtime::lvs::service_event::kind::log) {
      print_line(e.text_);
    } else {
      print_line("SCRIPT " + e.text_);
      runtime::lvs::checkers::run_script(io.get_executor(), e.text_);
    }
  };
  for (auto& b : l.lvs_.services_) {
    services.push_back(std::make_unique<runtime::lvs::virtual_service>(b.service_, events));
    auto* svc = services.back().get();
    for (auto& cb : b.checkers_) {
      const std::size_t rs = cb.real_server_, ck = cb.checker_;
      runners.push_back(std::make_shared<runtime::lvs::checkers::runner>(
          io.get_executor(), cb.spec_,
          [svc, rs, ck](const runtime::lvs::checkers::checker_event& e) {
            for (const auto& line : e.logs_) print_line(line);
            if (e.weight_) svc->set_weight(rs, *e.weight_);
            if (e.verdict_) svc->checker_result(rs, ck, *e.verdict_);
          }));
    }
  }
  for (auto& s : services) s->start();
  for (auto& r : runners) r->start();
  asio::steady_timer end(io);
  end.expires_after(std::chrono::milliseconds(static_cast<long long>(seconds * 1000)));
  end.async_wait([&](boost::system::error_code) {
    for (auto& r : runners) r->stop();
    for (auto& s : services) print_line(pool_line(*s));
    for (auto& s : services) s->stop();
    io.stop();
  });
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) { end.cancel(); });
  io.run();
  return 0;
}

int once(loaded& l) {
  asio::io_context io;
  for (auto& b : l.lvs_.services_) {
    for (auto& cb : b.checkers_) {
      auto r = std::make_shared<runtime::lvs::checkers::runner>(io.get_executor(), cb.spec_,
                                                                 nullptr);
      asio::co_spawn(
          io,
          [r, spec = cb.spec_]() -> asio::awaitable<void> {
            auto a = co_await r->attempt_once();
            std::string why = a.reason_;
            for (const auto& n : a.notes_) why += (why.empty() ? "" : " ") + n;
            if (a.weight_) why += " weight=" + std::to_string(*a.weight_);
            std::printf("%s %s %s\n", spec.display().c_str(), a.success_ ? "up" : "down",
                        why.c_str());
          },
          asio::detached);
      io.run();
      io.restart();
    }
  }
  std::fflush(stdout);
  return 0;
}

int schedule(loaded& l, int n, const std::vector<std::string>& sources) {
  for (auto& b : l.lvs_.services_) {
    auto cfg = b.service_;
    for (auto& rs : cfg.real_servers_) rs.checkers_start_down_.clear();
    runtime::lvs::virtual_service svc(cfg, nullptr);
    svc.start();
    std::mt19937 gen(1);
    runtime::lvs::schedule_context ctx;
    ctx.random_below_ = [&gen](std::uint32_t bound) {
      return std::uniform_int_distribution<std::uint32_t>(0, bound - 1)(gen);
    };
    for (const auto& src : sources) {
      runtime::lvs::connection c;
      const auto colon = src.rfind(':');
      const bool has_port = colon != std::string::npos && src.find('.') != std::string::npos;
      c.source_ = asio::ip::make_address(has_port ? src.substr(0, colon) : src);
      c.source_port_ = has_port ? static_cast<std::uint16_t>(std::stoi(src.substr(colon + 1))) : 40000;
      c.destination_ = cfg.address_;
      c.destination_port_ = cfg.port_;
      c.protocol_ = cfg.protocol_;
      for (int i = 0; i < n; ++i) {
        auto t = svc.schedule(c, ctx);
        std::printf("%s -> %s\n", src.c_str(),
                    t ? (t->address_.to_string() + ":" + std::to_string(t->port_)).c_str() : "-");
      }
    }
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: lvs_driver check|run|once|schedule CONFIG ...\n");
    return 2;
  }
  const std::string cmd = argv[1];
  auto l = load(argv[2]);
  if (cmd == "check") return check(*l);
  if (check(*l) != 0) return 1;
  if (cmd == "run" && argc >= 4) return run(*l, std::atof(argv[3]));
  if (cmd == "once") return once(*l);
  if (cmd == "schedule" && argc >= 5) {
    std::vector<std::string> sources(argv + 4, argv + argc);
    return schedule(*l, std::atoi(argv[3]), sources);
  }
  std::fprintf(stderr, "usage: lvs_driver check|run|once|schedule CONFIG ...\n");
  return 2;
}
