// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The "exact replay" test of wire-contract §6.2 as one 32-byte fingerprint. Two VES
/// events with the same event id are an exact replay when their fingerprints are equal:
/// the fingerprint covers the event signing hash (which itself covers ves_version, ids,
/// agent_key_id, entity/event type, entity id, the created_at string, payload_kind and both
/// payload hashes), the agent signature, the canonical payload (JCS), the canonical
/// payload_encrypted object (JCS, so member order does not matter), command_id and
/// base_version.

#include "messages/domain.hpp"

#include <string_view>

namespace seq::actors {

/// Fingerprint of an event whose payload texts are already canonical (JCS).
msg::hash32 replay_fingerprint(const msg::ves_event& ev, std::string_view payload_jcs,
                               std::string_view payload_encrypted_jcs);

/// Fingerprint of a stored event: its `payload` and `payload_encrypted` texts are parsed and
/// re-canonicalised first (a database may store JSON in another layout).
msg::hash32 stored_replay_fingerprint(const msg::ves_event& ev);

} // namespace seq::actors
