// The check interpreter: HAProxy 2.6's tcpcheck_main() over Asio, one step after another,
// with its deadlines and its wording of connection errors and timeouts.
#include "runtime/checks/probe.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <ctime>

#include "runtime/checks/builtin.hpp"
#include "runtime/checks/expect.hpp"

namespace tandem::runtime::checks {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool is_regex_kind(expect_kind k) {
  return k == expect_kind::rstring || k == expect_kind::rbinary || k == expect_kind::http_rstatus ||
         k == expect_kind::http_rstring;
}

// Where a step's connection goes: the step's own address and port first, then the server's
// check address and port, then the server itself (HAProxy's tcpcheck_eval_connect).
struct target {
  std::string host_;
  std::uint16_t port_ = 0;
};

target target_of(const check_spec& spec, const connect_step& step) {
  target t;
  t.host_ = !step.address_.empty()         ? step.address_
            : !spec.check_address_.empty() ? spec.check_address_
                                           : spec.address_;
  t.port_ = step.port_ ? *step.port_ : spec.check_port_ ? *spec.check_port_ : spec.port_;
  return t;
}

// " at step 2 of tcp-check (expect string '+PONG')": where a tcp-check ruleset stopped, added
// to connection errors and timeouts (HAProxy's chk_report_conn_err).
std::string tcp_check_context(const check_program& program, std::size_t step) {
  if (program.spec().kind_ != check_kind::tcp_check) {
    return {};
  }
  const int id = program.step_id(step);
  if (id == 0) {
    return " at initial connection step of tcp-check";
  }
  std::string out = " at step " + std::to_string(id) + " of tcp-check";
  const check_step& s = program.spec().steps_[step];
  std::string comment;
  if (const auto* c = std::get_if<connect_step>(&s)) {
    out += c->port_ ? " (connect port " + std::to_string(*c->port_) + ")" : " (connect)";
    comment = c->comment_;
  } else if (const auto* e = std::get_if<expect_step>(&s)) {
    out += describe_expect(*e);
    comment = e->comment_;
  } else if (const auto* w = std::get_if<send_step>(&s)) {
    out += " (send)";
    comment = w->comment_;
  }
  if (!comment.empty()) {
    out += " comment: '" + comment + "'";
  }
  return out;
}

// The first expect of the run of expects ending at `step` that is inverted, else `step`:
// HAProxy re-judges from there when more data arrives.
std::size_t chain_head(const check_spec& spec, std::size_t step) {
  std::size_t head = step;
  for (std::size_t i = step + 1; i-- > 0;) {
    const auto* e = std::get_if<expect_step>(&spec.steps_[i]);
    if (e == nullptr) {
      break;
    }
    if (e->inverse_) {
      head = i;
    }
  }
  return head;
}

}  // namespace

std::optional<check_program> check_program::compile(check_spec spec, std::string& error) {
  check_program out;
  out.regexes_.resize(spec.steps_.size());
  for (std::size_t i = 0; i < spec.steps_.size(); ++i) {
    const auto* e = std::get_if<expect_step>(&spec.steps_[i]);
    if (e == nullptr || !is_regex_kind(e->kind_)) {
      continue;
    }
    std::string why;
    out.regexes_[i] = regex::compile(e->pattern_, why);
    if (!out.regexes_[i]) {
      error = "invalid regex '" + e->pattern_ + "': " + why;
      return std::nullopt;
    }
  }
  if (spec.steps_.empty() || !std::holds_alternative<connect_step>(spec.steps_.front())) {
    error = "a check must start with a connect step";
    return std::nullopt;
  }
  out.spec_ = std::move(spec);
  return out;
}

const regex* check_program::regex_of(std::size_t step) const {
  return step < regexes_.size() && regexes_[step] ? &*regexes_[step] : nullptr;
}

int check_program::step_id(std::size_t step) const {
  if (spec_.step_numbers_.size() == spec_.steps_.size()) {
    return spec_.step_numbers_[step];
  }
  const auto* first = std::get_if<connect_step>(&spec_.steps_.front());
  const bool implicit = first != nullptr && first->implicit_;
  return static_cast<int>(step) + (implicit ? 0 : 1);
}

probe::probe(asio::any_io_executor executor) : socket_(executor), timer_(executor) {}

void probe::cancel() {
  cancelled_ = true;
  timer_.cancel();
  close();
}

void probe::close() {
  tls_.reset();  // no operation is in progress: the check has ended
  error_code ignored;
  if (socket_.is_open()) {
    // As HAProxy ends a check: a reset, no FIN handshake and no TIME_WAIT left behind.
    socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    socket_.close(ignored);
  }
}

asio::awaitable<probe::io_result> probe::connect_until(const tcp::endpoint& to,
                                                       time_point deadline, bool hold_ack) {
  timer_.expires_at(deadline);
  // Measured on 2.6: a check that only connects never reaches the server's accept(). With
  // quick ACKs off before connecting, the kernel holds the handshake's last ACK back for data
  // that never comes, and the reset on close ends the connection before it is established;
  // a check that sends data carries that ACK with its first bytes. Not when the server speaks
  // first (SMTP's banner): it would wait for that ACK.
  error_code ignored;
  if (!socket_.is_open()) {
    socket_.open(to.protocol(), ignored);
  }
  if (hold_ack) {
    const int off = 0;
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &off, sizeof off);
  }
  auto done = co_await (socket_.async_connect(to, use_tuple) || timer_.async_wait(use_tuple));
  io_result r;
  if (done.index() == 0) {
    r.error_ = std::get<0>(std::get<0>(done));
  } else {
    r.timed_out_ = !cancelled_;
    r.error_ = asio::error::timed_out;
  }
  co_return r;
}

asio::awaitable<probe::io_result> probe::write_until(const std::string& bytes,
                                                     time_point deadline) {
  timer_.expires_at(deadline);
  io_result r;
  if (tls_) {
    auto send = [this, &bytes]() -> asio::awaitable<std::pair<error_code, std::size_t>> {
      std::size_t n = 0;
      while (n < bytes.size()) {
        auto [ec, k] = co_await tls_->write_some(socket_, bytes.data() + n, bytes.size() - n);
        n += k;
        if (ec) co_return std::pair{ec, n};
      }
      co_return std::pair{error_code(), n};
    };
    auto done = co_await (send() || timer_.async_wait(use_tuple));
    if (done.index() == 0) {
      std::tie(r.error_, r.bytes_) = std::get<0>(done);
    } else {
      r.timed_out_ = !cancelled_;
      r.error_ = asio::error::timed_out;
    }
    co_return r;
  }
  auto done = co_await (asio::async_write(socket_, asio::buffer(bytes), use_tuple) ||
                        timer_.async_wait(use_tuple));
  if (done.index() == 0) {
    std::tie(r.error_, r.bytes_) = std::get<0>(done);
  } else {
    r.timed_out_ = !cancelled_;
    r.error_ = asio::error::timed_out;
  }
  co_return r;
}

asio::awaitable<probe::io_result> probe::read_until(std::string& buffer, time_point deadline) {
  char chunk[4096];
  const std::size_t room = std::min(sizeof chunk, check_buffer_size - buffer.size());
  timer_.expires_at(deadline);
  io_result r;
  if (tls_) {
    auto done = co_await (tls_->read_some(socket_, chunk, room) || timer_.async_wait(use_tuple));
    if (done.index() == 0) {
      std::tie(r.error_, r.bytes_) = std::get<0>(done);
      buffer.append(chunk, r.bytes_);
    } else {
      r.timed_out_ = !cancelled_;
      r.error_ = asio::error::timed_out;
    }
    co_return r;
  }
  auto done = co_await (socket_.async_read_some(asio::buffer(chunk, room), use_tuple) ||
                        timer_.async_wait(use_tuple));
  if (done.index() == 0) {
    std::tie(r.error_, r.bytes_) = std::get<0>(done);
    buffer.append(chunk, r.bytes_);
  } else {
    r.timed_out_ = !cancelled_;
    r.error_ = asio::error::timed_out;
  }
  co_return r;
}

asio::awaitable<probe::io_result> probe::handshake_until(const check_spec& spec,
                                                         time_point deadline) {
  io_result r;
  SSL* session = spec.tls_->new_session(spec.tls_sni_);
  if (session == nullptr) {
    r.error_ = asio::error::no_memory;
    co_return r;
  }
  tls_ = std::make_unique<proxy::tls::stream>(session, socket_);
  timer_.expires_at(deadline);
  auto done = co_await (tls_->handshake(socket_) || timer_.async_wait(use_tuple));
  if (done.index() == 0) {
    r.error_ = std::get<0>(done);
  } else {
    r.timed_out_ = !cancelled_;
    r.error_ = asio::error::timed_out;
  }
  co_return r;
}

asio::awaitable<std::optional<asio::ip::address>> probe::resolve(const std::string& host,
                                                                 std::string& error) {
  error_code ec;
  const asio::ip::address literal =
      asio::ip::make_address(host.empty() ? std::string("0.0.0.0") : host, ec);
  if (!ec) {
    co_return literal;
  }
  for (const auto& [name, address] : resolved_) {
    if (name == host) {
      co_return address;
    }
  }
  tcp::resolver resolver(socket_.get_executor());
  auto [rec, results] = co_await resolver.async_resolve(host, "", use_tuple);
  if (rec || results.empty()) {
    error = "could not resolve '" + host + "'";
    co_return std::nullopt;
  }
  const asio::ip::address address = results.begin()->endpoint().address();
  resolved_.emplace_back(host, address);
  co_return address;
}

asio::awaitable<check_result> probe::run(const check_program& program, bool server_down) {
  const check_spec& spec = program.spec();
  cancelled_ = false;
  const auto start = std::chrono::steady_clock::now();
  const duration inter = spec.health_.inter_;
  // Connecting may take `inter`, or min(inter, timeout connect) when timeout check is set too;
  // once connected, timeout check runs from there but never ends the check sooner
  // (measured on HAProxy 2.6: its task timer is only ever pushed later).
  const duration connect_time = spec.timeout_check_ && spec.timeout_connect_
                                    ? std::min(inter, *spec.timeout_connect_)
                                    : inter;
  time_point deadline = start + connect_time;

  check_result result;
  std::string buffer;
  bool last_read = false;
  bool must_read = true;
  bool connected = false;
  std::optional<expect_outcome> last_expect;

  const auto finish = [&](check_status status, std::string info, int code = 0) {
    result.status_ = status;
    result.info_ = clip_info(info);
    result.code_ = code;
    result.duration_ =
        std::chrono::duration_cast<duration>(std::chrono::steady_clock::now() - start);
    close();
    return result;
  };
  const auto io_failure = [&](const io_result& io, std::size_t step) {
    std::string context = tcp_check_context(program, step);
    if (cancelled_ || io.error_ == asio::error::operation_aborted) {
      return finish(check_status::sockerr, "cancelled");
    }
    if (io.timed_out_) {
      if (!connected) {
        return finish(check_status::l4tout, context);
      }
      check_status timeout = check_status::l7tout;
      if (const auto* e = std::get_if<expect_step>(&spec.steps_[step]); e && e->timeout_status_) {
        timeout = *e->timeout_status_;
      }
      return finish(timeout, context);
    }
    return finish(connected ? check_status::sockerr : check_status::l4con,
                  io.error_.message() + context);
  };

  for (std::size_t i = 0; i < spec.steps_.size(); ++i) {
    const check_step& step = spec.steps_[i];
    if (const auto* c = std::get_if<connect_step>(&step)) {
      close();
      buffer.clear();
      last_read = false;
      must_read = true;
      connected = false;
      const target where = target_of(spec, *c);
      std::string why;
      const std::optional<asio::ip::address> address = co_await resolve(where.host_, why);
      if (cancelled_) {
        co_return finish(check_status::sockerr, "cancelled");
      }
      if (!address) {
        co_return finish(check_status::sockerr, why);
      }
      if (i > 0) {
        deadline = std::max(deadline, std::chrono::steady_clock::now() + connect_time);
      }
      const bool server_speaks_first =
          i + 1 < spec.steps_.size() && std::holds_alternative<expect_step>(spec.steps_[i + 1]);
      const io_result io = co_await connect_until(tcp::endpoint(*address, where.port_), deadline,
                                                  !server_speaks_first);
      if (io.error_) {
        co_return io_failure(io, i);
      }
      connected = true;
      if (spec.tls_) {
        // HAProxy's Layer6: the handshake within what is left of the connect time.
        const io_result hs = co_await handshake_until(spec, deadline);
        if (cancelled_ || hs.error_ == asio::error::operation_aborted) {
          co_return finish(check_status::sockerr, "cancelled");
        }
        if (hs.timed_out_) co_return finish(check_status::l6tout, "");
        if (hs.error_) co_return finish(check_status::l6rsp, "SSL handshake failure");
      }
      if (spec.timeout_check_) {
        deadline = std::max(deadline, std::chrono::steady_clock::now() + *spec.timeout_check_);
      }
      continue;
    }
    if (const auto* s = std::get_if<send_step>(&step)) {
      buffer.clear();
      last_read = false;
      must_read = true;
      std::string bytes;
      switch (s->form_) {
        case send_step::form::bytes:
          bytes = s->data_;
          break;
        case send_step::form::http:
          bytes = http_request_bytes(s->http_);
          break;
        case send_step::form::ssl_hello:
          bytes = ssl_client_hello(static_cast<std::uint32_t>(std::time(nullptr)));
          break;
      }
      const io_result io = co_await write_until(bytes, deadline);
      if (io.error_) {
        co_return io_failure(io, i);
      }
      continue;
    }
    const auto& e = std::get<expect_step>(step);
    if (must_read && !last_read) {
      const io_result io = co_await read_until(buffer, deadline);
      must_read = false;
      if (io.timed_out_ || cancelled_) {
        co_return io_failure(io, i);
      }
      if (io.error_ && io.error_ != asio::error::eof && buffer.empty()) {
        co_return io_failure(io, i);
      }
      if (io.error_) {
        last_read = true;  // closed, or reset after some data: judge what came
      }
      if (last_read && buffer.empty()) {
        if (spec.kind_ == check_kind::http) {
          co_return finish(check_status::l7rsp, "");
        }
        std::string info =
            "TCPCHK got an empty response at step " + std::to_string(program.step_id(i));
        if (!e.comment_.empty()) {
          info += " comment: '" + e.comment_ + "'";
        }
        co_return finish(e.error_status_.value_or(check_status::l7rsp), info);
      }
    }
    expect_context context;
    context.kind_ = spec.kind_;
    context.step_id_ = program.step_id(i);
    context.data_ = buffer;
    context.last_read_ = last_read || buffer.size() >= check_buffer_size;
    context.last_rule_ = i + 1 == spec.steps_.size();
    context.server_down_ = server_down;
    context.disable_on_404_ = spec.disable_on_404_;
    expect_outcome outcome = evaluate_expect(e, program.regex_of(i), context);
    if (outcome.verdict_ == expect_verdict::failed) {
      co_return finish(outcome.result_.status_, outcome.result_.info_, outcome.result_.code_);
    }
    if (outcome.verdict_ == expect_verdict::passed) {
      last_expect = std::move(outcome);
      continue;  // a following expect judges the same data
    }
    if (context.last_read_) {
      // Nothing more can come and the step still cannot decide: a bad response.
      co_return finish(e.error_status_.value_or(check_status::l7rsp), "");
    }
    // Wait for more data, then judge again from the head of this run of expects.
    must_read = true;
    i = chain_head(spec, i) - 1;
  }

  // Every step passed: the last one says how the check is worded.
  const check_step& last = spec.steps_.back();
  if (const auto* c = std::get_if<connect_step>(&last)) {
    co_return finish(spec.tls_ ? check_status::l6ok : check_status::l4ok,
                     c->implicit_ ? "" : "(tcp-check)");
  }
  if (std::holds_alternative<send_step>(last) || !last_expect) {
    co_return finish(check_status::l7ok, "(tcp-check)");
  }
  co_return finish(last_expect->result_.status_, last_expect->result_.info_,
                   last_expect->result_.code_);
}

}  // namespace tandem::runtime::checks
