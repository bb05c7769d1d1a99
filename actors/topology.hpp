// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The one function the runtime calls to start ingest on a node.
///
///   auto topo = seq::actors::spawn_ingest_topology(sys, cfg, factory, &metrics);
///   // adapters: request(topo.registry, timeout, msg::ingest_ves{…}) → msg::ves_ingested
///   // shutdown: request(topo.registry, timeout, msg::drain_atom_v) → ok_atom, then
///   //           anon_send_exit(topo.registry, caf::exit_reason::user_shutdown)
///
/// It spawns: the verify pool (`cfg.verify_workers` workers, each with its own storage
/// connection from `factory`, sharing one agent-key cache), the storage writer pool
/// (`cfg.storage_writers` writers, one connection each) and the stream registry, which is
/// linked to both pools: stopping the registry stops every stream, supervisor, sequencer,
/// verify worker and writer. Stream supervisors and sequencers are spawned by the registry on
/// first use of a stream.
///
/// Requirements: the actor system loaded `caf::id_block::seq` (messages/type_ids.hpp);
/// `factory` is thread-safe; `metrics` (may be null) outlives the actor system.

#include "actors/ingest_config.hpp"
#include "actors/metrics.hpp"
#include "actors/verify/key_cache.hpp"

#include <memory>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

namespace seq::actors {

struct ingest_topology {
  /// Entry point: ingest_ves, ingest_legacy, drain_atom (see stream_registry.hpp).
  caf::actor registry;
  /// verify_ves_batch / verify_legacy_batch (round-robin pool).
  caf::actor verify_pool;
  /// load_stream / commit_group / inspect_conflict (a pool that keeps each stream on one
  /// writer while that writer is free: spawn_writer_pool).
  caf::actor writers;
  /// The verify pool's agent-key cache, for transports that verify on their own threads
  /// (verify_ves_here in actors/verify/verify_pool.hpp).
  std::shared_ptr<key_cache> keys;
};

ingest_topology spawn_ingest_topology(caf::actor_system& sys, const ingest_config& cfg,
                                      store_factory factory, ingest_metrics* metrics = nullptr);

} // namespace seq::actors
