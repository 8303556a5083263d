// Userlists (HAProxy's `userlist` sections) and HTTP Basic credentials, as HAProxy 2.6's
// auth.c and http_fetch.c use them: who passes `http_auth(L)`, which groups
// `http_auth_group(L)` sees, and what `http_auth_user`/`_pass`/`_type` read from the
// Authorization header. Hashed passwords are checked with crypt(3) (libxcrypt's crypt_r), as
// HAProxy does; `insecure-password` ones are compared as they are. Built once by assemble,
// then read by any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tandem::runtime::proxy::acl {

enum class auth_scheme : std::uint8_t { basic, bearer };

// What an Authorization header carries. User and password as C strings: HAProxy reads them up to
// a NUL byte, so "alice:secret\0x" is alice with "secret".
struct credentials {
  auth_scheme scheme_ = auth_scheme::basic;
  std::string user_;      // basic only
  std::string password_;  // basic only
};

// get_http_auth(): one Authorization value ("Basic QWxh…"). The scheme is the text before the
// first space, any case, and may be cut short ("B", "bas" are Basic, "Be" is Bearer; measured on
// 2.6); spaces after it are skipped; Basic needs strict base64 holding "user:password". Nullopt
// for anything else (Digest, bad base64, no colon).
std::optional<credentials> parse_authorization(std::string_view value);

// base64dec(): the length must be a multiple of 4, '=' only as one or two final pads; what
// follows a pad inside the last quantum is dropped. Nullopt when invalid.
std::optional<std::string> decode_base64(std::string_view in);

// crypt(3) of `password` with the algorithm and salt of `hash`, compared with `hash`. False for
// an empty hash and for a setting crypt_r does not know (it answers with a failure token).
bool password_matches(std::string_view password, std::string_view hash);

class userlist {
 public:
  explicit userlist(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  // Building (assemble). False when the name is already there: HAProxy keeps the first.
  bool add_group(std::string_view name);
  // `password` is a crypt(3) hash unless `insecure`; nullopt: a user without password, who
  // never authenticates.
  bool add_user(std::string_view name, std::optional<std::string> password, bool insecure);
  // Puts `user` in `group` (from either side: `user … groups` or `group … users`); false when
  // either is unknown.
  bool join(std::string_view user, std::string_view group);

  bool has_group(std::string_view name) const;
  bool has_user(std::string_view name) const;

  // check_user(): `user` exists and `password` is theirs.
  bool check(std::string_view user, std::string_view password) const;
  // pat_match_auth(): `user` exists and belongs to `group`.
  bool in_group(std::string_view user, std::string_view group) const;

 private:
  struct user {
    std::string name_;
    std::optional<std::string> password_;
    bool insecure_ = false;
    std::vector<std::size_t> groups_;  // indexes in groups_
  };
  const user* find_user(std::string_view name) const;
  std::optional<std::size_t> find_group(std::string_view name) const;

  std::string name_;
  std::vector<std::string> groups_;
  std::vector<user> users_;
};

// Every userlist of a configuration, by name; fetches resolve theirs when compiled.
class userlist_set {
 public:
  // False when a userlist of that name is already there (the first is kept).
  bool add(std::shared_ptr<const userlist> list);
  std::shared_ptr<const userlist> find(std::string_view name) const;
  bool empty() const { return lists_.empty(); }

 private:
  std::vector<std::shared_ptr<const userlist>> lists_;
};

}  // namespace tandem::runtime::proxy::acl
