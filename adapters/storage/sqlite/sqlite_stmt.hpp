// SPDX-License-Identifier: Apache-2.0
#pragma once

/// SQLite plumbing shared by the SQLite backend (sqlite_event_store.cpp,
/// sqlite_projection_store.cpp and wal_checkpointer.cpp; private to adapters/storage/sqlite):
/// opening a connection, the busy handler, a cached statement in use (binds, steps, resets
/// itself), a row_view over the current row, error mapping, and stepping helpers.
///
/// Error mapping: primary-key/unique violations → errc::storage_conflict; SQLITE_BUSY,
/// SQLITE_LOCKED, SQLITE_CANTOPEN → errc::storage_unavailable; anything else →
/// errc::storage_failure with SQLite's message.

#include "adapters/storage/rows.hpp"
#include "adapters/storage/sqlite/wal_write_buffer.hpp"
#include "messages/errc.hpp"

#include <sqlite3.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace seq::storage::sqlite {

/// Opens a connection to `path` with `flags` (SQLITE_OPEN_*) and extended result codes,
/// through the WAL write buffer (wal_write_buffer.hpp; it engages once the connection runs
/// with synchronous=FULL); errc::storage_unavailable naming `purpose` if it cannot.
inline caf::expected<sqlite3*> open_connection(const std::string& path, int flags,
                                               std::string_view purpose) {
  sqlite3* db = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &db, flags, wal_write_buffer_vfs());
  if (rc != SQLITE_OK) {
    auto msg = "cannot open SQLite database " + path + std::string{purpose} + ": "
               + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return make_error(errc::storage_unavailable, std::move(msg));
  }
  sqlite3_extended_result_codes(db, 1);
  return db;
}

/// The journal mode a `PRAGMA journal_mode…` statement answers ("" if it fails; then `rc` is
/// SQLite's code).
inline std::string journal_mode(sqlite3* db, const char* pragma, int& rc) {
  sqlite3_stmt* s = nullptr;
  std::string mode;
  rc = sqlite3_prepare_v2(db, pragma, -1, &s, nullptr);
  if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
    mode = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  return mode;
}

/// Busy handler: another connection (a projection, commit or x402 worker, the WAL
/// checkpointer) holds the write lock. SQLite's own `sqlite3_busy_timeout` sleeps 1 ms, then
/// 2, 5, 10 … ms between tries, which costs a group commit milliseconds for a lock held for a
/// few hundred µs. This one retries every 25 µs for the first millisecond, then every 1 ms up
/// to ~100 ms, then every 2 ms, and gives up (SQLITE_BUSY → errc::storage_unavailable) after
/// about 5 s.
inline int busy_wait(void*, int attempt) {
  using namespace std::chrono_literals;
  constexpr int fine = 40;      // 40 × 25 µs = 1 ms
  constexpr int medium = 100;   // + 100 × 1 ms
  constexpr int coarse = 2'450; // + 2,450 × 2 ms ≈ 5 s in all
  if (attempt >= fine + medium + coarse)
    return 0;
  std::this_thread::sleep_for(attempt < fine ? 25us : attempt < fine + medium ? 1ms : 2ms);
  return 1;
}

/// A cached statement in use: binds parameters, steps, and resets itself on scope exit.
class stmt {
public:
  explicit stmt(sqlite3_stmt* s) : s_(s) {}
  ~stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  stmt(const stmt&) = delete;
  stmt& operator=(const stmt&) = delete;

  void int64(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void id(int i, const uuid& v) { text(i, v.str()); }
  void blob(int i, const uint8_t* p, size_t n) {
    static const uint8_t empty = 0;
    sqlite3_bind_blob(s_, i, n == 0 ? &empty : p, static_cast<int>(n), SQLITE_TRANSIENT);
  }
  template <class C>
  void blob(int i, const C& c) {
    blob(i, reinterpret_cast<const uint8_t*>(c.data()), c.size());
  }
  void null(int i) { sqlite3_bind_null(s_, i); }
  void opt_id(int i, const std::optional<uuid>& v) { v ? id(i, *v) : null(i); }
  template <class T>
  void opt_int64(int i, const std::optional<T>& v) {
    v ? int64(i, static_cast<int64_t>(*v)) : null(i);
  }
  /// NULL for an empty string (payload columns of the other payload kind).
  void text_or_null(int i, const std::string& v) { v.empty() ? null(i) : text(i, v); }

  int step() { return sqlite3_step(s_); }
  sqlite3_stmt* get() const { return s_; }

private:
  sqlite3_stmt* s_;
};

class sqlite_row final : public detail::row_view {
public:
  explicit sqlite_row(sqlite3_stmt* s) : s_(s) {}
  bool is_null(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const override {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    auto n = sqlite3_column_bytes(s_, col);
    return p ? std::string{p, static_cast<size_t>(n)} : std::string{};
  }
  int64_t i64(int col) const override { return sqlite3_column_int64(s_, col); }
  bool boolean(int col) const override { return sqlite3_column_int64(s_, col) != 0; }
  std::vector<uint8_t> blob(int col) const override {
    auto p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, col));
    auto n = static_cast<size_t>(sqlite3_column_bytes(s_, col));
    return p ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>{};
  }
  std::vector<uuid> uuid_list(int col) const override {
    auto xs = detail::split_uuids(text(col), ',');
    if (!xs) {
      fail("column " + std::to_string(col) + " is not a UUID list");
      return {};
    }
    return std::move(*xs);
  }

private:
  sqlite3_stmt* s_;
};

inline caf::error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  auto msg = std::string{what} + ": " + sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
        return make_error(errc::storage_conflict, std::move(msg));
      return make_error(errc::storage_failure, std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return make_error(errc::storage_unavailable, std::move(msg));
    default:
      return make_error(errc::storage_failure, std::move(msg));
  }
}

/// Steps `q` to completion, decoding every row with `decode`.
template <class T, class Decode>
caf::expected<std::vector<T>> collect(sqlite3* db, stmt& q, Decode decode, const char* table) {
  std::vector<T> out;
  for (;;) {
    auto rc = q.step();
    if (rc == SQLITE_DONE)
      return out;
    if (rc != SQLITE_ROW)
      return sqlite_error(db, rc, std::string{"read "} + table);
    sqlite_row row{q.get()};
    out.push_back(decode(row));
    if (row.failed())
      return detail::corrupt_row(table, row);
  }
}

/// Steps a statement that returns no rows.
inline caf::expected<void> exec_step(sqlite3* db, stmt& q, std::string_view what) {
  auto rc = q.step();
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return {};
  return sqlite_error(db, rc, what);
}

} // namespace seq::storage::sqlite
