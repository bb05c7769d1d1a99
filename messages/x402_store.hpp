// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The x402 storage contract (implemented in adapters/storage/{sqlite,postgres}/ by the event
/// store classes, on the same connection; see `x402_of`). Tables: `x402_payment_intents`,
/// `x402_payment_batches`, `x402_nonce_tracking` (migrations 0005_x402.sql).
///
/// Intents are written only by the stream sequencer's group commit (storage::write_group::x402,
/// messages/store.hpp): in the group's transaction, one intent row and one nonce row each.
/// Fences: (tenant, store, payer, nonce) in the nonce table, (tenant, store, idempotency_key)
/// and (tenant, store, sequence_number) on intents; any of them fails the whole group with
/// errc::storage_conflict and `inspect_conflict` names what exists (conflict_report::
/// existing_x402_nonces / existing_x402_keys).
///
/// Batches are written by the x402 batcher of their (stream, network) — one at a time — and by
/// the manual settle route; every status change is a compare-and-set on the current status.

#include "messages/store.hpp"
#include "messages/x402.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "caf/expected.hpp"

namespace seq::msg {

/// GET /api/v1/x402/payments filters. Ordered by created_at, newest first.
struct x402_intent_filter {
  uuid tenant_id;
  std::optional<uuid> store_id;
  std::optional<std::string> payer_address, payee_address, network, asset;
  std::optional<x402_status> status;
  std::optional<uuid> batch_id;
  std::optional<timestamp_us> from, to; ///< created_at range, inclusive
  uint32_t limit = 100;
  uint32_t offset = 0;
};

/// What a batcher needs to know about the intents still waiting in its (stream, network).
struct x402_pending_summary {
  uint64_t count = 0;
  timestamp_us oldest_sequenced_at = 0; ///< 0 when count = 0
  uint64_t earliest_valid_until = 0;    ///< 0 when count = 0
  /// The stream's x402 head when this was read (any network, any status): intents numbered
  /// up to here are counted above if they are still waiting.
  uint64_t last_sequence = 0;
};

/// A (stream, network) with unfinished x402 work: sequenced intents, or committed/submitted
/// batches.
struct x402_work {
  stream_key stream;
  std::string network;
  auto operator<=>(const x402_work&) const = default;
};

} // namespace seq::msg

namespace seq::storage {

class x402_store {
public:
  virtual ~x402_store() = default;

  // -- intents --------------------------------------------------------------------------------

  /// errc::not_found when absent.
  virtual caf::expected<msg::x402_intent> get_x402_intent(const uuid& id) = 0;
  /// The intents with these ids that exist (any order).
  virtual caf::expected<std::vector<msg::x402_intent>>
  get_x402_intents(const std::vector<uuid>& ids) = 0;
  /// The stream's intent with this idempotency key, if any.
  virtual caf::expected<std::optional<msg::x402_intent>>
  find_x402_intent_by_key(const stream_key& s, const std::string& idempotency_key) = 0;
  virtual caf::expected<std::vector<msg::x402_intent>>
  list_x402_intents(const msg::x402_intent_filter& f) = 0;
  /// Sequenced intents of one stream and network, ascending by sequence number, at most
  /// `limit`.
  virtual caf::expected<std::vector<msg::x402_intent>>
  sequenced_x402_intents(const stream_key& s, const std::string& network, uint32_t limit) = 0;
  virtual caf::expected<msg::x402_pending_summary>
  x402_pending(const stream_key& s, const std::string& network) = 0;
  /// Sequenced intents of (s, network) with valid_until < now_unix become `expired`; returns
  /// how many.
  virtual caf::expected<uint64_t> expire_x402_intents(const stream_key& s,
                                                      const std::string& network,
                                                      uint64_t now_unix) = 0;

  // -- batches --------------------------------------------------------------------------------

  /// One transaction: inserts `b` and moves each intent of `b.intent_ids` from sequenced to
  /// batched with `b.batch_id`. errc::storage_conflict (nothing written) when one of them is
  /// no longer sequenced or the batch id exists.
  virtual caf::expected<void> insert_x402_batch(const msg::x402_batch& b) = 0;
  /// With intent_ids in sequence order. errc::not_found when absent.
  virtual caf::expected<msg::x402_batch> get_x402_batch(const uuid& id) = 0;
  /// Member intents, ascending by sequence number.
  virtual caf::expected<std::vector<msg::x402_intent>> x402_batch_intents(const uuid& id) = 0;
  /// Batches of one stream and network in `status`, oldest first (without intent ids).
  virtual caf::expected<std::vector<msg::x402_batch>>
  x402_batches_in(const stream_key& s, const std::string& network,
                  msg::x402_batch_status status, uint32_t limit) = 0;
  /// Compare-and-set of the status (see msg::x402_batch_update), with the member intents in
  /// the same transaction. errc::not_found when absent, errc::storage_conflict when the status
  /// is not `u.from`.
  virtual caf::expected<void> update_x402_batch(const msg::x402_batch_update& u) = 0;

  // -- background -----------------------------------------------------------------------------

  /// Where batchers must run: (stream, network) pairs with sequenced intents or committed /
  /// submitted batches, ordered.
  virtual caf::expected<std::vector<msg::x402_work>> x402_open_work() = 0;
  /// Deletes nonce rows created before `before`; returns how many.
  virtual caf::expected<uint64_t> prune_x402_nonces(msg::timestamp_us before) = 0;
  /// Number of intents per status (all streams; statuses without intents are absent).
  virtual caf::expected<std::vector<std::pair<msg::x402_status, uint64_t>>>
  x402_status_counts() = 0;
};

/// The x402 interface of an event store connection (same object, same connection). Both
/// backends implement it; a test double must too.
inline x402_store& x402_of(event_store& s) {
  return dynamic_cast<x402_store&>(s);
}

} // namespace seq::storage
