// SPDX-License-Identifier: Apache-2.0
#pragma once

/// x402 I/O workers — a small pool per node.
///
/// Role: perform the blocking storage work of the x402 batchers and the batcher hub: each
///   worker owns one event_store connection (opened lazily through the factory; its x402
///   interface is `storage::x402_of`) and runs the functions of settlement_batch.hpp. All jobs
///   of one stream go to the same worker (`for_stream`), one after another.
/// Interface (dynamically typed `caf::actor`, messages/x402_batching.hpp and messages/x402.hpp):
///   x402_find_work    → x402_work_found     (stream, network) pairs with open work
///   x402_load_state   → x402_state_loaded   what waits, committed batches
///   x402_seal         → x402_sealed         expire, then seal (new batch id per call)
///   x402_fetch_batch  → x402_sealed         a batch and its intents
///   x402_record       → ok_atom             a batch status change (compare-and-set)
///   x402_prune        → uint64_t            nonce rows deleted
///   settle_x402_batch → x402_settled        manual settlement (reference rules)
///   Any call may instead answer a caf::error carrying a seq::errc.
/// Sends: nothing but replies.
/// Supervision: spawned by the runtime (spawn_x402_io) and stopped with stop_x402_io. A crash
///   loses only the job in progress: every change is one transaction.
/// State: one connection (dropped after errc::storage_unavailable; the next job reconnects).
/// Threading: blocking I/O — spawned detached unless `detached` is false (tests on the
///   deterministic coordinator).

#include "actors/ingest_config.hpp"
#include "actors/lazy_store.hpp"

#include <cstddef>
#include <vector>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors::x402 {

/// The workers of one node.
struct x402_io {
  std::vector<caf::actor> workers;
  /// The worker that runs every job of stream `s`.
  const caf::actor& for_stream(const msg::stream_key& s) const;
  bool valid() const { return !workers.empty(); }
};

struct x402_io_state {
  static inline const char* name = "x402_io";
  lazy_store store;
};

caf::behavior x402_io_worker(caf::stateful_actor<x402_io_state>* self, store_factory factory);

/// Spawns `workers` (at least 1) workers, detached unless `detached` is false.
x402_io spawn_x402_io(caf::actor_system& sys, size_t workers, bool detached,
                      store_factory factory);
/// Sends exit(user_shutdown) to every worker.
void stop_x402_io(const x402_io& io);

} // namespace seq::actors::x402
