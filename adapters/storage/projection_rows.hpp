// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Pieces of the projection store shared by both backends: the row decoders of the
/// projections, dead_letter_events and audit_log tables (over detail::row_view, with the fixed
/// SELECT column orders below), the state canonicalisation both backends apply, and checks of
/// a projector step that do not need the database.

#include "adapters/storage/event_store.hpp"
#include "adapters/storage/rows.hpp"
#include "messages/projection.hpp"

#include <string>

#include "caf/expected.hpp"

namespace seq::storage::detail {

// -- SELECT column orders (the decoders below read these positions) --------------------------

/// projections: 0 tenant_id, 1 store_id, 2 entity_type, 3 entity_id, 4 state (text),
/// 5 version, 6 space, 7 last_sequence, 8 updated_at (µs).
msg::projection_row decode_projection(const row_view& r);

/// dead_letter_events: 0 id, 1 event_id, 2 tenant_id, 3 store_id, 4 space, 5 sequence_number,
/// 6 entity_type, 7 entity_id, 8 event_type, 9 reason, 10 error_message, 11 status,
/// 12 retry_count, 13 max_retries, 14 next_retry_at (µs), 15 blocked_behind,
/// 16 created_at (µs), 17 updated_at (µs).
msg::dlq_entry decode_dlq(const row_view& r);

/// audit_log: 0 id, 1 timestamp (µs), 2 action, 3 actor, 4 tenant_id, 5 resource_type,
/// 6 resource_id, 7 details (text).
audit_record decode_audit(const row_view& r);

/// projection_checkpoints LEFT JOIN heads: 0 tenant_id, 1 store_id, 2 legacy head, 3 VES head,
/// 4 legacy checkpoint, 5 VES checkpoint.
projection_lag decode_lag(const row_view& r);

// -- helpers ----------------------------------------------------------------------------------

/// The RFC 8785 form of a JSON object text (both backends store and return states in this
/// form, so the same state reads back byte-identical from SQLite and PostgreSQL).
/// errc::invalid_request when `text` is not a JSON object.
caf::expected<std::string> canonical_state(const std::string& text);

/// The actor_type column of an audit row, from who acted: "system" (the projector, the DLQ
/// retry), "cli", or "api_key".
const char* actor_type(const std::string& actor);

/// The details column of an audit row: "" when the entry has none, else their RFC 8785
/// form. errc::invalid_request for an entry without an action or with details that are not
/// a JSON object.
caf::expected<std::string> audit_details(const msg::audit_entry& a);

/// errc::invalid_request unless the step is well-formed: space legacy or VES, sequence > 0,
/// and every row it carries belongs to its stream (and, for the upsert, to its space and
/// sequence).
caf::expected<void> validate_step(const msg::projection_step& step);

/// The stored status/reason spellings (msg::to_string) of the filter, or "" when unset.
std::string status_text(const msg::dlq_filter& f);
std::string reason_text(const msg::dlq_filter& f);

/// Statuses `purge_dlq` deletes without `force`.
inline constexpr const char* purgeable_statuses = "('dead', 'resolved')";

/// Every status and reason with its count (0 when absent), in enum order, from the
/// (name, count) pairs a GROUP BY returned.
msg::dlq_counts complete_counts(const std::vector<std::pair<std::string, uint64_t>>& by_status,
                                const std::vector<std::pair<std::string, uint64_t>>& by_reason);

} // namespace seq::storage::detail
