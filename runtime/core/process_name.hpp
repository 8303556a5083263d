// The process name (/proc/self/comm) that `killall -0 haproxy`, `pkill haproxy` and ps show:
// `tandem haproxy ...` must be found under the name "haproxy".
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace tandem::runtime {

// Sets the calling thread's name (for the main thread: the process's comm) with
// prctl(PR_SET_NAME). The kernel keeps at most 15 bytes; longer names are truncated.
std::error_code set_process_name(std::string_view name);

// The calling thread's current name (prctl(PR_GET_NAME)); empty on failure.
std::string process_name();

}  // namespace tandem::runtime
