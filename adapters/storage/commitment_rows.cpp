// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/commitment_rows.hpp"

namespace seq::storage::detail {

namespace {

std::optional<msg::hash32> opt_hash(const row_view& r, int col) {
  if (r.is_null(col))
    return std::nullopt;
  return r.fixed<32>(col);
}

} // namespace

msg::ves_commitment decode_ves_commitment(const row_view& r) {
  msg::ves_commitment c;
  c.batch_id = r.id(0);
  c.stream = {r.id(1), r.id(2)};
  c.ves_version = static_cast<uint32_t>(r.i64(3));
  c.tree_depth = static_cast<uint32_t>(r.i64(4));
  c.leaf_count = static_cast<uint32_t>(r.i64(5));
  c.padded_leaf_count = static_cast<uint32_t>(r.i64(6));
  c.merkle_root = r.fixed<32>(7);
  c.prev_state_root = r.fixed<32>(8);
  c.new_state_root = r.fixed<32>(9);
  c.sequence_start = static_cast<uint64_t>(r.i64(10));
  c.sequence_end = static_cast<uint64_t>(r.i64(11));
  c.committed_at = r.i64(12);
  if (auto x = r.opt_i64(13))
    c.chain_id = static_cast<uint32_t>(*x);
  c.chain_tx_hash = opt_hash(r, 14);
  if (auto x = r.opt_i64(15))
    c.chain_block_number = static_cast<uint64_t>(*x);
  c.anchored_at = r.opt_i64(16);
  return c;
}

msg::legacy_commitment decode_legacy_commitment(const row_view& r) {
  msg::legacy_commitment c;
  c.batch_id = r.id(0);
  c.stream = {r.id(1), r.id(2)};
  c.prev_state_root = r.fixed<32>(3);
  c.new_state_root = r.fixed<32>(4);
  c.events_root = r.fixed<32>(5);
  c.sequence_start = static_cast<uint64_t>(r.i64(6));
  c.sequence_end = static_cast<uint64_t>(r.i64(7));
  c.event_count = static_cast<uint32_t>(r.i64(8));
  c.committed_at = r.i64(9);
  c.chain_tx_hash = opt_hash(r, 10);
  return c;
}

} // namespace seq::storage::detail
