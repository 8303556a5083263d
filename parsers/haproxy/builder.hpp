// Internal to parsers/haproxy: the state the keyword handlers (keywords.cpp) lower lines into,
// shared with analyse.cpp, which walks the sections and runs the checks afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "parsers/common/diagnostic.hpp"
#include "parsers/haproxy/analyse.hpp"
#include "parsers/haproxy/keywords.hpp"
#include "parsers/haproxy/model.hpp"
#include "parsers/haproxy/references.hpp"
#include "parsers/haproxy/samples.hpp"

namespace tandem::parsers::haproxy {

// A referenced file or host name, checked once everything is read (crt-base applies to crt
// lines above it too).
struct reference {
  std::string value_;
  source_position position_;
  std::string what_;  // "crt", "errorfile", "server 'web1'", …
  bool certificate_ = false;  // relative to crt-base
  bool ca_ = false;           // relative to ca-base
};

class builder {
 public:
  builder(config_model& model, const analysis_options& options)
      : model_(model), options_(options) {}

  config_model& model_;
  const analysis_options& options_;

  scope scope_ = scope::global;
  proxy* proxy_ = nullptr;  // the proxy or defaults section being read
  userlist* userlist_ = nullptr;
  other_section* other_ = nullptr;
  std::string section_keyword_;  // "frontend", "global", …

  // The first rule of the current proxy that ends the request's processing (use_backend,
  // redirect …): a later http-request rule still runs before it, as HAProxy warns.
  std::optional<std::pair<std::string, source_position>> first_switch_;

  // The ACLs declared so far in the current proxy (conditions may only name those).
  acl_names acl_names_;
  // The stick-tables declared so far (a name may hold only one).
  table_names tables_;

  std::vector<reference> files_;
  std::vector<reference> hosts_;

  // The current section's servers by name, and how many of its servers_ are in it (reset when
  // a section opens).
  std::unordered_map<std::string, std::size_t> server_names_;
  std::size_t servers_named_ = 0;

  // p_server()'s "server BACKEND/NAME", kept for its capacity.
  std::string server_label_;

  // read_options()'s working list, kept for its capacity.
  std::vector<std::pair<std::string, std::string>> options_read_;

  // Numbers and times, with HAProxy's units; an error diagnostic names the word.
  bool unsigned_value(const word& w, diagnostics& diags, std::uint32_t& out) const;
  bool time_value(const word& w, diagnostics& diags, milliseconds& out) const;
};

// Parses an address as HAProxy's str2sa_range(); on failure returns nullopt and sets `error`.
// `need_port`: a listening address must have a port (unless unix/abns/fd family).
std::optional<address> parse_address(std::string_view text, bool need_port, bool allow_range,
                                     bool allow_offset, std::string& error);

// A value that looks like a template left unfilled: "10.224.155.xx", "192.168.122.XXX",
// "<pg-node1-ip>", "XXX.XXX.XXX.XXX".
bool looks_like_placeholder(std::string_view value);

// Checks the address of a bind/server/log line: placeholder (error), bad syntax (error), host
// name to resolve later (remembered in b.hosts_).
void check_address_word(const word& w, std::string_view what, bool listening, builder& b,
                        diagnostics& diags, std::optional<address>& out);

}  // namespace tandem::parsers::haproxy
