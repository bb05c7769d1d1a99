// SPDX-License-Identifier: Apache-2.0
#include "messages/projector.hpp"

namespace seq::msg {

std::string to_string(blocking_mode m) {
  switch (m) {
    case blocking_mode::park:
      return "park";
    case blocking_mode::halt:
      return "halt";
  }
  return "blocking_mode(" + std::to_string(static_cast<int>(m)) + ")";
}

std::optional<blocking_mode> parse_blocking_mode(std::string_view s) {
  if (s == "park")
    return blocking_mode::park;
  if (s == "halt")
    return blocking_mode::halt;
  return std::nullopt;
}

} // namespace seq::msg
