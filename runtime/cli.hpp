// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The DLQ, projection and migration-status subcommands of the `ves` CLI (ves_cli.cpp parses
/// the arguments and calls these). They work directly on the store, next to a running server:
///   ves dlq list|show|purge|audit    read and delete rows (every change writes an audit row)
///   ves dlq retry ID [--wait S]      makes the row due now: the server's DLQ retry actor
///                                    retries it on its next poll (the CLI never applies an
///                                    event itself, so it cannot race the stream's projector)
///   ves projections status           head, checkpoint, lag and DLQ counts of a stream
///   ves projections rebuild          replays the stream from sequence 1 into the shadow
///                                    tables with the projector's own engine, with a
///                                    progress bar on stderr, and swaps them in at the end
///   ves migrate --status             every database's migrations, applied or pending
/// Each returns the process exit code: 0 done, 1 refused or not found (for the migration
/// status: migrations pending), 3 storage error; ves_cli.cpp exits 2 on usage errors.

#include "actors/dlq/retry_schedule.hpp"
#include "adapters/storage/event_store.hpp"
#include "messages/projection.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace seq::runtime::cli {

/// Where a subcommand writes (tests pass string streams).
struct output {
  std::ostream& out;  ///< results
  std::ostream& err;  ///< diagnostics and the progress bar
  bool progress_tty = false; ///< draw the progress bar in place (\r) instead of line by line
};

/// Reports a storage failure on `io.err` ("ves: WHAT: CODE: message"); returns exit code 3.
int storage_error(output io, const char* what, const caf::error& e);

struct dlq_list_options {
  std::optional<msg::stream_key> stream; ///< none: every stream
  std::optional<msg::dlq_status> status;
  std::optional<msg::dlq_reason> reason;
  uint32_t limit = 100;
  bool json = false;
};

int dlq_list(storage::projection_store& ps, const dlq_list_options& o, output io);
int dlq_show(storage::projection_store& ps, const msg::uuid& id, output io);

/// Schedules the row for an immediate retry (status pending, next_retry_at now; a dead row
/// too). With `wait` > 0, polls until the retry has run and prints the row as written then
/// (exit 1 when it did not run in time, e.g. no server is running).
int dlq_retry(storage::projection_store& ps, const msg::uuid& id, std::chrono::seconds wait,
              output io);

struct dlq_purge_options {
  msg::stream_key stream;
  std::optional<msg::dlq_status> status;
  std::optional<msg::dlq_reason> reason;
  bool force = false; ///< also pending and retrying rows
};

int dlq_purge(storage::projection_store& ps, const dlq_purge_options& o, output io);

/// Audit rows, newest first.
int dlq_audit(storage::projection_store& ps, const std::optional<msg::uuid>& tenant,
              uint32_t limit, bool json, output io);

int projection_status(storage::event_store& db, const msg::stream_key& s, bool json, output io);

/// The migrations of each of the store's databases (both SQLite files, or the PostgreSQL
/// database), applied (with when) or pending, and any the database recorded that this build
/// does not have. Changes nothing. Exit code 0 when none is pending, 1 when some are.
int migration_status(storage::event_store& db, bool json, output io);

struct rebuild_options {
  msg::stream_key stream;
  uint32_t batch_size = 500;
  /// The DLQ retry schedule for the rows the replay parks (as the server's).
  actors::dlq::retry_options retry;
  /// Catch-up rounds when the live projection moves on during the rebuild.
  int max_rounds = 50;
};

/// Rebuilds one stream's projections (see the file comment). The rebuilt projection stands
/// exactly where the live projector stands when it is swapped in (that projector then
/// continues on top of it); events the live projector has not reached yet are left to it.
/// Every stream is rebuilt in park mode. Prints a summary line to `out`.
int rebuild(storage::event_store& db, const rebuild_options& o, output io);

} // namespace seq::runtime::cli
