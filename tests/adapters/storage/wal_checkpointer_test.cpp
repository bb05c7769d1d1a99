// SPDX-License-Identifier: Apache-2.0
// The SQLite WAL checkpointer (adapters/storage/sqlite/wal_checkpointer.hpp) on real database
// files. SQLite only: it runs the same way whatever SEQ_TEST_BACKEND says.

#include "adapters/storage/sqlite/wal_checkpointer.hpp"

#include "storage_fixture.hpp"

#include <sqlite3.h>

#include <chrono>
#include <thread>

namespace seq::storage::test {
namespace {

using sqlite::wal_checkpointer;

/// A migrated database file in a fresh directory and the server's connection to it.
struct wal_db {
  temp_dir dir;
  std::string path;
  std::unique_ptr<sqlite_event_store> store;

  wal_db() {
    path = (dir.path / "ckpt.db").string();
    auto s = sqlite_event_store::open(path);
    SEQ_REQUIRE_OK(s);
    store = std::move(*s);
    SEQ_REQUIRE_OK(store->migrate());
    SEQ_REQUIRE_OK(store->execute("CREATE TABLE filler (x BLOB NOT NULL)"));
  }

  /// `n` transactions of 8 rows of 2 KB each: a few WAL frames per transaction.
  void write(int n) {
    for (int i = 0; i < n; ++i)
      SEQ_REQUIRE_OK(store->execute(
        "BEGIN IMMEDIATE; WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE"
        " i < 8) INSERT INTO filler (x) SELECT randomblob(2000) FROM n; COMMIT;"));
  }
};

/// A raw connection holding a read snapshot until destroyed.
struct reader {
  sqlite3* db = nullptr;
  explicit reader(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN; SELECT count(*) FROM filler;", nullptr, nullptr, nullptr)
            == SQLITE_OK);
  }
  ~reader() {
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close_v2(db);
  }
};

wal_checkpointer::options no_restart() {
  wal_checkpointer::options o;
  o.restart_frames = 1'000'000;
  return o;
}

} // namespace

TEST_CASE("the WAL checkpointer copies the WAL into the database and restarts it") {
  wal_db db;
  db.write(20);
  auto passive = wal_checkpointer::start(db.path, no_restart(), false);
  SEQ_REQUIRE_OK(passive);
  SEQ_REQUIRE_OK((*passive)->run_round());
  auto c = (*passive)->counters();
  CHECK(c.rounds == 1);
  CHECK(c.restarts == 0);
  CHECK(c.failures == 0);
  const int grown = c.wal_frames;
  REQUIRE(grown > 20);
  CHECK(c.copied_frames == grown); // no reader holds an older snapshot

  // A RESTART round: the next commit writes the WAL from its start again.
  wal_checkpointer::options o;
  o.restart_frames = 1;
  auto restarting = wal_checkpointer::start(db.path, o, false);
  SEQ_REQUIRE_OK(restarting);
  SEQ_REQUIRE_OK((*restarting)->run_round());
  CHECK((*restarting)->counters().restarts == 1);
  CHECK((*restarting)->counters().restarts_busy == 0);
  db.write(1);
  SEQ_REQUIRE_OK((*passive)->run_round());
  auto after = (*passive)->counters();
  CHECK(after.wal_frames > 0);
  CHECK(after.wal_frames < grown);
  CHECK(after.failures == 0);

  // Everything committed is still there, through a new connection.
  reader r{db.path};
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(r.db, "SELECT count(*) FROM filler", -1, &q, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  CHECK(sqlite3_column_int(q, 0) == 21 * 8);
  sqlite3_finalize(q);
}

TEST_CASE("a RESTART gives up after restart_wait while a reader holds the WAL") {
  wal_db db;
  db.write(5);
  reader r{db.path};
  db.write(5); // frames the reader's snapshot does not see
  wal_checkpointer::options o;
  o.restart_frames = 1;
  o.restart_wait = std::chrono::milliseconds{20};
  auto c = wal_checkpointer::start(db.path, o, false);
  SEQ_REQUIRE_OK(c);
  SEQ_REQUIRE_OK((*c)->run_round()); // busy is not an error
  auto s = (*c)->counters();
  CHECK(s.restarts == 0);
  CHECK(s.restarts_busy == 1);
  CHECK(s.failures == 0);
  CHECK(s.copied_frames < s.wal_frames); // frames newer than the reader's snapshot wait
  // Writers go on at once after the round.
  db.write(1);
}

TEST_CASE("the WAL checkpointer's thread runs rounds until it is destroyed") {
  wal_db db;
  db.write(3);
  wal_checkpointer::options o;
  o.interval = std::chrono::milliseconds{1};
  auto c = wal_checkpointer::start(db.path, o);
  SEQ_REQUIRE_OK(c);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while ((*c)->counters().rounds < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  auto s = (*c)->counters();
  CHECK(s.rounds >= 3);
  CHECK(s.failures == 0);
  CHECK(s.copied_frames == s.wal_frames);
  c->reset(); // joins
}

TEST_CASE("the WAL checkpointer refuses a missing file and a file not in WAL mode") {
  temp_dir dir;
  std::filesystem::create_directories(dir.path);
  SEQ_REQUIRE_ERRC(wal_checkpointer::start((dir.path / "missing.db").string(), {}, false),
                   errc::storage_unavailable);
  auto path = (dir.path / "rollback.db").string();
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
  REQUIRE(sqlite3_exec(raw, "CREATE TABLE t (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close_v2(raw);
  SEQ_REQUIRE_ERRC(wal_checkpointer::start(path, {}, false), errc::storage_failure);
}

TEST_CASE("start_wal_checkpointer runs only for SQLite database files") {
  auto pg = start_wal_checkpointer("postgres://nobody@127.0.0.1:1/none");
  SEQ_REQUIRE_OK(pg);
  CHECK(*pg == nullptr);
  auto mem = start_wal_checkpointer("sqlite::memory:");
  SEQ_REQUIRE_OK(mem);
  CHECK(*mem == nullptr);
  wal_db db;
  auto file = start_wal_checkpointer("sqlite://" + db.path);
  SEQ_REQUIRE_OK(file);
  REQUIRE(*file != nullptr);
  CHECK((*file)->counters().failures == 0);
}

} // namespace seq::storage::test
