// Entry point of the tandem multi-call executable (also installed as `haproxy` and
// `keepalived` links): hands argv to run_tandem and turns anything unexpected into a message.
#include <exception>
#include <iostream>
#include <string_view>
#include <vector>

#include "tools/front_ends.hpp"

int main(int argc, char** argv) {
  try {
    const std::vector<std::string_view> args(argv, argv + argc);
    const int status = tandem::tools::run_tandem(args, std::cout, std::cerr);
    std::cout.flush();
    return status;
  } catch (const std::exception& e) {
    std::cerr << "tandem: internal error: " << e.what() << '\n';
  } catch (...) {
    std::cerr << "tandem: internal error\n";
  }
  return tandem::tools::exit_failure;
}
