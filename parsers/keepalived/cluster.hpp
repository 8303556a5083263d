// `tandem check --cluster A.conf B.conf …`: the keepalived files of machines that share VRRP
// instances must agree on what the protocol compares — the same virtual_router_id, virtual
// addresses, advert_int, authentication and VRRP version per instance — while their priorities
// differ and their unicast peers point at each other. Every mismatch names both files and lines.
#pragma once

#include <span>

#include "parsers/common/diagnostic.hpp"
#include "parsers/common/source_registry.hpp"
#include "parsers/keepalived/model.hpp"

namespace tandem::parsers::keepalived {

struct cluster_member {
  file_id file_;
  const config* model_;
};

// Instances are matched by name across files. Appends one diagnostic per disagreement,
// positioned in the later file and naming the earlier one's line.
void check_cluster(std::span<const cluster_member> members, const source_registry& sources,
                   diagnostics& diags);

}  // namespace tandem::parsers::keepalived
