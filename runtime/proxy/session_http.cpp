// mode http: one client connection, requests read one after another (keep-alive and
// pipelining), each checked, passed through the frontend's and the backend's rules, sent to a
// server chosen by cookie persistence or the balancer, and its response passed back — with
// HAProxy 2.6's error responses, timeouts, connection handling and header forms.
#include <array>
#include <charconv>

#include <boost/asio/post.hpp>

#include "runtime/proxy/io.hpp"
#include "runtime/proxy/rules.hpp"
#include "runtime/proxy/session_source.hpp"
#include "runtime/proxy/stick_session.hpp"

namespace tandem::runtime::proxy {

using namespace asio::experimental::awaitable_operators;
using clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t read_chunk = 16384;

milliseconds first_of(milliseconds a, milliseconds b, milliseconds c = milliseconds(0)) {
  if (a.count() != 0) return a;
  if (b.count() != 0) return b;
  return c;
}

// A deadline of a timeout, on the coarse clock (a tick's precision is enough for a limit, and
// reading it costs a tenth of a precise reading).
milliseconds remaining(clock::time_point deadline) {
  if (deadline == clock::time_point::max()) return milliseconds(0);
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - coarse_steady_now());
  return std::max(left, milliseconds(1));
}

bool server_usable(const server& s) {
  return s.up_.load(std::memory_order_relaxed) && !s.maintenance_.load(std::memory_order_relaxed) &&
         s.weight_ != 0;
}

// The value of cookie `name` in the request's Cookie headers, and where it is.
struct found_cookie {
  http::header* header_ = nullptr;
  std::size_t begin_ = 0;  // of "name=value" in the header value
  std::size_t end_ = 0;
  std::string value_;
};

std::optional<found_cookie> find_cookie(std::vector<http::header>& headers, std::string_view name) {
  for (http::header& h : headers) {
    if (h.name_ != "cookie") continue;
    std::string_view v = h.value_;
    std::size_t pos = 0;
    while (pos < v.size()) {
      std::size_t end = v.find(';', pos);
      if (end == std::string_view::npos) end = v.size();
      std::size_t b = pos;
      while (b < end && (v[b] == ' ' || v[b] == '\t')) ++b;
      const std::string_view item = v.substr(b, end - b);
      const std::size_t eq = item.find('=');
      if (eq != std::string_view::npos && item.substr(0, eq) == name) {
        found_cookie f;
        f.header_ = &h;
        f.begin_ = b;
        f.end_ = end;
        f.value_ = std::string(item.substr(eq + 1));
        while (!f.value_.empty() && (f.value_.back() == ' ' || f.value_.back() == '\t')) {
          f.value_.pop_back();
        }
        return f;
      }
      pos = end + 1;
    }
  }
  return std::nullopt;
}

// Removes one "name=value" from a Cookie header (and the header when it was the only one).
void remove_cookie(std::vector<http::header>& headers, const found_cookie& f) {
  std::string& v = f.header_->value_;
  std::size_t b = f.begin_;
  std::size_t e = f.end_;
  if (e < v.size()) {
    ++e;  // the ';'
    while (e < v.size() && (v[e] == ' ' || v[e] == '\t')) ++e;
  } else {
    while (b > 0 && (v[b - 1] == ' ' || v[b - 1] == '\t')) --b;
    if (b > 0 && v[b - 1] == ';') --b;
  }
  v.erase(b, e - b);
  if (v.empty()) {
    const http::header* gone = f.header_;
    std::erase_if(headers, [gone](const http::header& h) { return &h == gone; });
  }
}

bool in_network(const sockaddr_storage& a, const sockaddr_storage& net, unsigned bits) {
  if (a.ss_family != net.ss_family) return false;
  const std::uint8_t* x;
  const std::uint8_t* y;
  unsigned total;
  if (a.ss_family == AF_INET) {
    x = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in&>(a).sin_addr);
    y = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in&>(net).sin_addr);
    total = 32;
  } else {
    x = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr);
    y = reinterpret_cast<const std::uint8_t*>(&reinterpret_cast<const sockaddr_in6&>(net).sin6_addr);
    total = 128;
  }
  bits = std::min(bits, total);
  for (unsigned i = 0; i < bits; ++i) {
    const unsigned byte = i / 8;
    const unsigned mask = 0x80u >> (i % 8);
    if ((x[byte] & mask) != (y[byte] & mask)) return false;
  }
  return true;
}

std::string address_text(const tcp::endpoint& e) {
  auto a = e.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

class http_session {
 public:
  http_session(tcp::socket client, session_env env)
      : client_(std::move(client)),
        upstream_(client_.get_executor()),
        io_(client_.get_executor()),
        env_(env),
        fe_(env.frontend_),
        source_(env.proxies_, env.frontend_) {
    error_code ec;
    peer_ = client_.remote_endpoint(ec);
    local_ = client_.local_endpoint(ec);
    source_.set_addresses(peer_.data(), peer_.size(), local_.data(), local_.size());
    keys_.source_address_ = address_key(peer_, address_bytes_);
    io_.count_bytes_of(&client_.socket_);
    accepted_at_ = idle_since_ = clock::now();
    accepted_wall_ = std::chrono::system_clock::now();
    std::memcpy(&record_.client_, peer_.data(), std::min<std::size_t>(peer_.size(), sizeof record_.client_));
    std::memcpy(&record_.frontend_address_, local_.data(),
                std::min<std::size_t>(local_.size(), sizeof record_.frontend_address_));
    record_.frontend_ = &fe_;
    record_.http_ = true;
    keys_.header_ = [this](std::string_view name) -> std::optional<std::string_view> {
      const http::header* h = http::find_header(request_.headers_, name);
      if (h == nullptr) return std::nullopt;
      return std::string_view(h->value_);
    };
  }

  awaitable<void> run() {
    if (!connection_rules_accept(fe_, source_)) {
      // tcp-request connection reject: closed before a byte is read, and not logged.
      fe_.counters_.denied_connections_.fetch_add(1, std::memory_order_relaxed);
      error_code ignored;
      client_.close(ignored);
      co_return;
    }
    if (env_.listener_.accept_proxy_ && !co_await take_proxy_header()) {
      error_code ignored;
      client_.close(ignored);
      co_return;
    }
    if (env_.tls_ != nullptr) {
      // `bind … ssl`: the handshake within timeout client (HAProxy's Th, in the first
      // request's log line); then the requests are read from the clear text.
      const error_code hs = co_await accept_tls(client_, *env_.tls_, io_, fe_.timeouts_.client_);
      const clock::time_point done = clock::now();
      if (hs) {
        error_code ignored;
        client_.close(ignored);
        co_return;  // HAProxy logs a failed handshake apart ("SSL handshake failure")
      }
      source_.ssl_ = client_.tls()->native();
      record_.tls_ = true;
      record_.handshake_ =
          static_cast<long>(std::chrono::duration_cast<milliseconds>(done - accepted_at_).count());
      idle_since_ = done;
    }
    if (fe_.logger_) fe_.logger_->accepted(record_);  // "Connect from" where no format is set
    source_.trackers_.session_started();
    bool first = true;
    for (;;) {
      const bool more = co_await one_request(first);
      first = false;
      if (!more) break;
    }
    park_upstream();
    error_code ignored;
    client_.shutdown(tcp::socket::shutdown_both, ignored);
    client_.close(ignored);
  }

 private:
  // Sends a response HAProxy made itself (a deny, a redirect, a 503 …). Measured on 2.6: the
  // client connection stays open for its next request unless the client asked to close, in
  // which case "connection: close" is added. A request body not yet read is read and dropped
  // first, so the next request starts where it should.
  awaitable<bool> send_own(std::string response, bool client_asked_close) {
    after_response(response);
    note_own_status(response);
    if (client_asked_close) {
      const std::size_t end = response.find("\r\n\r\n");
      if (end != std::string::npos) response.insert(end + 2, "connection: close\r\n");
    }
    bool keep = !client_asked_close;
    if (keep && !request_body_done_) {
      keep = co_await drain_body();
    }
    const io_result w = co_await io_.write_all(client_, response, fe_.timeouts_.client_);
    co_return keep && w.status_ == io_status::ok;
  }

  // Reads and drops the current request's body (at most a megabyte: past that the connection
  // is closed rather than read for nothing).
  awaitable<bool> drain_body() {
    constexpr std::uint64_t most = 1 << 20;
    request_body_done_ = true;
    switch (request_framing_.kind_) {
      case http::body_kind::none:
        co_return true;
      case http::body_kind::length: {
        if (request_framing_.length_ > most) co_return false;
        std::uint64_t left = request_framing_.length_;
        for (;;) {
          const std::size_t take =
              static_cast<std::size_t>(std::min<std::uint64_t>(left, in_.size()));
          in_.erase(0, take);
          left -= take;
          if (left == 0) co_return true;
          const io_result r = co_await io_.read_some(client_, in_, read_chunk, fe_.timeouts_.client_);
          if (r.status_ != io_status::ok) co_return false;
        }
      }
      case http::body_kind::chunked: {
        http::chunked_reader reader;
        std::uint64_t seen = 0;
        for (;;) {
          if (!in_.empty()) {
            const http::chunked_reader::step st = reader.feed(in_);
            if (st.error_) co_return false;
            in_.erase(0, st.consumed_);
            seen += st.consumed_;
            if (st.done_) co_return true;
          }
          if (seen > most) co_return false;
          const io_result r = co_await io_.read_some(client_, in_, read_chunk, fe_.timeouts_.client_);
          if (r.status_ != io_status::ok) co_return false;
        }
      }
      case http::body_kind::until_close:
        co_return false;
    }
    co_return false;
  }

  awaitable<bool> send_error(unsigned status, bool client_asked_close = false) {
    co_return co_await send_own(
        error_response(status, backend_ ? &backend_->error_pages_ : nullptr, &fe_.error_pages_),
        client_asked_close);
  }

  // An answer of the HTTP/1 layer to a request it could not read (400, 408, 422).
  awaitable<bool> send_connection_error(unsigned status) {
    stick_client_error_ = status / 100 == 4 && status != 408;  // a timeout is not the client's
    record_.status_ = static_cast<int>(status);
    record_.bad_request_ = true;
    count_stick_status();
    fe_.counters_.request_errors_.fetch_add(1, std::memory_order_relaxed);
    terminate(status == 408 ? 'c' : 'P', 'R');
    co_await io_.write_all(client_,
                       error_response(status, nullptr, &fe_.error_pages_,
                                      http::error_origin::connection),
                       fe_.timeouts_.client_);
    co_return false;
  }

  // The server's slot is held while a request is being served on its connection, as HAProxy
  // counts served streams: an idle kept-alive connection holds none (leastconn and first see
  // the server free as soon as its response has been sent).
  void end_served() {
    if (upstream_counted_ && upstream_server_ != nullptr) {
      release_server(*upstream_backend_, upstream_server_);
    }
    upstream_counted_ = false;
  }

  // http-request tarpit: the answer waits `timeout tarpit` (else timeout connect), as HAProxy
  // holds a suspected bot.
  awaitable<void> tarpit(const timeouts& t) {
    const milliseconds wait = first_of(t.tarpit_, t.connect_);
    if (wait.count() == 0) co_return;
    asio::steady_timer timer(client_.get_executor(), wait);
    co_await timer.async_wait(use_tuple);
  }

  // The kept server connection is idle and clean (its last response ended, keep-alive): it
  // goes to the thread's pool for another request instead of being closed.
  void park_upstream() {
    // A connection that began with this client's PROXY header is this client's alone.
    if (upstream_idle_ && upstream_server_ != nullptr && upstream_.is_open() &&
        env_.pool_ != nullptr && upstream_backend_->reuse_ != http_reuse::never &&
        !upstream_server_->send_proxy_ && !upstream_server_->send_proxy_v2_ && out_.empty()) {
      end_served();
      env_.pool_->park(upstream_server_, std::move(upstream_));
      upstream_ = connection(client_.get_executor());
      upstream_server_ = nullptr;
      upstream_backend_ = nullptr;
      upstream_idle_ = false;
      return;
    }
    drop_upstream();
  }

  void drop_upstream() {
    upstream_idle_ = false;
    end_served();
    if (upstream_server_ != nullptr) {
      upstream_server_ = nullptr;
      upstream_backend_ = nullptr;
    }
    error_code ignored;
    if (upstream_.is_open()) upstream_.close(ignored);
    out_.clear();
  }

  // bind … accept-proxy: the addresses the PROXY header names replace the connection's own
  // everywhere after the tcp-request connection rules (HAProxy's order).
  awaitable<bool> take_proxy_header() {
    sockaddr_storage from{};
    sockaddr_storage to{};
    std::memcpy(&from, peer_.data(), std::min<std::size_t>(peer_.size(), sizeof from));
    std::memcpy(&to, local_.data(), std::min<std::size_t>(local_.size(), sizeof to));
    // Before TLS, only the header's bytes are taken: the ClientHello stays for OpenSSL.
    const bool header = env_.tls_ != nullptr
                            ? co_await read_proxy_header_before_tls(client_.socket_,
                                                                    fe_.timeouts_.client_, from, to)
                            : co_await read_proxy_header(client_.socket_, io_, in_,
                                                         fe_.timeouts_.client_, from, to);
    if (!header) {
      fe_.counters_.request_errors_.fetch_add(1, std::memory_order_relaxed);
      co_return false;
    }
    const socklen_t from_length = from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    const socklen_t to_length = to.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    peer_ = to_endpoint(from, from_length);
    peer_text_.clear();
    local_ = to_endpoint(to, to_length);
    source_.set_addresses(peer_.data(), peer_.size(), local_.data(), local_.size());
    keys_.source_address_ = address_key(peer_, address_bytes_);
    record_.client_ = from;
    record_.frontend_address_ = to;
    // The header is not the request's: the first request's bytes start after it.
    in_mark_ = io_.bytes_in_ - in_.size();
    co_return true;
  }

  // What goes first on a server connection: the PROXY header for a new one (send-proxy).
  std::string_view with_proxy_header(const std::string& head, bool reused) {
    // (over TLS, connect_server sent it before the handshake)
    if (reused || upstream_server_ == nullptr || upstream_server_->tls_ != nullptr) return head;
    proxied_head_ = proxy_header_for(*upstream_server_, peer_, local_);
    if (proxied_head_.empty()) return head;
    proxied_head_ += head;
    return proxied_head_;
  }

  // --- The log record and the counters of one request -----------------------------------

  // Ends the request when one_request() returns, however it returns.
  struct request_scope {
    http_session& session_;
    ~request_scope() { session_.end_request(); }
  };

  void mark_request_start() {
    request_seen_ = true;
    request_at_ = clock::now();
  }

  // Who ended the request and in which stage, as HAProxy's termination state.
  void terminate(char who, char stage) {
    record_.termination_[0] = who;
    record_.termination_[1] = stage;
  }

  // A body transfer failed on `side`: the client or the server, a timeout (lower case) or not.
  void note_failure(const connection& side, io_status status) {
    failed_on_ = &side;
    failed_status_ = status;
  }
  void terminate_after_failure(char stage) {
    char who = failed_on_ == nullptr ? 'P' : failed_on_ == &client_ ? 'C' : 'S';
    if (failed_status_ == io_status::timeout && who != 'P') who = static_cast<char>(who + 32);
    terminate(who, stage);
    if (who == 'C' || who == 'c') {
      if (backend_ != nullptr) backend_->counters_.client_aborts_.fetch_add(1, std::memory_order_relaxed);
      if (served_by_ != nullptr) {
        served_by_->counters_.client_aborts_.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (who == 'S' || who == 's') {
      if (backend_ != nullptr) backend_->counters_.server_aborts_.fetch_add(1, std::memory_order_relaxed);
      if (served_by_ != nullptr) {
        served_by_->counters_.server_aborts_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  // http-after-response rules on a response the proxy made itself (an error, a redirect, a
  // deny …): its head is read back, changed and written again; the body is kept.
  void after_response(std::string& response) {
    const std::vector<http_rule>* lists[] = {
        backend_ != nullptr ? &backend_->after_response_rules_ : nullptr, &fe_.after_response_rules_};
    if ((lists[0] == nullptr || lists[0]->empty()) && lists[1]->empty()) return;
    http::response_head head;
    http::framing framing;
    const http::parse_result parsed = http::parse_response_head(response, fe_.limits_, request_.method_, head, framing);
    if (parsed.state_ != http::parse_state::done) return;
    const http::response_head* previous = source_.response_;
    source_.response_ = &head;
    for (const std::vector<http_rule>* rules : lists) {
      if (rules != nullptr) run_after_response_rules(*rules, head, source_);
    }
    source_.response_ = previous;
    std::string rewritten;
    http::write_response_head(head, rewritten);
    rewritten.append(response, parsed.consumed_);
    response = std::move(rewritten);
  }

  // The status of a response the proxy made itself ("HTTP/1.1 503 …").
  void note_own_status(std::string_view response) {
    from_server_ = false;
    if (response.size() >= 12 && response.starts_with("HTTP/")) {
      int status = 0;
      std::from_chars(response.data() + 9, response.data() + 12, status);
      record_.status_ = status;
    }
    count_stick_status();
  }

  std::chrono::system_clock::time_point wall(clock::time_point t) const {
    return accepted_wall_ +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(t - accepted_at_);
  }

  static std::string_view capped(std::string_view v, std::size_t length) {
    return v.substr(0, std::min(v.size(), length));
  }

  // The head is in: req_tot, and what the log needs of it (request line, captures).
  void note_request_head() {
    fe_.counters_.requests_total_.fetch_add(1, std::memory_order_relaxed);
    fe_.counters_.request_rate_.add();
    if (!fe_.logger_) return;
    record_.request_line_ = request_.method_;
    record_.request_line_ += ' ';
    record_.request_line_ += request_.target_;
    record_.request_line_ += request_.version_minor_ == 0 ? " HTTP/1.0" : " HTTP/1.1";
    for (const capture_spec& c : fe_.request_captures_) {
      const http::header* last = nullptr;
      for (const http::header& h : request_.headers_) {
        if (h.name_ == c.name_) last = &h;
      }
      record_.request_captures_.emplace_back(last == nullptr ? std::string_view()
                                                             : capped(last->value_, c.length_));
    }
    if (fe_.request_cookie_capture_) {
      if (std::optional<found_cookie> f = find_cookie(request_.headers_, fe_.request_cookie_capture_->name_)) {
        const std::string item = fe_.request_cookie_capture_->name_ + "=" + f->value_;
        record_.captured_request_cookie_ = capped(item, fe_.request_cookie_capture_->length_);
      }
    }
  }

  void note_response_head(const http::response_head& response) {
    response_at_ = clock::now();
    if (!fe_.logger_) return;
    for (const capture_spec& c : fe_.response_captures_) {
      const http::header* last = nullptr;
      for (const http::header& h : response.headers_) {
        if (h.name_ == c.name_) last = &h;
      }
      record_.response_captures_.emplace_back(last == nullptr ? std::string_view()
                                                              : capped(last->value_, c.length_));
    }
    if (fe_.response_cookie_capture_) {
      const std::string& name = fe_.response_cookie_capture_->name_;
      for (const http::header& h : response.headers_) {
        if (h.name_ == "set-cookie" && h.value_.starts_with(name) &&
            h.value_.size() > name.size() && h.value_[name.size()] == '=') {
          const std::size_t semi = h.value_.find(';');
          record_.captured_response_cookie_ = capped(
              std::string_view(h.value_).substr(0, semi), fe_.response_cookie_capture_->length_);
          break;
        }
      }
    }
  }

  // The request goes to `backend_`: its scur, stot and rates.
  void count_backend() {
    if (backend_counted_ || backend_ == nullptr) return;
    backend_counted_ = true;
    record_.backend_ = backend_;
    const std::uint32_t now = backend_->current_.fetch_add(1, std::memory_order_relaxed) + 1;
    backend_->counters_.session_started(now);
    backend_->counters_.requests_total_.fetch_add(1, std::memory_order_relaxed);
  }

  // The tracked entries count the request's status (http_err/http_fail) as soon as it is
  // known, before the answer goes out, as HAProxy does: the client's next request already
  // sees it.
  void count_stick_status() {
    if (stick_status_counted_) return;
    stick_status_counted_ = true;
    source_.trackers_.http_status(record_.status_ > 0 ? static_cast<unsigned>(record_.status_) : 0,
                                  from_server_, stick_client_error_);
  }

  // A rule or an applet answered instead of a server.
  void note_rule_answer(const rule_outcome& o, traffic_counters* proxy_counters) {
    stick_client_error_ = o.denied_ || o.auth_;
    if (o.denied_) {
      fe_.counters_.denied_requests_.fetch_add(1, std::memory_order_relaxed);
      if (proxy_counters != nullptr && proxy_counters != &fe_.counters_) {
        proxy_counters->denied_requests_.fetch_add(1, std::memory_order_relaxed);
      }
      terminate('P', o.tarpit_ ? 'T' : 'R');
    } else {
      fe_.counters_.intercepted_.fetch_add(1, std::memory_order_relaxed);
      terminate('L', 'R');
    }
  }

  // The request has ended (answered, failed or abandoned): its counters and its log line.
  void end_request() {
    const clock::time_point now = clock::now();
    if (!request_seen_) {
      idle_since_ = now;
      return;  // an idle keep-alive connection closing: nothing to log, as HAProxy
    }
    auto ms = [](clock::duration d) {
      return static_cast<long>(std::chrono::duration_cast<milliseconds>(d).count());
    };
    const bool have_head = head_at_ != clock::time_point{};
    record_.accepted_ = wall(idle_since_);
    record_.request_started_ = wall(request_at_);
    record_.idle_ = ms(request_at_ - idle_since_);
    record_.request_ = have_head ? ms(head_at_ - request_at_) : -1;
    record_.response_ = response_at_ != clock::time_point{} && sent_at_ != clock::time_point{}
                            ? ms(response_at_ - sent_at_)
                            : -1;
    record_.active_ = ms(now - request_at_);
    record_.total_ = record_.handshake_ + record_.idle_ + record_.active_;
    record_.bytes_read_ = io_.bytes_out_ - out_mark_;
    record_.bytes_uploaded_ = io_.bytes_in_ - in_mark_;
    if (!have_head && record_.request_line_.empty()) {
      record_.request_line_ = "<BADREQ>";
      record_.bad_request_ = true;
    }
    // The counters: the frontend's, the backend's and the server's bin/bout and statuses.
    constexpr auto relaxed = std::memory_order_relaxed;
    fe_.counters_.add_bytes(record_.bytes_uploaded_, record_.bytes_read_);
    if (record_.status_ > 0) fe_.counters_.response_status(record_.status_);
    server* srv = served_by_;
    if (backend_counted_) {
      traffic_counters& b = backend_->counters_;
      b.add_bytes(record_.bytes_uploaded_, record_.bytes_read_);
      if (record_.status_ > 0) b.response_status(record_.status_);
      // HAProxy's beconn at log time no longer counts this stream.
      record_.backend_connections_ = backend_->current_.load(relaxed) - 1;
      b.add_timings(record_.queue_, record_.connect_, record_.response_, record_.total_);
    }
    if (srv != nullptr) {
      traffic_counters& c = srv->counters_;
      c.add_bytes(record_.bytes_uploaded_, record_.bytes_read_);
      if (from_server_ && record_.status_ > 0) c.response_status(record_.status_);
      record_.server_connections_ = srv->current_.load(relaxed);
      c.add_timings(record_.queue_, record_.connect_, record_.response_, record_.total_);
    }
    count_stick_status();
    stick_client_error_ = false;
    stick_status_counted_ = false;
    source_.trackers_.bytes(record_.bytes_uploaded_, record_.bytes_read_);
    source_.trackers_.end_stream();
    if (fe_.logger_) {
      record_.active_connections_ = env_.proxies_.current_.load(relaxed);
      record_.frontend_connections_ = fe_.current_.load(relaxed);
      if (backend_counted_) {
        record_.backend_queue_ = backend_->counters_.queue_current_.load(relaxed);
      }
      record_.source_ = &source_;
      if (record_.bad_request_ && record_.status_ < 0) record_.status_ = 400;  // as HAProxy logs it
      fe_.logger_->emit(record_);
      record_.source_ = nullptr;
    }
    if (backend_counted_) backend_->current_.fetch_sub(1, relaxed);
    backend_counted_ = false;
    // The next request starts clean, on the same connection.
    const sockaddr_storage client = record_.client_;
    const sockaddr_storage local = record_.frontend_address_;
    record_ = log_record{};
    record_.client_ = client;
    record_.frontend_address_ = local;
    record_.frontend_ = &fe_;
    record_.http_ = true;
    record_.tls_ = client_.tls() != nullptr;
    idle_since_ = now;
    request_seen_ = false;
    from_server_ = false;
    served_by_ = nullptr;
    failed_on_ = nullptr;
    failed_status_ = io_status::ok;
    head_at_ = sent_at_ = response_at_ = clock::time_point{};
    in_mark_ = io_.bytes_in_;
    out_mark_ = io_.bytes_out_;
  }

  // What connect_server() did, for the log (Tw, Tc, retries, the server) and the stats.
  void note_connect(const connect_result& c) {
    record_.queue_ = static_cast<long>(c.queue_time_.count());
    record_.retries_ = c.retries_;
    record_.redispatched_ = c.redispatched_;
    if (c.server_ != nullptr) {
      record_.server_ = served_by_ = c.server_;
      c.server_->counters_.requests_total_.fetch_add(1, std::memory_order_relaxed);
      record_.connect_ = static_cast<long>(c.connect_time_.count());
      if (c.server_->address_length_ != 0) {
        std::memcpy(&record_.server_address_, &c.server_->address_, c.server_->address_length_);
      }
      return;
    }
    record_.server_ = served_by_ = c.server_for_log_;
    if (c.no_server_) record_.queue_ = -1;  // HAProxy's Tw when no server was ever assigned
    if (c.queue_timed_out_) terminate('s', 'Q');
    else if (c.timed_out_) terminate('s', 'C');
    else terminate('S', 'C');
  }

  // The server's response could not be used (502/504): eresp.
  void note_response_error() {
    if (backend_ != nullptr) backend_->counters_.response_errors_.fetch_add(1, std::memory_order_relaxed);
    if (served_by_ != nullptr) {
      served_by_->counters_.response_errors_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // An applet (the stats page) answers: its body first, then its response.
  awaitable<bool> serve_applet(http_applet& applet, bool client_close) {
    if (!request_body_done_) {
      if (request_framing_.kind_ != http::body_kind::length || !co_await buffer_body()) {
        co_return co_await send_connection_error(400);
      }
    }
    std::string_view body;
    std::size_t used = 0;
    if (request_framing_.kind_ == http::body_kind::length) {
      used = static_cast<std::size_t>(std::min<std::uint64_t>(request_framing_.length_, in_.size()));
      body = std::string_view(in_).substr(0, used);
    }
    std::string response = applet.respond(request_, body, source_);
    in_.erase(0, used);
    request_body_done_ = true;
    fe_.counters_.intercepted_.fetch_add(1, std::memory_order_relaxed);
    terminate('L', 'R');
    record_.applet_ = "<STATS>";  // %s, and Tw/Tc/Tr 0, as HAProxy logs its stats applet
    record_.queue_ = record_.connect_ = 0;
    sent_at_ = response_at_ = clock::now();
    // The page's own 401 and 403 end the connection, as HAProxy's stats applet does (without
    // a "connection" header); its pages keep it.
    if (response.starts_with("HTTP/1.1 401") || response.starts_with("HTTP/1.1 403")) {
      note_own_status(response);
      co_await io_.write_all(client_, response, fe_.timeouts_.client_);
      co_return false;
    }
    co_return co_await send_own(std::move(response), client_close);
  }

  // Reads a request head; false when the connection ends (error sent if one is due).
  awaitable<std::optional<bool>> read_head(bool first) {
    const milliseconds wait =
        first ? first_of(fe_.timeouts_.http_request_, fe_.timeouts_.client_)
              : first_of(fe_.timeouts_.http_keep_alive_, fe_.timeouts_.http_request_,
                         fe_.timeouts_.client_);
    clock::time_point deadline =
        wait.count() == 0 ? clock::time_point::max() : coarse_steady_now() + wait;
    const std::size_t max_bytes = fe_.limits_.max_raw_head_bytes_;
    // A soft stop (a reload) gives an idle connection a moment for the request its client may
    // already have sent, then closes it: closing at once would drop that request.
    constexpr milliseconds stop_grace{200};
    bool graced = false;
    const clock::time_point usual_deadline = deadline;
    // The request starts with its first byte (Ti ends, TR begins); a connection's first
    // request is logged even when no byte ever comes.
    bool started = !in_.empty();
    if (started) {
      mark_request_start();
    } else if (first) {
      mark_request_start();  // provisional: moved to the first byte when it comes
    }
    for (;;) {
      if (!in_.empty()) {
        bool just_started = false;
        if (!started) {
          started = just_started = true;
          mark_request_start();
        }
        // The parser clears the head and reuses its strings and vector.
        parsed_ = http::parse_request_head(in_, fe_.limits_, request_, request_framing_);
        if (parsed_.state_ == http::parse_state::done) {
          // A head that came whole in one read is complete when it began (TR 0): no second
          // clock reading.
          head_at_ = just_started ? request_at_ : clock::now();
          co_return true;
        }
        if (parsed_.state_ == http::parse_state::error) {
          co_return co_await send_connection_error(parsed_.status_ == 0 ? 400 : parsed_.status_);
        }
        if (in_.size() >= max_bytes) {
          co_return co_await send_connection_error(400);
        }
      }
      // Between requests the connection is idle: a soft stop may end it.
      const bool idle = !first && in_.empty() && env_.idle_clients_ != nullptr;
      if (idle && env_.stopping_->load() && !graced) {
        graced = true;
        deadline = std::min(deadline, coarse_steady_now() + stop_grace);
      }
      if (idle && !graced) env_.idle_clients_->insert(&client_.socket_);
      const io_result r = co_await io_.read_some(client_, in_, max_bytes + 1, remaining(deadline));
      if (idle && !graced) env_.idle_clients_->erase(&client_.socket_);
      if (graced && !in_.empty()) deadline = usual_deadline;  // a request has begun: its time
      if (idle && r.status_ == io_status::error && !graced && env_.stopping_->load()) {
        continue;  // the soft stop cancelled the wait: the grace above follows
      }
      if (r.status_ == io_status::timeout) {
        // An idle keep-alive connection ends silently; a request that does not arrive in time
        // gets HAProxy's 408.
        if (in_.empty() && !first) co_return false;
        co_return co_await send_connection_error(408);
      }
      if (r.status_ != io_status::ok) {
        terminate('C', 'R');
        co_return false;
      }
    }
  }

  // Persistence: the server the request's cookie names, when usable; the cookie is taken off
  // the request when the server must not see it (insert indirect, prefix).
  server* persistent_server() {
    cookie_server_ = nullptr;
    if (!backend_->cookie_) return nullptr;
    const cookie_settings& c = *backend_->cookie_;
    std::optional<found_cookie> f = find_cookie(request_.headers_, c.name_);
    record_.termination_[2] = 'N';
    record_.termination_[3] = 'N';
    if (!f) return nullptr;
    std::string value = f->value_;
    if (c.mode_ == cookie_mode::prefix) {
      const std::size_t tilde = value.find('~');
      std::string id = value.substr(0, tilde);
      for (const auto& s : backend_->servers_) {
        if (!s->cookie_.empty() && s->cookie_ == id) {
          cookie_server_ = s.get();
          break;
        }
      }
      if (cookie_server_ != nullptr && tilde != std::string::npos) {
        // The server sees its own cookie value, without Tandem's prefix.
        std::string& hv = f->header_->value_;
        hv.erase(f->begin_ + c.name_.size() + 1, tilde + 1);
      }
    } else {
      for (const auto& s : backend_->servers_) {
        if (!s->cookie_.empty() && s->cookie_ == value) {
          cookie_server_ = s.get();
          break;
        }
      }
      if (c.mode_ == cookie_mode::insert && c.indirect_) {
        remove_cookie(request_.headers_, *f);
      }
    }
    if (cookie_server_ == nullptr) {
      record_.termination_[2] = 'I';
      return nullptr;
    }
    if (!server_usable(*cookie_server_)) {
      record_.termination_[2] = 'D';
      return nullptr;
    }
    record_.termination_[2] = 'V';
    return cookie_server_;
  }

  void add_forwarded_for() {
    const forwardfor_settings* ff = nullptr;
    // The backend's option wins over the frontend's for the header name, as in HAProxy.
    if (backend_->forwardfor_.enabled_) ff = &backend_->forwardfor_;
    else if (fe_.forwardfor_.enabled_) ff = &fe_.forwardfor_;
    if (ff == nullptr) return;
    if (ff->except_ && in_network(source_.source(), ff->except_->first, ff->except_->second)) {
      return;
    }
    if (ff->if_none_ && http::find_header(request_.headers_, ff->header_) != nullptr) return;
    if (peer_text_.empty()) peer_text_ = address_text(peer_);  // once per connection
    request_.headers_.push_back({ff->header_, peer_text_});
  }

  // Forwards the body announced by `f` from `from` to `to`, starting with the bytes already
  // in `pending` (anything after the body stays there: the next pipelined message).
  // `head` (may be empty) goes out with the body's first bytes in one write: most small
  // messages then cost one send, as in HAProxy. It is cleared once written.
  awaitable<bool> forward_body(connection& from, connection& to, std::string& pending,
                               const http::framing& f, milliseconds read_limit,
                               milliseconds write_limit, std::string& head) {
    auto send = [&](std::string_view bytes) -> awaitable<bool> {
      io_result w;
      if (head.empty() && bytes.empty()) {
        co_return true;
      }
      if (head.empty()) {
        w = co_await io_.write_all(to, bytes, write_limit);
      } else {
        head.append(bytes);
        w = co_await io_.write_all(to, head, write_limit);
        head.clear();
      }
      if (w.status_ != io_status::ok) note_failure(to, w.status_);
      co_return w.status_ == io_status::ok;
    };
    // The usual small message: a head with the body's first bytes, which the socket takes at
    // once, goes out without a coroutine for the write. False: not all of it went, and `head`
    // now holds what is left (the bytes included), for send({}).
    auto sent_at_once = [&](std::string_view bytes, bool& ok) {
      head.append(bytes);
      io_result w;
      if (!io_.try_write(to, head, w)) {
        head.erase(0, w.bytes_);
        return false;
      }
      head.clear();
      if (w.status_ != io_status::ok) note_failure(to, w.status_);
      ok = w.status_ == io_status::ok;
      return true;
    };
    switch (f.kind_) {
      case http::body_kind::none: {
        if (head.empty()) co_return true;
        bool ok = false;
        if (sent_at_once({}, ok)) co_return ok;
        co_return co_await send({});
      }
      case http::body_kind::length: {
        std::uint64_t left = f.length_;
        for (;;) {
          const std::size_t take =
              static_cast<std::size_t>(std::min<std::uint64_t>(left, pending.size()));
          if (take != 0 || !head.empty()) {
            bool ok = false;
            if (!head.empty()) {
              if (!sent_at_once(std::string_view(pending).substr(0, take), ok)) {
                ok = co_await send({});
              }
            } else {
              ok = co_await send(std::string_view(pending).substr(0, take));
            }
            pending.erase(0, take);
            if (!ok) co_return false;
            left -= take;
          }
          if (left == 0) co_return true;
          const io_result r = co_await io_.read_some(from, pending, read_chunk, read_limit);
          if (r.status_ != io_status::ok) {
            note_failure(from, r.status_);
            co_return false;
          }
        }
      }
      case http::body_kind::chunked: {
        // HAProxy decodes chunked bodies and frames them anew: what has arrived goes on as one
        // chunk, extensions are dropped, line ends become CRLF, trailer names lower-case.
        http::chunked_reader reader;
        std::string data;
        std::string trailers;
        std::string framed;
        if (!head.empty() && !co_await send({})) co_return false;
        for (;;) {
          if (!pending.empty()) {
            data.clear();
            const http::chunked_reader::step st = reader.feed(pending, data, trailers);
            if (st.error_) co_return false;
            pending.erase(0, st.consumed_);
            framed.clear();
            if (!data.empty()) {
              char size[20];
              const auto [end, ec] = std::to_chars(size, size + sizeof size, data.size(), 16);
              (void)ec;
              for (char* c = size; c != end; ++c) {
                if (*c >= 'a' && *c <= 'f') *c = static_cast<char>(*c - 'a' + 'A');
              }
              framed.append(size, end);
              framed += "\r\n";
              framed += data;
              framed += "\r\n";
            }
            if (st.done_) {
              framed += "0\r\n";
              append_trailers(trailers, framed);
              framed += "\r\n";
            }
            if (!framed.empty() && !co_await send(framed)) co_return false;
            if (st.done_) co_return true;
          }
          const io_result r = co_await io_.read_some(from, pending, read_chunk, read_limit);
          if (r.status_ != io_status::ok) {
            note_failure(from, r.status_);
            co_return false;
          }
        }
      }
      case http::body_kind::until_close: {
        if (!head.empty() && !co_await send({})) co_return false;
        for (;;) {
          if (!pending.empty()) {
            const bool ok = co_await send(pending);
            pending.clear();
            if (!ok) co_return false;
          }
          const io_result r = co_await io_.read_some(from, pending, read_chunk, read_limit);
          if (r.status_ == io_status::closed) co_return true;
          if (r.status_ != io_status::ok) {
            note_failure(from, r.status_);
            co_return false;
          }
        }
      }
    }
    co_return false;
  }

  // Trailer lines as received ("X-T: y\r\n", the empty line included) as HAProxy writes them:
  // "x-t: y\r\n" each, without the empty line.
  static void append_trailers(std::string_view raw, std::string& out) {
    while (!raw.empty()) {
      const std::size_t lf = raw.find('\n');
      std::string_view line = raw.substr(0, lf);
      raw.remove_prefix(lf == std::string_view::npos ? raw.size() : lf + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) break;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      for (char c : line.substr(0, colon)) {
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
      }
      out += ": ";
      out += value;
      out += "\r\n";
    }
  }

  // Whether the chunked body bytes already received are well-formed so far: HAProxy parses
  // all it has read before forwarding anything, so a bad chunk that came with the head never
  // lets the head through.
  static bool chunked_prefix_valid(std::string_view bytes) {
    http::chunked_reader reader;
    return !reader.feed(bytes).error_;
  }

  // h1-case-adjust: the names a bogus peer needs in their own case.
  static void adjust_case(std::vector<http::header>& headers, const case_map* map) {
    if (map == nullptr || map->empty()) return;
    for (http::header& h : headers) {
      if (const auto it = map->find(h.name_); it != map->end()) h.name_ = it->second;
    }
  }

  // option http-buffer-request: the whole body (as much as a buffer holds) is read before the
  // request goes on; an Expect: 100-continue is answered here and not passed on, as HAProxy.
  awaitable<bool> buffer_body() {
    if (request_framing_.kind_ == http::body_kind::none) co_return true;
    if (request_framing_.expect_continue_) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      if ((co_await io_.write_all(client_, go_on, fe_.timeouts_.client_)).status_ != io_status::ok) {
        co_return false;
      }
      http::remove_headers(request_.headers_, "expect");
      request_framing_.expect_continue_ = false;
    }
    const std::size_t most = fe_.limits_.max_raw_head_bytes_;
    const milliseconds wait = first_of(fe_.timeouts_.http_request_, fe_.timeouts_.client_);
    for (;;) {
      if (request_framing_.kind_ == http::body_kind::length && in_.size() >= request_framing_.length_) {
        co_return true;
      }
      if (request_framing_.kind_ == http::body_kind::chunked) {
        http::chunked_reader reader;
        const http::chunked_reader::step st = reader.feed(in_);
        if (st.error_ || st.done_) co_return true;  // an error is answered when forwarded
      }
      if (in_.size() >= most) co_return true;  // a full buffer goes on as it is
      const io_result r = co_await io_.read_some(client_, in_, most, wait);
      if (r.status_ != io_status::ok) co_return false;
    }
  }

  // The request as the server gets it.
  const std::string& request_bytes(bool close_server) {
    // The parser has taken close/keep-alive out of Connection (other tokens stay in place).
    if (close_server) {
      request_.headers_.push_back({"connection", "close"});
    } else if (request_.version_minor_ == 0 && !request_framing_.force_close_) {
      request_.headers_.push_back({"connection", "keep-alive"});
    }
    adjust_case(request_.headers_, backend_->case_adjust_);
    request_head_bytes_.clear();
    http::write_request_head(request_, request_head_bytes_);
    return request_head_bytes_;
  }

  // Reads a response head from the server; nullopt on error with the status to answer.
  awaitable<unsigned> read_response_head(http::response_head& head, http::framing& f) {
    const milliseconds wait = backend_->timeouts_.server_;
    for (;;) {
      if (!out_.empty()) {
        // Not reset: the parser sets every part of a head it completes, and reusing the
        // previous response's strings and vector spares their allocations.
        const http::parse_result pr =
            http::parse_response_head(out_, fe_.limits_, request_.method_, head, f);
        if (pr.state_ == http::parse_state::done) {
          response_consumed_ = pr.consumed_;
          co_return 0;
        }
        if (pr.state_ == http::parse_state::error) co_return 502;
        if (out_.size() >= fe_.limits_.max_raw_head_bytes_) co_return 502;
      }
      const io_result r = co_await io_.read_some(upstream_, out_, fe_.limits_.max_raw_head_bytes_ + 1, wait);
      if (r.status_ == io_status::timeout) co_return 504;
      if (r.status_ != io_status::ok) co_return out_.empty() ? 1 : 502;  // 1: closed before any byte
    }
  }

  // Whether a shared cache could keep this response, as HAProxy judges it before `nocache`
  // marks it private: a GET or HEAD answered with a cacheable status and some freshness
  // information or validator, and nothing forbidding it.
  bool cacheable(const http::response_head& response) const {
    if (request_.method_ != "GET" && request_.method_ != "HEAD") return false;
    switch (response.status_) {
      case 200: case 203: case 204: case 206: case 300: case 301: case 404: case 405:
      case 410: case 414: case 501:
        break;
      default:
        return false;
    }
    bool fresh = false;
    for (const http::header& h : response.headers_) {
      if (h.name_ == "pragma" && h.value_.find("no-cache") != std::string::npos) return false;
      if (h.name_ == "cache-control") {
        std::string_view rest = h.value_;
        while (!rest.empty()) {
          const std::size_t comma = rest.find(',');
          std::string_view t = rest.substr(0, comma);
          while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
          while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
          if (t == "private" || t == "no-cache" || t == "no-store" || t == "max-age=0" ||
              t == "s-maxage=0" || t.starts_with("private=") || t.starts_with("no-cache=")) {
            return false;
          }
          if (t == "public" || t.starts_with("max-age=") || t.starts_with("s-maxage=")) {
            fresh = true;
          }
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      }
      if (h.name_ == "expires" || h.name_ == "last-modified" || h.name_ == "etag") fresh = true;
    }
    return fresh;
  }

  void apply_cookie(http::response_head& response, server* chosen) {
    if (!backend_->cookie_ || chosen == nullptr || chosen->cookie_.empty()) return;
    const cookie_settings& c = *backend_->cookie_;
    if (c.mode_ == cookie_mode::insert) {
      if (cookie_server_ == chosen) return;  // the client already holds the right cookie
      if (c.postonly_ && request_.method_ != "POST") return;
      std::string value;
      value.reserve(c.name_.size() + chosen->cookie_.size() + 32);
      value += c.name_;
      value += '=';
      value += chosen->cookie_;
      value += "; path=/";
      for (const std::string& d : c.domains_) {
        value += "; domain=";
        value += d;
      }
      if (c.httponly_) value += "; HttpOnly";
      if (c.secure_) value += "; Secure";
      if (c.attributes_) {
        value += "; ";
        value += *c.attributes_;
      }
      response.headers_.push_back({"set-cookie", std::move(value)});
      record_.termination_[3] = 'I';
      if (c.nocache_ && cacheable(response)) {
        // A cacheable response that sets a persistence cookie must not be cached for others.
        response.headers_.push_back({"cache-control", "private"});
      }
      return;
    }
    for (http::header& h : response.headers_) {
      if (h.name_ != "set-cookie") continue;
      const std::size_t eq = h.value_.find('=');
      if (eq == std::string::npos || std::string_view(h.value_).substr(0, eq) != c.name_) continue;
      record_.termination_[3] = 'R';
      if (c.mode_ == cookie_mode::rewrite) {
        const std::size_t semi = h.value_.find(';', eq);
        h.value_.replace(eq + 1, (semi == std::string::npos ? h.value_.size() : semi) - eq - 1,
                         chosen->cookie_);
      } else {
        h.value_.insert(eq + 1, chosen->cookie_ + "~");
      }
    }
  }

  // One request and its response; false when the client connection ends.
  awaitable<bool> one_request(bool first) {
    request_scope scope{*this};
    const std::optional<bool> head = co_await read_head(first);
    if (!head || !*head) co_return false;
    note_request_head();
    in_.erase(0, parsed_.consumed_);
    request_body_done_ = request_framing_.kind_ == http::body_kind::none;
    const bool client_close = !request_framing_.keep_alive_;
    if (request_framing_.kind_ == http::body_kind::chunked && !chunked_prefix_valid(in_)) {
      co_return co_await send_connection_error(400);
    }
    backend_ = nullptr;
    source_.request_ = &request_;
    source_.response_ = nullptr;
    source_.backend_ = nullptr;
    source_.clear_request_variables();
    // tcp-request content rules run for each request, once its head is in (HAProxy runs them
    // for each stream; an L7 fetch waits for the head).
    if (run_content_rules(fe_, source_) == content_verdict::reject) {
      fe_.counters_.denied_requests_.fetch_add(1, std::memory_order_relaxed);
      terminate('P', 'R');
      co_return false;
    }
    source_.trackers_.http_request();

    if (fe_.buffer_request_ && !co_await buffer_body()) co_return false;
    rule_outcome o = run_request_rules(fe_.request_rules_, request_, source_, fe_.error_pages_);
    if (o.tarpit_) co_await tarpit(fe_.timeouts_);
    if (o.close_) {
      note_rule_answer(o, &fe_.counters_);
      co_return false;
    }
    if (o.response_) {
      note_rule_answer(o, &fe_.counters_);
      co_return co_await send_own(std::move(*o.response_), client_close);
    }
    if (fe_.stats_ && fe_.stats_->wants(request_)) {
      co_return co_await serve_applet(*fe_.stats_, client_close);
    }

    backend_ = choose_backend(fe_, env_.proxies_, source_);
    if (backend_ == nullptr) {
      terminate('P', 'R');
      co_return co_await send_error(503, client_close);
    }
    count_backend();
    source_.backend_ = backend_;
    if (run_content_rules(*backend_, source_) == content_verdict::reject) {
      fe_.counters_.denied_requests_.fetch_add(1, std::memory_order_relaxed);
      backend_->counters_.denied_requests_.fetch_add(1, std::memory_order_relaxed);
      terminate('P', 'R');
      co_return false;
    }
    if (backend_->buffer_request_ && !fe_.buffer_request_ && !co_await buffer_body()) {
      co_return false;
    }
    if (backend_ != nullptr && &backend_->request_rules_ != &fe_.request_rules_) {
      o = run_request_rules(backend_->request_rules_, request_, source_, backend_->error_pages_);
      if (o.tarpit_) co_await tarpit(backend_->timeouts_);
      if (o.close_) {
        note_rule_answer(o, &backend_->counters_);
        co_return false;
      }
      if (o.response_) {
        note_rule_answer(o, &backend_->counters_);
        co_return co_await send_own(std::move(*o.response_), client_close);
      }
    }
    if (backend_->stats_ && backend_->stats_->wants(request_)) {
      co_return co_await serve_applet(*backend_->stats_, client_close);
    }

    // use-server has precedence over the cookie, which is still processed (a prefix is
    // stripped, an indirect cookie removed).
    server* persistent = persistent_server();
    if (server* forced = forced_server(*backend_, source_)) persistent = forced;
    server* stuck = stick_request(*backend_, source_, stick_stores_);  // stick match/on
    if (persistent == nullptr) persistent = stuck;
    add_forwarded_for();
    keys_.uri_ = request_.target_;

    const http_connection_mode mode = std::max(fe_.connection_mode_, backend_->connection_mode_);
    // The server side follows the proxy's mode, not the client's wishes: an HTTP/1.0 client
    // that closes still has its request sent on a kept-alive server connection.
    const bool close_server = mode != http_connection_mode::keep_alive;
    const std::string& head_bytes = request_bytes(close_server);

    // Reuse the idle server connection when the request goes to the same server.
    bool reused = false;
    if (upstream_server_ != nullptr && upstream_backend_ == backend_ && upstream_.is_open()) {
      server* wanted = persistent;
      if (wanted == nullptr && backend_->balancer_) {
        const std::optional<std::uint32_t> id = backend_->balancer_->pick(keys_);
        wanted = id ? backend_->servers_[*id].get() : nullptr;
      }
      if (wanted == upstream_server_) {
        reused = true;
        backend_->balancer_->connection_opened(upstream_server_->id_);
        const std::uint32_t serving =
            upstream_server_->current_.fetch_add(1, std::memory_order_relaxed) + 1;
        note_stream(*backend_, *upstream_server_, serving);
        upstream_counted_ = true;
        record_.server_ = served_by_ = upstream_server_;
        upstream_server_->counters_.requests_total_.fetch_add(1, std::memory_order_relaxed);
        record_.queue_ = 0;
        record_.connect_ = 0;
      } else {
        park_upstream();
        persistent = wanted != nullptr ? wanted : persistent;
      }
    } else {
      park_upstream();
    }
    upstream_idle_ = false;

    server* chosen = upstream_server_;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!reused || attempt > 0) {
        // http-reuse safe (HAProxy's default): a session's first request gets a connection of
        // its own; later ones may take an idle one. aggressive/always: any request may.
        idle_pool* pool = backend_->reuse_ == http_reuse::never ||
                                  (backend_->reuse_ == http_reuse::safe && first)
                              ? nullptr
                              : env_.pool_;
        const connect_result c =
            co_await connect_server(upstream_, io_, *backend_, persistent, keys_, local_, pool,
                                    &source_);
        note_connect(c);
        if (c.server_ == nullptr) {
          co_return co_await send_error(503, client_close);
        }
        chosen = c.server_;
        upstream_server_ = chosen;
        upstream_counted_ = true;
        upstream_backend_ = backend_;
        out_.clear();
        // An idle connection from the pool may have been closed by the server meanwhile, as
        // the session's own kept one: the same one retry on a new connection.
        reused = c.reused_ && attempt == 0;
      }
      // Most request heads go at once, without a coroutine for the write. Then the session
      // lets the others of its thread run before it reads the response: the server needs that
      // long to answer anyway, and reading at once finds nothing (a wasted recv and a turn
      // of the event loop more for this request; measured: seed 000's p99 at 1,000
      // connections 1.3x the posted write's).
      const std::string_view request_out = with_proxy_header(head_bytes, reused);
      io_result w;
      if (!io_.try_write(upstream_, request_out, w)) {
        const std::size_t went = w.bytes_;
        w = co_await io_.write_all(upstream_, request_out.substr(went), backend_->timeouts_.server_);
        w.bytes_ += went;
      } else {
        co_await asio::post(client_.get_executor(), asio::use_awaitable);
      }
      sent_at_ = clock::now();
      if (w.status_ == io_status::ok) break;
      // A reused connection the server had closed: one new connection, as HAProxy retries.
      drop_upstream();
      if (!reused) {
        terminate('S', 'C');
        co_return co_await send_error(502, client_close);
      }
      reused = false;
      persistent = chosen;
    }

    // Kept across requests: the parser reuses their strings.
    http::response_head& response = response_head_;
    http::framing& response_framing = response_framing_;
    response_framing = http::framing{};
    bool body_sent = false;
    if (!request_framing_.expect_continue_) {
      if (!co_await forward_body(client_, upstream_, in_, request_framing_,
                                 fe_.timeouts_.client_, backend_->timeouts_.server_, no_head_)) {
        terminate_after_failure('D');
        drop_upstream();
        co_return false;
      }
      body_sent = true;
      request_body_done_ = true;
    }

    for (;;) {
      unsigned status = co_await read_response_head(response, response_framing);
      if (status == 1 && reused && request_framing_.kind_ == http::body_kind::none) {
        // The idle connection was closed under us before any response byte: retry once on a
        // new connection, as HAProxy does for a reused connection.
        drop_upstream();
        const connect_result c = co_await connect_server(upstream_, io_, *backend_, chosen, keys_,
                                                         local_, nullptr, &source_);
        note_connect(c);
        if (c.server_ == nullptr) co_return co_await send_error(503, client_close);
        chosen = upstream_server_ = c.server_;
        upstream_counted_ = true;
        upstream_backend_ = backend_;
        reused = false;
        const io_result w2 = co_await io_.write_all(
            upstream_, with_proxy_header(head_bytes, false), backend_->timeouts_.server_);
        sent_at_ = clock::now();
        if (w2.status_ != io_status::ok) {
          drop_upstream();
          terminate('S', 'C');
          co_return co_await send_error(502, client_close);
        }
        continue;
      }
      if (status != 0) {
        drop_upstream();
        terminate(status == 504 ? 's' : 'S', 'H');
        note_response_error();
        co_return co_await send_error(status == 1 ? 502 : status, client_close);
      }
      if (response.status_ >= 100 && response.status_ < 200 && response.status_ != 101) {
        // Interim responses (100 Continue) go to the client as they are, then the body.
        std::string interim;
        http::write_response_head(response, interim);
        out_.erase(0, response_consumed_);
        if ((co_await io_.write_all(client_, interim, fe_.timeouts_.client_)).status_ != io_status::ok) {
          terminate('C', 'H');
          drop_upstream();
          co_return false;
        }
        if (!body_sent) {
          if (!co_await forward_body(client_, upstream_, in_, request_framing_,
                                     fe_.timeouts_.client_, backend_->timeouts_.server_,
                                     no_head_)) {
            terminate_after_failure('D');
            drop_upstream();
            co_return false;
          }
          body_sent = true;
          request_body_done_ = true;
        }
        continue;
      }
      break;
    }
    out_.erase(0, response_consumed_);
    note_response_head(response);
    if (response_framing.kind_ == http::body_kind::chunked && !chunked_prefix_valid(out_)) {
      drop_upstream();
      terminate('P', 'H');
      note_response_error();
      co_return co_await send_error(502, client_close);
    }
    source_.response_ = &response;

    rule_outcome ro =
        run_response_rules(backend_->response_rules_, response, source_, backend_->error_pages_);
    if (!ro.response_ && !ro.stop_ && &backend_->response_rules_ != &fe_.response_rules_) {
      ro = run_response_rules(fe_.response_rules_, response, source_, fe_.error_pages_);
    }
    if (ro.response_) {
      drop_upstream();
      if (ro.denied_) {
        fe_.counters_.denied_responses_.fetch_add(1, std::memory_order_relaxed);
        backend_->counters_.denied_responses_.fetch_add(1, std::memory_order_relaxed);
        if (chosen != nullptr) chosen->counters_.denied_responses_.fetch_add(1, std::memory_order_relaxed);
      }
      terminate('P', 'H');
      co_return co_await send_own(std::move(*ro.response_), client_close);
    }
    apply_cookie(response, chosen);
    stick_response(*backend_, source_, stick_stores_, chosen);
    run_after_response_rules(backend_->after_response_rules_, response, source_);
    run_after_response_rules(fe_.after_response_rules_, response, source_);

    const bool tunnel = response.status_ == 101 ||
                        (request_.method_ == "CONNECT" && response.status_ / 100 == 2);
    // The server's own "connection: close" ends its connection, not the client's.
    // Stopping (a reload): the response says so, and the client's next request goes to the
    // new process.
    bool keep_client = !client_close && !(env_.stopping_ && env_.stopping_->load()) &&
                       mode != http_connection_mode::close &&
                       response_framing.kind_ != http::body_kind::until_close && body_sent;
    if (tunnel) keep_client = true;
    if (tunnel) {
      // The server's Connection: upgrade stays where it was.
    } else if (!keep_client) {
      response.headers_.push_back({"connection", "close"});
    } else if (keep_client && request_.version_minor_ == 0) {
      response.headers_.push_back({"connection", "keep-alive"});
    }
    adjust_case(response.headers_, fe_.case_adjust_);
    record_.status_ = static_cast<int>(response.status_);
    from_server_ = true;
    count_stick_status();
    response_bytes_.clear();
    http::write_response_head(response, response_bytes_);
    if (tunnel) {
      if ((co_await io_.write_all(client_, response_bytes_, fe_.timeouts_.client_)).status_ !=
          io_status::ok) {
        terminate('C', 'D');
        drop_upstream();
        co_return false;
      }
      co_await tunnel_both();
      co_return false;
    }
    if (!co_await forward_body(upstream_, client_, out_, response_framing,
                               backend_->timeouts_.server_, fe_.timeouts_.client_,
                               response_bytes_)) {
      terminate_after_failure('D');
      drop_upstream();
      co_return false;
    }
    end_served();
    if (close_server || !response_framing.keep_alive_ ||
        response_framing.kind_ == http::body_kind::until_close || !out_.empty()) {
      drop_upstream();
    } else {
      upstream_idle_ = true;
    }
    co_return keep_client;
  }

  awaitable<void> tunnel_both() {
    const milliseconds idle = first_of(backend_->timeouts_.tunnel_, fe_.timeouts_.client_);
    // Bytes already read beyond the heads go first.
    if (!in_.empty()) {
      co_await io_.write_all(upstream_, in_, idle);
      in_.clear();
    }
    if (!out_.empty()) {
      co_await io_.write_all(client_, out_, idle);
      out_.clear();
    }
    relay_side client_side{client_, fe_.timeouts_.client_fin_};
    relay_side server_side{upstream_, backend_->timeouts_.server_fin_};
    const auto [up, down] = co_await (relay_one_way(client_side, server_side, idle) &&
                                      relay_one_way(server_side, client_side, idle));
    io_.bytes_in_ += up;
    io_.bytes_out_ += down;
    drop_upstream();
  }

  connection client_;
  connection upstream_;
  timed_io io_;
  session_env env_;
  frontend& fe_;
  session_source source_;
  tcp::endpoint peer_;
  std::string peer_text_;  // peer_'s address as X-Forwarded-For gives it (empty: not yet)
  tcp::endpoint local_;
  std::array<std::uint8_t, 16> address_bytes_{};
  balance::request_keys keys_;

  std::string response_bytes_;  // the response head being written (kept for its capacity)
  std::string proxied_head_;    // a PROXY header and the request head (send-proxy)
  std::string request_head_bytes_;  // the request head as the server gets it
  http::response_head response_head_;
  http::framing response_framing_;
  std::string no_head_;         // forward_body's head when there is none to add
  std::string in_;   // bytes from the client not yet handled
  std::string out_;  // bytes from the server not yet handled
  http::request_head request_;
  http::framing request_framing_;
  http::parse_result parsed_;
  bool request_body_done_ = true;  // the current request's body has been read
  std::size_t response_consumed_ = 0;

  // The current request's log record, and its moments on the steady clock (the timers).
  log_record record_;
  clock::time_point accepted_at_;
  std::chrono::system_clock::time_point accepted_wall_;
  clock::time_point idle_since_;   // the previous request's end (or the accept)
  clock::time_point request_at_;   // this request's first byte
  clock::time_point head_at_;      // its head complete (unset: never)
  clock::time_point sent_at_;      // sent to the server
  clock::time_point response_at_;  // the response head received
  bool request_seen_ = false;      // something of this request arrived: it is logged
  server* served_by_ = nullptr;    // record_.server_, writable (its counters)
  bool backend_counted_ = false;   // backend_->current_ holds this request
  bool from_server_ = false;       // the status sent is the server's
  std::uint64_t in_mark_ = 0;      // io_.bytes_in_/out_ when the request started
  std::uint64_t out_mark_ = 0;
  const connection* failed_on_ = nullptr;  // the side a body transfer failed on
  io_status failed_status_ = io_status::ok;

  backend* backend_ = nullptr;
  server* cookie_server_ = nullptr;
  pending_stores stick_stores_;  // stick store-request/on keys, stored with the response
  bool stick_client_error_ = false;  // denied, auth, unreadable: http_err_* counts it
  bool stick_status_counted_ = false;  // the trackers have this request's status
  // The open server connection kept between requests (keep-alive), and whose it is.
  server* upstream_server_ = nullptr;
  bool upstream_counted_ = false;  // upstream_server_'s slot is held (see end_served)
  bool upstream_idle_ = false;     // its last response ended and it may serve another
  backend* upstream_backend_ = nullptr;
};

}  // namespace

awaitable<void> run_http_session(tcp::socket client, session_env env) {
  http_session s(std::move(client), env);
  co_await s.run();
}

}  // namespace tandem::runtime::proxy
