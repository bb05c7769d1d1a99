// SPDX-License-Identifier: Apache-2.0
// The projection store half of the PostgreSQL backend (messages/projection.hpp): projections,
// checkpoints, the dead-letter queue, the audit log and the rebuild shadow tables, on the same
// connection as the event store (see pg_event_store.hpp).
#include "adapters/storage/postgres/pg_event_store.hpp"

#include "adapters/storage/postgres/pg_connection.hpp"
#include "adapters/storage/projection_rows.hpp"
#include "messages/errc.hpp"
#include "messages/ves/json.hpp"

#include <array>
#include <map>
#include <string_view>
#include <utility>

namespace seq::storage {

namespace {

using pg::decode_all;
using pg::params;
using pg::statement;

/// Table names of the live tables or the rebuild shadow tables.
struct tables {
  const char* projections;
  const char* checkpoints;
  const char* dlq;
};

constexpr tables live_tables{"projections", "projection_checkpoints", "dead_letter_events"};
constexpr tables shadow_tables{"projections_rebuild", "projection_checkpoints_rebuild",
                               "dead_letter_events_rebuild"};

constexpr const char* projection_cols
  = "tenant_id, store_id, entity_type, entity_id, state, version, space, last_sequence,"
    " updated_at";
constexpr const char* dlq_cols
  = "id, event_id, tenant_id, store_id, space, sequence_number, entity_type, entity_id,"
    " event_type, reason, error_message, status, retry_count, max_retries, next_retry_at,"
    " blocked_behind, created_at, updated_at";

const std::string& projection_select() {
  static const std::string sql
    = "SELECT tenant_id, store_id, entity_type, entity_id, state::text, version, space,"
      " last_sequence, "
      + pg::us_expr("updated_at") + " FROM projections ";
  return sql;
}

const std::string& dlq_select() {
  static const std::string sql
    = "SELECT id, event_id, tenant_id, store_id, space, sequence_number, entity_type, entity_id,"
      " event_type, reason, error_message, status, retry_count, max_retries, "
      + pg::us_expr("next_retry_at") + ", blocked_behind, " + pg::us_expr("created_at") + ", "
      + pg::us_expr("updated_at") + " FROM dead_letter_events ";
  return sql;
}

/// JSONB prints its own form; both backends return RFC 8785.
caf::expected<void> canonicalize(std::string& text, const char* what) {
  if (text.empty())
    return {};
  auto v = ves::json::try_parse(text);
  if (!v)
    return make_error(errc::storage_failure, std::string{"corrupt JSON in "} + what);
  text = v->jcs();
  return {};
}

caf::expected<std::vector<msg::projection_row>> decode_projections(const pg::result& r) {
  auto xs = decode_all<msg::projection_row>(r, detail::decode_projection, "projections");
  if (!xs)
    return xs;
  for (auto& x : *xs)
    if (auto ok = canonicalize(x.state, "projections.state"); !ok)
      return ok.error();
  return xs;
}

caf::expected<std::vector<msg::dlq_entry>> decode_dlq_rows(const pg::result& r) {
  return decode_all<msg::dlq_entry>(r, detail::decode_dlq, "dead_letter_events");
}

statement plain(std::string sql) {
  return statement{std::move(sql), {}};
}

/// `WHERE …` for a DLQ filter (only the conditions that are set).
std::string dlq_where(params& p, const msg::dlq_filter& f) {
  std::string w = " WHERE TRUE";
  if (f.stream)
    w += " AND tenant_id = " + p.id(f.stream->tenant_id)
         + " AND store_id = " + p.id(f.stream->store_id);
  if (f.status)
    w += " AND status = " + p.text(msg::to_string(*f.status));
  if (f.reason)
    w += " AND reason = " + p.text(msg::to_string(*f.reason));
  if (f.entity)
    w += " AND entity_type = " + p.text(f.entity->entity_type)
         + " AND entity_id = " + p.text(f.entity->entity_id);
  return w;
}

std::string stream_where(params& p, const std::optional<stream_key>& s) {
  if (!s)
    return " WHERE TRUE";
  return " WHERE tenant_id = " + p.id(s->tenant_id) + " AND store_id = " + p.id(s->store_id);
}

/// The checkpoint fence: moves the checkpoint of `space` to `to`, and fails the transaction
/// (SQ409) unless it stood below `fence` (≤ `to`).
statement checkpoint_statement(const msg::stream_key& s, uint8_t space, uint64_t fence,
                               uint64_t to, const tables& t) {
  std::string col = space == static_cast<uint8_t>(msg::space::legacy)
                      ? "last_projected_sequence"
                      : "last_projected_ves_sequence";
  statement st;
  auto& p = st.args;
  st.sql = std::string{"WITH c AS (INSERT INTO "} + t.checkpoints + " (tenant_id, store_id, "
           + col + ", updated_at) VALUES (" + p.id(s.tenant_id) + ", " + p.id(s.store_id) + ", "
           + p.int64(static_cast<int64_t>(to)) + ", " + p.time(detail::now_micros())
           + ") ON CONFLICT (tenant_id, store_id) DO UPDATE SET " + col + " = EXCLUDED." + col
           + ", updated_at = EXCLUDED.updated_at WHERE " + t.checkpoints + "." + col + " < "
           + p.int64(static_cast<int64_t>(fence))
           + " RETURNING 1) SELECT seq_require((SELECT count(*) FROM c) = 1, "
           + p.text("projection checkpoint of " + s.str() + " is already at or past "
                    + std::to_string(fence))
           + ")";
  st.prepared = true;
  return st;
}

/// ONE upsert of many projection rows (`INSERT … SELECT … FROM unnest(…) ON CONFLICT`); at
/// most one row per entity (a statement cannot update a row twice).
caf::expected<statement> upserts_statement(const std::vector<const msg::projection_row*>& rows,
                                           const tables& t) {
  std::array<pg::array_literal, 9> a;
  auto now = detail::now_micros();
  for (const auto* u : rows) {
    auto state = detail::canonical_state(u->state);
    if (!state)
      return state.error();
    a[0].id(u->stream.tenant_id);
    a[1].id(u->stream.store_id);
    a[2].add(u->entity_type);
    a[3].add(u->entity_id);
    a[4].text_or_null(*state);
    a[5].int64(u->version);
    a[6].int64(u->space);
    a[7].int64(static_cast<int64_t>(u->last_sequence));
    a[8].int64(u->updated_at != 0 ? u->updated_at : now);
  }
  statement st;
  auto& p = st.args;
  static constexpr const char* types[] = {"uuid[]",   "uuid[]",   "text[]",   "text[]", "jsonb[]",
                                          "bigint[]", "bigint[]", "bigint[]", "bigint[]"};
  std::string args;
  for (size_t i = 0; i < a.size(); ++i)
    args += (i == 0 ? "" : ", ") + p.array(std::move(a[i]), types[i]);
  st.sql = std::string{"INSERT INTO "} + t.projections + " (" + projection_cols
           + ") SELECT r.tenant_id, r.store_id, r.entity_type, r.entity_id, r.state, r.version,"
             " r.space, r.last_sequence, "
           + pg::ts_expr("r.updated_at") + " FROM unnest(" + args
           + ") AS r(tenant_id, store_id, entity_type, entity_id, state, version, space,"
             " last_sequence, updated_at) ON CONFLICT (tenant_id, store_id, entity_type,"
             " entity_id) DO UPDATE SET state = EXCLUDED.state, version = EXCLUDED.version,"
             " space = EXCLUDED.space, last_sequence = EXCLUDED.last_sequence,"
             " updated_at = EXCLUDED.updated_at";
  st.prepared = true;
  return st;
}

/// The statements of one projector step (without BEGIN/COMMIT); its checkpoint statement
/// only with `with_checkpoint`, its upsert only with `with_upsert`.
caf::expected<std::vector<statement>> step_statements(const msg::projection_step& step,
                                                      const tables& t,
                                                      bool with_checkpoint = true,
                                                      bool with_upsert = true) {
  std::vector<statement> xs;
  auto now = detail::now_micros();
  if (step.advance_checkpoint && with_checkpoint)
    xs.push_back(checkpoint_statement(step.stream, step.space, step.sequence_number,
                                      step.sequence_number, t));
  if (step.upsert && with_upsert) {
    const auto& u = *step.upsert;
    auto state = detail::canonical_state(u.state);
    if (!state)
      return state.error();
    statement st;
    auto& p = st.args;
    st.sql = std::string{"INSERT INTO "} + t.projections + " (" + projection_cols + ") VALUES ("
             + p.id(u.stream.tenant_id) + ", " + p.id(u.stream.store_id) + ", "
             + p.text(u.entity_type) + ", " + p.text(u.entity_id) + ", "
             + p.jsonb_or_null(*state) + ", " + p.int64(u.version) + ", " + p.int64(u.space) + ", "
             + p.int64(static_cast<int64_t>(u.last_sequence)) + ", "
             + p.time(u.updated_at != 0 ? u.updated_at : now)
             + ") ON CONFLICT (tenant_id, store_id, entity_type, entity_id) DO UPDATE SET"
               " state = EXCLUDED.state, version = EXCLUDED.version, space = EXCLUDED.space,"
               " last_sequence = EXCLUDED.last_sequence, updated_at = EXCLUDED.updated_at";
    st.prepared = true;
    xs.push_back(std::move(st));
  }
  if (step.park) {
    const auto& e = *step.park;
    statement st;
    auto& p = st.args;
    st.sql = std::string{"INSERT INTO "} + t.dlq + " (" + dlq_cols + ") VALUES ("
             + p.id(e.id.is_nil() ? uuid::random_v4() : e.id) + ", " + p.id(e.event_id) + ", "
             + p.id(e.stream.tenant_id) + ", " + p.id(e.stream.store_id) + ", "
             + p.int64(e.space) + ", " + p.int64(static_cast<int64_t>(e.sequence_number)) + ", "
             + p.text(e.entity_type) + ", " + p.text(e.entity_id) + ", " + p.text(e.event_type)
             + ", " + p.text(msg::to_string(e.reason)) + ", " + p.text(e.message) + ", "
             + p.text(msg::to_string(e.status)) + ", " + p.int64(e.retry_count) + ", "
             + p.int64(e.max_retries) + ", " + p.opt_time(e.next_retry_at) + ", "
             + p.boolean(e.blocked_behind) + ", "
             + p.time(e.created_at != 0 ? e.created_at : now) + ", " + p.time(now)
             + ") ON CONFLICT (event_id, space) DO UPDATE SET"
               " sequence_number = EXCLUDED.sequence_number, entity_type = EXCLUDED.entity_type,"
               " entity_id = EXCLUDED.entity_id, event_type = EXCLUDED.event_type,"
               " reason = EXCLUDED.reason, error_message = EXCLUDED.error_message,"
               " status = EXCLUDED.status, retry_count = EXCLUDED.retry_count,"
               " max_retries = EXCLUDED.max_retries, next_retry_at = EXCLUDED.next_retry_at,"
               " blocked_behind = EXCLUDED.blocked_behind, updated_at = EXCLUDED.updated_at";
    st.prepared = true;
    xs.push_back(std::move(st));
  }
  if (step.resolve) {
    statement st;
    auto& p = st.args;
    st.sql = std::string{"UPDATE "} + t.dlq
             + " SET status = 'resolved', next_retry_at = NULL, blocked_behind = FALSE,"
               " updated_at = "
             + p.time(now) + " WHERE id = " + p.id(*step.resolve);
    st.prepared = true;
    xs.push_back(std::move(st));
  }
  return xs;
}

/// Deletes the rows of stream `s` from `table`.
statement delete_stream(const char* table, const stream_key& s) {
  statement st;
  st.sql = std::string{"DELETE FROM "} + table + " WHERE tenant_id = " + st.args.id(s.tenant_id)
           + " AND store_id = " + st.args.id(s.store_id);
  return st;
}

/// Copies the rows of stream `s` from `from` into `to` (same columns, same order).
statement copy_stream(const char* to, const char* from, const stream_key& s) {
  statement st;
  st.sql = std::string{"INSERT INTO "} + to + " SELECT * FROM " + from + " WHERE tenant_id = "
           + st.args.id(s.tenant_id) + " AND store_id = " + st.args.id(s.store_id);
  return st;
}

} // namespace

// -- checkpoints and projections -----------------------------------------------------------------

caf::expected<msg::projection_checkpoints> pg_event_store::load_checkpoints(const stream_key& s) {
  params p;
  auto sql = "SELECT last_projected_sequence, last_projected_ves_sequence FROM"
             " projection_checkpoints WHERE tenant_id = "
             + p.id(s.tenant_id) + " AND store_id = " + p.id(s.store_id);
  auto r = c_->exec(sql, p, "load projection checkpoints");
  if (!r)
    return r.error();
  auto xs = decode_all<msg::projection_checkpoints>(
    *r,
    [](const detail::row_view& row) {
      return msg::projection_checkpoints{static_cast<uint64_t>(row.i64(0)),
                                         static_cast<uint64_t>(row.i64(1))};
    },
    "projection_checkpoints");
  if (!xs)
    return xs.error();
  if (xs->empty())
    return msg::projection_checkpoints{};
  return xs->front();
}

caf::expected<msg::projection_row>
pg_event_store::get_projection(const stream_key& s, const std::string& entity_type,
                               const std::string& entity_id) {
  params p;
  auto sql = projection_select() + "WHERE tenant_id = " + p.id(s.tenant_id) + " AND store_id = "
             + p.id(s.store_id) + " AND entity_type = " + p.text(entity_type)
             + " AND entity_id = " + p.text(entity_id);
  auto r = c_->exec_prepared(statement{std::move(sql), std::move(p), true}, "get projection");
  if (!r)
    return r.error();
  auto xs = decode_projections(*r);
  if (!xs)
    return xs.error();
  if (xs->empty())
    return make_error(errc::not_found, "no projection for " + entity_type + "/" + entity_id);
  return std::move(xs->front());
}

caf::expected<std::vector<msg::projection_row>>
pg_event_store::get_projections(const stream_key& s, const std::vector<entity_key>& keys) {
  if (keys.empty())
    return std::vector<msg::projection_row>{};
  statement st;
  auto& p = st.args;
  // One primary-key look-up per key: the LATERAL sub-select sits behind an OFFSET 0 fence,
  // so no plan (generic plans estimate the arrays blindly) can turn it into a scan of all the
  // stream's projections.
  st.sql = "SELECT p.tenant_id, p.store_id, p.entity_type, p.entity_id, p.state::text,"
           " p.version, p.space, p.last_sequence, "
           + pg::us_expr("p.updated_at") + " FROM unnest(" + p.entity_keys(keys)
           + ") AS k(entity_type, entity_id) CROSS JOIN LATERAL (SELECT * FROM projections"
             " WHERE tenant_id = "
           + p.id(s.tenant_id) + " AND store_id = " + p.id(s.store_id)
           + " AND entity_type = k.entity_type AND entity_id = k.entity_id OFFSET 0) p";
  st.prepared = true;
  auto r = c_->exec_prepared(st, "get projections");
  if (!r)
    return r.error();
  return decode_projections(*r);
}

caf::expected<std::vector<msg::projection_row>>
pg_event_store::list_projections(const stream_key& s, const std::string& entity_type,
                                 const std::string& after, uint32_t limit) {
  params p;
  auto sql = projection_select() + "WHERE tenant_id = " + p.id(s.tenant_id) + " AND store_id = "
             + p.id(s.store_id) + " AND entity_type = " + p.text(entity_type)
             + " AND entity_id > " + p.text(after) + " ORDER BY entity_id LIMIT "
             + p.int64(limit);
  auto r = c_->exec(sql, p, "list projections");
  if (!r)
    return r.error();
  return decode_projections(*r);
}

// -- projector steps ------------------------------------------------------------------------------

caf::expected<void> pg_event_store::write_step(const msg::projection_step& step, bool shadow) {
  return write_steps(&step, 1, shadow);
}

caf::expected<void> pg_event_store::write_steps(const msg::projection_step* steps, size_t n,
                                                bool shadow) {
  const auto& t = shadow ? shadow_tables : live_tables;
  std::vector<statement> xs;
  xs.push_back(plain("BEGIN"));
  // Steps that all advance one stream's checkpoint of one space in increasing order (a
  // projector batch) share ONE fence: below the first number, moved to the last.
  const msg::projection_step* first = nullptr;
  const msg::projection_step* last = nullptr;
  bool one_fence = n > 1;
  for (size_t i = 0; i < n && one_fence; ++i) {
    const auto& st = steps[i];
    if (!st.advance_checkpoint)
      continue;
    if (last && (st.stream != last->stream || st.space != last->space
                 || st.sequence_number <= last->sequence_number))
      one_fence = false;
    if (!first)
      first = &st;
    last = &st;
  }
  one_fence = one_fence && first != nullptr;
  if (one_fence) {
    xs.push_back(checkpoint_statement(first->stream, first->space, first->sequence_number,
                                      last->sequence_number, t));
    // The batch's projection rows in one statement: the last state of each entity (the steps
    // are in sequence order, so a later row of an entity supersedes an earlier one).
    std::vector<const msg::projection_row*> rows;
    std::map<std::pair<std::string_view, std::string_view>, size_t> index;
    for (size_t i = 0; i < n; ++i) {
      if (!steps[i].upsert)
        continue;
      if (auto ok = detail::validate_step(steps[i]); !ok)
        return ok;
      const auto& u = *steps[i].upsert;
      auto [at, fresh] = index.try_emplace({u.entity_type, u.entity_id}, rows.size());
      if (fresh)
        rows.push_back(&u);
      else
        rows[at->second] = &u;
    }
    if (!rows.empty()) {
      auto st = upserts_statement(rows, t);
      if (!st)
        return st.error();
      xs.push_back(std::move(*st));
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (auto ok = detail::validate_step(steps[i]); !ok)
      return ok;
    auto body = step_statements(steps[i], t, !one_fence, !one_fence);
    if (!body)
      return body.error();
    for (auto& st : *body)
      xs.push_back(std::move(st));
  }
  if (xs.size() == 1)
    return {};
  xs.push_back(plain("COMMIT"));
  auto r = c_->pipeline(xs, shadow ? "rebuild step" : "projection step");
  if (!r)
    return r.error();
  return {};
}

caf::expected<void> pg_event_store::apply_step(const msg::projection_step& step) {
  return write_step(step, false);
}

caf::expected<void>
pg_event_store::apply_steps(const std::vector<msg::projection_step>& steps) {
  return write_steps(steps.data(), steps.size(), false);
}

// -- dead-letter queue ----------------------------------------------------------------------------

caf::expected<std::vector<entity_key>> pg_event_store::blocked_entities(const stream_key& s) {
  params p;
  auto sql = "SELECT entity_type, entity_id FROM dead_letter_events WHERE tenant_id = "
             + p.id(s.tenant_id) + " AND store_id = " + p.id(s.store_id)
             + " AND status IN ('pending', 'retrying', 'dead') GROUP BY entity_type, entity_id"
               " ORDER BY entity_type COLLATE \"C\", entity_id COLLATE \"C\"";
  auto r = c_->exec(sql, p, "blocked entities");
  if (!r)
    return r.error();
  return decode_all<entity_key>(
    *r, [](const detail::row_view& row) { return entity_key{row.text(0), row.text(1)}; },
    "dead_letter_events");
}

caf::expected<std::vector<msg::dlq_entry>> pg_event_store::list_dlq(const msg::dlq_filter& f) {
  params p;
  auto sql = dlq_select() + dlq_where(p, f)
             + " ORDER BY tenant_id, store_id, space, sequence_number LIMIT "
             + p.int64(f.limit);
  auto r = c_->exec(sql, p, "list dead_letter_events");
  if (!r)
    return r.error();
  return decode_dlq_rows(*r);
}

caf::expected<msg::dlq_entry> pg_event_store::get_dlq(const uuid& id) {
  params p;
  auto sql = dlq_select() + "WHERE id = " + p.id(id);
  auto r = c_->exec(sql, p, "get dead_letter_events");
  if (!r)
    return r.error();
  auto xs = decode_dlq_rows(*r);
  if (!xs)
    return xs.error();
  if (xs->empty())
    return make_error(errc::not_found, "no dead-letter entry " + id.str());
  return std::move(xs->front());
}

caf::expected<std::vector<msg::dlq_entry>> pg_event_store::due_for_retry(msg::timestamp_us now,
                                                                         uint32_t limit) {
  params p;
  auto sql = dlq_select() + "WHERE status = 'pending' AND next_retry_at IS NOT NULL"
                            " AND next_retry_at <= "
             + p.time(now) + " ORDER BY next_retry_at, created_at, id LIMIT " + p.int64(limit);
  auto r = c_->exec(sql, p, "DLQ rows due for retry");
  if (!r)
    return r.error();
  return decode_dlq_rows(*r);
}

caf::expected<void> pg_event_store::update_dlq(const msg::dlq_entry& e) {
  params p;
  auto now = p.time(detail::now_micros());
  auto count = p.int64(e.retry_count);
  auto sql = "UPDATE dead_letter_events SET status = " + p.text(msg::to_string(e.status))
             + ", retry_count = " + count + ", next_retry_at = " + p.opt_time(e.next_retry_at)
             + ", error_message = " + p.text(e.message)
             + ", last_retry_at = CASE WHEN retry_count <> " + count + " THEN " + now
             + " ELSE last_retry_at END, updated_at = " + now
             + " WHERE id = " + p.id(e.id) + " RETURNING 1";
  auto r = c_->exec(sql, p, "update dead_letter_events");
  if (!r)
    return r.error();
  if (r->rows() != 1)
    return make_error(errc::not_found, "no dead-letter entry " + e.id.str());
  return {};
}

caf::expected<uint64_t> pg_event_store::purge_dlq(const msg::dlq_filter& f, bool force) {
  params p;
  auto sql = "WITH d AS (DELETE FROM dead_letter_events" + dlq_where(p, f)
             + (force ? std::string{} : std::string{" AND status IN "} + detail::purgeable_statuses)
             + " RETURNING 1) SELECT count(*) FROM d";
  auto r = c_->exec(sql, p, "purge dead_letter_events");
  if (!r)
    return r.error();
  auto xs = decode_all<uint64_t>(
    *r, [](const detail::row_view& row) { return static_cast<uint64_t>(row.i64(0)); },
    "dead_letter_events");
  if (!xs)
    return xs.error();
  return xs->empty() ? uint64_t{0} : xs->front();
}

caf::expected<msg::dlq_counts> pg_event_store::dlq_counts(const std::optional<stream_key>& s) {
  std::vector<statement> xs;
  {
    statement st;
    st.sql = "SELECT status, count(*) FROM dead_letter_events" + stream_where(st.args, s)
             + " GROUP BY status";
    xs.push_back(std::move(st));
  }
  {
    statement st;
    st.sql = "SELECT reason, count(*) FROM dead_letter_events" + stream_where(st.args, s)
             + " AND status <> 'resolved' GROUP BY reason";
    xs.push_back(std::move(st));
  }
  auto r = c_->pipeline(xs, "count dead_letter_events");
  if (!r)
    return r.error();
  auto decode = [](const detail::row_view& row) {
    return std::pair<std::string, uint64_t>{row.text(0), static_cast<uint64_t>(row.i64(1))};
  };
  auto by_status = decode_all<std::pair<std::string, uint64_t>>((*r)[0], decode,
                                                                "dead_letter_events");
  if (!by_status)
    return by_status.error();
  auto by_reason = decode_all<std::pair<std::string, uint64_t>>((*r)[1], decode,
                                                                "dead_letter_events");
  if (!by_reason)
    return by_reason.error();
  return detail::complete_counts(*by_status, *by_reason);
}

// -- audit ----------------------------------------------------------------------------------------

caf::expected<void> pg_event_store::audit(const msg::audit_entry& a) {
  auto d = detail::audit_details(a);
  if (!d)
    return d.error();
  const auto& details = *d;
  params p;
  auto sql = "INSERT INTO audit_log (id, timestamp, action, actor, actor_type, tenant_id,"
             " resource_type, resource_id, details, success) VALUES ("
             + p.id(uuid::random_v4()) + ", " + p.time(detail::now_micros()) + ", "
             + p.text(a.action) + ", " + p.text(a.actor) + ", "
             + p.text(detail::actor_type(a.actor)) + ", " + p.opt_id(a.tenant_id) + ", "
             + p.text(a.resource_type) + ", " + p.text(a.resource_id) + ", "
             + p.jsonb_or_null(details) + ", TRUE)";
  auto r = c_->exec(sql, p, "insert audit_log");
  if (!r)
    return r.error();
  return {};
}

caf::expected<std::vector<audit_record>>
pg_event_store::read_audit(const std::optional<uuid>& tenant, uint32_t limit) {
  params p;
  auto sql = "SELECT id, " + pg::us_expr("timestamp")
             + ", action, actor, tenant_id, resource_type, resource_id, details::text"
               " FROM audit_log";
  if (tenant)
    sql += " WHERE tenant_id = " + p.id(*tenant);
  sql += " ORDER BY timestamp DESC, id LIMIT " + p.int64(limit);
  auto r = c_->exec(sql, p, "read audit_log");
  if (!r)
    return r.error();
  auto xs = decode_all<audit_record>(*r, detail::decode_audit, "audit_log");
  if (!xs)
    return xs;
  for (auto& x : *xs)
    if (auto ok = canonicalize(x.entry.details, "audit_log.details"); !ok)
      return ok.error();
  return xs;
}

// -- rebuild --------------------------------------------------------------------------------------

caf::expected<void> pg_event_store::rebuild_begin(const stream_key& s) {
  std::vector<statement> xs;
  xs.push_back(plain("BEGIN"));
  for (auto t : {shadow_tables.projections, shadow_tables.checkpoints, shadow_tables.dlq})
    xs.push_back(delete_stream(t, s));
  xs.push_back(plain("COMMIT"));
  auto r = c_->pipeline(xs, "rebuild begin");
  if (!r)
    return r.error();
  return {};
}

caf::expected<void> pg_event_store::rebuild_apply(const msg::projection_step& step) {
  return write_step(step, true);
}

caf::expected<void> pg_event_store::rebuild_commit(const stream_key& s) {
  std::vector<statement> xs;
  xs.push_back(plain("BEGIN"));
  {
    // Lock the live checkpoint row (created if absent): the live projector cannot move its
    // checkpoint between the catch-up check and the swap.
    statement st;
    auto& p = st.args;
    auto t = p.id(s.tenant_id);
    auto sid = p.id(s.store_id);
    st.sql = "WITH ins AS (INSERT INTO projection_checkpoints (tenant_id, store_id) VALUES (" + t
             + ", " + sid + ") ON CONFLICT (tenant_id, store_id) DO NOTHING RETURNING 1)"
                            " SELECT count(*) FROM ins";
    xs.push_back(std::move(st));
  }
  {
    statement st;
    auto& p = st.args;
    st.sql = "SELECT 1 FROM projection_checkpoints WHERE tenant_id = " + p.id(s.tenant_id)
             + " AND store_id = " + p.id(s.store_id) + " FOR UPDATE";
    xs.push_back(std::move(st));
  }
  {
    statement st;
    auto& p = st.args;
    auto t = p.id(s.tenant_id);
    auto sid = p.id(s.store_id);
    auto max_of = [&](const char* col, const char* table) {
      return std::string{"(SELECT COALESCE(MAX("} + col + "), 0) FROM " + table
             + " WHERE tenant_id = " + t + " AND store_id = " + sid + ")";
    };
    // The rebuilt projection must stand exactly where the live one stands, so that the
    // running projector continues from its own checkpoint on top of the rebuilt rows.
    st.sql = "SELECT seq_require(" + max_of("last_projected_sequence", "projection_checkpoints")
             + " = " + max_of("last_projected_sequence", "projection_checkpoints_rebuild")
             + " AND " + max_of("last_projected_ves_sequence", "projection_checkpoints")
             + " = " + max_of("last_projected_ves_sequence", "projection_checkpoints_rebuild")
             + ", "
             + p.text("the live projection of " + s.str()
                      + " is not where the rebuild is; catch up first")
             + ")";
    xs.push_back(std::move(st));
  }
  xs.push_back(delete_stream(live_tables.projections, s));
  xs.push_back(copy_stream(live_tables.projections, shadow_tables.projections, s));
  xs.push_back(delete_stream(live_tables.dlq, s));
  xs.push_back(copy_stream(live_tables.dlq, shadow_tables.dlq, s));
  xs.push_back(delete_stream(live_tables.checkpoints, s));
  xs.push_back(copy_stream(live_tables.checkpoints, shadow_tables.checkpoints, s));
  for (auto t : {shadow_tables.projections, shadow_tables.checkpoints, shadow_tables.dlq})
    xs.push_back(delete_stream(t, s));
  xs.push_back(plain("COMMIT"));
  auto r = c_->pipeline(xs, "rebuild commit");
  if (!r)
    return r.error();
  return {};
}

// -- lag ------------------------------------------------------------------------------------------

caf::expected<std::vector<projection_lag>> pg_event_store::read_projection_lags() {
  auto r = c_->exec("SELECT c.tenant_id, c.store_id, "
                      + pg::head_expr("events", "c.tenant_id", "c.store_id") + ", "
                      + pg::head_expr("ves_events", "c.tenant_id", "c.store_id")
                      + ", c.last_projected_sequence, c.last_projected_ves_sequence"
                        " FROM projection_checkpoints c ORDER BY c.tenant_id, c.store_id",
                    "projection lags");
  if (!r)
    return r.error();
  return decode_all<projection_lag>(*r, detail::decode_lag, "projection_checkpoints");
}

caf::expected<std::vector<stream_key>> pg_event_store::read_streams_behind() {
  auto r = c_->exec(
    "SELECT h.tenant_id, h.store_id FROM ("
    " SELECT tenant_id, store_id, MAX(sequence_number) AS head, 0 AS sp FROM events"
    " GROUP BY tenant_id, store_id UNION ALL"
    " SELECT tenant_id, store_id, MAX(sequence_number), 1 FROM ves_events"
    " GROUP BY tenant_id, store_id) h"
    " LEFT JOIN projection_checkpoints c ON c.tenant_id = h.tenant_id AND c.store_id = h.store_id"
    " WHERE h.head > CASE h.sp WHEN 0 THEN COALESCE(c.last_projected_sequence, 0)"
    " ELSE COALESCE(c.last_projected_ves_sequence, 0) END"
    " GROUP BY h.tenant_id, h.store_id ORDER BY h.tenant_id, h.store_id",
    "streams behind");
  if (!r)
    return r.error();
  return decode_all<stream_key>(
    *r, [](const detail::row_view& row) { return stream_key{row.id(0), row.id(1)}; },
    "projection_checkpoints");
}

} // namespace seq::storage
