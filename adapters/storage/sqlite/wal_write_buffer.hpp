// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A SQLite VFS over the default one that hands a transaction's WAL frames to the kernel in
/// one write instead of two per frame. SQLite writes each frame's 24-byte header and its page
/// with separate calls; at T3's ~15 frames per group commit that was 30 `pwrite`s per commit
/// (bench/README.md, tuning log).
///
/// Only a connection that has run `PRAGMA synchronous = FULL` (or EXTRA) buffers: SQLite then
/// syncs the WAL at every commit, before it publishes the commit to other connections, and
/// the buffer goes out first, so a failed write fails the commit. Any other connection, and
/// every other file, goes straight to the default VFS. Besides the sync, a WAL file's buffer
/// is written out before every read, size query, truncation or file control of that file,
/// before it closes, and before the writing thread's next wal-index lock change or barrier
/// (SQLite uses a connection from one thread at a time). A write that does not continue the
/// buffered range, or would make it larger than the default VFS writes at once (128 KiB - 1),
/// writes the buffer out first.
///
/// A crash loses only frames no sync has covered, that is, transactions that had not
/// committed; recovery treats them as never written, exactly as without the buffer.

#include <cstdint>

namespace seq::storage::sqlite {

/// Registers the VFS (once, not as the default) and returns its name, for sqlite3_open_v2.
const char* wal_write_buffer_vfs();

/// Process-wide counts, for tests and profiling.
struct wal_write_buffer_counters {
  uint64_t frames_buffered = 0; ///< WAL writes (frame headers, pages, WAL headers) kept
  uint64_t writes = 0;          ///< writes of buffered bytes to the default VFS
};
wal_write_buffer_counters wal_write_buffer_stats();

} // namespace seq::storage::sqlite
