// TLS contexts with Debian's OpenSSL 3, as HAProxy 2.6 builds them: the server side of a
// `bind … ssl` line (crt FILE|DIR, crt-list, SNI choosing the certificate, ciphers, ALPN,
// client certificates, protocol bounds) and the client side of a `server … ssl` line. Built
// once by runtime/assemble from plain settings (no configuration types here); used by any
// thread afterwards, read-only. Errors come back as HAProxy's words, without a position (the
// caller knows the line).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using SSL = struct ssl_st;

namespace tandem::runtime::proxy::tls {

enum class verify_mode : std::uint8_t { none, optional, required };

// Protocol versions as HAProxy names them ("SSLv3", "TLSv1.0" … "TLSv1.3").
enum class version : std::uint8_t { sslv3, tlsv10, tlsv11, tlsv12, tlsv13 };
std::optional<version> version_named(std::string_view name);

// What a bind line, a crt-list line, a server line or the ssl-default-* settings may say;
// unset fields take the less specific level's value (see merge()).
struct ssl_options {
  std::optional<std::string> ciphers_;
  std::optional<std::string> ciphersuites_;
  std::optional<std::string> curves_;
  std::optional<std::vector<std::string>> alpn_;  // protocol names in preference order
  std::optional<verify_mode> verify_;
  std::optional<std::string> ca_file_;
  std::optional<std::string> crl_file_;
  std::optional<version> min_;  // ssl-min-ver / force-*
  std::optional<version> max_;  // ssl-max-ver / force-*
  unsigned disabled_ = 0;       // bits (1 << version) of no-sslv3, no-tlsv10 …
  bool no_tls_tickets_ = false;
  bool prefer_client_ciphers_ = false;
  bool no_ca_names_ = false;
};

// `more` over `base`: every field `more` sets wins; flags are OR'ed.
ssl_options merge(const ssl_options& base, const ssl_options& more);

// Reads one option ("no-sslv3", "ssl-min-ver", "ciphers" …) with its value ("" for a flag)
// into `out`; false when the name is not a TLS option this library knows (the caller decides
// whether that is an error). `error` is set when the value is wrong.
bool read_option(std::string_view name, std::string_view value, ssl_options& out,
                 std::string& error);

// One `crt-list` line: "cert [ssl-options] [[!]sni-filter …]".
struct crt_list_entry {
  std::string certificate_;
  std::vector<std::pair<std::string, std::string>> options_;  // inside [ ], in order
  std::vector<std::string> filters_;                          // SNI filters, "!" kept
  unsigned line_ = 0;
};
// Parses a crt-list file's text; false with `error` set (HAProxy's words, with the line).
bool parse_crt_list(std::string_view text, std::vector<crt_list_entry>& out, std::string& error);

// Where a bind line's certificates come from, in order: `crt PATH` (a file or a directory) or
// `crt-list FILE`. Paths are complete (crt-base already applied).
struct certificate_source {
  std::string path_;
  bool list_ = false;
};

struct bind_settings {
  std::vector<certificate_source> certificates_;
  ssl_options options_;  // the bind line's options over ssl-default-bind-*
  bool strict_sni_ = false;
  // Mode http: Tandem speaks HTTP/1.1 only, so "h2" is never chosen by ALPN (HAProxy would).
  bool http1_only_ = false;
  unsigned dh_param_bits_ = 0;  // tune.ssl.default-dh-param (0: OpenSSL's automatic choice)
  std::string base_;            // crt-base, for relative names in a crt-list
};

// The certificates of one `bind … ssl` line, with the SNI index HAProxy keeps: names from the
// certificate's CN and DNS SANs (or the crt-list line's filters), exact before wildcard
// ("*.example.com" covers one label), the first loaded certificate as the default for clients
// without SNI or with a name no certificate has (refused with strict-sni).
class server_context {
 public:
  ~server_context();
  server_context(const server_context&) = delete;
  server_context& operator=(const server_context&) = delete;

  // nullptr with `error` set when a certificate or a file cannot be loaded.
  static std::shared_ptr<server_context> build(const bind_settings& settings, std::string& error,
                                               std::vector<std::string>& warnings);

  // A new TLS session for an accepted connection (accept state; the caller owns it).
  SSL* new_session() const;

  // For tests and messages: the file whose certificate a client sending `sni` gets ("" when
  // strict-sni refuses it); `sni` empty: no SNI.
  std::string certificate_for(std::string_view sni) const;
  std::size_t certificate_count() const;

  struct impl;

 private:
  explicit server_context(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

struct client_settings {
  ssl_options options_;  // the server line's options over ssl-default-server-*
  std::string certificate_;  // crt: a client certificate (PEM with its key), "" for none
  std::string verify_host_;  // verifyhost
};

// The client side of TLS connections to one server.
class client_context {
 public:
  ~client_context();
  client_context(const client_context&) = delete;
  client_context& operator=(const client_context&) = delete;

  static std::shared_ptr<client_context> build(const client_settings& settings,
                                               std::string& error);
  // A new TLS session (connect state) sending `sni` ("" for none); with verify required, the
  // certificate must name verifyhost, else the SNI when there is one.
  SSL* new_session(std::string_view sni) const;

  struct impl;

 private:
  explicit client_context(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

// What the fetches read of an established session.
std::string_view session_sni(const SSL* ssl);       // ssl_fc_sni
std::string_view session_protocol(const SSL* ssl);  // ssl_fc_protocol: "TLSv1.3"
std::string_view session_cipher(const SSL* ssl);    // ssl_fc_cipher
std::string_view session_alpn(const SSL* ssl);      // ssl_fc_alpn
bool session_has_peer_certificate(const SSL* ssl);  // ssl_c_used

// The first error of OpenSSL's queue as text (and the queue emptied).
std::string last_error();

}  // namespace tandem::runtime::proxy::tls
