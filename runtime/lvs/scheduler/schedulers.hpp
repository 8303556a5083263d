// Inside the scheduler library: one factory per scheduler file, used by registry.cpp, and the
// small predicates IPVS's schedulers share.
#pragma once

#include <memory>

#include "runtime/lvs/scheduler/scheduler.hpp"

namespace tandem::runtime::lvs::detail {

// Most schedulers skip an overloaded destination and one of weight 0.
inline bool usable(const destination& d) { return !d.overloaded_ && d.weight_ > 0; }

// IPVS's wlc comparison "loh * w(d) > doh * w(least)": d is less loaded per weight.
inline bool lighter(std::uint64_t least_oh, const destination& least, std::uint64_t d_oh,
                    const destination& d) {
  return static_cast<__int128>(least_oh) * d.weight_ > static_cast<__int128>(d_oh) * least.weight_;
}

std::unique_ptr<scheduler> make_rr();
std::unique_ptr<scheduler> make_wrr();
std::unique_ptr<scheduler> make_lc();
std::unique_ptr<scheduler> make_wlc();
std::unique_ptr<scheduler> make_sed();
std::unique_ptr<scheduler> make_nq();
std::unique_ptr<scheduler> make_lblc();
std::unique_ptr<scheduler> make_lblcr();
std::unique_ptr<scheduler> make_dh();
std::unique_ptr<scheduler> make_sh(bool port, bool fallback);
std::unique_ptr<scheduler> make_mh(bool port, bool fallback);
std::unique_ptr<scheduler> make_fo();
std::unique_ptr<scheduler> make_ovf();
std::unique_ptr<scheduler> make_twos();

// wlc's choice over all destinations (lblc and lblcr fall back to it).
std::optional<std::size_t> weighted_least_connection(std::span<const destination> dests);

}  // namespace tandem::runtime::lvs::detail
