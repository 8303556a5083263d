// See socket_server.hpp.
#include "runtime/proxy/cli/socket_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <list>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

namespace tandem::runtime::proxy::cli {

namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol;

namespace {

// One client of a stats socket: reads, answers, and closes when the session is over or idle
// for the timeout.
class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(unix_socket::socket socket, environment& env, access_level level,
             std::uint64_t number, std::chrono::milliseconds timeout)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        session_(env, level, number),
        timeout_(timeout),
        counters_(env.counters_) {
    if (counters_) {
      counters_->sessions_.fetch_add(1);
      counters_->accepted_.fetch_add(1);
    }
  }
  ~connection() {
    if (counters_) counters_->sessions_.fetch_sub(1);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void start() {
    arm_timer();
    read();
  }
  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    socket_.shutdown(unix_socket::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void arm_timer() {
    const auto t = session_.timeout().count() != 0 ? session_.timeout() : timeout_;
    timer_.expires_after(t);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->close();
    });
  }
  void read() {
    socket_.async_read_some(
        asio::buffer(buffer_),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
          if (ec) {
            // The client closed its side: an unterminated last line still gets its answer.
            std::string last = ec == asio::error::eof ? self->session_.end_of_input() : "";
            if (last.empty()) {
              self->close();
              return;
            }
            self->write(std::move(last));
            return;
          }
          std::string reply =
              self->session_.receive(std::string_view(self->buffer_.data(), n));
          // After the commands: `set timeout cli` applies from now on.
          self->arm_timer();
          self->write(std::move(reply));
        });
  }
  void write(std::string reply) {
    if (reply.empty()) {
      if (session_.finished()) close();
      else read();
      return;
    }
    auto data = std::make_shared<std::string>(std::move(reply));
    asio::async_write(socket_, asio::buffer(*data),
                      [self = shared_from_this(), data](const boost::system::error_code& ec,
                                                        std::size_t) {
                        if (ec || self->session_.finished()) {
                          self->close();
                          return;
                        }
                        self->read();
                      });
  }

  unix_socket::socket socket_;
  asio::steady_timer timer_;
  session session_;
  std::chrono::milliseconds timeout_;
  // Shared: a connection may outlive the server (its handlers end with the loop).
  std::shared_ptr<cli_counters> counters_;
  std::array<char, 16384> buffer_{};
};

// HAProxy's sock_unix_bind_receiver(): bind a temporary name, set its owner and mode, rename it
// over the path (so a running process's socket is replaced atomically).
int bind_unix(const socket_spec& spec, std::string& error) {
  const std::string where = "Binding [" + spec.origin_ + "] for frontend GLOBAL: ";
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string temp = spec.path_ + "." + std::to_string(::getpid()) + ".tmp";
  if (temp.size() >= sizeof addr.sun_path) {
    error = where + "name is too long for a UNIX socket [" + spec.path_ + "]";
    return -1;
  }
  std::memcpy(addr.sun_path, temp.c_str(), temp.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = where + "cannot create receiving socket (" + std::strerror(errno) + ") [" +
            spec.path_ + "]";
    return -1;
  }
  ::unlink(temp.c_str());
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    error = where + "cannot bind UNIX socket (" + std::strerror(errno) + ") [" + spec.path_ + "]";
    ::close(fd);
    return -1;
  }
  auto fail = [&](const std::string& what) {
    error = where + what + " (" + std::strerror(errno) + ") [" + spec.path_ + "]";
    ::unlink(temp.c_str());
    ::close(fd);
    return -1;
  };
  if ((spec.uid_ || spec.gid_) &&
      ::chown(temp.c_str(), spec.uid_ ? *spec.uid_ : static_cast<uid_t>(-1),
              spec.gid_ ? *spec.gid_ : static_cast<gid_t>(-1)) < 0) {
    return fail("cannot change UNIX socket ownership");
  }
  if (spec.mode_ && ::chmod(temp.c_str(), *spec.mode_) < 0) {
    return fail("cannot change UNIX socket permissions");
  }
  if (::listen(fd, 128) < 0) return fail("cannot listen to UNIX socket");
  if (::rename(temp.c_str(), spec.path_.c_str()) < 0) {
    return fail("cannot switch final and temporary UNIX sockets");
  }
  return fd;
}

}  // namespace

struct socket_server::impl {
  asio::io_context& io_;
  environment env_;
  std::vector<socket_spec> specs_;
  std::chrono::milliseconds timeout_;
  std::vector<std::unique_ptr<unix_socket::acceptor>> acceptors_;
  std::list<std::weak_ptr<connection>> connections_;
  std::uint64_t accepted_ = 0;
  bool stopped_ = false;

  void accept(std::size_t i) {
    acceptors_[i]->async_accept([this, i](const boost::system::error_code& ec,
                                          unix_socket::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted || stopped_) return;
        accept(i);
        return;
      }
      connections_.remove_if([](const std::weak_ptr<connection>& c) { return c.expired(); });
      // show sess prints the listener's number ("src=unix:N"), as HAProxy its luid.
      ++accepted_;
      auto c = std::make_shared<connection>(std::move(socket), env_, specs_[i].level_, i + 1,
                                            timeout_);
      connections_.push_back(c);
      c->start();
      accept(i);
    });
  }
};

socket_server::socket_server(asio::io_context& io, environment env, std::vector<socket_spec> specs,
                             std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>(impl{io, std::move(env), std::move(specs), timeout, {}, {}, 0,
                                        false})) {
  if (!impl_->env_.counters_) impl_->env_.counters_ = std::make_shared<cli_counters>();
}

socket_server::~socket_server() { stop(); }

bool socket_server::open(std::string& error) {
  for (const socket_spec& spec : impl_->specs_) {
    const int fd = bind_unix(spec, error);
    if (fd < 0) return false;
    auto acceptor = std::make_unique<unix_socket::acceptor>(impl_->io_);
    boost::system::error_code ec;
    acceptor->assign(unix_socket(), fd, ec);
    if (ec) {
      ::close(fd);
      error = "Binding [" + spec.origin_ + "] for frontend GLOBAL: " + ec.message();
      return false;
    }
    impl_->acceptors_.push_back(std::move(acceptor));
    if (impl_->env_.counters_) impl_->env_.counters_->sockets_.fetch_add(1);
  }
  return true;
}

void socket_server::start() {
  for (std::size_t i = 0; i < impl_->acceptors_.size(); ++i) impl_->accept(i);
}

void socket_server::stop() {
  if (!impl_ || impl_->stopped_) return;
  impl_->stopped_ = true;
  // Runs on the loop's thread (signals are handled there), or after the loop has ended.
  for (auto& a : impl_->acceptors_) {
    boost::system::error_code ignored;
    a->close(ignored);
  }
  for (auto& weak : impl_->connections_) {
    if (auto c = weak.lock()) c->close();
  }
  impl_->connections_.clear();
}

}  // namespace tandem::runtime::proxy::cli
