// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Stream supervisor actor — one per active stream.
///
/// Role: owns the stream's sequencer (spawned monitored), forwards every request to it with
///   `delegate` (the answer goes straight back to the original requester) and respawns it
///   after a crash, following `restart_policy` (back-off, limit).
/// Interface (dynamically typed `caf::actor`), all forwarded to the sequencer:
///   ingest_ves → ves_ingested, ingest_legacy → legacy_ingested, ingest_x402 → x402_ingested,
///   activity_atom → stream_activity, drain_atom → ok_atom;
///   get_atom → caf::actor (the current sequencer; invalid during a back-off).
///   respawn_atom (from itself) ends a back-off.
/// Sends: delegated requests to the sequencer; exit messages to it when stopped.
/// Supervision: spawned and monitored by the stream_registry, which stops an idle stream
///   by sending it exit(user_shutdown) and stops all streams when it ends itself. However
///   the supervisor ends, its state's destructor sends exit(user_shutdown) to the sequencer
///   (which the down handler never sees: no respawn) and fails parked requests. Monitors,
///   not links, point upwards, so no crash (not even `kill`) cascades to the registry. When
///   the restart limit is exceeded the supervisor quits with errc::internal; the registry
///   then forgets the stream and the next request starts a fresh supervisor.
/// State: the child handle, the restart policy, requests parked during a back-off.
/// Failure modes: a sequencer crash loses its unanswered requests (the sequencer fails them
///   with errc::internal); the respawned sequencer reloads heads and versions from storage.
///   Requests parked when the supervisor gives up or stops fail with errc::shutting_down.

#include "actors/sequencer/sequencer.hpp"
#include "actors/supervision/restart_policy.hpp"

#include <functional>
#include <memory>
#include <vector>

#include "caf/actor.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors {

struct stream_supervisor_state {
  static inline const char* name = "stream_supervisor";

  /// A request that arrived while no sequencer was running.
  struct parked {
    caf::response_promise rp;
    std::function<void(caf::response_promise&, const caf::actor&)> forward;
  };

  msg::stream_key key;
  sequencer_deps deps;
  std::unique_ptr<restart_policy> policy;
  caf::actor child;
  /// One per entry of cfg->companions, same order (null while being respawned).
  std::vector<caf::actor> companions;
  std::vector<parked> waiting;
  uint64_t restarts = 0;

  stream_supervisor_state() = default;
  stream_supervisor_state(const stream_supervisor_state&) = delete;
  stream_supervisor_state& operator=(const stream_supervisor_state&) = delete;
  /// Stops the sequencer and fails parked requests.
  ~stream_supervisor_state();
};

caf::behavior stream_supervisor(caf::stateful_actor<stream_supervisor_state>* self,
                                msg::stream_key key, sequencer_deps deps);

} // namespace seq::actors
