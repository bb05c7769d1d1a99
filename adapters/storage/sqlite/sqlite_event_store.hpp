// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The embedded backend: one SQLite connection implementing messages/store.hpp.
///
/// Connection settings: `journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON`,
/// `busy_timeout=5000`. Several connections may open the same file (one writer actor plus a
/// read pool): writes take the write lock up front with `BEGIN IMMEDIATE`, readers never block
/// on WAL. Prepared statements are cached per connection. Not thread-safe (one thread at a
/// time, which may change between calls).
///
/// Encodings: UUIDs as canonical lowercase TEXT, hashes and signatures as BLOB, times as
/// INTEGER microseconds since the epoch (see migrations/sqlite/0001_events.sql).

#include "adapters/storage/event_store.hpp"
#include "adapters/storage/migrate.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace seq::storage {

class sqlite_event_store final : public event_store {
public:
  /// Opens (creating it and its parent directory if needed) the database file at `path`;
  /// `:memory:` opens a private in-memory database. Does not migrate.
  static caf::expected<std::unique_ptr<sqlite_event_store>> open(const std::string& path);

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

  // -- operator / test hooks ------------------------------------------------------------------

  /// The rows of `schema_migrations`, ascending (empty before the first migrate()).
  caf::expected<std::vector<applied_migration>> applied_migrations();
  /// Runs raw SQL (one or more statements) outside any store transaction.
  caf::expected<void> execute(const std::string& sql);
  /// The database file (or `:memory:`).
  const std::string& path() const { return path_; }

private:
  sqlite_event_store(sqlite3* db, std::string path);

  /// The cached prepared statement for `sql` (a string with static storage duration).
  caf::expected<sqlite3_stmt*> prepare(std::string_view sql);
  /// Runs one cached statement without parameters or result rows.
  caf::expected<void> run(std::string_view sql);
  /// Rolls back if a transaction is open (after a failure).
  void rollback_if_open();
  caf::expected<void> write_group_rows(const write_group& g,
                                       const std::vector<entity_cas>& versions);
  caf::expected<conflict_report> read_conflict(const write_group& g);
  caf::expected<std::vector<uuid>> existing_commands(std::string_view sql, const stream_key& s,
                                                     const std::vector<uuid>& ids);

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string_view, sqlite3_stmt*> cache_;
};

} // namespace seq::storage
