// SPDX-License-Identifier: Apache-2.0
#pragma once

/// What a projection I/O worker does for a projector: a plain class (no CAF actors) that
/// drives the domain handlers against an event source and a projection store. The worker
/// builds one per call around the connections it owns.
///
/// Every event is ONE projection step (the projection upsert or the DLQ row, and the
/// checkpoint), except events that change nothing (encrypted VES events, entity types
/// without a handler, unknown event types): those only move the checkpoint, which is written
/// with the next step or, at the end of a batch, by one checkpoint-only step (re-skipping them
/// after a crash is harmless). The steps of applied events are written together, up to 128
/// in ONE `projection_store::apply_steps` transaction (at the end of the batch, and before
/// any DLQ row, audit row or read that could depend on them), so a batch costs one round
/// trip and one commit instead of one per event; a failed write applies none of them.
///
/// Batch (park mode), per event in sequence order:
///   encrypted → counted, skipped; no handler → skipped;
///   entity blocked in this space (it has an unresolved DLQ row of this space) → a DLQ
///     row with blocked_behind (`dlq_policy::blocked_behind`), checkpoint advanced;
///   else load the entity's projection (cached for the batch) → handlers::apply_event →
///     applied: upsert (version + 1, last_sequence = the event's) + checkpoint;
///     skipped: checkpoint only; failed: a DLQ row (`dlq_policy::first_failure`: pending
///     with its first retry time, or dead at once) + checkpoint, and the entity is blocked.
/// Halt mode: a failed event is not passed: its DLQ row is written WITHOUT advancing the
///   checkpoint and the batch stops (`halted`). After a restart the same event fails
///   again: when its row (id = event id) is still unresolved nothing is written again.
///
/// DLQ row ids are the event ids (one row per event; `GET /dlq/{event id}` works).
/// Blocking is per (space, entity): the rows of an entity in one space are ordered by
/// sequence number; VES and legacy events have no order between them, so neither space
/// waits for the other.
///
///
/// Retry of one row (`retry`): refused with errc::invalid_request while an earlier
/// unresolved row of the same entity and space exists; otherwise the event is re-applied to the
/// entity's current state: success → the upsert and the row resolved in one step
/// (checkpoint advanced only when the event is the next one of its space: a halted
/// stream); then every row parked behind it is re-applied in order (resolved one by one)
/// until one fails on its own: that row becomes the entity's first row
/// (`first_failure`). A failed retry → `dlq_policy::retry_failed` written with the step.
/// Re-applying never moves a checkpoint backwards.
///
/// Errors: storage errors are returned (a batch reports its committed progress with the
/// error); an event whose payload is not JSON fails with schema_validation; a stored
/// projection that is not JSON fails with handler_error.

#include "actors/dlq/retry_schedule.hpp"
#include "actors/projector/handlers.hpp"
#include "messages/projection.hpp"
#include "messages/projector.hpp"
#include "messages/store.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <utility>
#include <vector>

#include "caf/expected.hpp"

namespace seq::actors::projection {

/// The id of the DLQ row of event `event_id` in `space`. Event ids are unique within a space,
/// but a legacy event may carry a VES event's id: the VES row takes the event id itself, the
/// legacy row a UUID derived from it (SHA-256 of a label and the id, with version 8 bits).
ves::uuid dlq_id(const ves::uuid& event_id, uint8_t space);

/// Wall-clock time for DLQ rows and projections; tests inject virtual time.
using clock_fn = std::function<msg::timestamp_us()>;

/// Reads a stream's stored events for the projector.
class event_source {
public:
  virtual ~event_source() = default;
  /// Events of one space with sequence numbers in [from, from + limit − 1], ascending.
  virtual caf::expected<std::vector<msg::projectable_event>>
  read(const msg::stream_key& s, uint8_t space, uint64_t from, uint32_t limit) = 0;
};

/// event_source over a storage::event_store (VES: read_ves_projectable; legacy:
/// read_legacy_events). x402 has no projections: reading it yields nothing.
class store_event_source : public event_source {
public:
  explicit store_event_source(storage::event_store& db) : db_(db) {
  }
  caf::expected<std::vector<msg::projectable_event>>
  read(const msg::stream_key& s, uint8_t space, uint64_t from, uint32_t limit) override;

private:
  storage::event_store& db_;
};

/// The events of `space` with sequence numbers in [from, from + limit − 1] held by the
/// committed groups `fed` (in commit order), as pointers into them (not copied); nullopt
/// unless they hold `from` and their numbers continue without a gap. Fewer than `limit`
/// events when the groups end first.
std::optional<std::vector<const msg::projectable_event*>>
events_from_groups(const std::vector<msg::fed_events>& fed, uint8_t space, uint64_t from,
                   uint32_t limit);

class projection_engine {
public:
  projection_engine(event_source& events, storage::projection_store& store,
                    const dlq::dlq_policy& policy, clock_fn now);

  /// Checkpoints and blocked entities of a stream (what a projector loads on start). Heals
  /// orphaned chains on the way: an entity whose first unresolved row waits behind a row
  /// that is gone (purged) or resolved gets its waiting rows re-applied now. In halt mode
  /// it also finds a halt that outlived a restart: the event after a space's checkpoint
  /// has an unresolved DLQ row.
  caf::expected<msg::projection_loaded> load(const msg::stream_key& s,
                                             msg::blocking_mode mode = msg::blocking_mode::park);

  /// Applies up to req.limit events from req.from on (see the file comment): the events
  /// come from req.fed when those groups hold req.from (events_from_groups), else from the
  /// event source.
  msg::projection_batch_outcome run_batch(const msg::projection_batch_request& req);

  /// Re-applies the event of one DLQ row and the rows parked behind it.
  caf::expected<msg::dlq_retry_outcome> retry(const msg::dlq_retry_request& req);

  /// Continues past a halt: a checkpoint-only step to the halted event.
  caf::expected<msg::halt_resumed> resume(const msg::stream_key& s,
                                          const msg::projection_halt& halt);


private:
  using state_t = std::optional<std::pair<ves::json::value, int64_t>>;

  /// The entity's current state (cached for this call); errc::internal for a corrupt row.
  caf::expected<state_t> current(const msg::stream_key& s, const msg::entity_key& k);
  static caf::expected<state_t> parse_state(const msg::projection_row& row);
  /// Loads the states of the entities `evs` will apply to (after `after`, not blocked, not
  /// cached yet) with one get_projections call.
  caf::expected<void> prefetch(const msg::stream_key& s,
                               const std::vector<const msg::projectable_event*>& evs,
                               uint64_t after, const std::set<msg::entity_key>& blocked);

  /// Runs the handlers for one event.
  apply_result evaluate(const state_t& cur, const msg::projectable_event& ev);

  /// The projection row for an applied event.
  msg::projection_row row_for(const msg::stream_key& s, const msg::projectable_event& ev,
                              const state_t& cur, const ves::json::value& state) const;

  msg::dlq_entry entry_for(const msg::stream_key& s, const msg::projectable_event& ev) const;

  /// The DLQ row of `ev` (errc::not_found when there is none).
  caf::expected<msg::dlq_entry> dlq_row_of(const msg::projectable_event& ev);
  /// The stored event of a DLQ row.
  caf::expected<msg::projectable_event> event_of(const msg::stream_key& s,
                                                 const msg::dlq_entry& e);

  /// A DLQ row's event run through the handlers again, against its entity's current state.
  struct reapplied {
    std::optional<msg::projectable_event> ev; ///< none when the event could not be read
    state_t cur;                              ///< the state `res` was computed from
    apply_result res;
  };
  /// A missing event or a corrupt state row is a handler_error result; any other storage
  /// error is returned.
  caf::expected<reapplied> reapply(const msg::stream_key& s, const msg::dlq_entry& r);

  /// Unresolved rows (pending, retrying, dead) of one entity in one space, by sequence.
  caf::expected<std::vector<msg::dlq_entry>>
  unresolved_rows(const msg::stream_key& s, uint8_t space, const msg::entity_key& k);

  /// Re-applies the rows parked behind a resolved row, in order (stops at the first that
  /// fails on its own: out.new_head).
  caf::expected<void> run_chain(const msg::stream_key& s, uint8_t space,
                                const msg::entity_key& k, msg::dlq_retry_outcome& out);

  void audit(const std::string& action, const msg::dlq_entry& e);

  event_source& events_;
  storage::projection_store& store_;
  const dlq::dlq_policy& policy_;
  clock_fn now_;
  std::map<msg::entity_key, state_t> cache_;
};

} // namespace seq::actors::projection
