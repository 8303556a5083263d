// Tests of HAProxy's word syntax (configuration.txt §2.2 "Quoting and escaping" and §2.3
// "Environment variables"), each rule against the doc's own examples and, where the doc's
// table and HAProxy 2.6's parse_line() differ, against what haproxy 2.6.12 really does
// (checked with `.notice` lines under Debian's haproxy -c).
#include <gtest/gtest.h>

#include "tests/parsers/haproxy/test_support.hpp"

namespace tandem::parsers::haproxy {
namespace {

using testing::read_text;
using testing::with_env;
using testing::words_of;
using V = std::vector<std::string>;

TEST(HaproxyWords, BlankSeparatedWithTabsAndRuns) {
  EXPECT_EQ(words_of("  server  web1\t10.0.0.1:80 \t check  "),
            (V{"server", "web1", "10.0.0.1:80", "check"}));
  // \v and \f are blanks too (isspace), as in HAProxy.
  EXPECT_EQ(words_of("a\vb\fc"), (V{"a", "b", "c"}));
}

TEST(HaproxyWords, CommentsEndTheLineEvenInsideAWord) {
  const auto r = read_text("    global#this is the global section\n");
  EXPECT_EQ(r.values(1), (V{"global"}));
  ASSERT_TRUE(r.at(1).comment_);
  EXPECT_EQ(r.at(1).comment_->text_, "#this is the global section");
  EXPECT_EQ(r.at(1).comment_->position_.column_, 11U);
  EXPECT_EQ(r.at(1).kind_, line_kind::section);

  const auto c = read_text("  # only a comment\n\n");
  EXPECT_EQ(c.at(1).kind_, line_kind::comment);
  EXPECT_TRUE(c.at(1).words_.empty());
  EXPECT_EQ(c.at(2).kind_, line_kind::blank);
}

TEST(HaproxyWords, DocExampleLogFormatsAreAllEquivalent) {
  const std::string expected = "%{+Q}o %t %s %{-Q}r";
  for (const char* text : {
           R"(log-format %{+Q}o\ %t\ %s\ %{-Q}r)",
           R"(log-format "%{+Q}o %t %s %{-Q}r")",
           R"(log-format '%{+Q}o %t %s %{-Q}r')",
           R"(log-format "%{+Q}o %t"' %s %{-Q}r')",
           R"(log-format "%{+Q}o %t"' %s'\ %{-Q}r)",
       }) {
    EXPECT_EQ(words_of(text), (V{"log-format", expected})) << text;
  }
}

TEST(HaproxyWords, BackslashEscapesOutsideQuotes) {
  EXPECT_EQ(words_of(R"(a\ b)"), (V{"a b"}));
  EXPECT_EQ(words_of(R"(a\\b)"), (V{R"(a\b)"}));
  EXPECT_EQ(words_of(R"(a\#b)"), (V{"a#b"}));
  EXPECT_EQ(words_of(R"(a\'b)"), (V{"a'b"}));
  EXPECT_EQ(words_of(R"(a\"b)"), (V{"a\"b"}));
  EXPECT_EQ(words_of(R"(a\tb\nc\rd)"), (V{"a\tb\nc\rd"}));
  EXPECT_EQ(words_of(R"(\x41\x62\x7e)"), (V{"Ab~"}));
  EXPECT_EQ(words_of(R"(\x20)"), (V{" "}));
}

TEST(HaproxyWords, OtherBackslashesAreKept) {
  // "Other combinations left unchanged (eg: \1)": the backslash stays, the next character is
  // read as usual.
  EXPECT_EQ(words_of(R"(my/\1 \d+)"), (V{R"(my/\1)", R"(\d+)"}));
  // The doc's table says an unquoted \$ is '$', but parse_line() only unescapes '$' inside
  // double quotes: haproxy 2.6 prints '\$x' for `.notice \$x`.
  EXPECT_EQ(words_of(R"(\$x)"), (V{R"(\$x)"}));
  // Likewise "\<TAB>": only "\ " escapes a blank; a backslash then a tab is a backslash and a
  // separator (haproxy 2.6: "Unexpected argument 'b'" for `.notice a\<TAB>b`).
  EXPECT_EQ(words_of("a\\\tb"), (V{"a\\", "b"}));
  // A backslash at the end of the line is kept; there are no continuation lines.
  EXPECT_EQ(words_of("a\\\nb\n"), (V{"a\\"}));
}

TEST(HaproxyWords, BadHexEscapeIsAnErrorAtTheBackslash) {
  const auto r = read_text("bind :80 name \\x4");
  ASSERT_EQ(r.diags_.size(), 1U);
  const diagnostic& d = *r.diags_.begin();
  EXPECT_EQ(d.code_, "hap-bad-escape");
  EXPECT_EQ(d.severity_, severity::error);
  EXPECT_EQ(d.position_.line_, 1U);
  EXPECT_EQ(d.position_.column_, 15U);
  EXPECT_TRUE(d.hint_);
  EXPECT_TRUE(r.at(1).error_);
  // The words before the error are kept.
  EXPECT_EQ(r.values(1), (V{"bind", ":80", "name"}));
  EXPECT_EQ(read_text(R"(\xg1)").codes(), (V{"hap-bad-escape"}));
}

TEST(HaproxyWords, WeakQuotingProtectsBlanksHashAndSingleQuotes) {
  EXPECT_EQ(words_of(R"("a b	c" "#x" "it's")"), (V{"a b\tc", "#x", "it's"}));
  // Escapes work inside double quotes, \$ included.
  EXPECT_EQ(words_of(R"("\"\\\#\'\$\x24\ \t")"), (V{"\"\\#'$$ \t"}));
  EXPECT_EQ(words_of(R"("q\qz")"), (V{R"(q\qz)"}));
  EXPECT_EQ(words_of(R"("")"), (V{""}));
  EXPECT_TRUE(read_text(R"("")").at(1).words_[0].quoted_);
}

TEST(HaproxyWords, StrongQuotingInterpretsNothing) {
  EXPECT_EQ(words_of(R"('a "b" $HOME \# \\ #')"), (V{R"(a "b" $HOME \# \\ #)"}));
  // The doc's regsub example: single quotes outside, double quotes kept for the second level.
  EXPECT_EQ(words_of(R"~(http-request set-path '%[path,regsub("^/(here)(/|$)","my/\1",g)]')~"),
            (V{"http-request", "set-path", R"~(%[path,regsub("^/(here)(/|$)","my/\1",g)])~"}));
  EXPECT_EQ(words_of(R"~(http-request set-path %[path,regsub(\"(foo|bar)\",blah,g)])~"),
            (V{"http-request", "set-path", R"~(%[path,regsub("(foo|bar)",blah,g)])~"}));
  EXPECT_EQ(words_of(R"~(http-request set-var(txn.foo) str("\\'foo\\'"))~"),
            (V{"http-request", "set-var(txn.foo)", R"~(str(\'foo\'))~"}));
  EXPECT_EQ(words_of(R"~(http-request set-var(txn.foo) str(\\\'foo\\\'))~"),
            (V{"http-request", "set-var(txn.foo)", R"~(str(\'foo\'))~"}));
}

TEST(HaproxyWords, QuotedPiecesJoinIntoOneWord) {
  EXPECT_EQ(words_of(R"(a"b c"'d e'f\ g)"), (V{"ab cd ef g"}));
  const auto r = read_text(R"(x a"b c"'d')");
  EXPECT_EQ(r.at(1).words_[1].raw_, R"(a"b c"'d')");
  EXPECT_EQ(r.at(1).words_[1].position_.column_, 3U);
}

TEST(HaproxyWords, UnterminatedQuotesPointAtTheOpeningQuote) {
  for (const char* text : {R"(.notice "abc)", ".notice 'abc", R"(.notice "a\")"}) {
    const auto r = read_text(text);
    ASSERT_EQ(r.codes(), (V{"hap-unterminated-quote"})) << text;
    EXPECT_EQ(r.diags_.begin()->position_.column_, 9U) << text;
  }
  // A quote never spans lines: the next line is read on its own.
  const auto r = read_text("a \"b\nc d\n");
  EXPECT_EQ(r.values(2), (V{"c", "d"}));
}

TEST(HaproxyEnvironment, ExpandedOnlyInsideDoubleQuotes) {
  const auto env = with_env({{"HAPROXY_USER", "haproxy"}, {"FD_APP1", "3"}});
  EXPECT_EQ(words_of(R"(user "$HAPROXY_USER")", env), (V{"user", "haproxy"}));
  EXPECT_EQ(words_of(R"(bind "fd@${FD_APP1}")", env), (V{"bind", "fd@3"}));
  EXPECT_EQ(words_of(R"(user $HAPROXY_USER '$HAPROXY_USER')", env),
            (V{"user", "$HAPROXY_USER", "$HAPROXY_USER"}));
  EXPECT_EQ(words_of(R"("\$HAPROXY_USER")", env), (V{"$HAPROXY_USER"}));
  EXPECT_TRUE(read_text(R"("$HAPROXY_USER")", env).at(1).words_[0].expanded_);
  // A name ends at the first character that is not a letter, digit or '_'.
  EXPECT_EQ(words_of(R"("$FD_APP1.x$FD_APP1")", env), (V{"3.x3"}));
  // An unset variable expands to nothing.
  EXPECT_EQ(words_of(R"(a "$NOPE" b)", env), (V{"a", "", "b"}));
}

TEST(HaproxyEnvironment, DefaultOnlyReplacesUnsetVariables) {
  const auto env = with_env({{"EMPTY", ""}, {"SET", "10.0.0.1"}});
  EXPECT_EQ(words_of(R"(log "${LOCAL_SYSLOG-127.0.0.1}:514" local0 notice)", env),
            (V{"log", "127.0.0.1:514", "local0", "notice"}));
  EXPECT_EQ(words_of(R"("${SET-127.0.0.1}:514")", env), (V{"10.0.0.1:514"}));
  EXPECT_EQ(words_of(R"("${EMPTY-x}y")", env), (V{"y"}));
  // The default is verbatim up to the first '}' (haproxy 2.6: `"${NOPE-d"f}"` is d"f).
  EXPECT_EQ(words_of(R"("${NOPE-d"f}")", env), (V{"d\"f"}));
  EXPECT_EQ(words_of(R"("${NOPE-}x")", env), (V{"x"}));
  EXPECT_EQ(words_of(R"("${NOPE-a b}")", env), (V{"a b"}));
}

TEST(HaproxyEnvironment, WordExpansionSplitsAtBlanks) {
  const auto env = with_env({{"L", " a  b "}, {"SERVERS", "s1 s2\ts3"}});
  // haproxy 2.6 with L=" a  b ": `.notice "${L[*]}"` sees '' then 'a' ... (a leading blank
  // makes an empty first word; a trailing one adds nothing at the end of the line).
  EXPECT_EQ(words_of(R"(x "${L[*]}")", env), (V{"x", "", "a", "b"}));
  const auto r = read_text(R"(  use "${SERVERS[*]}" end)", env);
  EXPECT_EQ(r.values(1), (V{"use", "s1", "s2", "s3", "end"}));
  for (std::size_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(r.at(1).words_[i].raw_, R"("${SERVERS[*]}")");
    EXPECT_EQ(r.at(1).words_[i].position_.column_, 7U);
    EXPECT_EQ(r.at(1).words_[i].split_index_, i - 1);
  }
  // Pieces around the expansion join its first and last words.
  EXPECT_EQ(words_of(R"("<${SERVERS[*]}>")", env), (V{"<s1", "s2", "s3>"}));
  // Without [*] the blanks stay inside one word; [*] needs braces.
  EXPECT_EQ(words_of(R"("${SERVERS}")", env), (V{"s1 s2\ts3"}));
  EXPECT_EQ(words_of(R"("$SERVERS[*]")", env), (V{"s1 s2\ts3[*]"}));
  EXPECT_EQ(words_of(R"("${NOPE[*]-d e}")", env), (V{"d", "e"}));
}

TEST(HaproxyEnvironment, PseudoVariables) {
  const auto r = read_text("\nfrontend fe1\n  x \"${.FILE}:$.LINE\" \"${.SECTION}\"\n");
  EXPECT_EQ(r.values(3), (V{"x", "t.cfg:3", "fe1"}));
  EXPECT_EQ(read_text(R"("$.FOO")").codes(), (V{"hap-bad-variable"}));
  EXPECT_EQ(read_text(R"(global
  x "${.SECTION}")")
                .values(2),
            (V{"x", "global"}));
}

TEST(HaproxyEnvironment, Errors) {
  // Positions as haproxy 2.6 reports them: the bad first character, the '[', the '{'.
  struct error_case {
    const char* text_;
    const char* code_;
    std::uint32_t column_;
  };
  for (const error_case& c : {
           error_case{R"(.notice "$1")", "hap-bad-variable", 11},
           error_case{R"(.notice "price: $")", "hap-bad-variable", 18},
           error_case{R"(.notice "${X[x]}")", "hap-bad-expansion", 13},
           error_case{R"(.notice "${X")", "hap-unmatched-brace", 11},
           error_case{R"(.notice "${X-abc")", "hap-unmatched-brace", 11},
           error_case{R"(.notice "${X!}")", "hap-unmatched-brace", 11},
       }) {
    const auto r = read_text(c.text_);
    ASSERT_EQ(r.codes(), (V{c.code_})) << c.text_;
    EXPECT_EQ(r.diags_.begin()->position_.column_, c.column_) << c.text_;
    EXPECT_TRUE(r.diags_.begin()->hint_) << c.text_;
  }
}

TEST(HaproxyLines, ModifiersIndentationAndRawText) {
  const auto r = read_text("defaults\r\n\tno option httplog # off\r\n  default option x\nno");
  EXPECT_EQ(r.at(1).kind_, line_kind::section);
  EXPECT_EQ(r.at(1).ending_, line_ending::crlf);
  EXPECT_EQ(r.at(2).raw_, "\tno option httplog # off");
  EXPECT_EQ(r.at(2).indentation_, "\t");
  EXPECT_EQ(r.at(2).modifier_, modifier::no);
  EXPECT_EQ(r.at(2).keyword(), "option");
  EXPECT_EQ(r.at(2).first_argument(), 2U);
  EXPECT_EQ(r.at(3).modifier_, modifier::default_);
  EXPECT_EQ(r.at(3).ending_, line_ending::lf);
  // "no" alone is a keyword, not a modifier; the last line has no newline.
  EXPECT_EQ(r.at(4).modifier_, modifier::none);
  EXPECT_EQ(r.at(4).ending_, line_ending::none);
  EXPECT_EQ(r.file_.lines_.size(), 4U);
}

TEST(HaproxyLines, ColumnsCountCodePointsAfterNbspAndTabs) {
  // "\xC2\xA0" is U+00A0: one column, though two bytes; the normaliser made it a blank.
  const auto r = read_text("\xC2\xA0\xC2\xA0log\xC2\xA0global\n\tmode\t\thttp\n");
  EXPECT_EQ(r.values(1), (V{"log", "global"}));
  EXPECT_EQ(r.at(1).words_[0].position_.column_, 3U);
  EXPECT_EQ(r.at(1).words_[1].position_.column_, 7U);
  EXPECT_EQ(r.at(1).indentation_, "  ");
  EXPECT_EQ(r.at(1).raw_, "\xC2\xA0\xC2\xA0log\xC2\xA0global");
  EXPECT_EQ(r.at(2).words_[0].position_.column_, 2U);
  EXPECT_EQ(r.at(2).words_[1].position_.column_, 8U);
  // A multi-byte character inside an earlier word counts once.
  const auto u = read_text("x caf\xC3\xA9 y");
  EXPECT_EQ(u.at(1).words_[2].position_.column_, 8U);
  EXPECT_EQ(r.codes(), (V{"pasted-space"}));
}

TEST(HaproxyLines, LoneCarriageReturnEndsTheLineAsInHaproxy) {
  EXPECT_EQ(words_of("a b\rc d\n"), (V{"a", "b"}));
}

TEST(HaproxyLines, SectionsGroupActiveDirectives) {
  const auto r = read_text(
      "# head\n"
      "maxconn 1\n"
      "global\n"
      "  daemon\n"
      "\n"
      "frontend fe\n"
      "  bind :80\n"
      "  # c\n"
      "  default_backend be\n"
      "backend be\n");
  const config_file& f = r.file_;
  ASSERT_EQ(f.sections_.size(), 4U);
  EXPECT_EQ(f.header(f.sections_[0]), nullptr);
  EXPECT_EQ(f.sections_[0].directives_, (std::vector<std::size_t>{1}));
  EXPECT_EQ(f.header(f.sections_[1])->keyword(), "global");
  EXPECT_EQ(f.sections_[1].directives_, (std::vector<std::size_t>{3}));
  EXPECT_EQ(f.header(f.sections_[2])->words_[1].value_, "fe");
  EXPECT_EQ(f.sections_[2].directives_, (std::vector<std::size_t>{6, 8}));
  EXPECT_TRUE(f.sections_[3].directives_.empty());
  for (const std::string_view k : section_keywords) {
    EXPECT_TRUE(is_section_keyword(k));
  }
  EXPECT_FALSE(is_section_keyword("server"));
}

TEST(HaproxyReader, EmptyFileHasNoLines) {
  const auto r = read_text("");
  EXPECT_TRUE(r.file_.lines_.empty());
  EXPECT_TRUE(r.diags_.empty());
}

}  // namespace
}  // namespace tandem::parsers::haproxy
