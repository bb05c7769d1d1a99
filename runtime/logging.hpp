// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Structured logs through spdlog: `text` (human) or `json` (one object per line).

#include <string>

namespace seq::runtime {

void setup_logging(const std::string& format, const std::string& level);

} // namespace seq::runtime
