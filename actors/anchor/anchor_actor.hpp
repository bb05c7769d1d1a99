// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Anchor actor — one per node (a singleton under the runtime).
///
/// Role: puts commitments on chain, one at a time (rules: anchor_core.hpp). For each job:
///   load the row (storage worker) → already recorded? done : ask the chain (through the
///   circuit breaker) whether the batch is anchored → yes: recover the transaction from the
///   contract's log and record it : send the anchor transaction (waits for the configured
///   confirmations) and record it. The chain check before every send is what keeps a restart
///   (or a lost reply) from anchoring a batch twice.
/// Interface (dynamically typed `caf::actor`, messages/anchor.hpp):
///   anchor_batch → anchor_outcome (or an error, see messages/anchor.hpp)
///   caf::get_atom → anchor_status
///   anchor_tick_atom (to itself) → an automatic round, every `interval` when `automatic`
/// Sends: requests to its storage worker and to the circuit breaker.
/// Supervision: spawned by the runtime; spawns and links its storage worker. A crash loses only
///   the queue (the next round, or the client's retry, finds the same commitments again).
/// State: anchor_core (queue, counters), the worker and breaker handles, waiting promises.
/// Time: the actor clock (virtual time under the CAF test coordinator).

#include "actors/anchor/anchor_core.hpp"
#include "actors/ingest_config.hpp"
#include "messages/anchor.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/timespan.hpp"

namespace seq::actors::anchor {

struct anchor_config {
  /// The circuit-breaker actor every chain call goes through.
  caf::actor breaker;
  store_factory factory;
  bool automatic = true;
  caf::timespan interval = std::chrono::seconds{60};
  uint32_t batch_threshold = 10;
  /// Upper bound for one chain call (the breaker's own call timeout applies inside it).
  caf::timespan call_timeout = std::chrono::minutes{4};
  caf::timespan io_timeout = std::chrono::seconds{30};
  /// Run the storage worker detached (own thread). Tests on the test coordinator set false.
  bool detached_io = true;
};

struct anchor_state {
  static inline const char* name = "anchor";
  anchor_config cfg;
  std::unique_ptr<anchor_core> core;
  caf::actor io;
  uint64_t next_waiter = 1;
  std::unordered_map<uint64_t, caf::response_promise> waiters;
};

caf::behavior anchor_actor(caf::stateful_actor<anchor_state>* self, anchor_config cfg);

caf::actor spawn_anchor(caf::actor_system& sys, anchor_config cfg);

} // namespace seq::actors::anchor
