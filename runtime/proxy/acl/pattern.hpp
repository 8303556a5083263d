// The matching methods of ACLs and maps (HAProxy 2.6's pattern.c): a list of patterns of one
// kind (str, beg, sub, reg, ip, int …), each with its own case flag as `-i` applies to the
// patterns and files that follow it, and the first (or, for the indexed kinds, the longest)
// pattern a sample matches. Also the pattern and map file readers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/proxy/acl/regex.hpp"
#include "runtime/proxy/acl/sample.hpp"

namespace tandem::runtime::proxy::acl {

// PAT_MATCH_* (and the method matcher of the `method` ACL keyword).
enum class match_kind : std::uint8_t {
  found,
  bool_,
  int_,
  ip,
  bin,
  len,
  str,
  beg,
  sub,
  dir,
  dom,
  end,
  reg,
  regm,  // maps only: a regex whose groups the value may use (\1)
  meth,
};

// pat_find_match_name(): "-m NAME".
std::optional<match_kind> match_kind_named(std::string_view name);
// The type a sample is cast to before matching (pat_match_types; meth keeps methods).
smp_type expected_type(match_kind k);

class pattern_list {
 public:
  explicit pattern_list(match_kind k) : kind_(k) {}

  match_kind kind() const { return kind_; }
  bool empty() const { return count_ == 0; }

  // Adds a pattern as the matcher's parser reads it; `value` is the index of a map value.
  // False with `error` set when it does not parse (a bad number, address or regex).
  bool add(std::string_view text, bool icase, std::string& error, std::size_t value = 0);

  // The value index of the pattern `s` matches (cast to the matcher's type first), if any.
  // found: any sample; bool: a non-zero one.
  std::optional<std::size_t> match(sample& s) const;

 private:
  struct entry {
    std::string text_;
    bool icase_ = false;
    std::size_t value_ = 0;
    // int and len: a range; an unset bound is open.
    std::int64_t min_ = 0, max_ = 0;
    bool min_set_ = false, max_set_ = false;
    // ip: address and mask, both 16 bytes (an IPv4 pattern uses the first 4).
    bool v6_ = false;
    std::array<std::uint8_t, 16> addr_{}, mask_{};
    unsigned prefix_ = 0;
    std::optional<regex> re_;
    http_method meth_ = http_method::other;
  };

  std::optional<std::size_t> match_text(std::string_view v, const sample& s) const;
  std::optional<std::size_t> match_ip(const sample& s) const;

  match_kind kind_;
  std::size_t count_ = 0;
  std::vector<entry> list_;
  // str without -i: HAProxy's tree; the first pattern of a duplicated key wins.
  std::unordered_map<std::string, std::size_t> exact_;
  // beg without -i: HAProxy's prefix tree (longest prefix first), IPv4 with a contiguous mask
  // and IPv6: HAProxy's trees (longest prefix first). Kept apart from the ordered list.
  std::vector<entry> longest_;
};

// pat_ref_read_from_file(): one pattern per line, leading blanks dropped, '#' in the first
// column starts a comment, empty lines skipped. False with `error` set when unreadable.
bool read_pattern_file(const std::string& path, std::vector<std::string>& out, std::string& error);
// pat_ref_read_from_file_smp(): a key, blanks, then the value up to the end of the line.
bool read_map_file(const std::string& path, std::vector<std::pair<std::string, std::string>>& out,
                   std::string& error);

}  // namespace tandem::runtime::proxy::acl
