// What a daemon does to itself once its listeners are bound, as HAProxy does it: raise the
// file-descriptor limit (`ulimit-n`, or the one maxconn needs), shut itself in a directory
// (`chroot`) and give up root (`user`/`uid`, `group`/`gid`). Names are resolved first, while
// /etc/passwd and /etc/group are still reachable.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace tandem::runtime {

struct identity {
  std::optional<uid_t> uid_;
  std::optional<gid_t> gid_;
};

// Resolves `user` (a name in /etc/passwd, or a number as `uid` gives it) and `group` (likewise,
// /etc/group); empty means unchanged. False with `error` in HAProxy's words ("cannot find user id for 'x' (0:Success)").
bool resolve_identity(std::string_view user, std::string_view group, identity& out,
                      std::string& error);

// chroot(path) then chdir("/"); false with HAProxy's message ("Cannot chroot(path).").
bool change_root(const std::string& path, std::string& error);

// Drops supplementary groups, then the group, then the user (the order that leaves no way
// back); false with the reason.
bool drop_privileges(const identity& id, std::string& error);

// HAProxy's automatic file-descriptor need: two per connection (client and server side), the
// listening sockets, and a few for itself (logs, checks, the stats sockets).
unsigned long fd_need(unsigned long maxconn, unsigned long listening_sockets);

// Makes at least `wanted` descriptors available: a soft limit already as high is kept (HAProxy
// 2.6 does not lower it); otherwise the soft and, if needed, the hard limit are raised. False
// with HAProxy's message ("Cannot raise FD limit to N, limit is M.") when the kernel refuses.
bool raise_fd_limit(unsigned long wanted, std::string& error);

// HAProxy's time values: a number with an optional unit us, ms (the default), s, m, h or d.
std::optional<long long> parse_milliseconds(std::string_view text);

}  // namespace tandem::runtime
