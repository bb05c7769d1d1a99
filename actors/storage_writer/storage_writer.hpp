// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Storage writer actor.
///
/// Role: performs the blocking storage calls of the stream sequencers (load, group commit,
///   conflict inspection) on ONE storage connection that it owns. Several writers share the
///   streams through a round-robin actor pool (spawn_ingest_topology); a stream has at most
///   one call in flight, so it does not care which writer answers.
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

#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors {

struct storage_writer_state {
  static inline const char* name = "storage_writer";
  store_factory factory;
  store_ptr store;
  ingest_metrics* metrics = nullptr;
};

caf::behavior storage_writer(caf::stateful_actor<storage_writer_state>* self,
                             store_factory factory, ingest_metrics* metrics);

/// Spawns one writer, detached or not.
caf::actor spawn_storage_writer(caf::actor_system& sys, store_factory factory,
                                ingest_metrics* metrics, bool detached);

} // namespace seq::actors
