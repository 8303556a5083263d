// Tests for the UTF-8 helpers behind columns, carets and JSON escaping.
#include "parsers/common/utf8.hpp"

#include <gtest/gtest.h>

namespace tandem::parsers {
namespace {

TEST(Utf8, DecodesEachSequenceLength) {
  EXPECT_EQ(decode_utf8("a", 0).code_point_, U'a');
  EXPECT_EQ(decode_utf8("a", 0).length_, 1U);

  const utf8_char nbsp = decode_utf8("\xC2\xA0", 0);
  EXPECT_TRUE(nbsp.valid_);
  EXPECT_EQ(nbsp.code_point_, U'\u00A0');
  EXPECT_EQ(nbsp.length_, 2U);

  const utf8_char euro = decode_utf8("\xE2\x82\xAC", 0);
  EXPECT_EQ(euro.code_point_, U'\u20AC');
  EXPECT_EQ(euro.length_, 3U);

  const utf8_char emoji = decode_utf8("\xF0\x9F\x98\x80", 0);
  EXPECT_EQ(emoji.code_point_, U'\U0001F600');
  EXPECT_EQ(emoji.length_, 4U);
}

TEST(Utf8, InvalidBytesCountAsOneCharacterEach) {
  for (const std::string_view bad :
       {std::string_view("\x80"), std::string_view("\xC0\x80"), std::string_view("\xED\xA0\x80"),
        std::string_view("\xC2"), std::string_view("\xF4\x90\x80\x80"),
        std::string_view("\xE2\x82")}) {
    const utf8_char c = decode_utf8(bad, 0);
    EXPECT_FALSE(c.valid_) << "bytes: " << bad.size();
    EXPECT_EQ(c.length_, 1U);
    EXPECT_EQ(c.code_point_, U'\uFFFD');
  }
  EXPECT_EQ(count_code_points("\xC0\x80"), 2U);
}

TEST(Utf8, DecodePastEndConsumesNothing) {
  EXPECT_EQ(decode_utf8("ab", 2).length_, 0U);
}

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_code_points(""), 0U);
  EXPECT_EQ(count_code_points("bind\xC2\xA0:80"), 8U);
  EXPECT_EQ(count_code_points("\xF0\x9F\x98\x80x"), 2U);
}

TEST(Utf8, ByteOffsetOfColumn) {
  const std::string_view line =
      "a\xC2\xA0"
      "b";
  EXPECT_EQ(byte_offset_of_column(line, 1), 0U);
  EXPECT_EQ(byte_offset_of_column(line, 2), 1U);
  EXPECT_EQ(byte_offset_of_column(line, 3), 3U);
  EXPECT_EQ(byte_offset_of_column(line, 4), 4U);
  EXPECT_EQ(byte_offset_of_column(line, 99), line.size());
}

}  // namespace
}  // namespace tandem::parsers
