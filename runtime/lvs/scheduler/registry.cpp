// The scheduler registry: IPVS's scheduler names to their factories.
#include <array>

#include "runtime/lvs/scheduler/schedulers.hpp"

namespace tandem::runtime::lvs {

namespace {
constexpr std::array<std::string_view, 14> names{"rr",  "wrr", "lc", "wlc", "sed", "nq",  "lblc",
                                                 "lblcr", "dh", "sh", "mh",  "fo",  "ovf", "twos"};
}

std::span<const std::string_view> scheduler_names() { return names; }

std::unique_ptr<scheduler> make_scheduler(std::string_view name, const scheduler_flags& flags) {
  using namespace detail;
  if (name.empty() || name == "wlc") return make_wlc();
  if (name == "rr") return make_rr();
  if (name == "wrr") return make_wrr();
  if (name == "lc") return make_lc();
  if (name == "sed") return make_sed();
  if (name == "nq") return make_nq();
  if (name == "lblc") return make_lblc();
  if (name == "lblcr") return make_lblcr();
  if (name == "dh") return make_dh();
  if (name == "sh") return make_sh(flags.sh_port_, flags.sh_fallback_);
  if (name == "mh") return make_mh(flags.mh_port_, flags.mh_fallback_);
  if (name == "fo") return make_fo();
  if (name == "ovf") return make_ovf();
  if (name == "twos") return make_twos();
  return nullptr;
}

}  // namespace tandem::runtime::lvs
