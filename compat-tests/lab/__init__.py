"""The lab: a blog post's multi-machine setup on one machine, in network namespaces."""
from .core import Lab, LabError, list_netns, sweep, PREFIX
from .topology import Topology, TopologyError, load_topology, parse_topology

__all__ = ["Lab", "LabError", "list_netns", "sweep", "PREFIX", "Topology", "TopologyError",
           "load_topology", "parse_topology"]
