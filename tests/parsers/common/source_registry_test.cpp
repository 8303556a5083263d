// Tests for loading files (regular, FIFO, /dev/stdin, missing, directories), line and column
// mapping, and include chains.
#include "parsers/common/source_registry.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tandem::parsers {
namespace {

namespace fs = std::filesystem;

class temp_dir_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "tandem-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write_file(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  fs::path dir_;
};

TEST(SourceFile, LinesAndCrLf) {
  source_registry sources;
  const file_id id = sources.add("a.cfg", "global\r\n  daemon\n\nlast");
  const source_file& f = sources.file(id);
  EXPECT_EQ(f.name(), "a.cfg");
  EXPECT_EQ(f.id(), id);
  EXPECT_EQ(f.line_count(), 4U);
  EXPECT_EQ(f.line_text(1), "global");
  EXPECT_EQ(f.line_text(2), "  daemon");
  EXPECT_EQ(f.line_text(3), "");
  EXPECT_EQ(f.line_text(4), "last");
  EXPECT_EQ(f.line_text(0), "");
  EXPECT_EQ(f.line_text(5), "");
  EXPECT_EQ(f.line_start(2), 8U);
  EXPECT_EQ(f.line_start(9), f.text().size());
}

TEST(SourceFile, TrailingNewlineMakesAnEmptyLastLine) {
  source_registry sources;
  const source_file& f = sources.file(sources.add("a", "x\n"));
  EXPECT_EQ(f.line_count(), 2U);
  EXPECT_EQ(f.position_at(2), (source_position{f.id(), 2, 1}));
  const source_file& empty = sources.file(sources.add("e", ""));
  EXPECT_EQ(empty.line_count(), 1U);
  EXPECT_EQ(empty.position_at(0), (source_position{empty.id(), 1, 1}));
}

TEST(SourceFile, PositionsAreOneBasedAndCountCodePoints) {
  source_registry sources;
  // Line 2: "\tbind\xC2\xA0:80": the no-break space is 2 bytes but one column.
  const std::string text = "frontend web\n\tbind\xC2\xA0:80\n";
  const source_file& f = sources.file(sources.add("a.cfg", text));
  EXPECT_EQ(f.position_at(0), (source_position{f.id(), 1, 1}));
  EXPECT_EQ(f.position_at(9), (source_position{f.id(), 1, 10}));   // 'w'
  EXPECT_EQ(f.position_at(12), (source_position{f.id(), 1, 13}));  // the '\n'
  EXPECT_EQ(f.position_at(13), (source_position{f.id(), 2, 1}));   // '\t'
  EXPECT_EQ(f.position_at(14), (source_position{f.id(), 2, 2}));   // 'b'
  const std::size_t colon = text.find(':');
  EXPECT_EQ(f.position_at(colon), (source_position{f.id(), 2, 7}));
  EXPECT_EQ(f.position_at(99999), f.position_at(text.size()));
}

TEST(SourceRegistry, IncludeChainsInnermostFirst) {
  source_registry sources;
  const file_id a = sources.add("a.cfg", "x\ny\ninclude b.cfg\n");
  const source_position in_a{a, 3, 7};
  const file_id b = sources.add("b.cfg", "z\n  include c.cfg\n", in_a);
  const source_position in_b{b, 2, 9};
  const file_id c = sources.add("c.cfg", "bad\n", in_b);

  EXPECT_TRUE(sources.include_chain(a).empty());
  EXPECT_EQ(sources.include_chain(b), std::vector<source_position>{in_a});
  EXPECT_EQ(sources.include_chain(c), (std::vector<source_position>{in_b, in_a}));
  EXPECT_EQ(sources.file(c).included_from(), in_b);

  diagnostic d{severity::error, "x", {c, 1, 1}, "m", std::nullopt, {}};
  sources.attach_include_chain(d);
  EXPECT_EQ(d.include_chain_, (std::vector<source_position>{in_b, in_a}));

  diagnostic no_file{severity::error, "x", {}, "m", std::nullopt, {}};
  sources.attach_include_chain(no_file);
  EXPECT_TRUE(no_file.include_chain_.empty());
}

TEST_F(temp_dir_test, LoadsARegularFile) {
  const std::string path = write_file("haproxy.cfg", "global\n  daemon\n");
  source_registry sources;
  diagnostics diags;
  const auto id = sources.load(path, diags);
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(diags.empty());
  EXPECT_EQ(sources.file(*id).name(), path);
  EXPECT_EQ(sources.file(*id).text(), "global\n  daemon\n");
  EXPECT_EQ(sources.size(), 1U);
}

TEST_F(temp_dir_test, MissingFileIsADiagnosticNamingThePath) {
  const std::string path = (dir_ / "nope.cfg").string();
  source_registry sources;
  diagnostics diags;
  EXPECT_FALSE(sources.load(path, diags).has_value());
  ASSERT_EQ(diags.size(), 1U);
  const diagnostic& d = diags.all()[0];
  EXPECT_EQ(d.severity_, severity::error);
  EXPECT_EQ(d.code_, codes::file_not_found);
  EXPECT_FALSE(d.position_.has_file());
  EXPECT_NE(d.message_.find("'" + path + "'"), std::string::npos) << d.message_;
  EXPECT_NE(d.message_.find("No such file or directory"), std::string::npos) << d.message_;
  EXPECT_EQ(sources.size(), 0U);
}

TEST_F(temp_dir_test, DirectoryIsUnreadable) {
  source_registry sources;
  diagnostics diags;
  EXPECT_FALSE(sources.load(dir_.string(), diags).has_value());
  ASSERT_EQ(diags.size(), 1U);
  EXPECT_EQ(diags.all()[0].code_, codes::file_unreadable);
  EXPECT_NE(diags.all()[0].message_.find("Is a directory"), std::string::npos);
}

TEST_F(temp_dir_test, FailedIncludeIsReportedAtTheIncludeWithItsChain) {
  source_registry sources;
  diagnostics diags;
  const file_id top = sources.add("top.cfg", "include mid.cfg\n");
  const file_id mid =
      sources.add("mid.cfg", "\n  include missing.cfg\n", source_position{top, 1, 1});
  const source_position include_at{mid, 2, 3};
  EXPECT_FALSE(sources.load((dir_ / "missing.cfg").string(), diags, include_at).has_value());
  ASSERT_EQ(diags.size(), 1U);
  EXPECT_EQ(diags.all()[0].position_, include_at);
  EXPECT_EQ(diags.all()[0].include_chain_,
            std::vector<source_position>{(source_position{top, 1, 1})});
}

TEST_F(temp_dir_test, LoadedIncludeRemembersWhereItCameFrom) {
  const std::string path = write_file("inc.cfg", "x\n");
  source_registry sources;
  diagnostics diags;
  const file_id top = sources.add("top.cfg", "include inc.cfg\n");
  const auto id = sources.load(path, diags, source_position{top, 1, 9});
  ASSERT_TRUE(id);
  EXPECT_EQ(sources.include_chain(*id), std::vector<source_position>{(source_position{top, 1, 9})});
}

TEST_F(temp_dir_test, LoadsAFifoUntilEndOfFile) {
  const std::string path = (dir_ / "fifo.cfg").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // More than one read buffer, written in pieces with pauses: a loader trusting st_size (0)
  // or a single read() would get a truncated file.
  std::string expected;
  for (int i = 0; expected.size() < 200000; ++i) {
    expected += "server s" + std::to_string(i) + " 127.0.0.1:80 check\n";
  }
  std::thread writer([&] {
    const int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    const std::size_t half = expected.size() / 2;
    ASSERT_EQ(::write(fd, expected.data(), half), static_cast<ssize_t>(half));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const std::size_t rest = expected.size() - half;
    ASSERT_EQ(::write(fd, expected.data() + half, rest), static_cast<ssize_t>(rest));
    ::close(fd);
  });
  source_registry sources;
  diagnostics diags;
  const auto id = sources.load(path, diags);
  writer.join();
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(diags.empty());
  EXPECT_EQ(sources.file(*id).text(), expected);
}

TEST_F(temp_dir_test, LoadsDevStdin) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const int saved_stdin = ::dup(STDIN_FILENO);
  ASSERT_GE(saved_stdin, 0);
  ASSERT_EQ(::dup2(pipe_fds[0], STDIN_FILENO), STDIN_FILENO);
  ::close(pipe_fds[0]);
  const std::string text = "vrrp_instance VI_1 {\n  state MASTER\n}\n";
  ASSERT_EQ(::write(pipe_fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(pipe_fds[1]);

  source_registry sources;
  diagnostics diags;
  const auto id = sources.load("/dev/stdin", diags);
  ::dup2(saved_stdin, STDIN_FILENO);
  ::close(saved_stdin);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(sources.file(*id).text(), text);
  EXPECT_EQ(sources.file(*id).name(), "/dev/stdin");
}

}  // namespace
}  // namespace tandem::parsers
