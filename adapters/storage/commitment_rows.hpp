// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Row decoders of the commitment tables and the look-up helpers of their reads, shared by
/// both backends (see rows.hpp for `row_view`). The SELECT column orders are fixed; backends
/// substitute their own expressions for the time columns (µs since the epoch) but keep the
/// order.

#include "adapters/storage/rows.hpp"
#include "messages/commitment.hpp"
#include "messages/errc.hpp"

#include <optional>
#include <utility>
#include <vector>

#include "caf/expected.hpp"

namespace seq::storage::detail {

/// ves_commitments: 0 batch_id, 1 tenant_id, 2 store_id, 3 ves_version, 4 tree_depth,
/// 5 leaf_count, 6 padded_leaf_count, 7 merkle_root, 8 prev_state_root, 9 new_state_root,
/// 10 sequence_start, 11 sequence_end, 12 committed_at, 13 chain_id, 14 chain_tx_hash,
/// 15 chain_block_number, 16 anchored_at.
msg::ves_commitment decode_ves_commitment(const row_view& r);

/// commitments: 0 batch_id, 1 tenant_id, 2 store_id, 3 prev_state_root, 4 new_state_root,
/// 5 events_root, 6 sequence_start, 7 sequence_end, 8 event_count, 9 committed_at,
/// 10 chain_tx_hash.
msg::legacy_commitment decode_legacy_commitment(const row_view& r);

/// The list filter's anchored choice as the integer the list statements compare against
/// (0 unanchored, 1 anchored, 2 all).
inline int64_t anchored_code(msg::anchored_filter f) {
  return static_cast<int64_t>(f);
}

/// The first row of a look-up that may find nothing.
template <class T>
caf::expected<std::optional<T>> first_of(caf::expected<std::vector<T>> xs) {
  if (!xs)
    return xs.error();
  if (xs->empty())
    return std::optional<T>{};
  return std::optional<T>{std::move(xs->front())};
}

/// The first row of a look-up by batch id; errc::not_found when there is none.
template <class T>
caf::expected<T> found(caf::expected<std::vector<T>> xs, const msg::uuid& id) {
  if (!xs)
    return xs.error();
  if (xs->empty())
    return make_error(errc::not_found, "commitment " + id.str() + " not found");
  return std::move(xs->front());
}

} // namespace seq::storage::detail
