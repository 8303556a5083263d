// Small text helpers shared by the command-line front-ends' messages.
#pragma once

#include "parsers/common/text.hpp"

namespace tandem::tools {

using parsers::single_quoted;

}  // namespace tandem::tools
