// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The per-event checks of a VES candidate (ves-crypto §2–§4, wire-contract §3.7, §6.2,
/// §8.2) and of a legacy candidate's payload hash (wire-contract §6.1 d), as a plain class.
/// Runs on the verify pool, never inside a stream actor.
///
/// VES order (the reference's): ves_version == 1 → payload-kind consistency (kind 0:
/// payload present, no payload_encrypted, cipher hash all zero) → VES-ENC-1 structure
/// (kind 1) → created_at parses as RFC 3339 → payload hash (kind 0: JCS plain hash; kind 1:
/// cipher hash) → agent key valid NOW → signature scheme → Ed25519 signature. Whatever the
/// outcome, `ev.payload` (JCS text), `ev.payload_encrypted` (compact JSON) and
/// `ev.event_signing_hash` are filled, so the sequencer can recognise exact replays of
/// rejected events.

#include "messages/domain.hpp"
#include "messages/ingest.hpp"
#include "messages/ves/ves.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "caf/expected.hpp"

namespace seq::actors {

class verifier {
public:
  /// Looks up an agent signing key; errc::not_found when absent, other errors are
  /// infrastructure failures (the whole batch fails, nothing is rejected).
  using key_lookup = std::function<caf::expected<msg::agent_key>(
    const msg::uuid& tenant, const msg::uuid& agent, uint32_t key_id)>;

  /// A verdict plus the candidate's replay fingerprint (actors/sequencer/replay.hpp).
  struct result {
    msg::ves_verdict verdict;
    msg::hash32 fingerprint{};
  };

  explicit verifier(key_lookup lookup);

  /// The header of `ev` whose event signing hash the agent signs (ves-crypto §4).
  static ves::event_header signing_header(const msg::ves_event& ev);

  /// Checks one candidate at time `now` (µs since the epoch), filling its derived fields.
  /// Returns the verdict, or the key lookup's error when it is not errc::not_found.
  caf::expected<result> verify(msg::ves_candidate& c, msg::timestamp_us now) const;

  /// Fills `ev.payload` (compact JSON) and `ev.payload_hash` (the provided hash) and checks
  /// the provided hash against SHA-256 of the payload's serde_json form. Returns the
  /// `InvalidPayloadHash` rejection, or none.
  static std::optional<msg::rejection> verify_legacy(msg::legacy_candidate& c);

  /// The key-validity rule at `now`: "" when valid, else the agent_key_invalid message
  /// ("Agent key has been revoked", "… has expired", "… is not yet valid").
  static std::string key_problem(const msg::agent_key& k, msg::timestamp_us now);

private:
  caf::expected<msg::ves_verdict> check(msg::ves_candidate& c, msg::timestamp_us now,
                                        std::string& encrypted_jcs) const;

  key_lookup lookup_;
};

} // namespace seq::actors
