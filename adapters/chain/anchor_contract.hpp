// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Calldata and return-data decoding of the two anchor contract ABIs (see messages/chain.hpp
/// and deploy/contracts/): the reference's StateSetAnchor and Set Chain's SetRegistry.
/// Pure functions, no I/O; the gateway (gateway.hpp) sends them.

#include "adapters/chain/abi.hpp"
#include "adapters/chain/primitives.hpp"
#include "messages/chain.hpp"

#include <cstdint>
#include <optional>
#include <vector>

#include "caf/expected.hpp"

namespace seq::chain {

/// UUID → bytes32: the 16 UUID bytes, then 16 zero bytes (ves-crypto §14).
hash32 uuid_to_bytes32(const ves::uuid& id);
/// The inverse; none when the low 16 bytes are not zero.
std::optional<ves::uuid> bytes32_to_uuid(const hash32& b);
/// keccak256(tenantId32 || storeId32): the contracts' per-stream mapping key.
hash32 tenant_store_key(const ves::uuid& tenant, const ves::uuid& store);

namespace stateset_anchor {

/// Function signatures (their selectors are checked against tests/messages/ves_vectors.json).
inline constexpr const char* anchor_sig =
  "anchor(bytes32,bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32)";
inline constexpr const char* is_anchored_sig = "isAnchored(bytes32)";
inline constexpr const char* get_commitment_sig = "getCommitment(bytes32)";
inline constexpr const char* commitments_sig = "commitments(bytes32)";
inline constexpr const char* get_latest_sequence_sig = "getLatestSequence(bytes32,bytes32)";
inline constexpr const char* verify_events_root_sig = "verifyEventsRoot(bytes32,bytes32)";
inline constexpr const char* get_anchored_count_sig = "getAnchoredCount()";

/// anchor(batchId, tenantId, storeId, eventsRoot, stateRoot = new_state_root, start, end,
/// eventCount): selector + 8 words = 260 bytes.
bytes anchor(const msg::chain_commitment& c);
bytes is_anchored(const ves::uuid& batch_id);
bytes get_commitment(const ves::uuid& batch_id);
bytes commitments(const ves::uuid& batch_id);
bytes get_latest_sequence(const ves::uuid& tenant, const ves::uuid& store);
bytes verify_events_root(const ves::uuid& batch_id, const hash32& events_root);

/// getCommitment → (tenantId, storeId, eventsRoot, stateRoot, start, end, count, anchoredAt,
/// anchoredBy); the call itself reverts for an unknown batch.
caf::expected<msg::onchain_commitment> decode_get_commitment(const bytes& ret);
/// commitments(bytes32) → (batchId, tenantId, storeId, eventsRoot, stateRoot, start, end,
/// count, anchoredAt, anchoredBy); anchoredAt = 0 → found = false.
caf::expected<msg::onchain_commitment> decode_commitments(const bytes& ret);

} // namespace stateset_anchor

namespace set_registry {

inline constexpr const char* commit_batch_sig =
  "commitBatch(bytes32,bytes32,bytes32,bytes32,bytes32,bytes32,uint64,uint64,uint32)";
inline constexpr const char* get_latest_state_root_sig = "getLatestStateRoot(bytes32,bytes32)";
inline constexpr const char* get_head_sequence_sig = "getHeadSequence(bytes32,bytes32)";
inline constexpr const char* commitments_sig = "commitments(bytes32)";
inline constexpr const char* verify_inclusion_sig =
  "verifyInclusion(bytes32,bytes32,bytes32[],uint256)";

bytes commit_batch(const msg::chain_commitment& c);
bytes get_latest_state_root(const ves::uuid& tenant, const ves::uuid& store);
bytes get_head_sequence(const ves::uuid& tenant, const ves::uuid& store);
bytes commitments(const ves::uuid& batch_id);
bytes verify_inclusion(const ves::uuid& batch_id, const hash32& leaf,
                       const std::vector<hash32>& path, uint64_t leaf_index);

/// commitments(bytes32) → (eventsRoot, prevStateRoot, newStateRoot, start, end, count,
/// timestamp, submitter); timestamp = 0 → found = false.
caf::expected<msg::onchain_commitment> decode_commitments(const bytes& ret);

} // namespace set_registry

} // namespace seq::chain
