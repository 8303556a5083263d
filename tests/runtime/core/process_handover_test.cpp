// Tests the listening-socket hand-over between an old and a new proxy process: what the old one
// offers arrives in the new one as the same sockets (same inode), with their keys, in order.
#include "runtime/core/process_handover.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace tandem::runtime {
namespace {

int listening_tcp_socket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(::listen(fd, 4), 0);
  return fd;
}

ino_t inode(int fd) {
  struct stat st{};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return st.st_ino;
}

// The old process's side: one client answered on `server`, in a thread.
std::thread answer_one(int server, std::vector<listening_socket> offered) {
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

TEST(process_handover, the_sockets_arrive_as_themselves_with_their_keys) {
  std::error_code ec;
  const std::string address = "@tandem-handover-test-" + std::to_string(::getpid());
  const int server = open_handover_socket(address, ec);
  ASSERT_GE(server, 0) << ec.message();
  // More than one batch (64 per message) to cross a message boundary.
  std::vector<listening_socket> offered;
  for (int i = 0; i < 70; ++i) {
    offered.push_back({"ipv4@127.0.0.1:" + std::to_string(1000 + i), listening_tcp_socket()});
  }
  std::thread old_process = answer_one(server, offered);
  std::vector<listening_socket> got;
  EXPECT_FALSE(fetch_listeners(address, got));
  old_process.join();
  ASSERT_EQ(got.size(), offered.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].key_, offered[i].key_);
    EXPECT_NE(got[i].fd_, offered[i].fd_);
    EXPECT_EQ(inode(got[i].fd_), inode(offered[i].fd_));
    EXPECT_EQ(::fcntl(got[i].fd_, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ::close(got[i].fd_);
    ::close(offered[i].fd_);
  }
  ::close(server);
}

TEST(process_handover, nothing_to_offer_is_an_empty_answer) {
  std::error_code ec;
  const std::string address = "@tandem-handover-empty-" + std::to_string(::getpid());
  const int server = open_handover_socket(address, ec);
  ASSERT_GE(server, 0) << ec.message();
  std::thread old_process = answer_one(server, {});
  std::vector<listening_socket> got;
  EXPECT_FALSE(fetch_listeners(address, got));
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
  std::thread old_process = answer_one(server, {{"ipv4@127.0.0.1:1", fd}});
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
