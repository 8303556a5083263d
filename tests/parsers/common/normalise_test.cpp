// Tests of the normaliser: each fix-up (BOM, CR LF, Unicode and zero-width spaces, curly
// quotes, dashes in option position, invalid UTF-8), the same-code-points contract the
// readers' positions rely on, one warning per kind naming the lines, and the real pasted
// config of blog post 000.
#include "parsers/common/normalise.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "parsers/common/utf8.hpp"

namespace tandem::parsers {
namespace {

constexpr file_id file{3};

struct result {
  normalised_text out_;
  diagnostics diags_;
};

result run(std::string_view text, quote_style quotes = quote_style::haproxy) {
  result r;
  r.out_ = normalise(text, file, normalise_options{quotes}, r.diags_);
  return r;
}

// Every line keeps its number of code points (the column contract).
void expect_same_columns(std::string_view before, std::string_view after) {
  std::vector<std::size_t> a, b;
  std::istringstream sa{std::string(before)}, sb{std::string(after)};
  for (std::string l; std::getline(sa, l);) {
    if (l.ends_with('\r')) {
      l.pop_back();
    }
    a.push_back(count_code_points(l));
  }
  for (std::string l; std::getline(sb, l);) {
    b.push_back(count_code_points(l));
  }
  EXPECT_EQ(a, b);
}

TEST(Normalise, PlainAsciiIsUntouched) {
  const std::string text = "global\n\tdaemon\n  log 127.0.0.1 local0 # it's fine -- \"x\"\n";
  const result r = run(text);
  EXPECT_EQ(r.out_.text_, text);
  EXPECT_FALSE(r.out_.changed_);
  EXPECT_TRUE(r.diags_.empty());
}

TEST(Normalise, ByteOrderMarkAtTheStartOnly) {
  const result r = run("\xEF\xBB\xBFglobal\n");
  EXPECT_EQ(r.out_.text_, "global\n");
  EXPECT_TRUE(r.out_.changed_);
  ASSERT_EQ(r.diags_.size(), 1U);
  EXPECT_EQ(r.diags_.begin()->code_, codes::pasted_bom);
  EXPECT_EQ(r.diags_.begin()->position_, (source_position{file, 1, 1}));
  EXPECT_EQ(r.diags_.begin()->severity_, severity::warning);
}

TEST(Normalise, CrLfBecomesLfAndLoneCrStays) {
  const result r = run("a\r\nb\rc\r\nd\r\n");
  EXPECT_EQ(r.out_.text_, "a\nb\rc\nd\n");
  ASSERT_EQ(r.diags_.size(), 1U);
  const diagnostic& d = *r.diags_.begin();
  EXPECT_EQ(d.code_, codes::pasted_crlf);
  EXPECT_EQ(d.position_, (source_position{file, 1, 2}));
  EXPECT_NE(d.message_.find("lines 1-3"), std::string::npos) << d.message_;
  EXPECT_TRUE(d.hint_);
}

TEST(Normalise, UnicodeSpacesBecomeSpaces) {
  const std::string text =
      "a\xC2\xA0"
      "b\xE1\x9A\x80"
      "c\xE2\x80\x80"
      "d\xE2\x80\x8A"
      "e\xE2\x80\xAF"
      "f\xE2\x81\x9F"
      "g\xE3\x80\x80h\n";
  const result r = run(text);
  EXPECT_EQ(r.out_.text_, "a b c d e f g h\n");
  expect_same_columns(text, r.out_.text_);
  ASSERT_EQ(r.diags_.size(), 1U);
  const diagnostic& d = *r.diags_.begin();
  EXPECT_EQ(d.code_, codes::pasted_space);
  EXPECT_EQ(d.position_, (source_position{file, 1, 2}));
  EXPECT_NE(d.message_.find("7 Unicode spaces (U+00A0, U+1680, U+2000, U+200A, U+202F, U+205F, "
                            "U+3000) on line 1"),
            std::string::npos)
      << d.message_;
}

TEST(Normalise, ZeroWidthSpacesKeepWordsWholeAndColumnsRight) {
  // Between words or at a line's ends: a blank. Inside a word: dropped, and the space owed
  // is written where the word ends, so "b" keeps its column.
  const std::string text =
      "ser\xE2\x80\x8Bver b\n"
      "\xEF\xBB\xBFx\xE2\x81\xA0\xE2\x80\x8By z\xE2\x80\x8B\n"
      "a \xE2\x80\x8B"
      "b\n";
  const result r = run(text);
  EXPECT_EQ(r.out_.text_, "server  b\n xy   z \na  b\n");  // U+FEFF mid-file: a space
  expect_same_columns(text, r.out_.text_);
  ASSERT_EQ(r.diags_.size(), 1U);
  EXPECT_EQ(r.diags_.begin()->position_, (source_position{file, 1, 4}));
  EXPECT_NE(r.diags_.begin()->message_.find("lines 1-3"), std::string::npos);
}

TEST(Normalise, CurlyQuotesExceptApostrophes) {
  const std::string text =
      "log-format \xE2\x80\x9C%ci %b\xE2\x80\x9D \xE2\x80\x98x y\xE2\x80\x99\n"
      "errorfile it\xE2\x80\x99s \xE2\x80\x98"
      "a\xE2\x80\x99\n";
  const result r = run(text);
  EXPECT_EQ(r.out_.text_, "log-format \"%ci %b\" 'x y'\nerrorfile it\xE2\x80\x99s 'a'\n");
  expect_same_columns(text, r.out_.text_);
  ASSERT_EQ(r.diags_.size(), 1U);
  EXPECT_EQ(r.diags_.begin()->code_, codes::pasted_quote);
  EXPECT_EQ(r.diags_.begin()->position_, (source_position{file, 1, 12}));
  EXPECT_NE(r.diags_.begin()->message_.find("6 typographic quotes"), std::string::npos)
      << r.diags_.begin()->message_;
  EXPECT_NE(r.diags_.begin()->message_.find("lines 1-2"), std::string::npos);
}

TEST(Normalise, KeepalivedStyleAlsoTurnsSingleQuotesIntoApostrophes) {
  const result r =
      run("notify \xE2\x80\x9C/bin/x \xE2\x80\x98"
          "a\xE2\x80\x99\xE2\x80\x9D\n",
          quote_style::keepalived);
  EXPECT_EQ(r.out_.text_, "notify \"/bin/x 'a'\"\n");
}

TEST(Normalise, CommentLinesKeepTheirProse) {
  const std::string text =
      "  # \xE2\x80\x9Csmart\xE2\x80\x9D \xE2\x80\x93"
      "f\n"
      "! \xE2\x80\x9Ckeepalived comment\xE2\x80\x9D\n";
  EXPECT_EQ(run(text).out_.text_,
            "  # \xE2\x80\x9Csmart\xE2\x80\x9D \xE2\x80\x93"
            "f\n! \"keepalived comment\"\n");
  EXPECT_EQ(run(text, quote_style::keepalived).out_.text_, text);
}

TEST(Normalise, DashesOnlyInOptionPosition) {
  const std::string text =
      "program x /usr/bin/y \xE2\x80\x93"
      "f \xE2\x80\x94"
      "check\n"
      "x a \xE2\x80\x93 b a\xE2\x80\x93"
      "b \xE2\x80\x93"
      "5\n";
  const result r = run(text);
  EXPECT_EQ(r.out_.text_,
            "program x /usr/bin/y -f -check\n"
            "x a \xE2\x80\x93 b a\xE2\x80\x93"
            "b \xE2\x80\x93"
            "5\n");
  expect_same_columns(text, r.out_.text_);
  ASSERT_EQ(r.diags_.size(), 1U);
  EXPECT_EQ(r.diags_.begin()->code_, codes::pasted_dash);
  EXPECT_EQ(r.diags_.begin()->position_, (source_position{file, 1, 22}));
}

TEST(Normalise, InvalidUtf8IsKeptWithAWarning) {
  const std::string text = "a \xFF\xFE b\n\xC3\n";
  const result r = run(text);
  EXPECT_EQ(r.out_.text_, text);
  EXPECT_FALSE(r.out_.changed_);
  ASSERT_EQ(r.diags_.size(), 1U);
  EXPECT_EQ(r.diags_.begin()->code_, codes::invalid_utf8);
  EXPECT_EQ(r.diags_.begin()->position_, (source_position{file, 1, 3}));
  EXPECT_NE(r.diags_.begin()->message_.find("3 bytes that are not valid UTF-8 on lines 1-2"),
            std::string::npos)
      << r.diags_.begin()->message_;
}

TEST(Normalise, OneWarningPerKindInTextOrder) {
  const result r = run("\xEF\xBB\xBFx\xC2\xA0y\r\n\xE2\x80\x9Cq\xE2\x80\x9D\n");
  std::vector<std::string> kinds;
  for (const diagnostic& d : r.diags_) {
    kinds.push_back(d.code_);
    EXPECT_TRUE(d.hint_);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"pasted-bom", "pasted-crlf", "pasted-space",
                                             "pasted-quote"}));
}

TEST(Normalise, LineListsAreCompactAndBounded) {
  std::string text;
  for (int i = 1; i <= 100; ++i) {
    text += i % 2 == 0 || i < 5 ? "a\xC2\xA0"
                                  "b\n"
                                : "ab\n";
  }
  const result r = run(text);
  const std::string& m = r.diags_.begin()->message_;
  EXPECT_NE(m.find("lines 1-4, 6, 8, 10"), std::string::npos) << m;
  EXPECT_NE(m.find(" and "), std::string::npos) << m;
  EXPECT_NE(m.find(" more lines"), std::string::npos) << m;
}

TEST(Normalise, SqueezeBlogConfig) {
  std::ifstream in(std::string(TANDEM_SOURCE_DIR) +
                       "/examples/blog-configs/000-squeeze-four-machines/haproxy.cfg",
                   std::ios::binary);
  ASSERT_TRUE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const result r = run(text);
  EXPECT_EQ(r.out_.text_.find("\xC2\xA0"), std::string::npos);
  expect_same_columns(text, r.out_.text_);
  EXPECT_EQ(r.out_.text_.size(), text.size() - 139);  // 139 no-break spaces, 2 bytes to 1
  ASSERT_EQ(r.diags_.size(), 1U);
  const diagnostic& d = *r.diags_.begin();
  EXPECT_EQ(d.code_, codes::pasted_space);
  EXPECT_EQ(d.position_, (source_position{file, 2, 1}));
  EXPECT_EQ(d.message_,
            "139 Unicode spaces (U+00A0) on lines 2-9, 12-21, 23-34 are read as plain spaces");
}

}  // namespace
}  // namespace tandem::parsers
