// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The embedded backend: one SQLite connection implementing messages/store.hpp and the
/// projection store of messages/projection.hpp (sqlite_projection_store.cpp).
///
/// Connection settings: `journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON`, a busy
/// handler that waits up to ~5 s (sqlite_stmt.hpp), and `wal_autocheckpoint` at the fence of
/// wal_checkpointer.hpp (the server checkpoints on a thread of its own). Several connections may
/// open the same file (one writer actor plus a read pool): writes take the write lock up front
/// with `BEGIN IMMEDIATE`, readers never block on WAL. Prepared statements are cached per
/// connection. Not thread-safe (one thread at a time, which may change between calls).
///
/// Two files. The event database (`path`) holds the event logs, receipts, keys, commitments
/// and x402 rows; the projection file beside it (`projection_file(path)`) holds the tables of
/// migrations/sqlite_projections (projections, checkpoints, DLQ, audit log, rebuild tables).
/// A projector commit thus takes only the projection file's write lock, and does not make
/// SQLite drop the event writer's page cache (in WAL mode a connection drops its whole cache of
/// a file once another connection has committed to that file). Each scope sees both files
/// under the same unqualified table names:
/// - `all`: the event database as `main`, the projection file attached as `projection` (a
///   `BEGIN IMMEDIATE` here locks both; used for reads, operator tools and migrations);
/// - `events`: the event database alone (the event writers, which must not lock the other);
/// - `projections`: the projection file as `main`, the event database attached read-only as
///   `event_log`.
/// The projection file runs at `synchronous=NORMAL` in every scope: its rows are rebuilt from
/// the events, and a step lost to a power failure is applied again.
/// A crash between the two files' commits cannot tear a projector step: the projection, its
/// checkpoint and its DLQ rows are all in the projection file.
///
/// Encodings: UUIDs as canonical lowercase TEXT, hashes and signatures as BLOB, times as
/// INTEGER microseconds since the epoch (see migrations/sqlite/0001_events.sql). Projection
/// states are stored in RFC 8785 form (0003_projections.sql).
///
/// Projector steps: `apply_step` is one `BEGIN IMMEDIATE` transaction holding the checkpoint
/// fence (the new checkpoint must be greater than the stored one, else errc::storage_conflict:
/// an event is never applied twice), the projection upsert, the DLQ upsert and the resolve.

#include "adapters/storage/event_store.hpp"
#include "adapters/storage/migrate.hpp"
#include "messages/commitment.hpp"
#include "messages/x402_store.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace seq::storage {

class sqlite_event_store final : public event_store,
                                 public projection_store,
                                 public commitment_store,
                                 public x402_store {
public:
  /// Opens (creating it and its parent directory if needed) the database file at `path`, with
  /// the projection file attached as `scope` says (see the class comment); `:memory:` opens a
  /// private in-memory database (with a private in-memory projection schema). Does not
  /// migrate.
  static caf::expected<std::unique_ptr<sqlite_event_store>>
  open(const std::string& path, store_scope scope = store_scope::all);

  /// The projection file beside the event database `path`: `.projections` before the file
  /// name's extension (`data/ves.db` → `data/ves.projections.db`), or after a name without
  /// one; `:memory:` stays `:memory:`.
  static std::string projection_file(const std::string& path);

  ~sqlite_event_store() override;
  sqlite_event_store(const sqlite_event_store&) = delete;
  sqlite_event_store& operator=(const sqlite_event_store&) = delete;

  std::string backend() const override;
  caf::expected<void> migrate() override;
  caf::expected<void> ping() override;

  caf::expected<msg::stream_heads> load_heads(const stream_key& s) override;
  caf::expected<std::vector<std::pair<entity_key, int64_t>>>
  load_entity_versions(const stream_key& s) override;
  caf::expected<void> commit_group(const write_group& g) override;
  caf::expected<conflict_report> inspect_conflict(const write_group& g) override;
  caf::expected<std::vector<msg::sequenced_ves_event>>
  find_ves_events(const std::vector<uuid>& ids) override;

  caf::expected<std::vector<msg::sequenced_ves_event>>
  read_ves_events(const stream_key& s, uint64_t from, uint32_t limit) override;
  caf::expected<std::vector<msg::sequenced_legacy_event>>
  read_legacy_events(const stream_key& s, uint64_t from, uint32_t limit) override;
  caf::expected<std::vector<msg::projectable_event>>
  read_ves_projectable(const stream_key& s, uint64_t from, uint32_t limit) override;
  caf::expected<std::vector<ves_leaf_row>>
  read_ves_leaf_rows(const stream_key& s, uint64_t from, uint32_t limit) override;
  caf::expected<std::vector<msg::sequenced_legacy_event>>
  read_entity_events(const stream_key& s, const entity_key& e) override;

  caf::expected<void> insert_agent_key(const msg::agent_key& k) override;
  caf::expected<msg::agent_key> get_agent_key(const uuid& tenant, const uuid& agent,
                                              uint32_t key_id) override;

  caf::expected<void> upsert_api_key(const msg::api_key_record& k) override;
  caf::expected<msg::api_key_record> get_api_key(const std::string& key_hash) override;
  caf::expected<std::vector<msg::api_key_record>>
  list_api_keys(const std::optional<uuid>& agent, const std::optional<uuid>& tenant) override;
  caf::expected<msg::api_key_record>
  revoke_api_key(const std::string& hash_prefix, const std::optional<uuid>& agent,
                 const std::optional<uuid>& tenant) override;

  // -- projections, DLQ, audit (sqlite_projection_store.cpp) ----------------------------------

  caf::expected<msg::projection_checkpoints> load_checkpoints(const stream_key& s) override;
  caf::expected<msg::projection_row> get_projection(const stream_key& s,
                                                    const std::string& entity_type,
                                                    const std::string& entity_id) override;
  caf::expected<std::vector<msg::projection_row>>
  list_projections(const stream_key& s, const std::string& entity_type, const std::string& after,
                   uint32_t limit) override;
  caf::expected<void> apply_step(const msg::projection_step& step) override;
  caf::expected<void> apply_steps(const std::vector<msg::projection_step>& steps) override;
  caf::expected<std::vector<entity_key>> blocked_entities(const stream_key& s) override;
  caf::expected<std::vector<msg::dlq_entry>> list_dlq(const msg::dlq_filter& f) override;
  caf::expected<msg::dlq_entry> get_dlq(const uuid& id) override;
  caf::expected<std::vector<msg::dlq_entry>> due_for_retry(msg::timestamp_us now,
                                                           uint32_t limit) override;
  caf::expected<void> update_dlq(const msg::dlq_entry& e) override;
  caf::expected<uint64_t> purge_dlq(const msg::dlq_filter& f, bool force) override;
  caf::expected<msg::dlq_counts> dlq_counts(const std::optional<stream_key>& s) override;
  caf::expected<void> audit(const msg::audit_entry& a) override;
  caf::expected<void> rebuild_begin(const stream_key& s) override;
  caf::expected<void> rebuild_apply(const msg::projection_step& step) override;
  caf::expected<void> rebuild_commit(const stream_key& s) override;

  // -- commitments (sqlite_commitment_store.cpp) ---------------------------------------------

  caf::expected<void> insert_ves_commitment(const msg::ves_commitment& c) override;
  caf::expected<msg::ves_commitment> get_ves_commitment(const uuid& batch_id) override;
  caf::expected<std::optional<msg::ves_commitment>>
  last_ves_commitment(const stream_key& s) override;
  caf::expected<std::optional<msg::ves_commitment>>
  covering_ves_commitment(const stream_key& s, uint64_t sequence_number) override;
  caf::expected<std::vector<msg::ves_commitment>>
  list_ves_commitments(const msg::commitment_filter& f) override;
  caf::expected<void> mark_ves_anchored(const uuid& batch_id,
                                        const msg::anchor_record& a) override;
  caf::expected<void> insert_legacy_commitment(const msg::legacy_commitment& c) override;
  caf::expected<msg::legacy_commitment> get_legacy_commitment(const uuid& batch_id) override;
  caf::expected<std::optional<msg::legacy_commitment>>
  last_legacy_commitment(const stream_key& s) override;
  caf::expected<std::optional<msg::legacy_commitment>>
  covering_legacy_commitment(const stream_key& s, uint64_t sequence_number) override;
  caf::expected<std::vector<msg::legacy_commitment>>
  list_legacy_commitments(const msg::commitment_filter& f) override;
  caf::expected<void> mark_legacy_anchored(const uuid& batch_id,
                                           const msg::hash32& chain_tx_hash) override;

  // -- x402 (sqlite_x402_store.cpp) -----------------------------------------------------------

  caf::expected<msg::x402_intent> get_x402_intent(const uuid& id) override;
  caf::expected<std::vector<msg::x402_intent>>
  get_x402_intents(const std::vector<uuid>& ids) override;
  caf::expected<std::optional<msg::x402_intent>>
  find_x402_intent_by_key(const stream_key& s, const std::string& key) override;
  caf::expected<std::vector<msg::x402_intent>>
  list_x402_intents(const msg::x402_intent_filter& f) override;
  caf::expected<std::vector<msg::x402_intent>>
  sequenced_x402_intents(const stream_key& s, const std::string& network,
                         uint32_t limit) override;
  caf::expected<msg::x402_pending_summary> x402_pending(const stream_key& s,
                                                        const std::string& network) override;
  caf::expected<uint64_t> expire_x402_intents(const stream_key& s, const std::string& network,
                                              uint64_t now_unix) override;
  caf::expected<void> insert_x402_batch(const msg::x402_batch& b) override;
  caf::expected<msg::x402_batch> get_x402_batch(const uuid& id) override;
  caf::expected<std::vector<msg::x402_intent>> x402_batch_intents(const uuid& id) override;
  caf::expected<std::vector<msg::x402_batch>>
  x402_batches_in(const stream_key& s, const std::string& network, msg::x402_batch_status status,
                  uint32_t limit) override;
  caf::expected<void> update_x402_batch(const msg::x402_batch_update& u) override;
  caf::expected<std::vector<msg::x402_work>> x402_open_work() override;
  caf::expected<uint64_t> prune_x402_nonces(msg::timestamp_us before) override;
  caf::expected<std::vector<std::pair<msg::x402_status, uint64_t>>>
  x402_status_counts() override;

  /// See list_audit, projection_lags and streams_behind in event_store.hpp.
  caf::expected<std::vector<audit_record>> read_audit(const std::optional<uuid>& tenant,
                                                      uint32_t limit);
  caf::expected<std::vector<projection_lag>> read_projection_lags();
  caf::expected<std::vector<stream_key>> read_streams_behind();

  // -- operator / test hooks ------------------------------------------------------------------

  /// The rows of `schema_migrations`, ascending (empty before the first migrate()); with
  /// `projection_file`, those of the projection file's own `projection.schema_migrations`.
  caf::expected<std::vector<applied_migration>> applied_migrations(bool projection_file = false);
  /// Runs raw SQL (one or more statements) outside any store transaction.
  caf::expected<void> execute(const std::string& sql);
  /// The database file (or `:memory:`).
  const std::string& path() const { return path_; }
  store_scope scope() const { return scope_; }

private:
  sqlite_event_store(sqlite3* db, std::string path, store_scope scope);

  /// Applies the migrations of the event database or of the projection file that the file's
  /// own `schema_migrations` does not list yet.
  caf::expected<void> migrate_file(bool projection_file);

  /// The cached prepared statement for `sql` (a string with static storage duration).
  caf::expected<sqlite3_stmt*> prepare(std::string_view sql);
  /// The rows of one stream with sequence numbers in [from, from + limit - 1] by `sql`
  /// (parameters ?1 tenant, ?2 store, ?3 first, ?4 last), decoded by `decode`.
  template <class T, class Decode>
  caf::expected<std::vector<T>> read_range(std::string_view sql, const stream_key& s,
                                           uint64_t from, uint32_t limit, Decode decode,
                                           const char* table);
  /// Runs one cached statement without parameters or result rows.
  caf::expected<void> run(std::string_view sql);
  /// Rolls back if a transaction is open (after a failure).
  void rollback_if_open();
  caf::expected<void> write_group_rows(const write_group& g,
                                       const std::vector<entity_cas>& versions);
  caf::expected<conflict_report> read_conflict(const write_group& g);
  /// The x402 rows of a group (sqlite_x402_store.cpp), inside commit_group's transaction.
  caf::expected<void> write_x402_rows(const write_group& g);
  caf::expected<void> read_x402_conflict(const write_group& g, conflict_report& rep);
  /// One projector step into the live tables (`shadow` false) or the rebuild tables.
  caf::expected<void> write_step(const msg::projection_step& step, bool shadow);
  caf::expected<void> write_step_rows(const msg::projection_step& step, bool shadow);
  /// Runs `body` inside BEGIN IMMEDIATE … COMMIT (rolled back on failure). Defined in
  /// sqlite_projection_store.cpp, its only user.
  template <class F>
  caf::expected<void> in_write_transaction(F&& body);
  caf::expected<std::vector<uuid>> existing_commands(std::string_view sql, const stream_key& s,
                                                     const std::vector<uuid>& ids);

  sqlite3* db_;
  std::string path_;
  store_scope scope_;
  std::unordered_map<std::string_view, sqlite3_stmt*> cache_;
};

} // namespace seq::storage
