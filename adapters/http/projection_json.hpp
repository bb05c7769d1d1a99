// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The JSON forms of projections and dead-letter entries, shared by the HTTP routes
/// (routes_projections.cpp) and the `ves` CLI (`--json`), so both print the same shapes.

#include "adapters/http/json_writer.hpp"
#include "messages/projection.hpp"

#include <string>
#include <utility>
#include <vector>

namespace seq::http {

/// "legacy", "ves" or "x402".
inline const char* space_name(uint8_t sp) {
  switch (static_cast<msg::space>(sp)) {
    case msg::space::legacy:
      return "legacy";
    case msg::space::ves:
      return "ves";
    case msg::space::x402:
      return "x402";
  }
  return "unknown";
}

/// {tenant_id, store_id, entity_type, entity_id, state, version, space, last_sequence,
/// updated_at}
inline void write_projection(json_writer& w, const msg::projection_row& r) {
  w.begin_object()
    .field("tenant_id", r.stream.tenant_id.str())
    .field("store_id", r.stream.store_id.str())
    .field("entity_type", r.entity_type)
    .field("entity_id", r.entity_id)
    .key("state")
    .raw(r.state)
    .field("version", r.version)
    .field("space", space_name(r.space))
    .field("last_sequence", r.last_sequence)
    .field("updated_at", msg::rfc3339_offset(r.updated_at))
    .end_object();
}

/// {id, event_id, tenant_id, store_id, space, sequence_number, entity_type, entity_id,
/// event_type, reason, error_message, status, retryable, retry_count, max_retries,
/// next_retry_at|null, blocked_behind, created_at, updated_at}
inline void write_dlq_entry(json_writer& w, const msg::dlq_entry& e) {
  w.begin_object()
    .field("id", e.id.str())
    .field("event_id", e.event_id.str())
    .field("tenant_id", e.stream.tenant_id.str())
    .field("store_id", e.stream.store_id.str())
    .field("space", space_name(e.space))
    .field("sequence_number", e.sequence_number)
    .field("entity_type", e.entity_type)
    .field("entity_id", e.entity_id)
    .field("event_type", e.event_type)
    .field("reason", msg::to_string(e.reason))
    .field("error_message", e.message)
    .field("status", msg::to_string(e.status))
    .field("retryable", msg::retryable(e.reason))
    .field("retry_count", e.retry_count)
    .field("max_retries", e.max_retries)
    .key("next_retry_at");
  if (e.next_retry_at)
    w.str(msg::rfc3339_offset(*e.next_retry_at));
  else
    w.null();
  w.field("blocked_behind", e.blocked_behind)
    .field("created_at", msg::rfc3339_offset(e.created_at))
    .field("updated_at", msg::rfc3339_offset(e.updated_at))
    .end_object();
}

/// {"name": count, …} in the given order.
inline void write_counts(json_writer& w, const std::vector<std::pair<std::string, uint64_t>>& xs) {
  w.begin_object();
  for (auto& [name, n] : xs)
    w.field(name, n);
  w.end_object();
}

} // namespace seq::http
