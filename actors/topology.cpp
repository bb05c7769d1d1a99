// SPDX-License-Identifier: Apache-2.0
#include "actors/topology.hpp"

#include "actors/registry/stream_registry.hpp"
#include "actors/storage_writer/storage_writer.hpp"
#include "actors/verify/verify_pool.hpp"
#include "messages/ves/ves.hpp"

#include <memory>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"

namespace seq::actors {

ingest_topology spawn_ingest_topology(caf::actor_system& sys, const ingest_config& cfg,
                                      store_factory factory, ingest_metrics* metrics) {
  ingest_topology t;
  auto full_cfg = std::make_shared<ingest_config>(cfg);
  if (!full_cfg->sequencer_signer) // receipt key derived once, not per stream or receipt
    full_cfg->sequencer_signer = std::make_shared<const ves::ed25519_signer>(cfg.sequencer_seed);
  std::shared_ptr<const ingest_config> shared_cfg = std::move(full_cfg);
  t.keys = make_key_cache(cfg);
  t.verify_pool = spawn_verify_pool(sys, cfg, factory, t.keys, metrics);
  t.writers = spawn_writer_pool(sys, cfg.storage_writers, factory, metrics, cfg.detached_io);
  t.registry = sys.spawn(stream_registry,
                         sequencer_deps{shared_cfg, t.verify_pool, t.writers, metrics});
  return t;
}

} // namespace seq::actors
