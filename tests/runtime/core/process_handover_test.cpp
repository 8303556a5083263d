// Tests the listening-socket hand-over between an old and a new proxy process (HAProxy's
// `_getsocks` exchange): what the old one offers arrives in the new one as the same sockets
// (same inode), in order, each named by what it is bound to.
#include "runtime/core/process_handover.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace tandem::runtime {
namespace {

int listening_tcp_socket(int family = AF_INET, bool v6only = false) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (family == AF_INET6) {
    const int flag = v6only ? 1 : 0;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &flag, sizeof flag);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  EXPECT_EQ(::listen(fd, 4), 0);
  return fd;
}

int port_of(int fd) {
  sockaddr_storage a{};
  socklen_t length = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  return a.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port)
                                 : ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

ino_t inode(int fd) {
  struct stat st{};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return st.st_ino;
}

// The old process's side: one client answered on `server`, in a thread.
std::thread answer_one(int server, std::vector<int> offered) {
  return std::thread([server, offered = std::move(offered)] {
    const int client = ::accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(client, 0);
    EXPECT_FALSE(answer_handover(client, offered));
    ::close(client);
  });
}

TEST(process_handover, the_address_names_the_pid) {
  EXPECT_EQ(handover_address(1234), "@tandem-haproxy-listeners-1234");
}

TEST(process_handover, keys_say_what_a_socket_is_bound_to) {
  const int v4 = listening_tcp_socket();
  EXPECT_EQ(socket_key(v4, "", ""), "ipv4@127.0.0.1:" + std::to_string(port_of(v4)));
  EXPECT_EQ(socket_key(v4, "lo", "ns1"),
            "ipv4@127.0.0.1:" + std::to_string(port_of(v4)) + " interface lo namespace ns1");
  const int v6 = listening_tcp_socket(AF_INET6, true);
  EXPECT_EQ(socket_key(v6, "", ""), "ipv6@::1:" + std::to_string(port_of(v6)) + " v6only");
  ::close(v4);
  ::close(v6);
}

TEST(process_handover, the_sockets_arrive_as_themselves_in_order) {
  std::error_code ec;
  const std::string address = "@tandem-handover-test-" + std::to_string(::getpid());
  const int server = open_handover_socket(address, ec);
  ASSERT_GE(server, 0) << ec.message();
  // More than one full batch (253 per message, each acknowledged).
  std::vector<int> offered;
  for (int i = 0; i < 300; ++i) offered.push_back(listening_tcp_socket());
  std::thread old_process = answer_one(server, offered);
  std::vector<listening_socket> got;
  EXPECT_FALSE(fetch_listeners(address, got));
  old_process.join();
  ASSERT_EQ(got.size(), offered.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key_, "ipv4@127.0.0.1:" + std::to_string(port_of(offered[i])));
    EXPECT_NE(got[i].fd_, offered[i]);
    EXPECT_EQ(inode(got[i].fd_), inode(offered[i]));
    EXPECT_EQ(::fcntl(got[i].fd_, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ::close(got[i].fd_);
    ::close(offered[i]);
  }
  ::close(server);
}

TEST(process_handover, nothing_to_offer_is_no_answer_as_in_haproxy) {
  std::error_code ec;
  const std::string address = "@tandem-handover-empty-" + std::to_string(::getpid());
  const int server = open_handover_socket(address, ec);
  ASSERT_GE(server, 0) << ec.message();
  std::thread old_process = answer_one(server, {});
  std::vector<listening_socket> got;
  EXPECT_TRUE(fetch_listeners(address, got));
  old_process.join();
  EXPECT_TRUE(got.empty());
  ::close(server);
}

TEST(process_handover, no_process_at_the_address_is_an_error) {
  std::vector<listening_socket> got;
  EXPECT_TRUE(fetch_listeners("@tandem-handover-nobody-" + std::to_string(::getpid()), got));
  EXPECT_TRUE(got.empty());
}

TEST(process_handover, a_path_socket_works_too) {
  std::error_code ec;
  const std::string path = ::testing::TempDir() + "handover-" + std::to_string(::getpid());
  const int server = open_handover_socket(path, ec);
  ASSERT_GE(server, 0) << ec.message();
  const int fd = listening_tcp_socket();
  std::thread old_process = answer_one(server, {fd});
  std::vector<listening_socket> got;
  EXPECT_FALSE(fetch_listeners(path, got));
  old_process.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(inode(got[0].fd_), inode(fd));
  ::close(got[0].fd_);
  ::close(fd);
  ::close(server);
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace tandem::runtime
