// PEGTL's own check of the line grammar: no rule can loop without consuming input, and every
// must<> point has a message (the control's static_assert makes a missing one a build error).
#include "parsers/haproxy/grammar.hpp"

#include <gtest/gtest.h>

#include <tao/pegtl/contrib/analyze.hpp>

namespace tandem::parsers::haproxy {
namespace {

TEST(HaproxyGrammar, AnalyzeFindsNoProblem) {
  EXPECT_EQ(tao::pegtl::analyze<grammar>(1), 0U);
}

TEST(HaproxyGrammar, EveryMustPointHasACodeAndAHint) {
  for (const error_info& e :
       {error_for<rules::hex_digits>, error_for<rules::var_name_first>,
        error_for<rules::expand_star>, error_for<rules::var_default_close>,
        error_for<rules::var_close>, error_for<rules::dq_close>, error_for<rules::sq_close>}) {
    EXPECT_TRUE(e.code_.starts_with("hap-")) << e.message_;
    EXPECT_FALSE(e.message_.empty());
    EXPECT_FALSE(e.hint_.empty()) << e.message_;
  }
}

}  // namespace
}  // namespace tandem::parsers::haproxy
