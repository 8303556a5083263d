// The typed value a fetch produces and converters transform (HAProxy's struct sample): a
// boolean, integer, address, string, binary block or HTTP method, with HAProxy 2.6's casts
// between them (sample.c's sample_casts), and its text form for %[…] and rule arguments.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::runtime::proxy::acl {

// SMP_T_* that a value can have at run time (SMP_T_ANY and SMP_T_ADDR are compile-time only).
enum class smp_type : std::uint8_t { bool_, sint_, ipv4_, ipv6_, str_, bin_, meth_ };

// HAProxy's known methods (HTTP_METH_*); `other` compares by text.
enum class http_method : std::uint8_t {
  options,
  get,
  head,
  post,
  put,
  delete_,
  trace,
  connect,
  other
};
// find_http_meth(): exact, case-sensitive names.
http_method find_method(std::string_view name);
std::string_view method_name(http_method m);

class sample {
 public:
  smp_type type_ = smp_type::str_;
  std::int64_t sint_ = 0;                // bool_ and sint_
  std::array<std::uint8_t, 16> addr_{};  // ipv4_: first 4 bytes; ipv6_: 16; network order
  http_method meth_ = http_method::other;

  static sample boolean(bool b);
  static sample integer(std::int64_t v);
  // Text that outlives the evaluation (the request, the compiled expression).
  static sample view(std::string_view text, smp_type t = smp_type::str_);
  static sample owned(std::string text, smp_type t = smp_type::str_);

  // str_, bin_ and meth_ (the method's text).
  std::string_view text() const { return owned_ ? std::string_view(own_) : view_; }
  void set_view(std::string_view text) {
    view_ = text;
    owned_ = false;
  }
  void set_owned(std::string text) {
    own_ = std::move(text);
    owned_ = true;
  }

 private:
  std::string_view view_;
  std::string own_;
  bool owned_ = false;
};

// sample_convert(): false when HAProxy has no cast or the cast fails (e.g. a string that is
// not an address).
bool cast(sample& s, smp_type to);

// The text of a value as %[…] writes it: strings as they are, integers in decimal, addresses
// in their usual notation, booleans as 0/1.
std::string to_text(const sample& s);

// read_int64(): optional sign and leading digits; stops at the first other character.
std::int64_t leading_integer(std::string_view s, std::size_t* used = nullptr);

// Parses an IPv4 ("a.b.c.d") or IPv6 address into `s`.
bool parse_address(std::string_view text, sample& s);

}  // namespace tandem::runtime::proxy::acl
