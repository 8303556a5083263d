// The stats socket's table commands, against answers measured on HAProxy 2.6.12.
#include "runtime/proxy/stick/cli.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace tandem::runtime::proxy::stick {
namespace {

class TableCommands : public ::testing::Test {
 protected:
  std::shared_ptr<std::uint64_t> now_ = std::make_shared<std::uint64_t>(1'000'000);
  std::unique_ptr<table> make(std::string name, std::vector<std::string> words) {
    table_settings s;
    std::string error;
    EXPECT_TRUE(parse_settings(words, s, error)) << error;
    return std::make_unique<table>(std::move(name), s, [n = now_] { return *n; });
  }
  std::unique_ptr<table> zz_ = make("zz", {"type", "ip", "size", "100", "expire", "30s", "store",
                                           "http_err_cnt,gpc0"});
  std::unique_ptr<table> mm_ = make("mm", {"type", "string", "len", "8", "size", "10", "expire",
                                           "20s", "store", "gpc0"});
  std::unique_ptr<table> aa_ = make("aa", {"type", "integer", "size", "10", "nopurge"});
  std::vector<table*> all_{zz_.get(), mm_.get(), aa_.get()};

  std::string run(std::string (*cmd)(std::span<table* const>, std::span<const std::string>),
                  std::vector<std::string> args) {
    return cmd(all_, args);
  }
  static std::string without_address(std::string s) {
    // "0x556c08ba1fd8: key=…": the address differs from run to run.
    std::size_t at = 0;
    while ((at = s.find("0x", at)) != std::string::npos) {
      const std::size_t colon = s.find(':', at);
      s.replace(at, colon - at, "0xADDR");
      at += 6;
    }
    return s;
  }
};

TEST_F(TableCommands, ShowListsTablesByName) {
  EXPECT_EQ(run(cli_show_table, {}),
            "# table: aa, type: integer, size:10, used:0\n"
            "# table: mm, type: string, size:10, used:0\n"
            "# table: zz, type: ip, size:100, used:0\n");
  EXPECT_EQ(run(cli_show_table, {"nosuch"}), "No such table\n");
}

TEST_F(TableCommands, FiltersAndTheirErrors) {
  EXPECT_EQ(run(cli_show_table, {"zz", "data.gpc1", "gt", "1"}),
            "Filter entry #1: Data type not stored in this table\n");
  EXPECT_EQ(run(cli_show_table, {"zz", "data.gpc0", "gt", "x"}),
            "Filter entry #1: Require a valid integer value to compare against\n");
  EXPECT_EQ(run(cli_show_table, {"zz", "data.foo", "gt", "1"}),
            "Filter entry #1: Unknown data type\n");
}

TEST_F(TableCommands, SetShowClear) {
  EXPECT_EQ(run(cli_set_table, {"mm", "key", "abcdefghij", "data.gpc0", "5"}), "");
  *now_ += 12;
  EXPECT_EQ(without_address(run(cli_show_table, {"mm"})),
            "# table: mm, type: string, size:10, used:1\n"
            "0xADDR: key=abcdefgh use=0 exp=19988 gpc0=5\n");
  EXPECT_EQ(run(cli_set_table, {"zz", "key", "1.2.3.4", "data.gpc0", "7"}), "");
  EXPECT_EQ(run(cli_set_table, {"zz", "key", "127.0.0.1", "data.http_err_cnt", "3"}), "");
  *now_ += 42;
  EXPECT_EQ(without_address(run(cli_show_table, {"zz", "key", "1.2.3.4"})),
            "# table: zz, type: ip, size:100, used:2\n"
            "0xADDR: key=1.2.3.4 use=0 exp=29958 gpc0=7 http_err_cnt=0\n");
  EXPECT_EQ(without_address(run(cli_show_table, {"zz", "data.http_err_cnt", "gt", "1"})),
            "# table: zz, type: ip, size:100, used:2\n"
            "0xADDR: key=127.0.0.1 use=0 exp=29958 gpc0=0 http_err_cnt=3\n");
  EXPECT_EQ(run(cli_clear_table, {"zz", "key", "1.2.3.4"}), "");
  EXPECT_EQ(zz_->used(), 1u);
  EXPECT_EQ(run(cli_clear_table, {"zz"}), "");
  EXPECT_EQ(zz_->used(), 0u);
  EXPECT_EQ(run(cli_clear_table, {}),
            "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or "
            "<table> key <key>\n");
  EXPECT_EQ(run(cli_set_table, {"zz", "key", "1.2.3.5", "data.conn_cur", "1"}),
            "Data type not stored in this table\n");
  EXPECT_EQ(run(cli_set_table, {"aa", "key", "12", "data.gpc0", "1"}),
            "Data type not stored in this table\n");
}

}  // namespace
}  // namespace tandem::runtime::proxy::stick
