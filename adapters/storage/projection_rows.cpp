// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/projection_rows.hpp"

#include "messages/errc.hpp"
#include "messages/ves/json.hpp"

#include <array>

namespace seq::storage::detail {

namespace {

constexpr std::array<msg::dlq_status, 4> all_statuses = {
  msg::dlq_status::pending, msg::dlq_status::retrying, msg::dlq_status::resolved,
  msg::dlq_status::dead};

constexpr std::array<msg::dlq_reason, 5> all_reasons = {
  msg::dlq_reason::version_conflict, msg::dlq_reason::invariant_violation,
  msg::dlq_reason::invalid_state_transition, msg::dlq_reason::schema_validation,
  msg::dlq_reason::handler_error};

} // namespace

msg::projection_row decode_projection(const row_view& r) {
  msg::projection_row x;
  x.stream.tenant_id = r.id(0);
  x.stream.store_id = r.id(1);
  x.entity_type = r.text(2);
  x.entity_id = r.text(3);
  x.state = r.text(4);
  x.version = r.i64(5);
  x.space = static_cast<uint8_t>(r.i64(6));
  x.last_sequence = static_cast<uint64_t>(r.i64(7));
  x.updated_at = r.i64(8);
  return x;
}

msg::dlq_entry decode_dlq(const row_view& r) {
  msg::dlq_entry e;
  e.id = r.id(0);
  e.event_id = r.id(1);
  e.stream.tenant_id = r.id(2);
  e.stream.store_id = r.id(3);
  e.space = static_cast<uint8_t>(r.i64(4));
  e.sequence_number = static_cast<uint64_t>(r.i64(5));
  e.entity_type = r.text(6);
  e.entity_id = r.text(7);
  e.event_type = r.text(8);
  auto reason = r.text(9);
  if (auto x = msg::parse_dlq_reason(reason))
    e.reason = *x;
  else
    r.fail("unknown DLQ reason '" + reason + "'");
  e.message = r.is_null(10) ? std::string{} : r.text(10);
  auto status = r.text(11);
  if (auto x = msg::parse_dlq_status(status))
    e.status = *x;
  else
    r.fail("unknown DLQ status '" + status + "'");
  e.retry_count = static_cast<uint32_t>(r.i64(12));
  e.max_retries = static_cast<uint32_t>(r.i64(13));
  e.next_retry_at = r.opt_i64(14);
  e.blocked_behind = r.boolean(15);
  e.created_at = r.i64(16);
  e.updated_at = r.i64(17);
  return e;
}

audit_record decode_audit(const row_view& r) {
  audit_record a;
  a.id = r.id(0);
  a.at = r.i64(1);
  a.entry.action = r.text(2);
  a.entry.actor = r.is_null(3) ? std::string{} : r.text(3);
  a.entry.tenant_id = r.opt_id(4);
  a.entry.resource_type = r.is_null(5) ? std::string{} : r.text(5);
  a.entry.resource_id = r.is_null(6) ? std::string{} : r.text(6);
  a.entry.details = r.is_null(7) ? std::string{} : r.text(7);
  return a;
}

projection_lag decode_lag(const row_view& r) {
  projection_lag x;
  x.stream.tenant_id = r.id(0);
  x.stream.store_id = r.id(1);
  x.heads.legacy = static_cast<uint64_t>(r.i64(2));
  x.heads.ves = static_cast<uint64_t>(r.i64(3));
  x.checkpoints.legacy = static_cast<uint64_t>(r.i64(4));
  x.checkpoints.ves = static_cast<uint64_t>(r.i64(5));
  return x;
}

caf::expected<std::string> canonical_state(const std::string& text) {
  std::string err;
  auto v = ves::json::try_parse(text, &err);
  if (!v)
    return make_error(errc::invalid_request, "projection state is not JSON: " + err);
  if (!v->is_object())
    return make_error(errc::invalid_request, "projection state is not a JSON object");
  return v->jcs();
}

const char* actor_type(const std::string& actor) {
  if (actor == "projector" || actor == "dlq_retry")
    return "system";
  if (actor == "cli")
    return "cli";
  return "api_key";
}

caf::expected<std::string> audit_details(const msg::audit_entry& a) {
  if (a.action.empty())
    return make_error(errc::invalid_request, "audit entry without an action");
  if (a.details.empty())
    return std::string{};
  return canonical_state(a.details);
}

caf::expected<void> validate_step(const msg::projection_step& step) {
  auto sp = step.space;
  if (sp != static_cast<uint8_t>(msg::space::legacy) && sp != static_cast<uint8_t>(msg::space::ves))
    return make_error(errc::invalid_request,
                      "projection step for space " + std::to_string(sp) + " (legacy or VES only)");
  if (step.sequence_number == 0 || step.sequence_number > static_cast<uint64_t>(INT64_MAX))
    return make_error(errc::invalid_request, "projection step without a valid sequence number");
  if (step.upsert) {
    auto& u = *step.upsert;
    if (u.stream != step.stream)
      return make_error(errc::invalid_request, "projection upsert for another stream");
    if (u.entity_type.empty() || u.entity_id.empty())
      return make_error(errc::invalid_request, "projection upsert without an entity");
    if (u.space != sp)
      return make_error(errc::invalid_request, "projection upsert of another space");
    if (u.version < 0)
      return make_error(errc::invalid_request, "negative projection version");
  }
  if (step.park) {
    auto& p = *step.park;
    if (p.stream != step.stream)
      return make_error(errc::invalid_request, "DLQ entry for another stream");
    if (p.space != static_cast<uint8_t>(msg::space::legacy)
        && p.space != static_cast<uint8_t>(msg::space::ves))
      return make_error(errc::invalid_request, "DLQ entry of an unknown space");
    if (p.sequence_number == 0 || p.sequence_number > static_cast<uint64_t>(INT64_MAX))
      return make_error(errc::invalid_request, "DLQ entry without a valid sequence number");
  }
  return {};
}

std::string status_text(const msg::dlq_filter& f) {
  return f.status ? msg::to_string(*f.status) : std::string{};
}

std::string reason_text(const msg::dlq_filter& f) {
  return f.reason ? msg::to_string(*f.reason) : std::string{};
}

msg::dlq_counts complete_counts(const std::vector<std::pair<std::string, uint64_t>>& by_status,
                                const std::vector<std::pair<std::string, uint64_t>>& by_reason) {
  auto lookup = [](const std::vector<std::pair<std::string, uint64_t>>& xs,
                   const std::string& name) -> uint64_t {
    for (auto& [n, c] : xs)
      if (n == name)
        return c;
    return 0;
  };
  msg::dlq_counts out;
  for (auto s : all_statuses) {
    auto name = msg::to_string(s);
    out.by_status.emplace_back(name, lookup(by_status, name));
  }
  for (auto r : all_reasons) {
    auto name = msg::to_string(r);
    out.by_reason.emplace_back(name, lookup(by_reason, name));
  }
  return out;
}

} // namespace seq::storage::detail
