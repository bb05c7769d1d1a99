// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Commitment I/O workers — a small pool per node.
///
/// Role: perform the blocking storage work of the committers (actors/committer/committer.hpp):
///   each worker owns one event_store connection (opened lazily through the factory; its
///   commitment interface is `storage::commitments_of`) and runs the functions of
///   commit_batch.hpp. All jobs of one stream go to the same worker (`for_stream`), so they
///   run one after another in that worker's mailbox.
/// Interface (dynamically typed `caf::actor`, messages/committer.hpp):
///   committer_load           → committer_loaded       last VES commitment end, VES head
///   create_ves_commitment    → ves_commitment_built   new or existing (idempotent) + leaves
///   create_legacy_commitment → legacy_commitment
///   get_ves_proof            → ves_commitment_built   the batch named or covering the
///                                                     sequence, with its leaves (errc::not_found,
///                                                     errc::forbidden for another stream's)
///   Any call may instead answer a caf::error carrying a seq::errc.
/// Sends: nothing but replies.
/// Supervision: spawned by the runtime (spawn_commit_io), stopped with stop_commit_io. A crash
///   loses only the job in progress; every commitment is one INSERT.
/// State: one connection.
/// Threading: blocking I/O — spawned detached unless `detached` is false (tests on the
///   deterministic coordinator).

#include "actors/ingest_config.hpp"
#include "actors/lazy_store.hpp"

#include <cstddef>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors::committer {

/// The workers of one node.
struct commit_io {
  std::vector<caf::actor> workers;
  /// The worker that runs every job of stream `s`.
  const caf::actor& for_stream(const msg::stream_key& s) const;
  bool valid() const { return !workers.empty(); }
};

struct commit_io_state {
  static inline const char* name = "commit_io";
  lazy_store store;
};

caf::behavior commit_io_worker(caf::stateful_actor<commit_io_state>* self, store_factory factory);

/// Spawns `workers` (at least 1) workers, detached unless `detached` is false.
commit_io spawn_commit_io(caf::actor_system& sys, size_t workers, bool detached,
                          store_factory factory);
/// Sends exit(user_shutdown) to every worker.
void stop_commit_io(const commit_io& io);

} // namespace seq::actors::committer
