// Internal to runtime/proxy: the sample_source a session offers the ACL engine — the
// connection's addresses, the request and response being handled, and the proxies' state.
#pragma once

#include <cstring>

#include "runtime/proxy/acl/condition.hpp"
#include "runtime/proxy/objects.hpp"

namespace tandem::runtime::proxy {

class session_source final : public acl::sample_source {
 public:
  session_source(const proxy_set& proxies, const frontend& fe) : proxies_(proxies), frontend_(fe) {}

  const http::request_head* request() const override { return request_; }
  const http::response_head* response() const override { return response_; }
  const sockaddr_storage& source() const override { return source_; }
  const sockaddr_storage& destination() const override { return destination_; }
  int usable_servers(std::string_view backend_name) const override {
    const backend* b = proxies_.find_backend(backend_name);
    return b == nullptr ? -1 : b->usable_servers();
  }
  std::string_view backend_name() const override {
    return backend_ == nullptr ? std::string_view() : std::string_view(backend_->name_);
  }
  std::string_view frontend_name() const override { return frontend_.name_; }
  std::string_view tcp_payload() const override { return payload_; }
  bool ssl() const override { return ssl_ != nullptr; }
  std::string_view ssl_sni() const override {
    return ssl_ == nullptr ? std::string_view() : tls::session_sni(ssl_);
  }
  std::string_view ssl_protocol() const override {
    return ssl_ == nullptr ? std::string_view() : tls::session_protocol(ssl_);
  }
  std::string_view ssl_cipher() const override {
    return ssl_ == nullptr ? std::string_view() : tls::session_cipher(ssl_);
  }
  std::string_view ssl_alpn() const override {
    return ssl_ == nullptr ? std::string_view() : tls::session_alpn(ssl_);
  }
  bool ssl_client_certificate() const override {
    return ssl_ != nullptr && tls::session_has_peer_certificate(ssl_);
  }
  std::optional<std::string> variable(std::string_view name) const override {
    for (const auto& [n, v] : variables_) {
      if (n == name) return v;
    }
    return std::nullopt;
  }

  // set-var / unset-var. Names keep their scope ("txn.x", "sess.y", "req.z", "res.z").
  void set_variable(std::string_view name, std::string value) {
    for (auto& [n, v] : variables_) {
      if (n == name) {
        v = std::move(value);
        return;
      }
    }
    variables_.emplace_back(std::string(name), std::move(value));
  }
  void unset_variable(std::string_view name) {
    std::erase_if(variables_, [name](const auto& nv) { return nv.first == name; });
  }
  // A new request: the txn, req and res scopes start empty; sess lasts for the connection.
  void clear_request_variables() {
    if (variables_.empty()) return;
    std::erase_if(variables_, [](const auto& nv) { return !nv.first.starts_with("sess."); });
  }

  void set_addresses(const sockaddr* source, std::size_t source_length,
                     const sockaddr* destination, std::size_t destination_length) {
    std::memcpy(&source_, source, std::min(source_length, sizeof source_));
    std::memcpy(&destination_, destination, std::min(destination_length, sizeof destination_));
  }

  const http::request_head* request_ = nullptr;
  const http::response_head* response_ = nullptr;
  const backend* backend_ = nullptr;
  std::string_view payload_;
  const SSL* ssl_ = nullptr;  // the client connection's TLS session (nullptr: plain)
  // A 1.x `reqallow` matched this request: the later reqallow/reqdeny/reqtarpit lines, of the
  // backend too, are skipped (1.8's TX_CLALLOW). run_request_rules() clears it when it runs a
  // frontend's rules, which is when backend_ is still unset.
  bool legacy_allowed_ = false;
  // Variables of the connection and the current request, in the order they were set (few).
  std::vector<std::pair<std::string, std::string>> variables_;

 private:
  const proxy_set& proxies_;
  const frontend& frontend_;
  sockaddr_storage source_{};
  sockaddr_storage destination_{};
};

}  // namespace tandem::runtime::proxy
