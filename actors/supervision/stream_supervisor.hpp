// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Stream supervisor actor — one per active stream.
///
/// Role: owns the stream's sequencer (spawned monitored), forwards every request to it with
///   `delegate` (the answer goes straight back to the original requester) and respawns it
///   after a crash, following `restart_policy` (back-off, limit). Starts the stream's
///   companions (cfg->companions: projector, committer) when they are needed — on the
///   events their companion_start rule counts, when that rule's age limit passes, or on
///   get_companion — feeds them events_committed while they run, lets them stop when they
///   have nothing to do (actors/supervision/companion.hpp) and respawns them after a crash.
/// Interface (dynamically typed `caf::actor`), forwarded to the sequencer:
///   ingest_ves → ves_ingested, ingest_legacy → legacy_ingested, ingest_x402 → x402_ingested,
///   activity_atom → stream_activity (answered by the supervisor itself, not idle, while a
///   companion must still be started for an age limit), drain_atom → ok_atom;
///   get_atom → caf::actor (the current sequencer; invalid during a back-off).
///   events_committed (from the sequencer) → to every running companion, counted for the
///   others; get_companion → caf::actor (started if needed; errc::not_found: no such role);
///   companion_idle_atom, companion_busy_atom (from companions) and companion_wake_atom,
///   respawn_atom (from itself): see companion.hpp; respawn_atom ends a back-off.
/// Sends: delegated requests to the sequencer; events_committed, companion_idle_atom (the
///   idle time, after a spawn) and companion_wake_atom to companions; exit messages to its
///   children when stopped.
/// Supervision: spawned and monitored by the stream_registry, which stops an idle stream
///   by sending it exit(user_shutdown) and stops all streams when it ends itself. However
///   the supervisor ends, its state's destructor sends exit(user_shutdown) to its children
///   (which the down handler never sees: no respawn) and fails parked requests. Monitors,
///   not links, point upwards, so no crash (not even `kill`) cascades to the registry. When
///   the restart limit is exceeded (sequencer and companion crashes share it) the supervisor
///   quits with errc::internal; the registry then forgets the stream and the next request
///   starts a fresh supervisor.
/// State: the child handle, the restart policy (created at the first crash), requests parked
///   during a back-off, one companion_slot per companion spec.
/// Failure modes: a sequencer crash loses its unanswered requests (the sequencer fails them
///   with errc::internal); the respawned sequencer reloads heads and versions from storage.
///   Requests parked when the supervisor gives up or stops fail with errc::shutting_down.
///   A companion that stops or crashes loses nothing stored: the next one reloads.

#include "actors/sequencer/sequencer.hpp"
#include "actors/supervision/restart_policy.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_clock.hpp"
#include "caf/response_promise.hpp"
#include "caf/stateful_actor.hpp"

namespace seq::actors {

/// A companion's handle is not stopped for idleness this soon after get_companion handed it
/// out: whoever asked for it sends to it right away.
constexpr auto companion_handout_hold = std::chrono::seconds{10};

/// What arrives for a companion while it is being stopped (sent once it has ended and a new
/// one has started, or once it has answered busy).
struct companion_held {
  std::vector<msg::events_committed> events;
  std::vector<caf::response_promise> gets; ///< get_companion answers
};

/// One companion of the stream (same index as its spec in cfg->companions).
struct companion_slot {
  caf::actor actor;      ///< running (invalid: not running)
  bool stopping = false; ///< told to stop; held work waits for its end or its busy answer
  bool wake_on_start = false; ///< send companion_wake_atom once it has (re)started
  bool wake_armed = false;    ///< a (companion_wake_atom, slot) message is scheduled
  uint64_t sent = 0;          ///< events_committed sent to `actor`
  uint64_t pending = 0;       ///< events its start rule counted while it did not run
  /// When a companion_wake_atom is due (the start rule's age limit).
  std::optional<caf::actor_clock::time_point> wake_at;
  std::optional<caf::actor_clock::time_point> handed_out; ///< last get_companion answer
  std::unique_ptr<companion_held> held;      ///< only while stopping, when something came
};

struct stream_supervisor_state {
  static inline const char* name = "stream_supervisor";

  /// A request that arrived while no sequencer was running.
  struct parked {
    caf::response_promise rp;
    std::function<void(caf::response_promise&, const caf::actor&)> forward;
  };

  msg::stream_key key;
  sequencer_deps deps;
  /// Created at the first crash (most streams never see one).
  std::unique_ptr<restart_policy> policy;
  caf::actor child;
  /// One per entry of cfg->companions, same order.
  std::vector<companion_slot> companions;
  std::vector<parked> waiting;
  uint64_t restarts = 0;
  uint64_t companion_starts = 0; ///< companions spawned so far (crash respawns included)

  stream_supervisor_state() = default;
  stream_supervisor_state(const stream_supervisor_state&) = delete;
  stream_supervisor_state& operator=(const stream_supervisor_state&) = delete;
  /// Stops the sequencer and the companions and fails parked requests.
  ~stream_supervisor_state();
};

caf::behavior stream_supervisor(caf::stateful_actor<stream_supervisor_state>* self,
                                msg::stream_key key, sequencer_deps deps);

} // namespace seq::actors
