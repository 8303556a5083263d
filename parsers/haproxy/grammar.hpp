// The PEGTL grammar of one haproxy.cfg line, as HAProxy 2.6+ cuts it into words (parse_line()
// in src/tools.c, which is what HAProxy really does where configuration.txt §2.2's table
// differs): blanks separate words; '#' starts a comment; backslash escapes; weak "…" quoting
// with $VAR, ${VAR}, ${VAR-default} and ${VAR[*]} expansion (only inside double quotes);
// strong '…' quoting; quoted and unquoted pieces next to each other form one word.
// The reader (reader.cpp) parses each line on its own, so an error costs one line, not the
// file, and attaches the actions; the error messages of every must<> point are in
// `error_for` below, in one place.
#pragma once

#include <string_view>

#include <tao/pegtl.hpp>

#include "parsers/haproxy/reader.hpp"

namespace tandem::parsers::haproxy {

namespace rules {

namespace pegtl = tao::pegtl;

// isspace() minus the line ends: HAProxy's word separators.
struct blank : pegtl::one<' ', '\t', '\v', '\f'> {};
struct indentation : pegtl::star<blank> {};
// The rest of the line, '#' included.
struct comment : pegtl::seq<pegtl::one<'#'>, pegtl::star<pegtl::any>> {};

// Backslash escapes, outside single quotes. "\c" for any other c is no escape: the backslash
// is kept and c read as usual (so "\<TAB>" is a backslash then a blank, and an unquoted "\$"
// stays "\$", whatever the doc's table says).
struct hex_digits : pegtl::seq<pegtl::xdigit, pegtl::xdigit> {};
struct escape_hex : pegtl::seq<pegtl::one<'\\'>, pegtl::one<'x'>, pegtl::must<hex_digits>> {};
struct escape_pair
    : pegtl::seq<pegtl::one<'\\'>, pegtl::one<' ', '\\', 't', 'n', 'r', '#', '\'', '"'>> {};
struct escape_dollar : pegtl::seq<pegtl::one<'\\'>, pegtl::one<'$'>> {};  // in "…" only
struct lone_backslash : pegtl::one<'\\'> {};
struct escape : pegtl::sor<escape_hex, escape_pair, lone_backslash> {};
struct dq_escape : pegtl::sor<escape_hex, escape_pair, escape_dollar, lone_backslash> {};

// $NAME, ${NAME}, ${NAME-default}, ${NAME[*]}, ${NAME[*]-default}; NAME is a letter or '_'
// then letters, digits and '_', or a pseudo-variable '.' then letters and digits (.FILE,
// .LINE, .SECTION).
struct var_name_first : pegtl::sor<pegtl::alpha, pegtl::one<'_', '.'>> {};
struct var_name : pegtl::seq<pegtl::must<var_name_first>, pegtl::star<pegtl::identifier_other>> {};
struct expand_star : pegtl::string<'*', ']'> {};
struct expand_all : pegtl::seq<pegtl::one<'['>, pegtl::must<expand_star>> {};
// The default is taken verbatim up to the first '}': no quotes, escapes or variables in it.
struct var_default_text : pegtl::star<pegtl::not_one<'}'>> {};
struct var_default_close : pegtl::one<'}'> {};
struct var_default : pegtl::seq<pegtl::one<'-'>, var_default_text, pegtl::must<var_default_close>> {
};
struct var_close : pegtl::one<'}'> {};
struct var_braced : pegtl::seq<pegtl::one<'{'>, var_name, pegtl::opt<expand_all>,
                               pegtl::sor<var_default, pegtl::must<var_close>>> {};
struct variable : pegtl::seq<pegtl::one<'$'>, pegtl::sor<var_braced, var_name>> {};

struct dq_text : pegtl::plus<pegtl::not_one<'"', '\\', '$'>> {};
struct dq_close : pegtl::one<'"'> {};
struct dquoted : pegtl::seq<pegtl::one<'"'>, pegtl::star<pegtl::sor<dq_text, dq_escape, variable>>,
                            pegtl::must<dq_close>> {};

struct sq_text : pegtl::star<pegtl::not_one<'\''>> {};
struct sq_close : pegtl::one<'\''> {};
struct squoted : pegtl::seq<pegtl::one<'\''>, sq_text, pegtl::must<sq_close>> {};

// Unquoted: '$' is an ordinary character here.
struct plain_text : pegtl::plus<pegtl::not_one<' ', '\t', '\v', '\f', '#', '"', '\'', '\\'>> {};
struct piece : pegtl::sor<plain_text, escape, dquoted, squoted> {};
struct word : pegtl::plus<piece> {};

// One line without its line ending (and cut at a lone CR, where HAProxy stops reading).
// Every character starts a piece, a blank or a comment, so the line always reaches eof.
struct line : pegtl::seq<indentation, pegtl::star<word, pegtl::star<blank>>, pegtl::opt<comment>,
                         pegtl::eof> {};

}  // namespace rules

using grammar = rules::line;

// Where an error is shown: the current character, or the start of the construct that failed.
enum class error_anchor { here, quote, escape, brace, expansion };

struct error_info {
  std::string_view code_;
  std::string_view message_;
  std::string_view hint_;
  error_anchor anchor_ = error_anchor::here;
};

// The message of each must<> point; a must<> on a rule without one does not compile.
template <typename Rule>
inline constexpr error_info error_for{};

template <>
inline constexpr error_info error_for<rules::hex_digits>{
    codes::bad_escape, "'\\x' must be followed by two hexadecimal digits",
    "write a byte as \\xNN (\\x20 is a space); write a backslash itself as \\\\",
    error_anchor::escape};
template <>
inline constexpr error_info error_for<rules::var_name_first>{
    codes::bad_variable, "forbidden first character in environment variable name",
    "a variable name starts with a letter or '_'; inside double quotes write a literal '$' as "
    "\\$ (or use single quotes)",
    error_anchor::here};
template <>
inline constexpr error_info error_for<rules::expand_star>{
    codes::bad_expansion, "truncated or invalid word expansion: expected '[*]'",
    "\"${VAR[*]}\" splits the variable's value into several words at its blanks",
    error_anchor::expansion};
template <>
inline constexpr error_info error_for<rules::var_default_close>{
    codes::unmatched_brace, "unmatched brace in environment variable name",
    "close it on the same line: \"${VAR}\" or \"${VAR-default}\"", error_anchor::brace};
template <>
inline constexpr error_info error_for<rules::var_close>{
    codes::unmatched_brace, "unmatched brace in environment variable name",
    "close it on the same line: \"${VAR}\" or \"${VAR-default}\"", error_anchor::brace};
template <>
inline constexpr error_info error_for<rules::dq_close>{
    codes::unterminated_quote, "unterminated double quote",
    "close it with '\"' on the same line (a quoted word cannot span lines); write a literal "
    "double quote as \\\"",
    error_anchor::quote};
template <>
inline constexpr error_info error_for<rules::sq_close>{
    codes::unterminated_quote, "unterminated single quote",
    "close it with ' on the same line; nothing is escaped inside single quotes, so write a "
    "literal single quote outside them as \\'",
    error_anchor::quote};

}  // namespace tandem::parsers::haproxy
