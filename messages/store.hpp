// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The storage contract (implemented in adapters/storage/). One `event_store` object owns one database connection and is not
/// thread-safe; `store_pool` hands connections to threads. Two real implementations:
/// SQLite (adapters/storage/sqlite) and PostgreSQL via libpq (adapters/storage/postgres).
///
/// Storage is the final fence, not the lock: `commit_group` writes one group commit in ONE
/// transaction and fails the whole group with errc::storage_conflict when a unique key
/// (event id, (tenant, store, sequence) per space, command id) or an entity-version
/// compare-and-set fires. The caller (the stream's sequencer) then calls `inspect_conflict`,
/// fixes its view and retries; no number is ever skipped. Errors: errc::storage_unavailable
/// when the database cannot be reached (the connection reconnects on the next call),
/// errc::storage_failure otherwise.

#include "messages/domain.hpp"
#include "messages/projection.hpp"
#include "messages/x402.hpp"

#include <memory>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "caf/expected.hpp"

namespace seq::storage {

using msg::entity_key;
using msg::stream_key;
using msg::uuid;

/// Compare-and-set of one entity version: succeeds only if the stored version (0 when the
/// row is absent) equals `expected`.
struct entity_cas {
  entity_key key;
  int64_t expected = 0;
  int64_t next = 0;
};

/// What the Merkle leaf of one VES event is computed from (with the stream's tenant and store).
struct ves_leaf_row {
  uint64_t sequence_number = 0;
  msg::hash32 event_signing_hash{};
  msg::sig64 agent_signature{};
};

/// Everything one group commit writes for one stream, in one transaction.
struct write_group {
  stream_key stream;
  std::vector<msg::sequenced_ves_event> ves;       ///< events + receipts
  std::vector<msg::sequenced_legacy_event> legacy;
  std::vector<uuid> ves_commands;                  ///< rows for ves_command_dedupe
  std::vector<uuid> legacy_commands;               ///< rows for event_command_dedupe
  std::vector<entity_cas> versions;
  /// x402 payment intents (status sequenced) with their nonce rows (messages/x402_store.hpp).
  std::vector<msg::x402_intent> x402;
  bool empty() const { return ves.empty() && legacy.empty() && x402.empty(); }
};

/// What already exists for the ids and entities of a failed group.
struct conflict_report {
  std::vector<msg::sequenced_ves_event> existing_ves;   ///< stored events (any stream) with these ids
  std::vector<uuid> existing_legacy_ids;                 ///< legacy event ids already stored
  std::vector<uuid> existing_ves_commands;               ///< already reserved in this stream
  std::vector<uuid> existing_legacy_commands;
  std::vector<std::pair<entity_key, int64_t>> versions;  ///< current versions (0 = absent)
  msg::stream_heads heads;                               ///< current heads of the stream
  std::vector<msg::x402_nonce_key> existing_x402_nonces;  ///< nonces already used in the stream
  /// Idempotency keys already used in the stream, with their intents.
  std::vector<std::pair<std::string, uuid>> existing_x402_keys;
};

class event_store {
public:
  virtual ~event_store() = default;

  /// "sqlite" or "postgres".
  virtual std::string backend() const = 0;

  /// Applies the numbered migrations that are not applied yet.
  virtual caf::expected<void> migrate() = 0;
  /// A cheap round trip (`SELECT 1`).
  virtual caf::expected<void> ping() = 0;

  // -- sequencing -----------------------------------------------------------------------------

  /// MAX(sequence_number) of each space (0 when empty).
  virtual caf::expected<msg::stream_heads> load_heads(const stream_key& s) = 0;
  /// All entity versions of a stream.
  virtual caf::expected<std::vector<std::pair<entity_key, int64_t>>>
  load_entity_versions(const stream_key& s) = 0;
  /// Writes the group in one transaction (see file comment).
  virtual caf::expected<void> commit_group(const write_group& g) = 0;
  /// Reads what conflicts with `g` (outside any transaction).
  virtual caf::expected<conflict_report> inspect_conflict(const write_group& g) = 0;
  /// Stored VES events (with receipts) for these ids, any stream.
  virtual caf::expected<std::vector<msg::sequenced_ves_event>>
  find_ves_events(const std::vector<uuid>& ids) = 0;

  // -- reads ----------------------------------------------------------------------------------

  /// VES events with sequence_number in [from, from + limit - 1], ascending.
  virtual caf::expected<std::vector<msg::sequenced_ves_event>>
  read_ves_events(const stream_key& s, uint64_t from, uint32_t limit) = 0;
  /// The same range of VES events as a projection reads them: space VES, the payload (JCS)
  /// only when it is plaintext, and nothing of the receipt, hashes or signatures.
  virtual caf::expected<std::vector<msg::projectable_event>>
  read_ves_projectable(const stream_key& s, uint64_t from, uint32_t limit) = 0;
  /// The same range of VES events reduced to their Merkle leaf inputs (commitments, proofs).
  virtual caf::expected<std::vector<ves_leaf_row>>
  read_ves_leaf_rows(const stream_key& s, uint64_t from, uint32_t limit) = 0;
  /// Legacy events with sequence_number in [from, from + limit - 1], ascending.
  virtual caf::expected<std::vector<msg::sequenced_legacy_event>>
  read_legacy_events(const stream_key& s, uint64_t from, uint32_t limit) = 0;
  /// All legacy events of one entity, ascending by sequence.
  virtual caf::expected<std::vector<msg::sequenced_legacy_event>>
  read_entity_events(const stream_key& s, const entity_key& e) = 0;

  // -- agent signing keys ---------------------------------------------------------------------

  /// errc::already_exists for a duplicate (tenant, agent, key_id).
  virtual caf::expected<void> insert_agent_key(const msg::agent_key& k) = 0;
  /// errc::not_found when absent.
  virtual caf::expected<msg::agent_key> get_agent_key(const uuid& tenant, const uuid& agent,
                                                      uint32_t key_id) = 0;

  // -- API keys -------------------------------------------------------------------------------

  /// Insert or overwrite by key_hash.
  virtual caf::expected<void> upsert_api_key(const msg::api_key_record& k) = 0;
  /// errc::not_found when absent (inactive keys are returned with active = false).
  virtual caf::expected<msg::api_key_record> get_api_key(const std::string& key_hash) = 0;
  /// Keys of one agent (all tenants when `tenant` is empty), newest `updated_at` first.
  virtual caf::expected<std::vector<msg::api_key_record>>
  list_api_keys(const std::optional<uuid>& agent, const std::optional<uuid>& tenant) = 0;
  /// Sets active = false on the first key (of `agent` if given) whose hash starts with
  /// `hash_prefix`; errc::not_found when none.
  virtual caf::expected<msg::api_key_record>
  revoke_api_key(const std::string& hash_prefix, const std::optional<uuid>& agent,
                 const std::optional<uuid>& tenant) = 0;
};

} // namespace seq::storage
