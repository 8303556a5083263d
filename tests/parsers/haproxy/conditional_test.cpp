// Tests of conditional blocks (configuration.txt §2.4): .if/.elif/.else/.endif with every
// predicate, operators and precedence, HAProxy's quirks (strtol numbers, skipped blocks not
// evaluated but still tokenised), the .diag/.notice/.warning/.alert messages, and the errors,
// with haproxy 2.6.12's messages where it has one.
#include <gtest/gtest.h>

#include "tests/parsers/haproxy/test_support.hpp"

namespace tandem::parsers::haproxy {
namespace {

using testing::read_text;
using testing::with_env;
using V = std::vector<std::string>;

// 1 when `condition` holds (under `options`), 0 when not, -1 on error.
int eval(const std::string& condition, const reader_options& options = {}) {
  std::string error;
  std::size_t offset = 0;
  return evaluate_condition(condition, options, error, offset);
}

TEST(HaproxyCondition, NumbersAndEmpty) {
  EXPECT_EQ(eval(""), 0);
  EXPECT_EQ(eval("0"), 0);
  EXPECT_EQ(eval("1"), 1);
  EXPECT_EQ(eval("0x10"), 1);  // strtol(…, 0): hexadecimal
  EXPECT_EQ(eval("00"), 0);
  EXPECT_EQ(eval("-1"), 1);
  EXPECT_EQ(eval(" 1 "), 1);
  EXPECT_EQ(eval("!0"), 1);
  EXPECT_EQ(eval("!!1"), 1);
  EXPECT_EQ(eval("! 1"), 0);
}

TEST(HaproxyCondition, Predicates) {
  reader_options o = with_env({{"WITH_SSL", "yes"}, {"EMPTY", ""}});
  EXPECT_EQ(eval("defined(WITH_SSL)", o), 1);
  EXPECT_EQ(eval("defined(EMPTY)", o), 1);  // exists, whatever its contents
  EXPECT_EQ(eval("defined(NOPE)", o), 0);
  EXPECT_EQ(eval("feature(OPENSSL)", o), 1);
  EXPECT_EQ(eval("feature(QUIC)", o), 0);
  EXPECT_EQ(eval("streq(yes,yes)", o), 1);
  EXPECT_EQ(eval("streq(yes, yes)", o), 0);  // arguments are not trimmed
  EXPECT_EQ(eval("strneq(a,b)", o), 1);
  EXPECT_EQ(eval(R"(streq("a,b",'a,b'))", o), 1);  // quotes protect ',' and ')'
  EXPECT_EQ(eval(R"(streq(a\ b,a b))", o), 1);
  EXPECT_EQ(eval("streq(,)", o), 1);
  // Like HAProxy's make_arg_list: no parentheses is one empty argument.
  EXPECT_EQ(eval("defined", o), 0);
}

TEST(HaproxyCondition, Versions) {
  reader_options o;
  o.version_ = "2.6.12";
  EXPECT_EQ(eval("version_atleast(2.4-dev19)", o), 1);
  EXPECT_EQ(eval("version_atleast(2.6)", o), 1);
  EXPECT_EQ(eval("version_atleast(2.6.12)", o), 1);
  EXPECT_EQ(eval("version_atleast(2.6.13)", o), 0);
  EXPECT_EQ(eval("version_atleast(2.8)", o), 0);
  EXPECT_EQ(eval("version_before(2.8)", o), 1);
  EXPECT_EQ(eval("version_before(2.6.12)", o), 0);
  EXPECT_EQ(eval("version_before(2.6.12-dev3)", o), 0);  // a dev release is older
  EXPECT_EQ(eval("version_atleast(2.6.12-rc1)", o), 1);
  // haproxy 2.6: an unparsable version is "at least" anything and "before" nothing.
  EXPECT_EQ(eval("version_atleast(junk)", o), 1);
  EXPECT_EQ(eval("version_before(junk)", o), 0);
  EXPECT_EQ(compare_versions("2.6.12", "2.6.12"), 0);
  EXPECT_EQ(compare_versions("2.6.12", "3.0"), 1);
  EXPECT_EQ(compare_versions("2.6.12", "1.4.27"), -1);
  EXPECT_EQ(compare_versions("2.6.12", "2.6-dev1"), -1);
  EXPECT_EQ(compare_versions("2.6-dev1", "2.6-pre2"), 1);
  EXPECT_EQ(compare_versions("2.6-rc1", "2.6"), 1);
  EXPECT_EQ(compare_versions("x", "2.6"), -2);
  EXPECT_EQ(compare_versions("2.6", ""), -3);
  EXPECT_EQ(claimed_version, "2.6.12");
}

TEST(HaproxyCondition, OperatorsAndPrecedence) {
  const reader_options o = with_env({{"WITH_SSL", "yes"}});
  EXPECT_EQ(eval("1 && 0 || 1"), 1);
  EXPECT_EQ(eval("0 || 1 && 0"), 0);  // && binds tighter
  EXPECT_EQ(eval("(0 || 1) && 0"), 0);
  EXPECT_EQ(eval("!(0 || 0)"), 1);
  EXPECT_EQ(eval("( 1 )"), 1);
  EXPECT_EQ(eval("feature(OPENSSL) && (streq(yes,yes) || streq(no,yes))", o), 1);
  EXPECT_EQ(eval("defined(WITH_SSL) && !defined(NOPE) || 0", o), 1);
}

TEST(HaproxyCondition, ErrorsAsHaproxyWordsThem) {
  std::string error;
  std::size_t offset = 0;
  const reader_options o;
  EXPECT_EQ(evaluate_condition("yes", o, error, offset), -1);
  EXPECT_EQ(error, "unparsable conditional expression 'yes'");
  EXPECT_EQ(evaluate_condition("1 1", o, error, offset), -1);
  EXPECT_EQ(error, "unexpected character '1' at the end of conditional expression '1 1'");
  EXPECT_EQ(offset, 2U);
  EXPECT_EQ(evaluate_condition("(1", o, error, offset), -1);
  EXPECT_EQ(error, "expected ')' after conditional expression '(1'");
  EXPECT_EQ(evaluate_condition("streq(a,a,b)", o, error, offset), -1);
  EXPECT_EQ(error,
            "expected ')' before ',b)' in argument 1 of predicate 'streq' used in conditional "
            "expression");
  EXPECT_EQ(offset, 9U);
  EXPECT_EQ(evaluate_condition("streq(a)", o, error, offset), -1);
  EXPECT_EQ(error,
            "missing arguments (got 1/2), type 'string' expected in argument 1 of predicate "
            "'streq' used in conditional expression");
  EXPECT_EQ(evaluate_condition("!", o, error, offset), -1);
  EXPECT_EQ(evaluate_condition("1 &&", o, error, offset), -1);
  EXPECT_EQ(evaluate_condition("defined(X", o, error, offset), -1);
  EXPECT_EQ(error,
            "expected ')' in argument 1 of predicate 'defined' used in conditional "
            "expression");
  EXPECT_EQ(evaluate_condition(std::string(2000, '('), o, error, offset), -1);
}

TEST(HaproxyConditionalBlocks, TakesOneBranch) {
  const auto r = read_text(
      ".if streq(\"$A\",1)\n"  // 1
      "  a\n"                  // 2
      ".elif 1\n"              // 3
      "  b\n"                  // 4
      ".else\n"                // 5
      "  c\n"                  // 6
      ".endif\n"               // 7
      "d\n",                   // 8
      with_env({{"A", "2"}}));
  EXPECT_TRUE(r.diags_.empty()) << r.diags_.begin()->message_;
  EXPECT_FALSE(r.at(2).active_);
  EXPECT_TRUE(r.at(4).active_);
  EXPECT_FALSE(r.at(6).active_);
  EXPECT_TRUE(r.at(8).active_);
  EXPECT_EQ(r.at(1).kind_, line_kind::conditional);
  ASSERT_EQ(r.file_.sections_.size(), 1U);
  EXPECT_EQ(r.file_.sections_[0].directives_, (std::vector<std::size_t>{3, 7}));
}

TEST(HaproxyConditionalBlocks, DocExampleWithNestedBlocks) {
  const std::string text =
      ".if \"${A}\"\n"
      "  .if \"${B}\"\n"
      "     .notice \"A=1, B=1\"\n"
      "  .elif \"${C}\"\n"
      "     .notice \"A=1, B=0, C=1\"\n"
      "  .elif \"${D}\"\n"
      "     .warning \"A=1, B=0, C=0, D=1\"\n"
      "  .else\n"
      "     .alert \"A=1, B=0, C=0, D=0\"\n"
      "  .endif\n"
      ".else\n"
      "     .notice \"A=0\"\n"
      ".endif\n";
  const auto messages = [&](environment env) {
    V out;
    const auto r = read_text(text, with_env(std::move(env)));
    for (const diagnostic& d : r.diags_) {
      out.push_back(std::string(severity_name(d.severity_)) + " " + d.message_);
    }
    return out;
  };
  EXPECT_EQ(messages({{"A", "1"}, {"B", "1"}}), (V{"note A=1, B=1"}));
  EXPECT_EQ(messages({{"A", "1"}, {"B", "0"}, {"C", "1"}}), (V{"note A=1, B=0, C=1"}));
  EXPECT_EQ(messages({{"A", "1"}, {"D", "1"}}), (V{"warning A=1, B=0, C=0, D=1"}));
  EXPECT_EQ(messages({{"A", "1"}}), (V{"error A=1, B=0, C=0, D=0"}));
  EXPECT_EQ(messages({}), (V{"note A=0"}));
}

TEST(HaproxyConditionalBlocks, SkippedBlocksAreNotEvaluatedButAreTokenised) {
  const auto r = read_text(
      ".if 0\n"
      "  .if junk(\n"  // not evaluated: no error (as haproxy 2.6)
      "  .elif junk(\n"
      "  .else\n"
      "    frontend x\n"  // not a section: the block is not taken
      "  .endif\n"
      "  .notice \"x\n"  // tokenising errors are still reported
      "  .foo\n"         // unknown directives in a dropped block are not
      ".endif\n");
  EXPECT_EQ(r.codes(), (V{"hap-unterminated-quote"}));
  EXPECT_TRUE(r.file_.sections_.empty());
  EXPECT_FALSE(r.at(5).active_);
  EXPECT_EQ(r.at(5).kind_, line_kind::section);
}

TEST(HaproxyConditionalBlocks, StructureErrors) {
  EXPECT_EQ(read_text(".else\n").codes(), (V{"hap-lone-conditional"}));
  EXPECT_EQ(read_text(".elif 1\n").codes(), (V{"hap-lone-conditional"}));
  EXPECT_EQ(read_text(".endif\n").codes(), (V{"hap-lone-conditional"}));
  EXPECT_EQ(read_text(".if 1\n.else\n.else\n.endif\n").codes(), (V{"hap-misplaced-conditional"}));
  EXPECT_EQ(read_text(".if 1\n.else\n.elif 1\n.endif\n").codes(), (V{"hap-misplaced-conditional"}));
  EXPECT_EQ(read_text(".foo\n").codes(), (V{"hap-unknown-directive"}));
  EXPECT_EQ(read_text(".notice a b\n").codes(), (V{"hap-message-arguments"}));

  const auto r = read_text("global\n  .if 1\n    .if 0\n    .endif\n  daemon\n");
  ASSERT_EQ(r.codes(), (V{"hap-unclosed-if"}));
  const diagnostic& d = *r.diags_.begin();
  EXPECT_EQ(d.position_.line_, 2U);
  EXPECT_EQ(d.position_.column_, 3U);
  EXPECT_NE(d.message_.find("line 2"), std::string::npos);
  EXPECT_TRUE(d.hint_);
}

TEST(HaproxyConditionalBlocks, BadConditionPointsAtItsWord) {
  const auto r = read_text(".if defined(A) &&  yes\n  x\n.endif\n");
  ASSERT_EQ(r.codes(), (V{"hap-bad-condition"}));
  EXPECT_EQ(r.diags_.begin()->position_.column_, 20U);
  EXPECT_NE(r.diags_.begin()->message_.find("in '.if'"), std::string::npos);
  EXPECT_FALSE(r.at(2).active_);  // an erroneous condition takes no branch
}

TEST(HaproxyConditionalBlocks, ConditionsSeeExpandedWords) {
  // Words are expanded first, then joined with single spaces and evaluated (doc §2.4).
  const auto r = read_text(".if strneq(\"$SSL_ONLY\",yes)\n  bind :80\n.endif\n",
                           with_env({{"SSL_ONLY", "yes"}}));
  EXPECT_TRUE(r.diags_.empty());
  EXPECT_FALSE(r.at(2).active_);
  const auto s = read_text(".if strneq(\"$SSL_ONLY\",yes)\n  bind :80\n.endif\n");
  EXPECT_TRUE(s.at(2).active_);
}

TEST(HaproxyConditionalBlocks, DiagAndAlertSeverities) {
  const auto r = read_text(".diag \"d\"\n.alert \"SSL support is mandatory\"\n");
  ASSERT_EQ(r.diags_.size(), 2U);
  EXPECT_EQ(r.diags_.all()[0].severity_, severity::note);
  EXPECT_EQ(r.diags_.all()[0].code_, "hap-diag");
  EXPECT_EQ(r.diags_.all()[1].severity_, severity::error);
  EXPECT_EQ(r.diags_.all()[1].code_, "hap-alert");
  EXPECT_EQ(r.diags_.all()[1].message_, "SSL support is mandatory");
  EXPECT_EQ(r.at(2).kind_, line_kind::message);
}

}  // namespace
}  // namespace tandem::parsers::haproxy
