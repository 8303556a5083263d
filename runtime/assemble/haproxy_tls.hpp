// The TLS part of an HAProxy configuration — `bind … ssl` lines become server contexts,
// `server … ssl` lines client contexts — with the global defaults (crt-base, ca-base,
// ssl-default-bind-*, ssl-default-server-*, ssl-server-verify) applied as HAProxy 2.6 applies
// them, and problems reported in its words at the line that asks. Used by assemble, and by
// `haproxy -c`, which loads the certificates as HAProxy's does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "parsers/haproxy/model.hpp"
#include "runtime/assemble/haproxy.hpp"
#include "runtime/checks/spec.hpp"
#include "runtime/proxy/tls/context.hpp"

namespace tandem::runtime::assemble {

struct tls_defaults {
  std::string crt_base_;
  std::string ca_base_;
  proxy::tls::ssl_options bind_;    // ssl-default-bind-ciphers|ciphersuites|curves|options
  proxy::tls::ssl_options server_;  // ssl-default-server-*, ssl-server-verify
  bool bind_strict_sni_ = false;    // strict-sni in ssl-default-bind-options
  unsigned dh_param_bits_ = 0;      // tune.ssl.default-dh-param
};

tls_defaults tls_defaults_of(const parsers::haproxy::config_model& m,
                             std::vector<problem>& problems);

// The server context of a bind line with `ssl` (nullptr without `ssl`, or when it cannot be
// built: then a problem says why).
std::shared_ptr<const proxy::tls::server_context> bind_tls(const parsers::haproxy::proxy& p,
                                                           const parsers::haproxy::bind& b,
                                                           const tls_defaults& d,
                                                           std::vector<problem>& problems);

// A server line's TLS (its options after default-server's): the client context and the `sni`
// expression; nothing without `ssl`. False when a problem was reported.
bool server_tls(const parsers::haproxy::proxy& p, const parsers::haproxy::server& s,
                const std::vector<std::pair<std::string, std::string>>& options,
                const tls_defaults& d, std::vector<problem>& problems, proxy::server& out);

// A checked server's checks over TLS, as HAProxy 2.6 decides: `check-ssl` / `no-check-ssl`
// when given, else the server's own `ssl` when the checks go to its address and port (not
// with `port` or `addr`); `check-sni` is the SNI they send.
void check_tls(const parsers::haproxy::proxy& p, const parsers::haproxy::server& s,
               const std::vector<std::pair<std::string, std::string>>& options,
               const proxy::server& runtime_server, const tls_defaults& d,
               std::vector<problem>& problems, checks::check_spec& spec);

// Every context of the configuration built and dropped: what `haproxy -c` reports about
// certificates, keys, CA files and cipher lists (HAProxy loads them when it checks).
std::vector<problem> check_haproxy_tls(const parsers::haproxy::config_model& m);

}  // namespace tandem::runtime::assemble
