// Tests for the diagnostics collector.
#include "parsers/common/diagnostic.hpp"

#include <gtest/gtest.h>

namespace tandem::parsers {
namespace {

TEST(Diagnostics, StartsEmpty) {
  const diagnostics ds;
  EXPECT_TRUE(ds.empty());
  EXPECT_EQ(ds.size(), 0U);
  EXPECT_FALSE(ds.has_errors());
  EXPECT_EQ(ds.count(severity::error), 0U);
}

TEST(Diagnostics, CountsBySeverityAndKeepsOrder) {
  diagnostics ds;
  ds.add(severity::warning, "w1", {}, "first");
  ds.add(severity::note, "n1", {}, "second");
  EXPECT_FALSE(ds.has_errors());
  ds.add(severity::error, "e1", {file_id{0}, 3, 7}, "third", "a hint");
  ds.add(diagnostic{severity::warning, "w2", {}, "fourth", std::nullopt, {}});

  EXPECT_EQ(ds.size(), 4U);
  EXPECT_TRUE(ds.has_errors());
  EXPECT_EQ(ds.count(severity::error), 1U);
  EXPECT_EQ(ds.count(severity::warning), 2U);
  EXPECT_EQ(ds.count(severity::note), 1U);

  std::vector<std::string> messages;
  for (const diagnostic& d : ds) {
    messages.push_back(d.message_);
  }
  EXPECT_EQ(messages, (std::vector<std::string>{"first", "second", "third", "fourth"}));
  const diagnostic& third = ds.all()[2];
  EXPECT_EQ(third.code_, "e1");
  EXPECT_EQ(third.position_, (source_position{file_id{0}, 3, 7}));
  EXPECT_EQ(third.hint_, "a hint");
}

TEST(Diagnostics, AddReturnsTheStoredDiagnostic) {
  diagnostics ds;
  diagnostic& d = ds.add(severity::error, "x", {}, "m");
  d.hint_ = "later";
  EXPECT_EQ(ds.all().front().hint_, "later");
}

TEST(Diagnostics, SeverityNames) {
  EXPECT_EQ(severity_name(severity::error), "error");
  EXPECT_EQ(severity_name(severity::warning), "warning");
  EXPECT_EQ(severity_name(severity::note), "note");
}

TEST(SourcePosition, DefaultHasNoFile) {
  const source_position p;
  EXPECT_FALSE(p.has_file());
  EXPECT_EQ(p.line_, 0U);
  EXPECT_EQ(p.column_, 0U);
  EXPECT_TRUE((source_position{file_id{2}, 1, 1}).has_file());
  EXPECT_NE((source_position{file_id{2}, 1, 1}), (source_position{file_id{2}, 1, 2}));
}

}  // namespace
}  // namespace tandem::parsers
