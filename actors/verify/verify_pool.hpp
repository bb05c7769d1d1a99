// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Verify pool: N verify workers behind a round-robin caf::actor_pool.
///
/// Role: the CPU cost of ingest — payload hashes (JCS, serde_json forms), VES-ENC-1
///   structure and cipher hash, agent-key validity and Ed25519 signatures — runs here, in
///   parallel, never inside a stream actor (class `verifier`).
/// Interface (dynamically typed `caf::actor`, the pool or one worker):
///   verify_ves_batch     → ves_batch_verified      per-event verdicts + filled candidates
///                                                  + replay fingerprints + stored events
///                                                  for the ids of rejected candidates
///   verify_legacy_batch  → legacy_batch_verified   per-event InvalidPayloadHash or none
///   A storage failure during a key look-up answers a caf::error for the whole batch.
/// Sends: nothing but replies.
/// Supervision: the pool monitors its workers; the pool is linked to the stream registry.
///   A crashed worker loses only the batch it was verifying (the sequencer's request
///   fails; the client gets the error and retries).
/// State per worker: one storage connection (lazily opened through the factory, used for
///   agent keys and stored-event look-ups) and a `verifier`; all workers share one
///   `key_cache` (thread-safe, positive entries with a TTL).
/// Threading: key look-ups block → workers are detached unless `detached_io` is false.

#include "actors/ingest_config.hpp"
#include "actors/metrics.hpp"
#include "actors/verify/key_cache.hpp"
#include "messages/sequencing.hpp"

#include <memory>
#include <vector>

#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors {

struct verify_worker_state {
  static inline const char* name = "verify_worker";
  store_factory factory;
  store_ptr store;
  std::shared_ptr<key_cache> keys;
  ingest_metrics* metrics = nullptr;
};

caf::behavior verify_worker(caf::stateful_actor<verify_worker_state>* self,
                            store_factory factory, std::shared_ptr<key_cache> keys,
                            ingest_metrics* metrics);

/// The agent-key cache the pool and the transports share (TTL `cfg.key_cache_ttl`).
std::shared_ptr<key_cache> make_key_cache(const ingest_config& cfg);

/// Spawns `cfg.verify_workers` workers (0 = hardware threads) behind a round-robin pool
/// and returns the pool.
caf::actor spawn_verify_pool(caf::actor_system& sys, const ingest_config& cfg,
                             store_factory factory, std::shared_ptr<key_cache> keys,
                             ingest_metrics* metrics);

/// Verifies a VES batch on the calling thread (a transport's request thread), which saves
/// the stream two thread hand-offs per request. It succeeds only when that needs no
/// storage: every agent key is in `keys` and no event is rejected (a rejected event may be a
/// replay the stream must answer from storage). Then it takes the candidates and returns
/// the verified batch, the same as the pool's; otherwise it returns nullptr and leaves the
/// candidates in `events` for the pool (msg::verify_ves_batch).
std::shared_ptr<const msg::verified_ves>
verify_ves_here(std::vector<msg::ves_candidate>& events, key_cache& keys,
                ingest_metrics* metrics);

/// Checks the payload hashes of a legacy batch (no storage needed, never fails); the pool's
/// verify_legacy_batch does the same.
std::shared_ptr<const msg::verified_legacy>
verify_legacy_here(std::vector<msg::legacy_candidate> events);

} // namespace seq::actors
