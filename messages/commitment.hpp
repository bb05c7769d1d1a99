// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Commitments: the values the committer, the commitment routes and the storage share, and the
/// storage contract they use (implemented in adapters/storage/{sqlite,postgres}/ by the event
/// store classes, on the same connection; see `commitments_of`).
///
/// A VES commitment (ves-crypto §8) covers the VES events [sequence_start, sequence_end] of one
/// stream: a padded, domain-separated Merkle tree over their leaf hashes and a state root chained
/// to the previous commitment's. A legacy commitment (§9) covers legacy events: an rs_merkle tree
/// (no padding, odd nodes promoted) and the legacy state root over entity versions.
///
/// The storage only fences duplicates: inserting a second commitment with the same
/// (tenant, store, sequence_start) fails with errc::storage_conflict. Range rules (contiguity,
/// chaining) are the committer's, which serialises every commitment of a stream.

#include "messages/chain.hpp"
#include "messages/domain.hpp"
#include "messages/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "caf/expected.hpp"

namespace seq::msg {

/// One VES commitment row (`ves_commitments`). Chain fields stay empty until anchored.
struct ves_commitment {
  uuid batch_id;
  stream_key stream;
  uint32_t ves_version = 1;
  uint32_t tree_depth = 0;
  uint32_t leaf_count = 0;
  uint32_t padded_leaf_count = 0;
  hash32 merkle_root{}, prev_state_root{}, new_state_root{};
  uint64_t sequence_start = 0, sequence_end = 0; ///< inclusive
  timestamp_us committed_at = 0;
  std::optional<uint32_t> chain_id;
  std::optional<hash32> chain_tx_hash;
  std::optional<uint64_t> chain_block_number;
  std::optional<timestamp_us> anchored_at;
  bool is_anchored() const { return anchored_at.has_value(); }
  bool operator==(const ves_commitment&) const = default;
};

/// One legacy commitment row (`commitments`).
struct legacy_commitment {
  uuid batch_id;
  stream_key stream;
  hash32 prev_state_root{}, new_state_root{}, events_root{};
  uint32_t event_count = 0;
  uint64_t sequence_start = 0, sequence_end = 0; ///< inclusive
  timestamp_us committed_at = 0;
  std::optional<hash32> chain_tx_hash;
  bool operator==(const legacy_commitment&) const = default;
};

/// Which commitments a list returns (`chain_tx_hash IS NULL` = unanchored, the reference's
/// only choice).
enum class anchored_filter : uint8_t { unanchored = 0, anchored = 1, all = 2 };
std::optional<anchored_filter> parse_anchored_filter(std::string_view s);

struct commitment_filter {
  std::optional<stream_key> stream; ///< all streams when empty
  anchored_filter anchored = anchored_filter::unanchored;
  uint32_t limit = 1000;
};

/// A commitment as it goes on chain (events root = the VES merkle_root; count = leaf_count).
chain_commitment to_chain(const ves_commitment& c);
chain_commitment to_chain(const legacy_commitment& c);

/// What the anchor service reports for a VES commitment.
struct anchor_record {
  uint32_t chain_id = 0;
  hash32 chain_tx_hash{};
  std::optional<uint64_t> chain_block_number;
};

} // namespace seq::msg

namespace seq::storage {

class commitment_store {
public:
  virtual ~commitment_store() = default;

  // -- VES ------------------------------------------------------------------------------------

  /// errc::storage_conflict when the stream already has a commitment starting at
  /// `c.sequence_start` (or the batch id exists).
  virtual caf::expected<void> insert_ves_commitment(const msg::ves_commitment& c) = 0;
  /// errc::not_found when absent.
  virtual caf::expected<msg::ves_commitment> get_ves_commitment(const uuid& batch_id) = 0;
  /// The stream's commitment with the highest sequence_end, if any.
  virtual caf::expected<std::optional<msg::ves_commitment>>
  last_ves_commitment(const stream_key& s) = 0;
  /// The stream's commitment whose range contains `sequence_number`, if any.
  virtual caf::expected<std::optional<msg::ves_commitment>>
  covering_ves_commitment(const stream_key& s, uint64_t sequence_number) = 0;
  /// Ordered by committed_at, then sequence_start (oldest first).
  virtual caf::expected<std::vector<msg::ves_commitment>>
  list_ves_commitments(const msg::commitment_filter& f) = 0;
  /// Sets the chain fields and anchored_at = now. errc::not_found when absent.
  virtual caf::expected<void> mark_ves_anchored(const uuid& batch_id,
                                                const msg::anchor_record& a) = 0;

  // -- legacy ---------------------------------------------------------------------------------

  /// errc::storage_conflict on a duplicate (tenant, store, sequence_start) or batch id.
  virtual caf::expected<void> insert_legacy_commitment(const msg::legacy_commitment& c) = 0;
  /// errc::not_found when absent.
  virtual caf::expected<msg::legacy_commitment> get_legacy_commitment(const uuid& batch_id) = 0;
  virtual caf::expected<std::optional<msg::legacy_commitment>>
  last_legacy_commitment(const stream_key& s) = 0;
  virtual caf::expected<std::optional<msg::legacy_commitment>>
  covering_legacy_commitment(const stream_key& s, uint64_t sequence_number) = 0;
  /// Ordered by committed_at, then sequence_start (oldest first).
  virtual caf::expected<std::vector<msg::legacy_commitment>>
  list_legacy_commitments(const msg::commitment_filter& f) = 0;
  /// Sets chain_tx_hash (the legacy table has no other chain fields). errc::not_found when
  /// absent.
  virtual caf::expected<void> mark_legacy_anchored(const uuid& batch_id,
                                                   const msg::hash32& chain_tx_hash) = 0;
};

/// The commitment interface of an event store connection (same object, same connection). Both
/// backends implement it; a test double must too.
inline commitment_store& commitments_of(event_store& s) {
  return dynamic_cast<commitment_store&>(s);
}

} // namespace seq::storage
