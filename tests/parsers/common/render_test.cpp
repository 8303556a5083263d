// Tests for gcc-style text rendering (locations, include chains, carets with tabs and
// multi-byte characters, hints) and JSON rendering and escaping.
#include "parsers/common/render.hpp"

#include <gtest/gtest.h>

namespace tandem::parsers {
namespace {

using namespace std::string_literals;

class render_test : public ::testing::Test {
 protected:
  render_test() {
    a_ = sources_.add("a.cfg", "global\ninclude b.cfg\n");
    b_ = sources_.add("b.cfg", "frontend web\n\tbind\xC2\xA0:80\n", source_position{a_, 2, 9});
  }
  diagnostic make(source_position where, std::string code, std::string message,
                  std::optional<std::string> hint = std::nullopt) {
    diagnostic d{severity::error, std::move(code), where, std::move(message), std::move(hint), {}};
    sources_.attach_include_chain(d);
    return d;
  }
  source_registry sources_;
  file_id a_{};
  file_id b_{};
};

TEST_F(render_test, FormatsLocationsWithWhatIsKnown) {
  EXPECT_EQ(format_location({a_, 2, 9}, sources_), "a.cfg:2:9");
  EXPECT_EQ(format_location({a_, 2, 0}, sources_), "a.cfg:2");
  EXPECT_EQ(format_location({a_, 0, 0}, sources_), "a.cfg");
  EXPECT_EQ(format_location({}, sources_), "");
  EXPECT_EQ(format_location({file_id{42}, 1, 1}, sources_), "");  // not in this registry
}

TEST(CaretLine, PlainColumns) {
  EXPECT_EQ(caret_line("listen app", 1), "^");
  EXPECT_EQ(caret_line("listen app", 8), "       ^");
  EXPECT_EQ(caret_line("listen app", 0), "^");
}

TEST(CaretLine, KeepsTabsSoTheCaretLinesUp) {
  // 'w' of "web1" is column 9: tab, "server" (6), tab.
  EXPECT_EQ(caret_line("\tserver\tweb1 10.0.0.1:80", 9), "\t      \t^");
}

TEST(CaretLine, NoBreakSpaceIsOneColumnAndOnePaddingSpace) {
  // "  bind" + U+00A0 + ":80": ':' is column 8 although it is byte 9.
  EXPECT_EQ(caret_line("  bind\xC2\xA0:80", 8), "       ^");
  EXPECT_EQ(caret_line("\tbind\xC2\xA0:80", 7), "\t     ^");
  EXPECT_EQ(caret_line("\xF0\x9F\x98\x80x", 2), " ^");
}

TEST(CaretLine, PastTheEndOfTheLine) {
  EXPECT_EQ(caret_line("ab", 5), "    ^");
}

TEST_F(render_test, TextWithIncludeChainSourceLineCaretAndHint) {
  const diagnostic d = make({b_, 2, 7}, "hap-nbsp", "no-break space (U+00A0) between words",
                            "replace it with a plain space");
  EXPECT_EQ(render_text(d, sources_),
            "In file included from a.cfg:2:9:\n"
            "b.cfg:2:7: error: no-break space (U+00A0) between words [hap-nbsp]\n"
            "\tbind\xC2\xA0:80\n"
            "\t     ^\n"
            "  hint: replace it with a plain space\n");
}

TEST_F(render_test, TwoLevelIncludeChainLikeGcc) {
  const file_id c = sources_.add("c.cfg", "bad\n", source_position{b_, 1, 1});
  diagnostic d = make({c, 1, 1}, "w", "m");
  d.severity_ = severity::warning;
  EXPECT_EQ(render_text(d, sources_),
            "In file included from b.cfg:1:1,\n"
            "                 from a.cfg:2:9:\n"
            "c.cfg:1:1: warning: m [w]\n"
            "bad\n"
            "^\n");
}

TEST_F(render_test, TopLevelFileHasNoIncludeLines) {
  const diagnostic d = make({a_, 1, 1}, "x", "msg");
  EXPECT_EQ(render_text(d, sources_), "a.cfg:1:1: error: msg [x]\nglobal\n^\n");
}

TEST_F(render_test, LineWithoutColumnPrintsNoCaret) {
  diagnostic d = make({a_, 2, 0}, "x", "msg");
  d.severity_ = severity::note;
  EXPECT_EQ(render_text(d, sources_), "a.cfg:2: note: msg [x]\ninclude b.cfg\n");
}

TEST_F(render_test, WholeFileAndNoFile) {
  EXPECT_EQ(render_text(make({a_, 0, 0}, "x", "msg"), sources_), "a.cfg: error: msg [x]\n");
  EXPECT_EQ(render_text(make({}, "file-not-found", "cannot open 'z.cfg'"), sources_),
            "error: cannot open 'z.cfg' [file-not-found]\n");
  EXPECT_EQ(render_text(make({}, "", "no code"), sources_), "error: no code\n");
}

TEST_F(render_test, ManyDiagnosticsInOrder) {
  diagnostics ds;
  ds.add(make({a_, 1, 1}, "one", "first"));
  ds.add(make({}, "two", "second"));
  EXPECT_EQ(render_text(ds, sources_),
            "a.cfg:1:1: error: first [one]\nglobal\n^\nerror: second [two]\n");
}

TEST(JsonQuote, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_quote(""), "\"\"");
  EXPECT_EQ(json_quote("say \"hi\"\\"), R"("say \"hi\"\\")");
  EXPECT_EQ(json_quote("a\nb\tc\rd\be\f"), R"("a\nb\tc\rd\be\f")");
  EXPECT_EQ(json_quote("\x01\x1f\x7f"), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(json_quote("nul\0end"s), R"("nul\u0000end")");
  EXPECT_EQ(json_quote("</script>"), R"("</script>")");
}

TEST(JsonQuote, NonAsciiBecomesUnicodeEscapes) {
  EXPECT_EQ(json_quote("bind\xC2\xA0:80"), R"("bind\u00a0:80")");
  EXPECT_EQ(json_quote("caf\xC3\xA9"), R"("caf\u00e9")");
  EXPECT_EQ(json_quote("\xE2\x80\xA8"), R"("\u2028")");
  EXPECT_EQ(json_quote("\xF0\x9F\x98\x80"), R"("\ud83d\ude00")");
  EXPECT_EQ(json_quote("\xFF"
                       "a\xC3"),
            R"("\ufffda\ufffd")");
  for (const char c : json_quote("\xC2\xA0\xF0\x9F\x98\x80\xFF\x01")) {
    EXPECT_LT(static_cast<unsigned char>(c), 0x80) << "output must be ASCII";
  }
}

TEST_F(render_test, JsonObjectWithEveryField) {
  const diagnostic d = make({b_, 2, 7}, "hap-nbsp", "no-break space \"\xC2\xA0\"", "replace it");
  EXPECT_EQ(render_json(d, sources_),
            R"({"severity":"error","code":"hap-nbsp","file":"b.cfg","line":2,"column":7,)"
            R"("message":"no-break space \"\u00a0\"","hint":"replace it",)"
            R"("include_chain":[{"file":"a.cfg","line":2,"column":9}]})");
}

TEST_F(render_test, JsonUnknownPositionIsNull) {
  const diagnostic d = make({}, "file-not-found", "cannot open 'x'");
  EXPECT_EQ(render_json(d, sources_),
            R"({"severity":"error","code":"file-not-found","file":null,"line":null,)"
            R"("column":null,"message":"cannot open 'x'","hint":null,"include_chain":[]})");
  EXPECT_EQ(render_json(make({a_, 2, 0}, "c", "m"), sources_),
            R"({"severity":"error","code":"c","file":"a.cfg","line":2,"column":null,)"
            R"("message":"m","hint":null,"include_chain":[]})");
}

TEST_F(render_test, JsonArray) {
  diagnostics ds;
  EXPECT_EQ(render_json(ds, sources_), "[]\n");
  ds.add(make({}, "a", "1"));
  ds.add(make({}, "b", "2"));
  const std::string one = render_json(ds.all()[0], sources_);
  const std::string two = render_json(ds.all()[1], sources_);
  EXPECT_EQ(render_json(ds, sources_), "[\n" + one + ",\n" + two + "\n]\n");
}

}  // namespace
}  // namespace tandem::parsers
