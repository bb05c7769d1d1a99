// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Projections and the dead-letter queue: the values the projector, the DLQ retry actor, the
/// routes and the `ves` CLI share, and the storage contract they use (implemented in
/// adapters/storage/{sqlite,postgres}/ next to the event store, on the same database).
///
/// Every projector step is atomic with the checkpoint of its space: the projection upsert (or
/// the DLQ row) and the checkpoint, in ONE transaction (`apply_step`, or `apply_steps` for the
/// steps of a whole batch) — so a crash never applies an event twice or skips one. Checkpoints are per (tenant, store, space): VES and legacy events are
/// applied in their own sequence order.

#include "messages/domain.hpp"
#include "messages/errc.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "caf/expected.hpp"

namespace seq::msg {

/// One stored event as a projector reads it (VES or legacy).
struct projectable_event {
  uint8_t space = 0;            ///< msg::space
  uint64_t sequence_number = 0;
  uuid event_id;
  std::string entity_type, entity_id, event_type;
  bool encrypted = false;       ///< VES payload_kind 1: the sequencer cannot read it
  std::string payload;          ///< JSON text (VES: JCS; legacy: compact)
  std::optional<uint64_t> base_version;
};

/// A committed event as the projector reads it back from storage: the same fields, the same
/// text (a VES payload is stored as its JCS text and read back canonicalized; a legacy
/// payload is stored byte-exact), so a projector fed from memory projects exactly what it
/// would have read.
projectable_event to_projectable(const sequenced_ves_event& e);
projectable_event to_projectable(const sequenced_legacy_event& e);

/// Why an event could not be applied (the DLQ `reason`).
enum class dlq_reason : uint8_t {
  version_conflict = 1,
  invariant_violation = 2,
  invalid_state_transition = 3,
  schema_validation = 4,
  handler_error = 5,
};
std::string to_string(dlq_reason r);
std::optional<dlq_reason> parse_dlq_reason(std::string_view s);
/// Invariant violations and invalid state transitions never succeed on retry.
bool retryable(dlq_reason r);

/// pending → retrying → resolved | pending (again) | dead.
enum class dlq_status : uint8_t { pending = 1, retrying = 2, resolved = 3, dead = 4 };
std::string to_string(dlq_status s);
std::optional<dlq_status> parse_dlq_status(std::string_view s);

/// The current projected state of one entity.
struct projection_row {
  stream_key stream;
  std::string entity_type, entity_id;
  std::string state;               ///< JSON object text
  int64_t version = 0;             ///< events applied to this entity
  uint8_t space = 0;               ///< msg::space of the last applied event
  uint64_t last_sequence = 0;      ///< its sequence number
  timestamp_us updated_at = 0;
};

/// One dead-lettered event.
struct dlq_entry {
  uuid id;                         ///< the DLQ row id
  uuid event_id;
  stream_key stream;
  uint8_t space = 0;
  uint64_t sequence_number = 0;
  std::string entity_type, entity_id, event_type;
  dlq_reason reason = dlq_reason::handler_error;
  std::string message;
  dlq_status status = dlq_status::pending;
  uint32_t retry_count = 0;
  uint32_t max_retries = 10;
  std::optional<timestamp_us> next_retry_at;
  /// True when the event was parked only because an earlier event of the same entity is
  /// parked (it waits behind it instead of overtaking it).
  bool blocked_behind = false;
  timestamp_us created_at = 0, updated_at = 0;
};

/// One projector step for one event, written in one transaction.
struct projection_step {
  stream_key stream;
  uint8_t space = 0;
  uint64_t sequence_number = 0;              ///< becomes the checkpoint of `space`
  std::optional<projection_row> upsert;      ///< the new state of the event's entity
  std::optional<dlq_entry> park;             ///< insert (or update by event_id) a DLQ row
  std::optional<uuid> resolve;               ///< mark this DLQ row resolved (a successful retry)
  bool advance_checkpoint = true;            ///< false for retries of already-passed events
};

struct projection_checkpoints {
  uint64_t legacy = 0, ves = 0;
};

struct dlq_filter {
  std::optional<stream_key> stream;
  std::optional<dlq_status> status;
  std::optional<dlq_reason> reason;
  /// Only rows of this entity (the projector re-applies an entity's parked events in order).
  std::optional<entity_key> entity;
  uint32_t limit = 100;
};

/// Counts per status and reason, for /projections/status and metrics.
struct dlq_counts {
  std::vector<std::pair<std::string, uint64_t>> by_status;
  std::vector<std::pair<std::string, uint64_t>> by_reason;
};

/// One audit row (every DLQ operation writes one).
struct audit_entry {
  std::string action;              ///< dlq_retry, dlq_purge, dlq_park, dlq_resolve, …
  std::string actor;               ///< key hash prefix, "projector", "dlq_retry", "cli"
  std::optional<uuid> tenant_id;
  std::string resource_type, resource_id;
  std::string details;             ///< JSON object text
};

} // namespace seq::msg

namespace seq::storage {

class projection_store {
public:
  virtual ~projection_store() = default;

  virtual caf::expected<msg::projection_checkpoints> load_checkpoints(const msg::stream_key& s) = 0;
  /// errc::not_found when the entity has no projection.
  virtual caf::expected<msg::projection_row> get_projection(const msg::stream_key& s,
                                                            const std::string& entity_type,
                                                            const std::string& entity_id) = 0;
  /// The projections of those of `keys` that have one, in any order. This default asks
  /// get_projection per key; a store with round trips answers in one (PostgreSQL).
  virtual caf::expected<std::vector<msg::projection_row>>
  get_projections(const msg::stream_key& s, const std::vector<msg::entity_key>& keys) {
    std::vector<msg::projection_row> out;
    for (const auto& k : keys) {
      auto row = get_projection(s, k.entity_type, k.entity_id);
      if (row)
        out.push_back(std::move(*row));
      else if (row.error() != errc::not_found)
        return std::move(row.error());
    }
    return out;
  }
  /// Entities of a type ordered by entity_id, strictly after `after`.
  virtual caf::expected<std::vector<msg::projection_row>>
  list_projections(const msg::stream_key& s, const std::string& entity_type,
                   const std::string& after, uint32_t limit) = 0;
  /// One transaction: upsert/park/resolve as given, then the checkpoint (see file comment).
  virtual caf::expected<void> apply_step(const msg::projection_step& step) = 0;
  /// Several steps, in order, in ONE transaction: all of them or none (a projector batch).
  virtual caf::expected<void> apply_steps(const std::vector<msg::projection_step>& steps) = 0;

  /// Entities of the stream with a pending/retrying/dead DLQ row (events of these entities
  /// are parked behind them).
  virtual caf::expected<std::vector<msg::entity_key>> blocked_entities(const msg::stream_key& s) = 0;
  virtual caf::expected<std::vector<msg::dlq_entry>> list_dlq(const msg::dlq_filter& f) = 0;
  /// errc::not_found when absent.
  virtual caf::expected<msg::dlq_entry> get_dlq(const msg::uuid& id) = 0;
  /// Rows with status pending and next_retry_at ≤ now, oldest due first.
  virtual caf::expected<std::vector<msg::dlq_entry>> due_for_retry(msg::timestamp_us now,
                                                                   uint32_t limit) = 0;
  /// Overwrites status, retry_count, next_retry_at, message of the row with e.id.
  virtual caf::expected<void> update_dlq(const msg::dlq_entry& e) = 0;
  /// Deletes dead and resolved rows matching the filter (all statuses when `force`); returns
  /// how many.
  virtual caf::expected<uint64_t> purge_dlq(const msg::dlq_filter& f, bool force) = 0;
  virtual caf::expected<msg::dlq_counts> dlq_counts(const std::optional<msg::stream_key>& s) = 0;
  virtual caf::expected<void> audit(const msg::audit_entry& a) = 0;

  /// Rebuild (`ves projections rebuild`): begin clears the stream's shadow rows; apply writes
  /// a step into the shadow projections/checkpoints/DLQ; commit replaces the stream's live
  /// projections, checkpoints and DLQ rows with the shadow ones in ONE transaction.
  virtual caf::expected<void> rebuild_begin(const msg::stream_key& s) = 0;
  virtual caf::expected<void> rebuild_apply(const msg::projection_step& step) = 0;
  virtual caf::expected<void> rebuild_commit(const msg::stream_key& s) = 0;
};

} // namespace seq::storage
