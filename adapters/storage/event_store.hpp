// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Opening connections and pooling them for non-actor threads. The interfaces themselves are
/// the contracts in messages/store.hpp (events) and messages/projection.hpp (projections, DLQ,
/// audit). Both backends implement both interfaces on ONE connection object: a pooled event
/// store connection serves projection reads too (`projections_of`).

#include "messages/projection.hpp"
#include "messages/store.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caf/expected.hpp"

namespace seq::storage {

using store_ptr = std::unique_ptr<event_store>;

/// Which tables a connection reaches. PostgreSQL has one database and ignores it. SQLite keeps
/// the projection tables (projections, checkpoints, DLQ, audit log) in a file of their own
/// beside the event database (`ves.db` → `ves.projections.db`), so that the projector's
/// commits neither take the event log's write lock nor empty the event writer's page cache
/// (sqlite/sqlite_event_store.hpp).
enum class store_scope {
  all,         ///< both files (reads, operator tools, migrations)
  events,      ///< the event database alone (the event writers: storage, commit, x402, anchor)
  projections, ///< writes the projection file; reads the event database (the projector)
};

/// The SQLite file a URL names (`:memory:` for an in-memory database), or nullopt if the URL
/// names PostgreSQL or nothing open_store understands.
std::optional<std::string> sqlite_path(std::string_view url);

/// The SQLite projection file beside the event file a URL names (sqlite_path), or nullopt as
/// sqlite_path.
std::optional<std::string> sqlite_projection_path(std::string_view url);

/// Opens a connection from a URL: `sqlite:///abs/path.db`, `sqlite://rel/path.db`, a plain
/// file path, or `postgres://…` / `postgresql://…` (any libpq URI). Does not migrate; migrating
/// needs `store_scope::all`.
caf::expected<store_ptr> open_store(const std::string& url,
                                    store_scope scope = store_scope::all);

namespace sqlite {
class wal_checkpointer;
}

/// Starts the background WAL checkpointer (sqlite/wal_checkpointer.hpp) of the SQLite database
/// file named by `url`, with its default options; nullptr for PostgreSQL and in-memory
/// databases, which need none. The database must exist (open_store + migrate first).
caf::expected<std::unique_ptr<sqlite::wal_checkpointer>>
start_wal_checkpointer(const std::string& url);

using projection_store_ptr = std::unique_ptr<projection_store>;

/// Opens a connection (same URL forms as open_store, `store_scope::projections`) and returns
/// its projection interface. Does not migrate.
caf::expected<projection_store_ptr> open_projection_store(const std::string& url);

/// The projection interface of an event store connection (same object, same connection).
projection_store& projections_of(event_store& s);

/// One audit_log row as read back.
struct audit_record {
  uuid id;
  msg::timestamp_us at = 0;
  msg::audit_entry entry;
};

/// Audit rows, newest first, of one tenant (all tenants when empty). For `ves dlq audit` and
/// tests.
caf::expected<std::vector<audit_record>> list_audit(projection_store& s,
                                                    const std::optional<uuid>& tenant,
                                                    uint32_t limit);

/// The heads and projection checkpoints of one stream.
struct projection_lag {
  stream_key stream;
  msg::stream_heads heads;
  msg::projection_checkpoints checkpoints;
  /// Events committed but not yet applied, parked or skipped (both spaces).
  uint64_t lag() const {
    return (heads.legacy > checkpoints.legacy ? heads.legacy - checkpoints.legacy : 0)
           + (heads.ves > checkpoints.ves ? heads.ves - checkpoints.ves : 0);
  }
};

/// Heads and checkpoints of every stream that has a checkpoint row, ordered by stream (index
/// look-ups per stream; computed on each metrics scrape).
caf::expected<std::vector<projection_lag>> projection_lags(projection_store& s);

/// Streams with committed events beyond their projection checkpoints, including streams never
/// projected (scans both logs; the runtime calls it once at start so that their projectors
/// catch up without waiting for new events).
caf::expected<std::vector<stream_key>> streams_behind(projection_store& s);

/// A small blocking pool of connections for non-actor threads (HTTP handlers, CLI).
class store_pool {
public:
  store_pool(std::string url, size_t max_size);
  ~store_pool();

  class lease {
  public:
    lease(store_pool* pool, store_ptr s) : pool_(pool), s_(std::move(s)) {}
    lease(lease&&) = default;
    ~lease();
    event_store* operator->() { return s_.get(); }
    event_store& operator*() { return *s_; }
  private:
    store_pool* pool_;
    store_ptr s_;
  };

  /// Blocks while all connections are leased; errc::storage_unavailable when a new
  /// connection cannot be opened.
  caf::expected<lease> acquire();

private:
  friend class lease;
  void release(store_ptr s);
  std::string url_;
  size_t max_size_;
  size_t open_ = 0;
  std::vector<store_ptr> idle_;
  std::mutex mtx_;
  std::condition_variable cv_;
};

} // namespace seq::storage
