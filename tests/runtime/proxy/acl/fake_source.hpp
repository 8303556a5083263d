// A sample_source for the ACL engine's tests: a request given as its raw bytes (parsed here,
// names lower-cased as the HTTP layer keeps them), fixed loopback addresses, backends with a
// number of usable servers, variables. The real sessions implement sample_source themselves.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/proxy/acl/condition.hpp"

namespace tandem::runtime::proxy::acl::testing {

inline sockaddr_storage ipv4(const char* ip, std::uint16_t port) {
  sockaddr_storage ss{};
  auto& in = reinterpret_cast<sockaddr_in&>(ss);
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  inet_pton(AF_INET, ip, &in.sin_addr);
  return ss;
}

inline sockaddr_storage ipv6(const char* ip, std::uint16_t port) {
  sockaddr_storage ss{};
  auto& in6 = reinterpret_cast<sockaddr_in6&>(ss);
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &in6.sin6_addr);
  return ss;
}

class fake_source final : public sample_source {
 public:
  fake_source() = default;

  // "GET /p HTTP/1.1\r\nHost: h\r\n\r\nbody": the request head, and every byte as the payload.
  static fake_source http(std::string_view raw) {
    fake_source f;
    f.payload_ = std::string(raw);
    http::request_head head;
    const std::size_t line_end = raw.find("\r\n");
    const std::string_view line = raw.substr(0, line_end);
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = line.rfind(' ');
    head.method_ = std::string(line.substr(0, sp1));
    head.target_ = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
    head.version_minor_ = line.ends_with("1.0") ? 0 : 1;
    std::size_t at = line_end == std::string_view::npos ? raw.size() : line_end + 2;
    while (at < raw.size()) {
      const std::size_t end = raw.find("\r\n", at);
      const std::string_view h = raw.substr(at, end - at);
      if (h.empty()) {
        break;
      }
      const std::size_t colon = h.find(':');
      std::string name(h.substr(0, colon));
      for (char& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      std::string_view value = h.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
      }
      head.headers_.push_back({std::move(name), std::string(value)});
      if (end == std::string_view::npos) {
        break;
      }
      at = end + 2;
    }
    f.request_ = std::move(head);
    return f;
  }

  // Mode tcp: only the payload.
  static fake_source tcp(std::string payload) {
    fake_source f;
    f.payload_ = std::move(payload);
    return f;
  }

  const http::request_head* request() const override { return request_ ? &*request_ : nullptr; }
  const http::response_head* response() const override { return response_ ? &*response_ : nullptr; }
  const sockaddr_storage& source() const override { return source_; }
  const sockaddr_storage& destination() const override { return destination_; }
  bool ssl() const override { return ssl_; }
  std::string_view ssl_sni() const override { return sni_; }
  int usable_servers(std::string_view backend) const override {
    const auto it = servers_.find(std::string(backend));
    return it == servers_.end() ? -1 : it->second;
  }
  std::string_view backend_name() const override { return backend_; }
  std::string_view frontend_name() const override { return frontend_; }
  std::string_view tcp_payload() const override { return payload_; }
  std::optional<std::string> variable(std::string_view name) const override {
    const auto it = variables_.find(std::string(name));
    if (it == variables_.end()) {
      return std::nullopt;
    }
    return it->second;
  }

  std::optional<http::request_head> request_;
  std::optional<http::response_head> response_;
  sockaddr_storage source_ = ipv4("127.0.0.1", 40000);
  sockaddr_storage destination_ = ipv4("127.0.0.1", 8080);
  bool ssl_ = false;
  std::string sni_;
  std::map<std::string, int> servers_ = {{"bk_down", 0}, {"bk_up", 1}};
  std::string backend_ = "bk_up";
  std::string frontend_ = "fe";
  std::string payload_;
  std::map<std::string, std::string> variables_;
};

// Words of a config line as the reader gives them: split at blanks, a "quoted" word unquoted.
inline std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string w;
  while (in >> w) {
    if (w.size() >= 2 && w.front() == '"' && w.back() == '"') {
      w = w.substr(1, w.size() - 2);
    }
    out.push_back(w);
  }
  return out;
}

// A directory of pattern and map files, removed with the object.
class temp_dir {
 public:
  temp_dir() {
    std::string templ = (std::filesystem::temp_directory_path() / "tandem-acl-XXXXXX").string();
    if (mkdtemp(templ.data()) != nullptr) {
      path_ = templ;
    }
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  std::string write(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace tandem::runtime::proxy::acl::testing
