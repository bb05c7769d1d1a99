// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The chain vocabulary: what the anchoring side of the server asks of an EVM chain, the
/// gateway contract that performs it (implemented by adapters/chain over JSON-RPC, faked in
/// tests), and the messages of the circuit-breaker actor (actors/circuit_breaker/) that every
/// chain call passes through.
///
/// Flow: anchor actor / routes / CLI → circuit_breaker (fails fast with errc::circuit_open
/// while open) → chain worker (detached, owns one chain_gateway) → JSON-RPC.
///
/// Contract ABIs (select with config `anchor.abi`; both ship in deploy/contracts/):
/// - stateset_anchor: anchor(batchId, tenantId, storeId, eventsRoot, stateRoot, sequenceStart,
///   sequenceEnd, eventCount), isAnchored, commitments/getCommitment, getLatestSequence
///   (the reference's StateSetAnchor; an existing deployment works);
/// - set_registry: commitBatch(batchId, tenantId, storeId, eventsRoot, prevStateRoot,
///   newStateRoot, sequenceStart, sequenceEnd, eventCount), getLatestStateRoot,
///   getHeadSequence, commitments, verifyInclusion (Set Chain's SetRegistry interface).
/// UUIDs go on chain as bytes32: the 16 UUID bytes, then 16 zero bytes.

#include "messages/domain.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "caf/expected.hpp"
#include "caf/meta/type_name.hpp"

namespace seq::msg {

/// Which contract interface the anchor gateway speaks.
enum class anchor_abi : uint8_t { stateset_anchor = 0, set_registry = 1 };

/// "stateset_anchor" / "set_registry".
std::string to_string(anchor_abi x);
/// Accepts the names above (and "stateset" / "registry"); false when unknown.
bool from_string(std::string_view s, anchor_abi& out);

/// An EVM address, 20 raw bytes.
using evm_address = std::array<uint8_t, 20>;

/// One commitment as it goes on chain. The stateset_anchor ABI sends new_state_root as
/// `stateRoot` and ignores prev_state_root; set_registry sends both.
struct chain_commitment {
  uuid batch_id, tenant_id, store_id;
  hash32 events_root{};
  hash32 prev_state_root{};
  hash32 new_state_root{};
  uint64_t sequence_start = 0;
  uint64_t sequence_end = 0;
  uint32_t event_count = 0;
  bool operator==(const chain_commitment&) const = default;
};

/// A mined (and confirmed) transaction.
struct chain_tx {
  uint64_t chain_id = 0;
  hash32 tx_hash{};
  uint64_t block_number = 0;
  bool operator==(const chain_tx&) const = default;
};

/// What the contract stores for one batch id. Fields an ABI does not have stay zero:
/// tenant/store only in stateset_anchor, prev_state_root only in set_registry.
struct onchain_commitment {
  bool found = false;
  hash32 tenant_id{}, store_id{}; ///< raw bytes32 as stored
  hash32 events_root{};
  hash32 prev_state_root{};
  hash32 state_root{}; ///< the new state root
  uint64_t sequence_start = 0;
  uint64_t sequence_end = 0;
  uint32_t event_count = 0;
  uint64_t anchored_at = 0; ///< block timestamp, seconds
  evm_address anchored_by{};
  bool operator==(const onchain_commitment&) const = default;
};

/// The chain's view of one stream: the last anchored sequence end and (set_registry only)
/// the latest state root.
struct onchain_stream_head {
  uint64_t sequence_end = 0;
  bool has_state_root = false;
  hash32 state_root{};
  bool operator==(const onchain_stream_head&) const = default;
};

/// The node answered: its chain id and latest block number.
struct chain_head {
  uint64_t chain_id = 0;
  uint64_t block_number = 0;
  bool operator==(const chain_head&) const = default;
};

// -- actor messages (requests to the circuit breaker, forwarded to the chain worker) ---------

/// Anchor one commitment (one transaction, waits for the configured confirmations).
/// Reply: chain_tx; errc::chain_rejected when the contract refuses it (e.g. already
/// anchored, a sequence gap, a state-root mismatch), errc::chain_unavailable / errc::timeout
/// when the chain cannot be reached, errc::circuit_open when the breaker is open.
struct anchor_commitment {
  chain_commitment commitment;
  bool operator==(const anchor_commitment&) const = default;
};

/// Is this batch anchored? Reply: anchored_state.
struct check_anchored {
  uuid batch_id;
  bool operator==(const check_anchored&) const = default;
};
struct anchored_state {
  bool anchored = false;
  bool operator==(const anchored_state&) const = default;
};

/// The transaction that anchored a batch, found in the contract's logs (the anchored event
/// indexes the batch id). Used after a restart that lost the local record of a transaction the
/// chain did mine. Reply: chain_tx; errc::not_found when the chain has no such event.
struct find_anchor_tx {
  uuid batch_id;
  bool operator==(const find_anchor_tx&) const = default;
};

/// The stored commitment of a batch. Reply: onchain_commitment (found = false when absent).
struct fetch_onchain_commitment {
  uuid batch_id;
  bool operator==(const fetch_onchain_commitment&) const = default;
};

/// The chain's head of one stream. Reply: onchain_stream_head.
struct fetch_onchain_stream_head {
  stream_key stream;
  bool operator==(const fetch_onchain_stream_head&) const = default;
};

/// Check a VES inclusion proof on chain (set_registry ABI only; errc::invalid_request
/// otherwise). Reply: inclusion_verified.
struct verify_inclusion_on_chain {
  uuid batch_id;
  hash32 leaf{};
  std::vector<hash32> path;
  uint64_t leaf_index = 0;
  bool operator==(const verify_inclusion_on_chain&) const = default;
};
struct inclusion_verified {
  bool valid = false;
  bool operator==(const inclusion_verified&) const = default;
};

/// Liveness probe: chain id and block number. Reply: chain_head.
struct probe_chain {
  bool operator==(const probe_chain&) const = default;
};

/// States of a circuit breaker.
enum class breaker_state : uint8_t { closed = 0, open = 1, half_open = 2 };
std::string to_string(breaker_state x);

/// A circuit breaker's state and counters, for /health/detailed and /metrics.
/// Request with caf::get_atom_v.
struct breaker_status {
  std::string name;
  breaker_state state = breaker_state::closed;
  uint64_t calls = 0; ///< calls let through
  uint64_t successes = 0;
  uint64_t failures = 0; ///< counted failures, slow calls included
  uint64_t slow_calls = 0;
  uint64_t rejected = 0;        ///< calls failed fast while open
  uint64_t opened = 0;          ///< closed/half-open → open transitions
  uint64_t window_failures = 0; ///< failures inside the current window
  int64_t retry_in_ms = 0;      ///< while open: time left before the half-open probe
  bool operator==(const breaker_status&) const = default;
};

// -- inspectors -------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chain_commitment& x) {
  return f(caf::meta::type_name("seq::chain_commitment"), x.batch_id, x.tenant_id, x.store_id,
           x.events_root, x.prev_state_root, x.new_state_root, x.sequence_start, x.sequence_end,
           x.event_count);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chain_tx& x) {
  return f(caf::meta::type_name("seq::chain_tx"), x.chain_id, x.tx_hash, x.block_number);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, onchain_commitment& x) {
  return f(caf::meta::type_name("seq::onchain_commitment"), x.found, x.tenant_id, x.store_id,
           x.events_root, x.prev_state_root, x.state_root, x.sequence_start, x.sequence_end,
           x.event_count, x.anchored_at, x.anchored_by);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, onchain_stream_head& x) {
  return f(caf::meta::type_name("seq::onchain_stream_head"), x.sequence_end, x.has_state_root,
           x.state_root);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chain_head& x) {
  return f(caf::meta::type_name("seq::chain_head"), x.chain_id, x.block_number);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_commitment& x) {
  return f(caf::meta::type_name("seq::anchor_commitment"), x.commitment);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, check_anchored& x) {
  return f(caf::meta::type_name("seq::check_anchored"), x.batch_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchored_state& x) {
  return f(caf::meta::type_name("seq::anchored_state"), x.anchored);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, find_anchor_tx& x) {
  return f(caf::meta::type_name("seq::find_anchor_tx"), x.batch_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_onchain_commitment& x) {
  return f(caf::meta::type_name("seq::fetch_onchain_commitment"), x.batch_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fetch_onchain_stream_head& x) {
  return f(caf::meta::type_name("seq::fetch_onchain_stream_head"), x.stream);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verify_inclusion_on_chain& x) {
  return f(caf::meta::type_name("seq::verify_inclusion_on_chain"), x.batch_id, x.leaf, x.path,
           x.leaf_index);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inclusion_verified& x) {
  return f(caf::meta::type_name("seq::inclusion_verified"), x.valid);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, probe_chain&) {
  return f(caf::meta::type_name("seq::probe_chain"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, breaker_status& x) {
  return f(caf::meta::type_name("seq::breaker_status"), x.name, x.state, x.calls, x.successes,
           x.failures, x.slow_calls, x.rejected, x.opened, x.window_failures, x.retry_in_ms);
}

// -- x402 settlement (defined in messages/settlement.hpp) ------------------------------------

struct settle_payment_batch;

} // namespace seq::msg

namespace seq::chain {

/// One connection to a chain and its anchor contract: the blocking calls behind the chain
/// messages above. Owned by exactly one chain worker actor (not thread-safe). Every call
/// returns errc::chain_unavailable or errc::timeout when the chain cannot be reached (the
/// breaker counts these), and errc::chain_rejected / errc::invalid_request when the chain
/// answered but refused (the breaker does not count these: the chain is healthy).
class chain_gateway {
public:
  virtual ~chain_gateway() = default;

  virtual caf::expected<msg::chain_head> probe() = 0;
  virtual caf::expected<msg::chain_tx> anchor(const msg::chain_commitment& c) = 0;
  virtual caf::expected<bool> is_anchored(const msg::uuid& batch_id) = 0;
  /// The mined transaction that anchored `batch_id` (errc::not_found when none).
  virtual caf::expected<msg::chain_tx> find_anchor_tx(const msg::uuid& batch_id) = 0;
  virtual caf::expected<msg::onchain_commitment> commitment(const msg::uuid& batch_id) = 0;
  virtual caf::expected<msg::onchain_stream_head> stream_head(const msg::stream_key& s) = 0;
  virtual caf::expected<bool> verify_inclusion(const msg::uuid& batch_id, const msg::hash32& leaf,
                                               const std::vector<msg::hash32>& path,
                                               uint64_t leaf_index) = 0;

  /// x402 settlement (messages/settlement.hpp): settles a batch on the settlement contract, or
  /// answers the original transaction when the batch is settled already (idempotent).
  virtual caf::expected<msg::chain_tx> settle_payment_batch(const msg::settle_payment_batch& b) = 0;
  virtual caf::expected<bool> is_batch_settled(const msg::uuid& batch_id) = 0;
};

/// Opens a gateway; a chain worker calls it on first use and again after a failed open. Must
/// be callable from any thread (detached workers call it from their own).
using chain_gateway_factory = std::function<caf::expected<std::unique_ptr<chain_gateway>>()>;

} // namespace seq::chain
