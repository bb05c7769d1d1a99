// SPDX-License-Identifier: Apache-2.0
// The projection store half of the SQLite backend (messages/projection.hpp): projections,
// checkpoints, the dead-letter queue, the audit log and the rebuild shadow tables, on the same
// connection as the event store (see sqlite_event_store.hpp).
#include "adapters/storage/sqlite/sqlite_event_store.hpp"

#include "adapters/storage/projection_rows.hpp"
#include "adapters/storage/sqlite/sqlite_stmt.hpp"
#include "messages/errc.hpp"

#include <sqlite3.h>

#include <array>

namespace seq::storage {

namespace {

using detail::now_micros;
using sqlite::collect;
using sqlite::exec_step;
using sqlite::sqlite_error;
using sqlite::stmt;

// -- SQL ----------------------------------------------------------------------------------------

#define SEQ_PROJECTION_COLS                                                                     \
  "tenant_id, store_id, entity_type, entity_id, state, version, space, last_sequence,"          \
  " updated_at"

#define SEQ_DLQ_COLS                                                                            \
  "id, event_id, tenant_id, store_id, space, sequence_number, entity_type, entity_id,"          \
  " event_type, reason, error_message, status, retry_count, max_retries, next_retry_at,"        \
  " blocked_behind, created_at, updated_at"

#define SEQ_UPSERT_PROJECTION(T)                                                                \
  "INSERT INTO " T " (" SEQ_PROJECTION_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"      \
  " ON CONFLICT (tenant_id, store_id, entity_type, entity_id) DO UPDATE SET"                    \
  " state = excluded.state, version = excluded.version, space = excluded.space,"                \
  " last_sequence = excluded.last_sequence, updated_at = excluded.updated_at"

#define SEQ_PARK(T)                                                                             \
  "INSERT INTO " T " (" SEQ_DLQ_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"    \
  " ?12, ?13, ?14, ?15, ?16, ?17, ?18) ON CONFLICT (event_id, space) DO UPDATE SET"             \
  " sequence_number = excluded.sequence_number, entity_type = excluded.entity_type,"            \
  " entity_id = excluded.entity_id, event_type = excluded.event_type,"                          \
  " reason = excluded.reason, error_message = excluded.error_message,"                          \
  " status = excluded.status, retry_count = excluded.retry_count,"                              \
  " max_retries = excluded.max_retries, next_retry_at = excluded.next_retry_at,"                \
  " blocked_behind = excluded.blocked_behind, updated_at = excluded.updated_at"

#define SEQ_RESOLVE(T)                                                                          \
  "UPDATE " T " SET status = 'resolved', next_retry_at = NULL, blocked_behind = 0,"             \
  " updated_at = ?2 WHERE id = ?1"

// The checkpoint fence: the upsert changes a row only when the new checkpoint is greater.
#define SEQ_CHECKPOINT(T, COL)                                                                  \
  "INSERT INTO " T " (tenant_id, store_id, " COL ", updated_at) VALUES (?1, ?2, ?3, ?4)"         \
  " ON CONFLICT (tenant_id, store_id) DO UPDATE SET " COL " = excluded." COL ","                \
  " updated_at = excluded.updated_at WHERE " T "." COL " < excluded." COL

/// The statements of one projector step, for the live or the shadow tables.
struct step_sql {
  std::string_view upsert, park, resolve, checkpoint_legacy, checkpoint_ves;
};

constexpr step_sql live_sql{
  SEQ_UPSERT_PROJECTION("projections"),
  SEQ_PARK("dead_letter_events"),
  SEQ_RESOLVE("dead_letter_events"),
  SEQ_CHECKPOINT("projection_checkpoints", "last_projected_sequence"),
  SEQ_CHECKPOINT("projection_checkpoints", "last_projected_ves_sequence"),
};

constexpr step_sql shadow_sql{
  SEQ_UPSERT_PROJECTION("projections_rebuild"),
  SEQ_PARK("dead_letter_events_rebuild"),
  SEQ_RESOLVE("dead_letter_events_rebuild"),
  SEQ_CHECKPOINT("projection_checkpoints_rebuild", "last_projected_sequence"),
  SEQ_CHECKPOINT("projection_checkpoints_rebuild", "last_projected_ves_sequence"),
};

constexpr std::string_view sql_begin_immediate = "BEGIN IMMEDIATE";
constexpr std::string_view sql_commit = "COMMIT";

constexpr std::string_view sql_checkpoints
  = "SELECT last_projected_sequence, last_projected_ves_sequence FROM projection_checkpoints"
    " WHERE tenant_id = ?1 AND store_id = ?2";
constexpr std::string_view sql_get_projection
  = "SELECT " SEQ_PROJECTION_COLS " FROM projections WHERE tenant_id = ?1 AND store_id = ?2"
    " AND entity_type = ?3 AND entity_id = ?4";
constexpr std::string_view sql_list_projections
  = "SELECT " SEQ_PROJECTION_COLS " FROM projections WHERE tenant_id = ?1 AND store_id = ?2"
    " AND entity_type = ?3 AND entity_id > ?4 ORDER BY entity_id LIMIT ?5";
constexpr std::string_view sql_blocked
  = "SELECT DISTINCT entity_type, entity_id FROM dead_letter_events WHERE tenant_id = ?1"
    " AND store_id = ?2 AND status IN ('pending', 'retrying', 'dead')"
    " ORDER BY entity_type, entity_id";

// Filters: ?1 tenant, ?2 store, ?3 status, ?4 reason, ?6 entity type, ?7 entity id (NULL = any).
#define SEQ_DLQ_FILTER                                                                          \
  " (?1 IS NULL OR tenant_id = ?1) AND (?2 IS NULL OR store_id = ?2)"                           \
  " AND (?3 IS NULL OR status = ?3) AND (?4 IS NULL OR reason = ?4)"                            \
  " AND (?6 IS NULL OR entity_type = ?6) AND (?7 IS NULL OR entity_id = ?7)"

constexpr std::string_view sql_list_dlq
  = "SELECT " SEQ_DLQ_COLS " FROM dead_letter_events WHERE" SEQ_DLQ_FILTER
    " ORDER BY tenant_id, store_id, space, sequence_number LIMIT ?5";
constexpr std::string_view sql_get_dlq
  = "SELECT " SEQ_DLQ_COLS " FROM dead_letter_events WHERE id = ?1";
constexpr std::string_view sql_due
  = "SELECT " SEQ_DLQ_COLS " FROM dead_letter_events WHERE status = 'pending'"
    " AND next_retry_at IS NOT NULL AND next_retry_at <= ?1"
    " ORDER BY next_retry_at, created_at, id LIMIT ?2";
constexpr std::string_view sql_update_dlq
  = "UPDATE dead_letter_events SET status = ?2, retry_count = ?3, next_retry_at = ?4,"
    " error_message = ?5, last_retry_at = CASE WHEN retry_count <> ?3 THEN ?6"
    " ELSE last_retry_at END, updated_at = ?6 WHERE id = ?1";
constexpr std::string_view sql_purge
  = "DELETE FROM dead_letter_events WHERE" SEQ_DLQ_FILTER
    " AND (?5 = 1 OR status IN ('dead', 'resolved'))";
constexpr std::string_view sql_count_status
  = "SELECT status, count(*) FROM dead_letter_events WHERE (?1 IS NULL OR tenant_id = ?1)"
    " AND (?2 IS NULL OR store_id = ?2) GROUP BY status";
constexpr std::string_view sql_count_reason
  = "SELECT reason, count(*) FROM dead_letter_events WHERE (?1 IS NULL OR tenant_id = ?1)"
    " AND (?2 IS NULL OR store_id = ?2) AND status <> 'resolved' GROUP BY reason";
constexpr std::string_view sql_audit
  = "INSERT INTO audit_log (id, timestamp, action, actor, actor_type, tenant_id, resource_type,"
    " resource_id, details, success) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)";
constexpr std::string_view sql_list_audit
  = "SELECT id, timestamp, action, actor, tenant_id, resource_type, resource_id, details"
    " FROM audit_log WHERE (?1 IS NULL OR tenant_id = ?1)"
    " ORDER BY timestamp DESC, rowid DESC LIMIT ?2";

constexpr std::string_view sql_clear_shadow_projections
  = "DELETE FROM projections_rebuild WHERE tenant_id = ?1 AND store_id = ?2";
constexpr std::string_view sql_clear_shadow_checkpoints
  = "DELETE FROM projection_checkpoints_rebuild WHERE tenant_id = ?1 AND store_id = ?2";
constexpr std::string_view sql_clear_shadow_dlq
  = "DELETE FROM dead_letter_events_rebuild WHERE tenant_id = ?1 AND store_id = ?2";
/// The live and the rebuilt checkpoints (0 where a row is missing).
constexpr std::string_view sql_rebuild_checkpoints
  = "SELECT (SELECT COALESCE(MAX(last_projected_sequence), 0) FROM projection_checkpoints"
    "  WHERE tenant_id = ?1 AND store_id = ?2),"
    " (SELECT COALESCE(MAX(last_projected_ves_sequence), 0) FROM projection_checkpoints"
    "  WHERE tenant_id = ?1 AND store_id = ?2),"
    " (SELECT COALESCE(MAX(last_projected_sequence), 0) FROM projection_checkpoints_rebuild"
    "  WHERE tenant_id = ?1 AND store_id = ?2),"
    " (SELECT COALESCE(MAX(last_projected_ves_sequence), 0) FROM projection_checkpoints_rebuild"
    "  WHERE tenant_id = ?1 AND store_id = ?2)";
constexpr std::string_view sql_swap_delete_projections
  = "DELETE FROM projections WHERE tenant_id = ?1 AND store_id = ?2";
constexpr std::string_view sql_swap_insert_projections
  = "INSERT INTO projections (" SEQ_PROJECTION_COLS ") SELECT " SEQ_PROJECTION_COLS
    " FROM projections_rebuild WHERE tenant_id = ?1 AND store_id = ?2";
constexpr std::string_view sql_swap_delete_dlq
  = "DELETE FROM dead_letter_events WHERE tenant_id = ?1 AND store_id = ?2";
constexpr std::string_view sql_swap_insert_dlq
  = "INSERT INTO dead_letter_events SELECT * FROM dead_letter_events_rebuild"
    " WHERE tenant_id = ?1 AND store_id = ?2";
constexpr std::string_view sql_swap_delete_checkpoints
  = "DELETE FROM projection_checkpoints WHERE tenant_id = ?1 AND store_id = ?2";
constexpr std::string_view sql_swap_insert_checkpoints
  = "INSERT INTO projection_checkpoints (tenant_id, store_id, last_projected_sequence,"
    " last_projected_ves_sequence, updated_at) SELECT tenant_id, store_id,"
    " last_projected_sequence, last_projected_ves_sequence, ?3"
    " FROM projection_checkpoints_rebuild WHERE tenant_id = ?1 AND store_id = ?2";

constexpr std::string_view sql_lags
  = "SELECT c.tenant_id, c.store_id,"
    " (SELECT COALESCE(MAX(e.sequence_number), 0) FROM events e"
    "  WHERE e.tenant_id = c.tenant_id AND e.store_id = c.store_id),"
    " (SELECT COALESCE(MAX(v.sequence_number), 0) FROM ves_events v"
    "  WHERE v.tenant_id = c.tenant_id AND v.store_id = c.store_id),"
    " c.last_projected_sequence, c.last_projected_ves_sequence"
    " FROM projection_checkpoints c ORDER BY c.tenant_id, c.store_id";
constexpr std::string_view sql_streams_behind
  = "SELECT h.tenant_id, h.store_id FROM ("
    " SELECT tenant_id, store_id, MAX(sequence_number) AS head, 0 AS sp FROM events"
    " GROUP BY tenant_id, store_id UNION ALL"
    " SELECT tenant_id, store_id, MAX(sequence_number), 1 FROM ves_events"
    " GROUP BY tenant_id, store_id) h"
    " LEFT JOIN projection_checkpoints c ON c.tenant_id = h.tenant_id AND c.store_id = h.store_id"
    " WHERE h.head > CASE h.sp WHEN 0 THEN COALESCE(c.last_projected_sequence, 0)"
    " ELSE COALESCE(c.last_projected_ves_sequence, 0) END"
    " GROUP BY h.tenant_id, h.store_id ORDER BY h.tenant_id, h.store_id";

void bind_filter(stmt& q, const msg::dlq_filter& f) {
  if (f.stream) {
    q.id(1, f.stream->tenant_id);
    q.id(2, f.stream->store_id);
  } else {
    q.null(1);
    q.null(2);
  }
  auto status = detail::status_text(f);
  auto reason = detail::reason_text(f);
  status.empty() ? q.null(3) : q.text(3, status);
  reason.empty() ? q.null(4) : q.text(4, reason);
  if (f.entity) {
    q.text(6, f.entity->entity_type);
    q.text(7, f.entity->entity_id);
  } else {
    q.null(6);
    q.null(7);
  }
}

void bind_opt_stream(stmt& q, const std::optional<stream_key>& s) {
  if (s) {
    q.id(1, s->tenant_id);
    q.id(2, s->store_id);
  } else {
    q.null(1);
    q.null(2);
  }
}

/// (name, count) rows of a GROUP BY.
auto decode_count = [](const detail::row_view& r) {
  return std::pair<std::string, uint64_t>{r.text(0), static_cast<uint64_t>(r.i64(1))};
};

} // namespace

// -- plumbing -------------------------------------------------------------------------------------

template <class F>
caf::expected<void> sqlite_event_store::in_write_transaction(F&& body) {
  if (auto ok = run(sql_begin_immediate); !ok)
    return ok;
  caf::expected<void> ok = body();
  if (ok)
    ok = run(sql_commit);
  if (!ok)
    rollback_if_open();
  return ok;
}

// -- checkpoints and projections -----------------------------------------------------------------

caf::expected<msg::projection_checkpoints>
sqlite_event_store::load_checkpoints(const stream_key& s) {
  auto p = prepare(sql_checkpoints);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  auto rows = collect<msg::projection_checkpoints>(
    db_, q,
    [](const detail::row_view& r) {
      return msg::projection_checkpoints{static_cast<uint64_t>(r.i64(0)),
                                         static_cast<uint64_t>(r.i64(1))};
    },
    "projection_checkpoints");
  if (!rows)
    return rows.error();
  if (rows->empty())
    return msg::projection_checkpoints{};
  return rows->front();
}

caf::expected<msg::projection_row>
sqlite_event_store::get_projection(const stream_key& s, const std::string& entity_type,
                                   const std::string& entity_id) {
  auto p = prepare(sql_get_projection);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.text(3, entity_type);
  q.text(4, entity_id);
  auto rows = collect<msg::projection_row>(db_, q, detail::decode_projection, "projections");
  if (!rows)
    return rows.error();
  if (rows->empty())
    return make_error(errc::not_found, "no projection for " + entity_type + "/" + entity_id);
  return std::move(rows->front());
}

caf::expected<std::vector<msg::projection_row>>
sqlite_event_store::list_projections(const stream_key& s, const std::string& entity_type,
                                     const std::string& after, uint32_t limit) {
  auto p = prepare(sql_list_projections);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.text(3, entity_type);
  q.text(4, after);
  q.int64(5, limit);
  return collect<msg::projection_row>(db_, q, detail::decode_projection, "projections");
}

// -- projector steps ------------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::write_step_rows(const msg::projection_step& step,
                                                        bool shadow) {
  const auto& sql = shadow ? shadow_sql : live_sql;
  auto now = now_micros();
  auto exec = [&](std::string_view text, auto&& bind, std::string_view what) {
    auto p = prepare(text);
    if (!p)
      return caf::expected<void>{p.error()};
    stmt q{*p};
    bind(q);
    return exec_step(db_, q, what);
  };
  if (step.advance_checkpoint) {
    auto legacy = step.space == static_cast<uint8_t>(msg::space::legacy);
    auto ok = exec(
      legacy ? sql.checkpoint_legacy : sql.checkpoint_ves,
      [&](stmt& q) {
        q.id(1, step.stream.tenant_id);
        q.id(2, step.stream.store_id);
        q.int64(3, static_cast<int64_t>(step.sequence_number));
        q.int64(4, now);
      },
      "advance projection checkpoint");
    if (!ok)
      return ok;
    if (sqlite3_changes(db_) != 1)
      return make_error(errc::storage_conflict,
                        "projection checkpoint of " + step.stream.str() + " is already at or past "
                          + std::to_string(step.sequence_number));
  }
  if (step.upsert) {
    const auto& u = *step.upsert;
    auto state = detail::canonical_state(u.state);
    if (!state)
      return state.error();
    auto ok = exec(
      sql.upsert,
      [&](stmt& q) {
        q.id(1, u.stream.tenant_id);
        q.id(2, u.stream.store_id);
        q.text(3, u.entity_type);
        q.text(4, u.entity_id);
        q.text(5, *state);
        q.int64(6, u.version);
        q.int64(7, u.space);
        q.int64(8, static_cast<int64_t>(u.last_sequence));
        q.int64(9, u.updated_at != 0 ? u.updated_at : now);
      },
      "upsert projection");
    if (!ok)
      return ok;
  }
  if (step.park) {
    const auto& e = *step.park;
    auto ok = exec(
      sql.park,
      [&](stmt& q) {
        q.id(1, e.id.is_nil() ? uuid::random_v4() : e.id);
        q.id(2, e.event_id);
        q.id(3, e.stream.tenant_id);
        q.id(4, e.stream.store_id);
        q.int64(5, e.space);
        q.int64(6, static_cast<int64_t>(e.sequence_number));
        q.text(7, e.entity_type);
        q.text(8, e.entity_id);
        q.text(9, e.event_type);
        q.text(10, msg::to_string(e.reason));
        q.text(11, e.message);
        q.text(12, msg::to_string(e.status));
        q.int64(13, e.retry_count);
        q.int64(14, e.max_retries);
        q.opt_int64(15, e.next_retry_at);
        q.int64(16, e.blocked_behind ? 1 : 0);
        q.int64(17, e.created_at != 0 ? e.created_at : now);
        q.int64(18, now);
      },
      "park event in dead_letter_events");
    if (!ok)
      return ok;
  }
  if (step.resolve) {
    auto ok = exec(
      sql.resolve,
      [&](stmt& q) {
        q.id(1, *step.resolve);
        q.int64(2, now);
      },
      "resolve dead_letter_events row");
    if (!ok)
      return ok;
  }
  return {};
}

caf::expected<void> sqlite_event_store::write_step(const msg::projection_step& step,
                                                   bool shadow) {
  if (auto ok = detail::validate_step(step); !ok)
    return ok;
  return in_write_transaction([&] { return write_step_rows(step, shadow); });
}

caf::expected<void> sqlite_event_store::apply_step(const msg::projection_step& step) {
  return write_step(step, false);
}

caf::expected<void>
sqlite_event_store::apply_steps(const std::vector<msg::projection_step>& steps) {
  for (const auto& step : steps)
    if (auto ok = detail::validate_step(step); !ok)
      return ok;
  if (steps.empty())
    return {};
  return in_write_transaction([&]() -> caf::expected<void> {
    for (const auto& step : steps)
      if (auto ok = write_step_rows(step, false); !ok)
        return ok;
    return {};
  });
}

// -- dead-letter queue ----------------------------------------------------------------------------

caf::expected<std::vector<entity_key>> sqlite_event_store::blocked_entities(const stream_key& s) {
  auto p = prepare(sql_blocked);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  return collect<entity_key>(
    db_, q, [](const detail::row_view& r) { return entity_key{r.text(0), r.text(1)}; },
    "dead_letter_events");
}

caf::expected<std::vector<msg::dlq_entry>> sqlite_event_store::list_dlq(const msg::dlq_filter& f) {
  auto p = prepare(sql_list_dlq);
  if (!p)
    return p.error();
  stmt q{*p};
  bind_filter(q, f);
  q.int64(5, f.limit);
  return collect<msg::dlq_entry>(db_, q, detail::decode_dlq, "dead_letter_events");
}

caf::expected<msg::dlq_entry> sqlite_event_store::get_dlq(const uuid& id) {
  auto p = prepare(sql_get_dlq);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, id);
  auto rows = collect<msg::dlq_entry>(db_, q, detail::decode_dlq, "dead_letter_events");
  if (!rows)
    return rows.error();
  if (rows->empty())
    return make_error(errc::not_found, "no dead-letter entry " + id.str());
  return std::move(rows->front());
}

caf::expected<std::vector<msg::dlq_entry>> sqlite_event_store::due_for_retry(msg::timestamp_us now,
                                                                             uint32_t limit) {
  auto p = prepare(sql_due);
  if (!p)
    return p.error();
  stmt q{*p};
  q.int64(1, now);
  q.int64(2, limit);
  return collect<msg::dlq_entry>(db_, q, detail::decode_dlq, "dead_letter_events");
}

caf::expected<void> sqlite_event_store::update_dlq(const msg::dlq_entry& e) {
  auto p = prepare(sql_update_dlq);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, e.id);
  q.text(2, msg::to_string(e.status));
  q.int64(3, e.retry_count);
  q.opt_int64(4, e.next_retry_at);
  q.text(5, e.message);
  q.int64(6, now_micros());
  if (auto ok = exec_step(db_, q, "update dead_letter_events"); !ok)
    return ok;
  if (sqlite3_changes(db_) != 1)
    return make_error(errc::not_found, "no dead-letter entry " + e.id.str());
  return {};
}

caf::expected<uint64_t> sqlite_event_store::purge_dlq(const msg::dlq_filter& f, bool force) {
  auto p = prepare(sql_purge);
  if (!p)
    return p.error();
  stmt q{*p};
  bind_filter(q, f);
  q.int64(5, force ? 1 : 0);
  if (auto ok = exec_step(db_, q, "purge dead_letter_events"); !ok)
    return ok.error();
  return static_cast<uint64_t>(sqlite3_changes64(db_));
}

caf::expected<msg::dlq_counts> sqlite_event_store::dlq_counts(const std::optional<stream_key>& s) {
  auto count = [&](std::string_view sql) {
    auto p = prepare(sql);
    if (!p)
      return caf::expected<std::vector<std::pair<std::string, uint64_t>>>{p.error()};
    stmt q{*p};
    bind_opt_stream(q, s);
    return collect<std::pair<std::string, uint64_t>>(db_, q, decode_count,
                                                     "dead_letter_events");
  };
  auto by_status = count(sql_count_status);
  if (!by_status)
    return by_status.error();
  auto by_reason = count(sql_count_reason);
  if (!by_reason)
    return by_reason.error();
  return detail::complete_counts(*by_status, *by_reason);
}

// -- audit ----------------------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::audit(const msg::audit_entry& a) {
  auto d = detail::audit_details(a);
  if (!d)
    return d.error();
  const auto& details = *d;
  auto p = prepare(sql_audit);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, uuid::random_v4());
  q.int64(2, now_micros());
  q.text(3, a.action);
  q.text(4, a.actor);
  q.text(5, detail::actor_type(a.actor));
  q.opt_id(6, a.tenant_id);
  q.text(7, a.resource_type);
  q.text(8, a.resource_id);
  q.text_or_null(9, details);
  return exec_step(db_, q, "insert audit_log");
}

caf::expected<std::vector<audit_record>>
sqlite_event_store::read_audit(const std::optional<uuid>& tenant, uint32_t limit) {
  auto p = prepare(sql_list_audit);
  if (!p)
    return p.error();
  stmt q{*p};
  q.opt_id(1, tenant);
  q.int64(2, limit);
  return collect<audit_record>(db_, q, detail::decode_audit, "audit_log");
}

// -- rebuild --------------------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::rebuild_begin(const stream_key& s) {
  return in_write_transaction([&]() -> caf::expected<void> {
    for (auto sql : {sql_clear_shadow_projections, sql_clear_shadow_checkpoints,
                     sql_clear_shadow_dlq}) {
      auto p = prepare(sql);
      if (!p)
        return p.error();
      stmt q{*p};
      q.id(1, s.tenant_id);
      q.id(2, s.store_id);
      if (auto ok = exec_step(db_, q, "clear rebuild tables"); !ok)
        return ok;
    }
    return {};
  });
}

caf::expected<void> sqlite_event_store::rebuild_apply(const msg::projection_step& step) {
  return write_step(step, true);
}

caf::expected<void> sqlite_event_store::rebuild_commit(const stream_key& s) {
  auto now = now_micros();
  return in_write_transaction([&]() -> caf::expected<void> {
    // The write lock is held: the live projector cannot move its checkpoint meanwhile. The
    // rebuilt projection must stand exactly where the live one stands, so that the running
    // projector continues from its own checkpoint on top of the rebuilt rows.
    {
      auto p = prepare(sql_rebuild_checkpoints);
      if (!p)
        return p.error();
      stmt q{*p};
      q.id(1, s.tenant_id);
      q.id(2, s.store_id);
      auto rows = collect<std::array<int64_t, 4>>(
        db_, q,
        [](const detail::row_view& r) {
          return std::array<int64_t, 4>{r.i64(0), r.i64(1), r.i64(2), r.i64(3)};
        },
        "projection_checkpoints");
      if (!rows)
        return rows.error();
      for (auto& r : *rows)
        if (r[0] != r[2] || r[1] != r[3])
          return make_error(errc::storage_conflict,
                            "the live projection of " + s.str() + " is at legacy "
                              + std::to_string(r[0]) + ", VES " + std::to_string(r[1])
                              + ", the rebuild at legacy " + std::to_string(r[2]) + ", VES "
                              + std::to_string(r[3]) + "; catch up first");
    }
    for (auto sql : {sql_swap_delete_projections, sql_swap_insert_projections,
                     sql_swap_delete_dlq, sql_swap_insert_dlq, sql_swap_delete_checkpoints,
                     sql_swap_insert_checkpoints, sql_clear_shadow_projections,
                     sql_clear_shadow_checkpoints, sql_clear_shadow_dlq}) {
      auto p = prepare(sql);
      if (!p)
        return p.error();
      stmt q{*p};
      q.id(1, s.tenant_id);
      q.id(2, s.store_id);
      if (sql == sql_swap_insert_checkpoints)
        q.int64(3, now);
      if (auto ok = exec_step(db_, q, "swap rebuilt projections"); !ok)
        return ok;
    }
    return {};
  });
}

// -- lag ------------------------------------------------------------------------------------------

caf::expected<std::vector<projection_lag>> sqlite_event_store::read_projection_lags() {
  auto p = prepare(sql_lags);
  if (!p)
    return p.error();
  stmt q{*p};
  return collect<projection_lag>(db_, q, detail::decode_lag, "projection_checkpoints");
}

caf::expected<std::vector<stream_key>> sqlite_event_store::read_streams_behind() {
  auto p = prepare(sql_streams_behind);
  if (!p)
    return p.error();
  stmt q{*p};
  return collect<stream_key>(
    db_, q, [](const detail::row_view& r) { return stream_key{r.id(0), r.id(1)}; },
    "projection_checkpoints");
}

} // namespace seq::storage
