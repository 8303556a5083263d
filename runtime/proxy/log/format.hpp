// HAProxy's log-format language: literal text, separators (runs of spaces, written once and
// never twice in a row), %-variables (%ci, %Tt, %tsc, %hr, %{+Q}r …) with their +Q/-Q/+X/+E
// flags, %{+Q}o for the whole line, and %[sample,converters] through the acl engine. Compiled
// once per frontend, rendered per request (http) or connection (tcp) from a log_record.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/proxy/log_record.hpp"

namespace tandem::runtime::proxy::acl {
class userlist_set;
}

namespace tandem::runtime::proxy::log {

// HAProxy 2.6's predefined formats (src/log.c), as `option httplog`, `option httplog clf`
// and `option tcplog` set them.
inline constexpr std::string_view httplog_format =
    "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc "
    "%sq/%bq %hr %hs %{+Q}r";
inline constexpr std::string_view clf_format =
    "%{+Q}o %{-Q}ci - - [%trg] %r %ST %B \"\" \"\" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc "
    "%ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl";
inline constexpr std::string_view tcplog_format =
    "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq";

// What a line says of the process rather than of the request.
struct line_context {
  std::string host_;  // %H
  std::string pid_;   // %pid
  // tune.http.logurilen: the request line is kept to this length, and %HM %HU %HP
  // %HQ %HV read that cut line (a line cut before its version logs %HV as HTTP/0.9).
  std::size_t max_request_line_ = 1024;
};

class log_format {
 public:
  struct node;
  ~log_format();
  log_format(log_format&&) noexcept;
  log_format& operator=(log_format&&) noexcept;

  // nullptr with `error` set (HAProxy's words where it has them) when `text` cannot be read
  // or names a variable Tandem does not log. Without `http` (a mode tcp frontend), the
  // variables 2.6 reserves for HTTP mode (%r, %HU, %CC, %TR, %tr …) are refused as 2.6 does.
  static std::unique_ptr<log_format> compile(std::string_view text, std::string& error,
                                             const acl::userlist_set* users = nullptr,
                                             bool http = true);
  std::string render(const log_record& record, const line_context& context) const;

 private:
  log_format();
  std::vector<node> nodes_;
};

}  // namespace tandem::runtime::proxy::log
