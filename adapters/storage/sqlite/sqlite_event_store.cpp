// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/sqlite/sqlite_event_store.hpp"

#include "adapters/storage/rows.hpp"
#include "adapters/storage/sqlite/sqlite_stmt.hpp"
#include "adapters/storage/sqlite/wal_checkpointer.hpp"
#include "messages/errc.hpp"

#include <sqlite3.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <thread>

namespace seq::storage {

namespace {

using detail::now_micros;

using sqlite::collect;
using sqlite::busy_wait;
using sqlite::exec_step;
using sqlite::sqlite_error;
using sqlite::sqlite_row;
using sqlite::stmt;

// -- SQL ----------------------------------------------------------------------------------------

#define SEQ_VES_SELECT                                                                          \
  "SELECT e.event_id, e.command_id, e.ves_version, e.tenant_id, e.store_id, e.source_agent_id,"  \
  " e.agent_key_id, e.entity_type, e.entity_id, e.event_type, e.created_at_str, e.sequenced_at," \
  " e.payload_kind, e.payload, e.payload_encrypted, e.payload_plain_hash, e.payload_cipher_hash," \
  " e.event_signing_hash, e.agent_signature, e.sequence_number, e.base_version,"                 \
  " e.agent_signature_scheme, r.event_id, r.sequencer_id, r.sequence_number, r.sequenced_at,"    \
  " r.receipt_hash, r.sequencer_signature, r.sequencer_key_version"                              \
  " FROM ves_events e LEFT JOIN ves_sequencer_receipts r ON r.event_id = e.event_id "

#define SEQ_LEGACY_SELECT                                                                       \
  "SELECT event_id, command_id, tenant_id, store_id, entity_type, entity_id, event_type,"       \
  " payload, payload_hash, base_version, created_at, source_agent, signature, sequence_number,"  \
  " sequenced_at FROM events "

/// The rows of one stream in a sequence range, for the read_range statements (no join).
#define SEQ_STREAM_RANGE                                                                        \
  "WHERE tenant_id = ?1 AND store_id = ?2 AND sequence_number BETWEEN ?3 AND ?4"                \
  " ORDER BY sequence_number"

#define SEQ_AGENT_KEY_COLS                                                                      \
  "tenant_id, agent_id, key_id, public_key, key_algorithm, status, valid_from, valid_to,"       \
  " revoked_at, created_at"

#define SEQ_API_KEY_COLS                                                                        \
  "key_hash, tenant_id, store_ids, can_read, can_write, can_admin, agent_id, active,"           \
  " rate_limit, created_at, updated_at"

constexpr std::string_view sql_begin_immediate = "BEGIN IMMEDIATE";
constexpr std::string_view sql_begin = "BEGIN";
constexpr std::string_view sql_commit = "COMMIT";
constexpr std::string_view sql_rollback = "ROLLBACK";
constexpr std::string_view sql_ping = "SELECT 1";

/// One file's migrations: the compiled list, its name in errors, and the bookkeeping
/// statements of its `schema_migrations`.
struct migrations_table {
  const std::vector<migration>& (*all)();
  std::string_view label;
  std::string_view create, applied, record, list, exists;
};

#define SEQ_MIGRATIONS_TABLE(all, label, schema)                                                \
  {all, label,                                                                                  \
   "CREATE TABLE IF NOT EXISTS " schema "schema_migrations (version INTEGER PRIMARY KEY,"        \
   " name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT",                                   \
   "SELECT 1 FROM " schema "schema_migrations WHERE version = ?1",                              \
   "INSERT INTO " schema "schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",   \
   "SELECT version, name, applied_at FROM " schema "schema_migrations ORDER BY version",         \
   "SELECT 1 FROM " schema "sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"}

constexpr migrations_table event_migrations SEQ_MIGRATIONS_TABLE(sqlite_migrations, "migration",
                                                                  "main.");
constexpr migrations_table projection_migrations SEQ_MIGRATIONS_TABLE(
  sqlite_projections_migrations, "projection file migration", "projection.");

const migrations_table& migrations_of(bool projection_file) {
  return projection_file ? projection_migrations : event_migrations;
}

constexpr std::string_view sql_heads
  = "SELECT (SELECT COALESCE(MAX(sequence_number), 0) FROM events"
    " WHERE tenant_id = ?1 AND store_id = ?2),"
    " (SELECT COALESCE(MAX(sequence_number), 0) FROM ves_events"
    " WHERE tenant_id = ?1 AND store_id = ?2),"
    " (SELECT COALESCE(MAX(sequence_number), 0) FROM x402_payment_intents"
    " WHERE tenant_id = ?1 AND store_id = ?2)";
constexpr std::string_view sql_entity_versions
  = "SELECT entity_type, entity_id, version FROM entity_versions"
    " WHERE tenant_id = ?1 AND store_id = ?2 ORDER BY entity_type, entity_id";
constexpr std::string_view sql_entity_version
  = "SELECT version FROM entity_versions"
    " WHERE tenant_id = ?1 AND store_id = ?2 AND entity_type = ?3 AND entity_id = ?4";

constexpr std::string_view sql_insert_ves
  = "INSERT INTO ves_events (event_id, command_id, ves_version, tenant_id, store_id,"
    " source_agent_id, agent_key_id, entity_type, entity_id, event_type, created_at,"
    " created_at_str, sequenced_at, payload_kind, payload, payload_encrypted, payload_plain_hash,"
    " payload_cipher_hash, event_signing_hash, agent_signature, sequence_number, base_version,"
    " agent_signature_scheme) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
    " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)";
constexpr std::string_view sql_insert_receipt
  = "INSERT INTO ves_sequencer_receipts (event_id, sequencer_id, sequence_number, sequenced_at,"
    " receipt_hash, sequencer_signature, sequencer_key_version)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr std::string_view sql_insert_legacy
  = "INSERT INTO events (event_id, command_id, sequence_number, tenant_id, store_id, entity_type,"
    " entity_id, event_type, payload, payload_hash, base_version, source_agent, signature,"
    " created_at, sequenced_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
    " ?14, ?15)";
constexpr std::string_view sql_insert_ves_command
  = "INSERT INTO ves_command_dedupe (tenant_id, store_id, command_id, created_at)"
    " VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view sql_insert_legacy_command
  = "INSERT INTO event_command_dedupe (tenant_id, store_id, command_id, created_at)"
    " VALUES (?1, ?2, ?3, ?4)";
constexpr std::string_view sql_cas_insert
  = "INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version,"
    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (tenant_id, store_id, entity_type, entity_id) DO UPDATE"
    " SET version = excluded.version, updated_at = excluded.updated_at"
    " WHERE entity_versions.version = 0";
constexpr std::string_view sql_cas_update
  = "UPDATE entity_versions SET version = ?5, updated_at = ?6"
    " WHERE tenant_id = ?1 AND store_id = ?2 AND entity_type = ?3 AND entity_id = ?4"
    " AND version = ?7";

constexpr std::string_view sql_ves_by_id = SEQ_VES_SELECT "WHERE e.event_id = ?1";
constexpr std::string_view sql_ves_range
  = SEQ_VES_SELECT "WHERE e.tenant_id = ?1 AND e.store_id = ?2"
                   " AND e.sequence_number BETWEEN ?3 AND ?4 ORDER BY e.sequence_number";
constexpr std::string_view sql_ves_projectable_range
  = "SELECT sequence_number, event_id, entity_type, entity_id, event_type, payload_kind,"
    " CASE WHEN payload_kind = 0 THEN payload END, base_version FROM ves_events "
    SEQ_STREAM_RANGE;
constexpr std::string_view sql_ves_leaf_range
  = "SELECT sequence_number, event_signing_hash, agent_signature FROM ves_events "
    SEQ_STREAM_RANGE;
constexpr std::string_view sql_legacy_exists = "SELECT 1 FROM events WHERE event_id = ?1";
constexpr std::string_view sql_legacy_range
  = SEQ_LEGACY_SELECT SEQ_STREAM_RANGE;
constexpr std::string_view sql_legacy_entity
  = SEQ_LEGACY_SELECT "WHERE tenant_id = ?1 AND store_id = ?2 AND entity_type = ?3"
                      " AND entity_id = ?4 ORDER BY sequence_number";
constexpr std::string_view sql_ves_command_exists
  = "SELECT 1 FROM ves_command_dedupe WHERE tenant_id = ?1 AND store_id = ?2"
    " AND command_id = ?3";
constexpr std::string_view sql_legacy_command_exists
  = "SELECT 1 FROM event_command_dedupe WHERE tenant_id = ?1 AND store_id = ?2"
    " AND command_id = ?3";

constexpr std::string_view sql_insert_agent_key
  = "INSERT INTO agent_signing_keys (" SEQ_AGENT_KEY_COLS ")"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view sql_get_agent_key
  = "SELECT " SEQ_AGENT_KEY_COLS " FROM agent_signing_keys"
    " WHERE tenant_id = ?1 AND agent_id = ?2 AND key_id = ?3";

constexpr std::string_view sql_upsert_api_key
  = "INSERT INTO api_keys (" SEQ_API_KEY_COLS ")"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT (key_hash) DO UPDATE SET tenant_id = excluded.tenant_id,"
    " store_ids = excluded.store_ids, can_read = excluded.can_read,"
    " can_write = excluded.can_write, can_admin = excluded.can_admin,"
    " agent_id = excluded.agent_id, active = excluded.active, rate_limit = excluded.rate_limit,"
    " created_at = excluded.created_at, updated_at = excluded.updated_at";
constexpr std::string_view sql_get_api_key
  = "SELECT " SEQ_API_KEY_COLS " FROM api_keys WHERE key_hash = ?1";
constexpr std::string_view sql_list_api_keys
  = "SELECT " SEQ_API_KEY_COLS " FROM api_keys"
    " WHERE (?1 IS NULL OR agent_id = ?1) AND (?2 IS NULL OR tenant_id = ?2)"
    " ORDER BY updated_at DESC, key_hash";
constexpr std::string_view sql_revoke_api_key
  = "UPDATE api_keys SET active = 0, updated_at = ?4 WHERE key_hash = ("
    " SELECT key_hash FROM api_keys WHERE substr(key_hash, 1, length(?1)) = ?1"
    " AND (?2 IS NULL OR agent_id = ?2) AND (?3 IS NULL OR tenant_id = ?3)"
    " ORDER BY active DESC, updated_at DESC, key_hash LIMIT 1)"
    " RETURNING " SEQ_API_KEY_COLS;

bool is_pk_violation(int rc) {
  return rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE;
}

} // namespace

// -- construction -------------------------------------------------------------------------------

std::string sqlite_event_store::projection_file(const std::string& path) {
  if (path == ":memory:")
    return path;
  auto slash = path.rfind('/');
  auto name_at = slash == std::string::npos ? 0 : slash + 1;
  auto dot = path.rfind('.');
  if (dot == std::string::npos || dot <= name_at) // no extension (a leading dot is none)
    return path + ".projections";
  return path.substr(0, dot) + ".projections" + path.substr(dot);
}

namespace {

/// `path` as a `file:` URI (RFC 3986 percent-encoding of everything but unreserved characters
/// and `/`), for opening it with URI parameters.
std::string file_uri(const std::string& path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

/// ATTACHes `file` (a path or a `file:` URI) as `schema`.
caf::expected<void> attach(sqlite3* db, const std::string& file, std::string_view schema) {
  sqlite3_stmt* s = nullptr;
  auto sql = "ATTACH DATABASE ?1 AS " + std::string{schema};
  auto rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(s, 1, file.c_str(), -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(s);
  }
  sqlite3_finalize(s);
  if (rc == SQLITE_DONE)
    return {};
  return make_error(errc::storage_unavailable,
                    "cannot attach " + file + " as " + std::string{schema} + ": "
                      + sqlite3_errmsg(db));
}

} // namespace

caf::expected<std::unique_ptr<sqlite_event_store>>
sqlite_event_store::open(const std::string& path, store_scope scope) {
  if (path.empty())
    return make_error(errc::invalid_request, "empty SQLite path");
  auto in_memory = path == ":memory:";
  if (in_memory && scope == store_scope::projections)
    scope = store_scope::all; // a private database: nothing to share, nothing to attach
  if (!in_memory) {
    auto dir = std::filesystem::path{path}.parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
      std::filesystem::create_directories(dir, ec);
      if (ec)
        return make_error(errc::storage_unavailable,
                          "cannot create directory " + dir.string() + ": " + ec.message());
    }
  }
  auto projection_main = scope == store_scope::projections;
  auto proj_file = projection_file(path);
  auto main_file = projection_main ? proj_file : path;
  // The projector's connection attaches the event database by a URI (read-only), so it opens
  // its own file by one too: no path is ever taken for a URI by accident.
  constexpr int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  auto opened = projection_main
                  ? sqlite::open_connection(file_uri(main_file), flags | SQLITE_OPEN_URI, "")
                  : sqlite::open_connection(main_file, flags, "");
  if (!opened)
    return opened.error();
  sqlite3* db = *opened;
  sqlite3_busy_handler(db, busy_wait, nullptr);
  std::unique_ptr<sqlite_event_store> st{new sqlite_event_store(db, path, scope)};
  // The event database syncs every commit; the projection file does not: it is derived (a
  // projector step lost to a power failure is applied again from the event log), and with
  // synchronous=FULL a projector committing once per event slowed ingest ~10x.
  if (auto ok = st->execute(std::string{"PRAGMA synchronous = "}
                            + (projection_main ? "NORMAL" : "FULL")
                            + "; PRAGMA foreign_keys = ON;");
      !ok)
    return ok.error();
  // The server checkpoints the event database on a thread of its own (wal_checkpointer.hpp);
  // this is the fence. The projector checkpoints its file itself, at SQLite's default.
  if (!projection_main)
    sqlite3_wal_autocheckpoint(db, sqlite::autocheckpoint_fence_frames);
  int rc = SQLITE_OK;
  if (!in_memory && sqlite::journal_mode(db, "PRAGMA journal_mode = WAL", rc) != "wal")
    return make_error(errc::storage_failure,
                      "cannot enable WAL on " + main_file + ": " + sqlite3_errstr(rc));
  if (scope == store_scope::all) {
    if (auto ok = attach(db, proj_file, "projection"); !ok)
      return ok.error();
    if (!in_memory
        && sqlite::journal_mode(db, "PRAGMA projection.journal_mode = WAL", rc) != "wal")
      return make_error(errc::storage_failure,
                        "cannot enable WAL on " + proj_file + ": " + sqlite3_errstr(rc));
    if (auto ok = st->execute("PRAGMA projection.synchronous = NORMAL"); !ok)
      return ok.error();
  } else if (projection_main) {
    // Read-only: a BEGIN IMMEDIATE of the projector must not take the event log's write lock.
    if (auto ok = attach(db, file_uri(path) + "?mode=ro", "event_log"); !ok)
      return ok.error();
  }
  return st;
}

sqlite_event_store::sqlite_event_store(sqlite3* db, std::string path, store_scope scope)
  : db_(db), path_(std::move(path)), scope_(scope) {
  // nop
}

sqlite_event_store::~sqlite_event_store() {
  for (auto& [sql, s] : cache_)
    sqlite3_finalize(s);
  sqlite3_close_v2(db_);
}

std::string sqlite_event_store::backend() const {
  return "sqlite";
}

// -- plumbing -------------------------------------------------------------------------------------

caf::expected<sqlite3_stmt*> sqlite_event_store::prepare(std::string_view sql) {
  if (auto i = cache_.find(sql); i != cache_.end())
    return i->second;
  sqlite3_stmt* s = nullptr;
  auto rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                               SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK)
    return sqlite_error(db_, rc, "prepare");
  cache_.emplace(sql, s);
  return s;
}

caf::expected<void> sqlite_event_store::run(std::string_view sql) {
  auto s = prepare(sql);
  if (!s)
    return s.error();
  stmt q{*s};
  return exec_step(db_, q, sql);
}

void sqlite_event_store::rollback_if_open() {
  if (sqlite3_get_autocommit(db_) == 0)
    static_cast<void>(run(sql_rollback));
}

caf::expected<void> sqlite_event_store::execute(const std::string& sql) {
  char* err = nullptr;
  auto rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK)
    return {};
  auto e = make_error(errc::storage_failure, std::string{"execute: "} + (err ? err : ""));
  sqlite3_free(err);
  rollback_if_open();
  return e;
}

caf::expected<void> sqlite_event_store::ping() {
  return run(sql_ping);
}

// -- migrations -----------------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::migrate() {
  if (scope_ != store_scope::all)
    return make_error(errc::migration_failed,
                      "migrate needs a connection to both SQLite files (store_scope::all)");
  // The projection file first: the event database's 0006 moves rows into its tables.
  if (auto ok = migrate_file(true); !ok)
    return ok;
  return migrate_file(false);
}

caf::expected<void> sqlite_event_store::migrate_file(bool projection_file) {
  const auto& t = migrations_of(projection_file);
  const auto& all = t.all();
  if (auto ok = check_migration_order(all); !ok)
    return ok;
  if (auto ok = run(t.create); !ok)
    return ok;
  for (const auto& m : all) {
    if (auto ok = run(sql_begin_immediate); !ok)
      return ok;
    auto apply = [&]() -> caf::expected<void> {
      {
        auto s = prepare(t.applied);
        if (!s)
          return s.error();
        stmt q{*s};
        q.int64(1, m.version);
        auto rc = q.step();
        if (rc == SQLITE_ROW)
          return {}; // applied meanwhile by another connection
        if (rc != SQLITE_DONE)
          return sqlite_error(db_, rc, "read schema_migrations");
      }
      char* err = nullptr;
      auto rc = sqlite3_exec(db_, std::string{m.sql}.c_str(), nullptr, nullptr, &err);
      if (rc != SQLITE_OK) {
        auto msg = std::string{t.label} + " " + std::to_string(m.version) + "_"
                   + std::string{m.name} + ": " + (err ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        return make_error(errc::migration_failed, std::move(msg));
      }
      auto s = prepare(t.record);
      if (!s)
        return s.error();
      stmt q{*s};
      q.int64(1, m.version);
      q.text(2, m.name);
      q.int64(3, now_micros());
      return exec_step(db_, q, "record migration");
    };
    auto ok = apply();
    if (ok)
      ok = run(sql_commit);
    if (!ok) {
      rollback_if_open();
      return ok;
    }
  }
  return {};
}

caf::expected<std::vector<applied_migration>>
sqlite_event_store::applied_migrations(bool projection_file) {
  const auto& t = migrations_of(projection_file);
  if (projection_file && scope_ != store_scope::all)
    return make_error(errc::invalid_request, "this connection has no projection schema");
  {
    auto s = prepare(t.exists);
    if (!s)
      return s.error();
    stmt q{*s};
    auto rc = q.step();
    if (rc == SQLITE_DONE)
      return std::vector<applied_migration>{};
    if (rc != SQLITE_ROW)
      return sqlite_error(db_, rc, "read sqlite_master");
  }
  auto s = prepare(t.list);
  if (!s)
    return s.error();
  stmt q{*s};
  return collect<applied_migration>(
    db_, q,
    [](const detail::row_view& r) {
      return applied_migration{r.i64(0), r.text(1), r.i64(2)};
    },
    "schema_migrations");
}

// -- sequencing -----------------------------------------------------------------------------------

caf::expected<msg::stream_heads> sqlite_event_store::load_heads(const stream_key& s) {
  auto p = prepare(sql_heads);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  auto rc = q.step();
  if (rc != SQLITE_ROW)
    return sqlite_error(db_, rc, "load heads");
  msg::stream_heads h;
  h.legacy = static_cast<uint64_t>(sqlite3_column_int64(q.get(), 0));
  h.ves = static_cast<uint64_t>(sqlite3_column_int64(q.get(), 1));
  h.x402 = static_cast<uint64_t>(sqlite3_column_int64(q.get(), 2));
  return h;
}

caf::expected<std::vector<std::pair<entity_key, int64_t>>>
sqlite_event_store::load_entity_versions(const stream_key& s) {
  auto p = prepare(sql_entity_versions);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  return collect<std::pair<entity_key, int64_t>>(
    db_, q,
    [](const detail::row_view& r) {
      return std::pair{entity_key{r.text(0), r.text(1)}, r.i64(2)};
    },
    "entity_versions");
}

caf::expected<void> sqlite_event_store::write_group_rows(const write_group& g,
                                                         const std::vector<entity_cas>& versions) {
  const auto& t = g.stream.tenant_id;
  const auto& st = g.stream.store_id;
  auto insert_row = [&](std::string_view sql, auto&& bind,
                        std::string_view what) -> caf::expected<void> {
    auto p = prepare(sql);
    if (!p)
      return p.error();
    stmt q{*p};
    bind(q);
    return exec_step(db_, q, what);
  };
  for (const auto& x : g.ves) {
    const auto& e = x.ev;
    auto ok = insert_row(
      sql_insert_ves,
      [&](stmt& q) {
        q.id(1, e.event_id);
        q.opt_id(2, e.command_id);
        q.int64(3, e.ves_version);
        q.id(4, e.tenant_id);
        q.id(5, e.store_id);
        q.id(6, e.source_agent_id);
        q.int64(7, e.agent_key_id);
        q.text(8, e.entity_type);
        q.text(9, e.entity_id);
        q.text(10, e.event_type);
        q.opt_int64(11, msg::parse_rfc3339(e.created_at));
        q.text(12, e.created_at);
        q.int64(13, x.sequenced_at);
        q.int64(14, e.payload_kind);
        q.text_or_null(15, e.payload);
        q.text_or_null(16, e.payload_encrypted);
        q.blob(17, e.payload_plain_hash);
        q.blob(18, e.payload_cipher_hash);
        q.blob(19, e.event_signing_hash);
        q.blob(20, e.agent_signature);
        q.int64(21, static_cast<int64_t>(x.sequence_number));
        q.opt_int64(22, e.base_version);
        q.int64(23, e.agent_signature_scheme);
      },
      "insert ves_events");
    if (!ok)
      return ok;
    const auto& r = x.rcpt;
    ok = insert_row(
      sql_insert_receipt,
      [&](stmt& q) {
        q.id(1, e.event_id);
        q.id(2, r.sequencer_id);
        q.int64(3, static_cast<int64_t>(r.sequence_number));
        q.int64(4, r.sequenced_at);
        q.blob(5, r.receipt_hash);
        if (r.sequencer_signature)
          q.blob(6, *r.sequencer_signature);
        else
          q.null(6);
        q.int64(7, r.sequencer_key_version);
      },
      "insert ves_sequencer_receipts");
    if (!ok)
      return ok;
  }
  for (const auto& x : g.legacy) {
    const auto& e = x.ev;
    auto ok = insert_row(
      sql_insert_legacy,
      [&](stmt& q) {
        q.id(1, e.event_id);
        q.opt_id(2, e.command_id);
        q.int64(3, static_cast<int64_t>(x.sequence_number));
        q.id(4, e.tenant_id);
        q.id(5, e.store_id);
        q.text(6, e.entity_type);
        q.text(7, e.entity_id);
        q.text(8, e.event_type);
        q.text(9, e.payload);
        q.blob(10, e.payload_hash);
        q.opt_int64(11, e.base_version);
        q.id(12, e.source_agent);
        if (e.signature)
          q.blob(13, *e.signature);
        else
          q.null(13);
        q.int64(14, e.created_at);
        q.int64(15, x.sequenced_at);
      },
      "insert events");
    if (!ok)
      return ok;
  }
  auto now = now_micros();
  auto reserve = [&](std::string_view sql, const std::vector<uuid>& ids,
                     std::string_view what) -> caf::expected<void> {
    for (const auto& id : ids) {
      auto ok = insert_row(
        sql,
        [&](stmt& q) {
          q.id(1, t);
          q.id(2, st);
          q.id(3, id);
          q.int64(4, now);
        },
        what);
      if (!ok)
        return ok;
    }
    return {};
  };
  if (auto ok = reserve(sql_insert_ves_command, g.ves_commands, "insert ves_command_dedupe"); !ok)
    return ok;
  if (auto ok = write_x402_rows(g); !ok)
    return ok;
  if (auto ok = reserve(sql_insert_legacy_command, g.legacy_commands,
                        "insert event_command_dedupe");
      !ok)
    return ok;
  for (const auto& c : versions) {
    auto p = prepare(c.expected == 0 ? sql_cas_insert : sql_cas_update);
    if (!p)
      return p.error();
    stmt q{*p};
    q.id(1, t);
    q.id(2, st);
    q.text(3, c.key.entity_type);
    q.text(4, c.key.entity_id);
    q.int64(5, c.next);
    q.int64(6, now);
    if (c.expected != 0)
      q.int64(7, c.expected);
    if (auto ok = exec_step(db_, q, "entity version compare-and-set"); !ok)
      return ok;
    if (sqlite3_changes(db_) != 1)
      return make_error(errc::storage_conflict,
                        "entity version compare-and-set failed for " + c.key.entity_type + "/"
                          + c.key.entity_id + ": expected " + std::to_string(c.expected));
  }
  return {};
}

caf::expected<void> sqlite_event_store::commit_group(const write_group& g) {
  if (auto ok = detail::validate_group(g); !ok)
    return ok;
  auto versions = detail::merge_cas(g.versions);
  if (!versions)
    return make_error(errc::storage_conflict,
                      "entity version compare-and-set chain is broken within the group");
  if (auto ok = run(sql_begin_immediate); !ok)
    return ok;
  auto ok = write_group_rows(g, *versions);
  if (ok)
    ok = run(sql_commit);
  if (!ok)
    rollback_if_open();
  return ok;
}

caf::expected<std::vector<uuid>>
sqlite_event_store::existing_commands(std::string_view sql, const stream_key& s,
                                      const std::vector<uuid>& ids) {
  std::vector<uuid> out;
  for (const auto& id : ids) {
    auto p = prepare(sql);
    if (!p)
      return p.error();
    stmt q{*p};
    q.id(1, s.tenant_id);
    q.id(2, s.store_id);
    q.id(3, id);
    auto rc = q.step();
    if (rc == SQLITE_ROW) {
      if (std::find(out.begin(), out.end(), id) == out.end())
        out.push_back(id);
    } else if (rc != SQLITE_DONE) {
      return sqlite_error(db_, rc, "read command dedupe");
    }
  }
  return out;
}

caf::expected<conflict_report> sqlite_event_store::read_conflict(const write_group& g) {
  conflict_report rep;
  std::vector<uuid> ids;
  for (const auto& x : g.ves)
    ids.push_back(x.ev.event_id);
  auto ves = find_ves_events(ids);
  if (!ves)
    return ves.error();
  rep.existing_ves = std::move(*ves);
  for (const auto& x : g.legacy) {
    auto p = prepare(sql_legacy_exists);
    if (!p)
      return p.error();
    stmt q{*p};
    q.id(1, x.ev.event_id);
    auto rc = q.step();
    if (rc == SQLITE_ROW) {
      auto& xs = rep.existing_legacy_ids;
      if (std::find(xs.begin(), xs.end(), x.ev.event_id) == xs.end())
        xs.push_back(x.ev.event_id);
    } else if (rc != SQLITE_DONE) {
      return sqlite_error(db_, rc, "read events");
    }
  }
  auto vc = existing_commands(sql_ves_command_exists, g.stream, g.ves_commands);
  if (!vc)
    return vc.error();
  rep.existing_ves_commands = std::move(*vc);
  auto lc = existing_commands(sql_legacy_command_exists, g.stream, g.legacy_commands);
  if (!lc)
    return lc.error();
  rep.existing_legacy_commands = std::move(*lc);
  if (auto ok = read_x402_conflict(g, rep); !ok)
    return ok.error();
  for (const auto& k : detail::distinct_keys(g.versions)) {
    auto p = prepare(sql_entity_version);
    if (!p)
      return p.error();
    stmt q{*p};
    q.id(1, g.stream.tenant_id);
    q.id(2, g.stream.store_id);
    q.text(3, k.entity_type);
    q.text(4, k.entity_id);
    auto rc = q.step();
    if (rc == SQLITE_ROW)
      rep.versions.emplace_back(k, sqlite3_column_int64(q.get(), 0));
    else if (rc == SQLITE_DONE)
      rep.versions.emplace_back(k, 0);
    else
      return sqlite_error(db_, rc, "read entity_versions");
  }
  auto heads = load_heads(g.stream);
  if (!heads)
    return heads.error();
  rep.heads = *heads;
  return rep;
}

caf::expected<conflict_report> sqlite_event_store::inspect_conflict(const write_group& g) {
  // One read transaction: a consistent snapshot of everything the report names.
  if (auto ok = run(sql_begin); !ok)
    return ok.error();
  auto rep = read_conflict(g);
  if (auto ok = run(sql_commit); !ok) {
    rollback_if_open();
    return ok.error();
  }
  return rep;
}

caf::expected<std::vector<msg::sequenced_ves_event>>
sqlite_event_store::find_ves_events(const std::vector<uuid>& ids) {
  std::vector<msg::sequenced_ves_event> out;
  std::vector<uuid> seen;
  for (const auto& id : ids) {
    if (std::find(seen.begin(), seen.end(), id) != seen.end())
      continue;
    seen.push_back(id);
    auto p = prepare(sql_ves_by_id);
    if (!p)
      return p.error();
    stmt q{*p};
    q.id(1, id);
    auto rows = collect<msg::sequenced_ves_event>(db_, q, detail::decode_ves, "ves_events");
    if (!rows)
      return rows.error();
    for (auto& r : *rows)
      out.push_back(std::move(r));
  }
  return out;
}

// -- reads ----------------------------------------------------------------------------------------

template <class T, class Decode>
caf::expected<std::vector<T>> sqlite_event_store::read_range(std::string_view sql,
                                                             const stream_key& s, uint64_t from,
                                                             uint32_t limit, Decode decode,
                                                             const char* table) {
  auto range = detail::seq_range(from, limit);
  if (!range)
    return std::vector<T>{};
  auto p = prepare(sql);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.int64(3, range->first);
  q.int64(4, range->second);
  return collect<T>(db_, q, decode, table);
}

caf::expected<std::vector<msg::sequenced_ves_event>>
sqlite_event_store::read_ves_events(const stream_key& s, uint64_t from, uint32_t limit) {
  return read_range<msg::sequenced_ves_event>(sql_ves_range, s, from, limit, detail::decode_ves,
                                              "ves_events");
}

caf::expected<std::vector<msg::projectable_event>>
sqlite_event_store::read_ves_projectable(const stream_key& s, uint64_t from, uint32_t limit) {
  return read_range<msg::projectable_event>(sql_ves_projectable_range, s, from, limit,
                                            detail::decode_ves_projectable, "ves_events");
}

caf::expected<std::vector<ves_leaf_row>>
sqlite_event_store::read_ves_leaf_rows(const stream_key& s, uint64_t from, uint32_t limit) {
  return read_range<ves_leaf_row>(sql_ves_leaf_range, s, from, limit, detail::decode_ves_leaf,
                                  "ves_events");
}

caf::expected<std::vector<msg::sequenced_legacy_event>>
sqlite_event_store::read_legacy_events(const stream_key& s, uint64_t from, uint32_t limit) {
  return read_range<msg::sequenced_legacy_event>(sql_legacy_range, s, from, limit,
                                                 detail::decode_legacy, "events");
}

caf::expected<std::vector<msg::sequenced_legacy_event>>
sqlite_event_store::read_entity_events(const stream_key& s, const entity_key& e) {
  auto p = prepare(sql_legacy_entity);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.text(3, e.entity_type);
  q.text(4, e.entity_id);
  return collect<msg::sequenced_legacy_event>(db_, q, detail::decode_legacy, "events");
}

// -- agent signing keys ---------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::insert_agent_key(const msg::agent_key& k) {
  auto p = prepare(sql_insert_agent_key);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, k.tenant_id);
  q.id(2, k.agent_id);
  q.int64(3, k.key_id);
  q.blob(4, k.public_key);
  q.int64(5, k.key_algorithm);
  q.text(6, k.status);
  q.opt_int64(7, k.valid_from);
  q.opt_int64(8, k.valid_to);
  q.opt_int64(9, k.revoked_at);
  q.int64(10, k.created_at);
  auto rc = q.step();
  if (rc == SQLITE_DONE)
    return {};
  if (is_pk_violation(rc))
    return make_error(errc::already_exists, "agent signing key " + k.agent_id.str() + "/"
                                              + std::to_string(k.key_id) + " already exists");
  return sqlite_error(db_, rc, "insert agent_signing_keys");
}

caf::expected<msg::agent_key> sqlite_event_store::get_agent_key(const uuid& tenant,
                                                                const uuid& agent,
                                                                uint32_t key_id) {
  auto p = prepare(sql_get_agent_key);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, tenant);
  q.id(2, agent);
  q.int64(3, key_id);
  auto rows = collect<msg::agent_key>(db_, q, detail::decode_agent_key, "agent_signing_keys");
  if (!rows)
    return rows.error();
  if (rows->empty())
    return make_error(errc::not_found,
                      "agent signing key " + agent.str() + "/" + std::to_string(key_id));
  return std::move(rows->front());
}

// -- API keys -------------------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::upsert_api_key(const msg::api_key_record& k) {
  auto p = prepare(sql_upsert_api_key);
  if (!p)
    return p.error();
  stmt q{*p};
  q.text(1, k.key_hash);
  q.id(2, k.tenant_id);
  q.text(3, detail::join_uuids(k.store_ids, ','));
  q.int64(4, k.can_read);
  q.int64(5, k.can_write);
  q.int64(6, k.can_admin);
  q.opt_id(7, k.agent_id);
  q.int64(8, k.active);
  q.opt_int64(9, k.rate_limit);
  q.int64(10, k.created_at);
  q.int64(11, k.updated_at);
  return exec_step(db_, q, "upsert api_keys");
}

caf::expected<msg::api_key_record> sqlite_event_store::get_api_key(const std::string& key_hash) {
  auto p = prepare(sql_get_api_key);
  if (!p)
    return p.error();
  stmt q{*p};
  q.text(1, key_hash);
  auto rows = collect<msg::api_key_record>(db_, q, detail::decode_api_key, "api_keys");
  if (!rows)
    return rows.error();
  if (rows->empty())
    return make_error(errc::not_found, "API key not found");
  return std::move(rows->front());
}

caf::expected<std::vector<msg::api_key_record>>
sqlite_event_store::list_api_keys(const std::optional<uuid>& agent,
                                  const std::optional<uuid>& tenant) {
  auto p = prepare(sql_list_api_keys);
  if (!p)
    return p.error();
  stmt q{*p};
  q.opt_id(1, agent);
  q.opt_id(2, tenant);
  return collect<msg::api_key_record>(db_, q, detail::decode_api_key, "api_keys");
}

caf::expected<msg::api_key_record>
sqlite_event_store::revoke_api_key(const std::string& hash_prefix,
                                   const std::optional<uuid>& agent,
                                   const std::optional<uuid>& tenant) {
  if (hash_prefix.empty())
    return make_error(errc::invalid_request, "empty API key prefix");
  auto p = prepare(sql_revoke_api_key);
  if (!p)
    return p.error();
  stmt q{*p};
  q.text(1, hash_prefix);
  q.opt_id(2, agent);
  q.opt_id(3, tenant);
  q.int64(4, now_micros());
  auto rows = collect<msg::api_key_record>(db_, q, detail::decode_api_key, "api_keys");
  if (!rows)
    return rows.error();
  if (rows->empty())
    return make_error(errc::not_found, "no API key with prefix " + hash_prefix);
  return std::move(rows->front());
}

} // namespace seq::storage
