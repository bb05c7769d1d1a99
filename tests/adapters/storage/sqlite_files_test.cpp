// SPDX-License-Identifier: Apache-2.0
// The embedded backend's two files (sqlite/sqlite_event_store.hpp): the projection tables in a
// file of their own, which connections see according to their store_scope; the projector and
// the event writers never wait for each other's write lock; a database migrated before the
// split moves its projection rows; a lost projection file costs only derived state.
// SQLite only: under SEQ_TEST_BACKEND=postgres these tests return at once.

#include "tests/adapters/storage/storage_fixture.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <set>

using namespace seq;
using namespace seq::storage;
using namespace seq::storage::test;

namespace {

constexpr uint8_t ves_space = static_cast<uint8_t>(msg::space::ves);

/// The table names of one SQLite file, read with a raw connection of its own.
std::set<std::string> tables_of(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &s,
                             nullptr)
          == SQLITE_OK);
  std::set<std::string> out;
  while (sqlite3_step(s) == SQLITE_ROW)
    out.emplace(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

const std::set<std::string>& projection_tables() {
  static const std::set<std::string> xs{"projections",
                                        "projection_checkpoints",
                                        "dead_letter_events",
                                        "audit_log",
                                        "projections_rebuild",
                                        "projection_checkpoints_rebuild",
                                        "dead_letter_events_rebuild"};
  return xs;
}

/// Opens `path` in `scope` as the SQLite class itself (for execute()).
std::unique_ptr<sqlite_event_store> open_sqlite(const std::filesystem::path& path,
                                                store_scope scope) {
  auto s = sqlite_event_store::open(path.string(), scope);
  INFO(path << " -> " << describe(s));
  REQUIRE(s);
  return std::move(*s);
}

msg::projection_step step(const stream_key& s, uint64_t seq) {
  msg::projection_row r;
  r.stream = s;
  r.entity_type = "order";
  r.entity_id = "o-1";
  r.state = R"({"n":)" + std::to_string(seq) + "}";
  r.version = static_cast<int64_t>(seq);
  r.space = ves_space;
  r.last_sequence = seq;
  r.updated_at = 1'700'000'000'000'000;
  msg::projection_step st;
  st.stream = s;
  st.space = ves_space;
  st.sequence_number = seq;
  st.upsert = r;
  return st;
}

write_group one_event(const stream_key& s, uint64_t seq) {
  write_group g;
  g.stream = s;
  g.ves.push_back(make_ves(s, seq));
  return g;
}

msg::audit_entry audit_entry(const stream_key& s) {
  msg::audit_entry a;
  a.action = "dlq_purge";
  a.actor = "cli";
  a.tenant_id = s.tenant_id;
  a.resource_type = "dead_letter_events";
  a.resource_id = s.store_id.str();
  return a;
}

} // namespace

TEST_CASE("SQLite: the projection file sits beside the event database",
          "[storage][sqlite-files]") {
  using se = sqlite_event_store;
  CHECK(se::projection_file("/data/ves.db") == "/data/ves.projections.db");
  CHECK(se::projection_file("rel/x.sqlite3") == "rel/x.projections.sqlite3");
  CHECK(se::projection_file("/data.d/ves") == "/data.d/ves.projections");
  CHECK(se::projection_file("/data/.ves") == "/data/.ves.projections");
  CHECK(se::projection_file("ves.db") == "ves.projections.db");
  CHECK(se::projection_file(":memory:") == ":memory:");
}

TEST_CASE("SQLite: migrating puts the projection tables in their own file, and each scope sees "
          "what it needs",
          "[storage][sqlite-files]") {
  if (is_postgres())
    return;
  temp_dir dir;
  auto path = dir.path / "d i r%" / "ves.db"; // a path that needs escaping in a file: URI
  auto all = open_sqlite(path, store_scope::all);
  SEQ_REQUIRE_OK(all->migrate());
  auto proj_path = dir.path / "d i r%" / "ves.projections.db";
  REQUIRE(std::filesystem::exists(proj_path));

  auto events_tables = tables_of(path);
  auto proj_tables = tables_of(proj_path);
  for (const auto& t : projection_tables()) {
    INFO(t);
    CHECK(proj_tables.count(t) == 1);
    CHECK(events_tables.count(t) == 0);
  }
  CHECK(events_tables.count("ves_events") == 1);
  CHECK(proj_tables.count("ves_events") == 0);
  auto proj_applied = all->applied_migrations(true);
  SEQ_REQUIRE_OK(proj_applied);
  REQUIRE(proj_applied->size() == sqlite_projections_migrations().size());
  CHECK(proj_applied->front().name == "projections");

  auto s = random_stream();
  SEQ_REQUIRE_OK(all->commit_group(one_event(s, 1)));

  // The projector's scope: writes the projection file, reads the events, cannot write them.
  auto projector = open_sqlite(path, store_scope::projections);
  SEQ_REQUIRE_OK(projector->apply_step(step(s, 1)));
  SEQ_REQUIRE_OK(projector->audit(audit_entry(s)));
  auto lags = projection_lags(*projector);
  SEQ_REQUIRE_OK(lags);
  REQUIRE(lags->size() == 1);
  CHECK(lags->front().heads.ves == 1);
  CHECK(lags->front().checkpoints.ves == 1);
  auto refused = projector->commit_group(one_event(s, 2));
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == errc::storage_failure);
  CHECK(error_message(refused.error()).find("readonly") != std::string::npos);
  SEQ_REQUIRE_ERRC(projector->migrate(), errc::migration_failed);

  // The writers' scope: the events alone.
  auto writer = open_sqlite(path, store_scope::events);
  SEQ_REQUIRE_OK(writer->commit_group(one_event(s, 2)));
  SEQ_REQUIRE_ERRC(writer->get_projection(s, "order", "o-1"), errc::storage_failure);
  SEQ_REQUIRE_ERRC(writer->migrate(), errc::migration_failed);

  // The full scope reads both, under the same table names.
  auto row = all->get_projection(s, "order", "o-1");
  SEQ_REQUIRE_OK(row);
  CHECK(row->state == R"({"n":1})");
  auto audit = list_audit(*all, s.tenant_id, 10);
  SEQ_REQUIRE_OK(audit);
  CHECK(audit->size() == 1);
}

TEST_CASE("SQLite: the projector and the event writer never wait for each other's write lock",
          "[storage][sqlite-files]") {
  if (is_postgres())
    return;
  temp_dir dir;
  auto path = dir.path / "ves.db";
  SEQ_REQUIRE_OK(open_sqlite(path, store_scope::all)->migrate());
  auto s = random_stream();
  auto writer = open_sqlite(path, store_scope::events);
  auto projector = open_sqlite(path, store_scope::projections);

  // The writer holds the event database's write lock: a projector step commits anyway (on one
  // file it would wait ~5 s for the lock, then fail with storage_unavailable).
  SEQ_REQUIRE_OK(writer->execute("BEGIN IMMEDIATE"));
  SEQ_REQUIRE_OK(projector->apply_step(step(s, 1)));
  SEQ_REQUIRE_OK(writer->execute("COMMIT"));

  // The projector holds the projection file's write lock: a group commit goes through.
  SEQ_REQUIRE_OK(projector->execute("BEGIN IMMEDIATE"));
  SEQ_REQUIRE_OK(writer->commit_group(one_event(s, 1)));
  SEQ_REQUIRE_OK(projector->execute("COMMIT"));

  auto heads = writer->load_heads(s);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 1);
  auto cp = projector->load_checkpoints(s);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 1);
}

TEST_CASE("SQLite: a database migrated before the projection file moves its projection rows",
          "[storage][sqlite-files]") {
  if (is_postgres())
    return;
  temp_dir dir;
  auto path = dir.path / "old.db";
  auto s = random_stream();
  {
    // The schema of the releases before the split: migrations 1–5 in the event database.
    auto old = open_sqlite(path, store_scope::events);
    SEQ_REQUIRE_OK(old->execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                                " name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT"));
    for (const auto& m : sqlite_migrations()) {
      if (m.version > 5)
        break;
      SEQ_REQUIRE_OK(old->execute(std::string{m.sql}));
      SEQ_REQUIRE_OK(old->execute("INSERT INTO schema_migrations VALUES ("
                                  + std::to_string(m.version) + ", '" + std::string{m.name}
                                  + "', 1)"));
    }
    // Without the attachment the unqualified names are the old tables in the event database.
    SEQ_REQUIRE_OK(old->commit_group(one_event(s, 1)));
    SEQ_REQUIRE_OK(old->commit_group(one_event(s, 2)));
    SEQ_REQUIRE_OK(old->apply_step(step(s, 1)));
    SEQ_REQUIRE_OK(old->audit(audit_entry(s)));
  }
  REQUIRE(tables_of(path).count("projections") == 1);

  auto all = open_sqlite(path, store_scope::all);
  SEQ_REQUIRE_OK(all->migrate());
  auto applied = all->applied_migrations();
  SEQ_REQUIRE_OK(applied);
  CHECK(applied->size() == sqlite_migrations().size());
  for (const auto& t : projection_tables()) {
    INFO(t);
    CHECK(tables_of(path).count(t) == 0);
  }
  auto row = all->get_projection(s, "order", "o-1");
  SEQ_REQUIRE_OK(row);
  CHECK(row->state == R"({"n":1})");
  auto cp = all->load_checkpoints(s);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 1);
  auto audit = list_audit(*all, s.tenant_id, 10);
  SEQ_REQUIRE_OK(audit);
  CHECK(audit->size() == 1);
  // The projector goes on from the moved checkpoint: step 1 again is refused, step 2 applies.
  auto projector = open_sqlite(path, store_scope::projections);
  SEQ_REQUIRE_ERRC(projector->apply_step(step(s, 1)), errc::storage_conflict);
  SEQ_REQUIRE_OK(projector->apply_step(step(s, 2)));
}

TEST_CASE("SQLite: a lost projection file costs only derived state", "[storage][sqlite-files]") {
  if (is_postgres())
    return;
  temp_dir dir;
  auto path = dir.path / "ves.db";
  auto s = random_stream();
  {
    auto all = open_sqlite(path, store_scope::all);
    SEQ_REQUIRE_OK(all->migrate());
    SEQ_REQUIRE_OK(all->commit_group(one_event(s, 1)));
    SEQ_REQUIRE_OK(all->apply_step(step(s, 1)));
  }
  auto proj = sqlite_event_store::projection_file(path.string());
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(proj + suffix);

  auto all = open_sqlite(path, store_scope::all);
  SEQ_REQUIRE_OK(all->migrate()); // creates the projection file's tables again
  auto cp = all->load_checkpoints(s);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 0); // so the projector starts over from the first event
  SEQ_REQUIRE_ERRC(all->get_projection(s, "order", "o-1"), errc::not_found);
  auto behind = streams_behind(*all);
  SEQ_REQUIRE_OK(behind);
  CHECK(std::find(behind->begin(), behind->end(), s) != behind->end());
  auto heads = all->load_heads(s);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 1);
}
