// HAProxy 2.6's names and descriptions of check statuses (src/check.c), in one table.
#include "runtime/checks/status.hpp"

#include <array>

namespace tandem::runtime::checks {
namespace {

struct status_entry {
  std::string_view name_;
  std::string_view description_;
  check_outcome outcome_;
};

constexpr std::array<status_entry, 13> statuses{{
    {"UNK", "Unknown", check_outcome::neutral},
    {"SOCKERR", "Socket error", check_outcome::failed},
    {"L4OK", "Layer4 check passed", check_outcome::passed},
    {"L4TOUT", "Layer4 timeout", check_outcome::failed},
    {"L4CON", "Layer4 connection problem", check_outcome::failed},
    {"L6OK", "Layer6 check passed", check_outcome::passed},
    {"L6TOUT", "Layer6 timeout", check_outcome::failed},
    {"L6RSP", "Layer6 invalid response", check_outcome::failed},
    {"L7TOUT", "Layer7 timeout", check_outcome::failed},
    {"L7RSP", "Layer7 invalid response", check_outcome::failed},
    {"L7OK", "Layer7 check passed", check_outcome::passed},
    {"L7OKC", "Layer7 check conditionally passed", check_outcome::conditionally_passed},
    {"L7STS", "Layer7 wrong status", check_outcome::failed},
}};

const status_entry& entry(check_status s) {
  const auto i = static_cast<std::size_t>(s);
  return i < statuses.size() ? statuses[i] : statuses[0];
}

}  // namespace

std::string_view status_name(check_status s) {
  return entry(s).name_;
}
std::string_view status_description(check_status s) {
  return entry(s).description_;
}
check_outcome outcome_of(check_status s) {
  return entry(s).outcome_;
}
bool reports_code(check_status s) {
  return s > check_status::l7rsp;
}

}  // namespace tandem::runtime::checks
