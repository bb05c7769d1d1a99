// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The protocols of the projection actors (actors/projector, actors/dlq):
///   - public: DLQ retry actor ← routes/CLI (`retry_dlq`), projector ← routes/operators
///     (`get_atom` → projection_status, `resume_atom`), projector ← DLQ retry actor
///     (`reapply_dlq`);
///   - node-local: projector / DLQ retry actor → projection I/O workers. Their payloads
///     travel as shared pointers to immutable data and their `inspect` skips the pointers
///     (like messages/sequencing.hpp).
/// The values shared with storage and the routes are in messages/projection.hpp.

#include "messages/domain.hpp"
#include "messages/projection.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "caf/atom.hpp"
#include "caf/error.hpp"
#include "caf/meta/load_callback.hpp"
#include "caf/meta/type_name.hpp"

namespace seq::msg {

/// How a stream's projection reacts to an event that cannot be applied.
///   park (default): the event gets a DLQ row and the projection goes on; later events of
///     the SAME entity in the same space are parked behind it (blocked_behind) until it
///     resolves, events of other entities are applied. (VES and legacy events have no order
///     between them, so a failed VES event never holds back the entity's legacy events and
///     vice versa.)
///   halt: the projection of the whole stream stops at the event (its checkpoint stays just
///     before it; the event gets a DLQ row) until an operator acts: a retry that succeeds
///     applies it and the projection continues; `resume_atom` continues past it (a purged
///     or resolved row: the event is skipped; an unresolved row stays parked and its entity
///     is blocked as in park mode).
enum class blocking_mode : uint8_t { park = 0, halt = 1 };
std::string to_string(blocking_mode m);
std::optional<blocking_mode> parse_blocking_mode(std::string_view s);

/// An entity of one space whose later events of that space are parked behind an
/// unresolved DLQ row (blocking is per space: the two spaces have no order between them).
struct blocked_entity {
  uint8_t space = 0;
  entity_key entity;
  auto operator<=>(const blocked_entity&) const = default;
};

/// Where a halted projection stopped (halt mode).
struct projection_halt {
  uint8_t space = 0;
  uint64_t sequence_number = 0;
  uuid event_id;
  uuid dlq_id;
  entity_key entity;
  dlq_reason reason = dlq_reason::handler_error;
  std::string message;
};

// -- atoms ------------------------------------------------------------------------------------

/// Operator → projector: leave halt mode's stop (see blocking_mode). Reply: projection_status.
using resume_atom = caf::atom_constant<caf::atom("resume")>;
constexpr resume_atom resume_atom_v = resume_atom{};
/// Projector / DLQ retry actor → itself: timers.
using project_atom = caf::atom_constant<caf::atom("project")>;
constexpr project_atom project_atom_v = project_atom{};

// -- public protocol --------------------------------------------------------------------------

/// Route/CLI → DLQ retry actor: retry the event of DLQ row `id` now. Reply: the row as
/// written afterwards (resolved, pending with its next retry, or dead), or a caf::error:
/// errc::not_found (no such row), errc::invalid_request (resolved, already being retried, or
/// waiting behind an earlier unresolved row of its entity), storage errors. The retry actor
/// writes the `dlq_retry` audit row with `requested_by` as its actor.
struct retry_dlq {
  uuid id;
  std::string requested_by;
};

/// DLQ retry actor → the stream's projector: re-apply the event of this row (status
/// retrying). Reply: the row as written (see retry_dlq), or a caf::error.
struct reapply_dlq {
  dlq_entry entry;
};

/// Reply of a projector to `get_atom` and `resume_atom`.
struct projection_status {
  stream_key stream;
  blocking_mode mode = blocking_mode::park;
  projection_checkpoints checkpoints;
  /// Highest committed sequence the projector knows of, per space.
  uint64_t known_head_legacy = 0, known_head_ves = 0;
  bool loaded = false;
  bool halted = false;
  uint8_t halted_space = 0;
  uint64_t halted_sequence = 0;
  uuid halted_dlq_id;
  /// Entities whose events are parked behind an unresolved DLQ row.
  uint64_t blocked_entities = 0;
  /// Since this projector started.
  uint64_t applied = 0, skipped = 0, encrypted_skipped = 0, parked = 0, blocked_behind = 0;
};

// -- projection I/O workers (node-local) ------------------------------------------------------

/// Projector → I/O worker on start. Reply: projection_loaded.
struct load_projection {
  stream_key stream;
  blocking_mode mode = blocking_mode::park;
};
struct projection_loaded {
  projection_checkpoints checkpoints;
  std::shared_ptr<const std::vector<blocked_entity>> blocked;
  /// Halt mode: the stream stopped at this event before (its DLQ row is unresolved).
  std::shared_ptr<const projection_halt> halt;
};

/// The projectable events of one committed group (node-local, shared, read-only).
using fed_events = std::shared_ptr<const std::vector<projectable_event>>;

/// Apply up to `limit` events of one space from `from` on (see actors/projector).
struct projection_batch_request {
  stream_key stream;
  uint8_t space = 0;
  uint64_t from = 1;
  uint32_t limit = 100;
  blocking_mode mode = blocking_mode::park;
  /// Entities with an unresolved DLQ row in this space: their events are parked behind it.
  std::set<entity_key> blocked;
  /// Committed events of this space that the batch starts in, group by group, in order (the
  /// projector's committed_feed): the batch is projected from them instead of reading
  /// storage when they hold `from`.
  std::vector<fed_events> fed;
};

struct projection_batch_outcome {
  /// The space's checkpoint after the batch (everything up to it is committed).
  uint64_t checkpoint = 0;
  uint64_t events_read = 0;
  /// Of those, events taken from the request's committed groups instead of storage.
  uint64_t events_fed = 0;
  uint64_t applied = 0, skipped = 0, encrypted = 0, parked = 0, blocked_behind = 0, dead = 0;
  /// Entities of this space that got their first unresolved DLQ row in this batch (park
  /// mode).
  std::vector<entity_key> newly_blocked;
  /// Set when the batch stopped at a failed event in halt mode.
  std::optional<projection_halt> halted;
  /// Fewer events than `limit` were left: the space was read to its end.
  bool end_reached = false;
  /// A storage failure stopped the batch (the progress above is committed).
  caf::error error;
};

struct project_batch {
  std::shared_ptr<const projection_batch_request> req;
};
struct batch_projected {
  std::shared_ptr<const projection_batch_outcome> outcome;
};

/// Re-apply the event of a DLQ row, then the rows parked behind it.
struct dlq_retry_request {
  stream_key stream;
  dlq_entry entry;
  /// The projector's checkpoint of entry.space: a row just after it (halt mode) advances it.
  uint64_t checkpoint = 0;
};

struct dlq_retry_outcome {
  /// The row as written.
  dlq_entry entry;
  /// Rows parked behind it that were applied (resolved) after it, in order.
  uint64_t chain_resolved = 0;
  /// A row parked behind it that failed on its own and is now the entity's first row.
  std::optional<dlq_entry> new_head;
  /// No unresolved DLQ row of the entity is left in entry.space: it is not blocked there
  /// any more.
  bool entity_clear = false;
  /// The checkpoint of entry.space moved to entry.sequence_number.
  bool checkpoint_advanced = false;
  /// A storage failure interrupted the rows behind it (the entry itself is written as
  /// above); the projector reloads later, which re-applies the rest.
  caf::error chain_error;
};

struct apply_dlq_retry {
  std::shared_ptr<const dlq_retry_request> req;
};
struct dlq_retry_applied {
  std::shared_ptr<const dlq_retry_outcome> outcome;
};

/// Projector → I/O worker: continue past a halt (see blocking_mode). Reply: halt_resumed.
struct resume_halt {
  stream_key stream;
  std::shared_ptr<const projection_halt> halt;
};
struct halt_resumed {
  uint64_t checkpoint = 0;
  /// The halted row is still unresolved: its entity is blocked from now on.
  bool entity_blocked = false;
};

/// DLQ retry actor → I/O worker: rows due at `now`, oldest due first. Reply: dlq_rows.
struct dlq_fetch_due {
  timestamp_us now = 0;
  uint32_t limit = 0;
};
/// DLQ retry actor → I/O worker: rows in status retrying last updated before `before`.
/// Reply: dlq_rows.
struct dlq_fetch_stale {
  timestamp_us before = 0;
  uint32_t limit = 0;
};
struct dlq_rows {
  std::shared_ptr<const std::vector<dlq_entry>> rows;
};
/// DLQ retry actor → I/O worker. Reply: dlq_entry, or errc::not_found.
struct dlq_get {
  uuid id;
};
/// DLQ retry actor → I/O worker: overwrite a row's status/retry data. Reply: ok_atom.
struct dlq_update {
  dlq_entry entry;
};
/// → I/O worker: write one audit row. Reply: ok_atom.
struct dlq_audit {
  std::shared_ptr<const audit_entry> entry;
};

// -- inspectors -------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entity_key& x) {
  return f(caf::meta::type_name("seq::entity_key"), x.entity_type, x.entity_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, projection_checkpoints& x) {
  return f(caf::meta::type_name("seq::projection_checkpoints"), x.legacy, x.ves);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_entry& x) {
  // std::optional is not inspectable in CAF 0.17: next_retry_at travels as (flag, value).
  bool has_next = x.next_retry_at.has_value();
  timestamp_us next = x.next_retry_at.value_or(0);
  return f(caf::meta::type_name("seq::dlq_entry"), x.id, x.event_id, x.stream, x.space,
           x.sequence_number, x.entity_type, x.entity_id, x.event_type, x.reason, x.message,
           x.status, x.retry_count, x.max_retries, has_next, next, x.blocked_behind,
           x.created_at, x.updated_at, caf::meta::load_callback([&]() -> caf::error {
             if (has_next)
               x.next_retry_at = next;
             else
               x.next_retry_at.reset();
             return caf::none;
           }));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, retry_dlq& x) {
  return f(caf::meta::type_name("seq::retry_dlq"), x.id, x.requested_by);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reapply_dlq& x) {
  return f(caf::meta::type_name("seq::reapply_dlq"), x.entry);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, projection_status& x) {
  return f(caf::meta::type_name("seq::projection_status"), x.stream, x.mode, x.checkpoints,
           x.known_head_legacy, x.known_head_ves, x.loaded, x.halted, x.halted_space,
           x.halted_sequence, x.halted_dlq_id, x.blocked_entities, x.applied, x.skipped,
           x.encrypted_skipped, x.parked, x.blocked_behind);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_projection& x) {
  return f(caf::meta::type_name("seq::load_projection"), x.stream, x.mode);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, projection_loaded& x) {
  return f(caf::meta::type_name("seq::projection_loaded"), x.checkpoints);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, project_batch&) {
  return f(caf::meta::type_name("seq::project_batch"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_projected&) {
  return f(caf::meta::type_name("seq::batch_projected"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, apply_dlq_retry&) {
  return f(caf::meta::type_name("seq::apply_dlq_retry"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_retry_applied&) {
  return f(caf::meta::type_name("seq::dlq_retry_applied"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resume_halt& x) {
  return f(caf::meta::type_name("seq::resume_halt"), x.stream);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, halt_resumed& x) {
  return f(caf::meta::type_name("seq::halt_resumed"), x.checkpoint, x.entity_blocked);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_fetch_due& x) {
  return f(caf::meta::type_name("seq::dlq_fetch_due"), x.now, x.limit);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_fetch_stale& x) {
  return f(caf::meta::type_name("seq::dlq_fetch_stale"), x.before, x.limit);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_rows&) {
  return f(caf::meta::type_name("seq::dlq_rows"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_get& x) {
  return f(caf::meta::type_name("seq::dlq_get"), x.id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_update& x) {
  return f(caf::meta::type_name("seq::dlq_update"), x.entry);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dlq_audit&) {
  return f(caf::meta::type_name("seq::dlq_audit"));
}

} // namespace seq::msg
