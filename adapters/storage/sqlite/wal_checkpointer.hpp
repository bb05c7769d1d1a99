// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Moves the WAL checkpoints of a SQLite database off the commit path.
///
/// By itself SQLite checkpoints in the connection that commits, once the WAL holds
/// `wal_autocheckpoint` frames (1,000 by default). The WAL is only written from its start again
/// when a checkpoint has copied every frame just before a write begins; with a hot stream
/// committing every few milliseconds that rarely happens, so every commit past the threshold
/// checkpointed again: the group commit paid for copying its pages into the database file and
/// for an extra fsync of it, commit after commit (bench/README.md, tuning log). The server runs
/// one `wal_checkpointer` per database file instead, on its own connection and thread:
///   - every `interval` a PASSIVE checkpoint copies the frames no reader still needs, without
///     waiting for anyone. A page written several times in the interval is copied once;
///   - once the WAL holds `restart_frames` frames, a RESTART checkpoint copies the last frames
///     and waits for the readers to leave the WAL, so that the next commit writes it from its
///     start again. Meanwhile new writers wait; the wait is capped at `restart_wait` (then
///     the round counts as `restarts_busy` and the next round tries again).
/// Every connection of sqlite_event_store keeps SQLite's own checkpoint as a fence at
/// `autocheckpoint_fence_frames` (for tools that run without a checkpointer, and should this one
/// fall behind).
///
/// Durability is unchanged: a commit is durable once its WAL frames are synced; checkpoints
/// only move committed pages into the database file (and sync it) before the WAL is reused.
/// Disk: a restarted WAL is overwritten from its start, not truncated, so the file keeps its
/// largest size (≈ 80 MB after a minute of T3 in bench/) until the last connection closes and
/// SQLite removes it.

#include "caf/expected.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct sqlite3;

namespace seq::storage::sqlite {

/// The `wal_autocheckpoint` of every connection of sqlite_event_store, in frames of one page:
/// with 4 KiB pages the WAL may reach ~128 MB before a commit checkpoints by itself.
inline constexpr int autocheckpoint_fence_frames = 32'000;

class wal_checkpointer {
public:
  struct options {
    /// Pause between two rounds.
    std::chrono::milliseconds interval{200};
    /// WAL size (frames) from which a round restarts the WAL (~48 MB with 4 KiB pages).
    int restart_frames = 12'000;
    /// The longest a RESTART holds new writers back while readers finish.
    std::chrono::milliseconds restart_wait{20};
  };

  struct stats {
    uint64_t rounds = 0;        ///< PASSIVE checkpoints run
    uint64_t restarts = 0;      ///< RESTART checkpoints that completed
    uint64_t restarts_busy = 0; ///< RESTART checkpoints given up after `restart_wait`
    uint64_t failures = 0;      ///< checkpoints that failed otherwise (I/O, corruption)
    int wal_frames = 0;         ///< frames in the WAL after the last round
    int copied_frames = 0;      ///< of which copied to the database file
  };

  /// Opens its own connection to the existing WAL-mode database at `path`
  /// (errc::storage_unavailable if it cannot, errc::storage_failure if the file is not in WAL
  /// mode) and, when `background` is true, starts the thread.
  static caf::expected<std::unique_ptr<wal_checkpointer>>
  start(const std::string& path, options opts, bool background = true);

  /// Stops and joins the thread, closes the connection.
  ~wal_checkpointer();
  wal_checkpointer(const wal_checkpointer&) = delete;
  wal_checkpointer& operator=(const wal_checkpointer&) = delete;

  /// One round now, on the calling thread (tests; only without the background thread). A
  /// RESTART given up after `restart_wait` is not an error.
  caf::expected<void> run_round();

  stats counters() const;

private:
  wal_checkpointer(sqlite3* db, options opts);
  void loop();

  sqlite3* db_;
  options opts_;
  /// When the RESTART under way stops waiting (read by the connection's busy handler).
  std::chrono::steady_clock::time_point restart_deadline_{};
  std::thread thread_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
  stats stats_;
};

} // namespace seq::storage::sqlite
