// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The blocking work of a commitment, CAF-free: read the range from the event store, check it
/// (ves-crypto §8 / §9 and wire-contract §3.9–§3.10 rules), build the tree and the state root
/// and insert the row. Run only by the committer's I/O worker, which serialises every
/// commitment of a stream (one committer per stream, one worker per stream).
///
/// Client mistakes (empty/reversed range, wrong start, gap, overlap, events missing) answer
/// errc::invalid_request with the reference's message; storage failures pass through.

#include "messages/commitment.hpp"
#include "messages/committer.hpp"
#include "messages/ves/ves.hpp"

#include <vector>

#include "caf/expected.hpp"

namespace seq::actors::committer {

/// Creates (or returns the existing, idempotently) VES commitment for [start, end] of
/// `s`. `now` becomes committed_at.
caf::expected<msg::ves_commitment_built>
create_ves_commitment(storage::event_store& events, storage::commitment_store& commitments,
                      const msg::stream_key& s, uint64_t start, uint64_t end,
                      msg::timestamp_us now);

/// The leaf hashes of an existing VES commitment, re-read from the events and checked
/// against its merkle_root (errc::internal "Commitment merkle_root does not match
/// ves_events" otherwise).
caf::expected<msg::ves_commitment_built> load_ves_leaves(storage::event_store& events,
                                                         const msg::ves_commitment& c);

/// Creates the legacy commitment for [start, end] of `s` (§9: rs_merkle events root, legacy
/// state root over the stream's entity versions, chained by prev_state_root). Idempotent for
/// the same range.
caf::expected<msg::legacy_commitment>
create_legacy_commitment(storage::event_store& events, storage::commitment_store& commitments,
                         const msg::stream_key& s, uint64_t start, uint64_t end,
                         msg::timestamp_us now);

/// The VES leaf hash of a stored event of stream `s` (§6).
msg::hash32 ves_leaf(const msg::stream_key& s, const storage::ves_leaf_row& e);
/// The legacy (v1, domain-separated) leaf hash of a stored event (§9).
msg::hash32 legacy_leaf(const msg::sequenced_legacy_event& e);

/// The proof of `sequence_number` in commitment `c` with tree `t` (the caller checked the
/// range).
msg::ves_proof make_ves_proof(const msg::ves_commitment& c, const ves::merkle_tree& t,
                              uint64_t sequence_number);

} // namespace seq::actors::committer
