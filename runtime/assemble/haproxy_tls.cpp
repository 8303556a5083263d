// See haproxy_tls.hpp.
#include "runtime/assemble/haproxy_tls.hpp"

#include <charconv>
#include <optional>

#include "runtime/proxy/acl/condition.hpp"

namespace tandem::runtime::assemble {

namespace model = parsers::haproxy;
namespace tls = proxy::tls;

namespace {

void error(std::vector<problem>& problems, const parsers::source_position& at, std::string m) {
  problems.push_back({at, std::move(m), true});
}
void warning(std::vector<problem>& problems, const parsers::source_position& at, std::string m) {
  problems.push_back({at, std::move(m), false});
}

std::string based(const std::string& base, const std::string& path) {
  if (base.empty() || path.empty() || path.starts_with('/') || path.starts_with('@')) return path;
  return base.ends_with('/') ? base + path : base + "/" + path;
}

// Options that HAProxy 2.6 accepts and Tandem leaves out: said once per line, never silent.
bool ignored_option(std::string_view name) {
  static constexpr std::string_view names[] = {
      "npn",           "allow-0rtt",    "ecdhe",          "tls-ticket-keys",
      "ca-ignore-err", "crt-ignore-err", "ca-sign-file",  "ca-sign-pass",
      "sigalgs",       "client-sigalgs", "ocsp-update",   "ca-verify-file",
      "no-alpn",       "ssl-reuse",      "no-ssl-reuse",  "tls-tickets",
      "generate-certificates"};
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

// `ssl-default-bind-options` / `ssl-default-server-options`: flags, and ssl-min-ver /
// ssl-max-ver with their value.
void read_default_options(const model::words_at& w, tls::ssl_options& out, bool* strict_sni,
                          std::vector<problem>& problems) {
  for (std::size_t i = 1; i < w.words_.size(); ++i) {
    const std::string& name = w.words_[i];
    std::string value;
    if ((name == "ssl-min-ver" || name == "ssl-max-ver") && i + 1 < w.words_.size()) {
      value = w.words_[++i];
    }
    if (name == "strict-sni" && strict_sni != nullptr) {
      *strict_sni = true;
      continue;
    }
    std::string bad;
    if (!tls::read_option(name, value, out, bad)) {
      error(problems, w.position_, "'" + w.words_[0] + "' : unknown option '" + name + "'");
    } else if (!bad.empty()) {
      error(problems, w.position_, "'" + w.words_[0] + "' : " + bad);
    }
  }
}

}  // namespace

tls_defaults tls_defaults_of(const model::config_model& m, std::vector<problem>& problems) {
  tls_defaults d;
  d.crt_base_ = m.global_.crt_base_;
  d.ca_base_ = m.global_.ca_base_;
  for (const model::words_at& w : m.global_.other_) {
    if (w.words_.size() < 2) continue;
    const std::string& k = w.words_[0];
    const std::string& v = w.words_[1];
    if (k == "ssl-default-bind-ciphers") d.bind_.ciphers_ = v;
    else if (k == "ssl-default-bind-ciphersuites") d.bind_.ciphersuites_ = v;
    else if (k == "ssl-default-bind-curves") d.bind_.curves_ = v;
    else if (k == "ssl-default-bind-options")
      read_default_options(w, d.bind_, &d.bind_strict_sni_, problems);
    else if (k == "ssl-default-server-ciphers") d.server_.ciphers_ = v;
    else if (k == "ssl-default-server-ciphersuites") d.server_.ciphersuites_ = v;
    else if (k == "ssl-default-server-curves") d.server_.curves_ = v;
    else if (k == "ssl-default-server-options")
      read_default_options(w, d.server_, nullptr, problems);
    else if (k == "ssl-server-verify") {
      if (v == "none") d.server_.verify_ = tls::verify_mode::none;
      else if (v == "required") d.server_.verify_ = tls::verify_mode::required;
      else error(problems, w.position_, "'ssl-server-verify' : expects 'none' or 'required'");
    } else if (k == "ssl-dh-param-file" || k == "ssl-engine" || k == "ssl-mode-async" ||
               k == "ssl-load-extra-files" || k == "ssl-provider") {
      warning(problems, w.position_, "'" + k + "' is ignored by Tandem (OpenSSL's defaults)");
    }
  }
  if (const auto it = m.global_.tune_.find("tune.ssl.default-dh-param");
      it != m.global_.tune_.end()) {
    std::from_chars(it->second.data(), it->second.data() + it->second.size(), d.dh_param_bits_);
  }
  return d;
}

std::shared_ptr<const tls::server_context> bind_tls(const model::proxy& p, const model::bind& b,
                                                    const tls_defaults& d,
                                                    std::vector<problem>& problems) {
  if (!b.ssl_) return nullptr;
  // HAProxy's way of naming the line in its messages.
  const std::string where =
      "'bind " + (b.addresses_.empty() ? std::string() : b.addresses_[0].text_) +
      "' in section '" +
      (p.capabilities_ == model::cap_listen ? "listen" : "frontend") + "' : ";
  tls::bind_settings s;
  s.base_ = d.crt_base_;
  s.strict_sni_ = d.bind_strict_sni_;
  s.http1_only_ = p.mode_ == model::proxy_mode::http;
  s.dh_param_bits_ = d.dh_param_bits_;
  tls::ssl_options own;
  std::vector<std::string> ignored;
  bool ok = true;
  for (const auto& [name, value] : b.options_) {
    if (name == "crt" || name == "crt-list") {
      s.certificates_.push_back({based(d.crt_base_, value), name == "crt-list"});
    } else if (name == "strict-sni") {
      s.strict_sni_ = true;
    } else if (name == "no-strict-sni") {
      s.strict_sni_ = false;
    } else if (ignored_option(name)) {
      ignored.push_back(name);
    } else {
      const std::string v = name == "ca-file" || name == "crl-file" ? based(d.ca_base_, value)
                                                                    : value;
      std::string bad;
      if (tls::read_option(name, v, own, bad) && !bad.empty()) {
        error(problems, b.position_, where + bad);
        ok = false;
      }
    }
  }
  for (const std::string& name : ignored) {
    warning(problems, b.position_,
            where + "'" + name + "' is ignored by Tandem" +
                (name == "npn" ? " (NPN is not offered; ALPN is)" : ""));
  }
  if (!ok) return nullptr;
  s.options_ = tls::merge(d.bind_, own);
  if (s.certificates_.empty()) {
    error(problems, b.position_,
          "Proxy '" + p.name_ + "': no SSL certificate specified for bind '" +
              (b.addresses_.empty() ? std::string() : b.addresses_[0].text_) + "' (use 'crt').");
    return nullptr;
  }
  std::string why;
  std::vector<std::string> warnings;
  std::shared_ptr<const tls::server_context> ctx = tls::server_context::build(s, why, warnings);
  for (const std::string& w : warnings) warning(problems, b.position_, where + w);
  if (!ctx) error(problems, b.position_, where + why);
  return ctx;
}

bool server_tls(const model::proxy& p, const model::server& ms,
                const std::vector<std::pair<std::string, std::string>>& options,
                const tls_defaults& d, std::vector<problem>& problems, proxy::server& out) {
  bool on = false;
  for (const auto& [name, value] : options) {
    if (name == "ssl") on = true;
    else if (name == "no-ssl") on = false;
  }
  if (!on) return true;
  const std::string where = "'server " + p.name_ + "/" + ms.name_ + "' : ";
  tls::client_settings s;
  tls::ssl_options own;
  bool ok = true;
  for (const auto& [name, value] : options) {
    if (name == "sni") {
      std::string why;
      std::unique_ptr<proxy::acl::sample_expression> e =
          proxy::acl::compile_sample(value, why);
      if (!e) {
        error(problems, ms.position_, where + "'sni' : " + why);
        ok = false;
      }
      out.tls_sni_ = std::move(e);
    } else if (name == "crt") {
      s.certificate_ = based(d.crt_base_, value);
    } else if (name == "verifyhost") {
      s.verify_host_ = value;
    } else if (name == "no-verifyhost") {
      s.verify_host_.clear();
    } else if (name == "npn") {
      warning(problems, ms.position_, where + "'npn' is ignored by Tandem");
    } else {
      const std::string v = name == "ca-file" || name == "crl-file" ? based(d.ca_base_, value)
                                                                    : value;
      std::string bad;
      if (tls::read_option(name, v, own, bad) && !bad.empty()) {
        error(problems, ms.position_, where + bad);
        ok = false;
      }
    }
  }
  if (!ok) return false;
  s.options_ = tls::merge(d.server_, own);
  std::string why;
  out.tls_ = tls::client_context::build(s, why);
  if (!out.tls_) {
    error(problems, ms.position_, where + why);
    return false;
  }
  return true;
}

void check_tls(const model::proxy& p, const model::server& ms,
               const std::vector<std::pair<std::string, std::string>>& options,
               const proxy::server& runtime_server, const tls_defaults& d,
               std::vector<problem>& problems, checks::check_spec& spec) {
  std::optional<bool> forced;
  bool elsewhere = false;
  for (const auto& [name, value] : options) {
    if (name == "check-ssl") forced = true;
    else if (name == "no-check-ssl") forced = false;
    else if (name == "port" || name == "addr") elsewhere = true;
    else if (name == "check-sni") spec.tls_sni_ = value;
  }
  const bool use = forced.value_or(runtime_server.tls_ != nullptr && !elsewhere);
  if (!use) return;
  if (runtime_server.tls_ != nullptr) {
    spec.tls_ = runtime_server.tls_;
    return;
  }
  // check-ssl on a server without ssl: a context of its options, as if it had `ssl`.
  std::vector<std::pair<std::string, std::string>> with_ssl = options;
  with_ssl.emplace_back("ssl", "");
  proxy::server scratch;
  if (server_tls(p, ms, with_ssl, d, problems, scratch)) spec.tls_ = scratch.tls_;
}

std::vector<problem> check_haproxy_tls(const model::config_model& m) {
  std::vector<problem> problems;
  const tls_defaults d = tls_defaults_of(m, problems);
  for (const model::proxy& p : m.proxies_) {
    if (p.disabled_) continue;
    if ((p.capabilities_ & model::cap_frontend) != 0) {
      for (const model::bind& b : p.binds_) bind_tls(p, b, d, problems);
    }
    if ((p.capabilities_ & model::cap_backend) != 0) {
      for (const model::server& s : p.servers_) {
        std::vector<std::pair<std::string, std::string>> options = p.default_server_;
        options.insert(options.end(), s.options_.begin(), s.options_.end());
        proxy::server scratch;
        server_tls(p, s, options, d, problems, scratch);
      }
    }
  }
  return problems;
}

}  // namespace tandem::runtime::assemble
