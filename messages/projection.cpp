// SPDX-License-Identifier: Apache-2.0
#include "messages/projection.hpp"

namespace seq::msg {

namespace {

/// The fields both kinds of stored event share.
template <class Stored>
projectable_event projectable_of(const Stored& e, space sp) {
  projectable_event p;
  p.space = static_cast<uint8_t>(sp);
  p.sequence_number = e.sequence_number;
  p.event_id = e.ev.event_id;
  p.entity_type = e.ev.entity_type;
  p.entity_id = e.ev.entity_id;
  p.event_type = e.ev.event_type;
  p.payload = e.ev.payload;
  p.base_version = e.ev.base_version;
  return p;
}

} // namespace

projectable_event to_projectable(const sequenced_ves_event& e) {
  auto p = projectable_of(e, space::ves);
  p.encrypted = e.ev.payload_kind != 0;
  if (p.encrypted)
    p.payload.clear(); // a read returns no payload for an encrypted event
  return p;
}

projectable_event to_projectable(const sequenced_legacy_event& e) {
  return projectable_of(e, space::legacy);
}

std::string to_string(dlq_reason r) {
  switch (r) {
    case dlq_reason::version_conflict:
      return "version_conflict";
    case dlq_reason::invariant_violation:
      return "invariant_violation";
    case dlq_reason::invalid_state_transition:
      return "invalid_state_transition";
    case dlq_reason::schema_validation:
      return "schema_validation";
    case dlq_reason::handler_error:
      return "handler_error";
  }
  return "dlq_reason(" + std::to_string(static_cast<int>(r)) + ")";
}

std::optional<dlq_reason> parse_dlq_reason(std::string_view s) {
  for (auto r : {dlq_reason::version_conflict, dlq_reason::invariant_violation,
                 dlq_reason::invalid_state_transition, dlq_reason::schema_validation,
                 dlq_reason::handler_error})
    if (s == to_string(r))
      return r;
  return std::nullopt;
}

bool retryable(dlq_reason r) {
  return r != dlq_reason::invariant_violation && r != dlq_reason::invalid_state_transition;
}

std::string to_string(dlq_status s) {
  switch (s) {
    case dlq_status::pending:
      return "pending";
    case dlq_status::retrying:
      return "retrying";
    case dlq_status::resolved:
      return "resolved";
    case dlq_status::dead:
      return "dead";
  }
  return "dlq_status(" + std::to_string(static_cast<int>(s)) + ")";
}

std::optional<dlq_status> parse_dlq_status(std::string_view s) {
  for (auto x : {dlq_status::pending, dlq_status::retrying, dlq_status::resolved, dlq_status::dead})
    if (s == to_string(x))
      return x;
  return std::nullopt;
}

} // namespace seq::msg
