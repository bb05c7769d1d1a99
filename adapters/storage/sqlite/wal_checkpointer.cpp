// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/sqlite/wal_checkpointer.hpp"

#include "adapters/storage/sqlite/sqlite_stmt.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace seq::storage::sqlite {

namespace {

/// Busy handler of the checkpointer's connection: only a RESTART waits (for the writer to
/// finish its commit, then for the readers to leave the WAL), and it holds new writers back
/// meanwhile, so it paces its retries like every connection (busy_wait) but stops at the
/// deadline `arg` points to.
int restart_busy_wait(void* arg, int attempt) {
  auto deadline = *static_cast<std::chrono::steady_clock::time_point*>(arg);
  return std::chrono::steady_clock::now() < deadline && busy_wait(nullptr, attempt) ? 1 : 0;
}

} // namespace

caf::expected<std::unique_ptr<wal_checkpointer>>
wal_checkpointer::start(const std::string& path, options opts, bool background) {
  auto opened = open_connection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                " for checkpoints");
  if (!opened)
    return opened.error();
  sqlite3* db = *opened;
  // A connection learns that the file is in WAL mode when it first reads it; until then a
  // checkpoint does nothing. The mode is persistent (set by sqlite_event_store::open).
  int rc = SQLITE_OK;
  auto mode = journal_mode(db, "PRAGMA journal_mode", rc);
  if (mode != "wal") {
    auto msg = "SQLite database " + path + " is not in WAL mode ("
               + (mode.empty() ? std::string{sqlite3_errmsg(db)} : mode) + ")";
    sqlite3_close_v2(db);
    return make_error(errc::storage_failure, std::move(msg));
  }
  std::unique_ptr<wal_checkpointer> c{new wal_checkpointer(db, opts)};
  if (background) {
    c->thread_ = std::thread([p = c.get()] { p->loop(); });
    pthread_setname_np(c->thread_.native_handle(), "ves-wal-ckpt"); // top -H, perf, bench/
  }
  return c;
}

wal_checkpointer::wal_checkpointer(sqlite3* db, options opts)
  : db_(db), opts_(opts) {
  sqlite3_busy_handler(db_, restart_busy_wait, &restart_deadline_);
}

wal_checkpointer::~wal_checkpointer() {
  {
    std::lock_guard guard{mtx_};
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
  sqlite3_close_v2(db_);
}

void wal_checkpointer::loop() {
  bool failing = false; // logs the first failure and the recovery, not every round
  std::unique_lock lock{mtx_};
  while (!cv_.wait_for(lock, opts_.interval, [this] { return stop_; })) {
    lock.unlock();
    auto ok = run_round();
    if (!ok && !failing)
      spdlog::warn("SQLite WAL checkpoints fail (commits checkpoint themselves past {} frames): {}",
                   autocheckpoint_fence_frames, error_message(ok.error()));
    else if (ok && failing)
      spdlog::info("SQLite WAL checkpoints work again");
    failing = !ok;
    lock.lock();
  }
}

caf::expected<void> wal_checkpointer::run_round() {
  int frames = 0;
  int copied = 0;
  // PASSIVE never calls the busy handler; it is busy only while another connection checkpoints
  // (a commit past the fence), which is not an error either.
  auto rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
  bool passive_busy = rc == SQLITE_BUSY;
  int restart = SQLITE_DONE; // not tried
  if (rc == SQLITE_OK && frames >= opts_.restart_frames) {
    restart_deadline_ = std::chrono::steady_clock::now() + opts_.restart_wait;
    restart = rc
      = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_RESTART, &frames, &copied);
  }
  std::lock_guard guard{mtx_};
  ++stats_.rounds;
  if (restart == SQLITE_OK)
    ++stats_.restarts;
  else if (restart == SQLITE_BUSY)
    ++stats_.restarts_busy;
  if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
    ++stats_.failures;
    return sqlite_error(db_, rc, "checkpoint");
  }
  if (!passive_busy) {
    stats_.wal_frames = frames;
    stats_.copied_frames = copied;
  }
  return {};
}

wal_checkpointer::stats wal_checkpointer::counters() const {
  std::lock_guard guard{mtx_};
  return stats_;
}

} // namespace seq::storage::sqlite
