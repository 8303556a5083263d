// Stable diagnostic codes of the keepalived keyword table, model builder and checks (the
// reader's own are in reader.hpp). Tests, --strict filters and docs refer to them.
#pragma once

#include <string_view>

namespace tandem::parsers::keepalived::codes {
inline constexpr std::string_view unknown_keyword = "ka-unknown-keyword";
inline constexpr std::string_view misplaced_keyword = "ka-misplaced-keyword";
inline constexpr std::string_view old_keyword = "ka-old-keyword";          // renamed, still meant
inline constexpr std::string_view alias_keyword = "ka-alias-keyword";      // accepted alias
inline constexpr std::string_view obsolete_keyword = "ka-obsolete-keyword";  // dropped, ignored
inline constexpr std::string_view missing_argument = "ka-missing-argument";
inline constexpr std::string_view extra_argument = "ka-extra-argument";
inline constexpr std::string_view missing_block = "ka-missing-block";
inline constexpr std::string_view unexpected_block = "ka-unexpected-block";
inline constexpr std::string_view missing_open_brace = "ka-missing-open-brace";  // recovered
inline constexpr std::string_view missing_close_brace = "ka-missing-close-brace";  // recovered
inline constexpr std::string_view invalid_number = "ka-invalid-number";
inline constexpr std::string_view out_of_range = "ka-out-of-range";
inline constexpr std::string_view invalid_value = "ka-invalid-value";
inline constexpr std::string_view invalid_address = "ka-invalid-address";
inline constexpr std::string_view deprecated_syntax = "ka-deprecated-syntax";
inline constexpr std::string_view duplicate_name = "ka-duplicate-name";
inline constexpr std::string_view vrid_missing = "ka-vrid-missing";
inline constexpr std::string_view vrid_shared = "ka-vrid-shared";
inline constexpr std::string_view interface_missing = "ka-interface-missing";
inline constexpr std::string_view invalid_state = "ka-invalid-state";
inline constexpr std::string_view state_slave = "ka-state-slave";
inline constexpr std::string_view nopreempt_master = "ka-nopreempt-master";
inline constexpr std::string_view ah_master = "ka-ah-master";  // MASTER cleared, as keepalived
inline constexpr std::string_view auth_pass_truncated = "ka-auth-pass-truncated";
inline constexpr std::string_view undefined_script = "ka-undefined-script";
inline constexpr std::string_view undefined_track = "ka-undefined-track";
inline constexpr std::string_view undefined_instance = "ka-undefined-instance";
inline constexpr std::string_view script_security = "ka-script-security";
inline constexpr std::string_view script_missing = "ka-script-missing";
inline constexpr std::string_view no_interface_here = "ka-no-such-interface";
inline constexpr std::string_view no_vip = "ka-no-vip";
inline constexpr std::string_view sync_group_single = "ka-sync-group-single";
inline constexpr std::string_view cluster_mismatch = "ka-cluster-mismatch";
inline constexpr std::string_view cluster_priority = "ka-cluster-same-priority";
inline constexpr std::string_view cluster_peer = "ka-cluster-unicast-peer";
inline constexpr std::string_view cluster_alone = "ka-cluster-single";
}  // namespace tandem::parsers::keepalived::codes
