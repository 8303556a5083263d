// smtp_alert (see smtp.hpp): one coroutine per mail, bounded by smtp_connect_timeout.
#include "runtime/vrrp/io/smtp.hpp"

#include <array>
#include <cstring>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace tandem::runtime::vrrp::io {

namespace asio = boost::asio;
using asio::ip::tcp;

std::string build_alert_message(const smtp_settings& s, std::string_view subject,
                                std::string_view body, std::time_t when) {
  char date[64];
  std::tm tm{};
  ::gmtime_r(&when, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  std::string to;
  for (const std::string& t : s.to_) to += (to.empty() ? "" : ", ") + t;
  std::string m;
  m += "Date: " + std::string(date) + "\r\n";
  m += "From: " + s.from_ + "\r\n";
  m += "Subject: [" + s.router_id_ + "] " + std::string(subject) + "\r\n";
  m += "X-Mailer: Keepalived\r\n";
  m += "To: " + to + "\r\n";
  m += "\r\n";
  // The body's lines, dot-stuffed (a line starting with '.' gets another).
  std::size_t b = 0;
  const std::string text(body);
  while (b < text.size()) {
    std::size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string line = text.substr(b, e - b);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && line[0] == '.') line.insert(line.begin(), '.');
    m += line + "\r\n";
    b = e + 1;
  }
  m += "\r\n.\r\n";
  return m;
}

namespace {

// One SMTP reply (multi-line replies end at the line with a space after the code); its code.
asio::awaitable<int> reply(tcp::socket& sock, asio::streambuf& buf) {
  for (;;) {
    auto [ec, n] = co_await asio::async_read_until(sock, buf, "\r\n", asio::as_tuple(asio::use_awaitable));
    if (ec) co_return -1;
    std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
    buf.consume(n);
    if (line.size() < 4 || line[3] != '-') co_return std::atoi(line.substr(0, 3).c_str());
  }
}

asio::awaitable<bool> say(tcp::socket& sock, const std::string& text) {
  auto [ec, n] = co_await asio::async_write(sock, asio::buffer(text), asio::as_tuple(asio::use_awaitable));
  (void)n;
  co_return !ec;
}

asio::awaitable<void> exchange(std::shared_ptr<tcp::socket> sock, smtp_settings s, std::string data,
                               std::function<void(std::string)> log,
                               std::shared_ptr<asio::steady_timer> timer) {
  const std::string where = "[" + s.server_.to_string() + "]:" + std::to_string(s.port_);
  tcp::endpoint ep(asio::ip::make_address(s.server_.to_string()), s.port_);
  auto [ec] = co_await sock->async_connect(ep, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    log("SMTP connection to " + where + " failed: " + ec.message());
    timer->cancel();
    co_return;
  }
  log("Remote SMTP server " + where + " connected.");
  asio::streambuf buf;
  bool ok = (co_await reply(*sock, buf)) == 220 &&
            co_await say(*sock, "HELO " + s.helo_ + "\r\n") && (co_await reply(*sock, buf)) == 250 &&
            co_await say(*sock, "MAIL FROM:<" + s.from_ + ">\r\n") && (co_await reply(*sock, buf)) == 250;
  for (const std::string& to : s.to_) {
    ok = ok && co_await say(*sock, "RCPT TO:<" + to + ">\r\n") && (co_await reply(*sock, buf)) == 250;
  }
  ok = ok && co_await say(*sock, "DATA\r\n") && (co_await reply(*sock, buf)) == 354 &&
       co_await say(*sock, data) && (co_await reply(*sock, buf)) == 250;
  if (ok) {
    co_await say(*sock, "QUIT\r\n");
    co_await reply(*sock, buf);
    log("SMTP alert successfully sent.");
  } else {
    log("Error sending SMTP alert to " + where);
  }
  timer->cancel();
  boost::system::error_code ignored;
  sock->close(ignored);
}

}  // namespace

void send_alert(asio::io_context& io, const smtp_settings& s, std::string subject, std::string body,
                std::function<void(std::string)> log) {
  auto sock = std::make_shared<tcp::socket>(io);
  auto timer = std::make_shared<asio::steady_timer>(io);
  timer->expires_after(s.timeout_);
  timer->async_wait([sock](boost::system::error_code ec) {
    if (!ec) {
      boost::system::error_code ignored;
      sock->close(ignored);  // the exchange's pending operation ends with an error
    }
  });
  std::string data = build_alert_message(s, subject, body, std::time(nullptr));
  asio::co_spawn(io, exchange(sock, s, std::move(data), std::move(log), timer), asio::detached);
}

}  // namespace tandem::runtime::vrrp::io
