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

chain_commitment to_chain(const ves_commitment& c) {
  return {c.batch_id,      c.stream.tenant_id, c.stream.store_id, c.merkle_root,
          c.prev_state_root, c.new_state_root, c.sequence_start,  c.sequence_end,
          c.leaf_count};
}

chain_commitment to_chain(const legacy_commitment& c) {
  return {c.batch_id,      c.stream.tenant_id, c.stream.store_id, c.events_root,
          c.prev_state_root, c.new_state_root, c.sequence_start,  c.sequence_end,
          c.event_count};
}

} // namespace seq::msg
