// SPDX-License-Identifier: Apache-2.0
#include "messages/commitment.hpp"

namespace seq::msg {

std::optional<anchored_filter> parse_anchored_filter(std::string_view s) {
  if (s == "false")
    return anchored_filter::unanchored;
  if (s == "true")
    return anchored_filter::anchored;
  if (s == "all")
    return anchored_filter::all;
  return std::nullopt;
}

} // namespace seq::msg
