// Listening sockets handed from a running proxy to the one replacing it (`haproxy -sf PID`,
// `-x SOCKET`, a master-worker reload), so the new process takes over the very sockets the
// kernel queues connections on instead of binding new ones: no connection is refused or
// reset while the old process stops.
//
// The exchange is HAProxy's `_getsocks` (src/cli.c and src/sock.c of HAProxy 2.x): the client
// sends "_getsocks\n"; the server answers the number of sockets (a native int), then the
// sockets in batches of at most 253 (SCM_RIGHTS), each described by a record: namespace name
// length (one byte) and name, interface name length and name, four zero bytes; after a full
// batch the server waits for the client's 4-byte acknowledgement. So Tandem can take the
// sockets of a running HAProxy (`-x /path/to/its/stats.sock` with `expose-fd listeners`).
//
// Every running Tandem proxy answers it on the abstract unix socket
// "@tandem-haproxy-listeners-PID" (abstract: reachable after chroot, gone with the process),
// to root and its own user only (SO_PEERCRED), so `-sf PID` alone takes the sockets over.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tandem::runtime {

struct listening_socket {
  // What the socket is bound to (socket_key), by which a new process recognises a socket it
  // can reuse for one of its listeners.
  std::string key_;
  int fd_ = -1;
};

// "ipv4@127.0.0.1:80", "ipv6@::1:443", then " interface IF", " v6only", " transparent" and
// " namespace NS" when they apply: what a listener is bound to, as one string.
std::string address_key(const sockaddr_storage& address, std::string_view interface,
                        bool v6only, bool transparent, std::string_view network_namespace);

// address_key() of a bound socket, as the socket has its options; `interface` and
// `network_namespace` come from the old process's description. Empty for a socket that is
// not IPv4 or IPv6.
std::string socket_key(int fd, std::string_view interface, std::string_view network_namespace);

// "@tandem-haproxy-listeners-PID".
std::string handover_address(pid_t pid);

// A listening unix socket at `address` ("@name" is abstract, anything else a path); -1 with
// `ec` set on failure.
int open_handover_socket(const std::string& address, std::error_code& ec);

// Answers one connected client on `client` (blocking, with a short timeout): checks its
// credentials, reads "_getsocks", sends the descriptors `fds`. They stay open here.
std::error_code answer_handover(int client, const std::vector<int>& fds);

// Fetches the listening sockets a process offers at `address`, each with its socket_key().
// The caller owns the received descriptors (close-on-exec).
std::error_code fetch_listeners(const std::string& address, std::vector<listening_socket>& out);

}  // namespace tandem::runtime
