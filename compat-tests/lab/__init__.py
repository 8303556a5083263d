"""The lab: a blog post's multi-machine setup on one machine, in network namespaces.

Tools every machine has on its PATH (lab/bin): lab-httpd and lab-smtpd (the posts' web and
mail servers), and `systemctl` / `service` stand-ins that answer for the machine's services
(the topology's `services`) as systemd would: `systemctl status haproxy` exits 0 while the
unit's processes run, 3 when they do not, 4 for an unknown unit; start, stop, restart and
reload go through the lab's service table. They are bound over the host's own systemctl and
service in each machine. docs/lab.md has the details."""
from .core import Lab, LabError, list_netns, sweep, PREFIX
from .topology import Topology, TopologyError, load_topology, parse_topology

__all__ = ["Lab", "LabError", "list_netns", "sweep", "PREFIX", "Topology", "TopologyError",
           "load_topology", "parse_topology"]
