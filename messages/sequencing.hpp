// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The protocols between the ingest actors (actors/): stream sequencer ↔ verify pool,
/// stream sequencer ↔ storage writer, and the control messages of the stream registry and
/// the stream supervisors. All payloads travel as shared pointers to immutable data: these
/// messages are node-local and their `inspect` skips the pointers (like messages/ingest.hpp).

#include "messages/domain.hpp"
#include "messages/ingest.hpp"
#include "messages/store.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/meta/type_name.hpp"

namespace seq::msg {

// -- atoms ------------------------------------------------------------------------------------

/// Registry/supervisor/sequencer: stop taking work, flush the queue, then reply ok_atom.
using drain_atom = caf::atom_constant<caf::atom("drain")>;
constexpr drain_atom drain_atom_v = drain_atom{};
/// Registry → supervisor → sequencer: how much work is pending? Reply: stream_activity.
using activity_atom = caf::atom_constant<caf::atom("activity")>;
constexpr activity_atom activity_atom_v = activity_atom{};
/// Supervisor → itself: the restart back-off elapsed, spawn the sequencer again.
using respawn_atom = caf::atom_constant<caf::atom("respawn")>;
constexpr respawn_atom respawn_atom_v = respawn_atom{};
/// Sequencer → itself: retry loading the stream state after a storage failure.
using reload_atom = caf::atom_constant<caf::atom("reload")>;
constexpr reload_atom reload_atom_v = reload_atom{};

// -- verify pool ------------------------------------------------------------------------------

/// What the verify pool concluded for one VES request, index-aligned with `candidates`.
struct verified_ves {
  /// The request's candidates with `ev.payload` (JCS text), `ev.payload_encrypted` (compact
  /// JSON) and `ev.event_signing_hash` filled — also when the verdict is a rejection.
  std::vector<ves_candidate> candidates;
  std::vector<ves_verdict> verdicts;
  /// Replay fingerprint of each candidate (actors/sequencer/replay.hpp).
  std::vector<hash32> fingerprints;
  /// Stored events with the ids of REJECTED candidates (a replay of a stored event must
  /// return its receipt even if, say, its key was revoked since).
  std::vector<sequenced_ves_event> stored;
};

/// What the verify pool concluded for one legacy request, index-aligned with `candidates`.
struct verified_legacy {
  /// The candidates with `ev.payload` (compact JSON) and `ev.payload_hash` filled.
  std::vector<legacy_candidate> candidates;
  /// A rejection (InvalidPayloadHash) per candidate, or none.
  std::vector<std::optional<rejection>> rejections;
};

/// Sequencer → verify pool. Reply: ves_batch_verified, or a caf::error (storage) for the
/// whole batch. The pool takes the candidates out of `events`.
struct verify_ves_batch {
  std::shared_ptr<std::vector<ves_candidate>> events;
};
struct ves_batch_verified {
  std::shared_ptr<const verified_ves> result;
};

/// Sequencer → verify pool. Reply: legacy_batch_verified.
struct verify_legacy_batch {
  std::shared_ptr<std::vector<legacy_candidate>> events;
};
struct legacy_batch_verified {
  std::shared_ptr<const verified_legacy> result;
};

// -- storage writer ---------------------------------------------------------------------------

/// Heads and entity versions of one stream, as loaded from storage.
struct stream_snapshot {
  stream_heads heads;
  std::vector<std::pair<entity_key, int64_t>> versions;
};

/// Sequencer → storage writer. Reply: stream_loaded, or a caf::error.
struct load_stream {
  stream_key stream;
};
struct stream_loaded {
  std::shared_ptr<const stream_snapshot> snapshot;
};

/// Sequencer → storage writer: write one group in one transaction. Reply: group_committed,
/// or a caf::error (errc::storage_conflict, errc::storage_unavailable, …).
struct commit_group {
  std::shared_ptr<const storage::write_group> group;
};
struct group_committed {
  uint64_t events = 0;
};

/// Sequencer → storage writer: what conflicts with a failed group. Reply: conflict_inspected.
struct inspect_conflict {
  std::shared_ptr<const storage::write_group> group;
};
struct conflict_inspected {
  std::shared_ptr<const storage::conflict_report> report;
};

// -- registry / supervisor control ------------------------------------------------------------

/// Reply to activity_atom: work a sequencer has not answered yet.
struct stream_activity {
  uint64_t queued_events = 0;    ///< waiting for verification or for the next group
  uint64_t in_flight_events = 0; ///< in the group being written
  bool idle() const { return queued_events == 0 && in_flight_events == 0; }
};

// -- per-stream companions (projector, committer, …) ----------------------------------------

/// Fact, sequencer → its supervisor → every companion of the stream: events with sequence
/// numbers [first, last] of space `sp` (msg::space as an integer) have committed.
struct events_committed {
  stream_key stream;
  uint8_t sp = 0;
  uint64_t first = 0;
  uint64_t last = 0;
  /// The committed group itself (node-local, read-only, shared with the sequencer's plan;
  /// null when the sender has none): the projector projects from it instead of reading the
  /// events back. Not part of the message's identity.
  std::shared_ptr<const storage::write_group> group;
  bool operator==(const events_committed& o) const {
    return stream == o.stream && sp == o.sp && first == o.first && last == o.last;
  }
};

/// Request to the registry (spawns the stream on first use) and then to the stream's
/// supervisor: the handle of the companion with this role. Reply: caf::actor, or
/// errc::not_found when no companion has that role.
struct get_companion {
  stream_key stream;
  std::string role;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, events_committed& x) {
  return f(caf::meta::type_name("seq::events_committed"), x.stream, x.sp, x.first, x.last);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_companion& x) {
  return f(caf::meta::type_name("seq::get_companion"), x.stream, x.role);
}

// -- inspectors -------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verify_ves_batch&) {
  return f(caf::meta::type_name("seq::verify_ves_batch"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ves_batch_verified&) {
  return f(caf::meta::type_name("seq::ves_batch_verified"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, verify_legacy_batch&) {
  return f(caf::meta::type_name("seq::verify_legacy_batch"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, legacy_batch_verified&) {
  return f(caf::meta::type_name("seq::legacy_batch_verified"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_stream& x) {
  return f(caf::meta::type_name("seq::load_stream"), x.stream);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_loaded&) {
  return f(caf::meta::type_name("seq::stream_loaded"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, commit_group&) {
  return f(caf::meta::type_name("seq::commit_group"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, group_committed& x) {
  return f(caf::meta::type_name("seq::group_committed"), x.events);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inspect_conflict&) {
  return f(caf::meta::type_name("seq::inspect_conflict"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conflict_inspected&) {
  return f(caf::meta::type_name("seq::conflict_inspected"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_activity& x) {
  return f(caf::meta::type_name("seq::stream_activity"), x.queued_events, x.in_flight_events);
}

} // namespace seq::msg
