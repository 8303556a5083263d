// See context.hpp.
#include "runtime/proxy/tls/context.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace tandem::runtime::proxy::tls {

namespace {

struct ctx_free {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using ctx_ptr = std::unique_ptr<SSL_CTX, ctx_free>;
struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
using x509_ptr = std::unique_ptr<X509, x509_free>;
struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
struct bio_free {
  void operator()(BIO* b) const { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_free>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int openssl_version(version v) {
  switch (v) {
    case version::sslv3: return SSL3_VERSION;
    case version::tlsv10: return TLS1_VERSION;
    case version::tlsv11: return TLS1_1_VERSION;
    case version::tlsv12: return TLS1_2_VERSION;
    case version::tlsv13: return TLS1_3_VERSION;
  }
  return 0;
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    if (comma != 0) out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

// ALPN's wire form: each name preceded by its length.
std::string alpn_wire(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (n.empty() || n.size() > 255) continue;
    out += static_cast<char>(n.size());
    out += n;
  }
  return out;
}

// The effective bounds: HAProxy's default floor is TLSv1.2 (since 2.2); no-* flags cut the
// range from the ends as HAProxy's ssl_set_*_version does.
std::pair<int, int> bounds_of(const ssl_options& o) {
  int lo = static_cast<int>(o.min_.value_or(version::tlsv12));
  int hi = static_cast<int>(o.max_.value_or(version::tlsv13));
  while (lo <= hi && (o.disabled_ & (1u << lo)) != 0) ++lo;
  while (hi >= lo && (o.disabled_ & (1u << hi)) != 0) --hi;
  if (lo > hi) return {0, -1};
  return {openssl_version(static_cast<version>(lo)), openssl_version(static_cast<version>(hi))};
}

bool file_exists(const std::string& path, std::string& why) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  return true;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A certificate file as HAProxy 2.6 loads it: the first certificate, the rest of the file as
// its chain, the private key from the file or else from FILE.key beside it.
struct loaded_certificate {
  x509_ptr leaf_;
  std::vector<x509_ptr> chain_;
  pkey_ptr key_;
};

bool load_pem(const std::string& path, loaded_certificate& out, std::string& error) {
  std::string why;
  if (!file_exists(path, why)) {
    error = "unable to stat SSL certificate from file '" + path + "' : " + why + ".";
    return false;
  }
  bio_ptr in(BIO_new_file(path.c_str(), "r"));
  if (!in) {
    error = "unable to load certificate from file '" + path + "'.";
    ERR_clear_error();
    return false;
  }
  out.leaf_.reset(PEM_read_bio_X509_AUX(in.get(), nullptr, nullptr, nullptr));
  if (!out.leaf_) {
    error = "unable to load certificate from file '" + path + "'.";
    ERR_clear_error();
    return false;
  }
  while (X509* more = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
    out.chain_.emplace_back(more);
  }
  ERR_clear_error();
  bio_ptr again(BIO_new_file(path.c_str(), "r"));
  if (again) out.key_.reset(PEM_read_bio_PrivateKey(again.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!out.key_) {
    const std::string key_path = path + ".key";
    bio_ptr key_in(BIO_new_file(key_path.c_str(), "r"));
    if (key_in) out.key_.reset(PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
    ERR_clear_error();
    if (!out.key_) {
      error = "No Private Key found in '" + key_path + "'.";
      return false;
    }
  }
  if (X509_check_private_key(out.leaf_.get(), out.key_.get()) != 1) {
    ERR_clear_error();
    error = "inconsistencies between private key and certificate loaded '" + path + "'.";
    return false;
  }
  return true;
}

// The names a certificate answers for: its DNS SANs and CNs, lower-cased.
std::vector<std::string> names_of(X509* x) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr,
                                                            nullptr));
  if (sans != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      if (g->type != GEN_DNS) continue;
      const unsigned char* data = ASN1_STRING_get0_data(g->d.dNSName);
      const int length = ASN1_STRING_length(g->d.dNSName);
      names.push_back(lower(std::string_view(reinterpret_cast<const char*>(data),
                                             static_cast<std::size_t>(length))));
    }
    GENERAL_NAMES_free(sans);
  }
  X509_NAME* subject = X509_get_subject_name(x);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) != -1;) {
    ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length > 0) {
      names.push_back(lower(std::string_view(reinterpret_cast<char*>(utf8),
                                             static_cast<std::size_t>(length))));
    }
    OPENSSL_free(utf8);
  }
  return names;
}

int alpn_select(SSL*, const unsigned char** out, unsigned char* out_length,
                const unsigned char* in, unsigned in_length, void* arg) {
  const auto* ours = static_cast<const std::string*>(arg);
  if (ours == nullptr || ours->empty()) return SSL_TLSEXT_ERR_NOACK;
  unsigned char* chosen = nullptr;
  // Our order wins, as HAProxy's ssl_sock_advertise_alpn_protos; no common protocol: the
  // handshake goes on without ALPN (the client then speaks HTTP/1.1).
  if (SSL_select_next_proto(&chosen, out_length,
                            reinterpret_cast<const unsigned char*>(ours->data()),
                            static_cast<unsigned>(ours->size()), in,
                            in_length) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// OpenSSL writes to the socket with write(2), not send(MSG_NOSIGNAL) as Asio does: a peer
// that has gone would kill the process with SIGPIPE. HAProxy ignores it for the same reason;
// done when the first context is built, before the threads start.
void ignore_sigpipe() {
  static const bool done = [] {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    return ::sigaction(SIGPIPE, &ignore, nullptr) == 0;
  }();
  (void)done;
}

// Options every context gets.
void common_setup(SSL_CTX* ctx) {
  ignore_sigpipe();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                               SSL_OP_NO_RENEGOTIATION);
  // Writes are retried with the same bytes at another address (the caller's buffer may move
  // between tries); partial writes let a large write progress record by record.
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_RELEASE_BUFFERS);
}

bool apply_common(SSL_CTX* ctx, const ssl_options& o, bool server, std::string& error) {
  const auto [lo, hi] = bounds_of(o);
  if (hi < 0) {
    error = "all SSL/TLS versions are disabled";
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx, lo);
  SSL_CTX_set_max_proto_version(ctx, hi);
  if (o.ciphers_ && SSL_CTX_set_cipher_list(ctx, o.ciphers_->c_str()) != 1) {
    ERR_clear_error();
    error = "unable to set SSL cipher list to '" + *o.ciphers_ + "'";
    return false;
  }
  if (o.ciphersuites_ && SSL_CTX_set_ciphersuites(ctx, o.ciphersuites_->c_str()) != 1) {
    ERR_clear_error();
    error = "unable to set TLS 1.3 cipher suites to '" + *o.ciphersuites_ + "'";
    return false;
  }
  if (o.curves_ && SSL_CTX_set1_curves_list(ctx, o.curves_->c_str()) != 1) {
    ERR_clear_error();
    error = "unable to set SSL curves list to '" + *o.curves_ + "'";
    return false;
  }
  if (o.no_tls_tickets_) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  if (server && !o.prefer_client_ciphers_) {
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  if (o.ca_file_) {
    const std::string& ca = *o.ca_file_;
    const bool system = ca == "@system-ca";
    const int ok = system ? SSL_CTX_set_default_verify_paths(ctx)
                          : SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr);
    if (ok != 1) {
      ERR_clear_error();
      std::string why;
      error = file_exists(ca, why) ? "unable to load CA file '" + ca + "'"
                                   : "Couldn't open the ca-file '" + ca + "' (" + why + ")";
      return false;
    }
    if (server && !system && !o.no_ca_names_) {
      SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(ca.c_str()));
      ERR_clear_error();
    }
  }
  if (o.crl_file_) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
    if (lookup == nullptr ||
        X509_load_crl_file(lookup, o.crl_file_->c_str(), X509_FILETYPE_PEM) <= 0) {
      ERR_clear_error();
      error = "unable to configure CRL file '" + *o.crl_file_ + "'";
      return false;
    }
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }
  return true;
}

}  // namespace

std::optional<version> version_named(std::string_view name) {
  if (name == "SSLv3") return version::sslv3;
  if (name == "TLSv1.0") return version::tlsv10;
  if (name == "TLSv1.1") return version::tlsv11;
  if (name == "TLSv1.2") return version::tlsv12;
  if (name == "TLSv1.3") return version::tlsv13;
  return std::nullopt;
}

ssl_options merge(const ssl_options& base, const ssl_options& more) {
  ssl_options out = base;
  if (more.ciphers_) out.ciphers_ = more.ciphers_;
  if (more.ciphersuites_) out.ciphersuites_ = more.ciphersuites_;
  if (more.curves_) out.curves_ = more.curves_;
  if (more.alpn_) out.alpn_ = more.alpn_;
  if (more.verify_) out.verify_ = more.verify_;
  if (more.ca_file_) out.ca_file_ = more.ca_file_;
  if (more.crl_file_) out.crl_file_ = more.crl_file_;
  if (more.min_) out.min_ = more.min_;
  if (more.max_) out.max_ = more.max_;
  out.disabled_ |= more.disabled_;
  out.no_tls_tickets_ = out.no_tls_tickets_ || more.no_tls_tickets_;
  out.prefer_client_ciphers_ = out.prefer_client_ciphers_ || more.prefer_client_ciphers_;
  out.no_ca_names_ = out.no_ca_names_ || more.no_ca_names_;
  return out;
}

bool read_option(std::string_view name, std::string_view value, ssl_options& out,
                 std::string& error) {
  static constexpr std::pair<std::string_view, version> versions[] = {
      {"sslv3", version::sslv3},   {"tlsv10", version::tlsv10}, {"tlsv11", version::tlsv11},
      {"tlsv12", version::tlsv12}, {"tlsv13", version::tlsv13}};
  for (const auto& [suffix, v] : versions) {
    if (name.starts_with("no-") && name.substr(3) == suffix) {
      out.disabled_ |= 1u << static_cast<unsigned>(v);
      return true;
    }
    if (name.starts_with("force-") && name.substr(6) == suffix) {
      out.min_ = v;
      out.max_ = v;
      return true;
    }
  }
  if (name == "ssl-min-ver" || name == "ssl-max-ver") {
    const std::optional<version> v = version_named(value);
    if (!v) {
      error = "'" + std::string(name) +
              "' : unknown ssl/tls version string '" + std::string(value) + "'";
      return true;
    }
    (name == "ssl-min-ver" ? out.min_ : out.max_) = v;
  } else if (name == "ciphers") {
    out.ciphers_ = std::string(value);
  } else if (name == "ciphersuites") {
    out.ciphersuites_ = std::string(value);
  } else if (name == "curves") {
    out.curves_ = std::string(value);
  } else if (name == "alpn") {
    out.alpn_ = split_commas(value);
  } else if (name == "verify") {
    if (value == "none") out.verify_ = verify_mode::none;
    else if (value == "optional") out.verify_ = verify_mode::optional;
    else if (value == "required") out.verify_ = verify_mode::required;
    else error = "'verify' : unknown verify method '" + std::string(value) +
                 "', only 'none', 'optional', and 'required' are supported";
  } else if (name == "ca-file") {
    out.ca_file_ = std::string(value);
  } else if (name == "crl-file") {
    out.crl_file_ = std::string(value);
  } else if (name == "no-tls-tickets") {
    out.no_tls_tickets_ = true;
  } else if (name == "prefer-client-ciphers") {
    out.prefer_client_ciphers_ = true;
  } else if (name == "no-ca-names") {
    out.no_ca_names_ = true;
  } else {
    return false;
  }
  return true;
}

bool parse_crt_list(std::string_view text, std::vector<crt_list_entry>& out, std::string& error) {
  unsigned number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    std::vector<std::string> words;
    std::istringstream in{std::string(line)};
    for (std::string w; in >> w;) words.push_back(w);
    if (words.empty()) continue;
    crt_list_entry e;
    e.line_ = number;
    e.certificate_ = words[0];
    std::size_t i = 1;
    if (i < words.size() && words[i].starts_with('[')) {
      // "[a b c]", "[ a b ]": the options end at the word that ends with ']'.
      std::vector<std::string> inside;
      bool closed = false;
      for (; i < words.size() && !closed; ++i) {
        std::string w = words[i];
        if (w.starts_with('[')) w.erase(0, 1);
        if (w.ends_with(']')) {
          w.pop_back();
          closed = true;
        }
        if (!w.empty()) inside.push_back(w);
      }
      if (!closed) {
        error = "parsing [line " + std::to_string(number) + "]: missing ']' in the crt-list";
        return false;
      }
      static constexpr std::string_view flags[] = {"allow-0rtt", "no-ca-names", "no-sslv3",
                                                   "no-tlsv10", "no-tlsv11", "no-tlsv12",
                                                   "no-tlsv13", "no-tls-tickets",
                                                   "prefer-client-ciphers", "ssl", "strict-sni"};
      for (std::size_t k = 0; k < inside.size(); ++k) {
        const bool flag = std::find(std::begin(flags), std::end(flags), inside[k]) !=
                          std::end(flags);
        if (flag) {
          e.options_.emplace_back(inside[k], "");
        } else if (k + 1 < inside.size()) {
          e.options_.emplace_back(inside[k], inside[k + 1]);
          ++k;
        } else {
          error = "parsing [line " + std::to_string(number) + "]: '" + inside[k] +
                  "' expects an argument";
          return false;
        }
      }
    }
    for (; i < words.size(); ++i) e.filters_.push_back(lower(words[i]));
    out.push_back(std::move(e));
  }
  return true;
}

// --- Server side -----------------------------------------------------------------------------

struct server_context::impl {
  struct entry {
    ctx_ptr ctx_;
    std::string file_;
    ssl_options options_;
    std::string alpn_;  // wire form, what alpn_select offers
    std::vector<std::string> excluded_;  // "!name" filters of a crt-list line
  };
  std::vector<entry> entries_;
  // Name -> entries, in load order; wildcard names are kept without their "*.".
  std::unordered_map<std::string, std::vector<std::size_t>> exact_;
  std::unordered_map<std::string, std::vector<std::size_t>> wildcard_;
  bool strict_sni_ = false;

  // The entry for `name` (lower-case), or -1: none (the default, or a refusal with strict-sni).
  long find(std::string_view name) const {
    auto usable = [&](std::size_t i) {
      const auto& ex = entries_[i].excluded_;
      return std::find(ex.begin(), ex.end(), name) == ex.end();
    };
    if (const auto it = exact_.find(std::string(name)); it != exact_.end()) {
      for (std::size_t i : it->second) {
        if (usable(i)) return static_cast<long>(i);
      }
    }
    const std::size_t dot = name.find('.');
    if (dot != std::string_view::npos) {
      if (const auto it = wildcard_.find(std::string(name.substr(dot + 1)));
          it != wildcard_.end()) {
        for (std::size_t i : it->second) {
          if (usable(i)) return static_cast<long>(i);
        }
      }
    }
    return -1;
  }

  // The server_name of a ClientHello ("" when there is none).
  static std::string hello_name(SSL* ssl) {
    const unsigned char* p = nullptr;
    std::size_t n = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n) != 1 || n < 5) {
      return {};
    }
    const std::size_t list = (std::size_t{p[0]} << 8) | p[1];
    if (list + 2 > n || p[2] != TLSEXT_NAMETYPE_host_name) return {};
    const std::size_t length = (std::size_t{p[3]} << 8) | p[4];
    if (length + 5 > n) return {};
    return lower(std::string_view(reinterpret_cast<const char*>(p + 5), length));
  }

  // Moves the session to the entry's context, with that entry's own settings (a crt-list line
  // may have its own verify, ciphers and bounds).
  static void switch_to(SSL* ssl, const entry& e) {
    SSL_set_SSL_CTX(ssl, e.ctx_.get());
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(e.ctx_.get()), nullptr);
    SSL_clear_options(ssl, SSL_get_options(ssl));
    SSL_set_options(ssl, SSL_CTX_get_options(e.ctx_.get()));
    SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(e.ctx_.get()));
    SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(e.ctx_.get()));
    if (e.options_.ciphers_) SSL_set_cipher_list(ssl, e.options_.ciphers_->c_str());
    if (e.options_.ciphersuites_) SSL_set_ciphersuites(ssl, e.options_.ciphersuites_->c_str());
    if (STACK_OF(X509_NAME)* cas = SSL_CTX_get_client_CA_list(e.ctx_.get())) {
      SSL_set_client_CA_list(ssl, SSL_dup_CA_list(cas));
    }
    ERR_clear_error();
  }

  static int on_hello(SSL* ssl, int* alert, void* arg) {
    const auto* self = static_cast<const impl*>(arg);
    const std::string name = hello_name(ssl);
    const long found = name.empty() ? -1 : self->find(name);
    if (found < 0) {
      if (self->strict_sni_) {
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_CLIENT_HELLO_ERROR;
      }
      return SSL_CLIENT_HELLO_SUCCESS;  // the default certificate
    }
    if (found != 0) switch_to(ssl, self->entries_[static_cast<std::size_t>(found)]);
    return SSL_CLIENT_HELLO_SUCCESS;
  }

  bool add(const std::string& file, const ssl_options& o, const bind_settings& s,
           const std::vector<std::string>& filters, std::string& error) {
    loaded_certificate c;
    if (!load_pem(file, c, error)) return false;
    entry e;
    e.file_ = file;
    e.options_ = o;
    e.ctx_.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX* ctx = e.ctx_.get();
    common_setup(ctx);
    if (!apply_common(ctx, o, true, error)) return false;
    if (SSL_CTX_use_certificate(ctx, c.leaf_.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, c.key_.get()) != 1) {
      error = "unable to load SSL certificate into SSL Context '" + file + "' (" + last_error() +
              ").";
      return false;
    }
    for (x509_ptr& x : c.chain_) {
      if (SSL_CTX_add1_chain_cert(ctx, x.get()) != 1) ERR_clear_error();
    }
    // DHE suites use the RFC 7919 group OpenSSL picks for the key's strength (HAProxy's
    // tune.ssl.default-dh-param only sets a floor that 2048-bit keys already meet).
    SSL_CTX_set_dh_auto(ctx, 1);
    const verify_mode v = o.verify_.value_or(verify_mode::none);
    if (v != verify_mode::none) {
      if (!o.ca_file_) {
        error = "verify is enabled but no CA file specified.";
        return false;
      }
      SSL_CTX_set_verify(ctx,
                         SSL_VERIFY_PEER | (v == verify_mode::required
                                                ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                                                : 0),
                         v == verify_mode::optional
                             ? +[](int, X509_STORE_CTX*) { return 1; }
                             : nullptr);
    }
    static const unsigned char id[] = "tandem";
    SSL_CTX_set_session_id_context(ctx, id, sizeof id - 1);
    std::vector<std::string> alpn = o.alpn_.value_or(std::vector<std::string>{});
    if (s.http1_only_) std::erase(alpn, std::string("h2"));
    e.alpn_ = alpn_wire(alpn);
    const std::size_t index = entries_.size();
    std::vector<std::string> names;
    if (filters.empty()) {
      names = names_of(c.leaf_.get());
    } else {
      for (const std::string& f : filters) {
        if (f.starts_with('!')) e.excluded_.push_back(f.substr(1));
        else names.push_back(f);
      }
    }
    for (const std::string& n : names) {
      if (n.starts_with("*.")) wildcard_[n.substr(2)].push_back(index);
      else exact_[n].push_back(index);
    }
    entries_.push_back(std::move(e));
    return true;
  }
};

server_context::server_context(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
server_context::~server_context() = default;

std::shared_ptr<server_context> server_context::build(const bind_settings& settings,
                                                      std::string& error,
                                                      std::vector<std::string>& warnings) {
  auto i = std::make_unique<impl>();
  i->strict_sni_ = settings.strict_sni_;
  for (const certificate_source& src : settings.certificates_) {
    if (!src.list_) {
      if (is_directory(src.path_)) {
        // Every file of the directory in alphabetical order, but hidden ones and the
        // companions HAProxy loads beside a certificate.
        dirent** list = nullptr;
        const int n = ::scandir(src.path_.c_str(), &list, nullptr, alphasort);
        std::vector<std::string> files;
        for (int k = 0; k < n; ++k) {
          const std::string name = list[k]->d_name;
          std::free(list[k]);
          if (name.starts_with('.')) continue;
          bool companion = false;
          for (const char* ext : {".key", ".ocsp", ".issuer", ".sctl"}) {
            if (name.ends_with(ext)) companion = true;
          }
          if (companion) continue;
          std::string path = src.path_;
          if (!path.ends_with('/')) path += '/';
          path += name;
          struct stat st {};
          if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
          files.push_back(std::move(path));
        }
        std::free(list);
        for (const std::string& f : files) {
          if (!i->add(f, settings.options_, settings, {}, error)) return nullptr;
        }
      } else if (!i->add(src.path_, settings.options_, settings, {}, error)) {
        return nullptr;
      }
      continue;
    }
    std::ifstream in(src.path_);
    if (!in) {
      error = "'crt-list' : cannot open file '" + src.path_ + "' : " + std::strerror(errno);
      return nullptr;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::vector<crt_list_entry> entries;
    if (!parse_crt_list(text.str(), entries, error)) {
      error = "'crt-list' : " + error + " of '" + src.path_ + "'";
      return nullptr;
    }
    for (const crt_list_entry& e : entries) {
      ssl_options o;
      for (const auto& [name, value] : e.options_) {
        if (name == "npn" || name == "allow-0rtt" || name == "ecdhe" || name == "sigalgs" ||
            name == "client-sigalgs" || name == "ocsp-update") {
          warnings.push_back("crt-list '" + src.path_ + "' line " + std::to_string(e.line_) +
                             ": '" + name + "' is ignored by Tandem");
          continue;
        }
        std::string bad;
        if (!read_option(name, value, o, bad) || !bad.empty()) {
          error = "'crt-list' : " +
                  (bad.empty() ? "unknown ssl keyword '" + name + "'" : bad) + " on line " +
                  std::to_string(e.line_) + " of '" + src.path_ + "'";
          return nullptr;
        }
      }
      std::string path = e.certificate_;
      if (!path.starts_with('/') && !settings.base_.empty()) path = settings.base_ + "/" + path;
      if (!i->add(path, merge(settings.options_, o), settings, e.filters_, error)) {
        error = "'crt-list' : " + error;
        return nullptr;
      }
    }
  }
  if (i->entries_.empty()) {
    error = "no SSL certificate specified (use 'crt').";
    return nullptr;
  }
  for (impl::entry& e : i->entries_) {
    SSL_CTX_set_alpn_select_cb(e.ctx_.get(), alpn_select, &e.alpn_);
  }
  SSL_CTX_set_client_hello_cb(i->entries_.front().ctx_.get(), &impl::on_hello, i.get());
  return std::shared_ptr<server_context>(new server_context(std::move(i)));
}

SSL* server_context::new_session() const {
  SSL* ssl = SSL_new(impl_->entries_.front().ctx_.get());
  if (ssl != nullptr) SSL_set_accept_state(ssl);
  return ssl;
}

std::string server_context::certificate_for(std::string_view sni) const {
  const long found = sni.empty() ? -1 : impl_->find(lower(sni));
  if (found < 0) return impl_->strict_sni_ ? std::string() : impl_->entries_.front().file_;
  return impl_->entries_[static_cast<std::size_t>(found)].file_;
}

std::size_t server_context::certificate_count() const { return impl_->entries_.size(); }

// --- Client side -----------------------------------------------------------------------------

struct client_context::impl {
  ctx_ptr ctx_;
  bool verify_ = false;
  std::string verify_host_;
  std::string alpn_;
};

client_context::client_context(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
client_context::~client_context() = default;

std::shared_ptr<client_context> client_context::build(const client_settings& settings,
                                                      std::string& error) {
  auto i = std::make_unique<impl>();
  i->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = i->ctx_.get();
  common_setup(ctx);
  if (!apply_common(ctx, settings.options_, false, error)) return nullptr;
  const verify_mode v = settings.options_.verify_.value_or(verify_mode::required);
  i->verify_ = v != verify_mode::none;
  if (i->verify_ && !settings.options_.ca_file_) {
    error = "verify is enabled by default but no CA file specified. If you're running on a LAN "
            "where you're certain to trust the server's certificate, please set an explicit "
            "'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in "
            "the global section to disable server-side verifications by default.";
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, i->verify_ ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!settings.certificate_.empty()) {
    loaded_certificate c;
    if (!load_pem(settings.certificate_, c, error)) return nullptr;
    if (SSL_CTX_use_certificate(ctx, c.leaf_.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, c.key_.get()) != 1) {
      error = "unable to load SSL certificate '" + settings.certificate_ + "' (" + last_error() +
              ").";
      return nullptr;
    }
    for (x509_ptr& x : c.chain_) {
      if (SSL_CTX_add1_chain_cert(ctx, x.get()) != 1) ERR_clear_error();
    }
  }
  i->verify_host_ = settings.verify_host_;
  if (settings.options_.alpn_) i->alpn_ = alpn_wire(*settings.options_.alpn_);
  return std::shared_ptr<client_context>(new client_context(std::move(i)));
}

SSL* client_context::new_session(std::string_view sni) const {
  SSL* ssl = SSL_new(impl_->ctx_.get());
  if (ssl == nullptr) return nullptr;
  SSL_set_connect_state(ssl);
  const std::string name(sni);
  if (!name.empty()) SSL_set_tlsext_host_name(ssl, name.c_str());
  if (impl_->verify_) {
    const std::string& host = impl_->verify_host_.empty() ? name : impl_->verify_host_;
    if (!host.empty()) SSL_set1_host(ssl, host.c_str());
  }
  if (!impl_->alpn_.empty()) {
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(impl_->alpn_.data()),
                        static_cast<unsigned>(impl_->alpn_.size()));
  }
  ERR_clear_error();
  return ssl;
}

// --- Session facts ---------------------------------------------------------------------------

std::string_view session_sni(const SSL* ssl) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

std::string_view session_protocol(const SSL* ssl) { return SSL_get_version(ssl); }

std::string_view session_cipher(const SSL* ssl) {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
  return c == nullptr ? std::string_view() : std::string_view(SSL_CIPHER_get_name(c));
}

std::string_view session_alpn(const SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl, &data, &length);
  return data == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(data), length);
}

bool session_has_peer_certificate(const SSL* ssl) {
  X509* peer = SSL_get1_peer_certificate(ssl);
  const bool has = peer != nullptr;
  X509_free(peer);
  return has;
}

std::string last_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  return text;
}

}  // namespace tandem::runtime::proxy::tls
