// SPDX-License-Identifier: Apache-2.0
#include "messages/chain.hpp"

namespace seq::msg {

std::string to_string(anchor_abi x) {
  switch (x) {
  case anchor_abi::stateset_anchor:
    return "stateset_anchor";
  case anchor_abi::set_registry:
    return "set_registry";
  }
  return "anchor_abi(" + std::to_string(static_cast<int>(x)) + ")";
}

bool from_string(std::string_view s, anchor_abi& out) {
  if (s == "stateset_anchor" || s == "stateset") {
    out = anchor_abi::stateset_anchor;
    return true;
  }
  if (s == "set_registry" || s == "registry") {
    out = anchor_abi::set_registry;
    return true;
  }
  return false;
}

std::string to_string(breaker_state x) {
  switch (x) {
  case breaker_state::closed:
    return "closed";
  case breaker_state::open:
    return "open";
  case breaker_state::half_open:
    return "half_open";
  }
  return "breaker_state(" + std::to_string(static_cast<int>(x)) + ")";
}

} // namespace seq::msg
