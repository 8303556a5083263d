// prctl-based process naming (see process_name.hpp).
#include "runtime/core/process_name.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace tandem::runtime {

namespace {
// TASK_COMM_LEN in the kernel: 15 bytes and the terminating NUL.
constexpr std::size_t comm_size = 16;
}  // namespace

std::error_code set_process_name(std::string_view name) {
  std::array<char, comm_size> buffer{};
  std::copy_n(name.begin(), std::min(name.size(), comm_size - 1), buffer.begin());
  if (::prctl(PR_SET_NAME, buffer.data(), 0, 0, 0) != 0) {
    return {errno, std::generic_category()};
  }
  return {};
}

std::string process_name() {
  std::array<char, comm_size> buffer{};
  if (::prctl(PR_GET_NAME, buffer.data(), 0, 0, 0) != 0) {
    return {};
  }
  return std::string(buffer.data());
}

}  // namespace tandem::runtime
