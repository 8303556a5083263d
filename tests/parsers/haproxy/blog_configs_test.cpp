// Reads every HAProxy config of the acceptance blog posts (examples/blog-configs, verbatim,
// fragments included) and checks that none has a syntax error, and a few words, positions
// and warnings of 000's haproxy.cfg, whose indentation is no-break spaces pasted from the blog.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "parsers/common/render.hpp"
#include "tests/parsers/haproxy/test_support.hpp"

namespace tandem::parsers::haproxy {
namespace {

namespace fs = std::filesystem;

const fs::path blog_configs = fs::path(TANDEM_SOURCE_DIR) / "examples" / "blog-configs";

std::vector<std::string> haproxy_configs() {
  std::vector<std::string> out;
  for (const auto& dir : fs::directory_iterator(blog_configs)) {
    if (!dir.is_directory()) {
      continue;
    }
    for (const auto& f : fs::directory_iterator(dir.path())) {
      if (f.path().extension() == ".cfg") {
        out.push_back(f.path().string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(HaproxyBlogConfigs, AllReadWithoutSyntaxErrors) {
  const std::vector<std::string> files = haproxy_configs();
  ASSERT_EQ(files.size(), 14U);  // 9 whole configs (2 reconstructions) and 5 fragments
  for (const std::string& path : files) {
    source_registry sources;
    diagnostics diags;
    const std::vector<std::string> paths{path};
    const syntax_tree tree = read_haproxy(sources, paths, {}, diags);
    EXPECT_FALSE(diags.has_errors()) << render_text(diags, sources);
    ASSERT_EQ(tree.files_.size(), 1U);
    EXPECT_FALSE(tree.files_[0].sections_.empty()) << path;
    // Lossless: the raw lines and their endings give the file back byte for byte.
    std::string reprinted;
    for (const line& l : tree.files_[0].lines_) {
      reprinted += l.raw_;
      reprinted += l.ending_ == line_ending::crlf ? "\r\n"
                   : l.ending_ == line_ending::lf ? "\n"
                                                  : "";
    }
    EXPECT_EQ(reprinted, sources.file(tree.files_[0].file_).text()) << path;
  }
}

TEST(HaproxyBlogConfigs, SqueezeConfigWordsAndPositions) {
  source_registry sources;
  diagnostics diags;
  const std::vector<std::string> paths{
      (blog_configs / "000-squeeze-four-machines" / "haproxy.cfg").string()};
  const syntax_tree tree = read_haproxy(sources, paths, {}, diags);
  ASSERT_EQ(tree.files_.size(), 1U);
  const config_file& f = tree.files_[0];
  ASSERT_EQ(f.lines_.size(), 34U);

  // Line 19: four (NBSP, space) pairs, so "contimeout" is at column 9 and its value at 25.
  const line& l19 = f.lines_[18];
  ASSERT_EQ(l19.words_.size(), 2U);
  EXPECT_EQ(l19.words_[0].value_, "contimeout");
  EXPECT_EQ(l19.words_[0].position_, (source_position{f.file_, 19, 9}));
  EXPECT_EQ(l19.words_[1].value_, "5000");
  EXPECT_EQ(l19.words_[1].position_.column_, 25U);
  EXPECT_EQ(l19.indentation_, "        ");

  const line& l22 = f.lines_[21];
  EXPECT_EQ(l22.kind_, line_kind::section);
  EXPECT_EQ(l22.words_[2].value_, "*:80");
  EXPECT_EQ(l22.words_[2].position_.column_, 16U);

  const line& l27 = f.lines_[26];
  EXPECT_EQ(l27.keyword(), "cookie");
  EXPECT_EQ(l27.words_.size(), 3U);
  ASSERT_TRUE(l27.comment_);
  EXPECT_EQ(l27.comment_->text_, "# pin visitor to server");
  EXPECT_EQ(l27.comment_->position_.column_, 31U);

  EXPECT_EQ(f.lines_[9].words_[0].position_.column_, 2U);  // " daemon"
  EXPECT_EQ(f.lines_[3].kind_, line_kind::comment);        // "#log loghost …"

  ASSERT_EQ(f.sections_.size(), 3U);
  EXPECT_EQ(f.header(f.sections_[0])->keyword(), "global");
  EXPECT_EQ(f.sections_[0].directives_.size(), 6U);  // log, log, maxconn, user, group, daemon
  EXPECT_EQ(f.header(f.sections_[1])->keyword(), "defaults");
  EXPECT_EQ(f.sections_[1].directives_.size(), 10U);
  EXPECT_EQ(f.header(f.sections_[2])->keyword(), "listen");

  // One pasted-space warning, at the first NBSP, naming every line that has one.
  ASSERT_EQ(diags.size(), 1U);
  const diagnostic& d = *diags.begin();
  EXPECT_EQ(d.code_, "pasted-space");
  EXPECT_EQ(d.severity_, severity::warning);
  EXPECT_EQ(d.position_, (source_position{f.file_, 2, 1}));
  EXPECT_NE(d.message_.find("139 Unicode spaces (U+00A0) on lines 2-9, 12-21, 23-34"),
            std::string::npos)
      << d.message_;
}

TEST(HaproxyBlogConfigs, DirectoryReadsItsCfgFilesInByteOrder) {
  source_registry sources;
  diagnostics diags;
  const std::vector<std::string> paths{(blog_configs / "003-smtp-cluster-dc").string()};
  const syntax_tree tree = read_haproxy(sources, paths, {}, diags);
  EXPECT_FALSE(diags.has_errors());
  std::vector<std::string> names;
  for (const config_file& f : tree.files_) {
    names.push_back(fs::path(sources.file(f.file_).name()).filename().string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "acl-frontend.fragment.cfg", "acl-request.fragment.cfg",
                       "active-passive.fragment.cfg", "backend-appx.fragment.cfg",
                       "basic.haproxy.cfg", "basic.haproxy.reconstructed.cfg", "dc1.haproxy.cfg",
                       "dc2.haproxy.cfg", "frontend-http-in.fragment.cfg"}));
}

TEST(HaproxyBlogConfigs, MissingFileIsADiagnostic) {
  source_registry sources;
  diagnostics diags;
  const std::vector<std::string> paths{(blog_configs / "no-such.cfg").string()};
  const syntax_tree tree = read_haproxy(sources, paths, {}, diags);
  EXPECT_TRUE(tree.files_.empty());
  ASSERT_EQ(diags.size(), 1U);
  EXPECT_EQ(diags.begin()->code_, "file-not-found");
}

}  // namespace
}  // namespace tandem::parsers::haproxy
