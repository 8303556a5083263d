// Listening sockets handed from a running proxy to the one replacing it (`haproxy -sf PID`,
// `-x SOCKET`, a master-worker reload), so the new process takes over the very sockets the
// kernel queues connections on instead of binding new ones: no connection is refused or
// reset while the old process stops.
//
// Every running proxy offers its sockets on the abstract unix socket
// "@tandem-haproxy-listeners-PID" (abstract: reachable after chroot, gone with the process).
// A client connects, sends "_getsocks\n" (HAProxy's command name), and receives each socket as
// an SCM_RIGHTS descriptor with a line naming it (see listening_socket::key_); an empty line
// ends the answer. Only root or the proxy's own user may ask (SO_PEERCRED).
#pragma once

#include <sys/types.h>

#include <string>
#include <system_error>
#include <vector>

namespace tandem::runtime {

struct listening_socket {
  // What the socket is bound to, in the words of the process that opened it: the new process
  // reuses a socket whose key equals the one it would bind (see proxy::listener_key).
  std::string key_;
  int fd_ = -1;
};

// "@tandem-haproxy-listeners-PID".
std::string handover_address(pid_t pid);

// A listening unix socket at `address` ("@name" is abstract, anything else a path); -1 with
// `ec` set on failure.
int open_handover_socket(const std::string& address, std::error_code& ec);

// Answers one connected client on `client` (blocking, with a short timeout): checks its
// credentials, reads the request, sends `sockets`. The descriptors stay open here.
std::error_code answer_handover(int client, const std::vector<listening_socket>& sockets);

// Fetches the listening sockets a process offers at `address`. The caller owns the received
// descriptors (close-on-exec).
std::error_code fetch_listeners(const std::string& address, std::vector<listening_socket>& out);

}  // namespace tandem::runtime
