// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The ingest vocabulary between the transports and the stream actors: what an adapter
/// decoded from a request (candidates), what verification concluded (verdicts), and what a
/// stream answers (outcomes). Rejection `reason` strings are the reference's wire strings.

#include "messages/domain.hpp"
#include "messages/ves/json.hpp"

#include <memory>

#include "caf/meta/type_name.hpp"
#include <optional>
#include <string>
#include <vector>

namespace seq::msg {

/// One VES envelope as decoded by a transport. `ev` carries the decoded fields; its
/// `payload`, `payload_encrypted` and `event_signing_hash` are filled by verification.
struct ves_candidate {
  ves_event ev;
  std::optional<ves::json::value> payload;           ///< kind 0 (absent/null → none)
  std::optional<ves::json::value> payload_encrypted; ///< kind 1
};

/// A per-event rejection, as it appears in `rejections[]`.
struct rejection {
  uuid event_id;
  std::string reason;  ///< e.g. "invalid_signature", "version_conflict: expected 1, actual 2"
  std::string message;
};

/// The verify pool's conclusion for one VES candidate.
struct ves_verdict {
  bool ok = false;
  rejection why;       ///< when !ok
};

/// What a stream answers for one VES ingest request.
struct ves_ingest_outcome {
  std::vector<receipt> receipts;     ///< new events and exact replays, request order
  std::vector<rejection> rejections;
  uint32_t accepted = 0;
  std::optional<uint64_t> sequence_start, sequence_end; ///< of the newly accepted events
  uint64_t head = 0;                                    ///< VES head after this request
};

/// One legacy envelope as decoded by a transport (payload hash already checked for shape).
struct legacy_candidate {
  legacy_event ev;
  ves::json::value payload;
  hash32 provided_payload_hash{};
};

/// What a stream answers for one legacy ingest request. Legacy rejection reasons are the
/// reference's Debug names: DuplicateEventId, DuplicateCommandId, SchemaValidation,
/// InvalidPayloadHash, VersionConflict.
struct legacy_ingest_outcome {
  uint32_t accepted = 0;
  std::vector<rejection> rejections;
  std::optional<uint64_t> sequence_start, sequence_end;
  uint64_t head = 0;
};

// -- actor messages ---------------------------------------------------------------------------

struct verified_ves;    // messages/sequencing.hpp
struct verified_legacy;
// Batches travel as shared pointers to immutable data (one allocation, no copies). The
// pointers are not serialized: these messages are node-local.

/// Request to a stream (via the stream registry): sequence these VES events.
/// Reply: ves_ingested, or a caf::error with a seq::errc.
/// `verified` is set when the transport already verified the batch on its own thread
/// (actors/verify/verify_pool.hpp: verify_ves_here); `events` is then unused and the stream
/// skips the verify pool.
struct ingest_ves {
  stream_key stream;
  std::shared_ptr<std::vector<ves_candidate>> events;
  std::shared_ptr<const verified_ves> verified;
};
struct ves_ingested {
  std::shared_ptr<const ves_ingest_outcome> outcome;
};

/// Request to a stream (via the stream registry): sequence these legacy events.
/// Reply: legacy_ingested, or a caf::error with a seq::errc.
/// `verified`: as for ingest_ves (verify_legacy_here).
struct ingest_legacy {
  stream_key stream;
  std::shared_ptr<std::vector<legacy_candidate>> events;
  std::shared_ptr<const verified_legacy> verified;
};
struct legacy_ingested {
  std::shared_ptr<const legacy_ingest_outcome> outcome;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_ves& x) {
  return f(caf::meta::type_name("seq::ingest_ves"), x.stream);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ves_ingested&) {
  return f(caf::meta::type_name("seq::ves_ingested"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ingest_legacy& x) {
  return f(caf::meta::type_name("seq::ingest_legacy"), x.stream);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, legacy_ingested&) {
  return f(caf::meta::type_name("seq::legacy_ingested"));
}

} // namespace seq::msg
