// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Storage writer actor.
///
/// Role: performs the blocking storage calls of the stream sequencers (load, group commit,
///   conflict inspection) on ONE storage connection that it owns. Several writers share the
///   streams through an actor pool (spawn_writer_pool) that keeps a stream's calls on one
///   writer while that writer is free; a stream has at most one call in flight.
/// Interface (dynamically typed `caf::actor`):
///   load_stream        → stream_loaded       heads + entity versions of a stream
///   commit_group       → group_committed     one group in one transaction
///   inspect_conflict   → conflict_inspected  what conflicts with a failed group
///   Any call may instead answer a caf::error carrying the store's seq::errc unchanged
///   (errc::storage_conflict, errc::storage_unavailable, errc::storage_failure, …).
/// Sends: nothing but replies.
/// Supervision: spawned by spawn_ingest_topology into the writer pool, which is linked to
///   the stream registry. A crash loses only the call in progress (the sequencer sees
///   sec::request_receiver_down or a timeout, fails that group and reloads from storage).
/// State: the connection (opened lazily through the factory, reopened after a failed open).
/// Failure modes: the factory fails → errc::storage_unavailable for that call; the store
///   reconnects by itself after errc::storage_unavailable.
/// Threading: blocking I/O — spawned detached unless `ingest_config::detached_io` is false.

#include "actors/ingest_config.hpp"
#include "actors/metrics.hpp"

#include <atomic>
#include <memory>

#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors {

struct storage_writer_state {
  static inline const char* name = "storage_writer";
  store_factory factory;
  store_ptr store;
  ingest_metrics* metrics = nullptr;
  /// Counted out after each stream call (nullptr outside a pool of spawn_writer_pool).
  std::shared_ptr<std::atomic<int>> calls;
};

caf::behavior storage_writer(caf::stateful_actor<storage_writer_state>* self,
                             store_factory factory, ingest_metrics* metrics,
                             std::shared_ptr<std::atomic<int>> calls = nullptr);

/// Spawns `n` writers (at least one) into a pool that keeps a stream on one writer. A
/// stream's calls (load_stream, commit_group, inspect_conflict) go to its home writer, the
/// stream's hash modulo the pool's size, while the home writer has no call in flight;
/// otherwise to the writer with the fewest calls in flight. Anything else goes round robin.
/// A stream that commits single events on another connection each time costs PostgreSQL
/// about a quarter more CPU (each backend's caches are cold again), and its slowest commits
/// are slower (bench/README.md, tuning log); a home writer that is always taken would instead
/// queue the streams hashed to it.
caf::actor spawn_writer_pool(caf::actor_system& sys, size_t n, const store_factory& factory,
                             ingest_metrics* metrics, bool detached);

/// Spawns one writer, detached or not.
caf::actor spawn_storage_writer(caf::actor_system& sys, store_factory factory,
                                ingest_metrics* metrics, bool detached,
                                std::shared_ptr<std::atomic<int>> calls = nullptr);

} // namespace seq::actors
