// SPDX-License-Identifier: Apache-2.0
// The WAL write buffer (adapters/storage/sqlite/wal_write_buffer.hpp) on real database files:
// a synchronous=FULL connection writes each transaction's frames in few writes, and every
// commit is visible at once to other connections (on the buffer or the default VFS) and after
// a reopen; other connections are not buffered. SQLite only, whatever SEQ_TEST_BACKEND says.

#include "adapters/storage/sqlite/wal_write_buffer.hpp"

#include "storage_fixture.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace seq::storage::test {
namespace {

using sqlite::wal_write_buffer_stats;
using sqlite::wal_write_buffer_vfs;

struct connection {
  sqlite3* db = nullptr;
  connection(const std::string& path, const char* vfs) {
    std::filesystem::create_directories(std::filesystem::path{path}.parent_path());
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs)
            == SQLITE_OK);
    REQUIRE(sqlite3_busy_timeout(db, 5000) == SQLITE_OK);
  }
  ~connection() { sqlite3_close_v2(db); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    auto rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    INFO(sql << ": " << (err ? err : ""));
    sqlite3_free(err);
    REQUIRE(rc == SQLITE_OK);
  }
  int64_t scalar(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(s) == SQLITE_ROW);
    auto v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
  }
};

/// Puts the database in WAL mode, sets `PRAGMA synchronous` and creates the table t.
void create_table(connection& c, const char* synchronous) {
  c.exec(std::string{"PRAGMA journal_mode = WAL; PRAGMA synchronous = "} + synchronous
         + "; CREATE TABLE t (id INTEGER PRIMARY KEY, x BLOB NOT NULL);");
}

/// One transaction of `rows` rows of `bytes` bytes each, numbered from `first`.
std::string insert(int first, int rows, int bytes) {
  return "BEGIN IMMEDIATE; WITH RECURSIVE n (i) AS (SELECT " + std::to_string(first)
         + " UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(first + rows - 1)
         + ") INSERT INTO t (id, x) SELECT i, randomblob(" + std::to_string(bytes)
         + ") FROM n; COMMIT;";
}

} // namespace

TEST_CASE("the WAL write buffer writes a FULL connection's frames together and hides nothing",
          "[sqlite][wal]") {
  temp_dir dir;
  auto path = (dir.path / "buffered.db").string();
  connection writer{path, wal_write_buffer_vfs()};
  create_table(writer, "FULL");
  connection plain_reader{path, nullptr};
  connection shim_reader{path, wal_write_buffer_vfs()};

  SECTION("each commit is one or a few writes, and at once visible to every connection") {
    auto before = wal_write_buffer_stats();
    int rows = 0;
    for (int i = 0; i < 20; ++i) {
      writer.exec(insert(rows + 1, 6, 1500)); // ~3 pages and their index entries
      rows += 6;
      CHECK(plain_reader.scalar("SELECT count(*) FROM t") == rows);
      CHECK(shim_reader.scalar("SELECT count(*) FROM t") == rows);
    }
    auto after = wal_write_buffer_stats();
    auto buffered = after.frames_buffered - before.frames_buffered;
    auto writes = after.writes - before.writes;
    INFO("buffered " << buffered << " WAL writes, wrote " << writes << " times");
    CHECK(buffered >= 20 * 2 * 3); // a header and a page per frame, ≥ 3 frames per commit
    CHECK(writes <= 20 + 2);       // one per commit (and the WAL header once)
    CHECK(writer.scalar("PRAGMA integrity_check") == 0); // "ok" reads as 0
  }

  SECTION("a transaction larger than one write goes out in several and reads back whole") {
    writer.exec(insert(1, 200, 3000)); // ~600 KB of frames
    CHECK(plain_reader.scalar("SELECT count(*) FROM t WHERE length(x) = 3000") == 200);
    writer.exec("BEGIN; UPDATE t SET x = zeroblob(2500) WHERE id % 2 = 0; COMMIT;");
    CHECK(shim_reader.scalar("SELECT count(*) FROM t WHERE length(x) = 2500") == 100);
  }

  SECTION("a rolled-back transaction leaves nothing behind") {
    writer.exec(insert(1, 10, 1000));
    writer.exec("BEGIN IMMEDIATE; INSERT INTO t (id, x) VALUES (100, zeroblob(4000)); ROLLBACK;");
    writer.exec(insert(11, 10, 1000));
    CHECK(plain_reader.scalar("SELECT count(*) FROM t") == 20);
    CHECK(plain_reader.scalar("SELECT count(*) FROM t WHERE id = 100") == 0);
  }

  SECTION("commits survive closing every connection and reopening the file") {
    writer.exec(insert(1, 50, 2000));
    writer.exec(insert(51, 50, 2000));
    sqlite3_close_v2(writer.db);
    writer.db = nullptr;
    connection again{path, nullptr};
    CHECK(again.scalar("SELECT count(*) FROM t") == 100);
    CHECK(again.scalar("SELECT sum(length(x)) FROM t") == 100 * 2000);
  }
}

TEST_CASE("the WAL write buffer leaves connections without synchronous=FULL alone",
          "[sqlite][wal]") {
  temp_dir dir;
  auto path = (dir.path / "normal.db").string();
  connection writer{path, wal_write_buffer_vfs()};
  create_table(writer, "NORMAL");
  connection reader{path, nullptr};

  auto before = wal_write_buffer_stats();
  writer.exec(insert(1, 10, 1500));
  CHECK(wal_write_buffer_stats().frames_buffered == before.frames_buffered);
  CHECK(reader.scalar("SELECT count(*) FROM t") == 10);

  // Switched to FULL, the connection buffers; switched back, it stops again.
  writer.exec("PRAGMA synchronous = FULL");
  writer.exec(insert(11, 10, 1500));
  auto full = wal_write_buffer_stats();
  CHECK(full.frames_buffered > before.frames_buffered);
  CHECK(reader.scalar("SELECT count(*) FROM t") == 20);
  writer.exec("PRAGMA synchronous = 1");
  writer.exec(insert(21, 10, 1500));
  CHECK(wal_write_buffer_stats().frames_buffered == full.frames_buffered);
  CHECK(reader.scalar("SELECT count(*) FROM t") == 30);
}

} // namespace seq::storage::test
