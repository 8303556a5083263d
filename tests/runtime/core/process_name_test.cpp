// Tests that set_process_name changes what /proc/self/comm (and so killall/pkill) shows.
#include "runtime/core/process_name.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace tandem::runtime {
namespace {

std::string read_comm() {
  std::ifstream in("/proc/self/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

class process_name_test : public ::testing::Test {
 protected:
  void SetUp() override {
    original_ = read_comm();
    ASSERT_FALSE(original_.empty());
  }
  void TearDown() override {
    EXPECT_FALSE(set_process_name(original_));
    EXPECT_EQ(read_comm(), original_);
  }
  std::string original_;
};

TEST_F(process_name_test, SetsProcSelfComm) {
  ASSERT_NE(original_, "haproxy");
  EXPECT_FALSE(set_process_name("haproxy"));
  EXPECT_EQ(read_comm(), "haproxy");
  EXPECT_EQ(process_name(), "haproxy");
  EXPECT_FALSE(set_process_name("keepalived"));
  EXPECT_EQ(read_comm(), "keepalived");
}

TEST_F(process_name_test, TruncatesToFifteenBytes) {
  EXPECT_FALSE(set_process_name("abcdefghijklmnopqrstuvwxyz"));
  EXPECT_EQ(read_comm(), "abcdefghijklmno");
}

}  // namespace
}  // namespace tandem::runtime
