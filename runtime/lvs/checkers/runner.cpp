// One checker over Boost.Asio (see runner.hpp). Every operation is asynchronous and raced
// against a timer of connect_timeout (keepalived applies connection_to to the connect and to
// each read); errors are error codes, never exceptions.
#include "runtime/lvs/checkers/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/icmp.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fstream>
#include <random>

#include "runtime/checks/regex.hpp"

extern char** environ;

namespace tandem::runtime::lvs::checkers {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
using clock = std::chrono::steady_clock;

// Races an operation against a deadline: nullopt on timeout.
template <class Awaitable>
asio::awaitable<std::optional<typename Awaitable::value_type>> before(Awaitable op,
                                                                       clock::time_point deadline) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_at(deadline);
  auto r = co_await (std::move(op) || t.async_wait(use_tuple));
  if (r.index() == 1) co_return std::nullopt;
  co_return std::get<0>(std::move(r));
}

template <class Socket>
asio::awaitable<error_code> bind_and_connect(Socket& s, const checker_spec& spec,
                                             const typename Socket::endpoint_type& to) {
  error_code ec;
  s.open(to.protocol(), ec);
  if (ec) co_return ec;
  if (spec.bind_address_ || spec.bind_port_) {
    typename Socket::endpoint_type local(
        spec.bind_address_ ? *spec.bind_address_
                           : (to.address().is_v6() ? asio::ip::address(asio::ip::address_v6())
                                                   : asio::ip::address(asio::ip::address_v4())),
        spec.bind_port_);
    s.bind(local, ec);
    if (ec) co_return ec;
  }
  co_return error_code{};
}

std::uint32_t default_random(std::uint32_t bound) {
  static std::mt19937 gen{std::random_device{}()};
  return bound ? std::uniform_int_distribution<std::uint32_t>(0, bound - 1)(gen) : 0;
}
}  // namespace

runner::runner(asio::any_io_executor executor, checker_spec spec,
               std::function<void(const checker_event&)> report,
               std::function<std::uint32_t(std::uint32_t)> random_below)
    : executor_(executor),
      spec_(std::move(spec)),
      report_(std::move(report)),
      random_(random_below ? std::move(random_below) : default_random),
      machine_(spec_),
      timer_(executor),
      stopped_(std::make_shared<bool>(false)) {}

runner::~runner() { *stopped_ = true; }

void runner::start() {
  auto self = shared_from_this();
  asio::co_spawn(executor_, [self]() -> asio::awaitable<void> { co_await self->loop(); },
                 asio::detached);
}

void runner::stop() {
  *stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> runner::loop() {
  auto stopped = stopped_;
  // keepalived scatters the first checks: a random delay up to `warmup`.
  const auto warm = spec_.warmup_.count() > 0
                        ? duration(random_(static_cast<std::uint32_t>(spec_.warmup_.count()) + 1))
                        : duration(0);
  timer_.expires_after(warm);
  co_await timer_.async_wait(use_tuple);
  while (!*stopped) {
    const auto started = clock::now();
    attempt a = co_await attempt_once();
    if (*stopped) co_return;
    step s = machine_.on_attempt(a);
    if (report_ && (s.verdict_ || s.weight_ || !s.logs_.empty()))
      report_(checker_event{s.verdict_, s.weight_, std::move(s.logs_)});
    // MISC_CHECK counts its delay from the script's start; the others from the end.
    timer_.expires_at((spec_.kind_ == checker_kind::misc ? started : clock::now()) + s.next_);
    co_await timer_.async_wait(use_tuple);
  }
}

asio::awaitable<attempt> runner::attempt_once() {
  switch (spec_.kind_) {
    case checker_kind::tcp: co_return co_await tcp_attempt();
    case checker_kind::http:
    case checker_kind::ssl: co_return co_await http_attempt();
    case checker_kind::misc: co_return co_await misc_attempt();
    case checker_kind::smtp: co_return co_await smtp_attempt();
    case checker_kind::dns: co_return co_await dns_attempt();
    case checker_kind::udp: co_return co_await udp_attempt();
    case checker_kind::ping: co_return co_await ping_attempt();
    case checker_kind::file: co_return file_attempt();
  }
  co_return attempt{};
}

asio::awaitable<attempt> runner::tcp_attempt() {
  attempt a;
  tcp::socket s(executor_);
  const tcp::endpoint to(spec_.address_, spec_.port_);
  if (auto ec = co_await bind_and_connect(s, spec_, to)) {
    a.reason_ = "TCP socket bind failed. Rescheduling.";
    co_return a;
  }
  auto r = co_await before(s.async_connect(to, use_tuple), clock::now() + spec_.connect_timeout_);
  if (!r) {
    a.reason_ = "TCP connection to ";
    a.reason_.append(spec_.display()).append(" timedout.");
    co_return a;
  }
  if (auto [ec] = *r; ec) {
    a.reason_ = "TCP connection to ";
    a.reason_.append(spec_.display()).append(" failed.");
    co_return a;
  }
  a.success_ = true;
  co_return a;
}

asio::awaitable<attempt> runner::http_attempt() {
  attempt result;
  result.success_ = true;
  const bool ssl = spec_.kind_ == checker_kind::ssl;
  for (std::size_t u = 0; u < spec_.urls_.size(); ++u) {
    attempt a;
    const auto& url = spec_.urls_[u];
    tcp::socket sock(executor_);
    const tcp::endpoint to(spec_.address_, spec_.port_);
    if (co_await bind_and_connect(sock, spec_, to)) {
      a.reason_ = "Error connecting";
      co_return a;
    }
    auto c = co_await before(sock.async_connect(to, use_tuple),
                             clock::now() + spec_.connect_timeout_);
    if (!c) {
      a.reason_ = "Timeout connecting";
      co_return a;
    }
    if (auto [ec] = *c; ec) {
      a.reason_ = "Error connecting";
      co_return a;
    }
    const std::string request = http_request(spec_, url);
    std::string response;
    bool read_timeout = false, read_error = false;
    auto read_all = [&](auto& stream) -> asio::awaitable<void> {
      auto w = co_await before(asio::async_write(stream, asio::buffer(request), use_tuple),
                               clock::now() + spec_.connect_timeout_);
      if (!w || std::get<0>(*w)) {
        read_error = true;
        co_return;
      }
      char buf[4096];
      for (;;) {
        auto r = co_await before(stream.async_read_some(asio::buffer(buf), use_tuple),
                                 clock::now() + spec_.connect_timeout_);
        if (!r) {
          read_timeout = true;
          co_return;
        }
        auto [ec, n] = *r;
        response.append(buf, n);
        if (ec) co_return;  // EOF (or a TLS close): the response is what came
        if (response.size() > (1u << 24)) co_return;
      }
    };
    if (ssl) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.set_verify_mode(asio::ssl::verify_none);
      asio::ssl::stream<tcp::socket&> stream(sock, ctx);
      const std::string host = !url.virtualhost_.empty() ? url.virtualhost_ : spec_.virtualhost_;
      if (spec_.enable_sni_ && !host.empty())
        SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
      auto h = co_await before(stream.async_handshake(asio::ssl::stream_base::client, use_tuple),
                               clock::now() + spec_.connect_timeout_);
      if (!h || std::get<0>(*h)) {
        a.reason_ = "SSL handshake/communication error connecting to";
        co_return a;
      }
      co_await read_all(stream);
    } else {
      co_await read_all(sock);
    }
    if (read_timeout) {
      a.reason_ = "Timeout WEB read";
      co_return a;
    }
    if (read_error) {
      a.reason_ = "Read error with";
      co_return a;
    }
    const http_response r = parse_http_response(response);
    bool matched = false;
    if (!url.regex_.empty()) {
      std::string error;
      if (auto re = checks::regex::compile(url.regex_, error)) matched = re->search(r.body_);
    }
    // The success notes are always made; the retry machine logs them only when down.
    judge_url(spec_, u, r, matched, false, a);
    if (!a.success_) co_return a;
    result.notes_.insert(result.notes_.end(), a.notes_.begin(), a.notes_.end());
  }
  co_return result;
}

namespace {
// Starts `words` in a process group of its own, stdio on /dev/null; -1 when it cannot start.
pid_t spawn(const std::vector<std::string>& words) {
  std::vector<char*> argv;
  for (const auto& w : words) argv.push_back(const_cast<char*>(w.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return rc == 0 ? pid : -1;
}
}  // namespace

bool run_script(asio::any_io_executor executor, const std::string& command) {
  const auto words = split_command(command);
  if (words.empty()) return false;
  const pid_t pid = spawn(words);
  if (pid < 0) return false;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return true;  // cannot watch it: left to the process's SIGCHLD handling
  asio::co_spawn(
      executor,
      [pid, pidfd]() -> asio::awaitable<void> {
        asio::posix::stream_descriptor d(co_await asio::this_coro::executor, pidfd);
        co_await d.async_wait(asio::posix::descriptor_base::wait_read, use_tuple);
        int status = 0;
        ::waitpid(pid, &status, 0);
      },
      asio::detached);
  return true;
}

asio::awaitable<attempt> runner::misc_attempt() {
  const auto argv_words = split_command(spec_.misc_path_);
  if (argv_words.empty()) co_return misc_result(spec_, 1, false);
  const pid_t pid = spawn(argv_words);
  // keepalived: a script that cannot run is not a server failure.
  if (pid < 0) co_return misc_result(spec_, 0, false);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  const auto timeout = spec_.misc_timeout_.count() ? spec_.misc_timeout_ : spec_.delay_loop_;
  bool timed_out = false;
  if (pidfd >= 0) {
    asio::posix::stream_descriptor d(executor_, pidfd);
    auto r = co_await before(d.async_wait(asio::posix::descriptor_base::wait_read, use_tuple),
                             clock::now() + timeout);
    if (!r) {
      timed_out = true;
      ::kill(-pid, SIGTERM);
      auto r2 = co_await before(d.async_wait(asio::posix::descriptor_base::wait_read, use_tuple),
                                clock::now() + std::chrono::seconds(2));
      if (!r2) {
        ::kill(-pid, SIGKILL);
        co_await before(d.async_wait(asio::posix::descriptor_base::wait_read, use_tuple),
                        clock::now() + std::chrono::seconds(2));
      }
    }
  }
  int status = 0;
  ::waitpid(pid, &status, 0);  // the child has exited (the pidfd said so): this does not block
  if (timed_out) co_return misc_result(spec_, -1, true);
  if (WIFEXITED(status)) co_return misc_result(spec_, WEXITSTATUS(status), false);
  co_return misc_result(spec_, 1, false);  // killed by a signal: a failure
}

asio::awaitable<attempt> runner::smtp_attempt() {
  attempt a;
  tcp::socket s(executor_);
  const tcp::endpoint to(spec_.address_, spec_.port_);
  if (co_await bind_and_connect(s, spec_, to)) co_return a;
  auto c = co_await before(s.async_connect(to, use_tuple), clock::now() + spec_.connect_timeout_);
  if (!c || std::get<0>(*c)) co_return a;
  std::string buffer;
  // One reply: lines until one whose fourth character is a space ("250 ok", not "250-...").
  auto reply = [&]() -> asio::awaitable<int> {
    char buf[1024];
    for (;;) {
      for (std::size_t pos = 0;;) {
        const auto nl = buffer.find('\n', pos);
        if (nl == std::string::npos) break;
        const std::string line = buffer.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.size() < 4 || line[3] != '-') {
          buffer.erase(0, pos);
          co_return smtp_code(line);
        }
      }
      auto r = co_await before(s.async_read_some(asio::buffer(buf), use_tuple),
                               clock::now() + spec_.connect_timeout_);
      if (!r || std::get<0>(*r)) co_return 0;
      buffer.append(buf, std::get<1>(*r));
    }
  };
  auto send = [&](const std::string& line) -> asio::awaitable<bool> {
    auto w = co_await before(asio::async_write(s, asio::buffer(line), use_tuple),
                             clock::now() + spec_.connect_timeout_);
    co_return w && !std::get<0>(*w);
  };
  if (co_await reply() != 220) co_return a;
  std::string helo = spec_.helo_name_;
  if (helo.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    helo = host;
  }
  std::string helo_line = "HELO ";
  helo_line.append(helo).append("\r\n");
  if (!co_await send(helo_line)) co_return a;
  if (co_await reply() != 250) co_return a;
  co_await send("QUIT\r\n");
  a.success_ = true;
  co_return a;
}

asio::awaitable<attempt> runner::dns_attempt() {
  attempt a;
  udp::socket s(executor_);
  const udp::endpoint to(spec_.address_, spec_.port_);
  if (co_await bind_and_connect(s, spec_, to)) co_return a;
  error_code ec;
  s.connect(to, ec);
  if (ec) co_return a;
  const auto query = dns_query(static_cast<std::uint16_t>(random_(65536)), spec_.dns_name_,
                               spec_.dns_type_);
  const auto deadline = clock::now() + spec_.connect_timeout_;
  auto w = co_await before(s.async_send(asio::buffer(query), use_tuple), deadline);
  if (!w || std::get<0>(*w)) co_return a;
  std::vector<std::uint8_t> buf(4096);
  for (;;) {
    auto r = co_await before(s.async_receive(asio::buffer(buf), use_tuple), deadline);
    if (!r || std::get<0>(*r)) co_return a;
    const std::size_t n = std::get<1>(*r);
    std::span<const std::uint8_t> reply(buf.data(), n);
    // Replies that are not for this query (short, other id, not a response) are skipped.
    if (n < 12 || reply[0] != query[0] || reply[1] != query[1] || !(reply[2] & 0x80)) continue;
    a.success_ = dns_reply_ok(query, reply);
    co_return a;
  }
}

asio::awaitable<attempt> runner::udp_attempt() {
  attempt a;
  udp::socket s(executor_);
  const udp::endpoint to(spec_.address_, spec_.port_);
  if (co_await bind_and_connect(s, spec_, to)) co_return a;
  error_code ec;
  s.connect(to, ec);
  if (ec) co_return a;
  std::vector<std::uint8_t> payload = spec_.payload_;
  if (payload.empty()) {
    payload.resize(16);
    for (auto& b : payload) b = static_cast<std::uint8_t>(random_(256));
  }
  const auto deadline = clock::now() + spec_.connect_timeout_;
  auto w = co_await before(s.async_send(asio::buffer(payload), use_tuple), deadline);
  if (!w || std::get<0>(*w)) co_return a;
  std::vector<std::uint8_t> buf(65536);
  auto r = co_await before(s.async_receive(asio::buffer(buf), use_tuple), deadline);
  if (!r) {
    // No reply and no ICMP error within connect_timeout: up, unless a reply is required.
    a.success_ = !spec_.require_reply_;
    co_return a;
  }
  if (std::get<0>(*r)) co_return a;  // ICMP port unreachable and the like
  a.success_ = !spec_.require_reply_ ||
               udp_reply_ok(spec_, std::span<const std::uint8_t>(buf.data(), std::get<1>(*r)));
  co_return a;
}

asio::awaitable<attempt> runner::ping_attempt() {
  attempt a;
  using asio::ip::icmp;
  const bool v6 = spec_.address_.is_v6();
  icmp::socket s(executor_);
  error_code ec;
  s.open(v6 ? icmp::v6() : icmp::v4(), ec);
  if (ec) co_return a;
  const std::uint16_t id = static_cast<std::uint16_t>(::getpid() ^ reinterpret_cast<std::uintptr_t>(this));
  const std::uint16_t seq = ++sequence_;
  std::vector<std::uint8_t> pkt = {static_cast<std::uint8_t>(v6 ? 128 : 8), 0, 0, 0,
                                   static_cast<std::uint8_t>(id >> 8), static_cast<std::uint8_t>(id),
                                   static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq)};
  for (int i = 0; i < 16; ++i) pkt.push_back(static_cast<std::uint8_t>(i));
  if (!v6) {  // the kernel fills the ICMPv6 checksum
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < pkt.size(); i += 2) sum += (pkt[i] << 8) | pkt[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    const std::uint16_t c = static_cast<std::uint16_t>(~sum);
    pkt[2] = static_cast<std::uint8_t>(c >> 8);
    pkt[3] = static_cast<std::uint8_t>(c);
  }
  const icmp::endpoint to(spec_.address_, 0);
  const auto deadline = clock::now() + spec_.connect_timeout_;
  auto w = co_await before(s.async_send_to(asio::buffer(pkt), to, use_tuple), deadline);
  if (!w || std::get<0>(*w)) co_return a;
  std::vector<std::uint8_t> buf(2048);
  for (;;) {
    icmp::endpoint from;
    auto r = co_await before(s.async_receive_from(asio::buffer(buf), from, use_tuple), deadline);
    if (!r || std::get<0>(*r)) co_return a;
    std::size_t n = std::get<1>(*r);
    std::size_t off = 0;
    if (!v6) {  // a raw IPv4 socket delivers the IP header too
      if (n < 20) continue;
      off = (buf[0] & 0x0f) * 4u;
    }
    if (n < off + 8 || from.address() != spec_.address_) continue;
    const bool reply = buf[off] == (v6 ? 129 : 0);
    const std::uint16_t rid = static_cast<std::uint16_t>((buf[off + 4] << 8) | buf[off + 5]);
    const std::uint16_t rseq = static_cast<std::uint16_t>((buf[off + 6] << 8) | buf[off + 7]);
    if (reply && rid == id && rseq == seq) {
      a.success_ = true;
      co_return a;
    }
  }
}

attempt runner::file_attempt() {
  std::ifstream in(spec_.file_path_);
  long v = 0;
  if (!(in >> v)) return file_result(spec_, in.is_open() ? std::optional<long>(0) : std::nullopt);
  return file_result(spec_, v);
}

}  // namespace tandem::runtime::lvs::checkers
