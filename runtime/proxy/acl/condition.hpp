// ACLs, conditions and sample expressions at run time: what `acl`, `if`/`unless`, `%[…]` and
// rule arguments mean for one request, with HAProxy 2.6's fetches, converters, matchers,
// flags (-i -m -f -n -u --), predefined ACLs, anonymous `{ … }` ACLs, `or`/`||`/`!`, and
// PCRE2 regexes as HAProxy uses them. Compiled once (assemble), evaluated per request by any
// thread. The session gives the request through `sample_source`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "runtime/proxy/http/message.hpp"

namespace tandem::runtime::proxy::acl {

class userlist_set;

// What fetches read. Implemented by the sessions; every function is cheap.
class sample_source {
 public:
  virtual ~sample_source() = default;
  // The request, nullptr in mode tcp before any HTTP is seen.
  virtual const http::request_head* request() const = 0;
  // The response, for http-response rules; nullptr otherwise.
  virtual const http::response_head* response() const { return nullptr; }
  virtual const sockaddr_storage& source() const = 0;       // src, src_port
  virtual const sockaddr_storage& destination() const = 0;  // dst, dst_port
  virtual bool ssl() const { return false; }                 // ssl_fc
  virtual std::string_view ssl_sni() const { return {}; }    // ssl_fc_sni
  virtual std::string_view ssl_protocol() const { return {}; }  // ssl_fc_protocol
  virtual std::string_view ssl_cipher() const { return {}; }    // ssl_fc_cipher
  virtual std::string_view ssl_alpn() const { return {}; }      // ssl_fc_alpn
  virtual bool ssl_client_certificate() const { return false; }  // ssl_c_used
  // Usable servers of a backend (nbsrv), -1 when there is no such backend.
  virtual int usable_servers(std::string_view backend) const = 0;
  // The current backend's name (be_name) and the frontend's (fe_name).
  virtual std::string_view backend_name() const { return {}; }
  virtual std::string_view frontend_name() const { return {}; }
  // Bytes of the request payload seen so far in mode tcp (req.len, req.payload, req.ssl_hello).
  virtual std::string_view tcp_payload() const { return {}; }
  // Variables (set-var / var()): scope-qualified names "txn.x", "sess.y", "req.z".
  virtual std::optional<std::string> variable(std::string_view name) const {
    (void)name;
    return std::nullopt;
  }
};

// A sample expression: a fetch and its converters ("req.hdr(host),lower").
class sample_expression {
 public:
  virtual ~sample_expression() = default;
  // The sample as text; nullopt when the fetch finds nothing.
  virtual std::optional<std::string> evaluate(const sample_source& s) const = 0;
};

// A condition: `if`/`unless` and what follows, ready to evaluate.
class condition {
 public:
  virtual ~condition() = default;
  virtual bool evaluate(const sample_source& s) const = 0;
};

// One proxy's named ACLs (several `acl` lines with one name are OR'ed, in order).
class acl_set {
 public:
  acl_set();
  ~acl_set();
  acl_set(acl_set&&) noexcept;
  acl_set& operator=(acl_set&&) noexcept;
  // Adds `acl NAME criterion…`: the words after the name (fetch, flags, patterns). False with
  // `error` set when the criterion cannot be compiled (unknown fetch, bad regex, missing -f
  // file). Relative -f and map files are opened from the working directory, as HAProxy does.
  bool add(std::string_view name, std::span<const std::string> criterion, std::string& error);
  // The userlists that http_auth(L) and http_auth_group(L) name in the criteria and conditions
  // compiled against this set from now on; only read while compiling. None: those fetches do
  // not compile ("unable to find userlist").
  void use_userlists(const userlist_set* users);

  struct impl;
  std::unique_ptr<impl> impl_;
};

// Compiles the words of a condition ("if", "host_a", "!is_static", "||", "{", "path_beg",
// "/x", "}") against `acls` (and the predefined ACLs); nullptr with `error` set otherwise.
std::unique_ptr<condition> compile_condition(std::span<const std::string> words,
                                             const acl_set& acls, std::string& error);

// Compiles a sample expression as written inside %[…] or as a rule argument.
std::unique_ptr<sample_expression> compile_sample(std::string_view text, std::string& error,
                                                  const userlist_set* users = nullptr);

// A log-format string ("%[req.hdr(host)]-x", "%ci"): literal parts and sample expressions.
// Only %[…] and literals are needed by rules (set-header, use_backend); log variables (%ci,
// %T…) belong to the logging issue.
class format_string {
 public:
  virtual ~format_string() = default;
  virtual std::string evaluate(const sample_source& s) const = 0;
};
std::unique_ptr<format_string> compile_format(std::string_view text, std::string& error,
                                              const userlist_set* users = nullptr);

}  // namespace tandem::runtime::proxy::acl
