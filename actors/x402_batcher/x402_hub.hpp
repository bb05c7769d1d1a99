// SPDX-License-Identifier: Apache-2.0
#pragma once

/// x402 batcher hub — one per node, spawned by the runtime (root supervisor level).
///
/// Role: the supervisor and router of the x402 batchers: one batcher per (stream, network),
///   spawned on first use and respawned after a crash. At start it asks storage where work is
///   open (sequenced intents, committed batches) and starts those batchers, so nothing waits
///   for a new intent after a restart. It also prunes nonce rows older than twice the
///   validity window, every `prune_interval`.
/// Interface (dynamically typed `caf::actor`):
///   x402_sequenced                          from the stream sequencers (ingest_config::
///                                           x402_sink); forwarded per network to the batchers
///                                           (those of networks outside `networks` seal only
///                                           on request, but expire intents on time)
///   create_x402_batch → x402_batch_made     delegated to the (stream, network) batcher
///   settle_x402_batch → x402_settled        delegated to an I/O worker (manual settlement)
///   (caf::put_atom, caf::actor)             the chain circuit breaker, for batchers from now on
///   caf::get_atom → uint64_t                batchers running
///   x402_prune_atom, respawn_atom (from itself)
/// Sends: x402_find_work and x402_prune (requests) to the I/O workers; exit messages to its
///   batchers when it stops.
/// Supervision: spawned by the runtime; monitors its batchers (a crashed batcher is respawned
///   after `respawn_delay` and reloads from storage). However the hub ends, its state's
///   destructor stops every batcher.
/// State: (stream, network) → batcher.
/// Single settler: on one node a (stream, network) has exactly one batcher, so exactly one
///   actor settles it. (A cluster will elect the node that runs them.)

#include "actors/x402_batcher/x402_batcher.hpp"

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"
#include "caf/stateful_actor.hpp"
#include "caf/timespan.hpp"

namespace seq::actors::x402 {

struct hub_deps {
  /// The batchers' dependencies; `options.auto_seal` is set per network.
  batcher_deps batcher;
  /// Networks sealed automatically (X402_BATCH_NETWORKS).
  std::set<std::string> networks{"set_chain"};
  caf::timespan prune_interval = std::chrono::hours{1};
  /// Nonce rows older than this are deleted (twice the longest validity window).
  std::chrono::microseconds nonce_retention = std::chrono::seconds{2 * 86400};
  caf::timespan respawn_delay = std::chrono::seconds{1};
  /// Start batchers where storage has open work (off in tests that seed storage by hand).
  bool scan_on_start = true;
};

struct x402_hub_state {
  static inline const char* name = "x402_hub";
  hub_deps deps;
  std::map<msg::x402_work, caf::actor> batchers;

  x402_hub_state() = default;
  x402_hub_state(const x402_hub_state&) = delete;
  x402_hub_state& operator=(const x402_hub_state&) = delete;
  /// Stops every batcher.
  ~x402_hub_state();
};

caf::behavior x402_hub(caf::stateful_actor<x402_hub_state>* self, hub_deps deps);

/// Spawns the hub (the batchers are spawned by it).
caf::actor spawn_x402_hub(caf::actor_system& sys, hub_deps deps);

} // namespace seq::actors::x402
